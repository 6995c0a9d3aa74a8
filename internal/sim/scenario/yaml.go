package scenario

import (
	"fmt"
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a scenario file: the field path as the
// file spells it ("load[2].spike.peak"), the line it is on and the rule
// it breaks. Field is empty for a problem of the whole document, such as
// a YAML syntax error; Line is 0 when no line can be told.
type Problem struct {
	Field  string
	Line   int
	Reason string
}

// String formats p as "field: line N: reason".
func (p Problem) String() string {
	var b strings.Builder
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	b.WriteString(p.Reason)
	return b.String()
}

// Problems is the error Parse returns (wrapped with the scenario's name):
// every problem found, in line order, one per line of Error.
type Problems []Problem

// Error lists every problem, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxVisits bounds the nodes one parse visits, aliases followed: a small
// file of aliases can otherwise stand for billions of values.
const maxVisits = 200_000

// maxProblems bounds the problems one parse reports; past it the rest
// are dropped.
const maxProblems = 200

// reader walks a YAML document by hand so that every unknown key,
// duplicate key and wrongly typed value is reported with its field path
// and line, and none of them stops the walk.
type reader struct {
	probs  Problems
	visits int
}

func (r *reader) add(field string, line int, format string, args ...any) {
	if len(r.probs) >= maxProblems {
		return
	}
	r.probs = append(r.probs, Problem{Field: field, Line: line, Reason: fmt.Sprintf(format, args...)})
}

// resolve follows aliases to the node they stand for, counting the visit.
func (r *reader) resolve(n *yaml.Node) *yaml.Node {
	r.visits++
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func (r *reader) exhausted() bool { return r.visits > maxVisits }

// isNull reports whether n is absent or an explicit null.
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what n is, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!int", "!!float":
			return fmt.Sprintf("a number `%s`", v)
		case "!!bool":
			return fmt.Sprintf("a boolean `%s`", v)
		case "!!str":
			return fmt.Sprintf("a string `%s`", v)
		default:
			return fmt.Sprintf("`%s`", v)
		}
	}
	return "something else"
}

// object is one YAML mapping being read: it remembers which keys were
// asked for so that finish can report the others as unknown.
type object struct {
	r     *reader
	path  string
	line  int
	keys  []*yaml.Node
	vals  map[string]*yaml.Node
	known map[string]bool
}

// mapping reads n as a mapping at path; nil (with the problem reported)
// when n is something else.
func (r *reader) mapping(n *yaml.Node, path string) *object {
	n = r.resolve(n)
	if n == nil || r.exhausted() {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		r.add(path, n.Line, "want a mapping, got %s", describe(n))
		return nil
	}
	o := &object{r: r, path: path, line: n.Line, vals: map[string]*yaml.Node{}, known: map[string]bool{}}
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := r.resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			r.add(path, k.Line, "keys must be plain words, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			r.add(o.sub(k.Value), k.Line, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		if line, dup := first[k.Value]; dup {
			r.add(o.sub(k.Value), k.Line, "duplicate key (first set on line %d)", line)
			continue
		}
		first[k.Value] = k.Line
		o.keys = append(o.keys, k)
		o.vals[k.Value] = v
	}
	return o
}

// sub is the field path of key under o.
func (o *object) sub(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// node returns the value of key, aliases resolved, or nil when the key
// is absent or null. It marks the key as known.
func (o *object) node(key string) *yaml.Node {
	o.known[key] = true
	v := o.r.resolve(o.vals[key])
	if isNull(v) {
		return nil
	}
	return v
}

// has reports whether key is set to something other than null.
func (o *object) has(key string) bool { return !isNull(o.r.resolve(o.vals[key])) }

// allow marks keys as known without reading them.
func (o *object) allow(keys ...string) {
	for _, k := range keys {
		o.known[k] = true
	}
}

// finish reports every key that no one asked for.
func (o *object) finish() {
	for _, k := range o.keys {
		if !o.known[k.Value] {
			o.r.add(o.sub(k.Value), k.Line, "unknown key")
		}
	}
}

// require reports each of keys that is absent.
func (o *object) require(keys ...string) {
	for _, k := range keys {
		if !o.has(k) {
			o.r.add(o.sub(k), o.line, "required")
		}
	}
}

// str reads key as a string.
func (o *object) str(key string) (string, bool) {
	n := o.node(key)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		o.r.add(o.sub(key), n.Line, "want a string, got %s (quote it if it is meant as text)", describe(n))
		return "", false
	}
	return n.Value, true
}

