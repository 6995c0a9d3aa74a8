// Package api serves Headroom's HTTP endpoints: the admin API under /v1
// (groups, decisions, previews, boosts, overrides, the audit trail), its
// OpenAPI document, and the operational endpoints (/healthz, /readyz,
// /metrics) outside /v1.
//
// Every request under /v1 carries a bearer token. Tokens are configured as
// SHA-256 hashes with a name and a role: a viewer reads (and previews,
// which writes nothing), an operator also writes. Every write is recorded
// in the audit trail under the token's name. Errors are RFC 9457 problem
// details naming the offending field.
package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"

	// The API parses IANA time zones (a boost's time_zone). Embedding the
	// zone database makes that work the same in minimal container images,
	// which often ship without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Fleet is what the API needs of the controller.
type Fleet interface {
	// Views returns every configured group, in config order.
	Views() []controller.GroupView
	// View returns one group by Headroom name.
	View(name string) (controller.GroupView, bool)
	// Preview decides one group hypothetically and writes nothing.
	Preview(ctx context.Context, group string, p controller.Preview) (controller.Record, error)
}

var _ Fleet = (*controller.Controller)(nil)

// Role is what a token may do.
type Role string

// Roles.
const (
	// RoleViewer reads everything and previews decisions.
	RoleViewer Role = "viewer"
	// RoleOperator also creates, changes and cancels boosts and overrides.
	RoleOperator Role = "operator"
)

// Token is one configured API token: its name (the actor in the audit
// trail), its role, and the SHA-256 of the secret. The secret itself is
// never held.
type Token struct {
	Name   string
	Role   Role
	SHA256 [32]byte
}

// Options configure the API.
type Options struct {
	Store  store.Store
	Fleet  Fleet
	Tokens []Token
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Log defaults to discarding.
	Log *slog.Logger
	// Ready answers /readyz; nil means always ready.
	Ready Readiness
	// Registry is served on /metrics; nil serves an empty registry.
	Registry *prometheus.Registry
	// MaxBody limits request bodies; 0 means DefaultMaxBody.
	MaxBody int64
	// IdempotencyTTL is how long an Idempotency-Key is remembered; 0
	// means DefaultIdempotencyTTL.
	IdempotencyTTL time.Duration
	// WriteRate limits each token's writes (POST, PATCH and DELETE under
	// /v1; previews are reads) to this many a second, refilled
	// continuously; over it a write is 429. 0 or rate.Inf means no limit.
	WriteRate rate.Limit
	// WriteBurst is how many writes a token may make at once before
	// WriteRate paces it; 0 means DefaultWriteBurst.
	WriteBurst int
	// Replays counts responses replayed from an earlier request with the
	// same Idempotency-Key; nil counts nothing.
	Replays prometheus.Counter
	// AuthFailureRate paces failed authentications (a missing or unknown
	// bearer token, a failed dashboard login) per client address; over
	// it the address is answered 429. 0 means DefaultAuthFailureRate.
	AuthFailureRate rate.Limit
	// AuthFailureBurst is how many failures an address may have at once;
	// 0 means DefaultAuthFailureBurst.
	AuthFailureBurst int
	// Cycle is the control loop's interval: a new boost may start at
	// most one cycle in the past. 0 means DefaultCycle.
	Cycle time.Duration
	// CampaignCosts are the configured groups' default cost per message
	// (units per message per second, from their backlog queues; see
	// config.Group.UnitsPerMessage), used for a campaign's floor until the
	// group's history measures the cost. A group absent here has none.
	CampaignCosts map[string]float64
	// MaxBoostWindow is the longest a boost's window may be
	// (api.max_boost_window); 0 means DefaultMaxBoostWindow.
	MaxBoostWindow time.Duration
	// Dashboard, when set, serves the operator dashboard's pages outside
	// /v1 (see DashboardRoutes) on the same listener.
	Dashboard http.Handler
}

// DashboardRoutes are the paths the dashboard is mounted on when
// Options.Dashboard is set; "/static/*" is a prefix. They stay outside
// /v1, which is the API's alone.
var DashboardRoutes = []string{"/", "/login", "/logout", "/groups/{name}", "/boosts", "/overrides", "/static/*"}

// DefaultMaxBody is the request body limit: far above any real boost or
// override, low enough that a client cannot make the server buffer much.
const DefaultMaxBody = 1 << 20

// DefaultIdempotencyTTL is how long idempotency keys are kept: the 24 h
// that common practice (and the IETF Idempotency-Key draft's examples)
// give a client to retry.
const DefaultIdempotencyTTL = 24 * time.Hour

// HashToken returns the hex SHA-256 of token: what `headroom token hash`
// prints and the configuration holds in place of the secret.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// server holds the API's collaborators for its handlers.
type server struct {
	store   store.Store
	fleet   Fleet
	tokens  []Token
	clock   clock.Clock
	log     *slog.Logger
	maxBody int64
	idemTTL time.Duration
	// writes is nil when writes are not limited.
	writes *writeLimiter
	// replays is nil when replays are not counted.
	replays prometheus.Counter
	// objects serializes this replica's writes to each object.
	objects objectLocks
	limits  boostLimits
	// costs are Options.CampaignCosts.
	costs map[string]float64
	// authFails paces failed authentications per client address.
	authFails *authLimiter
	metrics   *metrics
	// router is the whole router, for naming the route of a request
	// refused before it was routed.
	router chi.Routes
}

