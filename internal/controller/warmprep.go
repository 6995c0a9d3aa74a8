package controller

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/schedule"
)

// WarmPools raises a group's warm pool before a boost and puts it back
// afterwards, recording what it changed on the group (asg.WarmPoolTag).
type WarmPools interface {
	SetWarmPoolMinSize(ctx context.Context, asgName string, w asg.WarmPool, minSize int) error
	RecordWarmPoolChange(ctx context.Context, asgName string, c *asg.WarmPoolChange) error
}

var _ WarmPools = (*asg.Actuator)(nil)

// warmReleased is WarmPoolTag's value once someone else has changed a
// pool Headroom raised: Headroom leaves the pool alone until no boost
// needs it, then removes the tag.
const warmReleased = asg.WarmPoolReleased

// warmChange is the change Headroom recorded on g's warm pool, if any:
// tagged says the group carries asg.WarmPoolTag, holds that the tag is a
// change Headroom made and the pool's MinSize is still the one it set.
func warmChange(g asg.Group) (c asg.WarmPoolChange, tagged, holds bool) {
	v, tagged := g.Tags[asg.WarmPoolTag]
	if !tagged {
		return c, false, false
	}
	c, ok := asg.ParseWarmPoolChange(v)
	return c, true, ok && g.WarmPool != nil && g.WarmPool.MinSize == c.Set
}

// pendingRaise reports whether tag is Headroom's record of a raise that
// the pool, at MinSize minSize, does not show: the pool still has the
// MinSize the record says it had before.
func pendingRaise(tag string, minSize int) bool {
	c, ok := asg.ParseWarmPoolChange(tag)
	return ok && c.Set != c.Original && minSize == c.Original
}

// poolCover is how many units of a scale-out the warm pool can give
// warm: its ready units, and while Headroom holds the pool raised for a
// boost, the units still entering it too (they were launched into the
// pool a cold launch's time before the boost needs them).
func poolCover(g asg.Group) int {
	if !g.WarmPool.Usable() {
		return 0
	}
	n := g.WarmPool.Ready
	if _, _, holds := warmChange(g); holds {
		n += g.WarmPool.Entering
	}
	return n
}

// warmWant is the warm pool MinSize the group's boosts need now: for each
// boost that has not begun, once its preparation time has come (a cold
// launch and one interval before its floor would begin with a warm
// start's lead), the units its scale-out orders. hold is true while a
// boost that has begun has not reached its floor (a ramp still takes
// instances from the pool): a raised pool stays raised, but Headroom does
// not raise one then. Once every floor is reached, no boost needs the
// pool: its scale-out has been served.
func (c *Controller) warmWant(gr *groupRun, g asg.Group, now time.Time, boosts []schedule.Boost) (want int, hold bool) {
	if !gr.cfg.RaiseWarmPool {
		return 0, false // a pool Headroom raised before is still put back
	}
	for _, b := range boosts {
		if !now.Before(b.End) || !b.Selects(gr.cfg.Name, g.Tags) {
			continue
		}
		st, seen := gr.boosts[b.ID]
		if seen && !st.begun.IsZero() {
			lead := b.Start.Sub(st.begun) - b.Ramp
			if now.Before(b.Start.Add(-lead)) {
				hold = true
			}
			continue
		}
		units := min(b.Target(g.Desired), g.Max) - g.Desired
		if units <= 0 {
			continue
		}
		lead := b.LeadOr(c.warmLead(gr, g) + c.cfg.Interval.Std())
		prepare := b.Begins(lead).Add(-c.capacityLead(gr, g) - c.cfg.Interval.Std())
		if !now.Before(prepare) {
			want = max(want, units)
		}
	}
	return want, hold
}

// prepareWarmPools raises each boosted group's warm pool MinSize so that
// the boost's scale-out can come warm, and puts back a pool Headroom
// raised once no boost needs it. It runs on the leader after the cycle's
// writes. A pool Headroom did not change is only ever raised, and only
// when it is too small; a raised pool whose MinSize someone else has
// changed since is left as it is (Headroom drops its record).
func (c *Controller) prepareWarmPools(ctx context.Context, now time.Time, groups map[string]asg.Group, selected map[string][]schedule.Boost) {
	if c.deps.WarmPools == nil {
		return
	}
	type job struct {
		gr   *groupRun
		g    asg.Group
		want int
		hold bool
		gone bool
	}
	var jobs []job
	c.mu.Lock()
	for _, gr := range c.groups {
		g, ok := groups[gr.key]
		if !ok {
			continue
		}
		if _, tagged := g.Tags[asg.WarmPoolTag]; tagged && g.WarmPool == nil {
			// The pool is gone: nothing is left to put back.
			jobs = append(jobs, job{gr: gr, g: g, gone: true})
			continue
		}
		if !g.WarmPool.Usable() {
			continue
		}
		want, hold := c.warmWant(gr, g, now, selected[gr.cfg.Name])
		if _, tagged, _ := warmChange(g); want == 0 && !tagged {
			continue
		}
		jobs = append(jobs, job{gr: gr, g: g, want: want, hold: hold})
	}
	c.mu.Unlock()

	sem := make(chan struct{}, writeConcurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var err error
			if j.gone {
				err = c.forgetWarmPool(ctx, j.gr)
			} else {
				err = c.prepareWarmPool(ctx, j.gr, j.g, j.want, j.hold)
			}
			switch {
			case errors.Is(err, asg.ErrWriteBudget):
				// Not a failure: the budget went to the cycle's capacity
				// writes first; the next cycle tries again.
				c.deps.Log.Info("warm pool deferred", "group", j.gr.cfg.Name, "asg", j.gr.cfg.ASG, "reason", SkipRateBudget)
			case err != nil:
				c.deps.Log.Warn("warm pool", "group", j.gr.cfg.Name, "asg", j.gr.cfg.ASG, "err", err)
				c.countError(j.gr.cfg.Name, "warm_pool")
			}
		}()
	}
	wg.Wait()
}

