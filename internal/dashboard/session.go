package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/clock"
)

// cookieName is the session cookie.
const cookieName = "headroom_session"

// session is one login: who, with which token, and the CSRF token every
// form of the session carries.
type session struct {
	id      string
	name    string
	role    api.Role
	token   string
	csrf    string
	expires time.Time
}

func (s *session) operator() bool { return s.role == api.RoleOperator }

// sessions is the in-memory session table. Sessions do not survive a
// restart: an operator logs in again, which costs one paste of a token.
type sessions struct {
	clock clock.Clock
	ttl   time.Duration
	max   int
	mu    sync.Mutex
	byID  map[string]*session
}

func newSessions(c clock.Clock, ttl time.Duration, max int) *sessions {
	return &sessions{clock: c, ttl: ttl, max: max, byID: map[string]*session{}}
}

// randomID returns 32 random bytes as hex. crypto/rand.Read never fails
// (it panics on a broken system source rather than return an error).
func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// create starts a session, or returns nil when the table is full of
// unexpired sessions.
func (ss *sessions) create(t api.Token, secret string) *session {
	now := ss.clock.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byID) >= ss.max {
		for id, s := range ss.byID {
			if !now.Before(s.expires) {
				delete(ss.byID, id)
			}
		}
		if len(ss.byID) >= ss.max {
			return nil
		}
	}
	s := &session{id: randomID(), name: t.Name, role: t.Role, token: secret, csrf: randomID(), expires: now.Add(ss.ttl)}
	ss.byID[s.id] = s
	return s
}

// get returns the unexpired session id names.
func (ss *sessions) get(id string) *session {
	now := ss.clock.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s == nil {
		return nil
	}
	if !now.Before(s.expires) {
		delete(ss.byID, id)
		return nil
	}
	return s
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

type ctxKey struct{}

func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(ctxKey{}).(*session)
	return s
}

// withSession requires a session: a page without one redirects to the
// login page, a fragment (which the refresh script fetches) is 401 so
// that the script reloads the page. A POST must also carry the session's
// CSRF token and, when the browser sends one, a same-origin Origin.
func (d *Dashboard) withSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		var s *session
		if c, err := r.Cookie(cookieName); err == nil {
			s = d.sessions.get(c.Value)
		}
		if s == nil {
			if r.Method == http.MethodGet && r.URL.Query().Get("fragment") != "1" {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			if !sameOrigin(r) {
				http.Error(w, "cross-origin form refused", http.StatusForbidden)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			got := r.PostFormValue("csrf")
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
				http.Error(w, "the form is stale or forged (CSRF token mismatch); reload the page", http.StatusForbidden)
				return
			}
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	}
}

// maxForm bounds a form body, like the API's own body limit.
const maxForm = 1 << 20

// operatorOnly refuses viewers' writes, even when the form was crafted by
// hand: the dashboard never shows them write forms.
func (d *Dashboard) operatorOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s := sessionFrom(r.Context()); s == nil || !s.operator() {
			http.Error(w, "viewers cannot change anything", http.StatusForbidden)
			return
		}
		next(w, r)
	}
}

// sameOrigin is false when the browser says the request comes from
// another origin. Browsers send Origin on every POST; its absence (a
// non-browser client) is left to the CSRF token.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

type loginData struct {
	Error string
}

func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	d.render(w, r, "login", http.StatusOK, page{Title: "Log in", Data: loginData{}})
}

func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !sameOrigin(r) {
		http.Error(w, "cross-origin form refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	secret := strings.TrimSpace(r.PostFormValue("token"))
	t, ok := api.MatchToken(d.tokens, secret)
	if secret == "" || !ok {
		d.render(w, r, "login", http.StatusUnauthorized, page{Title: "Log in", Data: loginData{Error: "That token is not valid."}})
		return
	}
	s := d.sessions.create(t, secret)
	if s == nil {
		http.Error(w, "too many sessions; try again later", http.StatusServiceUnavailable)
		return
	}
	d.log.InfoContext(r.Context(), "dashboard login", "actor", t.Name, "role", string(t.Role))
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(d.sessions.ttl.Seconds())})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r.Context())
	d.sessions.remove(s.id)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
