package controller

import (
	"fmt"
	"time"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
)

// A group with a warm pool gets two kinds of launches: a scale-out takes
// the pool's instances first (a warm start) and launches new ones only
// for the rest ("Warm pools for Amazon EC2 Auto Scaling": "Whenever your
// application needs to scale out, the Auto Scaling group can draw on the
// warm pool"). The controller times each kind apart: a scale-out the
// pool's ready instances cover serves after a warm start; one larger than
// them waits for its cold launches, whose time then bounds it.

// Split is how a scale-out is expected to be served: Warm units from the
// warm pool's ready instances, Cold units by new launches.
type Split struct {
	Warm, Cold int
}

// split divides a scale-out of units among the group's ready warm
// instances and cold launches. Only Ready instances are counted warm:
// AWS also takes instances still entering the pool, but those are still
// initialising, and counting them cold errs on the early side.
func split(g asg.Group, units int) Split {
	if units <= 0 {
		return Split{}
	}
	warm := 0
	if g.WarmPool.Usable() {
		warm = min(units, g.WarmPool.Ready)
	}
	return Split{Warm: warm, Cold: units - warm}
}

// warmLead is how long a warm start from g's pool takes to serve: the
// measured warm start p90 from the pool's state plus the warmup, or the
// state's prior (asg.WarmPrior) plus the warmup until minLaunchSamples
// warm starts are measured. It is never longer than the cold lead: a
// warm start skips what a cold launch does first.
func (c *Controller) warmLead(gr *groupRun, g asg.Group) time.Duration {
	w := g.WarmPool
	d := asg.WarmPrior(w.PoolState)
	if w.WarmLaunchSamples >= minLaunchSamples {
		d = w.WarmLaunchP90
	}
	return min(d+gr.cfg.Warmup.Std(), c.capacityLead(gr, g))
}

// boostLead is the default lead of boost b on group g whose capacity was
// baseline before it began: the launches its scale-out will get decide
// it. A scale-out the warm pool covers (its ready instances, and those
// entering it while Headroom holds it raised for a boost: poolCover)
// needs a warm start's lead plus one interval; any cold part needs
// lead(gr, g).
func (c *Controller) boostLead(gr *groupRun, g asg.Group, b schedule.Boost, baseline int) time.Duration {
	if b.Lead > 0 {
		return b.Lead
	}
	units := min(b.Target(baseline), g.Max) - g.Desired
	if units > 0 && units <= poolCover(g) {
		return c.warmLead(gr, g) + c.cfg.Interval.Std()
	}
	return c.lead(gr, g)
}

// decide runs the engine for one group. For a group whose warm pool has
// ready instances, T (in.Lead) is first the warm lead; when the decision
// scales out past what the pool covers, the group is decided again with
// the cold lead, from the same state, so that T is the time of the
// launches the scale-out will actually get.
func (c *Controller) decide(gr *groupRun, g asg.Group, in policy.Input, st policy.State) (policy.Decision, policy.State) {
	if !g.WarmPool.Usable() || g.WarmPool.Ready <= 0 {
		return policy.Decide(gr.spec, in, st)
	}
	warm, cold := c.warmLead(gr, g), c.capacityLead(gr, g)
	in.Lead = warm
	d, next := policy.Decide(gr.spec, in, st)
	if warm != cold && split(g, d.Desired-g.Desired).Cold > 0 {
		in.Lead = cold
		d, next = policy.Decide(gr.spec, in, st)
	}
	return d, next
}

// warmNotes says how a scale-out is expected to be served, for a group
// with a warm pool.
func warmNotes(g asg.Group, d policy.Decision) []string {
	w := g.WarmPool
	if w == nil {
		return nil
	}
	units := d.Desired - g.Desired
	switch {
	case w.Error != "":
		if units > 0 {
			return []string{fmt.Sprintf("scale-out of %d units: warm pool not read (%s), so all are counted cold", units, w.Error)}
		}
		return []string{fmt.Sprintf("warm pool not read: %s", w.Error)}
	case w.Status != "":
		if units > 0 {
			return []string{fmt.Sprintf("scale-out of %d units: the warm pool is %s, so all are counted cold", units, w.Status)}
		}
		return nil
	case units <= 0:
		return nil
	}
	s := split(g, units)
	note := fmt.Sprintf("scale-out of %d units: %d from the warm pool, %d cold", units, s.Warm, s.Cold)
	if s.Cold > 0 && w.Entering > 0 {
		note += fmt.Sprintf(" (%d units still entering the pool may serve some of the cold part sooner)", w.Entering)
	}
	return []string{note}
}

