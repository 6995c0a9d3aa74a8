package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/headroom-dev/headroom/internal/campaign"
	"github.com/headroom-dev/headroom/internal/store"
)

// Limits on a campaign's fields.
const (
	// maxAudience keeps audience x messages per recipient far inside
	// exact float64 integers; no reward platform reaches a billion
	// recipients in one send.
	maxAudience = 1_000_000_000
	// maxMessagesPerRecipient: a response that makes more messages than
	// this is a batch job, not a campaign.
	maxMessagesPerRecipient = 1000
	// defaultMessagesPerRecipient: see campaign.DefaultMessagesPerRecipient.
	defaultMessagesPerRecipient = campaign.DefaultMessagesPerRecipient
)

// campaignInput is a POST /v1/campaigns (and preview) body.
type campaignInput struct {
	Name                 *string   `json:"name"`
	Groups               *[]string `json:"groups"`
	Start                *string   `json:"start"`
	End                  *string   `json:"end"`
	Audience             *int      `json:"audience"`
	MessagesPerRecipient *int      `json:"messages_per_recipient"`
}

// groupSizingDoc is a campaign's boost on one group, as the API shows it.
type groupSizingDoc struct {
	Group string `json:"group"`
	// Boost is the boost's id; null in a preview.
	Boost  *string         `json:"boost"`
	Start  time.Time       `json:"start"`
	End    time.Time       `json:"end"`
	Sizing campaign.Sizing `json:"sizing"`
}

// campaignDoc is a campaign as the API shows it. A preview has no id,
// creator or boosts.
type campaignDoc struct {
	ID                   *string          `json:"id"`
	Name                 string           `json:"name"`
	Groups               []string         `json:"groups"`
	Start                time.Time        `json:"start"`
	End                  time.Time        `json:"end"`
	EndGiven             bool             `json:"end_given"`
	Audience             int              `json:"audience"`
	MessagesPerRecipient int              `json:"messages_per_recipient"`
	Sizing               []groupSizingDoc `json:"sizing"`
	CreatedBy            *string          `json:"created_by"`
	CreatedAt            *time.Time       `json:"created_at"`
	// State is the state of its boosts when they agree; otherwise the
	// earliest of them (scheduled, leading, active, ended, cancelled).
	State *string `json:"state"`
}

// campaignPlan is a checked campaign and a boost per group, not stored.
type campaignPlan struct {
	name      string
	groups    []string
	start     time.Time
	end       time.Time
	endGiven  bool
	audience  int
	perRecip  int
	boosts    []store.Boost
	sizings   []campaign.Sizing
	createdBy string
}

func decodeCampaign(data []byte) (campaignInput, *problem) {
	var in campaignInput
	return in, decodeStrict(data, "", &in)
}

