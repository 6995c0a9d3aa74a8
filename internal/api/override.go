package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
)

// maxOverrideTTL is the longest an override may last: every override
// expires, so that a forgotten pin or pause cannot hold a group for good.
const maxOverrideTTL = 7 * 24 * time.Hour

// Override kinds.
const (
	kindPin    = "pin"
	kindPause  = "pause"
	kindBounds = "bounds"
)

// overrideInput is a POST /v1/groups/{name}/overrides body.
type overrideInput struct {
	Kind      *string `json:"kind"`
	Capacity  *int    `json:"capacity"`
	Min       *int    `json:"min"`
	Max       *int    `json:"max"`
	CapAtMax  *bool   `json:"cap_at_max"`
	Reason    *string `json:"reason"`
	ExpiresAt *string `json:"expires_at"`
	TTL       *string `json:"ttl"`
}

// Override states, as the API shows them; stateActive and stateCancelled
// are shared with boosts.
const stateExpired = "expired"

// overrideDoc is an override as the API shows it.
type overrideDoc struct {
	ID          string     `json:"id"`
	Group       string     `json:"group"`
	Kind        string     `json:"kind"`
	Capacity    *int       `json:"capacity"`
	Min         *int       `json:"min"`
	Max         *int       `json:"max"`
	CapAtMax    bool       `json:"cap_at_max"`
	Reason      string     `json:"reason"`
	ExpiresAt   time.Time  `json:"expires_at"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	CancelledAt *time.Time `json:"cancelled_at"`
	CancelledBy *string    `json:"cancelled_by"`
	Version     int64      `json:"version"`
	State       string     `json:"state"`
}

// overrideState says where o stands at now: active until it expires,
// expired, or cancelled.
func overrideState(o store.Override, now time.Time) string {
	switch {
	case o.Cancelled():
		return stateCancelled
	case !now.Before(o.ExpiresAt):
		return stateExpired
	}
	return stateActive
}

func overrideView(o store.Override, now time.Time) overrideDoc {
	d := overrideDoc{ID: o.ID, Group: o.Group, Kind: o.Kind, Min: o.Min, Max: o.Max, CapAtMax: o.CapAtMax, Reason: o.Reason,
		ExpiresAt: o.ExpiresAt.UTC(), CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt.UTC(), Version: o.Version,
		State: overrideState(o, now)}
	if o.Kind == kindPin {
		c := o.Capacity
		d.Capacity = &c
	}
	if o.Cancelled() {
		d.CancelledAt, d.CancelledBy = utc(o.CancelledAt), &o.CancelledBy
	}
	return d
}

// decodeOverride decodes a POST /v1/groups/{name}/overrides body.
func decodeOverride(data []byte) (overrideInput, *problem) {
	var in overrideInput
	return in, decodeStrict(data, "", &in)
}

// buildOverride checks in for group v at now and returns the override.
func buildOverride(in overrideInput, v controller.GroupView, now time.Time) (store.Override, problems) {
	var ps problems
	o := store.Override{Group: v.Name}
	if in.Kind == nil {
		ps.add("kind", "is required: pin, pause or bounds")
	} else {
		o.Kind = *in.Kind
	}
	notFor := func(field string, present bool) {
		if present {
			ps.add(field, "does not apply to a %s override", o.Kind)
		}
	}
	nonNegative := func(field string, v *int) {
		if v != nil && *v < 0 {
			ps.add(field, "must not be negative")
		}
	}
	switch o.Kind {
	case "":
		if in.Kind != nil {
			ps.add("kind", "must be pin, pause or bounds")
		}
	case kindPin:
		if in.Capacity == nil {
			ps.add("capacity", "is required for a pin override")
		} else {
			nonNegative("capacity", in.Capacity)
			o.Capacity = *in.Capacity
		}
		notFor("min", in.Min != nil)
		notFor("max", in.Max != nil)
	case kindPause:
		notFor("capacity", in.Capacity != nil)
		notFor("min", in.Min != nil)
		notFor("max", in.Max != nil)
	case kindBounds:
		notFor("capacity", in.Capacity != nil)
		if in.Min == nil && in.Max == nil {
			ps.add("min", "a bounds override needs min, max or both")
		}
		nonNegative("min", in.Min)
		nonNegative("max", in.Max)
		if in.Min != nil && in.Max != nil && *in.Min >= 0 && *in.Max >= 0 && *in.Min > *in.Max {
			ps.add("max", "must be at least min (%d)", *in.Min)
		}
		o.Min, o.Max = in.Min, in.Max
	default:
		ps.add("kind", "must be pin, pause or bounds, not %q", o.Kind)
	}
	if in.CapAtMax != nil {
		o.CapAtMax = *in.CapAtMax
	}
	if !o.CapAtMax {
		checkOverrideMax(&ps, in, v)
	}
	if in.Reason == nil {
		ps.add("reason", "is required")
	} else {
		o.Reason = strings.TrimSpace(*in.Reason)
		checkText(&ps, "reason", o.Reason, maxReasonLen)
	}

	field := ""
	switch {
	case in.ExpiresAt == nil && in.TTL == nil:
		ps.add("expires_at", "an override needs expires_at or ttl (at most %s)", formatDuration(maxOverrideTTL))
	case in.ExpiresAt != nil && in.TTL != nil:
		ps.add("ttl", "give expires_at or ttl, not both")
	case in.ExpiresAt != nil:
		field = "expires_at"
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(*in.ExpiresAt))
		if err != nil {
			ps.add(field, "must be an RFC 3339 time with an offset, such as 2026-12-15T18:00:00Z")
			field = ""
		}
		o.ExpiresAt = t.UTC()
	default:
		field = "ttl"
		d, err := time.ParseDuration(strings.TrimSpace(*in.TTL))
		switch {
		case err != nil:
			ps.add(field, "must be a duration such as 2h or 90m")
			field = ""
		case d <= 0:
			ps.add(field, "must be positive")
			field = ""
		}
		o.ExpiresAt = now.Add(d).UTC()
	}
	if field != "" {
		switch {
		case !o.ExpiresAt.After(now):
			ps.add(field, "the override must expire in the future")
		case o.ExpiresAt.Sub(now) > maxOverrideTTL:
			ps.add(field, "the override must expire within %s (7 days)", formatDuration(maxOverrideTTL))
		}
	}
	return o, ps
}

// checkOverrideMax refuses a pin's capacity or a bounds override's min or
// max above the group's maximum, by the rule and with the maximum boosts
// use (maxOf: the configured max intersected with the Auto Scaling group's
// MaxSize): the engine would cap it, and an operator asking for more than
// the group can hold should know now.
func checkOverrideMax(ps *problems, in overrideInput, v controller.GroupView) {
	limit := maxOf(v)
	if limit < 0 {
		return
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"capacity", in.Capacity}, {"min", in.Min}, {"max", in.Max}} {
		if f.v != nil && *f.v > limit && !ps.has(f.name) {
			ps.add(f.name, "%d is above group %q's maximum %d; lower it or set cap_at_max", *f.v, v.Name, limit)
		}
	}
}

// --- handlers ---

// overrideViews shows os at now: every one with all, else the active.
func overrideViews(os []store.Override, now time.Time, all bool) []overrideDoc {
	out := make([]overrideDoc, 0, len(os))
	for _, o := range os {
		if all || overrideState(o, now) == stateActive {
			out = append(out, overrideView(o, now))
		}
	}
	return out
}

func (s *server) listOverrides(w http.ResponseWriter, r *http.Request) {
	var ps problems
	all := allParam(r, &ps)
	pg := parsePage(r, "overrides", &ps)
	if p := ps.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	os, err := s.store.ListOverrides(r.Context(), "")
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, "overrides", err))
		return
	}
	writeOverridePage(w, r, overrideViews(os, s.clock.Now(), all), pg, "overrides")
}

// writeOverridePage answers with the page pg of docs, which are in the
// store's order: created_at, then id.
func writeOverridePage(w http.ResponseWriter, r *http.Request, docs []overrideDoc, pg pageRequest, listing string) {
	docs, next := pageAfter(docs, pg, listing, func(o overrideDoc) cursor { return cursor{At: o.CreatedAt, ID: o.ID} }, byTimeThenID)
	writePage(w, r, "overrides", docs, next)
}

func (s *server) listGroupOverrides(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if _, ok := s.fleet.View(name); !ok {
		writeProblem(w, r, notFound("group %q is not configured", name))
		return
	}
	var ps problems
	all := allParam(r, &ps)
	listing := "overrides/" + name
	pg := parsePage(r, listing, &ps)
	if p := ps.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	os, err := s.store.ListOverrides(r.Context(), name)
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, fmt.Sprintf("overrides of group %q", name), err))
		return
	}
	writeOverridePage(w, r, overrideViews(os, s.clock.Now(), all), pg, listing)
}

func (s *server) getOverride(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	o, err := s.store.GetOverride(r.Context(), id)
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, fmt.Sprintf("override %q", id), err))
		return
	}
	writeJSON(w, http.StatusOK, overrideView(o, s.clock.Now()))
}

func (s *server) createOverride(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	view, ok := s.fleet.View(name)
	if !ok {
		writeProblem(w, r, notFound("group %q is not configured", name))
		return
	}
	body, p := s.readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	s.runWrite(w, r, body, func(k *idemKey) result {
		in, p := decodeOverride(body)
		if p != nil {
			return problemResult(p)
		}
		now := s.clock.Now()
		o, ps := buildOverride(in, view, now)
		if p := ps.problem(); p != nil {
			return problemResult(p)
		}
		o.ID = k.newID("o-")
		o.CreatedBy, o.CreatedAt = principalFrom(r.Context()).Name, now.UTC()
		saved, err := s.store.PutOverride(r.Context(), o)
		if errors.Is(err, store.ErrConflict) && k != nil {
			return s.replayCreate(r, o.ID, func() (any, time.Time, error) {
				got, err := s.store.GetOverride(r.Context(), o.ID)
				return overrideView(got, now), got.CreatedAt, err
			})
		}
		if err != nil {
			return problemResult(s.storeProblem(r, fmt.Sprintf("override %q", o.ID), err))
		}
		view := overrideView(saved, now)
		s.audit(r, "override.create", saved.ID, nil, view)
		res := jsonResult(http.StatusCreated, view)
		res.location = "/v1/overrides/" + saved.ID
		return res
	})
}

func (s *server) cancelOverride(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	version, p := versionParam(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	s.runWrite(w, r, nil, func(_ *idemKey) result {
		return s.retryConflicts(id, fmt.Sprintf("override %q", id), func() (result, bool) {
			cur, err := s.store.GetOverride(r.Context(), id)
			if err != nil {
				return problemResult(s.storeProblem(r, fmt.Sprintf("override %q", id), err)), false
			}
			if version != nil && *version != cur.Version {
				return problemResult(conflict("override %q is at version %d, not %d; read it again and retry", id, cur.Version, *version)), false
			}
			now := s.clock.Now()
			if cur.Cancelled() {
				// Cancelled already: the answer is the same, and nothing
				// is written again.
				return jsonResult(http.StatusOK, overrideView(cur, now)), false
			}
			o := cur
			o.CancelledAt, o.CancelledBy = now.UTC(), principalFrom(r.Context()).Name
			saved, err := s.store.PutOverride(r.Context(), o)
			if errors.Is(err, store.ErrConflict) && version == nil {
				return result{}, true
			}
			if err != nil {
				return problemResult(s.storeProblem(r, fmt.Sprintf("override %q", id), err)), false
			}
			after := overrideView(saved, now)
			s.audit(r, "override.cancel", id, overrideView(cur, now), after)
			return jsonResult(http.StatusOK, after), false
		})
	})
}
