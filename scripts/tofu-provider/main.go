// Command terraform-provider-aws serves the schema of the AWS provider
// (hashicorp/aws) to OpenTofu so that `tofu validate` and `tofu plan`
// check Headroom's Terraform modules against the real attribute names,
// types and nesting, without the real provider and without AWS.
//
// It reads the schema, a trimmed `providers schema -json` document, from
// $HEADROOM_TOFU_SCHEMA or else from schema.json beside the executable
// (where scripts/tofu-check.sh installs it). Resources are planned with
// every computed attribute unknown; the data sources the modules use
// return made-up but plausible values (aws_iam_policy_document renders
// its JSON); apply and import are refused. See README.md.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

func schemaPath() (string, error) {
	if p := os.Getenv("HEADROOM_TOFU_SCHEMA"); p != "" {
		return p, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(exe), "schema.json"), nil
}

func main() {
	path, err := schemaPath()
	if err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-aws:", err)
		os.Exit(1)
	}
	ps, err := loadDocument(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "terraform-provider-aws: %s: %v\n", path, err)
		os.Exit(1)
	}
	srv, err := newServer(ps)
	if err != nil {
		fmt.Fprintf(os.Stderr, "terraform-provider-aws: %s: %v\n", path, err)
		os.Exit(1)
	}
	if err := tf6server.Serve("registry.opentofu.org/hashicorp/aws", func() tfprotov6.ProviderServer { return srv }); err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-aws:", err)
		os.Exit(1)
	}
}
