package policy

import (
	"math"
	"strconv"
	"time"
)

// Backlog defaults (docs/policies.md#rate-mode-default, and
// docs/architecture.md on why they are defaults). Each is a starting point that
// a study of the simulator's scenarios found good, not a truth: every one is
// a config field, and none is tuned to one scenario.
const (
	// DefaultConcurrency is c when a queue does not set it: one message at a
	// time per unit.
	DefaultConcurrency = 1.0
	// DefaultTargetUtilization is u when a queue does not set it. In rate
	// mode the latency budget gives the headroom that a utilization below 1
	// gave the first semantics: a unit is planned to be busy all the time,
	// and the standing queue, not idle capacity, absorbs the noise.
	DefaultTargetUtilization = 1.0
	// DefaultBudget is theta: the standing queue may be as old as the whole
	// acceptable latency (theta * lambda * L messages). A smaller share
	// keeps messages younger at a higher cost; docs/policies.md has the
	// table of that trade.
	DefaultBudget = 1.0
	// DefaultDrain is eta: the excess above the budget is drained within
	// eta * L, one acceptable latency.
	DefaultDrain = 1.0
	// DefaultRefillSlack is kappa: while a queue is below its budget the
	// group may run as low as (1 - kappa) of the arrival rate, so the queue
	// refills at kappa * lambda. 0.12 refills an empty budget in about
	// eight acceptable latencies, slow enough that a lull does not shed
	// capacity the next minute needs, fast enough to stop paying for an
	// empty queue.
	DefaultRefillSlack = 0.12
	// DefaultJump is J: a filtered arrival rate above J times the smoothed
	// one is taken at once instead of being smoothed in. Three times is a
	// surge, not noise, once two of three readings agree.
	DefaultJump = 3.0
	// DefaultJumpMemory is how long a rate is remembered when judging a
	// jump: the recent peak decays with this time constant. 15 minutes
	// spans the quiet minutes of bursty traffic (a return to the level of
	// five minutes ago is 1.4 times the remembered peak, not a jump) and is
	// short against the hours over which a day's traffic changes level.
	DefaultJumpMemory = 15 * time.Minute
)

// Terms name which part of the rate-mode formula set a queue's need, as
// QueueDetail.Term shows it.
const (
	// TermRate: the queue is at its budget; capacity for the arrivals.
	TermRate = "rate"
	// TermDrain: the projected backlog is above the budget; capacity for
	// the arrivals plus draining the excess within eta * L.
	TermDrain = "drain"
	// TermRefill: the projected backlog is below the budget; less than the
	// arrivals need, so the queue refills up to the budget.
	TermRefill = "refill"
	// TermFloor: refilling is bounded by (1 - kappa) of the arrival rate.
	TermFloor = "floor"
)

