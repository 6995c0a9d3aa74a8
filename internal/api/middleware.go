package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
)

// requestIDHeader carries the request id both ways: a caller's id is kept
// when it is sane, so that a client's logs and ours line up.
const requestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds an incoming request id; longer ones are replaced.
const maxRequestIDLen = 128

// requestID tags the request with an id, echoed in the response header,
// every log line and every problem.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !saneRequestID(id) {
			id = randomHex(8)
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// randomHex returns n random bytes as hex. crypto/rand.Read never fails
// (it panics on a broken system source rather than return an error).
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// recoverer turns a panic in a handler into a logged 500 problem, so that
// one bad request never takes the process down.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				// The server's own signal to abort the response; not a bug.
				panic(rec)
			}
			s.log.ErrorContext(r.Context(), "handler panicked", "method", r.Method, "path", r.URL.Path,
				"request_id", requestIDFrom(r.Context()), "panic", rec, "stack", string(debug.Stack()))
			writeProblem(w, r, newProblem(kindInternal, http.StatusInternalServerError,
				"internal error; the request id is in the logs"))
		}()
		next.ServeHTTP(w, r)
	})
}

// logRequests writes one line per request. It never logs headers: the
// Authorization header holds a secret.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		p := &principal{}
		r = r.WithContext(context.WithValue(r.Context(), keyPrincipal, p))
		next.ServeHTTP(ww, r)
		route := ""
		if rc := chi.RouteContext(r.Context()); rc != nil {
			route = rc.RoutePattern()
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		label := s.routeLabel(r, route)
		code := strconv.Itoa(status)
		s.metrics.requests.WithLabelValues(r.Method, label, code).Inc()
		s.metrics.duration.WithLabelValues(r.Method, label, code).Observe(time.Since(start).Seconds())
		s.log.InfoContext(r.Context(), "api request", "method", r.Method, "path", r.URL.Path, "route", route,
			"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000,
			"actor", p.Name, "request_id", requestIDFrom(r.Context()))
	})
}

// routeLabel is the route pattern a request is counted under. A request
// refused before /v1's router chose its route (401, 429) has only the
// pattern "/v1/*" so far; the router is asked which route it would have
// taken, so that failures are counted where they were aimed.
func (s *server) routeLabel(r *http.Request, pattern string) string {
	if strings.HasSuffix(pattern, "/*") && s.router != nil {
		rctx := chi.NewRouteContext()
		if s.router.Match(rctx, r.Method, r.URL.Path) {
			pattern = rctx.RoutePattern()
		}
	}
	if pattern == "" {
		return "unmatched"
	}
	return pattern
}

// principal is the caller as its token identifies it. logRequests puts an
// empty one in the context and authenticate fills it in, so that the log
// line can name the actor.
type principal struct {
	Name string
	Role Role
}

func principalFrom(ctx context.Context) principal {
	if p, ok := ctx.Value(keyPrincipal).(*principal); ok && p != nil {
		return *p
	}
	return principal{}
}

// authenticate requires a configured bearer token (MatchToken compares in
// constant time). A missing or unknown token counts as a failure against
// the client's address; an address over its failure limit is answered 429
// before its token is looked at, so a guess over the limit learns nothing.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.refuseIfBlocked(w, r, true) {
			return
		}
		h := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(h, " ")
		if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			s.failed(r, "api")
			writeProblem(w, r, newProblem(kindUnauthorized, http.StatusUnauthorized,
				"send Authorization: Bearer <token>"))
			return
		}
		t, found := MatchToken(s.tokens, strings.TrimSpace(token))
		if !found {
			s.failed(r, "api")
			writeProblem(w, r, newProblem(kindUnauthorized, http.StatusUnauthorized, "the token is not valid"))
			return
		}
		if p, ok := r.Context().Value(keyPrincipal).(*principal); ok && p != nil {
			p.Name, p.Role = t.Name, t.Role
		} else {
			r = r.WithContext(context.WithValue(r.Context(), keyPrincipal, &principal{Name: t.Name, Role: t.Role}))
		}
		next.ServeHTTP(w, r)
	})
}

// requireRole refuses callers without role (operators hold every role).
func requireRole(role Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := principalFrom(r.Context())
			if p.Role != role && p.Role != RoleOperator {
				writeProblem(w, r, newProblem(kindForbidden, http.StatusForbidden,
					"token %q has role %q; this needs %q", p.Name, p.Role, role))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
