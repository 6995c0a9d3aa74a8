package api

import (
	"crypto/sha256"
	"math"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

const otherOperatorToken = "other-operator-secret-0123456789"

// limitedEnv is an API whose tokens may write 6 times a minute (one write
// every 10 s) after a burst of 3, with a second operator, bob.
func limitedEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, func(o *Options) {
		o.WriteRate = rate.Limit(6.0 / 60)
		o.WriteBurst = 3
		o.Tokens = append(o.Tokens, Token{Name: "bob", Role: RoleOperator, SHA256: sha256.Sum256([]byte(otherOperatorToken))})
	})
}

func TestWriteRateLimit(t *testing.T) {
	e := limitedEnv(t)
	idem := map[string]string{"Idempotency-Key": "pin-1"}
	// The steps run in order against one API: each sees the buckets the
	// steps before it left.
	steps := []struct {
		name       string
		advance    time.Duration
		q          req
		want       int
		retryAfter string
	}{
		{name: "burst 1: create", q: req{method: "POST", path: "/v1/groups/workers/overrides", body: overrideBody, header: idem}, want: 201},
		{name: "burst 2: idempotent replay counts", q: req{method: "POST", path: "/v1/groups/workers/overrides", body: overrideBody, header: idem}, want: 201},
		{name: "burst 3: a failed write counts", q: req{method: "DELETE", path: "/v1/overrides/o-0000000000000000"}, want: 404},
		{name: "over the burst", q: req{method: "POST", path: "/v1/boosts", body: boostBody}, want: 429, retryAfter: "10"},
		{name: "patch limited too", q: req{method: "PATCH", path: "/v1/boosts/b-0000000000000000", body: `{"reason":"x"}`}, want: 429, retryAfter: "10"},
		{name: "reads are not limited", q: req{method: "GET", path: "/v1/groups"}, want: 200},
		{name: "previews are not limited", q: req{method: "POST", path: "/v1/groups/workers/preview", body: `{"current":20}`}, want: 200},
		{name: "another token is unaffected", q: req{method: "DELETE", path: "/v1/overrides/o-0000000000000000", token: otherOperatorToken}, want: 404},
		{name: "a viewer's write is forbidden, not limited", q: req{method: "POST", path: "/v1/boosts", body: boostBody, token: viewerToken}, want: 403},
		{name: "almost refilled", advance: 9*time.Second + 500*time.Millisecond, q: req{method: "DELETE", path: "/v1/overrides/o-0000000000000000"}, want: 429, retryAfter: "1"},
		{name: "refilled by one", advance: 500 * time.Millisecond, q: req{method: "DELETE", path: "/v1/overrides/o-0000000000000000"}, want: 404},
		{name: "empty again", q: req{method: "DELETE", path: "/v1/overrides/o-0000000000000000"}, want: 429, retryAfter: "10"},
		{name: "a full minute refills the burst, no more", advance: time.Minute, q: req{method: "DELETE", path: "/v1/overrides/o-0000000000000000"}, want: 404},
		{name: "second of the refilled burst", q: req{method: "DELETE", path: "/v1/overrides/o-0000000000000000"}, want: 404},
		{name: "third of the refilled burst", q: req{method: "DELETE", path: "/v1/overrides/o-0000000000000000"}, want: 404},
		{name: "burst spent", q: req{method: "DELETE", path: "/v1/overrides/o-0000000000000000"}, want: 429, retryAfter: "10"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e.t = t
			e.clock.Advance(st.advance)
			if st.q.token == "" {
				st.q.token = operatorToken
			}
			r := e.do(st.q)
			if r.status != st.want {
				t.Fatalf("%s %s: status %d, want %d\n%s", st.q.method, st.q.path, r.status, st.want, r.body)
			}
			if got := r.header.Get("Retry-After"); got != st.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, st.retryAfter)
			}
			if st.want != 429 {
				return
			}
			p := r.json(t)
			if p["type"] != problemBase+"rate-limited" || p["status"] != 429.0 || r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("problem = %v (%s)", p, r.header.Get("Content-Type"))
			}
			if d, _ := p["detail"].(string); !strings.Contains(d, `"alice"`) || !strings.Contains(d, "6/m") {
				t.Errorf("detail %q does not name the token and its rate", d)
			}
		})
	}
}

func TestWriteRateUnlimited(t *testing.T) {
	tests := []struct {
		name  string
		limit rate.Limit
	}{
		{name: "zero", limit: 0},
		{name: "infinite", limit: rate.Inf},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.WriteRate, o.WriteBurst = tc.limit, 1 })
			for i := range 3 * DefaultWriteBurst {
				r := e.do(req{method: "DELETE", path: "/v1/overrides/o-0000000000000000", token: operatorToken})
				if r.status != 404 {
					t.Fatalf("write %d: status %d, want 404\n%s", i, r.status, r.body)
				}
			}
		})
	}
}

func TestWriteRateDefaultBurst(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.WriteRate = 1 })
	for i := range DefaultWriteBurst {
		if r := e.do(req{method: "DELETE", path: "/v1/overrides/o-0000000000000000", token: operatorToken}); r.status != 404 {
			t.Fatalf("write %d: status %d, want 404", i, r.status)
		}
	}
	if r := e.do(req{method: "DELETE", path: "/v1/overrides/o-0000000000000000", token: operatorToken}); r.status != 429 {
		t.Fatalf("write %d: status %d, want 429", DefaultWriteBurst, r.status)
	}
}

func TestWriteRateOptions(t *testing.T) {
	tests := []struct {
		name  string
		limit rate.Limit
		burst int
		want  string
	}{
		{name: "negative rate", limit: -1, want: "write rate"},
		{name: "NaN rate", limit: rate.Limit(math.NaN()), want: "write rate"},
		{name: "negative burst", limit: 1, burst: -1, want: "write burst"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newEnv(t).store
			_, err := New(Options{Store: st, Fleet: testFleet(), WriteRate: tc.limit, WriteBurst: tc.burst})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error about the %s", err, tc.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "1"},
		{time.Nanosecond, "1"},
		{time.Second, "1"},
		{time.Second + time.Millisecond, "2"},
		{10 * time.Second, "10"},
		{time.Hour, "3600"},
	}
	for _, tc := range tests {
		t.Run(tc.in.String(), func(t *testing.T) {
			if got := retryAfter(tc.in); got != tc.want {
				t.Errorf("retryAfter(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestDescribeRate(t *testing.T) {
	tests := []struct {
		limit rate.Limit
		want  string
	}{
		{1, "1/s"},
		{5, "5/s"},
		{0.5, "30/m"},
		{rate.Limit(1.0 / 60), "1/m"},
		{rate.Limit(7.0 / 3600), "7/h"},
		{rate.Limit(1.0 / 7200), "0.0001389/s"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			l := &writeLimiter{limit: tc.limit}
			if got := l.describe(); got != tc.want {
				t.Errorf("describe(%v) = %s, want %s", float64(tc.limit), got, tc.want)
			}
		})
	}
}
