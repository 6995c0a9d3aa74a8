package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
)

func TestHashToken(t *testing.T) {
	// echo -n secret | sha256sum
	const want = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
	if got := HashToken("secret"); got != want {
		t.Fatalf("HashToken(secret) = %s, want %s", got, want)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	st := newEnv(t).store
	good := Token{Name: "a", Role: RoleViewer, SHA256: [32]byte{1}}
	tests := []struct {
		name string
		o    Options
	}{
		{"no store", Options{Fleet: testFleet()}},
		{"no fleet", Options{Store: st}},
		{"unknown role", Options{Store: st, Fleet: testFleet(), Tokens: []Token{{Name: "a", Role: "admin", SHA256: [32]byte{1}}}}},
		{"unnamed token", Options{Store: st, Fleet: testFleet(), Tokens: []Token{{Role: RoleViewer, SHA256: [32]byte{1}}}}},
		{"name twice", Options{Store: st, Fleet: testFleet(), Tokens: []Token{good, good}}},
		{"empty hash", Options{Store: st, Fleet: testFleet(), Tokens: []Token{{Name: "a", Role: RoleViewer}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.o); err == nil {
				t.Fatal("New accepted bad options")
			}
		})
	}
}

func TestEndpointsHappyPath(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()

	// Boosts.
	r := e.do(req{method: "POST", path: "/v1/boosts", token: operatorToken, body: boostBody})
	if r.status != http.StatusCreated {
		t.Fatalf("create boost: %d %s", r.status, r.body)
	}
	b := r.json(t)
	checkKeys(t, "boost", b, boostKeys...)
	id, _ := b["id"].(string)
	if len(id) != 18 || !strings.HasPrefix(id, "b-") {
		t.Errorf("boost id %q: want b- and 16 hex characters", id)
	}
	if loc := r.header.Get("Location"); loc != "/v1/boosts/"+id {
		t.Errorf("Location %q", loc)
	}
	wantFields := map[string]any{"start": "2026-06-02T08:00:00Z", "end": "2026-06-02T16:00:00Z", "time_zone": "Europe/Paris",
		"ramp": "10m", "lead": "15m", "state": "scheduled", "created_by": "alice", "version": float64(1),
		"created_at": "2026-06-01T12:00:00Z", "min_capacity": float64(15), "multiplier": 1.5}
	for k, want := range wantFields {
		if b[k] != want {
			t.Errorf("boost %s = %v, want %v", k, b[k], want)
		}
	}
	got := e.must(req{method: "GET", path: "/v1/boosts/" + id, token: viewerToken}, 200)
	if got["id"] != id {
		t.Errorf("GET boost id %v", got["id"])
	}
	list := e.must(req{method: "GET", path: "/v1/boosts", token: viewerToken}, 200)
	checkKeys(t, "boost list", list, "boosts", "next")
	if bs, _ := list["boosts"].([]any); len(bs) != 1 {
		t.Errorf("boosts: %v", list["boosts"])
	}
	patched := e.must(req{method: "PATCH", path: "/v1/boosts/" + id, body: `{"reason":"moved","min_capacity":18,"version":1}`}, 200)
	if patched["reason"] != "moved" || patched["min_capacity"] != float64(18) || patched["version"] != float64(2) {
		t.Errorf("patched boost: %v", patched)
	}

	// Overrides.
	r = e.do(req{method: "POST", path: "/v1/groups/workers/overrides", token: operatorToken, body: overrideBody})
	if r.status != http.StatusCreated {
		t.Fatalf("create override: %d %s", r.status, r.body)
	}
	o := r.json(t)
	checkKeys(t, "override", o, overrideKeys...)
	oid, _ := o["id"].(string)
	if len(oid) != 18 || !strings.HasPrefix(oid, "o-") || r.header.Get("Location") != "/v1/overrides/"+oid {
		t.Errorf("override id %q, Location %q", oid, r.header.Get("Location"))
	}
	if o["expires_at"] != "2026-06-01T14:00:00Z" || o["capacity"] != float64(12) || o["min"] != nil {
		t.Errorf("override: %v", o)
	}
	bounds := e.must(req{method: "POST", path: "/v1/groups/web/overrides", body: `{"kind":"bounds","min":4,"reason":"r","expires_at":"2026-06-02T12:00:00+02:00"}`}, 201)
	if bounds["min"] != float64(4) || bounds["max"] != nil || bounds["capacity"] != nil || bounds["expires_at"] != "2026-06-02T10:00:00Z" {
		t.Errorf("bounds override: %v", bounds)
	}
	for _, path := range []string{"/v1/groups/workers/overrides", "/v1/overrides"} {
		l := e.must(req{method: "GET", path: path, token: viewerToken}, 200)
		checkKeys(t, path, l, "overrides", "next")
	}
	if l := e.must(req{method: "GET", path: "/v1/groups/workers/overrides", token: viewerToken}, 200); len(l["overrides"].([]any)) != 1 {
		t.Errorf("workers overrides: %v", l)
	}
	if l := e.must(req{method: "GET", path: "/v1/overrides", token: viewerToken}, 200); len(l["overrides"].([]any)) != 2 {
		t.Errorf("all overrides: %v", l)
	}
	checkKeys(t, "GET override", e.must(req{method: "GET", path: "/v1/overrides/" + oid, token: viewerToken}, 200), overrideKeys...)

	// Groups.
	groups := e.must(req{method: "GET", path: "/v1/groups", token: viewerToken}, 200)
	checkKeys(t, "group list", groups, "groups", "next")
	gs := groups["groups"].([]any)
	if len(gs) != 3 {
		t.Fatalf("groups: %d", len(gs))
	}
	for i, name := range []string{"workers", "web", "batch"} {
		g := gs[i].(map[string]any)
		checkKeys(t, "group "+name, g, summaryKeys...)
		if g["name"] != name {
			t.Errorf("group %d is %v, want %s (config order)", i, g["name"], name)
		}
	}
	w := gs[0].(map[string]any)
	if w["lead"] != "12m30s" || w["desired"] != float64(10) || w["decided"] != float64(12) || w["at"] != "2026-06-01T11:59:50Z" {
		t.Errorf("workers summary: %v", w)
	}
	if fmt.Sprint(w["boosts"]) != "["+id+"]" || fmt.Sprint(w["overrides"]) != "["+oid+"]" {
		t.Errorf("workers boosts %v overrides %v", w["boosts"], w["overrides"])
	}
	if web := gs[1].(map[string]any); fmt.Sprint(web["boosts"]) != "["+id+"]" {
		t.Errorf("web is selected by team=shop, boosts %v", web["boosts"])
	}
	if batch := gs[2].(map[string]any); batch["at"] != nil || batch["known"] != false || fmt.Sprint(batch["boosts"]) != "[]" {
		t.Errorf("batch before its first cycle: %v", batch)
	}

	detail := e.must(req{method: "GET", path: "/v1/groups/workers", token: viewerToken}, 200)
	checkKeys(t, "group detail", detail, "group", "decision", "boosts", "overrides")
	checkKeys(t, "decision", detail["decision"], decisionKeys...)
	if len(detail["boosts"].([]any)) != 1 || len(detail["overrides"].([]any)) != 1 {
		t.Errorf("detail boosts/overrides: %v %v", detail["boosts"], detail["overrides"])
	}
	if d := e.must(req{method: "GET", path: "/v1/groups/batch", token: viewerToken}, 200); d["decision"] != nil {
		t.Errorf("batch decision before first cycle: %v", d["decision"])
	}
	e.must(req{method: "GET", path: "/v1/groups/nope", token: viewerToken}, 404)

	// Decisions from the store.
	var ds []store.Decision
	for i := range 3 {
		doc := controller.Doc(record("workers", t0.Add(time.Duration(i-3)*time.Minute), 10, 10+i))
		body, _ := json.Marshal(doc)
		ds = append(ds, store.Decision{Group: "workers", At: doc.At, Body: body})
	}
	if err := e.store.AppendDecisions(ctx, ds, store.Retention{}, t0); err != nil {
		t.Fatal(err)
	}
	dl := e.must(req{method: "GET", path: "/v1/groups/workers/decisions?limit=2", token: viewerToken}, 200)
	checkKeys(t, "decision list", dl, "decisions", "next")
	items := dl["decisions"].([]any)
	if len(items) != 2 {
		t.Fatalf("decisions limit=2: %d", len(items))
	}
	checkKeys(t, "stored decision", items[0], decisionKeys...)
	if items[0].(map[string]any)["desired"] != float64(12) {
		t.Errorf("decisions are not newest first: %v", items[0])
	}
	since := e.must(req{method: "GET", path: "/v1/groups/workers/decisions?since=2026-06-01T11:58:00Z", token: viewerToken}, 200)
	if n := len(since["decisions"].([]any)); n != 2 {
		t.Errorf("decisions since 11:58: %d, want 2", n)
	}

	// Preview.
	pv := e.must(req{method: "POST", path: "/v1/groups/workers/preview", token: viewerToken,
		body: `{"current":20,"serving":18,"metrics":{"cpu":85.0},"queues":{"jobs":{"visible":5000,"in_flight":40,"delayed":0}},
		"boost":{"name":"what-if","reason":"try","start":"2026-06-01T13:00:00Z","end":"2026-06-01T15:00:00Z","min_capacity":30}}`}, 200)
	checkKeys(t, "preview", pv, "decision")
	checkKeys(t, "preview decision", pv["decision"], decisionKeys...)

	// Audit, then cancels.
	e.must(req{method: "DELETE", path: "/v1/boosts/" + id}, 200)
	e.must(req{method: "DELETE", path: "/v1/overrides/" + oid}, 200)
	if got := e.must(req{method: "GET", path: "/v1/boosts/" + id, token: viewerToken}, 200); got["state"] != "cancelled" {
		t.Errorf("cancelled boost reads as %v", got["state"])
	}
	if l := e.must(req{method: "GET", path: "/v1/boosts", token: viewerToken}, 200); len(l["boosts"].([]any)) != 0 {
		t.Errorf("cancelled boost listed by default: %v", l)
	}
	if l := e.must(req{method: "GET", path: "/v1/boosts?all=true", token: viewerToken}, 200); len(l["boosts"].([]any)) != 1 {
		t.Errorf("cancelled boost not listed with all=true: %v", l)
	}
	audit := e.must(req{method: "GET", path: "/v1/audit", token: viewerToken}, 200)
	checkKeys(t, "audit", audit, "entries", "next")
	entries := audit["entries"].([]any)
	var actions []string
	for _, en := range entries {
		checkKeys(t, "audit entry", en, auditKeys...)
		actions = append(actions, en.(map[string]any)["action"].(string))
	}
	want := "boost.create boost.update override.create override.create boost.cancel override.cancel"
	if strings.Join(actions, " ") != want {
		t.Errorf("audit actions %v, want %s", actions, want)
	}
}

func TestPreviewPassesTheHypothesis(t *testing.T) {
	e := newEnv(t)
	e.must(req{method: "POST", path: "/v1/groups/workers/preview", token: viewerToken,
		body: `{"current":20,"queues":{"jobs":{"visible":5000,"in_flight":40}},
		"boost":{"name":"what-if","reason":"try","groups":["team=shop"],"start":"2026-06-01T13:00:00Z","end":"2026-06-01T15:00:00Z","multiplier":2,"lead":"5m"}}`}, 200)
	p := e.fleet.last
	if e.fleet.lastFor != "workers" || p.Current == nil || *p.Current != 20 || p.Serving != nil {
		t.Errorf("preview for %q: %+v", e.fleet.lastFor, p)
	}
	if q := p.Queues["jobs"]; q.Visible != 5000 || q.InFlight != 40 || !q.At.Equal(t0) {
		t.Errorf("queue jobs: %+v", q)
	}
	if len(p.Boosts) != 1 {
		t.Fatalf("boosts: %+v", p.Boosts)
	}
	b := p.Boosts[0]
	if fmt.Sprint(b.Groups) != "[workers]" || b.Multiplier != 2 || b.Lead != 5*time.Minute || !b.Start.Equal(t0.Add(time.Hour)) {
		t.Errorf("previewed boost: %+v", b)
	}
	// An empty body previews the group as it is.
	e.must(req{method: "POST", path: "/v1/groups/workers/preview", token: viewerToken}, 200)
	if p := e.fleet.last; p.Current != nil || len(p.Boosts) != 0 {
		t.Errorf("empty preview: %+v", p)
	}

	tests := []struct {
		name       string
		err        error
		wantStatus int
	}{
		{"group not described yet", fmt.Errorf("%q: %w", "workers", controller.ErrNotDescribed), 503},
		{"unknown group", controller.ErrUnknownGroup, 404},
		{"other failure", errors.New("boom"), 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.fleet.mu.Lock()
			e.fleet.err = tc.err
			e.fleet.mu.Unlock()
			r := e.do(req{method: "POST", path: "/v1/groups/workers/preview", token: viewerToken, body: `{}`})
			if r.status != tc.wantStatus || r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("status %d (%s), want %d problem", r.status, r.header.Get("Content-Type"), tc.wantStatus)
			}
		})
	}
}

