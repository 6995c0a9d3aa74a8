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
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/text"
)

// Limits on a boost's fields. They keep stored objects and audit entries
// small; none is near what a real campaign needs.
const (
	maxNameLen   = 128
	maxReasonLen = 1024
	// maxGroupEntries bounds a boost's groups list; a selector covers any
	// number of groups in one entry.
	maxGroupEntries = 100
	// maxMultiplier keeps ceil(multiplier * capacity) far from overflow.
	maxMultiplier = 1000
	// maxRampLead bounds ramp and lead: a day of pre-warming is already
	// more than any launch takes.
	maxRampLead = 24 * time.Hour
)

// Boost states, as the API shows them.
const (
	stateScheduled = "scheduled"
	stateLeading   = "leading"
	stateActive    = "active"
	stateEnded     = "ended"
	// stateCancelled: an operator cancelled it; it applies nothing and is
	// kept, readable, as an ended one is.
	stateCancelled = "cancelled"
)

// boostFields is a boost as a client sends it: POST needs the required
// fields, PATCH takes any subset. Pointers tell "absent" from zero.
type boostFields struct {
	Name        *string   `json:"name"`
	Reason      *string   `json:"reason"`
	Groups      *[]string `json:"groups"`
	Start       *string   `json:"start"`
	End         *string   `json:"end"`
	TimeZone    *string   `json:"time_zone"`
	MinCapacity *int      `json:"min_capacity"`
	Multiplier  *float64  `json:"multiplier"`
	Ramp        *string   `json:"ramp"`
	Lead        *string   `json:"lead"`
	CapAtMax    *bool     `json:"cap_at_max"`
}

// boostPatch is a PATCH body: any subset of the fields, and the version
// the client read, for optimistic concurrency.
type boostPatch struct {
	boostFields
	Version *int64 `json:"version"`
}

// boostDoc is a boost as the API shows it.
type boostDoc struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Reason      string    `json:"reason"`
	Groups      []string  `json:"groups"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	TimeZone    *string   `json:"time_zone"`
	MinCapacity *int      `json:"min_capacity"`
	Multiplier  *float64  `json:"multiplier"`
	Ramp        string    `json:"ramp"`
	Lead        string    `json:"lead"`
	// EffectiveLead is the lead in force: lead, or the selected group's
	// when lead is 0s; what the state and the pre-warm follow.
	EffectiveLead string     `json:"effective_lead"`
	CapAtMax      bool       `json:"cap_at_max"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	CancelledAt   *time.Time `json:"cancelled_at"`
	CancelledBy   *string    `json:"cancelled_by"`
	Version       int64      `json:"version"`
	State         string     `json:"state"`
	// Campaign is the campaign the boost was made from, with how its
	// floor was sized; null for a boost made directly.
	Campaign *boostCampaignDoc `json:"campaign"`
}

// boostCampaignDoc is a boost's campaign section as the API shows it.
type boostCampaignDoc struct {
	ID     string          `json:"id"`
	Sizing json.RawMessage `json:"sizing"`
}

// decodeBoost decodes a POST /v1/boosts body.
func decodeBoost(data []byte) (boostFields, *problem) {
	var in boostFields
	return in, decodeStrict(data, "", &in)
}

// decodeBoostPatch decodes a PATCH /v1/boosts/{id} body.
func decodeBoostPatch(data []byte) (boostPatch, *problem) {
	var in boostPatch
	return in, decodeStrict(data, "", &in)
}

// fleet is the configured groups as one request sees them, with the
// limits a boost of theirs must keep.
type fleet struct {
	views  []controller.GroupView
	byName map[string]int
	limits boostLimits
}

// boostLimits are the configured bounds on a boost's window; zero fields
// take the defaults.
type boostLimits struct {
	// cycle is the control loop's interval: a new boost may start at most
	// one cycle in the past, the time a boost made "now" may take to
	// reach the server.
	cycle time.Duration
	// maxWindow is the longest window, api.max_boost_window.
	maxWindow time.Duration
	// anyStart lets a start lie further in the past: a preview's boost
	// asks "what if a boost were active now", which is a fair question.
	anyStart bool
}

