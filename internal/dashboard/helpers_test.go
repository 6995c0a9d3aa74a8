package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/api"
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

// fakeFleet is a controller as the API sees it. Its previews honour a
// previewed boost's min_capacity, so that a preview shows the floor.
type fakeFleet struct {
	mu    sync.Mutex
	views []controller.GroupView
}

func (f *fakeFleet) Views() []controller.GroupView {
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
	v, ok := f.View(group)
	if !ok {
		return controller.Record{}, controller.ErrUnknownGroup
	}
	cur := 10
	if v.Last != nil {
		cur = v.Last.Current
	}
	want := cur
	for _, b := range p.Boosts {
		want = max(want, b.MinCapacity)
	}
	r := record(group, t0, cur, want, false)
	r.Reason = fmt.Sprintf("boost floor %d", want)
	return r, nil
}

// record is a realistic decision: three proposals, two changes, three
// inputs, the last one stale when stale is set.
func record(group string, at time.Time, current, desired int, stale bool) controller.Record {
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
				{Policy: "latency", Name: "metric", Value: 1.2, Age: 10 * time.Minute, Stale: stale},
			},
			Queues: []policy.QueueDetail{{Policy: "jobs", Queue: "jobs", Lambda: 12.5, Backlog: 5000, Projected: 4200,
				Budget: 750, Excess: 3450, OnItsWay: 2, Lead: 3 * time.Minute, Rate: 5, Drain: 23, Floor: 4.4, Need: 28,
				Term: policy.TermDrain}},
			Reason: "cpu wants more",
		},
		ASG: group + "-asg", Acted: true, Serving: current, Pending: 1, Warming: 2, ASGMin: 1, ASGMax: 60,
	}
}

// view is a described group with a latest decision.
func view(name string, r *controller.Record) controller.GroupView {
	return controller.GroupView{Name: name, ASG: name + "-asg", Min: 2, Max: 50, Tags: map[string]string{"team": "t-" + name},
		ASGMin: 1, ASGMax: 40, Known: true, Lead: 5 * time.Minute, Last: r}
}

// testViews is a small fleet with one group in every status.
func testViews() []controller.GroupView {
	workers := record("workers", t0.Add(-10*time.Second), 10, 12, true)
	workers.Notes = []string{"other scaling policies attached to the group can change its desired capacity too: cpu50 (TargetTrackingScaling)",
		"scaling policies attached to the group that cannot change its capacity now: add-one (SimpleScaling, disabled)"}
	web := record("web", t0.Add(-10*time.Second), 8, 8, false)
	lagging := record("lagging", t0.Add(-10*time.Second), 4, 4, false)
	lagging.Skipped = controller.SkipNotLeader
	broken := record("broken", t0.Add(-10*time.Second), 4, 4, false)
	broken.Error = "describe group: throttled"
	held := record("held", t0.Add(-10*time.Second), 6, 6, false)
	held.Paused = true
	return []controller.GroupView{view("workers", &workers), view("web", &web), view("lagging", &lagging),
		view("broken", &broken), view("held", &held), {Name: "batch", ASG: "batch-asg", Lead: 5 * time.Minute}}
}

// manyViews is n described groups named g0000...
func manyViews(n int) []controller.GroupView {
	out := make([]controller.GroupView, n)
	for i := range out {
		r := record(fmt.Sprintf("g%04d", i), t0.Add(-10*time.Second), 10, 12, false)
		out[i] = view(r.Group, &r)
	}
	return out
}

// countingStore counts ListDecisions calls by group.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	reads map[string]int
	total atomic.Int64
}

func (c *countingStore) ListDecisions(ctx context.Context, group string, since time.Time, limit int) ([]store.Decision, error) {
	c.mu.Lock()
	c.reads[group]++
	c.mu.Unlock()
	c.total.Add(1)
	return c.Store.ListDecisions(ctx, group, since, limit)
}

func (c *countingStore) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads = map[string]int{}
	c.total.Store(0)
}

// env is the admin listener under test: the real API router with the
// dashboard mounted, a bolt store, a fake clock.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	store store.Store
	reads *countingStore
	clock *clock.Fake
	fleet *fakeFleet
}

