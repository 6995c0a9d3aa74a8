package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
)

// t0 is the tests' "now".
var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	viewerToken   = "viewer-secret-0123456789"
	operatorToken = "operator-secret-0123456789"
)

// fakeFleet is a controller as the API sees it.
type fakeFleet struct {
	mu      sync.Mutex
	views   []controller.GroupView
	last    controller.Preview
	lastFor string
	err     error
	panics  bool
}

func (f *fakeFleet) Views() []controller.GroupView {
	if f.panics {
		panic("fleet exploded")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.views)
}

func (f *fakeFleet) View(name string) (controller.GroupView, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.views {
		if v.Name == name {
			return v, true
		}
	}
	return controller.GroupView{}, false
}

func (f *fakeFleet) Preview(_ context.Context, group string, p controller.Preview) (controller.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last, f.lastFor = p, group
	if f.err != nil {
		return controller.Record{}, f.err
	}
	cur := 10
	if p.Current != nil {
		cur = *p.Current
	}
	return record(group, t0, cur, cur+5), nil
}

// record is a realistic decision: three proposals, two changes, three
// inputs.
func record(group string, at time.Time, current, desired int) controller.Record {
	return controller.Record{
		Decision: policy.Decision{
			Group: group, At: at, Current: current, Desired: desired, Min: 2, Max: 40,
			Proposals: []policy.Proposal{
				{Policy: "cpu", Kind: policy.KindTargetTracking, Capacity: desired, OK: true, Reason: "cpu 85 over target 60"},
				{Policy: "jobs", Kind: policy.KindBacklog, Capacity: desired - 2, OK: true, Reason: "backlog 5000 at 0.4 s each"},
				{Policy: "latency", Kind: policy.KindStep, Capacity: 0, OK: false, Reason: "metric stale"},
			},
			Changes: []policy.Change{
				{Rule: "stabilize", From: desired + 3, To: desired + 1, Reason: "scale-in window"},
				{Rule: "max", From: desired + 1, To: desired, Reason: "capped at max"},
			},
			Inputs: []policy.InputAge{
				{Policy: "cpu", Name: "metric", Value: 85, Age: 30 * time.Second},
				{Policy: "jobs", Name: "jobs", Value: 5040, Age: 2 * time.Second},
				{Policy: "latency", Name: "metric", Value: 1.2, Age: 10 * time.Minute, Stale: true},
			},
			Reason: "cpu wants more",
		},
		ASG: group + "-asg", Acted: true, Serving: current, Pending: 1, Warming: 2, ASGMin: 1, ASGMax: 60,
	}
}

func testFleet() *fakeFleet {
	workers := record("workers", t0.Add(-10*time.Second), 10, 12)
	web := record("web", t0.Add(-10*time.Second), 8, 8)
	return &fakeFleet{views: []controller.GroupView{
		{Name: "workers", ASG: "workers-asg", Min: 2, Max: 50, Tags: map[string]string{"team": "rewards"},
			ASGMin: 1, ASGMax: 40, Known: true, Lead: 12*time.Minute + 30*time.Second, Last: &workers,
			Metrics: []string{"cpu", "latency"}, Queues: []string{"jobs", "retry"}},
		{Name: "web", ASG: "web-asg", Min: 2, Max: 20, Tags: map[string]string{"team": "shop"},
			ASGMin: 2, ASGMax: 30, Known: true, Lead: 5 * time.Minute, Last: &web},
		{Name: "batch", ASG: "batch-asg", Min: 0, Max: 0, Lead: 5 * time.Minute},
	}}
}

// env is one API under test: real HTTP, a bolt store, a fake clock.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	store store.Store
	clock *clock.Fake
	fleet *fakeFleet
}

func newEnv(t testing.TB, mutate ...func(*Options)) *env {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "headroom.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	clk := clock.NewFake(t0)
	fl := testFleet()
	o := Options{Store: st, Fleet: fl, Clock: clk, Tokens: []Token{
		{Name: "alice", Role: RoleOperator, SHA256: sha256.Sum256([]byte(operatorToken))},
		{Name: "victor", Role: RoleViewer, SHA256: sha256.Sum256([]byte(viewerToken))},
	},
		// Every test client is 127.0.0.1, and many tests send bad tokens
		// on purpose; the failure limit's own tests set their own.
		AuthFailureBurst: 100_000}
	for _, m := range mutate {
		m(&o)
	}
	h, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, store: o.Store, clock: clk, fleet: fl}
}