// planCampaign checks in and sizes a boost for each of its groups at now
// from the store's history. create: the start may be at most one cycle
// past (a preview may ask about any start). A store error is returned as
// err; every problem with the input as problems.
func (s *server) planCampaign(ctx context.Context, in campaignInput, now time.Time, f fleet, create bool) (campaignPlan, problems, error) {
	var ps problems
	var p campaignPlan
	for _, req := range []struct {
		name    string
		present bool
	}{{"name", in.Name != nil}, {"groups", in.Groups != nil}, {"start", in.Start != nil}, {"audience", in.Audience != nil}} {
		if !req.present {
			ps.add(req.name, "is required")
		}
	}
	if in.Name != nil {
		p.name = strings.TrimSpace(*in.Name)
		checkText(&ps, "name", p.name, maxNameLen)
	}
	groupsOK := in.Groups != nil
	if in.Groups != nil {
		p.groups = slices.Clone(*in.Groups)
		switch {
		case len(p.groups) == 0:
			ps.add("groups", "must name at least one configured group")
			groupsOK = false
		case len(p.groups) > maxGroupEntries:
			ps.add("groups", "must have at most %d entries", maxGroupEntries)
			groupsOK = false
		}
		seen := map[string]bool{}
		for i, g := range p.groups {
			field := fmt.Sprintf("groups[%d]", i)
			switch _, ok := f.byName[g]; {
			case seen[g]:
				ps.add(field, "%q is listed twice", g)
				groupsOK = false
			case !ok:
				ps.add(field, "%q is not a configured group; a campaign names groups, not tag selectors", g)
				groupsOK = false
			}
			seen[g] = true
		}
	}
	lim := f.limits.orDefaults()
	timesOK := true
	for _, t := range []struct {
		name string
		in   *string
		out  *time.Time
	}{{"start", in.Start, &p.start}, {"end", in.End, &p.end}} {
		if t.in == nil {
			continue
		}
		v, err := time.Parse(time.RFC3339, strings.TrimSpace(*t.in))
		if err != nil {
			ps.add(t.name, "must be an RFC 3339 time with an offset, such as 2026-12-15T09:00:00+01:00")
			timesOK = false
			continue
		}
		*t.out = v.UTC()
	}
	p.endGiven = in.End != nil
	if timesOK && in.Start != nil {
		if create && p.start.Before(now.Add(-lim.cycle)) {
			ps.add("start", "%s is %s in the past; a campaign may start at most one cycle (%s) ago",
				p.start.Format(time.RFC3339), formatDuration(now.Sub(p.start).Truncate(time.Second)), formatDuration(lim.cycle))
		}
		if p.endGiven {
			switch {
			case !p.end.After(p.start):
				ps.add("end", "must be after start")
			case !p.end.After(now):
				ps.add("end", "must be in the future")
			case p.end.Sub(p.start) > lim.maxWindow:
				ps.add("end", "the window from start to end is %s; it may be at most %s (api.max_boost_window)",
					formatDuration(p.end.Sub(p.start).Truncate(time.Second)), formatDuration(lim.maxWindow))
			}
		}
	}
	if in.Audience != nil {
		switch a := *in.Audience; {
		case a < 1:
			ps.add("audience", "must be an integer above 0: the recipients the campaign reaches")
		case a > maxAudience:
			ps.add("audience", "must be at most %d", maxAudience)
		default:
			p.audience = a
		}
	}
	p.perRecip = defaultMessagesPerRecipient
	if in.MessagesPerRecipient != nil {
		switch m := *in.MessagesPerRecipient; {
		case m < 1:
			ps.add("messages_per_recipient", "must be an integer above 0 (default %d)", defaultMessagesPerRecipient)
		case m > maxMessagesPerRecipient:
			ps.add("messages_per_recipient", "must be at most %d", maxMessagesPerRecipient)
		default:
			p.perRecip = m
		}
	}
	if !groupsOK || len(ps) > 0 {
		return p, ps, nil
	}

	boosts, err := s.store.ListBoosts(ctx)
	if err != nil {
		return p, nil, err
	}
	for i, g := range p.groups {
		sz, cost, err := s.sizeGroup(ctx, g, p, boosts, now, f)
		if err != nil {
			return p, nil, err
		}
		if !cost {
			ps.add(fmt.Sprintf("groups[%d]", i), "group %q has no measured cost per message (fewer than %d buckets of history outside campaigns) and no backlog queue with seconds_per_message to default from",
				g, campaign.MinCostBuckets)
			continue
		}
		end := p.end
		if !p.endGiven {
			end = sz.End(p.start)
		}
		raw, _ := json.Marshal(sz)
		p.boosts = append(p.boosts, store.Boost{Name: p.name, Groups: []string{g},
			Reason: fmt.Sprintf("campaign %q: %d recipients x %d messages; floor %d from the %s response curve", p.name, p.audience, p.perRecip, sz.Floor, sz.Source),
			Start:  p.start, End: end, MinCapacity: sz.Floor, CapAtMax: sz.CappedAtMax,
			Campaign: &store.BoostCampaign{Name: p.name, Groups: p.groups, Audience: p.audience, MessagesPerRecipient: p.perRecip,
				EndGiven: p.endGiven, Sizing: raw}})
		p.sizings = append(p.sizings, sz)
	}
	if !p.endGiven && len(p.boosts) > 0 {
		for _, b := range p.boosts {
			p.end = later(p.end, b.End)
		}
		if create && !p.end.After(now) {
			ps.add("start", "the campaign's expected arrivals are over by %s; give a later start or an end", p.end.Format(time.RFC3339))
		}
	}
	return p, ps, nil
}

