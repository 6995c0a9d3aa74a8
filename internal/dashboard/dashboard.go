// Package dashboard serves Headroom's operator dashboard: server-rendered
// HTML pages on the admin listener for the fleet overview, one group's
// decision trace, the boost timeline and the overrides, with forms to
// create, edit and cancel boosts and overrides.
//
// An operator logs in with an API token; the dashboard keeps the token in
// an in-memory session and sends every read and write through the admin
// API's own router, in process, with that token. Validation, the audit
// trail, idempotency and the write rate limit are therefore exactly the
// API's; the dashboard only turns forms into API requests and problem
// details back into messages next to the fields they name.
package dashboard

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the dashboard.
type Options struct {
	// Tokens are the admin API's tokens; logging in means presenting one.
	Tokens []api.Token
	// Store supplies the decision history behind the overview's
	// sparklines (read only).
	Store store.Store
	// API is the admin API router the dashboard sends its requests to. It
	// may instead be given later with SetAPI, since the API router itself
	// mounts the dashboard.
	API http.Handler
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Log defaults to discarding.
	Log *slog.Logger
	// SessionTTL is how long a login lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// MaxSessions bounds the session table; 0 means DefaultMaxSessions.
	MaxSessions int
}

// DefaultSessionTTL is how long a login lasts: a working day, so that an
// operator logs in once per shift and a forgotten browser does not stay
// logged in overnight.
const DefaultSessionTTL = 12 * time.Hour

// DefaultMaxSessions bounds the in-memory session table, so that a flood
// of logins cannot grow it without limit.
const DefaultMaxSessions = 10000

// Dashboard is the dashboard's HTTP handler.
type Dashboard struct {
	tokens   []api.Token
	store    store.Store
	clock    clock.Clock
	log      *slog.Logger
	sessions *sessions
	pages    map[string]*template.Template
	mux      *http.ServeMux
	api      atomic.Pointer[apiRouter]
}

// apiRouter boxes the API handler for the atomic pointer.
type apiRouter struct{ h http.Handler }

// New returns the dashboard.
func New(o Options) (*Dashboard, error) {
	if o.Store == nil {
		return nil, errors.New("dashboard: no store")
	}
	for i, t := range o.Tokens {
		if t.Name == "" || (t.Role != api.RoleViewer && t.Role != api.RoleOperator) || t.SHA256 == ([32]byte{}) {
			return nil, fmt.Errorf("dashboard: token %d (%q): needs a name, a role and a hash", i, t.Name)
		}
	}
	d := &Dashboard{tokens: o.Tokens, store: o.Store, clock: o.Clock, log: o.Log}
	if d.clock == nil {
		d.clock = clock.Real()
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ttl := o.SessionTTL
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	maxS := o.MaxSessions
	if maxS <= 0 {
		maxS = DefaultMaxSessions
	}
	d.sessions = newSessions(d.clock, ttl, maxS)
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	d.pages = pages
	if o.API != nil {
		d.SetAPI(o.API)
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("dashboard: static assets: %w", err)
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /login", d.loginPage)
	m.HandleFunc("POST /login", d.login)
	m.HandleFunc("POST /logout", d.withSession(d.logout))
	m.HandleFunc("GET /{$}", d.withSession(d.overview))
	m.HandleFunc("GET /groups/{name}", d.withSession(d.groupPage))
	m.HandleFunc("GET /boosts", d.withSession(d.boostsPage))
	m.HandleFunc("POST /boosts", d.withSession(d.operatorOnly(d.boostsPost)))
	m.HandleFunc("GET /overrides", d.withSession(d.overridesPage))
	m.HandleFunc("POST /overrides", d.withSession(d.operatorOnly(d.overridesPost)))
	m.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	d.mux = m
	return d, nil
}

// SetAPI gives the dashboard the admin API router to send requests to.
// Until it is called every page answers 503.
func (d *Dashboard) SetAPI(h http.Handler) {
	d.api.Store(&apiRouter{h: h})
}

// ServeHTTP serves the dashboard's pages.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// The pages load nothing from elsewhere and run no inline script or
	// style, so the policy can be strict; frame-ancestors stops
	// clickjacking of the write buttons.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	d.mux.ServeHTTP(w, r)
}

// staticHandler serves the embedded assets with a short cache lifetime:
// they change only with a new release.
func staticHandler(static fs.FS) http.Handler {
	fsrv := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		fsrv.ServeHTTP(w, r)
	})
}
