package controller

import (
	"context"
	"math"
	"time"

	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/store"
)

// HistoryStore keeps the groups' demand history where every replica reads
// it: store.Store's RecordHistory and ListHistory.
type HistoryStore interface {
	RecordHistory(ctx context.Context, pts []store.HistoryPoint, keep time.Duration, now time.Time) error
	ListHistory(ctx context.Context, group string, since, until time.Time) ([]store.HistoryPoint, error)
}

var _ HistoryStore = (store.Store)(nil)

// demand sums one group's samples of the history bucket in progress. It
// lives in memory only: a restart loses at most the bucket in progress,
// which the store's merge would otherwise have taken a write per cycle to
// keep (docs/architecture.md, demand history).
type demand struct {
	at             time.Time // the bucket's start
	arrivals, need float64   // sums over the samples
	samples        int
	campaign       bool
}

// point is the bucket's history point: the means of the samples.
func (d demand) point(group string) store.HistoryPoint {
	n := float64(d.samples)
	return store.HistoryPoint{Group: group, At: d.at, Arrivals: d.arrivals / n, NeedUnits: d.need / n,
		Samples: d.samples, Campaign: d.campaign}
}

// recordsHistory reports whether this cycle's demand is recorded: a
// history store is configured, this is not a dry run, and this replica
// leads. A follower's samples would repeat the leader's cycles and count
// them twice in the merged buckets.
func (c *Controller) recordsHistory() bool {
	return c.deps.History != nil && !c.opts.DryRun && c.leading()
}

// arrivalsOf is a decision's arrival estimate in work items per second:
// the sum of its rate-mode queues' lambda; 0 for a group with none.
func arrivalsOf(d policy.Decision) float64 {
	sum := 0.0
	for _, q := range d.Queues {
		if q.Lambda > 0 && !math.IsInf(q.Lambda, 0) {
			sum += q.Lambda
		}
	}
	return sum
}

// needOf is the capacity a decision says the group needed, in its units:
// the highest proposal of the policies that measure the work, before
// hysteresis, stabilization, floors, bounds, overrides and rate limits.
// Those rules say what Headroom chose to run, not what the work needed; a
// history of them would teach the forecast its own floors (a predictive
// floor recorded as need would hold itself up forever) and a campaign's
// boosts. For the same reason step policies are left out: a step proposal
// is the current capacity moved by a step, or held, and under a floor it
// would record the floor. Backlog proposals size the arrivals; target
// tracking's scale the serving capacity by the metric over its target,
// except inside its tolerance, where it holds the current capacity: the
// need recorded then is within the tolerance (10% by default) of the
// work's. false when nothing was measured: no backlog or target tracking
// policy, or one of them without a proposal (a need from some of the
// group's measures only could be too low).
func needOf(d policy.Decision) (float64, bool) {
	need, ok := 0, false
	for _, p := range d.Proposals {
		if p.Kind != policy.KindBacklog && p.Kind != policy.KindTargetTracking {
			continue
		}
		if !p.OK {
			return 0, false
		}
		need, ok = max(need, p.Capacity), true
	}
	return float64(need), ok
}

// sample adds a group's decision at now to its bucket in progress; c.mu
// is held. A bucket that has ended is queued for flushHistory first.
func (c *Controller) sample(gr *groupRun, d policy.Decision, campaign bool, now time.Time) {
	if !c.recordsHistory() {
		gr.demand = demand{}
		return
	}
	need, ok := needOf(d)
	if !ok {
		return
	}
	at := store.HistoryBucketStart(now)
	c.endBucket(gr, at)
	if gr.demand.samples == 0 {
		gr.demand = demand{at: at}
	}
	gr.demand.arrivals += arrivalsOf(d)
	gr.demand.need += need
	gr.demand.samples++
	gr.demand.campaign = gr.demand.campaign || campaign
}

// endBucket queues a group's bucket when it started before at; c.mu is
// held.
func (c *Controller) endBucket(gr *groupRun, at time.Time) {
	if gr.demand.samples > 0 && gr.demand.at.Before(at) {
		c.finished = append(c.finished, gr.demand.point(gr.cfg.Name))
		gr.demand = demand{}
	}
}

// flushHistory writes the buckets that have ended, every group's in one
// RecordHistory call, so that a fleet pays one write a group every 5
// minutes rather than one a cycle. A failed call's buckets are dropped,
// not sent again: the call may have merged some of them, and a second
// send would count those twice (store.Store.RecordHistory).
func (c *Controller) flushHistory(ctx context.Context, now time.Time) {
	c.mu.Lock()
	at := store.HistoryBucketStart(now)
	for _, gr := range c.groups {
		c.endBucket(gr, at)
	}
	pts := c.finished
	c.finished = nil
	c.mu.Unlock()
	if len(pts) == 0 || !c.recordsHistory() {
		return
	}
	if err := c.deps.History.RecordHistory(ctx, pts, store.HistoryKeep, now); err != nil {
		c.deps.Log.Warn("record demand history", "groups", len(pts), "err", err)
		for _, p := range pts {
			c.countError(p.Group, "history")
		}
		return
	}
	c.mu.Lock()
	for _, p := range pts {
		if gr := c.byName[p.Group]; gr != nil {
			gr.pred.add(p)
		}
	}
	c.mu.Unlock()
}