// New returns the whole router: /v1/..., /healthz, /readyz, /metrics and
// /openapi.json.
func New(o Options) (http.Handler, error) {
	s, err := newServer(o)
	if err != nil {
		return nil, err
	}
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if s.metrics, err = newMetrics(reg); err != nil {
		return nil, fmt.Errorf("api: register metrics: %w", err)
	}
	doc, err := openAPIDocument()
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	r.Use(requestID, s.recoverer, s.logRequests)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, notFound("no such path: %s", r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		// RFC 9110 section 15.5.6: a 405 lists the methods the target
		// supports in Allow. chi knows them but does not hand them to a
		// custom handler, so the router is asked, method by method.
		allowed := allowedMethods(r, req.URL.Path)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeProblem(w, req, newProblem(kindMethodNotAllowed, http.StatusMethodNotAllowed,
			"method %s is not allowed on %s; allowed: %s", req.Method, req.URL.Path, strings.Join(allowed, ", ")))
	})
	s.router = r
	mountOps(r, o.Ready, reg)
	r.Get("/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})

	if o.Dashboard != nil {
		dash := s.limitLogins(o.Dashboard)
		for _, p := range DashboardRoutes {
			r.Handle(p, dash)
		}
	}

	r.Route("/v1", func(r chi.Router) {
		r.Use(s.authenticate)
		// Reads, and previews, which write nothing: any role.
		r.Get("/groups", s.listGroups)
		r.Get("/groups/{name}", s.getGroup)
		r.Get("/groups/{name}/decisions", s.listDecisions)
		r.Get("/groups/{name}/forecast", s.getForecast)
		r.Post("/groups/{name}/preview", s.preview)
		r.Get("/groups/{name}/overrides", s.listGroupOverrides)
		r.Get("/campaigns", s.listCampaigns)
		r.Get("/campaigns/{id}", s.getCampaign)
		r.Post("/campaigns/preview", s.previewCampaign)
		r.Get("/boosts", s.listBoosts)
		r.Get("/boosts/{id}", s.getBoost)
		r.Get("/overrides", s.listOverrides)
		r.Get("/overrides/{id}", s.getOverride)
		r.Get("/audit", s.listAudit)
		// Writes: operators only.
		r.Group(func(r chi.Router) {
			r.Use(requireRole(RoleOperator), s.limitWrites)
			r.Post("/boosts", s.createBoost)
			r.Post("/campaigns", s.createCampaign)
			r.Patch("/boosts/{id}", s.updateBoost)
			r.Delete("/boosts/{id}", s.cancelBoost)
			r.Post("/groups/{name}/overrides", s.createOverride)
			r.Delete("/overrides/{id}", s.cancelOverride)
		})
	})
	return r, nil
}

func newServer(o Options) (*server, error) {
	if o.Store == nil {
		return nil, errors.New("api: no store")
	}
	if o.Fleet == nil {
		return nil, errors.New("api: no fleet")
	}
	seen := map[string]bool{}
	for i, t := range o.Tokens {
		if t.Name == "" {
			return nil, fmt.Errorf("api: token %d: empty name", i)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("api: token %q: name used twice", t.Name)
		}
		seen[t.Name] = true
		if t.Role != RoleViewer && t.Role != RoleOperator {
			return nil, fmt.Errorf("api: token %q: role %q is neither %q nor %q", t.Name, t.Role, RoleViewer, RoleOperator)
		}
		if t.SHA256 == ([32]byte{}) {
			return nil, fmt.Errorf("api: token %q: empty hash", t.Name)
		}
	}
	s := &server{store: o.Store, fleet: o.Fleet, tokens: o.Tokens, clock: o.Clock, log: o.Log,
		maxBody: o.MaxBody, idemTTL: o.IdempotencyTTL, replays: o.Replays, costs: o.CampaignCosts,
		limits: boostLimits{cycle: o.Cycle, maxWindow: o.MaxBoostWindow}.orDefaults()}
	if s.clock == nil {
		s.clock = clock.Real()
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.idemTTL <= 0 {
		s.idemTTL = DefaultIdempotencyTTL
	}
	w, err := newWriteLimiter(s.clock, o.WriteRate, o.WriteBurst, o.Tokens)
	if err != nil {
		return nil, err
	}
	s.writes = w
	if s.authFails, err = newAuthLimiter(s.clock, o.AuthFailureRate, o.AuthFailureBurst); err != nil {
		return nil, err
	}
	return s, nil
}

// routeMethods are the methods a 405's Allow header may list.
var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions}

// allowedMethods lists the methods routes answers on path.
func allowedMethods(routes chi.Routes, path string) []string {
	var out []string
	for _, m := range routeMethods {
		if routes.Match(chi.NewRouteContext(), m, path) {
			out = append(out, m)
		}
	}
	return out
}

// storeProblem maps a store error to the contract's problem: missing
// objects are 404, version mismatches 409, anything else means the store
// cannot be used right now.
func (s *server) storeProblem(r *http.Request, what string, err error) *problem {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound("%s not found", what)
	case errors.Is(err, store.ErrConflict):
		return conflict("%s changed since it was read; read it again and retry", what)
	}
	s.log.ErrorContext(r.Context(), "store call failed", "object", what, "request_id", requestIDFrom(r.Context()), "err", err)
	return unavailable("the state store is unavailable; retry later")
}
