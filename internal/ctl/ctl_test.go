package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testNow is the clock of every test: --since durations and a preview's
// default boost window count from it.
var testNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// runCtl runs ctl with args and env as the environment, without waiting
// between retries.
func runCtl(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{
		Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { return env[k] },
		Now:     func() time.Time { return testNow },
		Backoff: func(int) time.Duration { return 0 },
	})
	return code, out.String(), errb.String()
}

// anyKey in a wanted request means any non-empty Idempotency-Key.
const anyKey = "*"

// checkRequest compares a received request with the wanted one; bodies
// are compared as JSON values.
func checkRequest(t *testing.T, got, want recorded) {
	t.Helper()
	if got.Method != want.Method || got.Path != want.Path || got.Query != want.Query {
		t.Errorf("request %s %s?%s, want %s %s?%s", got.Method, got.Path, got.Query, want.Method, want.Path, want.Query)
	}
	if want.Auth == "" {
		want.Auth = "Bearer " + testToken
	}
	if got.Auth != want.Auth {
		t.Errorf("Authorization %q, want %q", got.Auth, want.Auth)
	}
	switch {
	case want.Key == anyKey && got.Key == "":
		t.Errorf("no Idempotency-Key, want one")
	case want.Key != anyKey && got.Key != want.Key:
		t.Errorf("Idempotency-Key %q, want %q", got.Key, want.Key)
	}
	if want.Body == "" {
		if got.Body != "" {
			t.Errorf("body %s, want none", got.Body)
		}
		return
	}
	if got.ContentType != "application/json" {
		t.Errorf("Content-Type %q, want application/json", got.ContentType)
	}
	var g, w any
	if err := json.Unmarshal([]byte(got.Body), &g); err != nil {
		t.Fatalf("body %q: %v", got.Body, err)
	}
	if err := json.Unmarshal([]byte(want.Body), &w); err != nil {
		t.Fatalf("wanted body %q: %v", want.Body, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body\n%s\nwant\n%s", got.Body, want.Body)
	}
}

// output is what golden files hold: stdout, then stderr when there is any.
func output(stdout, stderr string) []byte {
	if stderr == "" {
		return []byte(stdout)
	}
	return []byte(stdout + "--- stderr\n" + stderr)
}

func TestCommands(t *testing.T) {
	get := func(path, query string) *recorded { return &recorded{Method: "GET", Path: path, Query: query} }
	tests := []struct {
		name string
		args []string
		// queue are answers sent before the fake's routes.
		queue []canned
		// token replaces $HEADROOM_TOKEN when not empty.
		token string
		code  int
		// req is the wanted last request; nil checks only that a request
		// was sent when code is not ExitUsage.
		req *recorded
		// reqs is the wanted number of requests when not 0.
		reqs   int
		golden string
	}{
		// Reads.
		{name: "groups", args: []string{"groups"}, req: get("/v1/groups", ""), golden: "groups.golden"},
		{name: "groups json", args: []string{"groups", "--output", "json"}, req: get("/v1/groups", ""), golden: "groups_json.golden"},
		{name: "group", args: []string{"group", "web"}, req: get("/v1/groups/web", ""), golden: "group_web.golden"},
		{name: "group without decision", args: []string{"group", "workers"}, req: get("/v1/groups/workers", ""), golden: "group_workers.golden"},
		{name: "group flags after name", args: []string{"group", "web", "--output", "json"}, req: get("/v1/groups/web", ""), golden: "group_web_json.golden"},
		{name: "group flags before command", args: []string{"--output", "json", "group", "web"}, req: get("/v1/groups/web", ""), golden: "group_web_json.golden"},
		{name: "group name escaped", args: []string{"group", "a/b c"}, code: ExitNotFound, req: get("/v1/groups/a%2Fb%20c", "")},
		{name: "forecast", args: []string{"forecast", "web"}, req: get("/v1/groups/web/forecast", ""), golden: "forecast.golden"},
		{name: "forecast without one", args: []string{"forecast", "workers"}, req: get("/v1/groups/workers/forecast", ""), golden: "forecast_none.golden"},
		{name: "decisions since duration", args: []string{"decisions", "web", "--since", "2h", "--limit", "5"},
			req: get("/v1/groups/web/decisions", "limit=5&since=2026-12-01T08%3A00%3A00Z"), golden: "decisions.golden"},
		{name: "decisions since time", args: []string{"decisions", "--since", "2026-12-01T09:00:00+01:00", "web"},
			req: get("/v1/groups/web/decisions", "since=2026-12-01T08%3A00%3A00Z")},
		{name: "preview", args: []string{"preview", "web", "--current", "10", "--serving", "0", "--metric", "cpu=85.5",
			"--queue", "jobs=5000,40", "--queue", "retry=7", "--boost-min", "40"},
			req: &recorded{Method: "POST", Path: "/v1/groups/web/preview", Body: `{"current":10,"serving":0,"metrics":{"cpu":85.5},
			"queues":{"jobs":{"visible":5000,"in_flight":40,"delayed":0},"retry":{"visible":7,"in_flight":0,"delayed":0}},
			"boost":{"name":"preview","reason":"preview","groups":["web"],"min_capacity":40,
			"start":"2026-12-01T10:00:00Z","end":"2026-12-01T11:00:00Z"}}`},
			golden: "preview.golden"},
		{name: "preview boost window", args: []string{"preview", "web", "--boost-multiplier", "2.5", "--boost-start", "2026-12-15T09:00",
			"--boost-end", "2026-12-15T21:00", "--time-zone", "Europe/Paris"},
			req: &recorded{Method: "POST", Path: "/v1/groups/web/preview", Body: `{"boost":{"name":"preview","reason":"preview","groups":["web"],
			"multiplier":2.5,"start":"2026-12-15T09:00","end":"2026-12-15T21:00","time_zone":"Europe/Paris"}}`}},
		{name: "preview nothing replaced", args: []string{"preview", "web"}, req: &recorded{Method: "POST", Path: "/v1/groups/web/preview", Body: `{}`}},
		{name: "audit", args: []string{"audit", "--limit", "2"}, req: get("/v1/audit", "limit=2"), golden: "audit.golden"},

		// Boosts.
		{name: "boost create", args: []string{"boost", "create", "--name", "year-end", "--reason", "CEO email 09:00",
			"--group", "web", "--group", "team=rewards", "--start", "2026-12-15T09:00", "--end", "2026-12-15T21:00",
			"--time-zone", "Europe/Paris", "--min-capacity", "40", "--multiplier", "2.5", "--ramp", "10m", "--lead", "15m", "--cap-at-max"},
			req: &recorded{Method: "POST", Path: "/v1/boosts", Key: anyKey, Body: `{"name":"year-end","reason":"CEO email 09:00",
			"groups":["web","team=rewards"],"start":"2026-12-15T09:00","end":"2026-12-15T21:00","time_zone":"Europe/Paris",
			"min_capacity":40,"multiplier":2.5,"ramp":"10m","lead":"15m","cap_at_max":true}`},
			golden: "boost_create.golden"},
		{name: "boost create with key", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web",
			"--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T21:00:00+01:00", "--multiplier", "2", "--idempotency-key", "campaign-n"},
			req: &recorded{Method: "POST", Path: "/v1/boosts", Key: "campaign-n", Body: `{"name":"n","reason":"r","groups":["web"],
			"start":"2026-12-15T09:00:00Z","end":"2026-12-15T21:00:00+01:00","multiplier":2}`}},
		{name: "boost update", args: []string{"boost", "update", "b-1", "--min-capacity", "50", "--version", "3"},
			req: &recorded{Method: "PATCH", Path: "/v1/boosts/b-1", Key: anyKey, Body: `{"min_capacity":50,"version":3}`}, golden: "boost_get.golden"},
		{name: "boost update cap off", args: []string{"boost", "update", "--cap-at-max=false", "b-1"},
			req: &recorded{Method: "PATCH", Path: "/v1/boosts/b-1", Key: anyKey, Body: `{"cap_at_max":false}`}},
		{name: "boost list", args: []string{"boost", "list"}, req: get("/v1/boosts", ""), golden: "boost_list.golden"},
		{name: "boost list all", args: []string{"boost", "list", "--all"}, req: get("/v1/boosts", "all=true"), golden: "boost_list.golden"},
		{name: "boost get", args: []string{"boost", "get", "b-1"}, req: get("/v1/boosts/b-1", ""), golden: "boost_get.golden"},
		{name: "boost get json", args: []string{"boost", "get", "b-1", "--output=json"}, req: get("/v1/boosts/b-1", ""), golden: "boost_get_json.golden"},
		{name: "boost cancel", args: []string{"boost", "cancel", "b-1"}, req: &recorded{Method: "DELETE", Path: "/v1/boosts/b-1", Key: anyKey}, golden: "boost_cancel.golden"},

		// Overrides.
		{name: "override pin", args: []string{"override", "pin", "workers", "--capacity", "6", "--reason", "incident 42", "--ttl", "2h"},
			req:    &recorded{Method: "POST", Path: "/v1/groups/workers/overrides", Key: anyKey, Body: `{"kind":"pin","capacity":6,"reason":"incident 42","ttl":"2h"}`},
			golden: "override_pin.golden"},
		{name: "override pin zero", args: []string{"override", "pin", "workers", "--capacity", "0", "--reason", "drain", "--ttl", "30m"},
			req: &recorded{Method: "POST", Path: "/v1/groups/workers/overrides", Key: anyKey, Body: `{"kind":"pin","capacity":0,"reason":"drain","ttl":"30m"}`}},
		{name: "override pin cap", args: []string{"override", "pin", "workers", "--capacity", "500", "--cap-at-max", "--reason", "all in", "--ttl", "1h"},
			req: &recorded{Method: "POST", Path: "/v1/groups/workers/overrides", Key: anyKey, Body: `{"kind":"pin","capacity":500,"cap_at_max":true,"reason":"all in","ttl":"1h"}`}},
		{name: "override bounds cap", args: []string{"override", "bounds", "web", "--min", "40", "--cap-at-max", "--reason", "campaign", "--ttl", "1h"},
			req: &recorded{Method: "POST", Path: "/v1/groups/web/overrides", Key: anyKey, Body: `{"kind":"bounds","min":40,"cap_at_max":true,"reason":"campaign","ttl":"1h"}`}},
		{name: "override pause", args: []string{"override", "pause", "web", "--reason", "maintenance", "--expires-at", "2026-12-01T12:00:00Z"},
			req: &recorded{Method: "POST", Path: "/v1/groups/web/overrides", Key: anyKey, Body: `{"kind":"pause","reason":"maintenance","expires_at":"2026-12-01T12:00:00Z"}`}},
		{name: "override bounds", args: []string{"override", "bounds", "web", "--min", "4", "--max", "30", "--reason", "load test", "--ttl", "24h"},
			req:    &recorded{Method: "POST", Path: "/v1/groups/web/overrides", Key: anyKey, Body: `{"kind":"bounds","min":4,"max":30,"reason":"load test","ttl":"24h"}`},
			golden: "override_bounds.golden"},
		{name: "override bounds max only", args: []string{"override", "bounds", "web", "--max", "30", "--reason", "cost", "--ttl", "1h"},
			req: &recorded{Method: "POST", Path: "/v1/groups/web/overrides", Key: anyKey, Body: `{"kind":"bounds","max":30,"reason":"cost","ttl":"1h"}`}},
		{name: "override list", args: []string{"override", "list"}, req: get("/v1/overrides", ""), golden: "override_list.golden"},
		{name: "override list group", args: []string{"override", "list", "web"}, req: get("/v1/groups/web/overrides", ""), golden: "override_list_empty.golden"},
		{name: "override cancel", args: []string{"override", "cancel", "o-1"}, req: &recorded{Method: "DELETE", Path: "/v1/overrides/o-1", Key: anyKey}, golden: "override_cancel.golden"},

		// Every status class.
		{name: "422 field problems", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web", "--group", "nope",
			"--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T08:00:00Z", "--min-capacity", "4"},
			queue: []canned{problem(422, "invalid-field", "end: must be after start",
				FieldProblem{Field: "end", Detail: "must be after start"}, FieldProblem{Field: "groups[1]", Detail: `no group "nope" and no tag selector`})},
			code: ExitFailed, golden: "error_422.golden"},
		{name: "400 unknown field", args: []string{"groups"}, queue: []canned{problem(400, "unknown-field", "unknown field \"bogus\"", FieldProblem{Field: "bogus", Detail: "unknown field"})}, code: ExitFailed},
		{name: "401 wrong token", args: []string{"groups"}, token: "wrong", code: ExitAuth, req: &recorded{Method: "GET", Path: "/v1/groups", Auth: "Bearer wrong"}, golden: "error_401.golden"},
		{name: "403 viewer write", args: []string{"boost", "cancel", "b-1"}, queue: []canned{problem(403, "forbidden", "token \"ci\" has role viewer; this needs operator")}, code: ExitAuth},
		{name: "404", args: []string{"boost", "get", "b-9"}, code: ExitNotFound, req: get("/v1/boosts/b-9", ""), golden: "error_404.golden"},
		{name: "409", args: []string{"boost", "update", "b-1", "--reason", "r2", "--version", "1"},
			queue: []canned{problem(409, "conflict", "boost b-1 is at version 2, not 1")}, code: ExitConflict, golden: "error_409.golden"},
		{name: "413", args: []string{"groups"}, queue: []canned{problem(413, "body-too-large", "body larger than 1 MiB")}, code: ExitFailed},
		{name: "500", args: []string{"groups"}, queue: []canned{problem(500, "internal", "internal error")}, code: ExitFailed, reqs: 1},
		{name: "503 every attempt", args: []string{"groups"}, queue: []canned{problem(503, "unavailable", "store unavailable"),
			problem(503, "unavailable", "store unavailable"), problem(503, "unavailable", "store unavailable"),
			problem(503, "unavailable", "store unavailable")}, code: ExitFailed, reqs: 1 + MaxRetries},
		{name: "502 from a proxy", args: []string{"groups"}, queue: []canned{
			{status: 502, body: "<html>bad gateway</html>", contentType: "text/html"},
			{status: 502, body: "<html>bad gateway</html>", contentType: "text/html"},
			{status: 502, body: "<html>bad gateway</html>", contentType: "text/html"},
			{status: 502, body: "<html>bad gateway</html>", contentType: "text/html"}}, code: ExitFailed, reqs: 4, golden: "error_502.golden"},
		{name: "replayed write", args: []string{"boost", "cancel", "b-1", "--idempotency-key", "k-1"},
			queue: []canned{{status: 200, body: boostJSON, replayed: true}}, code: ExitOK,
			req: &recorded{Method: "DELETE", Path: "/v1/boosts/b-1", Key: "k-1"}, golden: "replayed.golden"},
		{name: "3xx is a failure", args: []string{"groups"}, queue: []canned{{status: 304}}, code: ExitFailed},
		{name: "200 not JSON", args: []string{"groups"}, queue: []canned{{status: 200, body: "ok"}}, code: ExitFailed},

		// Usage errors, detected before any request.
		{name: "no command", args: nil, code: ExitUsage},
		{name: "unknown command", args: []string{"frob"}, code: ExitUsage},
		{name: "boost without subcommand", args: []string{"boost"}, code: ExitUsage},
		{name: "unknown flag", args: []string{"groups", "--nope"}, code: ExitUsage},
		{name: "unknown global flag", args: []string{"--nope", "groups"}, code: ExitUsage},
		{name: "group missing name", args: []string{"group"}, code: ExitUsage, golden: "usage_missing_name.golden"},
		{name: "group extra args", args: []string{"group", "a", "b"}, code: ExitUsage},
		{name: "empty name", args: []string{"group", ""}, code: ExitUsage},
		{name: "bad output", args: []string{"groups", "--output", "yaml"}, code: ExitUsage},
		{name: "bad server", args: []string{"groups", "--server", "127.0.0.1:8080"}, code: ExitUsage},
		{name: "bad timeout", args: []string{"groups", "--timeout", "0s"}, code: ExitUsage},
		{name: "decisions limit", args: []string{"decisions", "web", "--limit", "0"}, code: ExitUsage},
		{name: "decisions since", args: []string{"decisions", "web", "--since", "yesterday"}, code: ExitUsage},
		{name: "preview bad metric", args: []string{"preview", "web", "--metric", "cpu"}, code: ExitUsage},
		{name: "preview metric not a number", args: []string{"preview", "web", "--metric", "cpu=high"}, code: ExitUsage},
		{name: "preview bad queue", args: []string{"preview", "web", "--queue", "jobs=1,2,3,4"}, code: ExitUsage},
		{name: "preview negative queue", args: []string{"preview", "web", "--queue", "jobs=-1"}, code: ExitUsage},
		{name: "preview window without boost", args: []string{"preview", "web", "--boost-start", "2026-12-15T09:00:00Z", "--boost-end", "2026-12-15T10:00:00Z"}, code: ExitUsage},
		{name: "preview start without end", args: []string{"preview", "web", "--boost-min", "4", "--boost-start", "2026-12-15T09:00:00Z"}, code: ExitUsage},
		{name: "preview negative current", args: []string{"preview", "web", "--current", "-1"}, code: ExitUsage},
		{name: "boost create missing name", args: []string{"boost", "create", "--reason", "r", "--group", "web", "--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T10:00:00Z", "--min-capacity", "4"}, code: ExitUsage, golden: "usage_boost_name.golden"},
		{name: "boost create no floor", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web", "--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T10:00:00Z"}, code: ExitUsage},
		{name: "boost create local time without zone", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web", "--start", "2026-12-15T09:00", "--end", "2026-12-15T10:00", "--min-capacity", "4"}, code: ExitUsage, golden: "usage_boost_zone.golden"},
		{name: "boost create bad time", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web", "--start", "tomorrow", "--end", "2026-12-15T10:00:00Z", "--min-capacity", "4"}, code: ExitUsage},
		{name: "boost create bad ramp", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web", "--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T10:00:00Z", "--min-capacity", "4", "--ramp", "10"}, code: ExitUsage},
		{name: "boost create negative lead", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web", "--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T10:00:00Z", "--min-capacity", "4", "--lead", "-1m"}, code: ExitUsage},
		{name: "boost create small multiplier", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web", "--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T10:00:00Z", "--multiplier", "0.5"}, code: ExitUsage},
		{name: "boost create zero min", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web", "--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T10:00:00Z", "--min-capacity", "0"}, code: ExitUsage},
		{name: "boost create long key", args: []string{"boost", "create", "--name", "n", "--reason", "r", "--group", "web", "--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T10:00:00Z", "--min-capacity", "4", "--idempotency-key", strings.Repeat("k", 201)}, code: ExitUsage},
		{name: "boost create positional", args: []string{"boost", "create", "year-end"}, code: ExitUsage},
		{name: "boost update nothing", args: []string{"boost", "update", "b-1", "--version", "2"}, code: ExitUsage},
		{name: "boost get missing id", args: []string{"boost", "get"}, code: ExitUsage},
		{name: "override pin no expiry", args: []string{"override", "pin", "web", "--capacity", "4", "--reason", "r"}, code: ExitUsage},
		{name: "override pin both expiries", args: []string{"override", "pin", "web", "--capacity", "4", "--reason", "r", "--ttl", "1h", "--expires-at", "2026-12-01T12:00:00Z"}, code: ExitUsage},
		{name: "override pin ttl too long", args: []string{"override", "pin", "web", "--capacity", "4", "--reason", "r", "--ttl", "200h"}, code: ExitUsage},
		{name: "override pin no capacity", args: []string{"override", "pin", "web", "--reason", "r", "--ttl", "1h"}, code: ExitUsage},
		{name: "override pause no reason", args: []string{"override", "pause", "web", "--ttl", "1h"}, code: ExitUsage},
		{name: "override pause bad expiry", args: []string{"override", "pause", "web", "--reason", "r", "--expires-at", "noon"}, code: ExitUsage},
		{name: "override bounds nothing", args: []string{"override", "bounds", "web", "--reason", "r", "--ttl", "1h"}, code: ExitUsage},
		{name: "override bounds inverted", args: []string{"override", "bounds", "web", "--min", "5", "--max", "4", "--reason", "r", "--ttl", "1h"}, code: ExitUsage},
		{name: "override list extra", args: []string{"override", "list", "a", "b"}, code: ExitUsage},
		{name: "audit positional", args: []string{"audit", "x"}, code: ExitUsage},

		// Help.
		{name: "help", args: []string{"--help"}, code: ExitOK, golden: "help.golden"},
		{name: "command help", args: []string{"boost", "create", "-h"}, code: ExitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeAPI()
			fake.queue = tc.queue
			url := startFake(t, fake)
			token := testToken
			if tc.token != "" {
				token = tc.token
			}
			code, stdout, stderr := runCtl(t, map[string]string{EnvURL: url, EnvToken: token}, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			reqs := fake.requests()
			switch {
			case tc.code == ExitUsage || (tc.code == ExitOK && tc.req == nil && tc.reqs == 0 && len(tc.queue) == 0):
				if len(reqs) != 0 {
					t.Fatalf("sent %d requests, want none: %+v", len(reqs), reqs)
				}
			case tc.reqs != 0 && len(reqs) != tc.reqs:
				t.Fatalf("sent %d requests, want %d", len(reqs), tc.reqs)
			case len(reqs) == 0:
				t.Fatalf("sent no request")
			}
			if tc.req != nil {
				checkRequest(t, reqs[len(reqs)-1], *tc.req)
			}
			if code != ExitOK && code != ExitUsage && stderr == "" {
				t.Errorf("exit %d with nothing on stderr", code)
			}
			if tc.golden != "" {
				golden(t, tc.golden, output(stdout, stderr))
			}
		})
	}
}

// TestRetry checks that transient failures are retried with the same body
// and Idempotency-Key, and others are not.
func TestRetry(t *testing.T) {
	unavailable := problem(503, "unavailable", "store unavailable")
	tests := []struct {
		name  string
		queue []canned
		code  int
		reqs  int
	}{
		{name: "503 twice then created", queue: []canned{unavailable, unavailable}, code: ExitOK, reqs: 3},
		{name: "504 then created", queue: []canned{{status: 504, body: "upstream timed out", contentType: "text/plain"}}, code: ExitOK, reqs: 2},
		{name: "always 503", queue: []canned{unavailable, unavailable, unavailable, unavailable}, code: ExitFailed, reqs: 1 + MaxRetries},
		{name: "422 is not retried", queue: []canned{problem(422, "invalid-field", "end: must be in the future")}, code: ExitFailed, reqs: 1},
		{name: "409 is not retried", queue: []canned{problem(409, "conflict", "idempotency key reused with another body")}, code: ExitConflict, reqs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeAPI()
			fake.queue = tc.queue
			url := startFake(t, fake)
			code, stdout, stderr := runCtl(t, map[string]string{EnvURL: url, EnvToken: testToken},
				"boost", "create", "--name", "n", "--reason", "r", "--group", "web",
				"--start", "2026-12-15T09:00:00Z", "--end", "2026-12-15T10:00:00Z", "--min-capacity", "4")
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			reqs := fake.requests()
			if len(reqs) != tc.reqs {
				t.Fatalf("sent %d requests, want %d", len(reqs), tc.reqs)
			}
			for i, r := range reqs {
				if r.Key == "" || r.Key != reqs[0].Key {
					t.Errorf("attempt %d: Idempotency-Key %q, want %q as the first", i+1, r.Key, reqs[0].Key)
				}
				if r.Body != reqs[0].Body {
					t.Errorf("attempt %d: body %s, want %s as the first", i+1, r.Body, reqs[0].Body)
				}
			}
		})
	}
	t.Run("each invocation has its own key", func(t *testing.T) {
		fake := newFakeAPI()
		url := startFake(t, fake)
		for range 2 {
			if code, _, stderr := runCtl(t, map[string]string{EnvURL: url, EnvToken: testToken}, "boost", "cancel", "b-1"); code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
		}
		reqs := fake.requests()
		if len(reqs) != 2 || reqs[0].Key == reqs[1].Key {
			t.Fatalf("keys %q and %q, want two different keys", reqs[0].Key, reqs[1].Key)
		}
	})
}

// TestUnreachable checks exit 6 when nothing answers, after retrying a
// refused connection.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	block := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(block.Close)

	tests := []struct {
		name    string
		url     string
		args    []string
		retries int
	}{
		{name: "connection refused", url: closedURL, args: []string{"groups"}, retries: MaxRetries},
		{name: "no answer before the timeout", url: block.URL, args: []string{"groups", "--timeout", "100ms"}, retries: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			retries := 0
			code := Run(context.Background(), tc.args, Env{Stdout: &out, Stderr: &errb,
				Getenv:  func(k string) string { return map[string]string{EnvURL: tc.url}[k] },
				Backoff: func(int) time.Duration { retries++; return 0 }})
			if code != ExitUnreachable {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, ExitUnreachable, errb.String())
			}
			if !strings.Contains(errb.String(), "cannot reach the server at "+tc.url) {
				t.Errorf("stderr %q does not name the server", errb.String())
			}
			if retries != tc.retries {
				t.Errorf("%d retries, want %d", retries, tc.retries)
			}
		})
	}
}

// roundTripFunc records where requests would go without sending them.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestEnvDefaults checks where the server URL and the token come from:
// the flags, else the environment, else the defaults.
func TestEnvDefaults(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantURL  string
		wantAuth string
	}{
		{name: "defaults", env: nil, args: []string{"groups"}, wantURL: DefaultURL + "/v1/groups", wantAuth: ""},
		{name: "environment", env: map[string]string{EnvURL: "https://headroom.example:9443/", EnvToken: "from-env"},
			args: []string{"groups"}, wantURL: "https://headroom.example:9443/v1/groups", wantAuth: "Bearer from-env"},
		{name: "flags win", env: map[string]string{EnvURL: "https://headroom.example:9443", EnvToken: "from-env"},
			args: []string{"--server", "http://10.0.0.1:8080", "groups", "--token", "from-flag"}, wantURL: "http://10.0.0.1:8080/v1/groups", wantAuth: "Bearer from-flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotURL, gotAuth string
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				gotURL, gotAuth = r.URL.String(), r.Header.Get("Authorization")
				return nil, errors.New("not sent")
			})}
			var out, errb bytes.Buffer
			code := Run(context.Background(), tc.args, Env{Stdout: &out, Stderr: &errb, HTTP: hc,
				Getenv: func(k string) string { return tc.env[k] }})
			if code != ExitUnreachable {
				t.Fatalf("exit %d, want %d: %s", code, ExitUnreachable, errb.String())
			}
			if gotURL != tc.wantURL || gotAuth != tc.wantAuth {
				t.Errorf("sent to %q with Authorization %q, want %q with %q", gotURL, gotAuth, tc.wantURL, tc.wantAuth)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "nil", err: nil, want: ExitOK},
		{name: "400", err: &Problem{Status: 400}, want: ExitFailed},
		{name: "401", err: &Problem{Status: 401}, want: ExitAuth},
		{name: "403", err: &Problem{Status: 403}, want: ExitAuth},
		{name: "404", err: &Problem{Status: 404}, want: ExitNotFound},
		{name: "409", err: &Problem{Status: 409}, want: ExitConflict},
		{name: "415", err: &Problem{Status: 415}, want: ExitFailed},
		{name: "422", err: &Problem{Status: 422}, want: ExitFailed},
		{name: "500", err: &Problem{Status: 500}, want: ExitFailed},
		{name: "503", err: &Problem{Status: 503}, want: ExitFailed},
		{name: "unreachable", err: &UnreachableError{URL: "http://x", Err: errors.New("refused")}, want: ExitUnreachable},
		{name: "other", err: errors.New("decode"), want: ExitFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExitCode(tc.err); got != tc.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}