func newEnv(t testing.TB, views []controller.GroupView) *env {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "headroom.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	clk := clock.NewFake(t0)
	fl := &fakeFleet{views: views}
	tokens := []api.Token{
		{Name: "alice", Role: api.RoleOperator, SHA256: sha256.Sum256([]byte(operatorToken))},
		{Name: "victor", Role: api.RoleViewer, SHA256: sha256.Sum256([]byte(viewerToken))},
	}
	cs := &countingStore{Store: st, reads: map[string]int{}}
	dash, err := New(Options{Tokens: tokens, Store: cs, Clock: clk})
	if err != nil {
		t.Fatalf("dashboard.New: %v", err)
	}
	h, err := api.New(api.Options{Store: st, Fleet: fl, Clock: clk, Tokens: tokens, Dashboard: dash})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	dash.SetAPI(h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, store: st, reads: cs, clock: clk, fleet: fl}
}

// history records n decisions of each group, a minute apart, ending at
// t0; the newest has a stale input when stale is set.
func (e *env) history(n int, stale bool, groups ...string) {
	e.t.Helper()
	ds := make([]store.Decision, 0, n*len(groups))
	for _, group := range groups {
		for i := range n {
			at := t0.Add(-time.Duration(n-1-i) * time.Minute)
			body, err := json.Marshal(controller.Doc(record(group, at, 10+i%5, 11+i%7, stale && i == n-1)))
			if err != nil {
				e.t.Fatal(err)
			}
			ds = append(ds, store.Decision{Group: group, At: at, Body: body})
		}
	}
	if err := e.store.AppendDecisions(context.Background(), ds, store.Retention{}, t0); err != nil {
		e.t.Fatalf("append decisions: %v", err)
	}
}

// names are the names of views.
func names(views []controller.GroupView) []string {
	out := make([]string, len(views))
	for i, v := range views {
		out[i] = v.Name
	}
	return out
}

// browser is one user agent: a cookie jar, and redirects not followed so
// that tests see them.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is one response.
type resp struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) resp {
	b.e.t.Helper()
	r, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.e.t.Fatalf("GET %s: %v", path, err)
	}
	return read(b.e.t, r)
}

// post sends a form; the session's CSRF token is added unless the form
// has one.
func (b *browser) post(path string, form url.Values, header ...string) resp {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	r, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("POST %s: %v", path, err)
	}
	return read(b.e.t, r)
}

func read(t testing.TB, r *http.Response) resp {
	t.Helper()
	defer r.Body.Close()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: r.StatusCode, header: r.Header, body: string(body)}
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// login logs in with token and remembers the session's CSRF token.
func (e *env) login(token string) *browser {
	e.t.Helper()
	b := e.browser()
	r := b.post("/login", url.Values{"token": {token}, "csrf": {""}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		e.t.Fatalf("login: %d %s", r.status, r.header.Get("Location"))
	}
	home := b.get("/")
	if home.status != http.StatusOK {
		e.t.Fatalf("GET / after login: %d", home.status)
	}
	m := csrfPattern.FindStringSubmatch(home.body)
	if m == nil {
		e.t.Fatal("no CSRF token on the page")
	}
	b.csrf = m[1]
	return b
}

var (
	postFormPattern = regexp.MustCompile(`<form[^>]*method="post"[^>]*action="([^"]*)"`)
	rowPattern      = regexp.MustCompile(`<tr class="group" data-group="([^"]+)"`)
)

// writeForms lists the actions of the page's POST forms other than the
// logout button.
func writeForms(html string) []string {
	var out []string
	for _, m := range postFormPattern.FindAllStringSubmatch(html, -1) {
		if m[1] != "/logout" {
			out = append(out, m[1])
		}
	}
	return out
}

// fieldError returns the error message shown right after the input named
// name, and whether there is one.
func fieldError(html, name string) (string, bool) {
	re := regexp.MustCompile(`<input[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*>\s*<span class="field-error"[^>]*>([^<]*)</span>`)
	m := re.FindStringSubmatch(html)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// inputValue returns the value attribute of the input named name.
func inputValue(html, name string) string {
	re := regexp.MustCompile(`<input[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*value="([^"]*)"`)
	m := re.FindStringSubmatch(html)
	if m == nil {
		return ""
	}
	return m[1]
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
