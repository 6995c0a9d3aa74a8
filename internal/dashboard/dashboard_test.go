package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/store"
)

func TestNewRefusesBadOptions(t *testing.T) {
	e := newEnv(t, testViews())
	tests := []struct {
		name string
		o    Options
	}{
		{"no store", Options{}},
		{"token without hash", Options{Store: e.store, Tokens: []api.Token{{Name: "a", Role: "viewer"}}}},
		{"token with unknown role", Options{Store: e.store, Tokens: []api.Token{{Name: "a", Role: "admin", SHA256: [32]byte{1}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.o); err == nil {
				t.Fatal("New accepted bad options")
			}
		})
	}
}

func TestLoginAndLogout(t *testing.T) {
	e := newEnv(t, testViews())
	anon := e.browser()

	t.Run("pages need a session", func(t *testing.T) {
		for _, p := range []string{"/", "/groups/workers", "/boosts", "/overrides"} {
			r := anon.get(p)
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
				t.Errorf("GET %s without a session: %d to %q, want 303 to /login", p, r.status, r.header.Get("Location"))
			}
		}
		if r := anon.get("/?fragment=1"); r.status != http.StatusUnauthorized {
			t.Errorf("fragment without a session: %d, want 401", r.status)
		}
		if r := anon.post("/boosts", url.Values{"action": {"create"}}); r.status != http.StatusUnauthorized {
			t.Errorf("POST without a session: %d, want 401", r.status)
		}
	})
	t.Run("login page", func(t *testing.T) {
		r := anon.get("/login")
		if r.status != http.StatusOK || !strings.Contains(r.body, `<form class="login" method="post" action="/login">`) ||
			!strings.Contains(r.body, `type="password" id="token" name="token"`) {
			t.Fatalf("login page: %d\n%s", r.status, r.body)
		}
	})
	t.Run("bad token", func(t *testing.T) {
		r := anon.post("/login", url.Values{"token": {"nope"}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "That token is not valid.") {
			t.Fatalf("bad login: %d", r.status)
		}
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("bad login set a cookie: %v", r.header.Values("Set-Cookie"))
		}
	})
	t.Run("login sets a strict cookie", func(t *testing.T) {
		b := e.browser()
		r := b.post("/login", url.Values{"token": {operatorToken}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("login: %d", r.status)
		}
		c := r.header.Get("Set-Cookie")
		for _, want := range []string{cookieName + "=", "Path=/", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(c, want) {
				t.Errorf("cookie %q lacks %s", c, want)
			}
		}
		if strings.Contains(c, "Secure") {
			t.Errorf("cookie %q is Secure on plain HTTP", c)
		}
		id := regexp.MustCompile(cookieName + `=([0-9a-f]+);`).FindStringSubmatch(c)
		if id == nil || len(id[1]) != 64 {
			t.Errorf("session id in %q is not 32 random bytes", c)
		}
	})
	t.Run("logout", func(t *testing.T) {
		b := e.login(operatorToken)
		if r := b.post("/logout", url.Values{"csrf": {"forged"}}); r.status != http.StatusForbidden {
			t.Errorf("logout with a forged CSRF token: %d, want 403", r.status)
		}
		r := b.post("/logout", nil)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
			t.Fatalf("logout: %d %s", r.status, r.header.Get("Location"))
		}
		if r := b.get("/"); r.status != http.StatusSeeOther {
			t.Errorf("GET / after logout: %d, want 303", r.status)
		}
	})
	t.Run("sessions expire", func(t *testing.T) {
		b := e.login(viewerToken)
		e.clock.Advance(DefaultSessionTTL - time.Minute)
		if r := b.get("/"); r.status != http.StatusOK {
			t.Fatalf("before expiry: %d", r.status)
		}
		e.clock.Advance(time.Minute)
		if r := b.get("/"); r.status != http.StatusSeeOther {
			t.Errorf("after expiry: %d, want 303", r.status)
		}
	})
}

func TestCSRFAndOrigin(t *testing.T) {
	e := newEnv(t, testViews())
	b := e.login(operatorToken)
	form := url.Values{"action": {"create"}, "name": {"n"}, "reason": {"r"}, "groups": {"workers"},
		"start": {"2026-06-02T09:00"}, "end": {"2026-06-02T18:00"}, "time_zone": {"UTC"}, "min_capacity": {"15"}}
	tests := []struct {
		name   string
		csrf   []string
		header []string
	}{
		{"missing token", []string{""}, nil},
		{"wrong token", []string{strings.Repeat("a", 64)}, nil},
		{"other session's token", []string{e.login(operatorToken).csrf}, nil},
		{"cross-origin", nil, []string{"Origin", "https://evil.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if tc.csrf != nil {
				f["csrf"] = tc.csrf
			}
			if r := b.post("/boosts", f, tc.header...); r.status != http.StatusForbidden {
				t.Errorf("status %d, want 403", r.status)
			}
			if bs, _ := e.store.ListBoosts(context.Background()); len(bs) != 0 {
				t.Errorf("a refused form created %d boosts", len(bs))
			}
		})
	}
	// The same form with the session's token goes through.
	if r := b.post("/boosts", form, "Origin", e.srv.URL); r.status != http.StatusSeeOther {
		t.Fatalf("genuine form: %d\n%s", r.status, r.body)
	}
}

