package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// decoded is what decoding learned about the document besides the values:
// which keys it sets (for defaults), where each value sits (to put field
// paths on the decoder's line-only messages), and which fields failed to
// decode (so validation does not report them a second time).
type decoded struct {
	present *pathSet
	// refs holds the field paths of the keys and values on each line,
	// by their text; mappings and sequences have no text and are kept
	// apart from scalars. It is nil (and so is lines) until index builds
	// it for a document with type errors.
	refs map[refKey][]string
	// lines lists the scalar refKeys of each line, for messages that
	// quote only the start of a long value.
	lines   map[int][]refKey
	unknown map[string]bool // "line:key" of unknown keys already reported
	failed  map[string]bool // field paths with decode problems
	merging map[*yaml.Node]bool
	visits  int
	limit   int // of visits (visitLimit)
}

// pathSet is a set of field paths kept as 128-bit hashes with seeds of
// this process, in a slice sorted before the first lookup: a file with
// thousands of groups sets tens of thousands of keys, whose paths would
// take several MB beside the parsed tree, at the moment the daemon's
// memory peaks at start-up. Two paths colliding would take a 2^-128
// chance, or an attacker who knows the seeds.
type pathSet struct {
	seeds  [2]maphash.Seed
	keys   [][2]uint64
	sorted bool
}

func newPathSet() *pathSet {
	return &pathSet{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

func (s *pathSet) key(path string) [2]uint64 {
	return [2]uint64{maphash.String(s.seeds[0], path), maphash.String(s.seeds[1], path)}
}

func (s *pathSet) add(path string) {
	s.keys = append(s.keys, s.key(path))
	s.sorted = false
}

func (s *pathSet) has(path string) bool {
	if !s.sorted {
		slices.SortFunc(s.keys, compareKeys)
		s.sorted = true
	}
	_, ok := slices.BinarySearchFunc(s.keys, s.key(path), compareKeys)
	return ok
}

func compareKeys(a, b [2]uint64) int {
	if c := cmp.Compare(a[0], b[0]); c != 0 {
		return c
	}
	return cmp.Compare(a[1], b[1])
}

// refKey finds the keys and values of one line with one text.
type refKey struct {
	line   int
	scalar bool
	value  string
}

// maxRefs is how many fields one refKey remembers, and maxLineRefs how
// many distinct scalars one line does; beyond them a line holds too much
// to tell its values apart anyway.
const (
	maxRefs     = 8
	maxLineRefs = 64
)

// maxVisits bounds the walk over documents built from aliases; the
// decoder has its own limit, this keeps the walk from outliving it. A
// document's own values each take at least one of its bytes, so a larger
// document may visit as many values as it has bytes (visitLimit): a fleet
// of 50,000 groups is tens of MB of YAML and millions of values, none of
// them from an alias.
const maxVisits = 1 << 20

// visitLimit is the walk's bound for a document of n bytes.
func visitLimit(n int) int { return max(maxVisits, n) }

// decode parses data into c. A nil *decoded means the document could not
// be read at all (a syntax error) and Problems says why; otherwise the
// Problems are the unknown keys and bad values, and c holds everything
// else.
func decode(data []byte, c *Config) (*decoded, Problems) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		// An empty document: every key is absent.
		return &decoded{present: newPathSet(), failed: map[string]bool{}}, nil
	case err != nil:
		return nil, Problems{{Reason: yamlMessage(err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		reason := "a config file holds one YAML document; remove everything after the first \"---\" that ends it"
		if err != nil {
			reason = yamlMessage(err)
		}
		return nil, Problems{{Reason: reason}}
	}

	d := &decoded{
		limit:   visitLimit(len(data)),
		present: newPathSet(),
		unknown: map[string]bool{},
		failed:  map[string]bool{},
		merging: map[*yaml.Node]bool{},
	}
	var probs problems
	d.walk(&doc, reflect.TypeFor[Config](), "", &probs)
	if d.visits > d.limit {
		return nil, Problems{{Reason: "the document expands to too many values (aliases?)"}}
	}

	// The values are decoded from the tree already parsed rather than
	// from the text again: a second parse would hold a second tree as big
	// as the first (tens of MiB for thousands of groups). Decoding a node
	// cannot refuse unknown keys, but the walk has reported every one.
	err := doc.Decode(c)
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		// Only now are the field paths of each line needed: indexing
		// every value of a large document costs as much memory as the
		// document, so a valid one is never indexed.
		d.index(&doc)
		for _, msg := range te.Errors {
			if p, ok := d.typeProblem(msg); ok {
				probs.list = append(probs.list, p)
				d.failed[p.Field] = true
			}
		}
	case err != nil && !errors.Is(err, io.EOF):
		return nil, Problems{{Reason: yamlMessage(err)}}
	}
	return d, probs.list
}

// covers reports whether field is, or lies under, a field that failed to
// decode.
func (d *decoded) covers(field string) bool {
	if len(d.failed) == 0 {
		return false
	}
	for {
		if d.failed[field] {
			return true
		}
		if field == "" {
			return false
		}
		// Up one level: "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> "".
		field = field[:max(strings.LastIndexAny(field, ".["), 0)]
	}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// walk visits n as a value of type t at path: it reports unknown keys with
// their full path, records which keys are set and where each value is.
// Kind mismatches are left to the decoder, which reports them.
func (d *decoded) walk(n *yaml.Node, t reflect.Type, path string, probs *problems) {
	d.visits++
	if d.visits > d.limit || n == nil {
		return
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) > 0 {
			d.walk(n.Content[0], t, path, probs)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		d.walk(n.Alias, t, path, probs)
		return
	}
	d.ref(n, path)
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		d.walk(n, t.Elem(), path, probs)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			d.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), probs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			d.ref(k, p)
			d.walk(v, t.Elem(), p, probs)
		}
	case reflect.Struct:
		d.walkStruct(n, t, path, probs)
	}
}

