// A made-up data source, aws_gadget, in the shape of the generated
// bindings: one optional input, two computed-only attributes.

import * as cdktf from 'cdktf';

export interface DataAwsGadgetConfig extends cdktf.TerraformMetaArguments {
  readonly region?: string;
}

export class DataAwsGadget extends cdktf.TerraformDataSource {

  public static readonly tfResourceType = "aws_gadget";

  // account_id - computed: true, optional: false, required: false
  public get accountId() {
    return this.getStringAttribute('account_id');
  }

  // region - computed: true, optional: true, required: false
  private _region?: string; 
  public get region() {
    return this.getStringAttribute('region');
  }

  // enabled - computed: true, optional: false, required: false
  public get enabled() {
    return this.getBooleanAttribute('enabled');
  }

  protected synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      region: {
        value: cdktf.stringToHclTerraform(this._region),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
  }
}
