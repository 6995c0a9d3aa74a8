package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestFailedAuthIsRateLimited: failed bearer tokens from one address are
// paced; over the limit every request from it is 429 with Retry-After,
// a valid token included (else the 429s would still tell a good guess
// from a bad one), until the bucket refills.
func TestFailedAuthIsRateLimited(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AuthFailureRate = rate.Limit(1.0 / 60); o.AuthFailureBurst = 3 })
	fail := func(token string) {
		t.Helper()
		if r := e.do(req{method: "GET", path: "/v1/groups", token: token}); r.status != 401 {
			t.Fatalf("failure with %q: status %d, want 401", token, r.status)
		}
	}
	fail("guess-1")
	fail("") // no token at all counts too
	// A success costs nothing, and the address is not blocked yet.
	e.must(req{method: "GET", path: "/v1/groups", token: viewerToken}, 200)
	fail("guess-3")
	// Three failures are the burst: from now on nothing is checked.
	for _, token := range []string{"guess-4", operatorToken} {
		r := e.do(req{method: "GET", path: "/v1/groups", token: token})
		if r.status != 429 {
			t.Fatalf("over the limit: status %d, want 429: %s", r.status, r.body)
		}
		if r.header.Get("Retry-After") != "60" {
			t.Errorf("Retry-After %q, want 60", r.header.Get("Retry-After"))
		}
		checkProblem(t, r, "rate-limited", "")
	}
	e.clock.Advance(59 * time.Second)
	if r := e.do(req{method: "GET", path: "/v1/groups", token: operatorToken}); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("a second early: status %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	e.clock.Advance(time.Second)
	e.must(req{method: "GET", path: "/v1/groups", token: operatorToken}, 200)
	fail("guess-5")
	if r := e.do(req{method: "GET", path: "/v1/groups", token: operatorToken}); r.status != 429 {
		t.Fatalf("after another failure: status %d, want 429", r.status)
	}
	// The metrics say what happened.
	m := e.do(req{method: "GET", path: "/metrics"})
	for _, want := range []string{
		`headroom_auth_failures_total{via="api"} 4`,
		`headroom_http_rate_limited_total{limit="auth"} 4`,
		`headroom_http_requests_total{method="GET",route="/v1/groups",status="401"} 4`,
		`headroom_http_request_duration_seconds_count{method="GET",route="/v1/groups",status="200"} 2`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("/metrics lacks %s\n%s", want, grepLines(string(m.body), "headroom_http_requests_total"))
		}
	}
}

// TestFailedLoginsAreRateLimited: a dashboard login the dashboard refuses
// (401) counts against the address like a bad bearer token, and an
// address over the limit gets 429 on POST /login.
func TestFailedLoginsAreRateLimited(t *testing.T) {
	dash := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.PostFormValue("token") == operatorToken {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	e := newEnv(t, func(o *Options) { o.Dashboard = dash; o.AuthFailureRate = rate.Limit(1.0 / 60); o.AuthFailureBurst = 2 })
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func(token string) *http.Response {
		t.Helper()
		r, err := client.Post(e.srv.URL+"/login", "application/x-www-form-urlencoded", strings.NewReader("token="+token))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r
	}
	for range 2 {
		if r := login("nope"); r.StatusCode != 401 {
			t.Fatalf("bad login: %d", r.StatusCode)
		}
	}
	for _, token := range []string{"nope", operatorToken} {
		if r := login(token); r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("login over the limit: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
		}
	}
	// Bearer tokens and logins share the address's bucket.
	if r := e.do(req{method: "GET", path: "/v1/groups", token: viewerToken}); r.status != 429 {
		t.Fatalf("API from a blocked address: %d", r.status)
	}
	// The login page itself is still served.
	if r, err := client.Get(e.srv.URL + "/login"); err != nil || r.StatusCode != 200 {
		t.Fatalf("GET /login: %v %v", r, err)
	}
	e.clock.Advance(time.Minute)
	if r := login(operatorToken); r.StatusCode != 303 {
		t.Fatalf("login after the refill: %d", r.StatusCode)
	}
}

func TestClientAddress(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:5123":             "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:80":      "192.0.2.7",
		"not-an-address":             "not-an-address",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		if got := ClientAddress(r); got != want {
			t.Errorf("ClientAddress(%s) = %s, want %s", remote, got, want)
		}
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