func TestBoostState(t *testing.T) {
	start := t0.Add(time.Hour)
	b := store.Boost{Start: start, End: start.Add(2 * time.Hour)}
	tests := []struct {
		name string
		now  time.Time
		lead time.Duration
		want string
	}{
		{"before the lead", start.Add(-20 * time.Minute), 15 * time.Minute, stateScheduled},
		{"at start-lead", start.Add(-15 * time.Minute), 15 * time.Minute, stateLeading},
		{"just before start", start.Add(-time.Second), 15 * time.Minute, stateLeading},
		{"no lead", start.Add(-time.Second), 0, stateScheduled},
		{"at start", start, 15 * time.Minute, stateActive},
		{"just before end", b.End.Add(-time.Nanosecond), 0, stateActive},
		{"at end", b.End, 0, stateEnded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := boostState(b, tc.now, tc.lead); got != tc.want {
				t.Errorf("state = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestBoostStateOverHTTP(t *testing.T) {
	e := newEnv(t)
	// No lead of its own: workers' measured lead (12m30s) applies.
	b := e.must(req{method: "POST", path: "/v1/boosts", body: `{"name":"n","reason":"r","groups":["workers"],
		"start":"2026-06-01T12:20:00Z","end":"2026-06-01T13:00:00Z","min_capacity":5}`}, 201)
	id := b["id"].(string)
	steps := []struct {
		advance time.Duration
		want    string
		listed  bool
	}{
		{0, stateScheduled, true},
		{8 * time.Minute, stateLeading, true},
		{12 * time.Minute, stateActive, true},
		{40 * time.Minute, stateEnded, false},
	}
	for _, s := range steps {
		e.clock.Advance(s.advance)
		got := e.must(req{method: "GET", path: "/v1/boosts/" + id, token: viewerToken}, 200)
		if got["state"] != s.want {
			t.Errorf("at %s: state %v, want %s", e.clock.Now().Format(time.TimeOnly), got["state"], s.want)
		}
		l := e.must(req{method: "GET", path: "/v1/boosts", token: viewerToken}, 200)
		if listed := len(l["boosts"].([]any)) == 1; listed != s.listed {
			t.Errorf("at %s: listed %v, want %v", e.clock.Now().Format(time.TimeOnly), listed, s.listed)
		}
	}
	if l := e.must(req{method: "GET", path: "/v1/boosts?all=true", token: viewerToken}, 200); len(l["boosts"].([]any)) != 1 {
		t.Errorf("all=true does not include the ended boost: %v", l)
	}
}

func TestOpsThroughNew(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Ready = func() error { return errors.New("no cycle yet") } })
	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
		wantType   string
	}{
		{"/healthz", 200, "ok", "text/plain"},
		{"/readyz", 503, "not ready: no cycle yet", "text/plain"},
		{"/metrics", 200, "promhttp_metric_handler_errors_total", "text/plain"},
		{"/openapi.json", 200, `"openapi": "3.1.0"`, "application/json"},
		{"/nothing", 404, "not-found", "application/problem+json"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := e.do(req{method: "GET", path: tc.path})
			if r.status != tc.wantStatus || !strings.Contains(string(r.body), tc.wantBody) ||
				!strings.HasPrefix(r.header.Get("Content-Type"), tc.wantType) {
				t.Errorf("GET %s: %d %s %q", tc.path, r.status, r.header.Get("Content-Type"), r.body)
			}
		})
	}
}

