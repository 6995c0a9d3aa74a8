// Command trimschema writes the part of the AWS provider's schema that
// Headroom's Terraform modules use: the provider configuration and the
// resource and data source types named in the .tf files under -tf.
//
// The source is either a full `providers schema -json` document (-full)
// or a directory of one schema per type (-types-dir, files named
// resource/TYPE.json and data/TYPE.json, as scripts/tofu-provider/
// regen-schema.sh extracts them) together with the provider block
// (-provider, a JSON block). Output is indented JSON with sorted keys, so
// a regenerated copy diffs cleanly.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

const providerAddress = "registry.terraform.io/hashicorp/aws"

type providerSchema struct {
	Provider          json.RawMessage            `json:"provider"`
	ResourceSchemas   map[string]json.RawMessage `json:"resource_schemas"`
	DataSourceSchemas map[string]json.RawMessage `json:"data_source_schemas"`
}

type document struct {
	FormatVersion   string                     `json:"format_version"`
	ProviderSchemas map[string]*providerSchema `json:"provider_schemas"`
}

// declRE matches a resource or data block's first line.
var declRE = regexp.MustCompile(`(?m)^(resource|data)\s+"(aws_[a-z0-9_]+)"`)

// usedTypes returns the resource and data source types declared in the
// .tf files under dir.
func usedTypes(dir string) (resources, data []string, err error) {
	seen := map[string]bool{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != dir {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".tf") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range declRE.FindAllStringSubmatch(string(src), -1) {
			key := m[1] + " " + m[2]
			if seen[key] {
				continue
			}
			seen[key] = true
			if m[1] == "resource" {
				resources = append(resources, m[2])
			} else {
				data = append(data, m[2])
			}
		}
		return nil
	})
	sort.Strings(resources)
	sort.Strings(data)
	return resources, data, err
}

func fromFull(path string) (*providerSchema, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc document
	if err := json.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ps, ok := doc.ProviderSchemas[providerAddress]
	if !ok {
		return nil, fmt.Errorf("%s: no provider_schemas[%q]", path, providerAddress)
	}
	return ps, nil
}

func fromDir(dir, providerBlock string, resources, data []string) (*providerSchema, error) {
	ps := &providerSchema{ResourceSchemas: map[string]json.RawMessage{}, DataSourceSchemas: map[string]json.RawMessage{}}
	var err error
	if ps.Provider, err = os.ReadFile(providerBlock); err != nil {
		return nil, err
	}
	read := func(kind, name string, into map[string]json.RawMessage) error {
		src, err := os.ReadFile(filepath.Join(dir, kind, name+".json"))
		if err != nil {
			return err
		}
		into[name] = src
		return nil
	}
	for _, r := range resources {
		if err := read("resource", r, ps.ResourceSchemas); err != nil {
			return nil, err
		}
	}
	for _, d := range data {
		if err := read("data", d, ps.DataSourceSchemas); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

func run() error {
	full := flag.String("full", "", "a full `providers schema -json` document")
	typesDir := flag.String("types-dir", "", "a directory of resource/TYPE.json and data/TYPE.json schemas")
	providerBlock := flag.String("provider", "", "with -types-dir: the provider configuration schema (JSON)")
	tfDir := flag.String("tf", "terraform", "the Terraform directory whose types to keep")
	out := flag.String("o", "", "output file (default standard output)")
	flag.Parse()

	resources, data, err := usedTypes(*tfDir)
	if err != nil {
		return err
	}
	var ps *providerSchema
	switch {
	case *full != "" && *typesDir == "":
		ps, err = fromFull(*full)
	case *typesDir != "" && *full == "" && *providerBlock != "":
		ps, err = fromDir(*typesDir, *providerBlock, resources, data)
	default:
		return fmt.Errorf("give -full, or -types-dir with -provider")
	}
	if err != nil {
		return err
	}
	trimmed := &providerSchema{Provider: ps.Provider, ResourceSchemas: map[string]json.RawMessage{}, DataSourceSchemas: map[string]json.RawMessage{}}
	for _, r := range resources {
		s, ok := ps.ResourceSchemas[r]
		if !ok {
			return fmt.Errorf("the schema has no resource type %s", r)
		}
		trimmed.ResourceSchemas[r] = s
	}
	for _, d := range data {
		s, ok := ps.DataSourceSchemas[d]
		if !ok {
			return fmt.Errorf("the schema has no data source type %s", d)
		}
		trimmed.DataSourceSchemas[d] = s
	}
	doc := document{FormatVersion: "1.0", ProviderSchemas: map[string]*providerSchema{providerAddress: trimmed}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if *out == "" {
		_, err = os.Stdout.Write(buf.Bytes())
		return err
	}
	fmt.Fprintf(os.Stderr, "trimschema: %d resource types, %d data sources: %s\n", len(resources), len(data), strings.Join(append(resources, data...), " "))
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "trimschema:", err)
		os.Exit(1)
	}
}
