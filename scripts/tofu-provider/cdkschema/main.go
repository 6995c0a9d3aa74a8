// Command cdkschema derives the part of the AWS provider's schema that
// Headroom's Terraform modules use from the npm package
// @cdktf/provider-aws: the TypeScript bindings generated there from the
// provider's schema name, for every resource, data source and the
// provider block, each attribute with its type and whether it is
// required, optional or computed, and each nested block with its
// nesting. cdkschema reads that source (embedded in each compiled
// module's source map) for the provider configuration and for exactly
// the resource and data source types the .tf files under -tf declare,
// and writes them as a `providers schema -json` document, the form
// scripts/tofu-provider serves.
//
// What the bindings do not carry is not in the document: descriptions,
// deprecation, sensitivity, validators, and the resources' schema
// versions (0 here).
//
// With -version it prints the AWS provider version the package was
// generated from (package.json's cdktf.provider.version) instead.
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

// providerAddress is the AWS provider's key in the document; the package
// names it so too (cdktf.provider.name).
const providerAddress = "registry.terraform.io/hashicorp/aws"

type providerSchemaJSON struct {
	Provider          *schemaJSON            `json:"provider"`
	ResourceSchemas   map[string]*schemaJSON `json:"resource_schemas"`
	DataSourceSchemas map[string]*schemaJSON `json:"data_source_schemas"`
}

type documentJSON struct {
	FormatVersion   string                         `json:"format_version"`
	ProviderSchemas map[string]*providerSchemaJSON `json:"provider_schemas"`
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

// packageInfo is the part of the package's package.json cdkschema reads.
type packageInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Cdktf   struct {
		Provider struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"provider"`
	} `json:"cdktf"`
}

func readPackage(dir string) (*packageInfo, error) {
	src, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	var p packageInfo
	if err := json.Unmarshal(src, &p); err != nil {
		return nil, fmt.Errorf("%s/package.json: %w", dir, err)
	}
	if p.Cdktf.Provider.Name != providerAddress || p.Cdktf.Provider.Version == "" {
		return nil, fmt.Errorf("%s/package.json: cdktf.provider is %q %q, want %s and a version", dir, p.Cdktf.Provider.Name, p.Cdktf.Provider.Version, providerAddress)
	}
	return &p, nil
}

// moduleDir is the directory under lib/ the generator gives a type:
// aws_ecs_service is ecs-service, data source aws_region data-aws-region.
func moduleDir(kind, typ string) string {
	if kind == "data" {
		return "data-" + strings.ReplaceAll(typ, "_", "-")
	}
	return strings.ReplaceAll(strings.TrimPrefix(typ, "aws_"), "_", "-")
}

// loadType derives the schema of one resource ("resource") or data
// source ("data") type from the package at pkg.
func loadType(pkg, kind, typ string) (*schemaJSON, error) {
	path := filepath.Join(pkg, "lib", moduleDir(kind, typ), "index.js")
	src, err := readSource(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, typ, err)
	}
	b, err := parseBinding(src)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s: %w", kind, typ, path, err)
	}
	want := map[string]string{"resource": "TerraformResource", "data": "TerraformDataSource"}[kind]
	if b.tfType != typ || b.base != want {
		return nil, fmt.Errorf("%s %s: %s is %s of %q", kind, typ, path, b.base, b.tfType)
	}
	s, err := b.schema()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, typ, err)
	}
	return s, nil
}

func loadProvider(pkg string) (*schemaJSON, error) {
	path := filepath.Join(pkg, "lib", "provider", "index.js")
	src, err := readSource(path)
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	b, err := parseBinding(src)
	if err != nil {
		return nil, fmt.Errorf("provider: %s: %w", path, err)
	}
	if b.base != "TerraformProvider" {
		return nil, fmt.Errorf("provider: %s is %s", path, b.base)
	}
	return b.schema()
}

// derive builds the document for the given types.
func derive(pkg string, resources, data []string) (*documentJSON, error) {
	ps := &providerSchemaJSON{ResourceSchemas: map[string]*schemaJSON{}, DataSourceSchemas: map[string]*schemaJSON{}}
	var err error
	if ps.Provider, err = loadProvider(pkg); err != nil {
		return nil, err
	}
	for _, r := range resources {
		if ps.ResourceSchemas[r], err = loadType(pkg, "resource", r); err != nil {
			return nil, err
		}
	}
	for _, d := range data {
		if ps.DataSourceSchemas[d], err = loadType(pkg, "data", d); err != nil {
			return nil, err
		}
	}
	return &documentJSON{FormatVersion: "1.0", ProviderSchemas: map[string]*providerSchemaJSON{providerAddress: ps}}, nil
}

func run() error {
	pkg := flag.String("pkg", "", "the installed package: a node_modules/@cdktf/provider-aws directory")
	tfDir := flag.String("tf", "terraform", "the Terraform directory whose types to keep")
	out := flag.String("o", "", "output file (default standard output)")
	version := flag.Bool("version", false, "print the AWS provider version the package was generated from, and exit")
	flag.Parse()
	if *pkg == "" {
		return fmt.Errorf("-pkg: required")
	}
	info, err := readPackage(*pkg)
	if err != nil {
		return err
	}
	if *version {
		fmt.Println(info.Cdktf.Provider.Version)
		return nil
	}
	resources, data, err := usedTypes(*tfDir)
	if err != nil {
		return err
	}
	doc, err := derive(*pkg, resources, data)
	if err != nil {
		return err
	}
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
	fmt.Fprintf(os.Stderr, "cdkschema: %s %s (hashicorp/aws %s): the provider, %d resource types, %d data sources\n",
		info.Name, info.Version, info.Cdktf.Provider.Version, len(resources), len(data))
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cdkschema:", err)
		os.Exit(1)
	}
}
