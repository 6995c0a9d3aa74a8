package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// A binding is one generated module of @cdktf/provider-aws (a resource,
// a data source or the provider), read from its TypeScript source.
type binding struct {
	// class is the construct class; base is what it extends
	// (TerraformResource, TerraformDataSource or TerraformProvider).
	class, base string
	// tfType is the class's static tfResourceType ("" for the provider).
	tfType string
	// interfaces holds each interface's members by camelCase name.
	interfaces map[string]map[string]member
	// synth holds the attributes each struct's ToHclTerraform function
	// writes, by struct name; the construct class's own
	// synthesizeHclAttributes is under class.
	synth map[string][]synthEntry
	// fields holds the annotated attributes of each class by snake name.
	fields map[string]map[string]*field
	// fieldOrder keeps each class's fields in source order.
	fieldOrder map[string][]string
}

// member is one `readonly name?: Type;` of an interface.
type member struct {
	optional bool
	typ      string
}

// synthEntry is one attribute of a synthesizeHclAttributes object:
// its Terraform name, the expression giving its value and the type
// information the generator recorded.
type synthEntry struct {
	name, value, kind, storage string
	isBlock                    bool
}

// field is an attribute as a class annotates it:
// `// name - computed: A, optional: B, required: C` and the code after.
type field struct {
	computed, optional, required bool
	// code is the source from the annotation to the next one.
	code string
}

var (
	sourceMapRE = regexp.MustCompile(`(?m)^//# sourceMappingURL=data:application/json;base64,(\S+)\s*$`)
	classRE     = regexp.MustCompile(`(?m)^export class (\w+) extends cdktf\.(\w+) \{$`)
	interfaceRE = regexp.MustCompile(`(?m)^export interface (\w+)(?: extends [\w.]+)? \{$`)
	funcHclRE   = regexp.MustCompile(`(?m)^export function (\w+)ToHclTerraform\(`)
	memberRE    = regexp.MustCompile(`(?m)^\s+readonly (\w+)(\??): (.+);$`)
	synthRE     = regexp.MustCompile(`(?m)^\s+(\w+): \{\n\s+value: (.+),\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n\s+storageClassType: "(\w+)",\n\s+\},?$`)
	fieldRE     = regexp.MustCompile(`(?m)^  // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$`)
	tfTypeRE    = regexp.MustCompile(`public static readonly tfResourceType = "(\w+)";`)
	hclFuncRE   = regexp.MustCompile(`(?:^|[^.\w])(\w+)ToHclTerraform\b`)
	accessRE    = regexp.MustCompile(`(?:struct!|this)\._?(\w+)`)
	getterRE    = regexp.MustCompile(`return (cdktf\.Fn\.tolist\()?this\.(get\w+Attribute)\('(\w+)'\)`)
	newRE       = regexp.MustCompile(`private _\w+ = new ([\w.]+)\(this, "(\w+)"(?:, (true|false))?\);`)
)

// readSource returns the TypeScript a generated module was compiled from:
// a .ts file as it is, or the source embedded in the inline source map of
// a compiled index.js.
func readSource(path string) (string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(path, ".ts") {
		return string(src), nil
	}
	m := sourceMapRE.FindSubmatch(src)
	if m == nil {
		return "", fmt.Errorf("%s: no inline source map", path)
	}
	raw, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		return "", fmt.Errorf("%s: source map: %w", path, err)
	}
	var sm struct {
		SourcesContent []string `json:"sourcesContent"`
	}
	if err := json.Unmarshal(raw, &sm); err != nil {
		return "", fmt.Errorf("%s: source map: %w", path, err)
	}
	if len(sm.SourcesContent) != 1 {
		return "", fmt.Errorf("%s: source map has %d sources, want 1", path, len(sm.SourcesContent))
	}
	return sm.SourcesContent[0], nil
}

// body returns the text from start to the first line that is a lone
// closing brace at column 0: the end of a top-level declaration.
func body(src string, start int) string {
	rest := src[start:]
	if i := strings.Index(rest, "\n}\n"); i >= 0 {
		return rest[:i+2]
	}
	return rest
}

func ucfirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parseBinding reads one generated module's TypeScript.
func parseBinding(src string) (*binding, error) {
	b := &binding{
		interfaces: map[string]map[string]member{},
		synth:      map[string][]synthEntry{},
		fields:     map[string]map[string]*field{},
		fieldOrder: map[string][]string{},
	}
	for _, m := range interfaceRE.FindAllStringSubmatchIndex(src, -1) {
		name := src[m[2]:m[3]]
		members := map[string]member{}
		for _, mm := range memberRE.FindAllStringSubmatch(body(src, m[1]), -1) {
			members[mm[1]] = member{optional: mm[2] == "?", typ: mm[3]}
		}
		b.interfaces[name] = members
	}
	for _, m := range funcHclRE.FindAllStringSubmatchIndex(src, -1) {
		b.synth[ucfirst(src[m[2]:m[3]])] = parseSynth(body(src, m[1]))
	}
	for _, m := range classRE.FindAllStringSubmatchIndex(src, -1) {
		name, base := src[m[2]:m[3]], src[m[4]:m[5]]
		text := body(src, m[1])
		switch base {
		case "TerraformResource", "TerraformDataSource", "TerraformProvider":
			if b.class != "" {
				return nil, fmt.Errorf("two construct classes, %s and %s", b.class, name)
			}
			b.class, b.base = name, base
			if t := tfTypeRE.FindStringSubmatch(text); t != nil {
				b.tfType = t[1]
			}
			i := strings.Index(text, "synthesizeHclAttributes()")
			if i < 0 {
				return nil, fmt.Errorf("class %s has no synthesizeHclAttributes", name)
			}
			b.synth[name] = parseSynth(text[i:])
		}
		fields := map[string]*field{}
		locs := fieldRE.FindAllStringSubmatchIndex(text, -1)
		for i, l := range locs {
			end := len(text)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			snake := text[l[2]:l[3]]
			fields[snake] = &field{
				computed: text[l[4]:l[5]] == "true",
				optional: text[l[6]:l[7]] == "true",
				required: text[l[8]:l[9]] == "true",
				code:     text[l[1]:end],
			}
			b.fieldOrder[name] = append(b.fieldOrder[name], snake)
		}
		b.fields[name] = fields
	}
	if b.class == "" {
		return nil, fmt.Errorf("no class extends cdktf.TerraformResource, TerraformDataSource or TerraformProvider")
	}
	return b, nil
}

func parseSynth(text string) []synthEntry {
	// The object literal ends at the filter that drops undefined values.
	if i := strings.Index(text, "// remove undefined attributes"); i >= 0 {
		text = text[:i]
	}
	var out []synthEntry
	for _, m := range synthRE.FindAllStringSubmatch(text, -1) {
		out = append(out, synthEntry{name: m[1], value: m[2], isBlock: m[3] == "true", kind: m[4], storage: m[5]})
	}
	return out
}

// The schema in the form of `providers schema -json`.
type (
	schemaJSON struct {
		Version int64      `json:"version"`
		Block   *blockJSON `json:"block"`
	}
	blockJSON struct {
		Attributes map[string]*attrJSON      `json:"attributes,omitempty"`
		BlockTypes map[string]*blockTypeJSON `json:"block_types,omitempty"`
	}
	attrJSON struct {
		Type       any             `json:"type,omitempty"`
		NestedType *nestedTypeJSON `json:"nested_type,omitempty"`
		Required   bool            `json:"required,omitempty"`
		Optional   bool            `json:"optional,omitempty"`
		Computed   bool            `json:"computed,omitempty"`
	}
	nestedTypeJSON struct {
		Attributes  map[string]*attrJSON `json:"attributes"`
		NestingMode string               `json:"nesting_mode"`
	}
	blockTypeJSON struct {
		NestingMode string     `json:"nesting_mode"`
		Block       *blockJSON `json:"block"`
		MinItems    int64      `json:"min_items,omitempty"`
		MaxItems    int64      `json:"max_items,omitempty"`
	}
)

// schema derives the binding's schema: that of the resource, data
// source or provider configuration it was generated from.
func (b *binding) schema() (*schemaJSON, error) {
	iface := b.class + "Config"
	blk, err := b.block(b.class, iface, b.class, map[string]bool{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.class, err)
	}
	if b.base == "TerraformProvider" {
		// alias is a meta-argument the generator adds to the provider's
		// configuration; the provider's schema has no such attribute.
		delete(blk.Attributes, "alias")
	}
	// The schema version is not in the bindings; with no state to
	// upgrade, 0 serves.
	return &schemaJSON{Version: 0, Block: blk}, nil
}