// text reads key as any scalar's text: times are written both as strings
// and as YAML timestamps.
func (o *object) text(key string) (string, int, bool) {
	n := o.node(key)
	if n == nil {
		return "", 0, false
	}
	if n.Kind != yaml.ScalarNode {
		o.r.add(o.sub(key), n.Line, "want a time, got %s", describe(n))
		return "", 0, false
	}
	return n.Value, n.Line, true
}

// check is a rule on a number; it returns the reason the number breaks
// it, or "".
type check func(float64) string

func positive(v float64) string {
	if v <= 0 {
		return "must be greater than 0"
	}
	return ""
}

func nonNegative(v float64) string {
	if v < 0 {
		return "must not be negative"
	}
	return ""
}

func atMost(limit float64, why string) check {
	return func(v float64) string {
		if v > limit {
			return fmt.Sprintf("must be at most %g (%s)", limit, why)
		}
		return ""
	}
}

func between(lo, hi float64) check {
	return func(v float64) string {
		if v < lo || v > hi {
			return fmt.Sprintf("must be between %g and %g", lo, hi)
		}
		return ""
	}
}

func (o *object) checked(key string, line int, v float64, checks []check) bool {
	for _, c := range checks {
		if reason := c(v); reason != "" {
			o.r.add(o.sub(key), line, "%s, got %v", reason, v)
			return false
		}
	}
	return true
}

// number reads key as a finite number that passes checks.
func (o *object) number(key string, checks ...check) (float64, bool) {
	n := o.node(key)
	if n == nil {
		return 0, false
	}
	var v float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil {
		o.r.add(o.sub(key), n.Line, "want a number, got %s", describe(n))
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		o.r.add(o.sub(key), n.Line, "want a finite number, got %s", n.Value)
		return 0, false
	}
	return v, o.checked(key, n.Line, v, checks)
}

// integer reads key as a whole number that passes checks.
func (o *object) integer(key string, checks ...check) (int, bool) {
	n := o.node(key)
	if n == nil {
		return 0, false
	}
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		o.r.add(o.sub(key), n.Line, "want a whole number, got %s", describe(n))
		return 0, false
	}
	return v, o.checked(key, n.Line, float64(v), checks)
}

// boolean reads key as true or false.
func (o *object) boolean(key string) (bool, bool) {
	n := o.node(key)
	if n == nil {
		return false, false
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		o.r.add(o.sub(key), n.Line, "want true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

// duration reads key as a Go duration string whose seconds pass checks.
func (o *object) duration(key string, checks ...check) (time.Duration, bool) {
	n := o.node(key)
	if n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode {
		o.r.add(o.sub(key), n.Line, "want a duration such as \"90s\", got %s", describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		o.r.add(o.sub(key), n.Line, "`%s` is not a duration: write a number with a unit, such as \"90s\" or \"5m\"", n.Value)
		return 0, false
	}
	for _, c := range checks {
		if reason := c(d.Seconds()); reason != "" {
			o.r.add(o.sub(key), n.Line, "%s, got %s", reason, d)
			return 0, false
		}
	}
	return d, true
}

// list reads key as a list; nil when absent or not a list (reported).
func (o *object) list(key string) []*yaml.Node {
	n := o.node(key)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		o.r.add(o.sub(key), n.Line, "want a list, got %s", describe(n))
		return nil
	}
	return n.Content
}

// noLongerThan is a check on a duration's seconds.
func noLongerThan(limit time.Duration) check {
	return func(v float64) string {
		if v > limit.Seconds() {
			return fmt.Sprintf("must be at most %s", limit)
		}
		return ""
	}
}

// wholeSeconds is a check on a duration's seconds.
func wholeSeconds(v float64) string {
	if v != math.Trunc(v) {
		return "must be a whole number of seconds"
	}
	return ""
}