func TestViewerCannotWrite(t *testing.T) {
	e := newEnv(t, testViews())
	seed(t, e)
	v := e.login(viewerToken)
	for _, p := range []string{"/", "/groups/workers", "/boosts", "/overrides"} {
		r := v.get(p)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d", p, r.status)
		}
		if f := writeForms(r.body); len(f) != 0 {
			t.Errorf("viewer sees write forms on %s: %v", p, f)
		}
		if strings.Contains(r.body, "Cancel</button>") || strings.Contains(r.body, `href="/boosts?edit=`) {
			t.Errorf("viewer sees write buttons on %s", p)
		}
	}
	before := snapshot(t, e)
	tests := []struct {
		name, path string
		form       url.Values
	}{
		{"create boost", "/boosts", url.Values{"action": {"create"}, "name": {"n"}, "reason": {"r"}, "groups": {"workers"},
			"start": {"2026-06-02T09:00"}, "end": {"2026-06-02T18:00"}, "min_capacity": {"15"}}},
		{"cancel boost", "/boosts", url.Values{"action": {"cancel"}, "id": {"b-active"}}},
		{"preview boost", "/boosts", url.Values{"action": {"preview"}, "groups": {"workers"}}},
		{"create override", "/overrides", url.Values{"group": {"web"}, "kind": {"pause"}, "reason": {"r"}, "ttl": {"1h"}}},
		{"cancel override", "/overrides", url.Values{"action": {"cancel"}, "id": {"o-pin"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := v.post(tc.path, tc.form); r.status != http.StatusForbidden {
				t.Errorf("viewer POST: %d, want 403", r.status)
			}
		})
	}
	if after := snapshot(t, e); after != before {
		t.Errorf("viewer changed the store:\n%s\n%s", before, after)
	}
	// The operator sees the forms the viewer does not.
	o := e.login(operatorToken)
	if f := writeForms(o.get("/boosts").body); len(f) < 2 {
		t.Errorf("operator's boost page has forms %v", f)
	}
}

// seed stores an active boost on workers, a scheduled one on web and a
// pin on web.
func seed(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	for _, b := range []store.Boost{
		{ID: "b-active", Name: "launch", Reason: "launch day", Groups: []string{"workers"}, Start: t0.Add(-time.Hour),
			End: t0.Add(time.Hour), MinCapacity: 20, CreatedBy: "alice", CreatedAt: t0.Add(-2 * time.Hour)},
		{ID: "b-later", Name: "sale", Reason: "summer sale", Groups: []string{"web", "team=t-held"}, Start: t0.Add(48 * time.Hour),
			End: t0.Add(72 * time.Hour), Multiplier: 2, CreatedBy: "alice", CreatedAt: t0.Add(-2 * time.Hour)},
	} {
		if _, err := e.store.PutBoost(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.PutOverride(ctx, store.Override{ID: "o-pin", Group: "web", Kind: "pin", Capacity: 5,
		Reason: "incident 42", ExpiresAt: t0.Add(time.Hour), CreatedBy: "alice", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
}

func snapshot(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	bs, err := e.store.ListBoosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	os, err := e.store.ListOverrides(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	au, err := e.store.ListAudit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, b := range bs {
		sb.WriteString(b.ID + " ")
	}
	for _, o := range os {
		sb.WriteString(o.ID + " ")
	}
	sb.WriteString(strings.Repeat("a", len(au)))
	return sb.String()
}

func TestSecurityHeadersAndStatic(t *testing.T) {
	e := newEnv(t, testViews())
	b := e.login(operatorToken)
	r := b.get("/")
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	tests := []struct{ path, ctype, contains string }{
		{"/static/app.js", "javascript", "fragment"},
		{"/static/style.css", "text/css", "field-error"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := e.browser().get(tc.path)
			if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), tc.ctype) || !strings.Contains(r.body, tc.contains) {
				t.Errorf("%s: %d %s", tc.path, r.status, r.header.Get("Content-Type"))
			}
		})
	}
	if r := e.browser().get("/static/nope.js"); r.status != http.StatusNotFound {
		t.Errorf("missing asset: %d", r.status)
	}
	// The API is still the API.
	if r := e.browser().get("/v1/groups"); r.status != http.StatusUnauthorized {
		t.Errorf("/v1/groups without a token: %d", r.status)
	}
}

// TestFailedLoginsAreLimited: forty wrong tokens are not forty 401s. With
// the default limit (10 failures at once, then one every 6 s per client
// address) the eleventh attempt is 429 with Retry-After, a right token
// included, until the bucket refills.
func TestFailedLoginsAreLimited(t *testing.T) {
	e := newEnv(t, testViews())
	anon := e.browser()
	statuses := map[int]int{}
	for range 40 {
		statuses[anon.post("/login", url.Values{"token": {"nope"}}).status]++
	}
	if statuses[http.StatusUnauthorized] != 10 || statuses[http.StatusTooManyRequests] != 30 {
		t.Fatalf("40 bad logins: %v, want 10 x 401 and 30 x 429", statuses)
	}
	r := anon.post("/login", url.Values{"token": {operatorToken}})
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "6" {
		t.Fatalf("a right token over the limit: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	e.clock.Advance(6 * time.Second)
	if r := anon.post("/login", url.Values{"token": {operatorToken}}); r.status != http.StatusSeeOther {
		t.Fatalf("login after the refill: %d", r.status)
	}
}
