package policy

import "time"

// scratch is the text memory of one Decide call: the buffers of the two
// reason builders and the arena's first chunk.
type scratch struct {
	t, r  [256]byte
	chunk [arenaChunk]byte
	arena arena
}

// cycle holds the working values of one Decide call.
type cycle struct {
	g       Group
	in      Input
	cur     int // current, limited to [0, MaxCapacity]
	serving int // serving, limited to [0, MaxCapacity]
	inputs  []InputAge
	// oldArrivals is the caller's State.Arrivals, read only; arrivals is the
	// next state's, built fresh so that Decide never writes to its
	// arguments.
	oldArrivals, arrivals []Arrival
	// queues collects rate mode's per-queue details; overBudget is set when
	// any queue's projected backlog is above its budget.
	queues     []QueueDetail
	overBudget bool
	t          text // failure reasons and short texts
	r          text // a policy's proposal reason while it is being built
}

// Decide computes one cycle's decision for a group and the state to carry to
// the next cycle. It is deterministic and never modifies its arguments; see
// the package documentation for the order of the rules and the choices made.
func Decide(g Group, in Input, st State) (Decision, State) {
	c := cycle{
		g:           g,
		in:          in,
		cur:         capacity(in.Current),
		serving:     capacity(in.Serving),
		oldArrivals: st.Arrivals,
		inputs:      make([]InputAge, 0, inputCount(g)),
	}
	if nq := rateQueues(g); nq > 0 {
		c.arrivals = make([]Arrival, 0, nq)
		c.queues = make([]QueueDetail, 0, nq)
	}
	// The builders' buffers and the arena that every reason is taken into
	// share one allocation: building all the reasons costs just that one.
	sc := new(scratch)
	ar := &sc.arena
	ar.buf = sc.chunk[:0]
	c.t, c.r = text{b: sc.t[:0], a: ar}, text{b: sc.r[:0], a: ar}
	d := Decision{Group: g.Name, At: in.Now, Current: in.Current}

	// Proposals.
	d.Proposals = make([]Proposal, len(g.Policies))
	// other is the highest OK proposal of a policy that is not in rate mode:
	// hysteresis may hold a rate-mode proposal, never another's scale-out.
	win, missing, other := -1, 0, -1
	for i, p := range g.Policies {
		pr := c.propose(p)
		d.Proposals[i] = pr
		switch {
		case !pr.OK:
			missing++
		case win < 0 || pr.Capacity > d.Proposals[win].Capacity:
			win = i
		}
		if pr.OK && !isRate(p) {
			other = max(other, pr.Capacity)
		}
	}
	d.Inputs = c.inputs
	if len(c.queues) > 0 {
		d.Queues = c.queues
	}

	// Combine: the highest proposal wins; with none, hold at current.
	n := c.cur
	if win >= 0 {
		n = d.Proposals[win].Capacity
	}
	proposed := n
	if win >= 0 && isRate(g.Policies[win]) {
		n = c.hysteresis(&d, n, other)
	}

	// Stabilize.
	window := g.ScaleInWindow
	if window <= 0 {
		window = DefaultScaleInWindow
	}
	since := st.Since
	if since.IsZero() {
		since = in.Now
	}
	hist, peak := recent(st.History, in.Now, window, proposed)
	rec := proposed
	if missing > 0 && rec < c.cur {
		rec = c.cur // a cycle that could not hear every policy recommends no scale-in
	}
	hist = append(hist, Recommendation{At: in.Now, Capacity: rec})
	if n < c.cur {
		if lim := min(peak, c.cur); lim > n {
			d.change(RuleStabilization, n, lim, c.t.s("highest recommendation in the last ").d(window).s(" is ").i(peak).take())
			n = lim
		}
	}
	blocked := text{a: ar}
	if elapsed := in.Now.Sub(since); elapsed < window {
		blocked.s("first window after start: ").d(max(elapsed, 0)).s(" of ").d(window).s(" observed")
		if n < c.cur {
			d.change(RuleStartup, n, c.cur, "no scale-in until one full window has been observed")
			n = c.cur
		}
	}
	if missing > 0 {
		if len(blocked.b) > 0 {
			blocked.s("; ")
		}
		blocked.s("no fresh input from ")
		k := 0
		for _, pr := range d.Proposals {
			if !pr.OK {
				if k > 0 {
					blocked.s(", ")
				}
				blocked.q(pr.Policy)
				k++
			}
		}
		if n < c.cur {
			d.change(RuleNoScaleIn, n, c.cur, "a policy proposed nothing: scale-out only")
			n = c.cur
		}
	}
	if len(blocked.b) > 0 {
		d.ScaleInBlocked = blocked.take()
	}

	// Fallback after consecutive cycles in which no policy proposed anything.
	failed := 0
	if win < 0 {
		failed = min(max(st.Failed, 0), MaxCapacity-1) + 1
		if fc := capacity(g.FallbackCapacity); fc > 0 && failed >= max(g.FallbackAfter, 1) && fc > n {
			d.change(RuleFallback, n, fc, c.t.s("no policy proposed a capacity for ").i(failed).s(" cycles").take())
			n = fc
		}
	}

	// Floors and bounds.
	hardLo, hardHi := in.HardBounds()
	lo, hi := c.bounds(&d, hardLo, hardHi)
	if floor, name := highestFloor(in.Floors); floor > 0 {
		if floor > hi {
			d.Notes = append(d.Notes, c.t.s("floor ").q(name).s(" ").i(floor).s(" capped at max ").i(hi).take())
			floor = hi
		}
		if n < floor {
			d.change(RuleFloor, n, floor, c.t.s("floor ").q(name).s(" ").i(floor).take())
			n = floor
		}
		lo = max(lo, floor)
	}
	if pf := capacity(in.Predictive); pf > 0 {
		// After the boosts' floors: a higher boost has already raised
		// the number, so the predictive floor changes it only when it is
		// the higher of the two.
		if pf > hi {
			d.Notes = append(d.Notes, c.t.s("predictive floor ").i(pf).s(" capped at max ").i(hi).take())
			pf = hi
		}
		if n < pf {
			d.change(RulePredictive, n, pf, c.t.s("predictive floor ").i(pf).take())
			n = pf
		}
		lo = max(lo, pf)
	}
	d.Min, d.Max = lo, hi
	if n < lo {
		d.change(RuleBoundsMin, n, lo, c.t.s("min ").i(lo).take())
		n = lo
	}
	if n > hi {
		d.change(RuleBoundsMax, n, hi, c.t.s("max ").i(hi).take())
		n = hi
	}

	// Overrides.
	pin := -1
	for i, o := range in.Overrides {
		switch o.Kind {
		case OverridePause:
			d.Paused = true
		case OverridePin:
			pin = i
		case OverrideBounds:
			// applied with the bounds above
		default:
			d.Notes = append(d.Notes, c.t.s("override ").q(o.ID).s(" has unknown kind ").q(string(o.Kind)).take())
		}
	}
	if pin >= 0 {
		o := in.Overrides[pin]
		v := clampInt(capacity(o.Capacity), hardLo, hardHi)
		c.t.s("override ").q(o.ID)
		if o.Reason != "" {
			c.t.s(": ").s(o.Reason)
		}
		d.change(RulePin, n, v, c.t.take())
		n = v
	}

	// Rate limits, relative to current; bounds win over them.
	if pin < 0 {
		if step, ok := g.MaxScaleOutStep.limit(c.cur); ok && n > c.cur+step {
			lim := clampInt(c.cur+step, lo, hi)
			if lim != n {
				d.change(RuleRateScaleOut, n, lim, c.t.s("at most +").i(step).s(" per cycle").take())
				n = lim
			}
		}
		if step, ok := g.MaxScaleInStep.limit(c.cur); ok && n < c.cur-step {
			lim := clampInt(c.cur-step, lo, hi)
			if lim != n {
				d.change(RuleRateScaleIn, n, lim, c.t.s("at most -").i(step).s(" per cycle").take())
				n = lim
			}
		}
	}

	d.Desired = n
	d.Reason = c.summary(&d, win, pin)
	return d, State{Since: since, History: hist, Arrivals: c.arrivals, Failed: failed}
}

