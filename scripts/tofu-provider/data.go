package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The identity the data sources report: AWS's documentation account
// ("Example ARNs", AWS Identity and Access Management User Guide) in the
// standard partition. Nothing here is a real account.
const (
	fakeAccountID = "111122223333"
	fakePartition = "aws"
	fakeDNSSuffix = "amazonaws.com"
)

// readData returns the state of data source typeName given its
// configuration: the values the AWS provider would read, made up but
// plausible, for the data sources the modules use.
func readData(typeName, region string, config tftypes.Value) (tftypes.Value, error) {
	var fields map[string]tftypes.Value
	if err := config.As(&fields); err != nil {
		return tftypes.Value{}, err
	}
	str := func(name string) string {
		v, ok := fields[name]
		if !ok || v.IsNull() || !v.IsKnown() {
			return ""
		}
		var s string
		if err := v.As(&s); err != nil {
			return ""
		}
		return s
	}
	set := func(values map[string]string) {
		for k, s := range values {
			if v, ok := fields[k]; ok && v.IsNull() {
				fields[k] = tftypes.NewValue(tftypes.String, s)
			}
		}
	}
	switch typeName {
	case "aws_region":
		r := str("region")
		if r == "" {
			r = str("name")
		}
		if r == "" {
			r = region
		}
		set(map[string]string{"region": r, "name": r, "id": r, "endpoint": "ec2." + r + "." + fakeDNSSuffix, "description": r})
	case "aws_caller_identity":
		set(map[string]string{
			"account_id": fakeAccountID,
			"arn":        "arn:" + fakePartition + ":iam::" + fakeAccountID + ":user/tofu-check",
			"user_id":    "AIDACKCEVSQ6C2EXAMPLE",
			"id":         fakeAccountID,
		})
	case "aws_partition":
		set(map[string]string{"partition": fakePartition, "dns_suffix": fakeDNSSuffix, "reverse_dns_prefix": "com.amazonaws", "id": fakePartition})
	case "aws_iam_policy_document":
		doc, err := policyDocument(fields)
		if err != nil {
			return tftypes.Value{}, fmt.Errorf("aws_iam_policy_document: %w", err)
		}
		pretty, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return tftypes.Value{}, err
		}
		minified, err := json.Marshal(doc)
		if err != nil {
			return tftypes.Value{}, err
		}
		sum := sha256.Sum256(minified)
		set(map[string]string{"json": string(pretty), "minified_json": string(minified), "id": hex.EncodeToString(sum[:4])})
	default:
		return tftypes.Value{}, fmt.Errorf("data source %s is not served: the check provider answers only aws_region, aws_caller_identity, aws_partition and aws_iam_policy_document", typeName)
	}
	return tftypes.NewValue(config.Type(), fields), nil
}

