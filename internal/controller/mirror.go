package controller

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/schedule"
)

// errNotLeader stops a group's mirroring when the lease is lost mid-cycle.
var errNotLeader = errors.New("no longer the leader")

// mirror keeps every group's boosts mirrored as scheduled actions
// (docs/architecture.md#boosts-that-survive-the-daemon): at start-lead
// MinSize becomes the floor, at end
// it returns to its earlier value. It runs on the leader after the
// cycle's writes. A group is reconciled while a boost selects it or while
// it carries Headroom's actions; every group is checked on the first cycle
// after a start, which is how a boost cancelled while Headroom was down
// gets its actions removed and MinSize restored.
func (c *Controller) mirror(ctx context.Context, now time.Time, groups map[string]asg.Group, selected map[string][]schedule.Boost) {
	if c.deps.Mirror == nil {
		return
	}
	type job struct {
		gr     *groupRun
		g      asg.Group
		boosts []schedule.MirrorBoost
	}
	var jobs []job
	c.mu.Lock()
	mirrors, _ := c.deps.Mirror.(interface{ Mirrors(key string) bool })
	for _, gr := range c.groups {
		g, ok := groups[gr.key]
		if !ok {
			continue
		}
		if mirrors != nil && !mirrors.Mirrors(gr.key) {
			// No place for scheduled actions (a Kubernetes workload, an
			// ECS service without a scalable target): the daemon alone
			// enforces the boost.
			continue
		}
		var mb []schedule.MirrorBoost
		for _, b := range selected[gr.cfg.Name] {
			if g.Conflict != "" {
				// Another controller scales the target: Headroom puts no
				// floor there, and removes the floors it had put.
				break
			}
			if !now.Before(b.End) {
				continue
			}
			st := gr.boosts[b.ID]
			baseline := st.baseline
			if _, seen := gr.boosts[b.ID]; !seen {
				baseline = g.Desired
			}
			lead := c.boostLead(gr, g, b, baseline)
			if !st.begun.IsZero() {
				lead = b.Start.Sub(st.begun) - b.Ramp
			}
			mb = append(mb, schedule.MirrorBoost{ID: b.ID, Reached: b.Start.Add(-lead), End: b.End, Floor: b.Target(baseline)})
		}
		if len(mb) == 0 && !gr.mirrored {
			continue
		}
		jobs = append(jobs, job{gr: gr, g: g, boosts: mb})
	}
	c.mu.Unlock()

	sem := make(chan struct{}, writeConcurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			carries, err := c.mirrorGroup(ctx, now, j.gr, j.g, j.boosts)
			if errors.Is(err, asg.ErrWriteBudget) {
				// Not a failure: the budget went to the cycle's capacity
				// writes first, and the next cycle carries on from here
				// (reconciling is idempotent).
				c.deps.Log.Info("mirror boosts deferred", "group", j.gr.cfg.Name, "asg", j.gr.cfg.ASG, "reason", SkipRateBudget)
				return
			}
			if err != nil {
				c.deps.Log.Warn("mirror boosts", "group", j.gr.cfg.Name, "asg", j.gr.cfg.ASG, "err", err)
				c.countError(j.gr.cfg.Name, "mirror")
				return
			}
			c.mu.Lock()
			j.gr.mirrored = carries
			c.mu.Unlock()
		}()
	}
	wg.Wait()
}

// mirrorGroup reconciles one group and reports whether it still carries
// Headroom's actions afterwards.
func (c *Controller) mirrorGroup(ctx context.Context, now time.Time, gr *groupRun, g asg.Group, boosts []schedule.MirrorBoost) (bool, error) {
	if !c.leading() {
		return true, errNotLeader
	}
	existing, err := c.deps.Mirror.ScheduledActions(ctx, gr.key)
	if err != nil {
		return true, err
	}
	minSize := g.Min
	var plan schedule.MirrorPlan
	// A second pass settles what the first one's MinSize change allows at
	// once: after a cancelled boost's MinSize is restored, its end action
	// (kept until then as the record of the base) can go.
	for pass := 0; pass < 2; pass++ {
		plan = schedule.Mirror(schedule.MirrorInput{Now: now, MinSize: minSize, MaxSize: g.Max, Existing: existing, Boosts: boosts})
		// Actions first: when a boost is created after its lead has begun,
		// its end action is the only record of the MinSize to return to, so
		// it must exist before MinSize is raised.
		wctx, cancel, ok := c.acting(ctx)
		if !ok {
			cancel()
			return true, errNotLeader
		}
		put, deleted, err := c.deps.Mirror.Reconcile(wctx, gr.key, existing, plan.Want)
		cancel()
		if put+deleted > 0 {
			c.deps.Log.Info("scheduled actions", "group", gr.cfg.Name, "asg", gr.cfg.ASG, "put", put, "deleted", deleted, "carried", len(plan.Want))
		}
		if err != nil {
			return true, err
		}
		existing = plan.Want
		if plan.SetMin == nil || *plan.SetMin == minSize {
			break
		}
		wctx, cancel, ok = c.acting(ctx)
		if !ok {
			cancel()
			return true, errNotLeader
		}
		err = c.deps.Mirror.SetMinSize(wctx, gr.key, *plan.SetMin)
		cancel()
		if err != nil {
			return true, err
		}
		c.deps.Log.Info("min size", "group", gr.cfg.Name, "asg", gr.cfg.ASG, "from", minSize, "to", *plan.SetMin)
		minSize = *plan.SetMin
	}
	return len(plan.Want) > 0, nil
}