// hysteresis holds a rate-mode backlog proposal n at current when it is
// within a band of it: below, within HysteresisIn; above, within
// HysteresisOut while no queue is over its budget (a queue over budget
// always gets its scale-out). The arrival estimate moves by a few percent
// from cycle to cycle; acting on every such move costs actions and
// relaunches without changing the backlog's age.
//
// other is the highest proposal of the policies that are not in rate mode:
// a hold never goes below it, so their scale-out still happens.
func (c *cycle) hysteresis(d *Decision, n, other int) int {
	cur := float64(c.cur)
	switch {
	case n < c.cur:
		band := orDefault(c.g.HysteresisIn, DefaultHysteresis)
		if float64(n) >= cur*(1-band) {
			d.change(RuleHysteresisIn, n, c.cur, c.t.s("within ").f(band*100).s("% below current").take())
			return c.cur
		}
	case n > c.cur && !c.overBudget:
		band := orDefault(c.g.HysteresisOut, DefaultHysteresis)
		if hold := max(c.cur, other); hold < n && float64(n) <= cur*(1+band) {
			d.change(RuleHysteresisOut, n, hold, c.t.s("within ").f(band*100).s("% above current, no queue over its budget").take())
			return hold
		}
	}
	return n
}

// isRate reports whether p is a backlog policy in rate mode.
func isRate(p Policy) bool {
	return p.Backlog != nil && p.TargetTracking == nil && (p.Backlog.Mode == "" || p.Backlog.Mode == ModeRate)
}