// block derives a block from the attributes synth writes (the inputs:
// types, nesting, which are blocks), the interface iface (required or
// optional) and the annotations of class (computed, and the computed-only
// attributes, which neither of the others has). seen guards against a
// struct that contains itself.
func (b *binding) block(synthKey, iface, class string, seen map[string]bool) (*blockJSON, error) {
	entries, ok := b.synth[synthKey]
	if !ok {
		return nil, fmt.Errorf("no ToHclTerraform for %s", synthKey)
	}
	members, ok := b.interfaces[iface]
	if !ok {
		return nil, fmt.Errorf("no interface %s", iface)
	}
	fields := b.fields[class] // nil for provider structs: no classes
	out := &blockJSON{Attributes: map[string]*attrJSON{}, BlockTypes: map[string]*blockTypeJSON{}}
	for _, e := range entries {
		am := accessRE.FindStringSubmatch(e.value)
		if am == nil {
			return nil, fmt.Errorf("%s: no member in value %q", e.name, e.value)
		}
		mem, ok := members[am[1]]
		if !ok {
			return nil, fmt.Errorf("%s: interface %s has no member %s", e.name, iface, am[1])
		}
		f := fields[e.name]
		if e.isBlock && f != nil && f.computed {
			// A block has no computed flag in the schema, so this is an
			// attribute of object values that the generator lets one
			// write as blocks (the provider's "attributes as blocks").
			t, err := b.objectsAttribute(e, seen)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.name, err)
			}
			out.Attributes[e.name] = &attrJSON{Type: t, Required: f.required, Optional: f.optional, Computed: true}
			continue
		}
		if e.isBlock {
			bt, err := b.blockType(e, mem, seen)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.name, err)
			}
			if !mem.optional || (f != nil && f.required) {
				bt.MinItems = 1
			}
			out.BlockTypes[e.name] = bt
			continue
		}
		a := &attrJSON{Required: !mem.optional, Optional: mem.optional}
		if f != nil {
			a.Required, a.Optional, a.Computed = f.required, f.optional, f.computed
		}
		if err := b.attrType(a, e, seen); err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
		out.Attributes[e.name] = a
	}
	// Computed-only attributes: annotated in the class, never written.
	for _, name := range b.fieldOrder[class] {
		f := fields[name]
		if _, done := out.Attributes[name]; done || out.BlockTypes[name] != nil {
			continue
		}
		if !f.computed || f.optional || f.required {
			return nil, fmt.Errorf("%s: an input the class annotates is not in %sToHclTerraform", name, synthKey)
		}
		t, err := b.computedType(name, f, seen)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out.Attributes[name] = &attrJSON{Type: t, Computed: true}
	}
	if len(out.Attributes) == 0 {
		out.Attributes = nil
	}
	if len(out.BlockTypes) == 0 {
		out.BlockTypes = nil
	}
	return out, nil
}

// structOf returns the struct a block's or nested attribute's value
// expression converts with, as in
// cdktf.listMapperHcl(fooBarToHclTerraform, true)(this._bar.internalValue).
func structOf(e synthEntry) (string, error) {
	for _, m := range hclFuncRE.FindAllStringSubmatch(e.value, -1) {
		return ucfirst(m[1]), nil
	}
	return "", fmt.Errorf("no struct converter in %q", e.value)
}

func (b *binding) nested(e synthEntry, seen map[string]bool) (*blockJSON, error) {
	s, err := structOf(e)
	if err != nil {
		return nil, err
	}
	if seen[s] {
		return nil, fmt.Errorf("struct %s contains itself", s)
	}
	seen[s] = true
	defer delete(seen, s)
	return b.block(s, s, s+"OutputReference", seen)
}

func (b *binding) blockType(e synthEntry, mem member, seen map[string]bool) (*blockTypeJSON, error) {
	inner, err := b.nested(e, seen)
	if err != nil {
		return nil, err
	}
	if inner.Attributes == nil && inner.BlockTypes == nil {
		inner = &blockJSON{}
	}
	bt := &blockTypeJSON{Block: inner}
	switch e.kind {
	case "struct":
		bt.NestingMode = "single"
	case "list", "set":
		bt.NestingMode = e.kind
		// A block of at most one is typed as the struct, not an array.
		if !strings.Contains(mem.typ, "[]") {
			bt.MaxItems = 1
		}
	default:
		return nil, fmt.Errorf("block of type %q", e.kind)
	}
	return bt, nil
}

// objectsAttribute is the type of an attribute of object values that
// the bindings write as blocks: a list or set of objects.
func (b *binding) objectsAttribute(e synthEntry, seen map[string]bool) (any, error) {
	if e.kind != "list" && e.kind != "set" {
		return nil, fmt.Errorf("computed block of type %q", e.kind)
	}
	inner, err := b.nested(e, seen)
	if err != nil {
		return nil, err
	}
	if inner.BlockTypes != nil {
		return nil, fmt.Errorf("computed block with blocks inside")
	}
	attrs := map[string]any{}
	for name, a := range inner.Attributes {
		if a.NestedType != nil {
			return nil, fmt.Errorf("computed block with nested attribute %s", name)
		}
		attrs[name] = a.Type
	}
	return []any{e.kind, []any{"object", attrs}}, nil
}

// primitive maps the generator's element storage names to Terraform's.
var primitive = map[string]string{"string": "string", "number": "number", "boolean": "bool"}

