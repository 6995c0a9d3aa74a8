package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestUsedTypes(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"main.tf":              "data \"aws_region\" \"current\" {}\nresource \"aws_iam_role\" \"a\" {}\nresource \"aws_iam_role\" \"b\" {}\n",
		"modules/x/x.tf":       "resource \"aws_ecs_service\" \"this\" {\n  name = \"resource \\\"aws_fake\\\" \\\"x\\\"\"\n}\n",
		".terraform/m/skip.tf": "resource \"aws_skipped\" \"x\" {}\n",
		"notes.md":             "resource \"aws_not_terraform\" \"x\" {}\n",
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	resources, data, err := usedTypes(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aws_ecs_service", "aws_iam_role"}; !slices.Equal(resources, want) {
		t.Errorf("resources %v, want %v", resources, want)
	}
	if want := []string{"aws_region"}; !slices.Equal(data, want) {
		t.Errorf("data sources %v, want %v", data, want)
	}
}

func TestFromFull(t *testing.T) {
	ps, err := fromFull("../testdata/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if ps.Provider == nil || ps.ResourceSchemas["aws_thing"] == nil || ps.DataSourceSchemas["aws_region"] == nil {
		t.Errorf("missing parts: %+v", ps)
	}
	if _, err := fromFull("main.go"); err == nil {
		t.Error("a file that is not JSON was accepted")
	}
}