// sizeGroup sizes the campaign p on group g: the response curve learned
// from g's earlier campaigns (boosts with a campaign section) or the
// default, and g's cost per message from its history or its backlog
// configuration. cost is false when g has neither.
func (s *server) sizeGroup(ctx context.Context, g string, p campaignPlan, boosts []store.Boost, now time.Time, f fleet) (campaign.Sizing, bool, error) {
	hist, err := s.store.ListHistory(ctx, g, now.Add(-store.HistoryKeep), time.Time{})
	if err != nil {
		return campaign.Sizing{}, false, err
	}
	pts := make([]campaign.Point, len(hist))
	for i, h := range hist {
		pts[i] = campaign.Point{At: h.At, Arrivals: h.Arrivals, NeedUnits: h.NeedUnits, Campaign: h.Campaign}
	}
	var earlier []campaign.Earlier
	for _, b := range boosts {
		if b.Campaign == nil || b.Cancelled() || !slices.Contains(b.Groups, g) || !b.Start.Before(now) {
			continue
		}
		earlier = append(earlier, campaign.Earlier{Start: b.Start, Audience: b.Campaign.Audience, MessagesPerRecipient: b.Campaign.MessagesPerRecipient})
	}
	sz, ok := campaign.SizeGroup(campaign.Group{Audience: p.audience, MessagesPerRecipient: p.perRecip,
		Earlier: earlier, History: pts, Now: now, DefaultCost: s.costs[g], Max: maxOf(f.views[f.byName[g]]), Lead: f.views[f.byName[g]].Lead})
	return sz, ok, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// planView is a plan as a preview shows it.
func planView(p campaignPlan) campaignDoc {
	d := campaignDoc{Name: p.name, Groups: p.groups, Start: p.start, End: p.end, EndGiven: p.endGiven,
		Audience: p.audience, MessagesPerRecipient: p.perRecip, Sizing: []groupSizingDoc{}}
	for i, b := range p.boosts {
		d.Sizing = append(d.Sizing, groupSizingDoc{Group: b.Groups[0], Start: b.Start, End: b.End, Sizing: p.sizings[i]})
	}
	return d
}

// campaignView is a stored campaign, from its boosts (at least one, all
// of one campaign, in group order), as the API shows it.
func campaignView(bs []store.Boost, now time.Time, f fleet) campaignDoc {
	first := bs[0]
	c := first.Campaign
	id, by, at := c.ID, first.CreatedBy, first.CreatedAt.UTC()
	d := campaignDoc{ID: &id, Name: c.Name, Groups: c.Groups, Start: first.Start.UTC(), EndGiven: c.EndGiven,
		Audience: c.Audience, MessagesPerRecipient: c.MessagesPerRecipient, Sizing: []groupSizingDoc{},
		CreatedBy: &by, CreatedAt: &at}
	if d.Groups == nil {
		d.Groups = []string{}
	}
	order := []string{stateScheduled, stateLeading, stateActive, stateEnded, stateCancelled}
	state := ""
	for _, b := range bs {
		bid := b.ID
		var sz campaign.Sizing
		_ = json.Unmarshal(b.Campaign.Sizing, &sz)
		g := ""
		if len(b.Groups) > 0 {
			g = b.Groups[0]
		}
		d.Sizing = append(d.Sizing, groupSizingDoc{Group: g, Boost: &bid, Start: b.Start.UTC(), End: b.End.UTC(), Sizing: sz})
		d.End = later(d.End, b.End.UTC())
		st := boostState(b, now, f.lead(b))
		if state == "" || slices.Index(order, st) < slices.Index(order, state) {
			state = st
		}
	}
	d.State = &state
	return d
}

// campaignsOf groups the boosts made from campaigns by campaign id, each
// campaign's boosts in the order of its groups, campaigns by start then
// id.
func campaignsOf(bs []store.Boost) [][]store.Boost {
	byID := map[string][]store.Boost{}
	var ids []string
	for _, b := range bs {
		if b.Campaign == nil {
			continue
		}
		if _, ok := byID[b.Campaign.ID]; !ok {
			ids = append(ids, b.Campaign.ID)
		}
		byID[b.Campaign.ID] = append(byID[b.Campaign.ID], b)
	}
	out := make([][]store.Boost, 0, len(ids))
	for _, id := range ids {
		group := byID[id]
		order := group[0].Campaign.Groups
		slices.SortStableFunc(group, func(a, b store.Boost) int {
			return slices.Index(order, first(a.Groups)) - slices.Index(order, first(b.Groups))
		})
		out = append(out, group)
	}
	slices.SortFunc(out, func(a, b []store.Boost) int {
		if c := a[0].Start.Compare(b[0].Start); c != 0 {
			return c
		}
		return strings.Compare(a[0].Campaign.ID, b[0].Campaign.ID)
	})
	return out
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// --- handlers ---

func (s *server) listCampaigns(w http.ResponseWriter, r *http.Request) {
	all, pg, bs, ok := s.boostListing(w, r, "campaigns")
	if !ok {
		return
	}
	now := s.clock.Now()
	cs := campaignsOf(bs)
	if !all {
		cs = slices.DeleteFunc(cs, func(c []store.Boost) bool {
			return !slices.ContainsFunc(c, func(b store.Boost) bool { return inForce(b, now) })
		})
	}
	cs, next := pageAfter(cs, pg, "campaigns", func(c []store.Boost) cursor { return cursor{At: c[0].Start, ID: c[0].Campaign.ID} }, byTimeThenID)
	f := newFleet(s.fleet.Views())
	out := make([]campaignDoc, 0, len(cs))
	for _, c := range cs {
		out = append(out, campaignView(c, now, f))
	}
	writePage(w, r, "campaigns", out, next)
}

func (s *server) getCampaign(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	bs, err := s.store.ListBoosts(r.Context())
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, fmt.Sprintf("campaign %q", id), err))
		return
	}
	for _, c := range campaignsOf(bs) {
		if c[0].Campaign.ID == id {
			writeJSON(w, http.StatusOK, campaignView(c, s.clock.Now(), newFleet(s.fleet.Views())))
			return
		}
	}
	writeProblem(w, r, notFound("campaign %q not found", id))
}

