package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/headroom-dev/headroom/internal/clock"
)

// MatchToken returns the configured token that secret hashes to. The
// secret's SHA-256 is compared with every configured hash in constant
// time, and every hash is compared whatever matched, so that neither the
// comparison nor the number of tokens compared tells an attacker which
// bytes or which token matched. The API's bearer check and the
// dashboard's login both use it.
func MatchToken(tokens []Token, secret string) (Token, bool) {
	sum := sha256.Sum256([]byte(secret))
	found := -1
	for i := range tokens {
		if subtle.ConstantTimeCompare(sum[:], tokens[i].SHA256[:]) == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 || secret == "" {
		return Token{}, false
	}
	return tokens[found], true
}

// Defaults of the failed-authentication limit, as api.auth_failure_rate
// and api.auth_failure_burst: ten failures at once, then one every six
// seconds, per client address.
const (
	DefaultAuthFailureRate  = rate.Limit(10.0 / 60)
	DefaultAuthFailureBurst = 10
)

// maxAuthClients bounds how many client addresses the failure limiter
// remembers, so that failures from many addresses cannot grow it without
// end.
const maxAuthClients = 100_000

// authLimiter paces failed authentications per client address with a
// token bucket each: a failure takes one, and an address whose bucket is
// empty is refused before its credentials are looked at. Successes cost
// nothing. Counted per replica, in memory.
type authLimiter struct {
	clock   clock.Clock
	limit   rate.Limit
	burst   int
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newAuthLimiter(clk clock.Clock, limit rate.Limit, burst int) (*authLimiter, error) {
	switch {
	case math.IsNaN(float64(limit)) || limit < 0:
		return nil, fmt.Errorf("api: auth failure rate %v: must be >= 0 a second", float64(limit))
	case burst < 0:
		return nil, fmt.Errorf("api: auth failure burst %d: must be >= 0", burst)
	}
	if limit == 0 {
		limit = DefaultAuthFailureRate
	}
	if burst == 0 {
		burst = DefaultAuthFailureBurst
	}
	return &authLimiter{clock: clk, limit: limit, burst: burst, buckets: map[string]*rate.Limiter{}}, nil
}

// blocked reports whether client may not try now, and how long until it
// may.
func (l *authLimiter) blocked(client string) (bool, time.Duration) {
	if l.limit == rate.Inf {
		return false, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[client]
	if !ok {
		return false, 0
	}
	now := l.clock.Now()
	tokens := b.TokensAt(now)
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
}

// fail takes one failure from client's bucket.
func (l *authLimiter) fail(client string) {
	if l.limit == rate.Inf {
		return
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[client]
	if !ok {
		if len(l.buckets) >= maxAuthClients {
			l.evict(now)
		}
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[client] = b
	}
	b.AllowN(now, 1)
}

// evict forgets the addresses whose buckets have refilled (they would
// start full anyway); when every address is still paying off failures,
// it forgets them all rather than refuse to count a new one.
func (l *authLimiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxAuthClients {
		clear(l.buckets)
	}
}

// ClientAddress is the address failed authentications are counted
// against: the connection's peer (RemoteAddr), never a header such as
// X-Forwarded-For, which any client can set. An IPv6 address counts as
// its /64, the block one host or one customer usually holds, so that
// walking through a subnet does not reset the count.
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() != nil {
		return ip.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// refuseIfBlocked answers 429 with Retry-After when r's client address is
// over its failure limit, and reports whether it did.
func (s *server) refuseIfBlocked(w http.ResponseWriter, r *http.Request, problemJSON bool) bool {
	client := ClientAddress(r)
	blocked, wait := s.authFails.blocked(client)
	if !blocked {
		return false
	}
	s.metrics.rateLimited.WithLabelValues("auth").Inc()
	after := retryAfter(wait)
	w.Header().Set("Retry-After", after)
	msg := fmt.Sprintf("too many failed authentications from %s; retry in %s s", client, after)
	if problemJSON {
		writeProblem(w, r, newProblem(kindRateLimited, http.StatusTooManyRequests, "%s", msg))
		return true
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, msg, http.StatusTooManyRequests)
	return true
}

// failed counts a failed authentication of r's client.
func (s *server) failed(r *http.Request, via string) {
	s.metrics.authFailures.WithLabelValues(via).Inc()
	s.authFails.fail(ClientAddress(r))
}

// limitLogins wraps the dashboard: a POST /login from an address over its
// failure limit is refused with 429, and one the dashboard answers 401 (a
// token that is not valid) counts as a failure.
func (s *server) limitLogins(dash http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || strings.TrimSuffix(r.URL.Path, "/") != "/login" {
			dash.ServeHTTP(w, r)
			return
		}
		if s.refuseIfBlocked(w, r, false) {
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		dash.ServeHTTP(sw, r)
		if sw.status == http.StatusUnauthorized {
			s.failed(r, "dashboard")
		}
	})
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