func (b *binding) attrType(a *attrJSON, e synthEntry, seen map[string]bool) error {
	if e.kind == "simple" {
		t, ok := primitive[e.storage]
		if !ok {
			return fmt.Errorf("simple attribute of storage %q", e.storage)
		}
		a.Type = t
		return nil
	}
	for _, suffix := range []string{"List", "Map"} {
		if elem, ok := primitive[strings.TrimSuffix(e.storage, suffix)]; ok && strings.HasSuffix(e.storage, suffix) {
			switch {
			case suffix == "List" && (e.kind == "list" || e.kind == "set"), suffix == "Map" && e.kind == "map":
				a.Type = []any{e.kind, elem}
				return nil
			}
			return fmt.Errorf("type %q with storage %q", e.kind, e.storage)
		}
	}
	// An attribute with nested attributes (a protocol 6 nested type).
	inner, err := b.nested(e, seen)
	if err != nil {
		return err
	}
	mode := e.kind
	if mode == "struct" {
		mode = "single"
	}
	switch mode {
	case "single", "list", "set", "map":
	default:
		return fmt.Errorf("nested attribute of type %q", e.kind)
	}
	attrs := inner.Attributes
	if attrs == nil {
		attrs = map[string]*attrJSON{}
	}
	if inner.BlockTypes != nil {
		return fmt.Errorf("nested attribute with blocks")
	}
	a.NestedType = &nestedTypeJSON{Attributes: attrs, NestingMode: mode}
	return nil
}

// getterTypes are the types of the getters a computed-only attribute of
// a primitive or primitive collection type has.
var getterTypes = map[string]any{
	"getStringAttribute":      "string",
	"getNumberAttribute":      "number",
	"getBooleanAttribute":     "bool",
	"getListAttribute":        []any{"list", "string"},
	"getNumberListAttribute":  []any{"list", "number"},
	"getStringMapAttribute":   []any{"map", "string"},
	"getNumberMapAttribute":   []any{"map", "number"},
	"getBooleanMapAttribute":  []any{"map", "bool"},
	"cdktf.StringMap":         []any{"map", "string"},
	"cdktf.NumberMap":         []any{"map", "number"},
	"cdktf.BooleanMap":        []any{"map", "bool"},
	"cdktf.StringListMap":     []any{"map", []any{"list", "string"}},
	"cdktf.NumberListMap":     []any{"map", []any{"list", "number"}},
	"cdktf.BooleanListMap":    []any{"map", []any{"list", "bool"}},
	"cdktf.AnyMap":            []any{"map", "dynamic"},
	"getAnyMapAttribute":      []any{"map", "dynamic"},
	"getBooleanListAttribute": []any{"list", "bool"},
}

// computedType derives the type of a computed-only attribute from its
// getter: a typed get…Attribute call, wrapped in Fn.tolist for a set, or
// a class instance for a map or for objects (whose class annotates their
// attributes in turn).
func (b *binding) computedType(name string, f *field, seen map[string]bool) (any, error) {
	if m := newRE.FindStringSubmatch(f.code); m != nil && m[2] == name {
		if t, ok := getterTypes[m[1]]; ok {
			return t, nil
		}
		var s, kind string
		switch {
		case strings.HasSuffix(m[1], "OutputReference"):
			s, kind = strings.TrimSuffix(m[1], "OutputReference"), ""
		case strings.HasSuffix(m[1], "List"):
			s, kind = strings.TrimSuffix(m[1], "List"), "list"
			if m[3] == "true" {
				kind = "set"
			}
		case strings.HasSuffix(m[1], "Map"):
			s, kind = strings.TrimSuffix(m[1], "Map"), "map"
		default:
			return nil, fmt.Errorf("class %s", m[1])
		}
		obj, err := b.objectType(s+"OutputReference", seen)
		if err != nil {
			return nil, err
		}
		if kind == "" {
			return obj, nil
		}
		return []any{kind, obj}, nil
	}
	if m := getterRE.FindStringSubmatch(f.code); m != nil && m[3] == name {
		t, ok := getterTypes[m[2]]
		if !ok {
			return nil, fmt.Errorf("getter %s", m[2])
		}
		if m[1] != "" {
			l, ok := t.([]any)
			if !ok || l[0] != "list" {
				return nil, fmt.Errorf("tolist of %s", m[2])
			}
			return []any{"set", l[1]}, nil
		}
		return t, nil
	}
	return nil, fmt.Errorf("no getter that gives its type")
}

// objectType is the object type of a computed-only struct, from the
// annotations of its class.
func (b *binding) objectType(class string, seen map[string]bool) (any, error) {
	fields, ok := b.fields[class]
	if !ok {
		return nil, fmt.Errorf("no class %s", class)
	}
	if seen[class] {
		return nil, fmt.Errorf("class %s contains itself", class)
	}
	seen[class] = true
	defer delete(seen, class)
	attrs := map[string]any{}
	for _, name := range b.fieldOrder[class] {
		t, err := b.computedType(name, fields[name], seen)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", class, name, err)
		}
		attrs[name] = t
	}
	return []any{"object", attrs}, nil
}