// backlog proposes capacity from queue depth, in rate or per_instance mode.
// Both modes ignore current as a target: they jump straight to the needed
// size (rate mode credits current as capacity on its way).
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
				c.keepArrival(p.Name, q.Name)
			}
		}
		return 0, why, false
	}
	if mode == ModeRate {
		return c.rate(p, b, pi)
	}
	total, fail := 0.0, ""
	c.r.s("per_instance: ")
	for i, q := range b.Queues {
		r, why := c.reading(p, q, pi, q.CountInFlight)
		if why == "" {
			tpi := q.TargetPerInstance
			if s, lat := q.SecondsPerMessage, q.AcceptableLatency.Seconds(); tpi == 0 && finite(s) && s > 0 && lat > 0 {
				tpi = lat / s
			}
			if !finite(tpi) || tpi <= 0 {
				why = c.t.s("queue ").q(q.Name).
					s(": per_instance needs a positive target per instance, or seconds per message and acceptable latency").take()
			}
			if why == "" {
				need := (r.b + r.f) / tpi
				total += need
				if i > 0 {
					c.r.s(" + ")
				}
				c.r.q(q.Name).s(" ").f(need)
				continue
			}
		}
		if fail == "" {
			fail = why
		}
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

// counts is one queue's reading as the engine counts it: b waiting (visible,
// plus delayed when counted) and f in flight.
type counts struct {
	b, f float64
	at   time.Time
}

// reading checks one queue's observation and records it as an input. With
// inFlight false, f is left at zero (per_instance without count_in_flight).
func (c *cycle) reading(p Policy, q Queue, pi PolicyInput, inFlight bool) (counts, string) {
	r, ok := pi.Queues[q.Name]
	if !ok {
		return counts{}, c.t.s("queue ").q(q.Name).s(": no reading").take()
	}
	bad := ""
	switch {
	case !finite(r.Visible) || r.Visible < 0:
		bad = "visible"
	case q.CountDelayed && (!finite(r.Delayed) || r.Delayed < 0):
		bad = "delayed"
	case inFlight && (!finite(r.InFlight) || r.InFlight < 0):
		bad = "in flight"
	}
	out := counts{at: r.At}
	if bad == "" {
		out.b = r.Visible
		if q.CountDelayed {
			out.b += r.Delayed
		}
		if inFlight {
			out.f = r.InFlight
		}
		if !finite(out.b + out.f) {
			bad = "message count"
		}
	}
	age, stale := c.age(r.At)
	c.inputs = append(c.inputs, InputAge{Policy: p.Name, Name: q.Name, Value: out.b + out.f, Age: age, Stale: stale})
	switch {
	case bad != "":
		return out, c.t.s("queue ").q(q.Name).s(": ").s(bad).s(" must be a non-negative number").take()
	case stale:
		return out, c.t.s("queue ").q(q.Name).s(": stale: reading is ").d(age).s(" old, max age ").d(c.g.MaxAge).take()
	}
	return out, ""
}

// rateQueue is one queue's working values in rate mode.
type rateQueue struct {
	q      *Queue
	n      counts
	lambda float64
	// floor is the arrival rate the floor is sized for, and horizon how far
	// ahead the backlog is projected: lambda and T, or less for a surge
	// younger than T.
	floor, horizon float64
}

// maxRateQueues is how many queues of one policy rate mode sizes without
// allocating; more take one allocation.
const maxRateQueues = 8

// rate is the backlog policy's rate mode (docs/policies.md#rate-mode-default): every
// queue's arrival estimate is updated first, because the queues share the
// group's serving and current capacity by their arrival rates; then each
// queue's need is planned against its latency budget.
func (c *cycle) rate(p Policy, b *Backlog, pi PolicyInput) (int, string, bool) {
	var buf [maxRateQueues]rateQueue
	qs := buf[:0]
	fail, sum := "", 0.0
	for i := range b.Queues {
		q := &b.Queues[i]
		n, why := c.reading(p, *q, pi, true)
		if why == "" {
			why = q.checkRate()
		}
		if why != "" {
			c.keepArrival(p.Name, q.Name)
			if fail == "" {
				fail = why
			}
			continue
		}
		lambda := c.updateArrival(p.Name, q, n)
		// A surge younger than T is trusted in proportion to how long it
		// has lasted: a surge is expected to last about as long again as it
		// has already lasted, so capacity is not ordered for a burst that
		// is likely over before it could serve. Its backlog is projected
		// only as far ahead as it has lasted, and the floor rises from the
		// rate before the surge to the surge's rate as the surge ages; one
		// that has lasted T counts whole.
		T := max(c.in.Lead, 0).Seconds()
		fl := lambda
		if a := &c.arrivals[len(c.arrivals)-1]; !a.Surge.IsZero() {
			age := max(c.in.Now.Sub(a.Surge).Seconds(), 0)
			if age < T && a.Base < lambda {
				fl = a.Base + (lambda-a.Base)*age/T
			}
			T = min(T, age)
		}
		qs = append(qs, rateQueue{q: q, n: n, lambda: lambda, floor: fl, horizon: T})
		sum += lambda
	}
	if fail != "" {
		return 0, fail, false
	}
	S, C := float64(c.serving), float64(c.cur)
	total, q0, over := 0.0, len(c.queues), false
	c.r.s("rate: ")
	for i, rq := range qs {
		share := 1 / float64(len(qs))
		if sum > 0 {
			share = rq.lambda / sum
		}
		d := plan(rq.q, rq.n.b, rq.lambda, rq.floor, S*share, C*share, rq.horizon)
		if !finite(d.Need) || !finite(d.Projected) {
			// An overflow is no reason to scale in: propose nothing, which
			// blocks scale-in, rather than read it as no work.
			c.queues = c.queues[:q0]
			c.r.b = c.r.b[:0]
			return 0, c.t.s("queue ").q(rq.q.Name).s(": the arrival estimate or the projected backlog is not a finite number").take(), false
		}
		d.Policy, d.Queue = p.Name, rq.q.Name
		d.Lead = time.Duration(rq.horizon * float64(time.Second))
		over = over || d.Excess > 0
		c.queues = append(c.queues, d)
		total += d.Need
		if i > 0 {
			c.r.s(" + ")
		}
		c.r.q(rq.q.Name).s(" ").f(d.Need).s(" (").s(d.Term).s(")")
	}
	c.overBudget = c.overBudget || over
	n := toCapacity(ceilSnap(total))
	if len(qs) > 1 {
		c.r.s(" = ").f(total)
	}
	return n, c.r.s(" -> ").i(n).take(), true
}

// checkRate says why a queue's rate-mode settings cannot be evaluated, or
// "" when they can.
func (q *Queue) checkRate() string {
	s, lat := q.SecondsPerMessage, q.AcceptableLatency
	conc, u := orDefault(q.Concurrency, DefaultConcurrency), orDefault(q.TargetUtilization, DefaultTargetUtilization)
	switch {
	case !finite(s) || s <= 0 || lat <= 0:
		return "queue " + strconv.Quote(q.Name) + ": rate mode needs positive seconds per message and acceptable latency"
	case !finite(conc) || conc <= 0:
		return "queue " + strconv.Quote(q.Name) + ": concurrency must be positive"
	case !finite(u) || u <= 0 || u > 1:
		return "queue " + strconv.Quote(q.Name) + ": target utilization must be in (0, 1]"
	case !finite(q.Budget) || q.Budget < 0:
		return "queue " + strconv.Quote(q.Name) + ": budget must be >= 0"
	case !finite(q.Drain) || q.Drain < 0:
		return "queue " + strconv.Quote(q.Name) + ": drain factor must be >= 0"
	case !finite(q.RefillSlack) || q.RefillSlack < 0 || q.RefillSlack >= 1:
		return "queue " + strconv.Quote(q.Name) + ": refill slack must be in [0, 1)"
	case !finite(q.Jump) || (q.Jump != 0 && q.Jump <= 1):
		return "queue " + strconv.Quote(q.Name) + ": jump factor must be above 1"
	case q.Smoothing < 0:
		return "queue " + strconv.Quote(q.Name) + ": arrival smoothing must be >= 0"
	case q.JumpMemory < 0:
		return "queue " + strconv.Quote(q.Name) + ": jump memory must be >= 0"
	}
	return ""
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// plan sizes one queue in rate mode (docs/policies.md#rate-mode-default): b messages
// waiting, lambda arriving per second, S serving and C current units
// (this queue's share), T seconds to project ahead (until capacity ordered
// now serves), and lf the arrival rate the floor is sized for (lambda, or
// less for a young surge).
//
//	mu     = c / s
//	Bp     = max(0, b + (lambda - mu * (S + C) / 2) * T)
//	budget = theta * lambda * L
//	E      = Bp - budget
//	need   = max(lambda / (mu * u) + E / (mu * eta * L), (1 - kappa) * lf / mu)
//
// It is pure arithmetic on valid settings (checkRate).
func plan(q *Queue, b, lambda, lf, S, C, T float64) QueueDetail {
	mu := orDefault(q.Concurrency, DefaultConcurrency) / q.SecondsPerMessage
	u := orDefault(q.TargetUtilization, DefaultTargetUtilization)
	theta, eta := orDefault(q.Budget, DefaultBudget), orDefault(q.Drain, DefaultDrain)
	kappa := orDefault(q.RefillSlack, DefaultRefillSlack)
	L := q.AcceptableLatency.Seconds()

	d := QueueDetail{Lambda: lambda, Backlog: b, OnItsWay: max(C-S, 0)}
	d.Projected = max(0, b+(lambda-mu*(S+C)/2)*T)
	d.Budget = theta * lambda * L
	d.Excess = d.Projected - d.Budget
	d.Rate = lambda / (mu * u)
	d.Drain = d.Excess / (mu * eta * L)
	d.Floor = (1 - kappa) * lf / mu
	d.Need = d.Rate + d.Drain
	switch {
	case d.Need < d.Floor:
		d.Need, d.Term = d.Floor, TermFloor
	case d.Excess > 0:
		d.Term = TermDrain
	case d.Excess < 0:
		d.Term = TermRefill
	default:
		d.Term = TermRate
	}
	// Above the budget now, within it by the time new capacity could
	// serve: the surge is expected to be over, drained by what is serving
	// or on its way.
	d.SurgeOver = b > d.Budget && d.Excess <= 0 && T > 0
	if d.Need < 0 {
		d.Need = 0
	}
	return d
}

// updateArrival updates a queue's arrival estimate with a fresh reading and
// stores it in the next state; it returns lambda. The raw rate is
// completions plus the signed change of what waits and what is in flight,
//
//	X = mean(F_prev, F) / s        completions per second (Little's law)
//	r = X + (dB + dF) / dt         a drain cancels its own throughput
//
// filtered by the median of the last three raw rates, then smoothed by a
// time-based EWMA. A filtered rate above J times the smoothed one (two of
// three readings agree on a surge) is taken at once; so is one below the
// smoothed rate divided by J, for the same reason: two readings of a third
// of the traffic are a change of work, not noise, and smoothing it in
// would hold capacity for arrivals that have stopped. lambda is never
// negative. The first reading has no change to measure: its rate is the
// throughput X. A reading not newer than the last changes nothing.
func (c *cycle) updateArrival(policy string, q *Queue, n counts) float64 {
	s := q.SecondsPerMessage
	prev, ok := c.oldArrival(policy, q.Name)
	if !ok || !prev.valid() {
		return c.firstArrival(policy, q, n)
	}
	dt := n.at.Sub(prev.At).Seconds()
	switch {
	case dt < 0:
		// The state is newer than the reading: the clock stepped back, or
		// the state is not this queue's. Start over from this reading.
		return c.firstArrival(policy, q, n)
	case dt == 0:
		c.arrivals = append(c.arrivals, prev)
		return prev.Lambda
	}
	r := (prev.InFlight+n.f)/2/s + (n.b-prev.Backlog+n.f-prev.InFlight)/dt
	a := prev
	a.Backlog, a.InFlight, a.At = n.b, n.f, n.at
	if a.Raws < 3 {
		a.Raw[a.Raws] = r
		a.Raws++
	} else {
		a.Raw = [3]float64{a.Raw[1], a.Raw[2], r} // newest last
	}
	m := r
	if a.Raws == 3 {
		m = median3(a.Raw[0], a.Raw[1], a.Raw[2])
	}
	// tau defaults to L: the budget absorbs whatever varies faster than
	// the acceptable latency, so the rate that sizes capacity is the rate
	// averaged over L (a surge is taken at once anyway).
	tau := q.Smoothing
	if tau == 0 {
		tau = q.AcceptableLatency
	}
	memory := q.JumpMemory
	if memory == 0 {
		memory = DefaultJumpMemory
	}
	j := orDefault(q.Jump, DefaultJump)
	lambda := prev.Lambda
	// A jump is a rate J times above both the smoothed rate and the
	// highest rate of the recent past (Peak, decaying with the memory's
	// time constant): traffic that returns after a quiet spell to a level
	// seen minutes ago is not a surge, and taking it at once would order
	// for a burst that is over before new capacity serves.
	// A step between two readings makes one raw rate fall in between, so
	// the median confirms a jump at that intermediate rate first; the
	// readings right after a jump (or a fall) that go on in its direction
	// are taken at once too, until the new level is reached.
	peak := prev.Peak * math.Exp(-dt/memory.Seconds())
	a.Trend = 0
	switch {
	case a.Raws == 3 && (m > j*max(lambda, peak) || (prev.Trend > 0 && m > lambda)):
		lambda, a.Trend = m, 1
		if prev.Trend <= 0 {
			a.Surge, a.Base = n.at, prev.Lambda
		}
	case a.Raws == 3 && (m*j < lambda || (prev.Trend < 0 && m < lambda)):
		lambda, a.Trend = max(m, 0), -1
	default:
		lambda += (1 - math.Exp(-dt/tau.Seconds())) * (m - lambda)
	}
	if lambda < 0 {
		lambda = 0 // a NaN or an overflow is kept: rate mode then proposes nothing
	}
	a.Lambda = lambda
	a.Peak = max(peak, lambda)
	if !finite(a.Peak) {
		a.Peak = lambda
	}
	c.arrivals = append(c.arrivals, a)
	return lambda
}

// firstArrival starts a queue's arrival estimate from one reading: its rate
// is the throughput F/s.
func (c *cycle) firstArrival(policy string, q *Queue, n counts) float64 {
	x := n.f / q.SecondsPerMessage
	c.arrivals = append(c.arrivals, Arrival{Policy: policy, Queue: q.Name, Backlog: n.b, InFlight: n.f, At: n.at,
		Lambda: x, Peak: x, Raw: [3]float64{x}, Raws: 1})
	return x
}

// valid reports whether an arrival state from the caller can be built on.
func (a Arrival) valid() bool {
	return !a.At.IsZero() && finite(a.Backlog) && finite(a.InFlight) && finite(a.Lambda) && a.Lambda >= 0 &&
		finite(a.Peak) && a.Peak >= 0 && finite(a.Base) && a.Base >= 0 && !a.Surge.After(a.At) &&
		a.Raws >= 1 && a.Raws <= 3 && finite(a.Raw[0]) && finite(a.Raw[1]) && finite(a.Raw[2])
}

// median3 returns the median of three numbers.
func median3(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}

// oldArrival returns the caller's arrival state of one queue.
func (c *cycle) oldArrival(policy, queue string) (Arrival, bool) {
	for _, a := range c.oldArrivals {
		if a.Policy == policy && a.Queue == queue {
			return a, true
		}
	}
	return Arrival{}, false
}

// keepArrival carries a queue's arrival state over unchanged when this
// cycle has no usable reading of it.
func (c *cycle) keepArrival(policy, queue string) {
	if a, ok := c.oldArrival(policy, queue); ok {
		c.arrivals = append(c.arrivals, a)
	}
}
