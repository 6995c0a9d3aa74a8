// A made-up resource, aws_widget, written in the shape of the bindings
// @cdktf/provider-aws generates, with one of each kind of attribute and
// block cdkschema reads.

import * as cdktf from 'cdktf';

export interface WidgetConfig extends cdktf.TerraformMetaArguments {
  /**
  * the widget's name
  */
  readonly name: string;
  readonly size?: number;
  readonly id?: string;
  readonly zones?: string[];
  readonly tags?: { [key: string]: string };
  readonly ingress?: WidgetIngress[] | cdktf.IResolvable;
  readonly config: WidgetConfigA;
  readonly rule?: WidgetRule[] | cdktf.IResolvable;
  readonly timeouts?: WidgetTimeouts;
}
export interface WidgetIngress {
  readonly port?: number;
  readonly cidrs?: string[];
}

export function widgetIngressToHclTerraform(struct?: WidgetIngress | cdktf.IResolvable): any {
  const attrs = {
    port: {
      value: cdktf.numberToHclTerraform(struct!.port),
      isBlock: false,
      type: "simple",
      storageClassType: "number",
    },
    cidrs: {
      value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(struct!.cidrs),
      isBlock: false,
      type: "list",
      storageClassType: "stringList",
    },
  };

  // remove undefined attributes
  return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}

export class WidgetIngressOutputReference extends cdktf.ComplexObject {
  // cidrs - computed: true, optional: true, required: false
  private _cidrs?: string[]; 
  public get cidrs() {
    return this.getListAttribute('cidrs');
  }

  // port - computed: true, optional: true, required: false
  private _port?: number; 
  public get port() {
    return this.getNumberAttribute('port');
  }
}
export interface WidgetConfigA {
  readonly mode: string;
  readonly weights?: { [key: string]: number };
}

