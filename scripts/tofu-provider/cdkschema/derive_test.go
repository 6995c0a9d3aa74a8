package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// normalize round-trips v through JSON so that documents compare by
// value.
func normalize(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchema(t *testing.T) {
	for _, tc := range []struct {
		source, want string
	}{
		{"widget.ts", readFixture(t, "widget.json")},
		{"provider.ts", readFixture(t, "provider.json")},
		{"gadget.ts", `{"version": 0, "block": {"attributes": {
			"account_id": {"type": "string", "computed": true},
			"enabled": {"type": "bool", "computed": true},
			"region": {"type": "string", "optional": true, "computed": true}}}}`},
	} {
		t.Run(tc.source, func(t *testing.T) {
			b, err := parseBinding(readFixture(t, tc.source))
			if err != nil {
				t.Fatal(err)
			}
			s, err := b.schema()
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if got := normalize(t, s); !reflect.DeepEqual(got, want) {
				gotJSON, _ := json.MarshalIndent(got, "", "  ")
				t.Errorf("schema:\n%s\nwant the one in the test", gotJSON)
			}
		})
	}
}

func TestSchemaRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"an unknown storage type", `storageClassType: "number",
      },
      tags: {`, `storageClassType: "decimal",
      },
      tags: {`, `size: simple attribute of storage "decimal"`},
		{"an input the class annotates but never writes", `      size: {
        value: cdktf.numberToHclTerraform(this._size),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
`, "", "size: an input the class annotates is not in WidgetToHclTerraform"},
		{"a member missing from the interface", "  readonly size?: number;\n", "", "size: interface WidgetConfig has no member size"},
		{"a block with no converter", "widgetRuleToHclTerraform, true", "ruleMapper, true", "rule: no struct converter"},
		{"a block whose converter is missing", "widgetRuleToHclTerraform, true", "widgetRulzToHclTerraform, true", "rule: no ToHclTerraform for WidgetRulz"},
		{"a computed-only attribute with no typed getter", "return this.getStringAttribute('arn');", "return this.arnValue;", "arn: no getter that gives its type"},
		{"a block of an unknown type", `type: "struct",`, `type: "tuple",`, `timeouts: block of type "tuple"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := readFixture(t, "widget.ts")
			mutated := strings.Replace(src, tc.old, tc.new, 1)
			if mutated == src {
				t.Fatalf("the fixture has no %q to replace", tc.old)
			}
			b, err := parseBinding(mutated)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.schema()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// compiled returns a stand-in for a compiled index.js: some code and the
// TypeScript in an inline source map, as tsc writes it.
func compiled(ts string, sources int) string {
	contents := make([]string, sources)
	for i := range contents {
		contents[i] = ts
	}
	sm, _ := json.Marshal(map[string]any{"version": 3, "sources": make([]string, sources), "sourcesContent": contents})
	return "\"use strict\";\nexports.X = void 0;\n//# sourceMappingURL=data:application/json;base64," + base64.StdEncoding.EncodeToString(sm) + "\n"
}

func TestReadSource(t *testing.T) {
	ts := readFixture(t, "gadget.ts")
	for _, tc := range []struct {
		name, file, content, want, wantErr string
	}{
		{"a TypeScript file", "a.ts", ts, ts, ""},
		{"a compiled module", "index.js", compiled(ts, 1), ts, ""},
		{"no source map", "index.js", "\"use strict\";\n", "", "no inline source map"},
		{"two sources", "index.js", compiled(ts, 2), "", "source map has 2 sources, want 1"},
		{"a broken source map", "index.js", "//# sourceMappingURL=data:application/json;base64,e30K!\n", "", "source map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readSource(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("readSource = %d bytes, %v; want the %d bytes of the fixture", len(got), err, len(tc.want))
			}
		})
	}
}

// writePackage lays out a package with the generator's directory names.
func writePackage(t *testing.T, packageJSON string, modules map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(packageJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, fixture := range modules {
		if err := os.MkdirAll(filepath.Join(dir, "lib", name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "lib", name, "index.js"), []byte(compiled(readFixture(t, fixture), 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const testPackageJSON = `{"name": "@cdktf/provider-aws", "version": "1.2.3",
	"cdktf": {"provider": {"name": "registry.terraform.io/hashicorp/aws", "version": "6.1.0"}}}`

func TestDerive(t *testing.T) {
	pkg := writePackage(t, testPackageJSON, map[string]string{
		"provider": "provider.ts", "widget": "widget.ts", "data-aws-gadget": "gadget.ts",
	})
	tf := t.TempDir()
	main := "resource \"aws_widget\" \"a\" {\n  name = \"a\"\n}\n\ndata \"aws_gadget\" \"b\" {}\nresource \"aws_widget\" \"c\" {}\n"
	if err := os.WriteFile(filepath.Join(tf, "main.tf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	// A module cache of init's is no part of the configuration.
	if err := os.MkdirAll(filepath.Join(tf, ".terraform", "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tf, ".terraform", "modules", "x.tf"), []byte(`resource "aws_absent" "x" {}`), 0o644); err != nil {
		t.Fatal(err)
	}
	resources, data, err := usedTypes(tf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(resources, []string{"aws_widget"}) || !reflect.DeepEqual(data, []string{"aws_gadget"}) {
		t.Fatalf("usedTypes = %v, %v; want [aws_widget], [aws_gadget]", resources, data)
	}
	doc, err := derive(pkg, resources, data)
	if err != nil {
		t.Fatal(err)
	}
	ps := doc.ProviderSchemas[providerAddress]
	if ps == nil || ps.Provider == nil || ps.ResourceSchemas["aws_widget"] == nil || ps.DataSourceSchemas["aws_gadget"] == nil || len(ps.ResourceSchemas) != 1 || len(ps.DataSourceSchemas) != 1 {
		t.Fatalf("document %+v: want the provider, aws_widget and aws_gadget only", ps)
	}
	if got := ps.ResourceSchemas["aws_widget"].Block.Attributes["name"]; got == nil || !got.Required {
		t.Errorf("aws_widget.name = %+v, want required", got)
	}

	info, err := readPackage(pkg)
	if err != nil || info.Cdktf.Provider.Version != "6.1.0" {
		t.Errorf("readPackage = %+v, %v; want provider version 6.1.0", info, err)
	}
}

func TestDeriveRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, packageJSON string
		modules           map[string]string
		resources, data   []string
		want              string
	}{
		{"a type the package lacks", testPackageJSON, map[string]string{"provider": "provider.ts"},
			[]string{"aws_widget"}, nil, "resource aws_widget:"},
		{"a module of another type", testPackageJSON, map[string]string{"provider": "provider.ts", "widget": "gadget.ts"},
			[]string{"aws_widget"}, nil, `is TerraformDataSource of "aws_gadget"`},
		{"a data source served as a resource", testPackageJSON, map[string]string{"provider": "provider.ts", "data-aws-widget": "widget.ts"},
			nil, []string{"aws_widget"}, `is TerraformResource of "aws_widget"`},
		{"no provider", testPackageJSON, map[string]string{"widget": "widget.ts"},
			[]string{"aws_widget"}, nil, "provider:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkg := writePackage(t, tc.packageJSON, tc.modules)
			_, err := derive(pkg, tc.resources, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReadPackageRefuses(t *testing.T) {
	for _, tc := range []struct{ name, packageJSON, want string }{
		{"another provider", `{"cdktf": {"provider": {"name": "registry.terraform.io/hashicorp/google", "version": "6.1.0"}}}`, "want registry.terraform.io/hashicorp/aws"},
		{"no provider version", `{"cdktf": {"provider": {"name": "registry.terraform.io/hashicorp/aws"}}}`, "and a version"},
		{"not JSON", `{`, "package.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readPackage(writePackage(t, tc.packageJSON, nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