// rateQueues is how many queues the group's rate-mode policies read.
func rateQueues(g Group) int {
	n := 0
	for _, p := range g.Policies {
		if isRate(p) {
			n += len(p.Backlog.Queues)
		}
	}
	return n
}

// change records that rule moved the number from one value to another.
func (d *Decision) change(rule string, from, to int, reason string) {
	d.Changes = append(d.Changes, Change{Rule: rule, From: from, To: to, Reason: reason})
}

// inputCount is how many InputAge entries a group's policies make at most.
func inputCount(g Group) int {
	n := 0
	for _, p := range g.Policies {
		if p.Backlog != nil && p.TargetTracking == nil {
			n += len(p.Backlog.Queues)
		} else {
			n++
		}
	}
	return n
}

// recent returns a copy of the recommendations newer than now - window, and
// the highest capacity among them and n.
func recent(h []Recommendation, now time.Time, window time.Duration, n int) ([]Recommendation, int) {
	cut := now.Add(-window)
	out := make([]Recommendation, 0, len(h)+1)
	peak := n
	for _, r := range h {
		if !r.At.After(cut) {
			continue
		}
		r.Capacity = capacity(r.Capacity)
		out = append(out, r)
		peak = max(peak, r.Capacity)
	}
	return out, peak
}

// HardBounds returns the Auto Scaling group's own bounds [ASGMin, ASGMax],
// which no decision leaves, limited to [0, MaxCapacity]. AWS refuses a
// MaxSize below MinSize; should an input carry one anyway, max is raised to
// min so that the bounds are never empty.
func (in Input) HardBounds() (lo, hi int) {
	lo, hi = capacity(in.ASGMin), capacity(in.ASGMax)
	return lo, max(lo, hi)
}

// bounds returns the effective bounds before floors: the configured bounds
// intersected with the group's, replaced field by field by bounds
// overrides (later ones win) within the group's bounds.
func (c *cycle) bounds(d *Decision, hardLo, hardHi int) (lo, hi int) {
	lo, hi = max(capacity(c.g.Min), hardLo), hardHi
	if c.g.Max > 0 {
		hi = min(capacity(c.g.Max), hardHi)
	}
	for _, o := range c.in.Overrides {
		if o.Kind != OverrideBounds {
			continue
		}
		if o.Min != nil {
			lo = clampInt(capacity(*o.Min), hardLo, hardHi)
		}
		if o.Max != nil {
			hi = clampInt(capacity(*o.Max), hardLo, hardHi)
		}
	}
	if lo > hi {
		d.Notes = append(d.Notes, c.t.s("bounds [").i(lo).s(", ").i(hi).s("] are empty: using the group's [").
			i(hardLo).s(", ").i(hardHi).s("]").take())
		return hardLo, hardHi
	}
	return lo, hi
}