export function widgetConfigAToHclTerraform(struct?: WidgetConfigAOutputReference | WidgetConfigA): any {
  const attrs = {
    mode: {
      value: cdktf.stringToHclTerraform(struct!.mode),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    weights: {
      value: cdktf.hashMapperHcl(cdktf.numberToHclTerraform)(struct!.weights),
      isBlock: false,
      type: "map",
      storageClassType: "numberMap",
    },
  };

  // remove undefined attributes
  return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}

export class WidgetConfigAOutputReference extends cdktf.ComplexObject {
  // mode - computed: false, optional: false, required: true
  private _mode?: string; 
  public get mode() {
    return this.getStringAttribute('mode');
  }

  // weights - computed: false, optional: true, required: false
  private _weights?: { [key: string]: number }; 
  public get weights() {
    return this.getNumberMapAttribute('weights');
  }
}
export interface WidgetRule {
  readonly action: string;
  readonly enabled?: boolean | cdktf.IResolvable;
  readonly value?: string;
}

export function widgetRuleToHclTerraform(struct?: WidgetRule | cdktf.IResolvable): any {
  const attrs = {
    action: {
      value: cdktf.stringToHclTerraform(struct!.action),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    enabled: {
      value: cdktf.booleanToHclTerraform(struct!.enabled),
      isBlock: false,
      type: "simple",
      storageClassType: "boolean",
    },
    value: {
      value: cdktf.stringToHclTerraform(struct!.value),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
  };

  // remove undefined attributes
  return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}

export class WidgetRuleOutputReference extends cdktf.ComplexObject {
  // action - computed: false, optional: false, required: true
  private _action?: string; 
  public get action() {
    return this.getStringAttribute('action');
  }

  // enabled - computed: true, optional: true, required: false
  private _enabled?: boolean | cdktf.IResolvable; 
  public get enabled() {
    return this.getBooleanAttribute('enabled');
  }

  // value - computed: false, optional: true, required: false
  private _value?: string; 
  public get value() {
    return this.getStringAttribute('value');
  }
}
export interface WidgetTimeouts {
  readonly create?: string;
}

export function widgetTimeoutsToHclTerraform(struct?: WidgetTimeouts | cdktf.IResolvable): any {
  const attrs = {
    create: {
      value: cdktf.stringToHclTerraform(struct!.create),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
  };

  // remove undefined attributes
  return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}

export class WidgetTimeoutsOutputReference extends cdktf.ComplexObject {
  // create - computed: false, optional: true, required: false
  private _create?: string; 
  public get create() {
    return this.getStringAttribute('create');
  }
}
export interface WidgetEndpoints {
}

export class WidgetEndpointsOutputReference extends cdktf.ComplexObject {
  // address - computed: true, optional: false, required: false
  public get address() {
    return this.getStringAttribute('address');
  }

  // ports - computed: true, optional: false, required: false
  public get ports() {
    return this.getNumberListAttribute('ports');
  }
}

export class WidgetEndpointsList extends cdktf.ComplexList {
  public get(index: number): WidgetEndpointsOutputReference {
    return new WidgetEndpointsOutputReference(this.terraformResource, this.terraformAttribute, index, this.wrapsSet);
  }
}

export class Widget extends cdktf.TerraformResource {

  public static readonly tfResourceType = "aws_widget";

  // arn - computed: true, optional: false, required: false
  public get arn() {
    return this.getStringAttribute('arn');
  }

  // aliases - computed: true, optional: false, required: false
  public get aliases() {
    return cdktf.Fn.tolist(this.getListAttribute('aliases'));
  }

  // endpoints - computed: true, optional: false, required: false
  private _endpoints = new WidgetEndpointsList(this, "endpoints", true);
  public get endpoints() {
    return this._endpoints;
  }

  // id - computed: true, optional: true, required: false
  private _id?: string; 
  public get id() {
    return this.getStringAttribute('id');
  }

  // ingress - computed: true, optional: true, required: false
  private _ingress = new WidgetIngressList(this, "ingress", true);
  public get ingress() {
    return this._ingress;
  }

  // name - computed: false, optional: false, required: true
  private _name?: string; 
  public get name() {
    return this.getStringAttribute('name');
  }

  // size - computed: false, optional: true, required: false
  private _size?: number; 
  public get size() {
    return this.getNumberAttribute('size');
  }

  // tags - computed: false, optional: true, required: false
  private _tags?: { [key: string]: string }; 
  public get tags() {
    return this.getStringMapAttribute('tags');
  }

  // tags_all - computed: true, optional: false, required: false
  private _tagsAll = new cdktf.StringMap(this, "tags_all");
  public get tagsAll() {
    return this._tagsAll;
  }

  // zones - computed: false, optional: true, required: false
  private _zones?: string[]; 
  public get zones() {
    return cdktf.Fn.tolist(this.getListAttribute('zones'));
  }

  // config - computed: false, optional: false, required: true
  private _config = new WidgetConfigAOutputReference(this, "config");
  public get config() {
    return this._config;
  }

  // rule - computed: false, optional: true, required: false
  private _rule = new WidgetRuleList(this, "rule", false);
  public get rule() {
    return this._rule;
  }

  // timeouts - computed: false, optional: true, required: false
  private _timeouts = new WidgetTimeoutsOutputReference(this, "timeouts");
  public get timeouts() {
    return this._timeouts;
  }

  protected synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      id: {
        value: cdktf.stringToHclTerraform(this._id),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      ingress: {
        value: cdktf.listMapperHcl(widgetIngressToHclTerraform, false)(this._ingress.internalValue),
        isBlock: true,
        type: "set",
        storageClassType: "WidgetIngressList",
      },
      name: {
        value: cdktf.stringToHclTerraform(this._name),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      size: {
        value: cdktf.numberToHclTerraform(this._size),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      tags: {
        value: cdktf.hashMapperHcl(cdktf.stringToHclTerraform)(this._tags),
        isBlock: false,
        type: "map",
        storageClassType: "stringMap",
      },
      zones: {
        value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(this._zones),
        isBlock: false,
        type: "set",
        storageClassType: "stringList",
      },
      config: {
        value: widgetConfigAToHclTerraform(this._config.internalValue),
        isBlock: true,
        type: "list",
        storageClassType: "WidgetConfigAList",
      },
      rule: {
        value: cdktf.listMapperHcl(widgetRuleToHclTerraform, true)(this._rule.internalValue),
        isBlock: true,
        type: "list",
        storageClassType: "WidgetRuleList",
      },
      timeouts: {
        value: widgetTimeoutsToHclTerraform(this._timeouts.internalValue),
        isBlock: true,
        type: "struct",
        storageClassType: "WidgetTimeouts",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
  }
}