func TestRequestIDAndRecoverer(t *testing.T) {
	e := newEnv(t)
	e.fleet.panics = true
	r := e.do(req{method: "GET", path: "/v1/groups", token: viewerToken, header: map[string]string{"X-Request-Id": "abc-123"}})
	if r.status != 500 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("panic: %d %s", r.status, r.body)
	}
	p := r.json(t)
	if p["type"] != problemBase+"internal" || p["request_id"] != "abc-123" || r.header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("problem %v, X-Request-Id %q", p, r.header.Get("X-Request-Id"))
	}
	r = e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "bad id with spaces"}})
	if id := r.header.Get("X-Request-Id"); len(id) != 16 {
		t.Errorf("an insane request id is replaced; got %q", id)
	}
}

// failingStore fails every call, as a store whose backend is down.
type failingStore struct{ store.Store }

var errDown = errors.New("connection refused")

func (failingStore) ListBoosts(context.Context) ([]store.Boost, error) { return nil, errDown }
func (failingStore) GetBoost(context.Context, string) (store.Boost, error) {
	return store.Boost{}, errDown
}
func (failingStore) PutBoost(context.Context, store.Boost) (store.Boost, error) {
	return store.Boost{}, errDown
}
func (failingStore) ListAudit(context.Context, time.Time, int) ([]store.AuditEntry, error) {
	return nil, errDown
}