func (s *server) previewCampaign(w http.ResponseWriter, r *http.Request) {
	body, p := s.readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	in, p := decodeCampaign(body)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	plan, ps, err := s.planCampaign(r.Context(), in, s.clock.Now(), s.newFleet(), false)
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, "campaign history", err))
		return
	}
	if p := ps.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	writeJSON(w, http.StatusOK, planView(plan))
}

func (s *server) createCampaign(w http.ResponseWriter, r *http.Request) {
	body, p := s.readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	s.runWrite(w, r, body, func(k *idemKey) result {
		in, p := decodeCampaign(body)
		if p != nil {
			return problemResult(p)
		}
		now := s.clock.Now()
		f := s.newFleet()
		plan, ps, err := s.planCampaign(r.Context(), in, now, f, true)
		if err != nil {
			return problemResult(s.storeProblem(r, "campaign history", err))
		}
		if p := ps.problem(); p != nil {
			return problemResult(p)
		}
		return s.storeCampaign(r, k, plan, now, f)
	})
}

// storeCampaign stores plan's boosts under one campaign id. With an
// Idempotency-Key the ids derive from it: a boost already stored under
// its id by an earlier try of the same key (one that stopped part way)
// is kept, not written again, so a retry completes the campaign.
func (s *server) storeCampaign(r *http.Request, k *idemKey, plan campaignPlan, now time.Time, f fleet) result {
	actor := principalFrom(r.Context()).Name
	id := k.newID("c-")
	saved := make([]store.Boost, 0, len(plan.boosts))
	wrote := false
	for i, b := range plan.boosts {
		b.ID = "b-" + id[2:] + "-" + strconv.Itoa(i+1)
		b.Campaign.ID = id
		b.CreatedBy, b.CreatedAt, b.UpdatedAt = actor, now.UTC(), now.UTC()
		got, err := s.store.PutBoost(r.Context(), b)
		if errors.Is(err, store.ErrConflict) && k != nil {
			got, err = s.store.GetBoost(r.Context(), b.ID)
			switch {
			case err != nil:
			case got.Campaign == nil || got.Campaign.ID != id || now.Sub(got.CreatedAt) >= s.idemTTL:
				return problemResult(conflict("Idempotency-Key was used for %s more than %s ago; use a new key", id, formatDuration(s.idemTTL)))
			}
		} else if err == nil {
			wrote = true
		}
		if err != nil {
			return problemResult(s.storeProblem(r, fmt.Sprintf("boost %q of campaign %q", b.ID, id), err))
		}
		saved = append(saved, got)
	}
	view := campaignView(saved, now, f)
	if wrote {
		s.audit(r, "campaign.create", id, nil, view)
	}
	res := jsonResult(http.StatusCreated, view)
	res.location = "/v1/campaigns/" + id
	// Every boost was there already: an earlier request with the same key
	// made the campaign, and this answer describes it.
	res.replayed = !wrote
	return res
}
