package policy

import (
	"math"
	"time"
)

// Backlog defaults, from DESIGN.md section 4.
const (
	// DefaultConcurrency is c when a queue does not set it: one message at a
	// time per instance.
	DefaultConcurrency = 1.0
	// DefaultTargetUtilization is u when a queue does not set it: instances
	// busy 80% of the time leave headroom for bursts while the backlog term
	// drains what queued up.
	DefaultTargetUtilization = 0.8
)

// GrowthTimeConstant is the time constant of the exponentially weighted
// moving average that smooths a queue's backlog growth. A reading dt after
// the previous one weighs alpha = 1 - exp(-dt / GrowthTimeConstant), so the
// smoothing is the same in seconds whatever the cycle interval and its
// jitter; a fixed weight per reading would smooth more when cycles come
// faster. At the default 10 s cycle a reading weighs 28%, and a lasting
// change of growth is 90% reflected after about 70 s: long enough to ignore
// the noise of SQS's approximate counts, short enough to catch a ramp well
// before the backlog term alone would.
const GrowthTimeConstant = 30 * time.Second

// backlog proposes capacity from queue depth, in rate or per_instance mode.
// Both modes ignore current: they jump straight to the needed size.
func (c *cycle) backlog(p Policy, b *Backlog) (int, string, bool) {
	mode := b.Mode
	if mode == "" {
		mode = ModeRate
	}
	if mode != ModeRate && mode != ModePerInstance {
		return 0, c.t.s("unknown backlog mode ").q(string(mode)).take(), false
	}
	if len(b.Queues) == 0 {
		return 0, "no queues", false
	}
	pi, why := c.policyInput(p)
	if why != "" {
		if mode == ModeRate {
			for _, q := range b.Queues {
				c.keepGrowth(c.growthKey(p.Name, q.Name))
			}
		}
		return 0, why, false
	}
	total, fail := 0.0, ""
	c.r.s(string(mode)).s(": ")
	for i, q := range b.Queues {
		need, why := c.queueNeed(p, q, mode, pi)
		if why != "" {
			if fail == "" {
				fail = why
			}
			continue
		}
		total += need
		if i > 0 {
			c.r.s(" + ")
		}
		c.r.q(q.Name).s(" ").f(need)
	}
	if fail != "" {
		c.r.b = c.r.b[:0]
		return 0, fail, false
	}
	n := toCapacity(ceilSnap(total))
	if len(b.Queues) > 1 {
		c.r.s(" = ").f(total)
	}
	return n, c.r.s(" -> ").i(n).take(), true
}

