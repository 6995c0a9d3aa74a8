package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzScanJSON checks the scanner against encoding/json: what
// encoding/json calls valid, the scanner never calls a syntax error, so
// that it cannot invent one. (It is lenient the other way round: numbers
// and literals are left to json.Valid, which decodeStrict also asks.)
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":null}]}`, `{"a":"\ud83c\udf89"}`, `[`, `{"a":1,"a":2}`,
		`"\u00e9"`, `{"a":"\ud800"}`, `1e400`, `{"a" : true , "b":false}`, "{\"a\":\"\xff\"}", `{"a":"x\/y\u0041"}`,
		strings.Repeat("[", 70) + strings.Repeat("]", 70), `{"a":-0.5E+3}`, `nul`, `{"a":1}x`, "\ufeff{}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := scanJSON(data, "")
		if sc.prob != nil {
			return
		}
		if json.Valid(data) && sc.syntax {
			t.Fatalf("valid JSON taken for a syntax error: %q", data)
		}
		p := decodeStrict(data, "", &struct {
			A any `json:"a"`
		}{})
		if !json.Valid(data) && (p == nil || p.kind != kindMalformedJSON) {
			t.Fatalf("invalid JSON %q answered %v", data, p)
		}
	})
}

func TestScanJSONDepth(t *testing.T) {
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if sc := scanJSON([]byte(ok), ""); sc.prob != nil || sc.syntax {
		t.Errorf("%d levels refused: %+v", maxJSONDepth, sc)
	}
	deep := strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)
	if sc := scanJSON([]byte(deep), ""); sc.prob == nil {
		t.Errorf("%d levels accepted", maxJSONDepth+1)
	}
}
