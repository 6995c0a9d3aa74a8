package main

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func testServer(t *testing.T) *server {
	t.Helper()
	ps, err := loadDocument("testdata/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := newServer(ps)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func dynamic(t *testing.T, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func strSet(ss ...string) tftypes.Value {
	var vs []tftypes.Value
	for _, s := range ss {
		vs = append(vs, str(s))
	}
	return tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, vs)
}

// object fills every attribute of typ that fields leaves out with null.
func object(typ tftypes.Object, fields map[string]tftypes.Value) tftypes.Value {
	all := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		if v, ok := fields[name]; ok {
			all[name] = v
		} else {
			all[name] = tftypes.NewValue(at, nil)
		}
	}
	return tftypes.NewValue(typ, all)
}

func TestParseType(t *testing.T) {
	tests := []struct {
		json string
		want tftypes.Type
		ok   bool
	}{
		{`"string"`, tftypes.String, true},
		{`"number"`, tftypes.Number, true},
		{`"dynamic"`, tftypes.DynamicPseudoType, true},
		{`["list","string"]`, tftypes.List{ElementType: tftypes.String}, true},
		{`["set",["map","bool"]]`, tftypes.Set{ElementType: tftypes.Map{ElementType: tftypes.Bool}}, true},
		{`["object",{"a":"number"}]`, tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": tftypes.Number}}, true},
		{`["tuple",["string","bool"]]`, tftypes.Tuple{ElementTypes: []tftypes.Type{tftypes.String, tftypes.Bool}}, true},
		{`"text"`, nil, false},
		{`["list"]`, nil, false},
		{`["bag","string"]`, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.json, func(t *testing.T) {
			got, err := parseType(json.RawMessage(tc.json))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %t", err, tc.ok)
			}
			if tc.ok && !got.Equal(tc.want) {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSchemaServed(t *testing.T) {
	s := testServer(t)
	resp, err := s.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	thing := resp.ResourceSchemas["aws_thing"]
	if thing == nil || thing.Version != 1 {
		t.Fatalf("aws_thing: %+v", thing)
	}
	var names []string
	for _, a := range thing.Block.Attributes {
		names = append(names, a.Name)
	}
	if want := []string{"arn", "name", "size", "tags", "tags_all"}; !reflect.DeepEqual(names, want) {
		t.Errorf("attributes %v, want %v (sorted)", names, want)
	}
	if len(thing.Block.BlockTypes) != 1 || thing.Block.BlockTypes[0].Nesting != tfprotov6.SchemaNestedBlockNestingModeList {
		t.Errorf("block types %+v", thing.Block.BlockTypes)
	}
	if name := resp.DataSourceSchemas["aws_region"].Block.Attributes[1]; name.Name != "name" || !name.Deprecated {
		t.Errorf("aws_region.name = %+v, want deprecated", name)
	}
}

// TestPlanLeavesComputedUnknown checks that a create is planned with the
// configuration's values and every computed attribute it leaves null
// unknown, in nested blocks too.
func TestPlanLeavesComputedUnknown(t *testing.T) {
	s := testServer(t)
	typ := s.resources["aws_thing"]
	settingType := typ.AttributeTypes["setting"].(tftypes.List).ElementType.(tftypes.Object)
	proposed := object(typ, map[string]tftypes.Value{
		"name": str("web"),
		"size": tftypes.NewValue(tftypes.Number, 3),
		"setting": tftypes.NewValue(typ.AttributeTypes["setting"], []tftypes.Value{
			object(settingType, map[string]tftypes.Value{"value": str("on")}),
		}),
	})
	resp, err := s.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName:         "aws_thing",
		ProposedNewState: dynamic(t, typ, proposed),
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("plan: %v %v", err, resp.Diagnostics)
	}
	planned, err := resp.PlannedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]tftypes.Value
	if err := planned.As(&f); err != nil {
		t.Fatal(err)
	}
	for name, wantKnown := range map[string]bool{"arn": false, "tags_all": false, "name": true, "size": true, "tags": true} {
		if f[name].IsKnown() != wantKnown {
			t.Errorf("%s known = %t, want %t", name, f[name].IsKnown(), wantKnown)
		}
	}
	if !f["tags"].IsNull() {
		t.Error("tags (optional, not computed) must stay null")
	}
	var settings []tftypes.Value
	if err := f["setting"].As(&settings); err != nil || len(settings) != 1 {
		t.Fatalf("setting: %v", err)
	}
	var sf map[string]tftypes.Value
	if err := settings[0].As(&sf); err != nil {
		t.Fatal(err)
	}
	if sf["id"].IsKnown() || !sf["value"].Equal(str("on")) {
		t.Errorf("setting = %v, want value on and id unknown", settings[0])
	}
}

func TestApplyIsRefused(t *testing.T) {
	resp, err := testServer(t).ApplyResourceChange(context.Background(), &tfprotov6.ApplyResourceChangeRequest{TypeName: "aws_thing"})
	if err != nil || len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError {
		t.Errorf("apply: %v %v, want one error", err, resp.Diagnostics)
	}
}

func TestRegion(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		config   string
		want     string
	}{
		{"default", "", "", defaultRegion},
		{"from the provider block", "eu-west-1", "", "eu-west-1"},
		{"from the data source", "eu-west-1", "ap-south-1", "ap-south-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", "")
			s := testServer(t)
			pcfg := map[string]tftypes.Value{}
			if tc.provider != "" {
				pcfg["region"] = str(tc.provider)
			}
			if _, err := s.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{Config: dynamic(t, s.provider, object(s.provider, pcfg))}); err != nil {
				t.Fatal(err)
			}
			typ := s.data["aws_region"]
			cfg := map[string]tftypes.Value{}
			if tc.config != "" {
				cfg["region"] = str(tc.config)
			}
			resp, err := s.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "aws_region", Config: dynamic(t, typ, object(typ, cfg))})
			if err != nil || len(resp.Diagnostics) > 0 {
				t.Fatalf("read: %v %v", err, resp.Diagnostics)
			}
			state, _ := resp.State.Unmarshal(typ)
			var f map[string]tftypes.Value
			_ = state.As(&f)
			for _, attr := range []string{"region", "name", "id"} {
				if !f[attr].Equal(str(tc.want)) {
					t.Errorf("%s = %v, want %s", attr, f[attr], tc.want)
				}
			}
		})
	}
}

