package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

func TestAuthMatrix(t *testing.T) {
	e := newEnv(t)
	mk := func(body string) string {
		return e.must(req{method: "POST", path: "/v1/boosts", body: body}, 201)["id"].(string)
	}
	patchID, delID := mk(boostBody), mk(boostBody)
	oid := e.must(req{method: "POST", path: "/v1/groups/web/overrides", body: overrideBody}, 201)["id"].(string)
	delOID := e.must(req{method: "POST", path: "/v1/groups/web/overrides", body: overrideBody}, 201)["id"].(string)

	routes := []struct {
		method, path, body string
		write              bool
		okStatus           int
	}{
		{"GET", "/v1/groups", "", false, 200},
		{"GET", "/v1/groups/workers", "", false, 200},
		{"GET", "/v1/groups/workers/decisions", "", false, 200},
		{"POST", "/v1/groups/workers/preview", `{"current":3}`, false, 200},
		{"GET", "/v1/groups/workers/overrides", "", false, 200},
		{"GET", "/v1/boosts", "", false, 200},
		{"GET", "/v1/boosts/" + patchID, "", false, 200},
		{"GET", "/v1/overrides", "", false, 200},
		{"GET", "/v1/overrides/" + oid, "", false, 200},
		{"GET", "/v1/audit", "", false, 200},
		{"POST", "/v1/boosts", boostBody, true, 201},
		{"PATCH", "/v1/boosts/" + patchID, `{"reason":"changed"}`, true, 200},
		{"DELETE", "/v1/boosts/" + delID, "", true, 200},
		{"POST", "/v1/groups/workers/overrides", overrideBody, true, 201},
		{"DELETE", "/v1/overrides/" + delOID, "", true, 200},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			before := e.snapshot()
			for _, c := range []struct {
				name, token string
				want        int
			}{
				{"no token", "", 401},
				{"wrong token", "not-a-token", 401},
				{"viewer", viewerToken, map[bool]int{true: 403, false: rt.okStatus}[rt.write]},
			} {
				r := e.do(req{method: rt.method, path: rt.path, token: c.token, body: rt.body})
				if r.status != c.want {
					t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.want, r.body)
				}
				switch r.status {
				case 401:
					if r.header.Get("WWW-Authenticate") != `Bearer realm="headroom"` {
						t.Errorf("%s: WWW-Authenticate %q", c.name, r.header.Get("WWW-Authenticate"))
					}
					checkProblem(t, r, "unauthorized", "")
				case 403:
					checkProblem(t, r, "forbidden", "")
				}
			}
			if after := e.snapshot(); rt.write && after != before {
				t.Error("a refused write changed the store")
			}
			r := e.do(req{method: rt.method, path: rt.path, token: operatorToken, body: rt.body})
			if r.status != rt.okStatus {
				t.Errorf("operator: status %d, want %d: %s", r.status, rt.okStatus, r.body)
			}
		})
	}
}

// checkProblem requires an RFC 9457 problem of kind naming field.
func checkProblem(t *testing.T, r reply, kind, field string) map[string]any {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem is not JSON: %v: %s", err, r.body)
	}
	if p["type"] != problemBase+kind {
		t.Errorf("type %v, want %s (%s)", p["type"], problemBase+kind, r.body)
	}
	if p["status"] != float64(r.status) || p["title"] == "" || p["instance"] == "" {
		t.Errorf("problem status/title/instance: %v", p)
	}
	if field != "" {
		if p["field"] != field {
			t.Errorf("field %v, want %s (%s)", p["field"], field, r.body)
		}
		errs, _ := p["errors"].([]any)
		found := false
		for _, fe := range errs {
			m := fe.(map[string]any)
			if m["field"] == field && m["detail"] != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("errors %v do not list %s", errs, field)
		}
	}
	return p
}

