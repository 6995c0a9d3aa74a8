package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// decodeStrict decodes data, which must be exactly one JSON object, into
// v, a pointer to a struct. The body is first scanned (scanJSON):
// anything unparseable, a body that is not an object, nesting deeper than
// maxJSONDepth, a duplicate key or a lone surrogate escape is 400
// malformed-json; an unknown key is 400 unknown-field. Each key is then
// decoded on its own so that every value of the wrong type, and every
// string that is not UTF-8, is reported at once in one 422, each naming
// its field with prefix ("boost" for a preview's boost).
func decodeStrict(data []byte, prefix string, v any) *problem {
	if len(bytes.TrimSpace(data)) == 0 {
		if prefix == "" {
			return malformed("empty body: expected a JSON object")
		}
		return invalid(prefix, "must be a JSON object")
	}
	sc := scanJSON(data, prefix)
	switch {
	case sc.prob != nil:
		return sc.prob
	case sc.syntax || !json.Valid(data):
		var anyv any
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&anyv); err != nil {
			return decodeProblem(err, prefix)
		}
		return malformed("trailing data after the JSON value")
	case sc.top != "object":
		if prefix == "" {
			return malformed("the body must be a JSON object, not %s", sc.top)
		}
		return invalid(prefix, "must be a JSON object, not %s", sc.top)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return decodeProblem(err, prefix)
	}
	rv := reflect.ValueOf(v).Elem()
	fields := jsonFields(rv.Type())
	for _, k := range sc.keys {
		if _, ok := fields[k]; !ok {
			if k == "" {
				k = `""` // the empty key still needs a name to blame
			}
			return unknownField(joinField(prefix, k))
		}
	}
	var ps problems
	for _, k := range sc.keys {
		f := rv.FieldByIndex(fields[k])
		decodeField(&ps, joinField(prefix, k), raw[k], f)
	}
	for _, path := range sc.badUTF8 {
		if !ps.hasPrefix(path) {
			ps.add(path, "is not valid UTF-8; send text as UTF-8")
		}
	}
	return ps.problem()
}

// decodeField decodes raw into f, adding a problem naming field when the
// value has the wrong type. A map of anything but raw JSON is decoded
// entry by entry, so that a bad entry is named (metrics.cpu).
func decodeField(ps *problems, field string, raw json.RawMessage, f reflect.Value) {
	t := f.Type()
	if t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && t.Elem() != reflect.TypeFor[json.RawMessage]() &&
		len(raw) > 0 && raw[0] == '{' {
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entries); err == nil {
			m := reflect.MakeMapWithSize(t, len(entries))
			n := len(*ps)
			for _, k := range sortedKeys(entries) {
				e := reflect.New(t.Elem())
				decodeField(ps, field+"."+k, entries[k], e.Elem())
				m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e.Elem())
			}
			if len(*ps) == n {
				f.Set(m)
			}
			return
		}
	}
	if err := json.Unmarshal(raw, f.Addr().Interface()); err != nil {
		ps.add(field, "%s", typeDetail(err, t, raw))
	}
}

// typeDetail says what is wrong with a value that did not decode into
// type t: the type it must have, and for numbers the range.
func typeDetail(err error, t reflect.Type, raw json.RawMessage) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	isNumber := len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
	if isNumber {
		lit := string(raw)
		switch t.Kind() {
		case reflect.Float32, reflect.Float64:
			return "must be a finite number; " + lit + " is out of range"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if f, ferr := strconv.ParseFloat(lit, 64); ferr == nil && f == math.Trunc(f) {
				lo := -1 << (t.Bits() - 1)
				return fmt.Sprintf("must be an integer from %d to %d; %s is out of range", lo, -(lo + 1), lit)
			}
			return "must be an integer, not " + lit
		}
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		what := typ.Value
		if isNumber {
			what = "a number"
		} else if what != "" {
			what = article(what)
		}
		return fmt.Sprintf("must be %s, not %s", jsonTypeName(t), what)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// article puts "a" or "an" before a JSON type's name as encoding/json
// reports it ("string", "array", "object", "bool").
func article(what string) string {
	switch what {
	case "bool":
		return "a boolean"
	case "array", "object":
		return "an " + what
	}
	return "a " + what
}

// jsonFields maps each JSON key of struct type t to its field's index,
// embedded structs included, as encoding/json matches them (exact name;
// this contract's keys are all lower case).
func jsonFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Index
	}
	return out
}

// unknownFieldPrefix starts encoding/json's error for a key that no field
// takes, `json: unknown field "name"`; the package has no typed error for
// it.
const unknownFieldPrefix = "json: unknown field "

func decodeProblem(err error, prefix string) *problem {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return malformed("invalid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("the JSON value ends early")
	case errors.As(err, &typ):
		if typ.Field == "" {
			if prefix == "" {
				return malformed("the body must be a JSON object, not %s", typ.Value)
			}
			return invalid(prefix, "must be a JSON object, not %s", typ.Value)
		}
		return invalid(joinField(prefix, typ.Field), "must be %s, not %s", jsonTypeName(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), unknownFieldPrefix):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), unknownFieldPrefix))
		if uerr != nil {
			name = strings.TrimPrefix(err.Error(), unknownFieldPrefix)
		}
		if name == "" {
			name = `""` // the empty key still needs a name to blame
		}
		return unknownField(joinField(prefix, name))
	}
	return malformed("cannot decode the body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// jsonTypeName says what JSON a Go type takes, for error details.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.Kind().String()
}

// readBody reads a write's body: JSON only, at most s.maxBody bytes.
func (s *server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *problem) {
	if r.ContentLength > s.maxBody {
		return nil, newProblem(kindBodyTooLarge, http.StatusRequestEntityTooLarge,
			"the body is %d bytes; the limit is %d", r.ContentLength, s.maxBody)
	}
	ct := r.Header.Get("Content-Type")
	if ct != "" || r.ContentLength > 0 {
		if p := checkJSONType(ct); p != nil {
			return nil, p
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newProblem(kindBodyTooLarge, http.StatusRequestEntityTooLarge,
				"the body is over the limit of %d bytes", s.maxBody)
		}
		return nil, malformed("cannot read the body: %v", err)
	}
	if ct == "" && len(body) > 0 {
		return nil, checkJSONType(ct)
	}
	return body, nil
}

func checkJSONType(ct string) *problem {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return newProblem(kindUnsupportedMedia, http.StatusUnsupportedMediaType,
			"Content-Type %q: send application/json", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		// RFC 8259 section 8.1: JSON exchanged between systems is UTF-8.
		return newProblem(kindUnsupportedMedia, http.StatusUnsupportedMediaType,
			"charset %q: JSON must be UTF-8", cs)
	}
	return nil
}

// maxLimit bounds limit= on listings; defaultLimit is what a listing
// without one returns (see page.go for why).
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// sinceParam parses the since= query parameter of the decision and audit
// listings.
func sinceParam(r *http.Request, ps *problems) time.Time {
	v := r.URL.Query().Get("since")
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		ps.add("since", "must be an RFC 3339 time such as 2026-12-15T09:00:00Z")
	}
	return t
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(newProblem(kindInternal, http.StatusInternalServerError, "cannot encode the response").marshal("", ""))
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	_, _ = w.Write([]byte("\n"))
}
