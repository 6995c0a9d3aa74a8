package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/headroom-dev/headroom/internal/clock"
)

// DefaultWriteBurst is the bucket size when Options.WriteRate is set and
// Options.WriteBurst is not: a handful of changes made at once (a boost
// and its overrides) go through, a loop does not.
const DefaultWriteBurst = 10

// writeLimiter paces each token's writes with its own token bucket, so
// that one runaway client slows down alone. Buckets are made once, for
// the configured tokens: an unknown caller never reaches it (authenticate
// refuses it first), so the set cannot grow.
type writeLimiter struct {
	clock   clock.Clock
	limit   rate.Limit
	buckets map[string]*rate.Limiter
}

// newWriteLimiter returns a limiter for tokens, or nil when limit is 0 or
// rate.Inf (no limit).
func newWriteLimiter(clk clock.Clock, limit rate.Limit, burst int, tokens []Token) (*writeLimiter, error) {
	switch {
	case math.IsNaN(float64(limit)) || limit < 0:
		return nil, fmt.Errorf("api: write rate %v: must be >= 0 writes a second", float64(limit))
	case burst < 0:
		return nil, fmt.Errorf("api: write burst %d: must be >= 0", burst)
	case limit == 0 || limit == rate.Inf:
		return nil, nil
	}
	if burst == 0 {
		burst = DefaultWriteBurst
	}
	l := &writeLimiter{clock: clk, limit: limit, buckets: make(map[string]*rate.Limiter, len(tokens))}
	for _, t := range tokens {
		l.buckets[t.Name] = rate.NewLimiter(limit, burst)
	}
	return l, nil
}

// allow takes one write from name's bucket. When the bucket is empty it
// reports how long until the next write is allowed.
func (l *writeLimiter) allow(name string) (bool, time.Duration) {
	b, ok := l.buckets[name]
	if !ok {
		// Only configured tokens get this far; refuse nothing we cannot
		// account for rather than fail the request.
		return true, 0
	}
	now := l.clock.Now()
	if b.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.TokensAt(now)
	return false, time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// retryAfter renders a wait as Retry-After's whole seconds, rounded up
// and never 0, so that a client that waits that long is allowed (RFC
// 9110 section 10.2.3: delay-seconds is a non-negative integer).
func retryAfter(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	return strconv.FormatInt(max(s, 1), 10)
}

// limitWrites refuses a write with 429 when the caller's token is over
// its write rate. It runs before the handler, so an idempotent replay
// spends a write like any other: replays are cheap, but a client
// retrying in a tight loop is exactly what the limit is for.
func (s *server) limitWrites(next http.Handler) http.Handler {
	if s.writes == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		ok, wait := s.writes.allow(p.Name)
		if !ok {
			s.metrics.rateLimited.WithLabelValues("write").Inc()
			after := retryAfter(wait)
			w.Header().Set("Retry-After", after)
			writeProblem(w, r, newProblem(kindRateLimited, http.StatusTooManyRequests,
				"token %q is over its write rate of %s; retry in %s s", p.Name, s.writes.describe(), after))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// describe renders the limit for people: per second, minute or hour,
// whichever gives a whole number, else per second.
func (l *writeLimiter) describe() string {
	perSec := float64(l.limit)
	for _, u := range []struct {
		name string
		secs float64
	}{{"s", 1}, {"m", 60}, {"h", 3600}} {
		if n := perSec * u.secs; n >= 1 && math.Abs(n-math.Round(n)) < 1e-9 {
			return strconv.FormatFloat(math.Round(n), 'f', -1, 64) + "/" + u.name
		}
	}
	return strconv.FormatFloat(perSec, 'g', 4, 64) + "/s"
}