// highestFloor returns the highest floor capacity and its name; the first
// one wins a tie.
func highestFloor(fs []Floor) (int, string) {
	best, name := 0, ""
	for _, f := range fs {
		if v := capacity(f.Capacity); v > best {
			best, name = v, f.Name
		}
	}
	return best, name
}

// limit returns the largest change r allows from current, at least 1, and
// whether r limits anything. A non-positive or non-finite Value means no
// limit.
func (r RateLimit) limit(current int) (int, bool) {
	if !finite(r.Value) || r.Value <= 0 {
		return 0, false
	}
	v := r.Value
	if r.Percent {
		v = float64(current) * r.Value / 100
	}
	return max(toCapacity(floorSnap(v)), 1), true
}

// summary is the decision's one-line reason, e.g.
// `scale out 10 -> 15: backlog "queue" wants 15`.
func (c *cycle) summary(d *Decision, win, pin int) string {
	t := &c.t
	if d.Paused {
		t.s("paused: ")
	}
	switch {
	case d.Desired > c.cur:
		t.s("scale out ").i(c.cur).s(" -> ").i(d.Desired)
	case d.Desired < c.cur:
		t.s("scale in ").i(c.cur).s(" -> ").i(d.Desired)
	default:
		t.s("hold at ").i(d.Desired)
	}
	t.s(": ")
	switch {
	case pin >= 0:
		t.s("pinned by override ").q(c.in.Overrides[pin].ID)
	case win >= 0:
		p := d.Proposals[win]
		t.s(string(p.Kind)).s(" ").q(p.Policy).s(" wants ").i(p.Capacity)
	case len(d.Proposals) == 0:
		t.s("no policies")
	default:
		t.s("no policy proposed a capacity")
	}
	k := 0
	for _, ch := range d.Changes {
		if ch.Rule == RulePin {
			continue
		}
		if k == 0 {
			t.s(" (")
		} else {
			t.s(", ")
		}
		t.s(ch.Rule)
		k++
	}
	if k > 0 {
		t.s(")")
	}
	return t.take()
}

// propose computes one policy's proposal.
func (c *cycle) propose(p Policy) Proposal {
	pr := Proposal{Policy: p.Name, Kind: p.Kind()}
	switch pr.Kind {
	case KindTargetTracking:
		pr.Capacity, pr.Reason, pr.OK = c.targetTracking(p, p.TargetTracking)
	case KindBacklog:
		pr.Capacity, pr.Reason, pr.OK = c.backlog(p, p.Backlog)
	case KindStep:
		pr.Capacity, pr.Reason, pr.OK = c.step(p, p.Step)
	default:
		pr.Reason = "no policy kind is set"
	}
	if !pr.OK {
		pr.Capacity = 0
	}
	return pr
}

// age returns how old an observation describing at is, and whether that is
// stale.
func (c *cycle) age(at time.Time) (time.Duration, bool) {
	age := c.in.Now.Sub(at)
	return age, c.g.MaxAge > 0 && age > c.g.MaxAge
}

// policyInput returns a policy's input, or why there is none.
func (c *cycle) policyInput(p Policy) (PolicyInput, string) {
	pi, ok := c.in.Policies[p.Name]
	switch {
	case !ok:
		return pi, "no input"
	case pi.Missing != "":
		return pi, "input missing: " + pi.Missing
	}
	return pi, ""
}

// newest returns a metric policy's newest datapoint and records it as an
// input, or says why it cannot be used.
func (c *cycle) newest(p Policy, pi PolicyInput) (Observation, string) {
	if len(pi.Metric) == 0 {
		return Observation{}, "no datapoints"
	}
	o := pi.Metric[0]
	age, stale := c.age(o.At)
	c.inputs = append(c.inputs, InputAge{Policy: p.Name, Name: "metric", Value: o.Value, Age: age, Stale: stale})
	if stale {
		return o, c.t.s("stale: newest datapoint is ").d(age).s(" old, max age ").d(c.g.MaxAge).take()
	}
	return o, ""
}