func (d *decoded) walkStruct(n *yaml.Node, t reflect.Type, path string, probs *problems) {
	d.visits++
	if d.visits > d.limit || n.Kind != yaml.MappingNode || d.merging[n] {
		return
	}
	// A mapping can merge itself through an alias ("&a {<<: *a}"); the
	// decoder refuses that, and the walk must not loop on it first.
	d.merging[n] = true
	defer delete(d.merging, n)
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			d.walkMerge(v, t, path, probs)
			continue
		}
		p := join(path, k.Value)
		ft, ok := fields[k.Value]
		if !ok {
			probs.add(p, fmt.Sprintf("line %d: unknown key", k.Line))
			d.unknown[fmt.Sprintf("%d:%s", k.Line, k.Value)] = true
			continue
		}
		d.ref(k, p)
		if resolve(v).ShortTag() != "!!null" {
			d.present.add(p)
		}
		d.walk(v, ft, p, probs)
	}
}

// walkMerge visits the mappings of a "<<" merge key as part of the
// mapping that holds it.
func (d *decoded) walkMerge(v *yaml.Node, t reflect.Type, path string, probs *problems) {
	v = resolve(v)
	if v.Kind == yaml.SequenceNode {
		for _, item := range v.Content {
			d.walkStruct(resolve(item), t, path, probs)
		}
		return
	}
	d.walkStruct(v, t, path, probs)
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// index walks the document again to record where each value sits, for
// typeProblem; the walk's problems were reported the first time.
func (d *decoded) index(doc *yaml.Node) {
	d.refs, d.lines, d.visits = map[refKey][]string{}, map[int][]refKey{}, 0
	var again problems
	d.walk(doc, reflect.TypeFor[Config](), "", &again)
}

// ref records that n's key or value is at path, once index has begun.
func (d *decoded) ref(n *yaml.Node, path string) {
	if d.refs == nil {
		return
	}
	k := refKey{line: n.Line, scalar: n.Kind == yaml.ScalarNode}
	if k.scalar {
		k.value = n.Value
	}
	paths, seen := d.refs[k]
	if len(paths) <= maxRefs {
		d.refs[k] = append(paths, path)
	}
	if k.scalar && !seen && len(d.lines[k.line]) <= maxLineRefs {
		d.lines[k.line] = append(d.lines[k.line], k)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// yamlFields maps each YAML key of struct type t, inline fields included,
// to its Go type, as the decoder resolves them.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := structFields(t)
	fieldCache.Store(t, m)
	return m
}

func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			for k, v := range structFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

var (
	lineMessage = regexp.MustCompile(`^line (\d+): (.*)$`)
	notFound    = regexp.MustCompile(`^field (.*) not found in type \S+$`)
	backticked  = regexp.MustCompile("`([^`]*)`")
	duplicate   = regexp.MustCompile(`^mapping key ("(?:[^"\\]|\\.)*") already defined`)
	cannot      = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `[^`]*`)? into (\\S+)$")
)

// typeProblem turns one of the decoder's "line N: ..." messages into a
// Problem with the field path of the value on that line when it can be
// told. ok is false for unknown keys the walk already reported.
func (d *decoded) typeProblem(msg string) (Problem, bool) {
	m := lineMessage.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Reason: msg}, true
	}
	line, _ := strconv.Atoi(m[1])
	text := m[2]
	if f := notFound.FindStringSubmatch(text); f != nil {
		if d.unknown[fmt.Sprintf("%d:%s", line, f[1])] {
			return Problem{}, false
		}
		return Problem{Reason: fmt.Sprintf("line %d: unknown key %q", line, f[1])}, true
	}
	return Problem{Field: d.fieldAt(line, text), Reason: fmt.Sprintf("line %d: %s", line, friendly(text))}, true
}

// fieldAt finds the one field on line whose value or key the message
// quotes, or the one mapping or sequence there when it quotes none.
func (d *decoded) fieldAt(line int, text string) string {
	var candidates []string
	quoted, ok := "", false
	if q := backticked.FindStringSubmatch(text); q != nil {
		quoted, ok = q[1], true
	} else if q := duplicate.FindStringSubmatch(text); q != nil {
		quoted, ok = unquote(q[1])
	}
	switch {
	case !ok:
		candidates = d.refs[refKey{line: line}]
	case strings.HasSuffix(quoted, "..."):
		// The decoder cuts long values to their first 7 characters;
		// match those among the values on the line.
		prefix := strings.TrimSuffix(quoted, "...")
		for _, k := range d.lines[line] {
			if strings.HasPrefix(k.value, prefix) {
				candidates = append(candidates, d.refs[k]...)
			}
		}
	default:
		candidates = d.refs[refKey{line: line, scalar: true, value: quoted}]
	}
	if len(candidates) == 0 || len(candidates) > maxRefs {
		return ""
	}
	// A value and the mappings that hold it can start on one line; the
	// deepest is the one meant, provided the others all hold it.
	deepest := ""
	for _, p := range candidates {
		if len(p) > len(deepest) {
			deepest = p
		}
	}
	for _, p := range candidates {
		if p != deepest && p != "" && !strings.HasPrefix(deepest, p+".") && !strings.HasPrefix(deepest, p+"[") {
			return ""
		}
	}
	return deepest
}

func unquote(s string) (string, bool) {
	v, err := strconv.Unquote(s)
	return v, err == nil
}

// friendly rewords the decoder's "cannot unmarshal !!str `x` into int".
func friendly(text string) string {
	m := cannot.FindStringSubmatch(text)
	if m == nil {
		return text
	}
	var want string
	switch m[2] {
	case "int":
		want = "a whole number"
	case "float64":
		want = "a number"
	case "bool":
		want = "true or false"
	case "string":
		want = "a string"
	default:
		switch {
		case strings.HasPrefix(m[2], "[]"):
			want = "a list"
		default:
			want = "a mapping"
		}
	}
	got := strings.TrimPrefix(m[1], "!!")
	names := map[string]string{"str": "a string", "int": "a number", "float": "a number", "bool": "a boolean",
		"seq": "a list", "map": "a mapping", "null": "null", "timestamp": "a timestamp", "binary": "binary data"}
	if n, ok := names[got]; ok {
		got = n
	}
	if q := backticked.FindStringSubmatch(text); q != nil {
		return fmt.Sprintf("want %s, got %s `%s`", want, got, q[1])
	}
	return fmt.Sprintf("want %s, got %s", want, got)
}

// yamlMessage drops the "yaml: " prefix of the parser's errors.
func yamlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}