// DefaultCycle is the control loop's interval when Options.Cycle is not
// set: the configuration's default interval.
const DefaultCycle = 10 * time.Second

// DefaultMaxBoostWindow is the longest boost window when
// Options.MaxBoostWindow is not set: 31 days, as api.max_boost_window.
const DefaultMaxBoostWindow = 31 * 24 * time.Hour

func (l boostLimits) orDefaults() boostLimits {
	if l.cycle <= 0 {
		l.cycle = DefaultCycle
	}
	if l.maxWindow <= 0 {
		l.maxWindow = DefaultMaxBoostWindow
	}
	return l
}

func newFleet(views []controller.GroupView) fleet {
	f := fleet{views: views, byName: make(map[string]int, len(views))}
	for i, v := range views {
		f.byName[v.Name] = i
	}
	return f
}

// newFleet returns the fleet as it is now, with the server's limits.
func (s *server) newFleet() fleet {
	f := newFleet(s.fleet.Views())
	f.limits = s.limits
	return f
}

// selected returns the groups sel selects, in config order, as the engine
// selects them.
func (f fleet) selected(groups []string) []controller.GroupView {
	b := schedule.Boost{Groups: groups}
	var out []controller.GroupView
	for _, v := range f.views {
		if b.Selects(v.Name, v.Tags) {
			out = append(out, v)
		}
	}
	return out
}

// lead is the lead in force for b: its own, or the first selected group's.
func (f fleet) lead(b store.Boost) time.Duration {
	if b.Lead > 0 {
		return b.Lead
	}
	sb := schedule.Boost{Groups: b.Groups}
	for _, g := range b.Groups {
		if i, ok := f.byName[g]; ok {
			return f.views[i].Lead
		}
		if strings.Contains(g, "=") {
			for _, v := range f.views {
				if sb.Selects(v.Name, v.Tags) {
					return v.Lead
				}
			}
		}
	}
	return 0
}

// maxOf is the highest capacity a group can take: the configured maximum
// intersected with the Auto Scaling group's MaxSize when known; -1 when
// neither bounds it.
func maxOf(v controller.GroupView) int {
	m := -1
	if v.Max > 0 {
		m = v.Max
	}
	if v.Known && (m < 0 || v.ASGMax < m) {
		m = v.ASGMax
	}
	return m
}

// boostState says where b stands at now with lead in force: scheduled,
// leading (from start-lead to start), active, ended, or cancelled.
func boostState(b store.Boost, now time.Time, lead time.Duration) string {
	switch {
	case b.Cancelled():
		return stateCancelled
	case !now.Before(b.End):
		return stateEnded
	case !now.Before(b.Start):
		return stateActive
	case !now.Before(b.Start.Add(-lead)):
		return stateLeading
	}
	return stateScheduled
}

func boostView(b store.Boost, now time.Time, f fleet) boostDoc {
	d := boostDoc{ID: b.ID, Name: b.Name, Reason: b.Reason, Groups: b.Groups,
		Start: b.Start.UTC(), End: b.End.UTC(), Ramp: formatDuration(b.Ramp), Lead: formatDuration(b.Lead),
		CapAtMax: b.CapAtMax, CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt.UTC(), UpdatedAt: b.UpdatedAt.UTC(),
		Version: b.Version}
	lead := f.lead(b)
	d.EffectiveLead, d.State = formatDuration(lead.Round(time.Second)), boostState(b, now, lead)
	if d.Groups == nil {
		d.Groups = []string{}
	}
	if b.TimeZone != "" {
		d.TimeZone = &b.TimeZone
	}
	if b.MinCapacity > 0 {
		d.MinCapacity = &b.MinCapacity
	}
	if b.Multiplier > 0 {
		d.Multiplier = &b.Multiplier
	}
	if b.Cancelled() {
		d.CancelledAt, d.CancelledBy = utc(b.CancelledAt), &b.CancelledBy
	}
	if b.Campaign != nil {
		d.Campaign = &boostCampaignDoc{ID: b.Campaign.ID, Sizing: b.Campaign.Sizing}
		if len(d.Campaign.Sizing) == 0 {
			d.Campaign.Sizing = json.RawMessage("{}")
		}
	}
	return d
}