// setWarm copies the group's warm pool and the decision's expected split
// into the record.
func (r *Record) setWarm(c *Controller, gr *groupRun, g asg.Group) {
	if g.WarmPool == nil {
		return
	}
	w := *g.WarmPool
	r.WarmPool = &w
	r.Expected = split(g, r.Desired-g.Desired)
	if w.Usable() {
		r.WarmLead = c.warmLead(gr, g)
	}
	r.ColdLead = c.capacityLead(gr, g)
	r.RaisedFrom = -1
	if change, _, holds := warmChange(g); holds {
		r.RaisedFrom = change.Original
	}
}

// WarmPoolDoc is a group's warm pool as a decision shows it: what the
// pool holds (in the group's units; Instances counts instances), how
// long a warm start and a cold launch take to serve, and how the
// decision's scale-out is expected to be served.
type WarmPoolDoc struct {
	PoolState string `json:"pool_state"`
	Status    string `json:"status,omitempty"`
	MinSize   int    `json:"min_size"`
	// MaxPreparedCapacity is MaxGroupPreparedCapacity, null when not set.
	MaxPreparedCapacity *int             `json:"max_prepared_capacity"`
	Ready               int              `json:"ready"`
	Entering            int              `json:"entering"`
	Leaving             int              `json:"leaving"`
	Instances           WarmInstancesDoc `json:"instances"`
	WarmLaunchP90       float64          `json:"warm_launch_p90_seconds"`
	WarmLaunchSamples   int              `json:"warm_launch_samples"`
	WarmLeadSeconds     float64          `json:"warm_lead_seconds"`
	ColdLeadSeconds     float64          `json:"cold_lead_seconds"`
	ExpectedWarm        int              `json:"expected_warm"`
	ExpectedCold        int              `json:"expected_cold"`
	// RaisedFrom is the pool's MinSize before Headroom raised it for a
	// boost; null while Headroom holds no change to the pool.
	RaisedFrom *int   `json:"raised_from"`
	Error      string `json:"error,omitempty"`
}

// WarmInstancesDoc counts a warm pool's instances by state.
type WarmInstancesDoc struct {
	Ready    int `json:"ready"`
	Entering int `json:"entering"`
	Leaving  int `json:"leaving"`
}

// warmPoolDoc returns the record's warm pool as the API shows it, nil
// when the group has none.
func warmPoolDoc(r Record) *WarmPoolDoc {
	w := r.WarmPool
	if w == nil {
		return nil
	}
	d := &WarmPoolDoc{PoolState: w.PoolState, Status: w.Status, MinSize: w.MinSize,
		Ready: w.Ready, Entering: w.Entering, Leaving: w.Leaving,
		Instances:     WarmInstancesDoc{Ready: w.ReadyInstances, Entering: w.EnteringInstances, Leaving: w.LeavingInstances},
		WarmLaunchP90: w.WarmLaunchP90.Seconds(), WarmLaunchSamples: w.WarmLaunchSamples,
		WarmLeadSeconds: r.WarmLead.Seconds(), ColdLeadSeconds: r.ColdLead.Seconds(),
		ExpectedWarm: r.Expected.Warm, ExpectedCold: r.Expected.Cold, Error: w.Error}
	if w.MaxPreparedCapacity >= 0 {
		v := w.MaxPreparedCapacity
		d.MaxPreparedCapacity = &v
	}
	if r.RaisedFrom >= 0 {
		v := r.RaisedFrom
		d.RaisedFrom = &v
	}
	return d
}