func TestStoreDownIsUnavailable(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Store = failingStore{o.Store} })
	tests := []req{
		{method: "GET", path: "/v1/groups", token: viewerToken},
		{method: "GET", path: "/v1/boosts", token: viewerToken},
		{method: "GET", path: "/v1/boosts/b-1", token: viewerToken},
		{method: "GET", path: "/v1/audit", token: viewerToken},
		{method: "POST", path: "/v1/boosts", token: operatorToken, body: boostBody},
	}
	for _, q := range tests {
		t.Run(q.method+" "+q.path, func(t *testing.T) {
			r := e.do(q)
			p := r.json(t)
			if r.status != 503 || p["type"] != problemBase+"unavailable" || r.header.Get("Retry-After") == "" {
				t.Errorf("%d %v", r.status, p)
			}
			if strings.Contains(string(r.body), errDown.Error()) {
				t.Error("the store's error text leaks to the client")
			}
		})
	}
}

func TestDashboardMount(t *testing.T) {
	dash := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("dashboard " + r.URL.Path))
	})
	e := newEnv(t, func(o *Options) { o.Dashboard = dash })
	tests := []struct {
		method, path string
		dashboard    bool
	}{
		{"GET", "/", true},
		{"GET", "/login", true},
		{"POST", "/login", true},
		{"POST", "/logout", true},
		{"GET", "/groups/workers", true},
		{"GET", "/boosts", true},
		{"POST", "/overrides", true},
		{"GET", "/static/app.js", true},
		{"GET", "/v1/groups", false},
		{"GET", "/healthz", false},
		{"GET", "/openapi.json", false},
		{"GET", "/nope", false},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(req{method: tc.method, path: tc.path})
			if got := string(r.body) == "dashboard "+tc.path; got != tc.dashboard {
				t.Errorf("served by the dashboard: %v, want %v (%d %.80s)", got, tc.dashboard, r.status, r.body)
			}
		})
	}
	// Without a dashboard those paths are the API's 404s.
	if r := newEnv(t).do(req{method: "GET", path: "/"}); r.status != http.StatusNotFound {
		t.Errorf("GET / without a dashboard: %d", r.status)
	}
}