// inForce reports whether b still applies at now: neither cancelled nor
// ended.
func inForce(b store.Boost, now time.Time) bool {
	return !b.Cancelled() && now.Before(b.End)
}

// buildBoost applies in to base (the zero boost for a create) and checks
// the result against the configured groups at now. Field names carry
// prefix. It returns every problem found.
func buildBoost(in boostFields, base store.Boost, create bool, now time.Time, f fleet, prefix string) (store.Boost, problems) {
	var ps problems
	field := func(name string) string { return joinField(prefix, name) }
	b := base
	if create {
		for _, req := range []struct {
			name    string
			present bool
		}{{"name", in.Name != nil}, {"reason", in.Reason != nil}, {"groups", in.Groups != nil},
			{"start", in.Start != nil}, {"end", in.End != nil}} {
			if !req.present {
				ps.add(field(req.name), "is required")
			}
		}
	}
	if in.Name != nil {
		b.Name = strings.TrimSpace(*in.Name)
		checkText(&ps, field("name"), b.Name, maxNameLen)
	}
	if in.Reason != nil {
		b.Reason = strings.TrimSpace(*in.Reason)
		checkText(&ps, field("reason"), b.Reason, maxReasonLen)
	}
	groupsOK := true
	if in.Groups != nil {
		b.Groups = slices.Clone(*in.Groups)
		groupsOK = checkGroups(&ps, field("groups"), b.Groups, f)
	}

	var loc *time.Location
	zoneOK := true
	if in.TimeZone != nil {
		b.TimeZone = strings.TrimSpace(*in.TimeZone)
	}
	if b.TimeZone != "" {
		if loc, zoneOK = loadZone(b.TimeZone); !zoneOK {
			ps.add(field("time_zone"), "%q is not an IANA time zone such as Europe/Paris", b.TimeZone)
		}
	}
	timesOK := true
	for _, t := range []struct {
		name string
		in   *string
		out  *time.Time
	}{{"start", in.Start, &b.Start}, {"end", in.End, &b.End}} {
		if t.in == nil {
			continue
		}
		when, local, ok, gap := parseWhen(strings.TrimSpace(*t.in), loc)
		switch {
		case ok:
			*t.out = when
		case local && !zoneOK:
			timesOK = false // the zone is already blamed
		case gap:
			timesOK = false
			ps.add(field(t.name), "%s does not exist in %s: the clocks skip that time for daylight saving; give a time outside the gap or an offset",
				strings.TrimSpace(*t.in), b.TimeZone)
		case local:
			timesOK = false
			ps.add(field(t.name), "a local time needs time_zone, or give an offset (2026-12-15T09:00:00+01:00)")
		default:
			timesOK = false
			ps.add(field(t.name), "must be an RFC 3339 time (2026-12-15T09:00:00+01:00) or a local YYYY-MM-DDTHH:MM[:SS] with time_zone")
		}
	}
	if timesOK && !ps.has(field("start")) && !ps.has(field("end")) && !b.Start.IsZero() && !b.End.IsZero() {
		lim := f.limits.orDefaults()
		switch {
		case !b.End.After(b.Start):
			ps.add(field("end"), "must be after start")
		case !b.End.After(now):
			ps.add(field("end"), "must be in the future")
		default:
			// A start written to the minute (local HH:MM) names that
			// whole minute, so that "now" typed in a form is not refused.
			slack := lim.cycle
			if in.Start != nil && minutePrecision(strings.TrimSpace(*in.Start)) {
				slack += time.Minute
			}
			if create && !lim.anyStart && b.Start.Before(now.Add(-slack)) {
				// A start long past would make the boost active at once,
				// with a window nobody meant (a year typed wrong); a boost
				// meant to start now may arrive a cycle late.
				ps.add(field("start"), "%s is %s in the past; a new boost may start at most one cycle (%s) ago: give the current time to start now",
					b.Start.Format(time.RFC3339), formatDuration(now.Sub(b.Start).Truncate(time.Second)), formatDuration(lim.cycle))
			}
			if w := b.End.Sub(b.Start); w > lim.maxWindow {
				ps.add(field("end"), "the window from start to end is %s; it may be at most %s (api.max_boost_window)",
					formatDuration(w.Truncate(time.Second)), formatDuration(lim.maxWindow))
			}
		}
	}

	if in.MinCapacity != nil {
		if *in.MinCapacity < 0 {
			ps.add(field("min_capacity"), "must not be negative")
		} else {
			b.MinCapacity = *in.MinCapacity
		}
	}
	if in.Multiplier != nil {
		switch m := *in.Multiplier; {
		case m == 0:
			b.Multiplier = 0
		case m < 1 || math.IsNaN(m):
			ps.add(field("multiplier"), "must be at least 1 (or 0 for none)")
		case m > maxMultiplier:
			ps.add(field("multiplier"), "must be at most %d", maxMultiplier)
		default:
			b.Multiplier = m
		}
	}
	if b.MinCapacity == 0 && b.Multiplier == 0 && !ps.has(field("min_capacity")) && !ps.has(field("multiplier")) {
		ps.add(field("min_capacity"), "set min_capacity (above 0) or multiplier (at least 1)")
	}
	for _, d := range []struct {
		name string
		in   *string
		out  *time.Duration
	}{{"ramp", in.Ramp, &b.Ramp}, {"lead", in.Lead, &b.Lead}} {
		if d.in == nil {
			continue
		}
		v, err := time.ParseDuration(strings.TrimSpace(*d.in))
		switch {
		case err != nil:
			ps.add(field(d.name), "must be a duration such as 10m or 1h30m")
		case v < 0:
			ps.add(field(d.name), "must not be negative")
		case v > maxRampLead:
			ps.add(field(d.name), "must be at most %s", formatDuration(maxRampLead))
		default:
			*d.out = v
		}
	}
	if in.CapAtMax != nil {
		b.CapAtMax = *in.CapAtMax
	}
	if groupsOK && !b.CapAtMax {
		checkFloor(&ps, b, f, field)
	}
	return b, ps
}

