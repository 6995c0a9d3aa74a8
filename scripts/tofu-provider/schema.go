package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// providerAddress is the key of the AWS provider in a `providers schema
// -json` document, as Terraform writes it.
const providerAddress = "registry.terraform.io/hashicorp/aws"

// document is the part of a `providers schema -json` document this
// provider reads.
type document struct {
	FormatVersion   string                     `json:"format_version"`
	ProviderSchemas map[string]*providerSchema `json:"provider_schemas"`
}

type providerSchema struct {
	Provider          *schema            `json:"provider"`
	ResourceSchemas   map[string]*schema `json:"resource_schemas"`
	DataSourceSchemas map[string]*schema `json:"data_source_schemas"`
}

type schema struct {
	Version int64  `json:"version"`
	Block   *block `json:"block"`
}

type block struct {
	Attributes      map[string]*attribute `json:"attributes,omitempty"`
	BlockTypes      map[string]*blockType `json:"block_types,omitempty"`
	Description     string                `json:"description,omitempty"`
	DescriptionKind string                `json:"description_kind,omitempty"`
	Deprecated      bool                  `json:"deprecated,omitempty"`
}

type attribute struct {
	Type            json.RawMessage `json:"type,omitempty"`
	NestedType      *nestedType     `json:"nested_type,omitempty"`
	Description     string          `json:"description,omitempty"`
	DescriptionKind string          `json:"description_kind,omitempty"`
	Required        bool            `json:"required,omitempty"`
	Optional        bool            `json:"optional,omitempty"`
	Computed        bool            `json:"computed,omitempty"`
	Sensitive       bool            `json:"sensitive,omitempty"`
	Deprecated      bool            `json:"deprecated,omitempty"`
	WriteOnly       bool            `json:"write_only,omitempty"`
}

type nestedType struct {
	Attributes  map[string]*attribute `json:"attributes"`
	NestingMode string                `json:"nesting_mode"`
	MinItems    int64                 `json:"min_items,omitempty"`
	MaxItems    int64                 `json:"max_items,omitempty"`
}

type blockType struct {
	NestingMode string `json:"nesting_mode"`
	Block       *block `json:"block"`
	MinItems    int64  `json:"min_items,omitempty"`
	MaxItems    int64  `json:"max_items,omitempty"`
}

// loadDocument reads a `providers schema -json` document and returns the
// AWS provider's part of it.
func loadDocument(path string) (*providerSchema, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseDocument(src)
}

func parseDocument(src []byte) (*providerSchema, error) {
	var doc document
	dec := json.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("schema document: %w", err)
	}
	ps, ok := doc.ProviderSchemas[providerAddress]
	if !ok {
		return nil, fmt.Errorf("schema document: no provider_schemas[%q]", providerAddress)
	}
	if ps.Provider == nil || ps.Provider.Block == nil {
		return nil, fmt.Errorf("schema document: %s has no provider block", providerAddress)
	}
	for kind, m := range map[string]map[string]*schema{"resource_schemas": ps.ResourceSchemas, "data_source_schemas": ps.DataSourceSchemas} {
		for name, s := range m {
			if s == nil || s.Block == nil {
				return nil, fmt.Errorf("schema document: %s.%s has no block", kind, name)
			}
		}
	}
	return ps, nil
}

// parseType reads a type in Terraform's JSON form ("string",
// ["list","string"], ["object",{"a":"number"}], ["tuple",[...]]).
func parseType(raw json.RawMessage) (tftypes.Type, error) {
	var prim string
	if err := json.Unmarshal(raw, &prim); err == nil {
		switch prim {
		case "string":
			return tftypes.String, nil
		case "number":
			return tftypes.Number, nil
		case "bool":
			return tftypes.Bool, nil
		case "dynamic":
			return tftypes.DynamicPseudoType, nil
		}
		return nil, fmt.Errorf("unknown primitive type %q", prim)
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return nil, fmt.Errorf("type %s: want a name or a [kind, element] pair", raw)
	}
	var kind string
	if err := json.Unmarshal(pair[0], &kind); err != nil {
		return nil, fmt.Errorf("type %s: %w", raw, err)
	}
	switch kind {
	case "list", "set", "map":
		elem, err := parseType(pair[1])
		if err != nil {
			return nil, err
		}
		switch kind {
		case "list":
			return tftypes.List{ElementType: elem}, nil
		case "set":
			return tftypes.Set{ElementType: elem}, nil
		}
		return tftypes.Map{ElementType: elem}, nil
	case "object":
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(pair[1], &fields); err != nil {
			return nil, fmt.Errorf("type %s: %w", raw, err)
		}
		obj := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
		for k, f := range fields {
			t, err := parseType(f)
			if err != nil {
				return nil, err
			}
			obj.AttributeTypes[k] = t
		}
		return obj, nil
	case "tuple":
		var elems []json.RawMessage
		if err := json.Unmarshal(pair[1], &elems); err != nil {
			return nil, fmt.Errorf("type %s: %w", raw, err)
		}
		tup := tftypes.Tuple{}
		for _, e := range elems {
			t, err := parseType(e)
			if err != nil {
				return nil, err
			}
			tup.ElementTypes = append(tup.ElementTypes, t)
		}
		return tup, nil
	}
	return nil, fmt.Errorf("type %s: unknown kind %q", raw, kind)
}

