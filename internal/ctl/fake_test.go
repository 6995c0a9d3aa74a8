package ctl

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (run go test -update if the change is intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// testToken is the operator token the fake API accepts.
const testToken = "s3cret"

// Documents the fake API answers with, as the admin API contract shapes
// them.
const (
	forecastJSON = `{"group":"web","at":"2026-12-01T09:02:00Z","ok":true,"reason":"","step_seconds":300,"band_low":0.1,"band_high":0.9,
 "points":[{"at":"2026-12-01T09:00:00Z","need":2,"low":1.5,"high":2.5},{"at":"2026-12-01T09:55:00Z","need":4,"low":3,"high":5},
           {"at":"2026-12-01T10:00:00Z","need":9,"low":8,"high":10.25}],
 "history":[{"at":"2026-11-23T09:00:00Z","need":2,"arrivals":20,"buckets":12,"campaign":false},{"at":"2026-12-01T08:00:00Z","need":2.5,"arrivals":25,"buckets":12,"campaign":true}],
 "predictive":{"mode":"floor","floor":9,"lead_seconds":900,"quantile":0.9,"applied":true,"reason":"highest q0.9 forecast over [...]: 9.00"}}`
	decisionJSON = `{"group":"web","asg":"web-prod","at":"2026-12-01T09:00:00Z","current":11,"desired":20,
 "min":2,"max":40,"serving":8,"pending":2,"warming":1,"terminating":0,"standby":2,"capacity_type":"units","weighted":true,
 "instances":{"in_service":5,"serving":4,"warming":1,"pending":1,"terminating":0,"standby":1,"protected":0},"asg_min":0,"asg_max":100,
 "proposals":[{"policy":"queue","kind":"backlog","capacity":24,"ok":true,"reason":"rate 180.0/s, backlog 5400 over 2 queues"},
              {"policy":"cpu","kind":"target_tracking","capacity":0,"ok":false,"reason":"stale: newest datapoint is 6m0s old (max_age 3m0s)"}],
 "changes":[{"rule":"rate.scale_out","from":24,"to":20,"reason":"at most +9 per cycle"}],
 "inputs":[{"policy":"queue","name":"jobs.visible","value":5400,"age_seconds":2,"stale":false},
           {"policy":"cpu","name":"CPUUtilization","value":91.5,"age_seconds":360,"stale":true}],
 "scale_in_blocked":"no fresh input from \"cpu\"","paused":false,
 "reason":"scale out 11 -> 20: backlog \"queue\" wants 24 (rate.scale_out)","acted":true}`
	summaryWebJSON = `{"name":"web","asg":"web-prod","min":2,"max":40,"asg_min":0,"asg_max":100,"known":true,"lead":"12m30s",
 "desired":11,"decided":20,"serving":8,"pending":2,"warming":1,"paused":false,"acted":true,"skipped":"","reason":"scale out",
 "error":"","at":"2026-12-01T09:00:00Z","boosts":["b-1"],"overrides":[]}`
	summaryWorkersJSON = `{"name":"workers","asg":"workers-prod","min":1,"max":10,"asg_min":0,"asg_max":0,"known":false,"lead":"",
 "desired":0,"decided":0,"serving":0,"pending":0,"warming":0,"paused":false,"acted":false,"skipped":"","reason":"",
 "error":"","at":"0001-01-01T00:00:00Z","boosts":[],"overrides":["o-1"]}`
	boostJSON = `{"id":"b-1","name":"year-end","reason":"CEO email 09:00","groups":["web","team=rewards"],
 "start":"2026-12-15T08:00:00Z","end":"2026-12-15T20:00:00Z","time_zone":"Europe/Paris","min_capacity":40,
 "multiplier":2.5,"ramp":"10m","lead":"15m","cap_at_max":false,"created_by":"alice","created_at":"2026-12-01T08:00:00Z",
 "updated_at":"2026-12-01T08:00:00Z","version":1,"state":"scheduled"}`
	overrideJSON = `{"id":"o-1","group":"workers","kind":"pin","capacity":6,"min":null,"max":null,"reason":"incident 42",
 "expires_at":"2026-12-01T11:00:00Z","created_by":"bob","created_at":"2026-12-01T09:00:00Z","version":1}`
	boundsJSON = `{"id":"o-2","group":"web","kind":"bounds","min":4,"max":30,"reason":"load test",
 "expires_at":"2026-12-02T09:00:00Z","created_by":"bob","created_at":"2026-12-01T09:00:00Z","version":1}`
	auditJSON = `{"entries":[
 {"id":"a-1","at":"2026-12-01T08:00:00Z","actor":"alice","action":"boost.create","object":"boost/b-1","before":null,"after":` + boostJSON + `},
 {"id":"a-2","at":"2026-12-01T09:00:00Z","actor":"bob","action":"override.create","object":"override/o-1","before":null,"after":` + overrideJSON + `}]}`
)

// canned is one answer of the fake API.
type canned struct {
	status int
	body   string
	// contentType defaults to application/json, or
	// application/problem+json for a status of 400 or above.
	contentType string
	// replayed sets Idempotent-Replayed: true.
	replayed bool
}

// problem is a problem+json answer as the contract shapes it.
func problem(status int, typ, detail string, fields ...FieldProblem) canned {
	p := map[string]any{"type": "https://headroom.dev/problems/" + typ, "title": http.StatusText(status),
		"status": status, "detail": detail, "instance": "/v1/x"}
	if len(fields) > 0 {
		p["field"] = fields[0].Field
		p["errors"] = fields
	}
	b, _ := json.Marshal(p)
	return canned{status: status, body: string(b)}
}

// recorded is one request the fake API received.
type recorded struct {
	Method, Path, Query, Auth, Key, ContentType string
	Body                                        string
}

// fakeAPI answers the admin API's routes with fixed documents, checks the
// bearer token, and records every request. Queued answers go first.
type fakeAPI struct {
	mu     sync.Mutex
	reqs   []recorded
	queue  []canned
	routes map[string]canned
}

func newFakeAPI() *fakeAPI {
	ok := func(body string) canned { return canned{status: http.StatusOK, body: body} }
	created := func(body string) canned { return canned{status: http.StatusCreated, body: body} }
	return &fakeAPI{routes: map[string]canned{
		"GET /v1/groups":                    ok(`{"groups":[` + summaryWebJSON + `,` + summaryWorkersJSON + `]}`),
		"GET /v1/groups/web":                ok(`{"group":` + summaryWebJSON + `,"decision":` + decisionJSON + `,"boosts":[` + boostJSON + `],"overrides":[]}`),
		"GET /v1/groups/workers":            ok(`{"group":` + summaryWorkersJSON + `,"decision":null,"boosts":[],"overrides":[` + overrideJSON + `]}`),
		"GET /v1/groups/web/forecast":       ok(forecastJSON),
		"GET /v1/groups/workers/forecast":   ok(`{"group":"workers","at":"2026-12-01T09:00:00Z","ok":false,"reason":"history too short: 3h0m0s of the 24h0m0s needed","step_seconds":300,"band_low":0.1,"band_high":0.9,"points":[],"history":[{"at":"2026-12-01T06:00:00Z","need":2,"arrivals":20,"buckets":12,"campaign":false}],"predictive":null}`),
		"GET /v1/groups/web/decisions":      ok(`{"decisions":[` + decisionJSON + `,` + decisionJSON + `]}`),
		"POST /v1/groups/web/preview":       ok(`{"decision":` + decisionJSON + `}`),
		"POST /v1/groups/workers/preview":   ok(`{"decision":` + strings.ReplaceAll(decisionJSON, `"web"`, `"workers"`) + `}`),
		"POST /v1/boosts":                   created(boostJSON),
		"GET /v1/boosts":                    ok(`{"boosts":[` + boostJSON + `]}`),
		"GET /v1/boosts/b-1":                ok(boostJSON),
		"PATCH /v1/boosts/b-1":              ok(boostJSON),
		"DELETE /v1/boosts/b-1":             ok(strings.Replace(boostJSON, `"scheduled"`, `"ended"`, 1)),
		"POST /v1/groups/workers/overrides": created(overrideJSON),
		"POST /v1/groups/web/overrides":     created(boundsJSON),
		"GET /v1/overrides":                 ok(`{"overrides":[` + overrideJSON + `,` + boundsJSON + `]}`),
		"GET /v1/groups/web/overrides":      ok(`{"overrides":[]}`),
		"DELETE /v1/overrides/o-1":          ok(overrideJSON),
		"GET /v1/audit":                     ok(auditJSON),
	}}
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Auth: r.Header.Get("Authorization"), Key: r.Header.Get("Idempotency-Key"),
		ContentType: r.Header.Get("Content-Type"), Body: string(body)})
	var c canned
	switch route, ok := f.routes[r.Method+" "+r.URL.EscapedPath()]; {
	case len(f.queue) > 0:
		c, f.queue = f.queue[0], f.queue[1:]
	case r.Header.Get("Authorization") != "Bearer "+testToken:
		w.Header().Set("WWW-Authenticate", `Bearer realm="headroom"`)
		c = problem(http.StatusUnauthorized, "unauthorized", "missing or unknown bearer token")
	case !ok:
		c = problem(http.StatusNotFound, "not-found", fmt.Sprintf("%s: not found", r.URL.Path))
	case len(body) > 0 && r.Header.Get("Content-Type") != "application/json":
		c = problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "writes must be application/json")
	default:
		c = route
	}
	f.mu.Unlock()
	ct := c.contentType
	if ct == "" {
		ct = "application/json"
		if c.status >= 400 {
			ct = "application/problem+json"
		}
	}
	w.Header().Set("Content-Type", ct)
	if c.replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(c.status)
	_, _ = io.WriteString(w, c.body)
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// startFake serves f on a loopback port for the test's lifetime.
func startFake(t *testing.T, f *fakeAPI) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}