// boostWith returns the valid boost body with fields replaced (a nil
// value deletes the field).
func boostWith(t *testing.T, changes map[string]any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(boostBody), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	id := e.must(req{method: "POST", path: "/v1/boosts", body: boostBody}, 201)["id"].(string)
	e.must(req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"reason":"v2"}`}, 200)

	tests := []struct {
		name       string
		q          req
		wantStatus int
		kind       string
		field      string
	}{
		{"end before start", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"end": "2026-06-02T08:00:00+01:00"})}, 422, "invalid-field", "end"},
		{"end in the past", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"start": "2026-05-01T08:00:00Z", "end": "2026-05-02T08:00:00Z"})}, 422, "invalid-field", "end"},
		{"unknown group", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"groups": []string{"workers", "nope"}})}, 422, "invalid-field", "groups[1]"},
		{"selector matching nothing", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"groups": []string{"team=nobody"}})}, 422, "invalid-field", "groups[0]"},
		{"no groups", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"groups": []string{}})}, 422, "invalid-field", "groups"},
		{"floor above max", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"min_capacity": 41})}, 422, "invalid-field", "min_capacity"},
		{"multiplied floor above max", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"min_capacity": nil, "multiplier": 4.5})}, 422, "invalid-field", "multiplier"},
		{"multiplier below 1", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"multiplier": 0.5})}, 422, "invalid-field", "multiplier"},
		{"no floor at all", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"min_capacity": nil, "multiplier": nil})}, 422, "invalid-field", "min_capacity"},
		{"malformed time zone", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"time_zone": "Europe/Pariss"})}, 422, "invalid-field", "time_zone"},
		{"server-local zone", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"time_zone": "Local"})}, 422, "invalid-field", "time_zone"},
		{"local time without zone", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"time_zone": nil, "start": "2026-06-02T09:00"})}, 422, "invalid-field", "start"},
		{"unparseable time", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"start": "tomorrow"})}, 422, "invalid-field", "start"},
		{"ramp over a day", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"ramp": "25h"})}, 422, "invalid-field", "ramp"},
		{"negative lead", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"lead": "-5m"})}, 422, "invalid-field", "lead"},
		{"missing name", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"name": nil})}, 422, "invalid-field", "name"},
		{"blank reason", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"reason": "  "})}, 422, "invalid-field", "reason"},
		{"wrong type", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"min_capacity": "forty"})}, 422, "invalid-field", "min_capacity"},
		{"fraction for an integer", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"min_capacity": 2.5})}, 422, "invalid-field", "min_capacity"},
		{"unknown JSON field", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"colour": "red"})}, 400, "unknown-field", "colour"},
		{"version on create", req{method: "POST", path: "/v1/boosts", body: boostWith(t, map[string]any{"version": 1})}, 400, "unknown-field", "version"},
		{"trailing garbage", req{method: "POST", path: "/v1/boosts", body: boostBody + ` x`}, 400, "malformed-json", ""},
		{"two JSON values", req{method: "POST", path: "/v1/boosts", body: boostBody + boostBody}, 400, "malformed-json", ""},
		{"truncated JSON", req{method: "POST", path: "/v1/boosts", body: `{"name":`}, 400, "malformed-json", ""},
		{"array body", req{method: "POST", path: "/v1/boosts", body: `[1]`}, 400, "malformed-json", ""},
		{"body over 1 MiB", req{method: "POST", path: "/v1/boosts", body: `{"name":"` + strings.Repeat("x", 1<<20) + `"}`}, 413, "body-too-large", ""},
		{"wrong content type", req{method: "POST", path: "/v1/boosts", body: boostBody, header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported-media-type", ""},
		{"form content type", req{method: "POST", path: "/v1/groups/workers/overrides", body: overrideBody, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported-media-type", ""},
		{"PATCH with stale version", req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"reason":"x","version":1}`}, 409, "conflict", ""},
		{"PATCH making the floor too high", req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"min_capacity":100}`}, 422, "invalid-field", "min_capacity"},
		{"PATCH unknown boost", req{method: "PATCH", path: "/v1/boosts/b-0000000000000000", body: `{"reason":"x"}`}, 404, "not-found", ""},
		{"DELETE with stale version", req{method: "DELETE", path: "/v1/boosts/" + id + "?version=1"}, 409, "conflict", ""},
		{"override without expiry", req{method: "POST", path: "/v1/groups/workers/overrides", body: `{"kind":"pause","reason":"r"}`}, 422, "invalid-field", "expires_at"},
		{"override with both expiries", req{method: "POST", path: "/v1/groups/workers/overrides", body: `{"kind":"pause","reason":"r","ttl":"1h","expires_at":"2026-06-01T14:00:00Z"}`}, 422, "invalid-field", "ttl"},
		{"ttl over 7 days", req{method: "POST", path: "/v1/groups/workers/overrides", body: `{"kind":"pause","reason":"r","ttl":"169h"}`}, 422, "invalid-field", "ttl"},
		{"expiry in the past", req{method: "POST", path: "/v1/groups/workers/overrides", body: `{"kind":"pause","reason":"r","expires_at":"2026-06-01T11:00:00Z"}`}, 422, "invalid-field", "expires_at"},
		{"pin without capacity", req{method: "POST", path: "/v1/groups/workers/overrides", body: `{"kind":"pin","reason":"r","ttl":"1h"}`}, 422, "invalid-field", "capacity"},
		{"bounds without bounds", req{method: "POST", path: "/v1/groups/workers/overrides", body: `{"kind":"bounds","reason":"r","ttl":"1h"}`}, 422, "invalid-field", "min"},
		{"bounds upside down", req{method: "POST", path: "/v1/groups/workers/overrides", body: `{"kind":"bounds","min":5,"max":3,"reason":"r","ttl":"1h"}`}, 422, "invalid-field", "max"},
		{"unknown kind", req{method: "POST", path: "/v1/groups/workers/overrides", body: `{"kind":"freeze","reason":"r","ttl":"1h"}`}, 422, "invalid-field", "kind"},
		{"override without reason", req{method: "POST", path: "/v1/groups/workers/overrides", body: `{"kind":"pause","ttl":"1h"}`}, 422, "invalid-field", "reason"},
		{"override of an unknown group", req{method: "POST", path: "/v1/groups/nope/overrides", body: overrideBody}, 404, "not-found", ""},
		{"preview nested unknown field", req{method: "POST", path: "/v1/groups/workers/preview", body: `{"boost":{"colour":"red"}}`}, 400, "unknown-field", "boost.colour"},
		{"preview queue type error", req{method: "POST", path: "/v1/groups/workers/preview", body: `{"queues":{"jobs":{"visible":"many"}}}`}, 422, "invalid-field", "queues.jobs.visible"},
		{"preview negative current", req{method: "POST", path: "/v1/groups/workers/preview", body: `{"current":-1}`}, 422, "invalid-field", "current"},
		{"preview invalid boost", req{method: "POST", path: "/v1/groups/workers/preview", body: `{"boost":{"name":"n","reason":"r","start":"2026-06-01T13:00:00Z","end":"2026-06-01T12:30:00Z","min_capacity":3}}`}, 422, "invalid-field", "boost.end"},
		{"idempotency key too long", req{method: "POST", path: "/v1/boosts", body: boostBody, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}}, 422, "invalid-field", "Idempotency-Key"},
		{"audit limit too high", req{method: "GET", path: "/v1/audit?limit=5000"}, 422, "invalid-field", "limit"},
		{"audit since malformed", req{method: "GET", path: "/v1/audit?since=yesterday"}, 422, "invalid-field", "since"},
		{"unknown method", req{method: "PUT", path: "/v1/boosts/" + id, body: `{}`}, 405, "method-not-allowed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			if tc.q.token == "" {
				tc.q.token = operatorToken
			}
			r := e.do(tc.q)
			if r.status != tc.wantStatus {
				t.Errorf("status %d, want %d: %s", r.status, tc.wantStatus, r.body)
			}
			checkProblem(t, r, tc.kind, tc.field)
			if after := e.snapshot(); after != before {
				t.Errorf("the store changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestEveryProblemIsListed(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "POST", path: "/v1/boosts", token: operatorToken, body: `{"ramp":"soon"}`})
	p := checkProblem(t, r, "invalid-field", "name")
	var fields []string
	for _, fe := range p["errors"].([]any) {
		fields = append(fields, fe.(map[string]any)["field"].(string))
	}
	if got, want := strings.Join(fields, " "), "name reason groups start end min_capacity ramp"; got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
}

func TestAcceptedEdgeCases(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		body string
	}{
		{"floor above max with cap_at_max", boostWith(t, map[string]any{"min_capacity": 500, "cap_at_max": true})},
		{"overlapping boost", boostBody},
		{"overlapping boost again", boostWith(t, map[string]any{"name": "second"})},
		{"group without a bound", boostWith(t, map[string]any{"groups": []string{"batch"}, "min_capacity": 10000})},
		{"multiplier only", boostWith(t, map[string]any{"min_capacity": nil, "multiplier": 2})},
		{"local seconds", boostWith(t, map[string]any{"start": "2026-06-02T09:00:30"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.must(req{method: "POST", path: "/v1/boosts", body: tc.body}, 201)
		})
	}
	if n := len(e.must(req{method: "GET", path: "/v1/boosts", token: viewerToken}, 200)["boosts"].([]any)); n != len(tests) {
		t.Errorf("%d boosts stored, want %d", n, len(tests))
	}
}

func TestIdempotency(t *testing.T) {
	t.Run("same key twice creates one boost", func(t *testing.T) {
		e := newEnv(t)
		q := req{method: "POST", path: "/v1/boosts", token: operatorToken, body: boostBody, header: map[string]string{"Idempotency-Key": "year-end-1"}}
		first, second := e.do(q), e.do(q)
		if first.status != 201 || second.status != 201 {
			t.Fatalf("statuses %d %d: %s", first.status, second.status, second.body)
		}
		if string(first.body) != string(second.body) {
			t.Errorf("bodies differ:\n%s\n%s", first.body, second.body)
		}
		if first.header.Get(replayedHeader) != "" || second.header.Get(replayedHeader) != "true" {
			t.Errorf("Idempotent-Replayed: first %q, second %q", first.header.Get(replayedHeader), second.header.Get(replayedHeader))
		}
		if second.header.Get("Location") != first.header.Get("Location") {
			t.Errorf("Location %q vs %q", second.header.Get("Location"), first.header.Get("Location"))
		}
		if bs, _ := e.store.ListBoosts(t.Context()); len(bs) != 1 {
			t.Errorf("%d boosts, want 1", len(bs))
		}
		// Another token's same key is another request.
		other := e.do(req{method: "POST", path: "/v1/boosts", token: operatorToken, body: boostBody, header: map[string]string{"Idempotency-Key": "year-end-2"}})
		if other.status != 201 || other.header.Get(replayedHeader) != "" {
			t.Errorf("a new key: %d %q", other.status, other.header.Get(replayedHeader))
		}
	})
	t.Run("same key with another body or path is a conflict", func(t *testing.T) {
		e := newEnv(t)
		key := map[string]string{"Idempotency-Key": "k1"}
		e.must(req{method: "POST", path: "/v1/boosts", body: boostBody, header: key}, 201)
		before := e.snapshot()
		r := e.do(req{method: "POST", path: "/v1/boosts", token: operatorToken, body: boostWith(t, map[string]any{"name": "other"}), header: key})
		checkProblem(t, r, "conflict", "")
		if r.status != 409 {
			t.Errorf("status %d", r.status)
		}
		r = e.do(req{method: "POST", path: "/v1/groups/web/overrides", token: operatorToken, body: overrideBody, header: key})
		if r.status != 409 {
			t.Errorf("same key on another path: status %d", r.status)
		}
		if e.snapshot() != before {
			t.Error("a conflicting key changed the store")
		}
	})
	t.Run("a retried delete replays", func(t *testing.T) {
		e := newEnv(t)
		id := e.must(req{method: "POST", path: "/v1/boosts", body: boostBody}, 201)["id"].(string)
		q := req{method: "DELETE", path: "/v1/boosts/" + id, token: operatorToken, header: map[string]string{"Idempotency-Key": "del"}}
		first, second := e.do(q), e.do(q)
		if first.status != 200 || second.status != 200 || string(first.body) != string(second.body) || second.header.Get(replayedHeader) != "true" {
			t.Errorf("delete retry: %d %d %q\n%s\n%s", first.status, second.status, second.header.Get(replayedHeader), first.body, second.body)
		}
	})
	t.Run("a retried patch changes once", func(t *testing.T) {
		e := newEnv(t)
		id := e.must(req{method: "POST", path: "/v1/boosts", body: boostBody}, 201)["id"].(string)
		q := req{method: "PATCH", path: "/v1/boosts/" + id, token: operatorToken, body: `{"min_capacity":20}`, header: map[string]string{"Idempotency-Key": "p"}}
		first, second := e.do(q), e.do(q)
		if first.status != 200 || string(first.body) != string(second.body) || second.header.Get(replayedHeader) != "true" {
			t.Errorf("patch retry: %d %d\n%s\n%s", first.status, second.status, first.body, second.body)
		}
		if b, _ := e.store.GetBoost(t.Context(), id); b.Version != 2 {
			t.Errorf("version %d after one patch retried, want 2", b.Version)
		}
	})
	t.Run("the key expires", func(t *testing.T) {
		e := newEnv(t)
		q := req{method: "POST", path: "/v1/groups/web/overrides", token: operatorToken, body: overrideBody, header: map[string]string{"Idempotency-Key": "old"}}
		e.must(q, 201)
		e.clock.Advance(DefaultIdempotencyTTL + time.Minute)
		r := e.do(q)
		checkProblem(t, r, "conflict", "")
	})
	t.Run("concurrent retries create one boost", func(t *testing.T) {
		e := newEnv(t)
		const n = 10
		replies := make([]reply, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				replies[i] = e.do(req{method: "POST", path: "/v1/boosts", token: operatorToken, body: boostBody,
					header: map[string]string{"Idempotency-Key": "storm"}})
			})
		}
		wg.Wait()
		replayed := 0
		for i, r := range replies {
			if r.status != 201 || string(r.body) != string(replies[0].body) {
				t.Errorf("reply %d: %d %s", i, r.status, r.body)
			}
			if r.header.Get(replayedHeader) == "true" {
				replayed++
			}
		}
		if replayed < n-1 {
			t.Errorf("%d replies replayed, want at least %d", replayed, n-1)
		}
		if bs, _ := e.store.ListBoosts(t.Context()); len(bs) != 1 {
			t.Errorf("%d boosts, want 1", len(bs))
		}
		if es, _ := e.store.ListAudit(t.Context(), time.Time{}, 0); len(es) != 1 {
			t.Errorf("%d audit entries, want 1", len(es))
		}
	})
}

func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	b := e.must(req{method: "POST", path: "/v1/boosts", body: boostBody}, 201)
	id := b["id"].(string)
	e.clock.Advance(time.Minute)
	e.must(req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"reason":"moved up","version":1}`}, 200)
	// A PATCH that changes nothing writes nothing.
	e.must(req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"reason":"moved up"}`}, 200)
	e.clock.Advance(time.Minute)
	e.must(req{method: "DELETE", path: "/v1/boosts/" + id}, 200)

	entries := e.must(req{method: "GET", path: "/v1/audit", token: viewerToken}, 200)["entries"].([]any)
	tests := []struct {
		action, at          string
		beforeNil, afterNil bool
		beforeReason        string
		afterReason         string
	}{
		{"boost.create", "2026-06-01T12:00:00Z", true, false, "", "CEO email 09:00"},
		{"boost.update", "2026-06-01T12:01:00Z", false, false, "CEO email 09:00", "moved up"},
		{"boost.cancel", "2026-06-01T12:02:00Z", false, false, "moved up", "moved up"},
	}
	if len(entries) != len(tests) {
		t.Fatalf("%d entries, want %d: %v", len(entries), len(tests), entries)
	}
	for i, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			en := entries[i].(map[string]any)
			if en["action"] != tc.action || en["actor"] != "alice" || en["object"] != id || en["at"] != tc.at || en["id"] == "" {
				t.Errorf("entry: %v", en)
			}
			if (en["before"] == nil) != tc.beforeNil || (en["after"] == nil) != tc.afterNil {
				t.Fatalf("before %v after %v", en["before"], en["after"])
			}
			if !tc.beforeNil {
				checkKeys(t, "before", en["before"], boostKeys...)
				if r := en["before"].(map[string]any)["reason"]; r != tc.beforeReason {
					t.Errorf("before.reason %v", r)
				}
			}
			if !tc.afterNil {
				if r := en["after"].(map[string]any)["reason"]; r != tc.afterReason {
					t.Errorf("after.reason %v", r)
				}
			}
		})
	}
	since := e.must(req{method: "GET", path: "/v1/audit?since=2026-06-01T12:01:00Z&limit=1", token: viewerToken}, 200)["entries"].([]any)
	if len(since) != 1 || since[0].(map[string]any)["action"] != "boost.update" {
		t.Errorf("since+limit: %v", since)
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t)
	h, err := New(Options{Store: e.store, Fleet: testFleet()})
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	err = chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route == "/metrics" && method != "GET" {
			return nil // promhttp answers any method; it is documented as GET
		}
		routes[strings.ToLower(method)+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(req{method: "GET", path: "/openapi.json"})
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas         map[string]any `json:"schemas"`
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Components.SecuritySchemes["bearer"] == nil || doc.Components.Schemas["Problem"] == nil {
		t.Errorf("document header: %s %v", doc.OpenAPI, doc.Components.SecuritySchemes)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, o := range ops {
			documented[method+" "+path] = true
			if o["responses"] == nil {
				t.Errorf("%s %s: no responses", method, path)
			}
		}
	}
	for rt := range routes {
		if !documented[rt] {
			t.Errorf("route %s is not documented", rt)
		}
	}
	for d := range documented {
		if !routes[d] {
			t.Errorf("documented %s is not a route", d)
		}
	}
	// Every $ref resolves.
	for _, m := range refPattern.FindAllStringSubmatch(string(r.body), -1) {
		if doc.Components.Schemas[m[1]] == nil {
			t.Errorf("$ref to missing schema %s", m[1])
		}
	}
	if len(routes) < 19 {
		t.Errorf("only %d routes walked", len(routes))
	}
}

var refPattern = regexp.MustCompile(`"#/components/schemas/([A-Za-z]+)"`)
