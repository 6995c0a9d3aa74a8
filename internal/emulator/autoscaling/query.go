package autoscaling

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// params reads one awsQuery request: flat keys, lists as
// "Name.member.N", structures as "Name.Field".
type params struct{ v url.Values }

// str returns the first value of key and whether the key was present.
func (p params) str(key string) (string, bool) {
	vs, ok := p.v[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// required returns the value of key or AWS's null-constraint error, which
// names the member in lower camel case as the service does.
func (p params) required(key string) (string, *apiError) {
	v, ok := p.str(key)
	if !ok {
		return "", validationf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member(key))
	}
	return v, nil
}

// name reads a required resource name with the constraints of AWS's
// XmlStringMaxLen255 / ResourceName shapes: 1..255 characters of XML text.
func (p params) name(key string) (string, *apiError) {
	v, err := p.required(key)
	if err != nil {
		return "", err
	}
	if err := checkName(key, v); err != nil {
		return "", err
	}
	return v, nil
}

// checkName applies the length and character constraints AWS documents for
// group and scheduled-action names.
func checkName(key, v string) *apiError {
	if len(v) < 1 || utf8.RuneCountInString(v) > 255 {
		return validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to 255 and greater than or equal to 1", v, member(key))
	}
	if !xmlText(v) {
		return validationf("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*", member(key))
	}
	return nil
}

// xmlText reports whether s is valid UTF-8 made only of characters XML can
// carry, so that every stored string can be echoed back well-formed.
func xmlText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// int reads an optional integer in [0, limit].
func (p params) int(key string, limit int) (*int, *apiError) {
	s, ok := p.str(key)
	if !ok {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return nil, validationf("Invalid value '%s' for parameter %s: expected an integer", s, key)
	}
	if n < 0 {
		return nil, validationf("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 0", n, member(key))
	}
	if n > int64(limit) {
		return nil, validationf("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", n, member(key), limit)
	}
	v := int(n)
	return &v, nil
}

// maxRecords reads MaxRecords: default def, at least 1, at most 100 (the
// documented maximum of every Describe operation used here).
func (p params) maxRecords(def int) (int, *apiError) {
	s, ok := p.str("MaxRecords")
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, validationf("Invalid value '%s' for parameter MaxRecords: expected an integer", s)
	}
	if n < 1 {
		return 0, validationf("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value greater than or equal to 1", n)
	}
	if n > maxRecordsLimit {
		return 0, validationf("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to %d", n, maxRecordsLimit)
	}
	return int(n), nil
}

// bool reads an optional boolean.
func (p params) bool(key string) (*bool, *apiError) {
	s, ok := p.str(key)
	if !ok {
		return nil, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return nil, validationf("Invalid value '%s' for parameter %s: expected a boolean", s, key)
	}
	return &b, nil
}

// time reads an optional ISO 8601 timestamp as the SDK sends it
// ("2006-01-02T15:04:05Z", optionally with fractional seconds or an offset).
func (p params) time(key string) (*time.Time, *apiError) {
	s, ok := p.str(key)
	if !ok {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return nil, validationf("Invalid value '%s' for parameter %s: expected an ISO 8601 timestamp", s, key)
	}
	t = t.UTC()
	return &t, nil
}

// list reads the scalar list "key.member.N", ordered by N. An empty list
// is sent by the SDK as "key=" and reads as present and empty.
func (p params) list(key string) ([]string, bool) {
	prefix := key + ".member."
	type item struct {
		i int
		v string
	}
	var items []item
	for k, vs := range p.v {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || len(vs) == 0 {
			continue
		}
		i, err := strconv.Atoi(rest)
		if err != nil || i < 1 {
			continue
		}
		items = append(items, item{i, vs[0]})
	}
	_, bare := p.v[key]
	if len(items) == 0 {
		return nil, bare
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]string, len(items))
	for j, it := range items {
		out[j] = it.v
	}
	return out, true
}

// structs returns the prefixes "key.member.N" of a list of structures,
// ordered by N.
func (p params) structs(key string) []string {
	prefix := key + ".member."
	seen := map[int]bool{}
	for k := range p.v {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		idx, _, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(idx)
		if err != nil || i < 1 {
			continue
		}
		seen[i] = true
	}
	ids := make([]int, 0, len(seen))
	for i := range seen {
		ids = append(ids, i)
	}
	sort.Ints(ids)
	out := make([]string, len(ids))
	for j, i := range ids {
		out[j] = prefix + strconv.Itoa(i)
	}
	return out
}

// member turns a query key such as "AutoScalingGroupName" into the lower
// camel case member name AWS puts in validation messages.
func member(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	if key == "" {
		return key
	}
	r, n := utf8.DecodeRuneInString(key)
	return strings.ToLower(string(r)) + key[n:]
}

// validationf builds a ValidationError, the code AWS uses for every
// parameter problem of this API.
func validationf(format string, args ...any) *apiError {
	return &apiError{status: 400, code: "ValidationError", message: fmt.Sprintf(format, args...)}
}
