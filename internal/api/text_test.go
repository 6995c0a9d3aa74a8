package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/text"
)

// TestFreeTextRefused posts terminal escapes, controls, bidirectional
// overrides and invalid UTF-8 in every free-text field of every write
// route; each is 422 naming the field, and nothing is written.
func TestFreeTextRefused(t *testing.T) {
	e := newEnv(t)
	id := e.must(req{method: "POST", path: "/v1/boosts", body: boostBody}, 201)["id"].(string)
	bad := map[string]string{
		"ANSI CSI":      "ok\x1b[2J\x1b[H",
		"OSC title":     "x\x1b]0;owned\x07",
		"NUL":           "a\x00b",
		"newline":       "one\ntwo",
		"C1 CSI":        "a\u009b31m",
		"RLO":           "exe.\u202etxt",
		"isolate":       "a\u2066b",
		"invalid UTF-8": "caf\xc3 \xff",
	}
	for what, s := range bad {
		// json.Marshal would replace invalid UTF-8: write the bytes raw.
		lit := rawJSONString(s)
		for _, tc := range []struct {
			name, method, path, body, field string
		}{
			{"boost name", "POST", "/v1/boosts", strings.Replace(boostBody, `"year-end"`, lit, 1), "name"},
			{"boost reason", "POST", "/v1/boosts", strings.Replace(boostBody, `"CEO email 09:00"`, lit, 1), "reason"},
			{"patch name", "PATCH", "/v1/boosts/" + id, `{"name":` + lit + `}`, "name"},
			{"patch reason", "PATCH", "/v1/boosts/" + id, `{"reason":` + lit + `}`, "reason"},
			{"override reason", "POST", "/v1/groups/workers/overrides", strings.Replace(overrideBody, `"incident 42"`, lit, 1), "reason"},
			{"preview boost name", "POST", "/v1/groups/workers/preview",
				`{"boost":{"name":` + lit + `,"reason":"r","start":"2026-06-01T13:00:00Z","end":"2026-06-01T14:00:00Z","min_capacity":3}}`, "boost.name"},
		} {
			t.Run(what+"/"+tc.name, func(t *testing.T) {
				before := e.snapshot()
				r := e.do(req{method: tc.method, path: tc.path, token: operatorToken, body: tc.body})
				if r.status != 422 {
					t.Fatalf("status %d, want 422: %s", r.status, r.body)
				}
				p := checkProblem(t, r, "invalid-field", tc.field)
				detail, _ := p["detail"].(string)
				if text.Check(detail) != nil {
					t.Errorf("the detail itself is unsafe to print: %q", detail)
				}
				if after := e.snapshot(); after != before {
					t.Errorf("the store changed")
				}
			})
		}
	}
}

// TestProblemsEscapeWhatTheyQuote: a problem naming an unknown key, queue
// or metric that holds escapes shows them escaped, never raw.
func TestProblemsEscapeWhatTheyQuote(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path, body, field string
	}{
		{"/v1/boosts", `{"\u001b[2J":1}`, `\x1b[2J`},
		{"/v1/groups/workers/preview", `{"metrics":{"cpu\u202e":1}}`, `metrics.cpu\u202e`},
		{"/v1/groups/workers/preview", `{"queues":{"\u0007":{"visible":1}}}`, `queues.\x07`},
	} {
		r := e.do(req{method: "POST", path: tc.path, token: operatorToken, body: tc.body})
		p := r.json(t)
		if p["field"] != tc.field {
			t.Errorf("%s: field %q, want %q", tc.body, p["field"], tc.field)
		}
		for _, v := range []any{p["detail"], p["field"]} {
			if s, _ := v.(string); text.Check(s) != nil {
				t.Errorf("%s: %q is unsafe to print", tc.body, s)
			}
		}
	}
}

// TestFreeTextAccepted keeps ordinary text, accents and emoji working.
func TestFreeTextAccepted(t *testing.T) {
	e := newEnv(t)
	name := "Fête d'été 🎉 👩\u200d💻 C:\\sale"
	got := e.must(req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"name": name})}, 201)
	if got["name"] != name {
		t.Errorf("name %q, want %q", got["name"], name)
	}
}

// rawJSONString quotes s for JSON, leaving bytes that are not UTF-8 as
// they are.
func rawJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// FuzzFreeText checks the free-text rule end to end on a boost's name and
// reason and an override's reason: whatever the bytes, a body that
// decodes and validates holds only text that text.Check accepts, so that
// nothing stored can act on a terminal. The committed corpus holds ANSI
// CSI and OSC sequences, C0 and C1 controls, NUL, the bidirectional
// overrides, isolates and marks, invalid UTF-8, and JSON escapes of all
// of them (\u001b, \u202e, a lone \ud800).
func FuzzFreeText(f *testing.F) {
	f.Add("year-end", "CEO email 09:00")
	f.Add("\x1b[2J", "a\u202eb")
	fl := newFleet(testFleet().views)
	f.Fuzz(func(t *testing.T, name, reason string) {
		for _, body := range []string{
			strings.NewReplacer(`"year-end"`, rawJSONString(name), `"CEO email 09:00"`, rawJSONString(reason)).Replace(boostBody),
			// The strings as JSON escapes rather than raw bytes.
			strings.NewReplacer(`"year-end"`, jsonEscaped(name), `"CEO email 09:00"`, jsonEscaped(reason)).Replace(boostBody),
			// The strings pasted into the JSON as they are: escapes too.
			strings.NewReplacer(`year-end`, name, `CEO email 09:00`, reason).Replace(boostBody),
		} {
			in, p := decodeBoost([]byte(body))
			checkDecodeProblem(t, p)
			if p != nil {
				continue
			}
			b, ps := buildBoost(in, store.Boost{}, true, t0, fl, "")
			checkProblems(t, ps)
			if len(ps) == 0 {
				for _, s := range []string{b.Name, b.Reason} {
					if err := text.Check(s); err != nil {
						t.Fatalf("accepted %q from %q: %v", s, body, err)
					}
				}
			}
			for _, fe := range ps {
				if text.Check(fe.Detail) != nil {
					t.Fatalf("problem detail unsafe to print: %q", fe.Detail)
				}
			}
		}
		o, p := decodeOverride([]byte(strings.Replace(overrideBody, `"incident 42"`, rawJSONString(reason), 1)))
		checkDecodeProblem(t, p)
		if p == nil {
			ov, ps := buildOverride(o, mustView(t, "workers"), t0)
			if len(ps) == 0 && text.Check(ov.Reason) != nil {
				t.Fatalf("accepted override reason %q", ov.Reason)
			}
		}
	})
}

// jsonEscaped quotes s as encoding/json would, every non-ASCII rune as a
// \u escape (invalid bytes become U+FFFD's escape).
func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	var out strings.Builder
	for _, r := range string(b) {
		if r < 0x80 {
			out.WriteRune(r)
			continue
		}
		for _, u := range utf16Units(r) {
			out.WriteString(`\u`)
			out.WriteString(hex4(u))
		}
	}
	return out.String()
}

func utf16Units(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xd800 + r>>10), uint16(0xdc00 + r&0x3ff)}
}

func hex4(u uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[u>>12], digits[u>>8&0xf], digits[u>>4&0xf], digits[u&0xf]})
}

func mustView(t *testing.T, name string) controller.GroupView {
	t.Helper()
	v, ok := testFleet().View(name)
	if !ok {
		t.Fatalf("no view of %q", name)
	}
	return v
}
