package api

import (
	"strings"
	"testing"
	"time"
)

// TestStrictJSON covers what the decoder refuses beyond encoding/json:
// non-object bodies, duplicate keys, deep nesting, lone surrogates, and
// how it words numbers out of range and daylight-saving gaps. Nothing
// changes on any of them.
func TestStrictJSON(t *testing.T) {
	e := newEnv(t)
	id := e.must(req{method: "POST", path: "/v1/boosts", body: boostBody}, 201)["id"].(string)
	tests := []struct {
		name       string
		q          req
		wantStatus int
		kind       string
		field      string
		detail     string
	}{
		{"null body", req{method: "POST", path: "/v1/boosts", body: `null`}, 400, "malformed-json", "", "not null"},
		{"null patch", req{method: "PATCH", path: "/v1/boosts/" + id, body: ` null `}, 400, "malformed-json", "", "not null"},
		{"null override", req{method: "POST", path: "/v1/groups/workers/overrides", body: `null`}, 400, "malformed-json", "", "not null"},
		{"string body", req{method: "POST", path: "/v1/boosts", body: `"boost"`}, 400, "malformed-json", "", "not string"},
		{"number body", req{method: "POST", path: "/v1/boosts", body: `42`}, 400, "malformed-json", "", "not number"},
		{"null preview", req{method: "POST", path: "/v1/groups/workers/preview", body: `null`}, 400, "malformed-json", "", "not null"},
		{"duplicate key", req{method: "POST", path: "/v1/boosts", body: strings.Replace(boostBody, `{"name":"year-end",`, `{"name":"year-end","name":"other",`, 1)}, 400, "malformed-json", "name", `duplicate key "name"`},
		{"duplicate nested key", req{method: "POST", path: "/v1/groups/workers/preview", body: `{"boost":{"name":"a","name":"b"}}`}, 400, "malformed-json", "boost.name", `duplicate key "boost.name"`},
		{"duplicate key in a patch", req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"reason":"a","reason":"b"}`}, 400, "malformed-json", "reason", `duplicate key "reason"`},
		{"keys differing in case", req{method: "POST", path: "/v1/boosts", body: strings.Replace(boostBody, `{"name":"year-end",`, `{"name":"year-end","Name":"other",`, 1)}, 400, "unknown-field", "Name", ""},
		{"lone high surrogate", req{method: "POST", path: "/v1/boosts", body: strings.Replace(boostBody, `"year-end"`, `"a\ud800b"`, 1)}, 400, "malformed-json", "", `name: the escape \ud800`},
		{"lone low surrogate", req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"reason":"\udc00"}`}, 400, "malformed-json", "", `reason: the escape \udc00`},
		{"deep nesting", req{method: "POST", path: "/v1/boosts", body: strings.Repeat("[", 100_000)}, 400, "malformed-json", "", "nested deeper than 64 levels"},
		{"deep nesting in a value", req{method: "POST", path: "/v1/groups/workers/preview", body: `{"boost":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat("}", 71)}, 400, "malformed-json", "", "nested deeper than 64 levels"},
		{"multiplier out of range", req{method: "POST", path: "/v1/boosts", body: strings.Replace(boostBody, `"multiplier":1.5`, `"multiplier":1e400`, 1)}, 422, "invalid-field", "multiplier", "multiplier: must be a finite number; 1e400 is out of range"},
		{"integer out of range", req{method: "POST", path: "/v1/boosts", body: strings.Replace(boostBody, `"min_capacity":15`, `"min_capacity":1e30`, 1)}, 422, "invalid-field", "min_capacity", "must be an integer from -9223372036854775808 to 9223372036854775807; 1e30 is out of range"},
		{"preview metric out of range", req{method: "POST", path: "/v1/groups/workers/preview", body: `{"metrics":{"cpu":-1e999}}`}, 422, "invalid-field", "metrics.cpu", "must be a finite number"},
		{"local time in a DST gap", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{
			"start": "2027-03-28T01:00", "end": "2027-03-28T02:30", "time_zone": "Europe/Paris"})}, 422, "invalid-field", "end",
			"end: 2027-03-28T02:30 does not exist in Europe/Paris"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			tc.q.token = operatorToken
			r := e.do(tc.q)
			if r.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tc.wantStatus, r.body)
			}
			p := checkProblem(t, r, tc.kind, tc.field)
			if d, _ := p["detail"].(string); !strings.Contains(d, tc.detail) {
				t.Errorf("detail %q does not say %q", d, tc.detail)
			}
			if after := e.snapshot(); after != before {
				t.Errorf("the store changed")
			}
		})
	}
}

// TestEveryWrongTypeIsListed sends several values of the wrong type; the
// one 422 names each of them.
func TestEveryWrongTypeIsListed(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"boost", "/v1/boosts", `{"name":5,"reason":true,"groups":"workers","start":[],"end":{},"min_capacity":"ten","multiplier":"x","cap_at_max":"yes"}`,
			"name reason groups start end min_capacity multiplier cap_at_max"},
		{"override", "/v1/groups/workers/overrides", `{"kind":1,"capacity":"3","reason":null,"ttl":2}`, "kind capacity ttl"},
		{"preview", "/v1/groups/workers/preview", `{"current":"3","metrics":{"cpu":"high","mem":1},"queues":{"jobs":{"visible":"x","delayed":"y"}},"boost":{"min_capacity":1.5}}`,
			"current metrics.cpu queues.jobs.visible queues.jobs.delayed boost.min_capacity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: tc.path, token: operatorToken, body: tc.body})
			if r.status != 422 {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			p := checkProblem(t, r, "invalid-field", strings.Fields(tc.want)[0])
			var fields []string
			for _, fe := range p["errors"].([]any) {
				fields = append(fields, fe.(map[string]any)["field"].(string))
			}
			if got := strings.Join(fields, " "); got != tc.want {
				t.Errorf("fields %q, want %q\n%s", got, tc.want, r.body)
			}
		})
	}
}

// TestMethodNotAllowedListsAllow checks that every 405 says which methods
// the path takes (RFC 9110 section 15.5.6).
func TestMethodNotAllowedListsAllow(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path, allow string
	}{
		{"PUT", "/v1/boosts", "GET, POST"},
		{"DELETE", "/v1/boosts", "GET, POST"},
		{"PUT", "/v1/boosts/b-0123456789abcdef", "GET, PATCH, DELETE"},
		{"POST", "/v1/overrides/o-0123456789abcdef", "GET, DELETE"},
		{"GET", "/v1/groups/workers/preview", "POST"},
		{"DELETE", "/v1/groups/workers/overrides", "GET, POST"},
		{"POST", "/v1/audit", "GET"},
		{"POST", "/openapi.json", "GET"},
		{"POST", "/healthz", "GET"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(req{method: tc.method, path: tc.path, token: operatorToken})
			if r.status != 405 {
				t.Fatalf("status %d, want 405: %s", r.status, r.body)
			}
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			checkProblem(t, r, "method-not-allowed", "")
		})
	}
}

// TestPreviewRefusesUnknownNames: a metric or queue the group does not
// read would leave the decision unchanged and look like "all is fine".
func TestPreviewRefusesUnknownNames(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, group, body, field, detail string
	}{
		{"unknown metric", "workers", `{"metrics":{"nope":5}}`, "metrics.nope", `group "workers" has no policy "nope" that reads a metric; its policies: "cpu", "latency"`},
		{"queue given as a metric", "workers", `{"metrics":{"jobs":5}}`, "metrics.jobs", `no policy "jobs"`},
		{"unknown queue", "workers", `{"queues":{"jbos":{"visible":1}}}`, "queues.jbos", `has no backlog policy reading a queue "jbos"; its queues: "jobs", "retry"`},
		{"group without policies", "web", `{"metrics":{"cpu":1}}`, "metrics.cpu", "it has none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/groups/" + tc.group + "/preview", token: viewerToken, body: tc.body})
			if r.status != 422 {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			p := checkProblem(t, r, "invalid-field", tc.field)
			if d, _ := p["detail"].(string); !strings.Contains(d, tc.detail) {
				t.Errorf("detail %q does not say %q", d, tc.detail)
			}
		})
	}
	// Known names still preview.
	e.must(req{method: "POST", path: "/v1/groups/workers/preview", token: viewerToken,
		body: `{"metrics":{"cpu":85,"latency":0.3},"queues":{"jobs":{"visible":10},"retry":{"visible":0}}}`}, 200)
}

// TestBoostWindowBounds: a create may start at most one cycle in the
// past, and no window may be longer than the configured maximum.
func TestBoostWindowBounds(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Cycle = 30 * time.Second; o.MaxBoostWindow = 48 * time.Hour })
	id := e.must(req{method: "POST", path: "/v1/boosts", body: boostBody}, 201)["id"].(string)
	for _, tc := range []struct {
		name   string
		q      req
		fields string
		detail string
	}{
		{"start in 2020", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"start": "2020-01-01T00:00:00Z", "end": "2026-06-02T00:00:00Z", "time_zone": nil})},
			"start end", "2020-01-01T00:00:00Z is 56244h in the past; a new boost may start at most one cycle (30s) ago"},
		{"start 31 s ago", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"start": "2026-06-01T11:59:29Z", "end": "2026-06-01T13:00:00Z", "time_zone": nil})},
			"start", "31s in the past"},
		{"end in the year 9999", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"end": "9999-12-31T23:59:59Z"})},
			"end", "it may be at most 48h (api.max_boost_window)"},
		{"patch to a long window", req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"end":"2026-06-04T09:00:01+01:00"}`},
			"end", "the window from start to end is 48h0m1s; it may be at most 48h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			tc.q.token = operatorToken
			r := e.do(tc.q)
			if r.status != 422 {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			p := checkProblem(t, r, "invalid-field", strings.Fields(tc.fields)[0])
			var fields []string
			for _, fe := range p["errors"].([]any) {
				fields = append(fields, fe.(map[string]any)["field"].(string))
			}
			if got := strings.Join(fields, " "); got != tc.fields {
				t.Errorf("fields %q, want %q", got, tc.fields)
			}
			if d, _ := p["detail"].(string); !strings.Contains(d, tc.detail) {
				t.Errorf("detail %q does not say %q", d, tc.detail)
			}
			if e.snapshot() != before {
				t.Error("the store changed")
			}
		})
	}
	// A start to the minute names the whole minute: 11:59 is a minute
	// before the clock's 12:00, over the 30 s cycle, and still accepted.
	e.must(req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"start": "2026-06-01T11:59", "end": "2026-06-01T13:00", "time_zone": "UTC"})}, 201)
	// A preview may ask about a boost that started long ago.
	e.must(req{method: "POST", path: "/v1/groups/workers/preview", token: viewerToken,
		body: `{"boost":{"name":"n","reason":"r","start":"2026-05-31T12:00:00Z","end":"2026-06-01T13:00:00Z","min_capacity":3}}`}, 200)
	// A start within the cycle, and a window of exactly the maximum, are fine.
	e.must(req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"start": "2026-06-01T11:59:30Z", "end": "2026-06-03T11:59:30Z", "time_zone": nil})}, 201)
	// An active boost's own start stays in the past when it is changed.
	e.clock.Advance(25 * time.Hour)
	e.must(req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"reason":"still on"}`}, 200)
}