// reply is one response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// req is one request; headers are set after the defaults.
type req struct {
	method, path, token, body string
	header                    map[string]string
}

func (e *env) do(q req) reply {
	e.t.Helper()
	var body io.Reader
	if q.body != "" {
		body = bytes.NewBufferString(q.body)
	}
	r, err := http.NewRequestWithContext(e.t.Context(), q.method, e.srv.URL+q.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if q.token != "" {
		r.Header.Set("Authorization", "Bearer "+q.token)
	}
	if q.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(r)
	if err != nil {
		e.t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read %s %s: %v", q.method, q.path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// must does q as the operator and requires want.
func (e *env) must(q req, want int) map[string]any {
	e.t.Helper()
	if q.token == "" {
		q.token = operatorToken
	}
	r := e.do(q)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", q.method, q.path, r.status, want, r.body)
	}
	return r.json(e.t)
}

// snapshot is everything the API can write, for "nothing changed" checks.
type snapshot struct {
	Boosts    []store.Boost
	Overrides []store.Override
	Audit     []store.AuditEntry
}

func (e *env) snapshot() string {
	e.t.Helper()
	ctx := e.t.Context()
	var s snapshot
	var err error
	if s.Boosts, err = e.store.ListBoosts(ctx); err != nil {
		e.t.Fatal(err)
	}
	if s.Overrides, err = e.store.ListOverrides(ctx, ""); err != nil {
		e.t.Fatal(err)
	}
	if s.Audit, err = e.store.ListAudit(ctx, time.Time{}, 0); err != nil {
		e.t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkKeys fails unless m has exactly the keys want.
func checkKeys(t *testing.T, what string, m any, want ...string) {
	t.Helper()
	mm, ok := m.(map[string]any)
	if !ok {
		t.Errorf("%s: %T is not an object", what, m)
		return
	}
	sort.Strings(want)
	if got := keysOf(mm); !slices.Equal(got, want) {
		t.Errorf("%s keys:\n got %v\nwant %v", what, got, want)
	}
}

// boostBody is a valid boost create body starting in a day.
const boostBody = `{"name":"year-end","reason":"CEO email 09:00","groups":["workers","team=shop"],
 "start":"2026-06-02T09:00:00+01:00","end":"2026-06-02T18:00","time_zone":"Europe/Paris",
 "min_capacity":15,"multiplier":1.5,"ramp":"10m","lead":"15m","cap_at_max":false}`

const overrideBody = `{"kind":"pin","capacity":12,"reason":"incident 42","ttl":"2h"}`

var (
	boostKeys = []string{"id", "name", "reason", "groups", "start", "end", "time_zone", "min_capacity", "multiplier",
		"ramp", "lead", "effective_lead", "cap_at_max", "created_by", "created_at", "updated_at", "cancelled_at", "cancelled_by", "version", "state", "campaign"}
	overrideKeys = []string{"id", "group", "kind", "capacity", "min", "max", "cap_at_max", "reason", "expires_at", "created_by",
		"created_at", "cancelled_at", "cancelled_by", "version", "state"}
	summaryKeys = []string{"name", "asg", "kind", "target", "min", "max", "asg_min", "asg_max", "known", "lead", "desired", "decided",
		"serving", "pending", "warming", "paused", "acted", "skipped", "reason", "error", "at", "boosts", "overrides"}
	decisionKeys = []string{"group", "asg", "at", "current", "desired", "min", "max", "serving", "pending", "warming", "terminating", "standby", "replacing", "capacity_type", "weighted", "instances",
		"asg_min", "asg_max", "proposals", "changes", "inputs", "queues", "paused", "reason", "acted"}
	auditKeys = []string{"id", "at", "actor", "action", "object", "before", "after"}
)