// checkText checks a free-text field: not empty, at most limit bytes,
// and safe to print (text.Check): no control or bidirectional formatting
// characters, which would act on the terminal or page that shows it.
func checkText(ps *problems, field, v string, limit int) {
	switch {
	case v == "":
		ps.add(field, "must not be empty")
	case len(v) > limit:
		ps.add(field, "must be at most %d bytes", limit)
	default:
		if err := text.Check(v); err != nil {
			ps.add(field, "%v", err)
		}
	}
}

// checkGroups checks each entry of a boost's groups: a configured group
// name, or a key=value selector matching at least one group's tags.
func checkGroups(ps *problems, field string, groups []string, f fleet) bool {
	ok := true
	bad := func(i int, format string, args ...any) {
		ps.add(fmt.Sprintf("%s[%d]", field, i), format, args...)
		ok = false
	}
	switch {
	case len(groups) == 0:
		ps.add(field, "must name at least one group or key=value tag selector")
		return false
	case len(groups) > maxGroupEntries:
		ps.add(field, "must have at most %d entries; use a tag selector", maxGroupEntries)
		return false
	}
	seen := map[string]bool{}
	for i, g := range groups {
		if seen[g] {
			bad(i, "%q is listed twice", g)
			continue
		}
		seen[g] = true
		k, _, isSel := strings.Cut(g, "=")
		switch {
		case g == "":
			bad(i, "must not be empty")
		case isSel && k == "":
			bad(i, "selector %q has an empty tag key", g)
		case isSel:
			if len(f.selected([]string{g})) == 0 {
				bad(i, "selector %q matches no group's Auto Scaling tags", g)
			}
		default:
			if _, found := f.byName[g]; !found {
				bad(i, "%q is not a configured group", g)
			}
		}
	}
	return ok
}

