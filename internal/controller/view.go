package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/target"
)

// DecisionDoc is a decision as the API, the store and ctl show it: every
// proposal, every rule that changed the number, every input with its age,
// and what was done about it. Replacing is the part of Pending that
// replaces instances AWS is retiring (capacity rebalancing and other
// launch-before-terminate replacements): a swap, not capacity added.
type DecisionDoc struct {
	Group          string        `json:"group"`
	ASG            string        `json:"asg"`
	Kind           string        `json:"kind,omitempty"`
	Target         string        `json:"target,omitempty"`
	At             time.Time     `json:"at"`
	Current        int           `json:"current"`
	Desired        int           `json:"desired"`
	Min            int           `json:"min"`
	Max            int           `json:"max"`
	Serving        int           `json:"serving"`
	Pending        int           `json:"pending"`
	Warming        int           `json:"warming"`
	Terminating    int           `json:"terminating"`
	Standby        int           `json:"standby"`
	Replacing      int           `json:"replacing"`
	CapacityType   string        `json:"capacity_type"`
	Weighted       bool          `json:"weighted"`
	Instances      InstancesDoc  `json:"instances"`
	ASGMin         int           `json:"asg_min"`
	ASGMax         int           `json:"asg_max"`
	Proposals      []ProposalDoc `json:"proposals"`
	Changes        []ChangeDoc   `json:"changes"`
	Inputs         []InputDoc    `json:"inputs"`
	Queues         []QueueDoc    `json:"queues"`
	ScaleInBlocked string        `json:"scale_in_blocked,omitempty"`
	Paused         bool          `json:"paused"`
	Notes          []string      `json:"notes,omitempty"`
	WarmPool       *WarmPoolDoc  `json:"warm_pool,omitempty"`
	// Predictive is the predictive floor; absent for a group without a
	// predictive block.
	Predictive *PredictiveDoc `json:"predictive,omitempty"`
	Reason     string         `json:"reason"`
	Acted      bool           `json:"acted"`
	Skipped    string         `json:"skipped,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// PredictiveDoc is a decision's predictive floor: the mode, the floor in
// the group's units (0: none, reason says why), how far ahead it looks,
// the quantile, and whether it was given to the engine.
type PredictiveDoc struct {
	Mode        string  `json:"mode"`
	Floor       int     `json:"floor"`
	LeadSeconds float64 `json:"lead_seconds"`
	Quantile    float64 `json:"quantile"`
	Applied     bool    `json:"applied"`
	Reason      string  `json:"reason"`
}

// InstancesDoc counts a group's instances by state, beside the decision's
// units: on a weighted group they differ, and both matter.
type InstancesDoc struct {
	InService   int `json:"in_service"`
	Serving     int `json:"serving"`
	Warming     int `json:"warming"`
	Pending     int `json:"pending"`
	Terminating int `json:"terminating"`
	Standby     int `json:"standby"`
	Protected   int `json:"protected"`
	Replacing   int `json:"replacing"`
}

// ProposalDoc is one policy's proposal.
type ProposalDoc struct {
	Policy   string `json:"policy"`
	Kind     string `json:"kind"`
	Capacity int    `json:"capacity"`
	OK       bool   `json:"ok"`
	Reason   string `json:"reason"`
}

// ChangeDoc is one rule that changed the number, from what to what.
type ChangeDoc struct {
	Rule   string `json:"rule"`
	From   int    `json:"from"`
	To     int    `json:"to"`
	Reason string `json:"reason"`
}

// InputDoc is one input of a decision with its age.
type InputDoc struct {
	Policy     string  `json:"policy"`
	Name       string  `json:"name"`
	Value      float64 `json:"value"`
	AgeSeconds float64 `json:"age_seconds"`
	Stale      bool    `json:"stale"`
}

// QueueDoc is how a rate-mode backlog policy sized one queue: the arrival
// estimate, the backlog now and projected lead_seconds ahead (when capacity
// ordered now would serve, or as far as a young surge has lasted), the budget of standing backlog and the excess
// over it, the capacity credited as on its way, the terms of the need in
// units, and which term won (rate, drain, refill or floor).
type QueueDoc struct {
	Policy            string  `json:"policy"`
	Queue             string  `json:"queue"`
	ArrivalsPerSecond float64 `json:"arrivals_per_second"`
	Backlog           float64 `json:"backlog"`
	ProjectedBacklog  float64 `json:"projected_backlog"`
	Budget            float64 `json:"budget"`
	Excess            float64 `json:"excess"`
	OnItsWay          float64 `json:"on_its_way"`
	LeadSeconds       float64 `json:"lead_seconds"`
	Rate              float64 `json:"rate"`
	Drain             float64 `json:"drain"`
	Floor             float64 `json:"floor"`
	Need              float64 `json:"need"`
	Term              string  `json:"term"`
	SurgeOver         bool    `json:"surge_over"`
}

// QueueDocOf returns q as the API shows it.
func QueueDocOf(q policy.QueueDetail) QueueDoc {
	return QueueDoc{Policy: q.Policy, Queue: q.Queue, ArrivalsPerSecond: q.Lambda, Backlog: q.Backlog,
		ProjectedBacklog: q.Projected, Budget: q.Budget, Excess: q.Excess, OnItsWay: q.OnItsWay,
		LeadSeconds: q.Lead.Seconds(), Rate: q.Rate, Drain: q.Drain, Floor: q.Floor, Need: q.Need,
		Term: q.Term, SurgeOver: q.SurgeOver}
}

// Doc returns r as a DecisionDoc. Slices are never nil, so that JSON shows
// [] rather than null.
func Doc(r Record) DecisionDoc {
	d := DecisionDoc{
		Group: r.Group, ASG: r.ASG, Kind: string(r.Kind), Target: r.Target, At: r.At, Current: r.Current, Desired: r.Desired,
		Min: r.Min, Max: r.Max, Serving: r.Serving, Pending: r.Pending, Warming: r.Warming,
		Terminating: r.Terminating, Standby: r.Standby, CapacityType: r.CapacityType, Weighted: r.Weighted,
		Instances: InstancesDoc{InService: r.Instances.InService, Serving: r.Instances.Serving, Warming: r.Instances.Warming,
			Pending: r.Instances.Pending, Terminating: r.Instances.Terminating, Standby: r.Instances.Standby, Protected: r.Instances.Protected},
		ASGMin: r.ASGMin, ASGMax: r.ASGMax, ScaleInBlocked: r.ScaleInBlocked, Paused: r.Paused,
		Notes: r.Notes, Reason: r.Reason, Acted: r.Acted, Skipped: r.Skipped, Error: r.Error,
		Proposals: make([]ProposalDoc, 0, len(r.Proposals)),
		Changes:   make([]ChangeDoc, 0, len(r.Changes)),
		Inputs:    make([]InputDoc, 0, len(r.Inputs)),
		Queues:    make([]QueueDoc, 0, len(r.Queues)),
	}
	d.Replacing, d.Instances.Replacing = r.Replacing, r.Instances.Replacing
	d.WarmPool = warmPoolDoc(r)
	if p := r.Predictive; p != nil {
		d.Predictive = &PredictiveDoc{Mode: p.Mode, Floor: p.Floor, LeadSeconds: p.Lead.Seconds(), Quantile: p.Quantile, Applied: p.Applied, Reason: p.Reason}
	}
	for _, q := range r.Queues {
		d.Queues = append(d.Queues, QueueDocOf(q))
	}
	for _, p := range r.Proposals {
		d.Proposals = append(d.Proposals, ProposalDoc{Policy: p.Policy, Kind: string(p.Kind), Capacity: p.Capacity, OK: p.OK, Reason: p.Reason})
	}
	for _, c := range r.Changes {
		d.Changes = append(d.Changes, ChangeDoc{Rule: c.Rule, From: c.From, To: c.To, Reason: c.Reason})
	}
	for _, in := range r.Inputs {
		d.Inputs = append(d.Inputs, InputDoc{Policy: in.Policy, Name: in.Name, Value: in.Value, AgeSeconds: in.Age.Seconds(), Stale: in.Stale})
	}
	return d
}

// GroupView is what the controller knows of one configured group: its
// configuration, the Auto Scaling group as last described, and its latest
// decision.
type GroupView struct {
	// Name is Headroom's name for the group; ASG the Auto Scaling group's
	// ("" for another kind of target). Kind is the kind of its target and
	// Target the target's name for people (config.Group.TargetString).
	Name   string
	ASG    string
	Kind   target.Kind
	Target string
	// Min and Max are the configured bounds.
	Min, Max int
	// Tags are the Auto Scaling group's tags as last described; nil until
	// the group has been described.
	Tags map[string]string
	// ASGMin and ASGMax are the group's own MinSize and MaxSize as last
	// described; Known is false until the group has been described.
	ASGMin, ASGMax int
	Known          bool
	// Lead is the boost lead the group would use now: measured or
	// configured.
	Lead time.Duration
	// Last is the latest decision; nil before the first cycle.
	Last *Record
	// Metrics are the policies whose value a Preview's Metrics may
	// replace, and Queues the queues its Queues may, in config order.
	Metrics, Queues []string
}

// Preview is a hypothetical cycle for one group: the group as last
// described, with any of these replaced.
type Preview struct {
	// Current and Serving replace the group's desired capacity and serving
	// instances when set.
	Current, Serving *int
	// Metrics replaces a target tracking or step policy's newest value, by
	// policy name.
	Metrics map[string]float64
	// Queues replaces a queue's reading, by queue name.
	Queues map[string]policy.QueueObservation
	// Boosts are added to the boosts in force (e.g. one not yet created);
	// each applies whatever its Groups say.
	Boosts []schedule.Boost
}

// views is every group's view as the last cycle left it, published
// whole: the admin API reads it on every request, and must not wait for a
// cycle in flight (whose decisions hold the controller's lock).
type views struct {
	list   []GroupView
	byName map[string]int
}

// publishLocked publishes the groups' views as they are now; c.mu is held.
func (c *Controller) publishLocked() {
	v := &views{list: make([]GroupView, len(c.groups)), byName: make(map[string]int, len(c.groups))}
	for i, gr := range c.groups {
		v.list[i] = c.view(gr)
		v.byName[gr.cfg.Name] = i
	}
	c.views.Store(v)
}

// Views returns every configured group's view, in config order, as of the
// last finished cycle; it never waits for a cycle in flight.
func (c *Controller) Views() []GroupView {
	return slices.Clone(c.views.Load().list)
}

// View returns one group's view by Headroom name, as Views does.
func (c *Controller) View(name string) (GroupView, bool) {
	v := c.views.Load()
	i, ok := v.byName[name]
	if !ok {
		return GroupView{}, false
	}
	return v.list[i], true
}

func (c *Controller) view(gr *groupRun) GroupView {
	v := GroupView{Name: gr.cfg.Name, ASG: gr.cfg.ASG, Kind: gr.cfg.Kind(), Target: gr.cfg.TargetString(),
		Min: gr.cfg.Min, Max: gr.cfg.Max, Lead: gr.cfg.BoostLead.Std()}
	if gr.described {
		v.Known, v.Tags, v.ASGMin, v.ASGMax = true, gr.last.Tags, gr.last.Min, gr.last.Max
		v.Lead = c.lead(gr, gr.last)
	}
	if n := len(gr.history); n > 0 {
		r := gr.history[n-1]
		v.Last = &r
	}
	// As Preview applies them: a metric to a policy without a backlog,
	// a queue to a backlog policy's queue.
	for _, pol := range gr.spec.Policies {
		if pol.Backlog == nil {
			v.Metrics = append(v.Metrics, pol.Name)
			continue
		}
		for _, q := range pol.Backlog.Queues {
			if !slices.Contains(v.Queues, q.Name) {
				v.Queues = append(v.Queues, q.Name)
			}
		}
	}
	return v
}

// ErrUnknownGroup is returned by Preview for a group not in the config.
var ErrUnknownGroup = errors.New("unknown group")

// ErrNotDescribed is returned by Preview before the group has been read.
var ErrNotDescribed = errors.New("group not described yet")

// Preview decides one group as the last cycle saw it, with p's changes,
// and writes nothing: neither AWS, nor the store, nor the group's state.
func (c *Controller) Preview(_ context.Context, name string, p Preview) (Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gr := c.byName[name]
	if gr == nil {
		return Record{}, fmt.Errorf("%w %q", ErrUnknownGroup, name)
	}
	if !gr.described {
		return Record{}, fmt.Errorf("%q: %w", name, ErrNotDescribed)
	}
	now := c.deps.Clock.Now()
	g := gr.last
	if p.Current != nil {
		g.Desired = *p.Current
	}
	if p.Serving != nil {
		g.Serving = *p.Serving
	}
	in := c.input(gr, g, now, c.lastSeries, c.lastQueues)
	for _, pol := range gr.spec.Policies {
		pi := in.Policies[pol.Name]
		if v, ok := p.Metrics[pol.Name]; ok && pol.Backlog == nil {
			// Enough equal datapoints, a period apart and newest first as
			// CloudWatch returns them, for any alarm rule.
			period := gr.periods[gr.cfg.Name+"/"+pol.Name]
			if period <= 0 {
				period = time.Minute
			}
			pi.Metric = make([]policy.Observation, previewPoints)
			for j := range pi.Metric {
				at := now.Add(-time.Duration(j) * period)
				pi.Metric[j] = policy.Observation{Value: v, At: at, ReadAt: now}
			}
			pi.Missing = ""
		}
		if pol.Backlog != nil && len(p.Queues) > 0 {
			if pi.Queues == nil {
				pi.Queues = map[string]policy.QueueObservation{}
			}
			replaced := false
			for _, q := range pol.Backlog.Queues {
				if o, ok := p.Queues[q.Name]; ok {
					o.At, o.ReadAt = now, now
					pi.Queues[q.Name] = o
					replaced = true
				}
			}
			if replaced && len(pi.Queues) == len(pol.Backlog.Queues) {
				pi.Missing = ""
			}
		}
		in.Policies[pol.Name] = pi
	}
	saved := maps.Clone(gr.boosts)
	in.Floors = c.floors(gr, g, now, append(append([]schedule.Boost(nil), c.lastPlan.Boosts...), p.Boosts...))
	gr.boosts = saved
	in.Overrides = c.lastPlan.Overrides[gr.cfg.Name]
	pred := c.predictive(gr, g, now)
	if pred != nil && pred.Applied {
		in.Predictive = pred.Floor
	}
	d, _ := c.decide(gr, g, in, gr.state)
	d.Notes = append(d.Notes, warmNotes(g, d)...)
	r := Record{Decision: d, ASG: gr.cfg.ASG, Serving: g.Serving, Pending: g.Pending,
		Warming: g.Warming, ASGMin: g.Min, ASGMax: g.Max, Skipped: SkipDryRun, Predictive: pred}
	r.setWarm(c, gr, g)
	return r, nil
}

// previewPoints is how many datapoints a previewed metric gets: more than
// any evaluation_periods a step policy is likely to use.
const previewPoints = 10
