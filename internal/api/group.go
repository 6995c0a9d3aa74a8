package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/store"
)

// groupSummary is one group as GET /v1/groups lists it: configuration, the
// Auto Scaling group as last described, the latest decision, and the ids
// of the boosts and overrides that concern it.
type groupSummary struct {
	Name   string `json:"name"`
	ASG    string `json:"asg"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Min    int    `json:"min"`
	Max    int    `json:"max"`
	ASGMin int    `json:"asg_min"`
	ASGMax int    `json:"asg_max"`
	Known  bool   `json:"known"`
	Lead   string `json:"lead"`
	// Desired is the group's desired capacity when last decided; Decided
	// what Headroom decided.
	Desired   int        `json:"desired"`
	Decided   int        `json:"decided"`
	Serving   int        `json:"serving"`
	Pending   int        `json:"pending"`
	Warming   int        `json:"warming"`
	Paused    bool       `json:"paused"`
	Acted     bool       `json:"acted"`
	Skipped   string     `json:"skipped"`
	Reason    string     `json:"reason"`
	Error     string     `json:"error"`
	At        *time.Time `json:"at"`
	Boosts    []string   `json:"boosts"`
	Overrides []string   `json:"overrides"`
}

func summarize(v controller.GroupView, boosts *boostIndex, overrides []store.Override) groupSummary {
	g := groupSummary{Name: v.Name, ASG: v.ASG, Kind: string(v.Kind), Target: v.Target, Min: v.Min, Max: v.Max, ASGMin: v.ASGMin, ASGMax: v.ASGMax,
		Known: v.Known, Lead: formatDuration(v.Lead), Boosts: boosts.selecting(v.Name, v.Tags), Overrides: []string{}}
	if d := v.Last; d != nil {
		g.Desired, g.Decided, g.Serving, g.Pending, g.Warming = d.Current, d.Desired, d.Serving, d.Pending, d.Warming
		g.Paused, g.Acted, g.Skipped, g.Reason, g.Error = d.Paused, d.Acted, d.Skipped, d.Reason, d.Error
		g.At = utc(d.At)
	}
	for _, o := range overrides {
		if o.Group == v.Name {
			g.Overrides = append(g.Overrides, o.ID)
		}
	}
	return g
}

// boostIndex finds the boosts that select a group without testing every
// boost against every group: a listing of thousands of groups under
// thousands of boosts is one pass over the boosts plus one map lookup per
// group name and tag, not their product. It selects exactly what
// schedule.Boost.Selects selects (TestBoostIndexMatchesSelects).
type boostIndex struct {
	ids    []string
	byName map[string][]int // group name -> boost positions
	byTag  map[string][]int // "key=value" -> boost positions
}

func newBoostIndex(bs []store.Boost) *boostIndex {
	x := &boostIndex{ids: make([]string, len(bs)), byName: map[string][]int{}, byTag: map[string][]int{}}
	for i, b := range bs {
		x.ids[i] = b.ID
		for _, sel := range b.Groups {
			if strings.Contains(sel, "=") {
				x.byTag[sel] = append(x.byTag[sel], i)
			}
			// A selector is also tried as a plain name, as Selects does:
			// a group may be named "a=b".
			x.byName[sel] = append(x.byName[sel], i)
		}
	}
	return x
}

// selecting returns the ids of the boosts that select the group, in the
// order the boosts were listed, each once; never nil.
func (x *boostIndex) selecting(name string, tags map[string]string) []string {
	var at []int
	at = append(at, x.byName[name]...)
	for k, v := range tags {
		if strings.Contains(k, "=") {
			continue // Selects cuts a selector at its first "=": such a key never matches
		}
		at = append(at, x.byTag[k+"="+v]...)
	}
	slices.Sort(at)
	at = slices.Compact(at)
	out := make([]string, len(at))
	for i, p := range at {
		out[i] = x.ids[p]
	}
	return out
}

// planned reads the boosts and overrides that apply at now: neither
// cancelled, nor ended or expired.
func (s *server) planned(r *http.Request, now time.Time) ([]store.Boost, []store.Override, *problem) {
	bs, err := s.store.ListBoosts(r.Context())
	if err != nil {
		return nil, nil, s.storeProblem(r, "boosts", err)
	}
	bs = slices.DeleteFunc(bs, func(b store.Boost) bool { return !inForce(b, now) })
	os, err := s.store.ListOverrides(r.Context(), "")
	if err != nil {
		return nil, nil, s.storeProblem(r, "overrides", err)
	}
	os = slices.DeleteFunc(os, func(o store.Override) bool { return overrideState(o, now) != stateActive })
	return bs, os, nil
}

func (s *server) listGroups(w http.ResponseWriter, r *http.Request) {
	var ps problems
	pg := parsePage(r, "groups", &ps)
	if p := ps.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	views := s.fleet.Views()
	if pg.after != nil {
		i := slices.IndexFunc(views, func(v controller.GroupView) bool { return v.Name == pg.after.ID })
		if i < 0 {
			writeProblem(w, r, invalid("cursor", "names group %q, which is no longer configured: start again without cursor", pg.after.ID))
			return
		}
		views = views[i+1:]
	}
	var next *cursor
	if len(views) > pg.limit {
		views = views[:pg.limit]
		next = &cursor{Listing: "groups", ID: views[len(views)-1].Name}
	}
	now := s.clock.Now()
	bs, os, p := s.planned(r, now)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	byGroup := map[string][]store.Override{}
	for _, o := range os {
		byGroup[o.Group] = append(byGroup[o.Group], o)
	}
	idx := newBoostIndex(bs)
	out := make([]groupSummary, len(views))
	for i, v := range views {
		out[i] = summarize(v, idx, byGroup[v.Name])
	}
	writePage(w, r, "groups", out, next)
}

func (s *server) getGroup(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	v, ok := s.fleet.View(name)
	if !ok {
		writeProblem(w, r, notFound("group %q is not configured", name))
		return
	}
	now := s.clock.Now()
	bs, os, p := s.planned(r, now)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	sum := summarize(v, newBoostIndex(bs), os)
	f := newFleet(s.fleet.Views())
	boosts := []boostDoc{}
	for _, b := range bs {
		if slices.Contains(sum.Boosts, b.ID) {
			boosts = append(boosts, boostView(b, now, f))
		}
	}
	overrides := []overrideDoc{}
	for _, o := range os {
		if o.Group == name {
			overrides = append(overrides, overrideView(o, now))
		}
	}
	var decision *controller.DecisionDoc
	if v.Last != nil {
		d := controller.Doc(*v.Last)
		decision = &d
	}
	writeJSON(w, http.StatusOK, map[string]any{"group": sum, "decision": decision, "boosts": boosts, "overrides": overrides})
}

func (s *server) listDecisions(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if _, ok := s.fleet.View(name); !ok {
		writeProblem(w, r, notFound("group %q is not configured", name))
		return
	}
	var ps problems
	since := sinceParam(r, &ps)
	listing := "decisions/" + name
	pg := parsePage(r, listing, &ps)
	if p := ps.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	// The store lists newest first down to since: a later page reads
	// the newer decisions too (at most store.decisions.keep of them) and
	// starts past its cursor.
	limit := pg.limit + 1
	if pg.after != nil {
		limit = 0
	}
	ds, err := s.store.ListDecisions(r.Context(), name, since, limit)
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, fmt.Sprintf("decisions of group %q", name), err))
		return
	}
	if a := pg.after; a != nil {
		n := 0
		for n < len(ds) && ds[n].At.After(a.At) {
			n++
		}
		for seen := 0; seen < a.Seen && n < len(ds) && ds[n].At.Equal(a.At); seen++ {
			n++
		}
		ds = ds[n:]
	}
	var next *cursor
	if len(ds) > pg.limit {
		ds = ds[:pg.limit]
		next = timeCursor(listing, ds, func(d store.Decision) time.Time { return d.At }, pg.after)
	}
	out := make([]json.RawMessage, 0, len(ds))
	for _, d := range ds {
		if !json.Valid(d.Body) {
			s.log.WarnContext(r.Context(), "stored decision is not JSON; skipped", "group", name, "at", d.At)
			continue
		}
		out = append(out, d.Body)
	}
	writePage(w, r, "decisions", out, next)
}

// previewInput is a POST /v1/groups/{name}/preview body. The boost and
// the queues are decoded on their own so that their problems name the
// full path (boost.end, queues.jobs.visible).
type previewInput struct {
	Current *int                       `json:"current"`
	Serving *int                       `json:"serving"`
	Metrics map[string]float64         `json:"metrics"`
	Queues  map[string]json.RawMessage `json:"queues"`
	Boost   json.RawMessage            `json:"boost"`
}

// queueInput is one queue's hypothetical reading.
type queueInput struct {
	Visible  *float64 `json:"visible"`
	InFlight *float64 `json:"in_flight"`
	Delayed  *float64 `json:"delayed"`
}

// previewRequest is a decoded preview: the parts each need the fleet and
// the clock to check.
type previewRequest struct {
	in     previewInput
	queues map[string]queueInput
	boost  *boostFields
}

// decodePreview decodes a preview body; an empty body previews the group
// as it is. The wrong types of the body, its queues and its boost are
// reported together.
func decodePreview(data []byte) (previewRequest, *problem) {
	var req previewRequest
	if len(data) == 0 {
		return req, nil
	}
	var ps problems
	// collect keeps a 422's fields for the one answer; anything else (a
	// malformed body, an unknown key) is answered at once.
	collect := func(p *problem) bool {
		if p == nil {
			return true
		}
		if p.kind != kindInvalidField {
			return false
		}
		ps = append(ps, p.errs...)
		return true
	}
	if p := decodeStrict(data, "", &req.in); !collect(p) {
		return req, p
	}
	if len(req.in.Queues) > 0 {
		req.queues = make(map[string]queueInput, len(req.in.Queues))
		for _, name := range sortedKeys(req.in.Queues) {
			var q queueInput
			if p := decodeStrict(req.in.Queues[name], "queues."+name, &q); !collect(p) {
				return req, p
			}
			req.queues[name] = q
		}
	}
	if raw := req.in.Boost; len(raw) > 0 && string(raw) != "null" {
		var b boostFields
		if p := decodeStrict(raw, "boost", &b); !collect(p) {
			return req, p
		}
		req.boost = &b
	}
	return req, ps.problem()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// buildPreview checks req for group and returns the controller's preview.
// A boost is checked as a create would check it, but applies to group
// alone; with no groups of its own it selects group.
func buildPreview(req previewRequest, group string, now time.Time, f fleet) (controller.Preview, problems) {
	var ps problems
	p := controller.Preview{Current: req.in.Current, Serving: req.in.Serving, Metrics: req.in.Metrics}
	for _, c := range []struct {
		name string
		v    *int
	}{{"current", req.in.Current}, {"serving", req.in.Serving}} {
		if c.v != nil && *c.v < 0 {
			ps.add(c.name, "must not be negative")
		}
	}
	// A name the group does not have would change nothing and answer
	// with the decision unchanged: a typo would read as "all is fine".
	var view controller.GroupView
	if i, ok := f.byName[group]; ok {
		view = f.views[i]
	}
	for _, name := range sortedKeys(req.in.Metrics) {
		if !slices.Contains(view.Metrics, name) {
			ps.add("metrics."+name, "group %q has no policy %q that reads a metric; %s", group, name, oneOf(view.Metrics, "policies"))
			continue
		}
		if v := req.in.Metrics[name]; math.IsNaN(v) || math.IsInf(v, 0) {
			ps.add("metrics."+name, "must be a finite number")
		}
	}
	if len(req.queues) > 0 {
		p.Queues = make(map[string]policy.QueueObservation, len(req.queues))
		for _, name := range sortedKeys(req.queues) {
			if !slices.Contains(view.Queues, name) {
				ps.add("queues."+name, "group %q has no backlog policy reading a queue %q; %s", group, name, oneOf(view.Queues, "queues"))
				continue
			}
			q := req.queues[name]
			var o policy.QueueObservation
			for _, v := range []struct {
				field string
				in    *float64
				out   *float64
			}{{"visible", q.Visible, &o.Visible}, {"in_flight", q.InFlight, &o.InFlight}, {"delayed", q.Delayed, &o.Delayed}} {
				if v.in == nil {
					continue
				}
				if *v.in < 0 {
					ps.add("queues."+name+"."+v.field, "must not be negative")
				}
				*v.out = *v.in
			}
			// The controller stamps previewed readings as fresh.
			o.At, o.ReadAt = now, now
			p.Queues[name] = o
		}
	}
	if req.boost != nil {
		in := *req.boost
		if in.Groups == nil {
			in.Groups = &[]string{group}
		}
		b, bps := buildBoost(in, store.Boost{}, true, now, f, "boost")
		ps = append(ps, bps...)
		if len(bps) == 0 {
			p.Boosts = []schedule.Boost{{ID: "preview", Name: b.Name, Reason: b.Reason, Groups: []string{group},
				Start: b.Start, End: b.End, MinCapacity: b.MinCapacity, Multiplier: b.Multiplier, Ramp: b.Ramp, Lead: b.Lead}}
		}
	}
	return p, ps
}

// oneOf lists the names a key may take, for an error's detail.
func oneOf(names []string, what string) string {
	if len(names) == 0 {
		return "it has none"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return "its " + what + ": " + strings.Join(quoted, ", ")
}

func (s *server) preview(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if _, ok := s.fleet.View(name); !ok {
		writeProblem(w, r, notFound("group %q is not configured", name))
		return
	}
	body, p := s.readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	req, p := decodePreview(body)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	f := s.newFleet()
	f.limits.anyStart = true
	pv, ps := buildPreview(req, name, s.clock.Now(), f)
	if p := ps.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	rec, err := s.fleet.Preview(r.Context(), name, pv)
	switch {
	case errors.Is(err, controller.ErrUnknownGroup):
		writeProblem(w, r, notFound("group %q is not configured", name))
		return
	case errors.Is(err, controller.ErrNotDescribed):
		writeProblem(w, r, unavailable("group %q has not been read from AWS yet; retry after the first cycle", name))
		return
	case err != nil:
		s.log.ErrorContext(r.Context(), "preview failed", "group", name, "request_id", requestIDFrom(r.Context()), "err", err)
		writeProblem(w, r, unavailable("cannot preview group %q: %v", name, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"decision": controller.Doc(rec)})
}