// checkFloor refuses a floor above a selected group's maximum: the engine
// would cap it, and an operator asking for more than the group can hold
// should know before the campaign, not during it.
func checkFloor(ps *problems, b store.Boost, f fleet, field func(string) string) {
	for _, v := range f.selected(b.Groups) {
		limit := maxOf(v)
		if limit < 0 {
			continue
		}
		if b.MinCapacity > limit {
			ps.add(field("min_capacity"), "floor %d is above group %q's maximum %d; lower it or set cap_at_max", b.MinCapacity, v.Name, limit)
			return
		}
		if b.Multiplier > 0 && v.Last != nil {
			floor := schedule.Boost{Multiplier: b.Multiplier}.Target(v.Last.Current)
			if floor > limit {
				ps.add(field("multiplier"), "floor %d (%g x current %d) is above group %q's maximum %d; lower it or set cap_at_max",
					floor, b.Multiplier, v.Last.Current, v.Name, limit)
				return
			}
		}
	}
}

// --- handlers ---

// allParam reads the optional ?all= of a list: true includes objects
// that no longer apply (ended, expired, cancelled).
func allParam(r *http.Request, ps *problems) bool {
	v := r.URL.Query().Get("all")
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		ps.add("all", "must be true or false")
	}
	return b
}

// boostListing reads a listing's `all` and page parameters and every
// stored boost; ok is false when it has answered with a problem.
func (s *server) boostListing(w http.ResponseWriter, r *http.Request, listing string) (all bool, pg pageRequest, bs []store.Boost, ok bool) {
	var ps problems
	all = allParam(r, &ps)
	pg = parsePage(r, listing, &ps)
	if p := ps.problem(); p != nil {
		writeProblem(w, r, p)
		return false, pg, nil, false
	}
	bs, err := s.store.ListBoosts(r.Context())
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, listing, err))
		return false, pg, nil, false
	}
	return all, pg, bs, true
}

func (s *server) listBoosts(w http.ResponseWriter, r *http.Request) {
	all, pg, bs, ok := s.boostListing(w, r, "boosts")
	if !ok {
		return
	}
	now := s.clock.Now()
	if !all {
		bs = slices.DeleteFunc(bs, func(b store.Boost) bool { return !inForce(b, now) })
	}
	bs, next := pageAfter(bs, pg, "boosts", func(b store.Boost) cursor { return cursor{At: b.Start, ID: b.ID} }, byTimeThenID)
	f := newFleet(s.fleet.Views())
	out := make([]boostDoc, 0, len(bs))
	for _, b := range bs {
		out = append(out, boostView(b, now, f))
	}
	writePage(w, r, "boosts", out, next)
}

func (s *server) getBoost(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	b, err := s.store.GetBoost(r.Context(), id)
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, fmt.Sprintf("boost %q", id), err))
		return
	}
	writeJSON(w, http.StatusOK, boostView(b, s.clock.Now(), newFleet(s.fleet.Views())))
}

func (s *server) createBoost(w http.ResponseWriter, r *http.Request) {
	body, p := s.readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	s.runWrite(w, r, body, func(k *idemKey) result {
		in, p := decodeBoost(body)
		if p != nil {
			return problemResult(p)
		}
		now := s.clock.Now()
		f := s.newFleet()
		b, ps := buildBoost(in, store.Boost{}, true, now, f, "")
		if p := ps.problem(); p != nil {
			return problemResult(p)
		}
		actor := principalFrom(r.Context()).Name
		b.ID = k.newID("b-")
		b.CreatedBy, b.CreatedAt, b.UpdatedAt = actor, now.UTC(), now.UTC()
		saved, err := s.store.PutBoost(r.Context(), b)
		if errors.Is(err, store.ErrConflict) && k != nil {
			return s.replayCreate(r, b.ID, func() (any, time.Time, error) {
				got, err := s.store.GetBoost(r.Context(), b.ID)
				return boostView(got, now, f), got.CreatedAt, err
			})
		}
		if err != nil {
			return problemResult(s.storeProblem(r, fmt.Sprintf("boost %q", b.ID), err))
		}
		view := boostView(saved, now, f)
		s.audit(r, "boost.create", saved.ID, nil, view)
		res := jsonResult(http.StatusCreated, view)
		res.location = "/v1/boosts/" + saved.ID
		return res
	})
}