// policy is an IAM policy as aws_iam_policy_document renders it. Field
// order is the provider's.
type policy struct {
	Version   string      `json:"Version"`
	ID        string      `json:"Id,omitempty"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid          string                    `json:"Sid,omitempty"`
	Effect       string                    `json:"Effect"`
	Action       any                       `json:"Action,omitempty"`
	NotAction    any                       `json:"NotAction,omitempty"`
	Resource     any                       `json:"Resource,omitempty"`
	NotResource  any                       `json:"NotResource,omitempty"`
	Principal    map[string]any            `json:"Principal,omitempty"`
	NotPrincipal map[string]any            `json:"NotPrincipal,omitempty"`
	Condition    map[string]map[string]any `json:"Condition,omitempty"`
}

// policyDocument renders the statements of an aws_iam_policy_document
// configuration. Like the provider, it writes a one-element list as a
// plain string, sorts set elements, and defaults effect to Allow and
// version to 2012-10-17. source_policy_documents and
// override_policy_documents are not merged: the modules use neither, and
// the document says so rather than render a wrong policy.
func policyDocument(fields map[string]tftypes.Value) (*policy, error) {
	for _, unsupported := range []string{"source_policy_documents", "override_policy_documents"} {
		if v, ok := fields[unsupported]; ok && !v.IsNull() {
			return nil, fmt.Errorf("%s is not supported by the check provider", unsupported)
		}
	}
	p := &policy{Version: stringOr(fields["version"], "2012-10-17"), ID: stringOr(fields["policy_id"], "")}
	var stmts []tftypes.Value
	if v, ok := fields["statement"]; ok && !v.IsNull() {
		if err := v.As(&stmts); err != nil {
			return nil, err
		}
	}
	for i, sv := range stmts {
		var f map[string]tftypes.Value
		if err := sv.As(&f); err != nil {
			return nil, err
		}
		st := statement{
			Sid:         stringOr(f["sid"], ""),
			Effect:      stringOr(f["effect"], "Allow"),
			Action:      oneOrMany(stringSet(f["actions"])),
			NotAction:   oneOrMany(stringSet(f["not_actions"])),
			Resource:    oneOrMany(stringSet(f["resources"])),
			NotResource: oneOrMany(stringSet(f["not_resources"])),
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, fmt.Errorf("statement %d: effect %q, want Allow or Deny", i, st.Effect)
		}
		var err error
		if st.Principal, err = principals(f["principals"]); err != nil {
			return nil, fmt.Errorf("statement %d principals: %w", i, err)
		}
		if st.NotPrincipal, err = principals(f["not_principals"]); err != nil {
			return nil, fmt.Errorf("statement %d not_principals: %w", i, err)
		}
		if st.Condition, err = conditions(f["condition"]); err != nil {
			return nil, fmt.Errorf("statement %d condition: %w", i, err)
		}
		p.Statement = append(p.Statement, st)
	}
	return p, nil
}

func principals(v tftypes.Value) (map[string]any, error) {
	blocks, err := objects(v)
	if err != nil || len(blocks) == 0 {
		return nil, err
	}
	out := map[string]any{}
	for _, b := range blocks {
		typ := stringOr(b["type"], "")
		ids := stringSet(b["identifiers"])
		if typ == "*" {
			out = map[string]any{"*": "*"}
			continue
		}
		if prev, ok := out[typ]; ok {
			ids = append(ids, asStrings(prev)...)
			slices.Sort(ids)
		}
		out[typ] = oneOrMany(ids)
	}
	return out, nil
}

func conditions(v tftypes.Value) (map[string]map[string]any, error) {
	blocks, err := objects(v)
	if err != nil || len(blocks) == 0 {
		return nil, err
	}
	out := map[string]map[string]any{}
	for _, b := range blocks {
		test, variable := stringOr(b["test"], ""), stringOr(b["variable"], "")
		if test == "" || variable == "" {
			return nil, fmt.Errorf("test and variable are required")
		}
		if out[test] == nil {
			out[test] = map[string]any{}
		}
		out[test][variable] = oneOrMany(stringSet(b["values"]))
	}
	return out, nil
}

// objects returns the objects of a list or set of blocks.
func objects(v tftypes.Value) ([]map[string]tftypes.Value, error) {
	if v.IsNull() || !v.IsKnown() {
		return nil, nil
	}
	var elems []tftypes.Value
	if err := v.As(&elems); err != nil {
		return nil, err
	}
	var out []map[string]tftypes.Value
	for _, e := range elems {
		var f map[string]tftypes.Value
		if err := e.As(&f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func stringOr(v tftypes.Value, def string) string {
	if v.Type() == nil || v.IsNull() || !v.IsKnown() {
		return def
	}
	var s string
	if err := v.As(&s); err != nil || s == "" {
		return def
	}
	return s
}

// stringSet returns the elements of a list or set of strings, sorted.
func stringSet(v tftypes.Value) []string {
	if v.Type() == nil || v.IsNull() || !v.IsKnown() {
		return nil
	}
	var elems []tftypes.Value
	if err := v.As(&elems); err != nil {
		return nil
	}
	var out []string
	for _, e := range elems {
		var s string
		if err := e.As(&s); err == nil {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func oneOrMany(s []string) any {
	switch len(s) {
	case 0:
		return nil
	case 1:
		return s[0]
	}
	return s
}

func asStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	}
	return nil
}

// regionOf is the region a provider configuration names, else fallback.
func regionOf(config tftypes.Value, fallback string) string {
	if config.IsNull() || !config.IsKnown() {
		return fallback
	}
	var fields map[string]tftypes.Value
	if err := config.As(&fields); err != nil {
		return fallback
	}
	return strings.TrimSpace(stringOr(fields["region"], fallback))
}