// queueNeed returns how many instances one queue needs, or why it cannot
// say. It records the queue's reading as an input and, in rate mode, its
// backlog growth for the next state.
func (c *cycle) queueNeed(p Policy, q Queue, mode BacklogMode, pi PolicyInput) (float64, string) {
	key := ""
	if mode == ModeRate {
		key = c.growthKey(p.Name, q.Name)
	}
	r, ok := pi.Queues[q.Name]
	if !ok {
		c.keepGrowth(key)
		return 0, c.t.s("queue ").q(q.Name).s(": no reading").take()
	}
	bad := ""
	switch {
	case !finite(r.Visible) || r.Visible < 0:
		bad = "visible"
	case q.CountDelayed && (!finite(r.Delayed) || r.Delayed < 0):
		bad = "delayed"
	case q.CountInFlight && (!finite(r.InFlight) || r.InFlight < 0):
		bad = "in flight"
	}
	var bl, fl float64
	if bad == "" {
		bl = r.Visible
		if q.CountDelayed {
			bl += r.Delayed
		}
		if q.CountInFlight {
			fl = r.InFlight
		}
		if !finite(bl + fl) {
			bad = "message count"
		}
	}
	age, stale := c.age(r.At)
	c.inputs = append(c.inputs, InputAge{Policy: p.Name, Name: q.Name, Value: bl + fl, Age: age, Stale: stale})
	switch {
	case bad != "":
		c.keepGrowth(key)
		return 0, c.t.s("queue ").q(q.Name).s(": ").s(bad).s(" must be a non-negative number").take()
	case stale:
		c.keepGrowth(key)
		return 0, c.t.s("queue ").q(q.Name).s(": stale: reading is ").d(age).s(" old, max age ").d(c.g.MaxAge).take()
	}

	s, lat := q.SecondsPerMessage, q.AcceptableLatency.Seconds()
	timing := finite(s) && s > 0 && lat > 0
	if mode == ModePerInstance {
		tpi := q.TargetPerInstance
		if tpi == 0 && timing {
			tpi = lat / s
		}
		if !finite(tpi) || tpi <= 0 {
			return 0, c.t.s("queue ").q(q.Name).
				s(": per_instance needs a positive target per instance, or seconds per message and acceptable latency").take()
		}
		return (bl + fl) / tpi, ""
	}

	growth := c.updateGrowth(key, bl, r.At)
	conc, u := q.Concurrency, q.TargetUtilization
	if conc == 0 {
		conc = DefaultConcurrency
	}
	if u == 0 {
		u = DefaultTargetUtilization
	}
	switch {
	case !timing:
		return 0, c.t.s("queue ").q(q.Name).s(": rate mode needs positive seconds per message and acceptable latency").take()
	case !finite(conc) || conc <= 0:
		return 0, c.t.s("queue ").q(q.Name).s(": concurrency must be positive").take()
	case !finite(u) || u <= 0 || u > 1:
		return 0, c.t.s("queue ").q(q.Name).s(": target utilization must be in (0, 1]").take()
	}
	// Little's law: the arrival rate being served is F/s; a growing backlog
	// adds its growth. Enough instances for that rate at utilization u, plus
	// enough to drain the waiting backlog within L.
	rate := fl/s + max(growth, 0)
	return rate*s/(conc*u) + bl*s/(conc*lat), ""
}

// updateGrowth smooths the growth of a queue's backlog with a fresh reading
// and stores it in the next state. The first reading has no growth; a
// reading not newer than the last one changes nothing.
func (c *cycle) updateGrowth(key string, bl float64, at time.Time) float64 {
	g := Growth{Last: bl, LastAt: at}
	prev, ok := c.oldGrowth[key]
	if ok && finite(prev.Last) && !prev.LastAt.IsZero() {
		per := prev.PerSecond
		if !finite(per) {
			per = 0
		}
		if dt := at.Sub(prev.LastAt).Seconds(); dt > 0 {
			alpha := 1 - math.Exp(-dt/GrowthTimeConstant.Seconds())
			g.PerSecond = per + alpha*((bl-prev.Last)/dt-per)
			if !finite(g.PerSecond) {
				g.PerSecond = 0
			}
		} else {
			g = Growth{Last: prev.Last, LastAt: prev.LastAt, PerSecond: per}
		}
	}
	c.setGrowth(key, g)
	return g.PerSecond
}

// keepGrowth carries a queue's growth over unchanged when this cycle has no
// fresh reading of it.
func (c *cycle) keepGrowth(key string) {
	if key == "" {
		return
	}
	if prev, ok := c.oldGrowth[key]; ok {
		c.setGrowth(key, prev)
	}
}

// growthKey returns the State.Growth key of a policy's queue,
// "policy/queue", reusing the previous state's string when it has one.
func (c *cycle) growthKey(policy, queue string) string {
	n := len(policy)
	for k := range c.oldGrowth {
		if len(k) == n+1+len(queue) && k[:n] == policy && k[n] == '/' && k[n+1:] == queue {
			return k
		}
	}
	return policy + "/" + queue
}

func (c *cycle) setGrowth(key string, g Growth) {
	if c.growth == nil {
		c.growth = make(map[string]Growth, 4)
	}
	c.growth[key] = g
}