// objectType is the type of a value of block b.
func (b *block) objectType() (tftypes.Object, error) {
	obj := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
	for name, a := range b.Attributes {
		t, err := a.valueType()
		if err != nil {
			return obj, fmt.Errorf("attribute %s: %w", name, err)
		}
		obj.AttributeTypes[name] = t
	}
	for name, bt := range b.BlockTypes {
		inner, err := bt.Block.objectType()
		if err != nil {
			return obj, fmt.Errorf("block %s: %w", name, err)
		}
		switch bt.NestingMode {
		case "single", "group":
			obj.AttributeTypes[name] = inner
		case "list":
			obj.AttributeTypes[name] = tftypes.List{ElementType: inner}
		case "set":
			obj.AttributeTypes[name] = tftypes.Set{ElementType: inner}
		case "map":
			obj.AttributeTypes[name] = tftypes.Map{ElementType: inner}
		default:
			return obj, fmt.Errorf("block %s: unknown nesting mode %q", name, bt.NestingMode)
		}
	}
	return obj, nil
}

func (a *attribute) valueType() (tftypes.Type, error) {
	if a.NestedType == nil {
		return parseType(a.Type)
	}
	inner := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
	for name, na := range a.NestedType.Attributes {
		t, err := na.valueType()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		inner.AttributeTypes[name] = t
	}
	switch a.NestedType.NestingMode {
	case "single":
		return inner, nil
	case "list":
		return tftypes.List{ElementType: inner}, nil
	case "set":
		return tftypes.Set{ElementType: inner}, nil
	case "map":
		return tftypes.Map{ElementType: inner}, nil
	}
	return nil, fmt.Errorf("unknown nesting mode %q", a.NestedType.NestingMode)
}

// proto converts s to the plugin protocol's form.
func (s *schema) proto() (*tfprotov6.Schema, error) {
	b, err := s.Block.proto()
	if err != nil {
		return nil, err
	}
	b.Version = s.Version
	return &tfprotov6.Schema{Version: s.Version, Block: b}, nil
}

func stringKind(k string) tfprotov6.StringKind {
	if k == "markdown" {
		return tfprotov6.StringKindMarkdown
	}
	return tfprotov6.StringKindPlain
}

func (b *block) proto() (*tfprotov6.SchemaBlock, error) {
	out := &tfprotov6.SchemaBlock{
		Description:     b.Description,
		DescriptionKind: stringKind(b.DescriptionKind),
		Deprecated:      b.Deprecated,
	}
	for _, name := range sortedKeys(b.Attributes) {
		pa, err := b.Attributes[name].proto(name)
		if err != nil {
			return nil, err
		}
		out.Attributes = append(out.Attributes, pa)
	}
	for _, name := range sortedKeys(b.BlockTypes) {
		bt := b.BlockTypes[name]
		inner, err := bt.Block.proto()
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		nb := &tfprotov6.SchemaNestedBlock{TypeName: name, Block: inner, MinItems: bt.MinItems, MaxItems: bt.MaxItems}
		switch bt.NestingMode {
		case "single":
			nb.Nesting = tfprotov6.SchemaNestedBlockNestingModeSingle
		case "group":
			nb.Nesting = tfprotov6.SchemaNestedBlockNestingModeGroup
		case "list":
			nb.Nesting = tfprotov6.SchemaNestedBlockNestingModeList
		case "set":
			nb.Nesting = tfprotov6.SchemaNestedBlockNestingModeSet
		case "map":
			nb.Nesting = tfprotov6.SchemaNestedBlockNestingModeMap
		default:
			return nil, fmt.Errorf("block %s: unknown nesting mode %q", name, bt.NestingMode)
		}
		out.BlockTypes = append(out.BlockTypes, nb)
	}
	return out, nil
}

func (a *attribute) proto(name string) (*tfprotov6.SchemaAttribute, error) {
	out := &tfprotov6.SchemaAttribute{
		Name:            name,
		Description:     a.Description,
		DescriptionKind: stringKind(a.DescriptionKind),
		Required:        a.Required,
		Optional:        a.Optional,
		Computed:        a.Computed,
		Sensitive:       a.Sensitive,
		Deprecated:      a.Deprecated,
		WriteOnly:       a.WriteOnly,
	}
	if a.NestedType == nil {
		t, err := parseType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		out.Type = t
		return out, nil
	}
	obj := &tfprotov6.SchemaObject{}
	switch a.NestedType.NestingMode {
	case "single":
		obj.Nesting = tfprotov6.SchemaObjectNestingModeSingle
	case "list":
		obj.Nesting = tfprotov6.SchemaObjectNestingModeList
	case "set":
		obj.Nesting = tfprotov6.SchemaObjectNestingModeSet
	case "map":
		obj.Nesting = tfprotov6.SchemaObjectNestingModeMap
	default:
		return nil, fmt.Errorf("attribute %s: unknown nesting mode %q", name, a.NestedType.NestingMode)
	}
	for _, n := range sortedKeys(a.NestedType.Attributes) {
		pa, err := a.NestedType.Attributes[n].proto(n)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		obj.Attributes = append(obj.Attributes, pa)
	}
	out.NestedType = obj
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