func (s *server) updateBoost(w http.ResponseWriter, r *http.Request) {
	body, p := s.readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	id := chi.URLParam(r, "id")
	s.runWrite(w, r, body, func(_ *idemKey) result {
		in, p := decodeBoostPatch(body)
		if p != nil {
			return problemResult(p)
		}
		return s.retryConflicts(id, fmt.Sprintf("boost %q", id), func() (result, bool) {
			cur, err := s.store.GetBoost(r.Context(), id)
			if err != nil {
				return problemResult(s.storeProblem(r, fmt.Sprintf("boost %q", id), err)), false
			}
			if in.Version != nil && *in.Version != cur.Version {
				return problemResult(conflict("boost %q is at version %d, not %d; read it again and retry", id, cur.Version, *in.Version)), false
			}
			if cur.Cancelled() {
				return problemResult(conflict("boost %q was cancelled; create a new boost instead", id)), false
			}
			now := s.clock.Now()
			f := s.newFleet()
			b, ps := buildBoost(in.boostFields, cur, false, now, f, "")
			if p := ps.problem(); p != nil {
				return problemResult(p), false
			}
			before := boostView(cur, now, f)
			if sameBoost(b, cur) {
				// Nothing changes: no write, no audit entry, so that a
				// retried PATCH is harmless.
				return jsonResult(http.StatusOK, before), false
			}
			b.UpdatedAt = now.UTC()
			saved, err := s.store.PutBoost(r.Context(), b)
			if errors.Is(err, store.ErrConflict) && in.Version == nil {
				return result{}, true
			}
			if err != nil {
				return problemResult(s.storeProblem(r, fmt.Sprintf("boost %q", id), err)), false
			}
			after := boostView(saved, now, f)
			s.audit(r, "boost.update", id, before, after)
			return jsonResult(http.StatusOK, after), false
		})
	})
}

// sameBoost reports whether a and b differ only in bookkeeping.
func sameBoost(a, b store.Boost) bool {
	return a.Name == b.Name && a.Reason == b.Reason && slices.Equal(a.Groups, b.Groups) &&
		a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.TimeZone == b.TimeZone &&
		a.MinCapacity == b.MinCapacity && a.Multiplier == b.Multiplier && a.Ramp == b.Ramp &&
		a.Lead == b.Lead && a.CapAtMax == b.CapAtMax
}

func (s *server) cancelBoost(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	version, p := versionParam(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	s.runWrite(w, r, nil, func(_ *idemKey) result {
		return s.retryConflicts(id, fmt.Sprintf("boost %q", id), func() (result, bool) {
			cur, err := s.store.GetBoost(r.Context(), id)
			if err != nil {
				return problemResult(s.storeProblem(r, fmt.Sprintf("boost %q", id), err)), false
			}
			if version != nil && *version != cur.Version {
				return problemResult(conflict("boost %q is at version %d, not %d; read it again and retry", id, cur.Version, *version)), false
			}
			now := s.clock.Now()
			f := s.newFleet()
			if cur.Cancelled() {
				// Cancelled already: the answer is the same, and nothing
				// is written again.
				return jsonResult(http.StatusOK, boostView(cur, now, f)), false
			}
			b := cur
			b.CancelledAt, b.CancelledBy = now.UTC(), principalFrom(r.Context()).Name
			b.UpdatedAt = now.UTC()
			saved, err := s.store.PutBoost(r.Context(), b)
			if errors.Is(err, store.ErrConflict) && version == nil {
				return result{}, true
			}
			if err != nil {
				return problemResult(s.storeProblem(r, fmt.Sprintf("boost %q", id), err)), false
			}
			after := boostView(saved, now, f)
			s.audit(r, "boost.cancel", id, boostView(cur, now, f), after)
			return jsonResult(http.StatusOK, after), false
		})
	})
}

// versionParam reads the optional ?version= of a DELETE: the version the
// client read, for optimistic concurrency.
func versionParam(r *http.Request) (*int64, *problem) {
	v := r.URL.Query().Get("version")
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return nil, invalid("version", "must be a positive integer")
	}
	return &n, nil
}