// prepareWarmPool brings one group's warm pool to want (0: no boost
// needs it raised; hold: keep a raised pool). The record is written
// before the pool is raised and removed after it is restored, so that a
// failure between the two never leaves a pool raised without a record of
// what it was.
func (c *Controller) prepareWarmPool(ctx context.Context, gr *groupRun, g asg.Group, want int, hold bool) error {
	w := *g.WarmPool
	change, tagged, holds := warmChange(g)
	tag := g.Tags[asg.WarmPoolTag]
	pools := c.deps.WarmPools
	write := func(f func(context.Context) error) error {
		wctx, cancel, ok := c.acting(ctx)
		defer cancel()
		if !ok {
			return errNotLeader
		}
		return f(wctx)
	}
	record := func(ch *asg.WarmPoolChange) error {
		return write(func(ctx context.Context) error { return pools.RecordWarmPoolChange(ctx, gr.key, ch) })
	}
	setMin := func(n int) error {
		return write(func(ctx context.Context) error { return pools.SetWarmPoolMinSize(ctx, gr.key, w, n) })
	}
	log := c.deps.Log.With("group", gr.cfg.Name, "asg", gr.cfg.ASG)
	idle := want == 0 && !hold
	switch {
	case !tagged:
		if want == 0 || want <= w.MinSize || want <= w.Ready+w.Entering {
			return nil // the pool already gives enough
		}
		if err := record(&asg.WarmPoolChange{Original: w.MinSize, Set: want}); err != nil {
			return err
		}
		if err := setMin(want); err != nil {
			return err
		}
		log.Info("warm pool raised for a boost", "from", w.MinSize, "to", want)
	case tag == warmReleased:
		if idle {
			return record(nil)
		}
	case !holds && pendingRaise(tag, w.MinSize):
		// Headroom's record is written but the pool still has its
		// original MinSize: the raise failed after the record (a
		// throttled or refused PutWarmPool, the write budget), or the
		// restore succeeded and removing the record did not. Neither is
		// someone else's change.
		switch {
		case idle:
			return record(nil)
		case want > w.MinSize:
			if want != change.Set {
				if err := record(&asg.WarmPoolChange{Original: w.MinSize, Set: want}); err != nil {
					return err
				}
			}
			if err := setMin(want); err != nil {
				return err
			}
			log.Info("warm pool raised for a boost", "from", w.MinSize, "to", want)
		}
	case !holds:
		// Someone changed the pool after Headroom raised it (or the tag
		// is not Headroom's): leave the pool as it is from now on.
		log.Warn("warm pool changed by someone else since Headroom raised it: left as it is", "min_size", w.MinSize, "tag", tag)
		return write(func(ctx context.Context) error {
			return pools.RecordWarmPoolChange(ctx, gr.key, &asg.WarmPoolChange{Original: -1})
		})
	case idle:
		if err := setMin(change.Original); err != nil {
			return err
		}
		log.Info("warm pool restored", "from", w.MinSize, "to", change.Original)
		return record(nil)
	case want > change.Set:
		if err := record(&asg.WarmPoolChange{Original: change.Original, Set: want}); err != nil {
			return err
		}
		if err := setMin(want); err != nil {
			return err
		}
		log.Info("warm pool raised for a boost", "from", w.MinSize, "to", want)
	}
	return nil
}

// forgetWarmPool removes Headroom's record from a group whose warm pool
// has been deleted.
func (c *Controller) forgetWarmPool(ctx context.Context, gr *groupRun) error {
	wctx, cancel, ok := c.acting(ctx)
	defer cancel()
	if !ok {
		return errNotLeader
	}
	c.deps.Log.Info("warm pool gone: its record removed", "group", gr.cfg.Name, "asg", gr.cfg.ASG)
	return c.deps.WarmPools.RecordWarmPoolChange(wctx, gr.key, nil)
}