// TestPolicyDocument renders a document as aws_iam_policy_document does:
// one value as a string, several as a sorted list, Allow by default.
func TestPolicyDocument(t *testing.T) {
	s := testServer(t)
	typ := s.data["aws_iam_policy_document"]
	stmtList := typ.AttributeTypes["statement"].(tftypes.List)
	stmtType := stmtList.ElementType.(tftypes.Object)
	prType := stmtType.AttributeTypes["principals"].(tftypes.Set)
	condType := stmtType.AttributeTypes["condition"].(tftypes.Set)
	cfg := object(typ, map[string]tftypes.Value{
		"statement": tftypes.NewValue(stmtList, []tftypes.Value{
			object(stmtType, map[string]tftypes.Value{
				"sid":     str("Trust"),
				"actions": strSet("sts:AssumeRole"),
				"principals": tftypes.NewValue(prType, []tftypes.Value{
					object(prType.ElementType.(tftypes.Object), map[string]tftypes.Value{"type": str("AWS"), "identifiers": strSet("arn:aws:iam::111122223333:role/h")}),
				}),
				"condition": tftypes.NewValue(condType, []tftypes.Value{
					object(condType.ElementType.(tftypes.Object), map[string]tftypes.Value{
						"test": str("StringEquals"), "variable": str("sts:ExternalId"),
						"values": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{str("x1")}),
					}),
				}),
			}),
			object(stmtType, map[string]tftypes.Value{
				"effect":    str("Deny"),
				"actions":   strSet("sqs:GetQueueUrl", "sqs:GetQueueAttributes"),
				"resources": strSet("*"),
			}),
		}),
	})
	resp, err := s.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "aws_iam_policy_document", Config: dynamic(t, typ, cfg)})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("read: %v %v", err, resp.Diagnostics)
	}
	state, _ := resp.State.Unmarshal(typ)
	var f map[string]tftypes.Value
	_ = state.As(&f)
	var got string
	if err := f["minified_json"].As(&got); err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Trust","Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::111122223333:role/h"},"Condition":{"StringEquals":{"sts:ExternalId":"x1"}}},` +
		`{"Effect":"Deny","Action":["sqs:GetQueueAttributes","sqs:GetQueueUrl"],"Resource":"*"}]}`
	if got != want {
		t.Errorf("minified_json\n got %s\nwant %s", got, want)
	}
	var pretty string
	_ = f["json"].As(&pretty)
	var a, b any
	if json.Unmarshal([]byte(pretty), &a) != nil || json.Unmarshal([]byte(want), &b) != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("json is not the same document: %s", pretty)
	}
}
