package baseline

import (
	"math"
	"slices"
	"time"
)

// static is the static-peak baseline.
type static struct{ capacity int }

// NewStatic returns the "static-peak" baseline: a group held at one
// capacity for the whole run, as sized for the peak by someone who knew it.
// A negative capacity counts as 0.
func NewStatic(capacity int) Policy { return &static{capacity: max(capacity, 0)} }

// Name implements Policy.
func (p *static) Name() string { return NameStatic }

// Decide implements Policy.
func (p *static) Decide(t Tick) (int, bool) {
	return p.capacity, p.capacity != t.Desired
}

// OracleInput is everything the oracle knows about a run before it starts:
// the exact arrivals, how the workers serve them, and how long every
// launch of the run will take.
type OracleInput struct {
	// Step is the world's step; every index below counts steps from the
	// run start.
	Step time.Duration
	// Arrivals[i] is the number of messages that arrive in step i. The
	// plan covers len(Arrivals) steps.
	Arrivals []int
	// Concurrency is how many messages one serving instance works on at
	// once, and Service how many steps each of them takes (at least 1):
	// in step i the serving instances take up to
	// floor(serving * Concurrency) messages minus those still in flight,
	// oldest first.
	Concurrency float64
	Service     int
	// SLO is the oldest age a waiting message may reach.
	SLO time.Duration
	// Warmup is the time from InService to serving.
	Warmup time.Duration
	// Launch returns how long the k-th instance launched in the run (k =
	// 0, 1, ...; the group's initial instances come first) stays Pending.
	// It must be deterministic: the plan may ask for one k several times.
	Launch func(k int) time.Duration
	// Weight returns how many units the k-th instance launched in the run
	// brings (same k as Launch): a weighted group launches its instance
	// types in turn. Nil: every instance is one unit. Min, Max, Need and
	// every capacity of the plan are in units.
	Weight func(k int) int
	// Min and Max bound the group's desired capacity.
	Min, Max int
}

// OraclePlan is the oracle's plan for a run, and what it predicts the run
// will look like when the world follows it.
type OraclePlan struct {
	// Initial is the capacity the group starts with, all of it serving at
	// the first step.
	Initial int
	// Desired[i] is the desired capacity the oracle sets after step i.
	Desired []int
	// Need[i] is the serving capacity the queue needs in step i: the
	// cheapest serving plan that keeps every message within the SLO.
	Need []int
	// Serving[i] and Billed[i] are the serving and the Pending + InService
	// instances in step i when the world follows Desired.
	Serving, Billed []int
	// Launches counts the instances launched after the start.
	Launches int
	// Short counts the steps where Serving falls below Need, and
	// Violations the steps where a message waits longer than the SLO.
	// Both are 0 unless Max or the launch times make the SLO impossible.
	Short, Violations int
}

// InstanceHours is the plan's predicted cost.
func (p OraclePlan) InstanceHours(step time.Duration) float64 {
	var n int64
	for _, b := range p.Billed {
		n += int64(b)
	}
	return float64(n) * step.Hours()
}

// oracleMargin is the oracle's safety margin, in steps, below the SLO: it
// plans every message to be taken at most SLO - 1 step after it arrives.
// The world is deterministic, so one step only absorbs rounding of an SLO
// that is not a whole number of steps.
const oracleMargin = 1

// PlanOracle plans the cheapest run it can find that keeps every message
// within the SLO, knowing the future. It is the simulator's cost floor: a
// standing queue is allowed, so the plan holds messages as long as the
// SLO lets it, and it pays for launch times and warmups exactly as the
// world bills them.
//
// The plan is made in three stages.
//
// 1. The serving capacity the queue needs (Need). Messages are taken
// oldest first, so the SLO holds exactly when, for every step t, the
// messages taken by the end of t include every message that arrived by
// step t - lag, where lag is the SLO in steps less the margin: C(t) >=
// A(t - lag). These are interval-covering constraints on the serving
// capacity, and a greedy that meets each deadline in turn and puts the
// missing capacity as late as possible, but never where the queue has no
// work for it, uses the fewest serving instance-steps. As late as possible
// alone would squeeze a large batch into its last minutes at the group's
// max, and every instance launched for that costs a launch time and a
// warmup; so the greedy runs under caps: the taut string (the shortest
// path between the deadline curve A(t - lag) and the arrival curve A(t),
// the smoothest cumulative service that meets every deadline), rounded up
// to whole instances in each step. The string itself meets every
// deadline, so the caps never make the greedy fail; past them it may use
// up to Max.
//
// 2. Compaction. Held at its deadlines, the queue needs, step by step,
// what arrived one SLO before, so Need flickers between neighbouring
// levels, and each flicker would cost an instance a relaunch or idle time.
// Each level's later runs are pulled back into the dips before them while
// the queue has work for the capacity (checked by replaying the queue), so
// every deadline still holds and the serving instance-steps stay the same,
// but the dips gather into few long ones. See compact.
//
// 3. The launches that provide Need, simulated instance by instance with
// the world's own rules: a launch is Pending for its own launch time and
// serves after the warmup; Pending and InService instances are billed; a
// scale-in removes the newest Pending instance first, then the newest
// InService one; instances are removed at once and scale-in is free.
// After each step the oracle launches exactly the instances that could
// not be launched one step later and still serve by the step where
// serving would first fall short of Need (launch k goes to the k-th
// shortfall, in order). It removes an instance only when the group
// without it still meets Need until a launch ordered after this step
// could take over, so an instance idle for less than a relaunch (its
// launch time plus the warmup) is kept rather than replaced; and never
// one that has not served yet: cancelling a slow launch only to draw the
// next launch time would game the simulator's sequence of draws rather
// than plan capacity. The oracle knows each launch's duration (Launch(k)): the world draws the k-th
// launch's time from the run's seed, the same for every policy, so the
// oracle can order each instance exactly its own launch time plus the
// warmup ahead. Ordering at a high quantile instead would bill every
// launch for Pending time it does not need, and would still not be
// feasible for a launch in the tail; knowing the draws, the plan is
// feasible in the world and its predicted cost is the world's.
//
// On a weighted group (Weight) Need and every capacity are in units, the
// k-th launch brings its own weight, and desired is always exactly the
// units of the instances the plan keeps: AWS then launches exactly the
// instances planned (it overshoots only a desired that whole instances do
// not fill) and removes exactly the ones planned (a scale-in keeps what
// remains at or above desired).
//
// The initial capacity is the smallest that meets Need until launches
// ordered at the start can serve; the world starts the group with it, all
// serving.
//
// What is claimed, and tested: without caps, stage 1 uses no serving
// instance-step it could do without (dropping any one breaks a deadline)
// when a message takes one step; under the caps it stays within a few
// percent of that count while its shape saves launches. Compaction keeps
// the count and every deadline. Stage 3 gives every step its Need, no
// launch could be ordered a step later, and no instance could be removed
// a step earlier. None of it is a proof of global optimality; it is a
// floor that the baselines are measured against, and the in-world test
// checks that none of them meets the SLO for less.
// A Need the group's max cannot meet, or a rise too early in the run for
// any launch to serve in time, leaves the plan short; Short and Violations
// then say by how much, and the plan still does the best it can.
func PlanOracle(in OracleInput) OraclePlan {
	n := len(in.Arrivals)
	lo := max(in.Min, 0)
	hi := max(in.Max, lo)
	p := OraclePlan{Initial: lo}
	if n == 0 || in.Step <= 0 {
		return p
	}
	m := newQueueModel(in)
	p.Need = m.need(lo, hi)
	l := &launcher{in: in, need: p.Need, step: in.Step, min: lo, max: hi}
	m.compact(p.Need, m.served(p.Need), lo, l.relaunch())
	p.Initial, p.Desired, p.Serving, p.Billed, p.Launches = l.run()
	for i := range n {
		if p.Serving[i] < p.Need[i] {
			p.Short++
		}
	}
	p.Violations, _ = m.violations(p.Serving)
	return p
}

// queueModel is the world's queue: arrivals, oldest-first service and the
// SLO, in steps.
type queueModel struct {
	cum     []int64 // cum[i]: messages that arrived in steps 0..i
	conc    float64
	service int
	// wait is the age in steps a message may reach while waiting; lag is
	// the planned one plus one: by the end of step t every message that
	// arrived by step t - lag must have been taken.
	wait, lag int
	// undo records what the deadline being met changed.
	undo []change
}

func newQueueModel(in OracleInput) *queueModel {
	m := &queueModel{cum: make([]int64, len(in.Arrivals)), conc: max(in.Concurrency, 0), service: max(in.Service, 1)}
	var sum int64
	for i, a := range in.Arrivals {
		sum += int64(max(a, 0))
		m.cum[i] = sum
	}
	m.wait = int(max(in.SLO, 0) / in.Step)
	m.lag = max(m.wait-oracleMargin+1, 0)
	return m
}

// arrived is the number of messages that arrived by the end of step t.
func (m *queueModel) arrived(t int) int64 {
	switch {
	case t < 0:
		return 0
	case t >= len(m.cum):
		return m.cum[len(m.cum)-1]
	}
	return m.cum[t]
}

// capacity is how many messages s serving instances work on at once, as
// the world counts it.
func (m *queueModel) capacity(s int) int64 { return int64(math.Floor(float64(s) * m.conc)) }

// rate is what one instance completes per step.
func (m *queueModel) rate() float64 { return m.conc / float64(m.service) }

// instancesFor returns the fewest instances above s whose added capacity
// is at least x messages, or -1 when no number of instances adds any.
func (m *queueModel) instancesFor(s int, x int64) int {
	if x <= 0 {
		return 0
	}
	if !(m.conc > 0) {
		return -1
	}
	base := m.capacity(s)
	k := max(int(math.Ceil(float64(base+x)/m.conc))-s, 1)
	for k > 1 && m.capacity(s+k-1)-base >= x {
		k--
	}
	for m.capacity(s+k)-base < x {
		k++
	}
	return k
}

// taken returns the messages taken by the end of step t given the
// cumulative counts of the steps before (c[u] for u < t) and s serving
// instances in step t: the world releases what was taken service steps
// ago, then takes up to its free slots, oldest first.
func (m *queueModel) taken(c []int64, t, s int) int64 {
	var prev, old int64
	if t > 0 {
		prev = c[t-1]
	}
	if t-m.service >= 0 {
		old = c[t-m.service]
	}
	return min(m.arrived(t), max(prev, old+m.capacity(s)))
}

// violations runs the queue with serving[i] instances in step i and
// returns the steps in which the oldest waiting message is older than the
// SLO, and the largest such age in steps.
func (m *queueModel) violations(serving []int) (steps, maxAge int) {
	c := make([]int64, len(m.cum))
	j := 0 // the step of the oldest message not yet taken
	for t := range c {
		c[t] = m.taken(c, t, serving[t])
		for j <= t && m.cum[j] <= c[t] {
			j++
		}
		if j <= t && c[t] < m.cum[t] {
			age := t - j
			maxAge = max(maxAge, age)
			if age > m.wait {
				steps++
			}
		}
	}
	return steps, maxAge
}

// need returns the serving plan: for every step the fewest serving
// instances, within [lo, hi], such that every message is taken within its
// deadline (see PlanOracle).
//
// The caps apply when a message takes one step. When it takes several, an
// instance's slots stay busy for that long, so the string's service per
// step does not translate into instances per step; the greedy then runs
// without caps.
func (m *queueModel) need(lo, hi int) []int {
	if m.service > 1 {
		return m.greedy(lo, hi, nil)
	}
	return m.greedy(lo, hi, m.caps(lo, hi))
}

// greedy meets each deadline in turn as late as possible, first within
// caps (nil: no caps but hi), then within hi.
func (m *queueModel) greedy(lo, hi int, caps []int) []int {
	n := len(m.cum)
	if caps == nil {
		caps = make([]int, n)
		for i := range caps {
			caps[i] = hi
		}
	}
	s := make([]int, n)
	for i := range s {
		s[i] = lo
	}
	c := make([]int64, n)
	for t := range n {
		c[t] = m.taken(c, t, s[t])
		want := m.arrived(t - m.lag)
		if c[t] >= want {
			continue
		}
		m.undo = m.undo[:0]
		m.meet(s, c, t, want, func(u int) int { return caps[u] })
		if c[t] >= want {
			continue
		}
		// Past the caps: the deadline is met as late as possible up to
		// the max, as if the caps had not been tried.
		from := t
		for i := len(m.undo) - 1; i >= 0; i-- {
			s[m.undo[i].step] = m.undo[i].was
			from = min(from, m.undo[i].step)
		}
		for v := from; v <= t; v++ {
			c[v] = m.taken(c, v, s[v])
		}
		m.meet(s, c, t, want, func(int) int { return hi })
	}
	return s
}

// change is one step's capacity before meet raised it.
type change struct{ step, was int }

// raise sets s[u] to v, noting the old value.
func (m *queueModel) raise(s []int, u, v int) {
	m.undo = append(m.undo, change{u, s[u]})
	s[u] = v
}

// served returns the messages taken by the end of each step with s[t]
// serving instances in step t.
func (m *queueModel) served(s []int) []int64 {
	c := make([]int64, len(m.cum))
	for t := range c {
		c[t] = m.taken(c, t, s[t])
	}
	return c
}

// compact merges the runs of each capacity level. The greedy that puts
// capacity as late as possible holds the queue at its deadline, where the
// capacity each step needs follows the arrivals of one step and flickers
// between two levels; every flicker would cost the top instance a relaunch
// or idle time. For level h, a run [c, d) after a dip [b, c) at level h-1
// is pulled back into the dip: one instance more on [b, b+q) and one less
// on [d-q, d). The same capacity, earlier, takes the same messages earlier
// as long as the queue has them, so every deadline still holds; the move
// is kept only if the queue, recomputed, takes at least as much at every
// step and the same by the end of the run it moved. The serving
// instance-steps are unchanged; the level's dips collect into fewer,
// longer ones, which the launcher can then turn into a removal and one
// relaunch.
func (m *queueModel) compact(s []int, c []int64, lo, short int) {
	n := len(s)
	top := 0
	for _, v := range s {
		top = max(top, v)
	}
	scratch := make([]int64, n)
	for h := lo + 1; h <= top; h++ {
		b := 0 // the end of the current run of level h
		for b < n && s[b] < h {
			b++
		}
		for b < n && s[b] >= h {
			b++
		}
		for b < n {
			cs := b // the start of the next run
			for cs < n && s[cs] < h {
				cs++
			}
			if cs >= n {
				break
			}
			d := cs
			for d < n && s[d] >= h {
				d++
			}
			switch q := m.pull(s, c, scratch, h, b, cs, d, short); {
			case q == 0:
				b = d
			case q == cs-b:
				b = d - q
			default:
				b += q
			}
		}
	}
}

// pull moves up to min(c-b, d-c) instance-steps of level h from the end of
// the run [c, d) into the dip [b, c), as many as the queue allows, and
// returns how many it moved (see compact). A dip deeper than one level is
// filled only when it is shorter than short steps: only then are its
// instances kept through it anyway, so that filling it costs nothing.
func (m *queueModel) pull(s []int, c, scratch []int64, h, b, cs, d, short int) int {
	q := min(cs-b, d-cs)
	if cs-b >= short {
		for v := b; v < cs; v++ {
			if s[v] != h-1 {
				return 0
			}
		}
	}
	for ; q > 0; q /= 2 {
		for v := b; v < b+q; v++ {
			s[v]++
		}
		for v := d - q; v < d; v++ {
			s[v]--
		}
		if m.settle(s, c, scratch, b, d) {
			return q
		}
		for v := b; v < b+q; v++ {
			s[v]--
		}
		for v := d - q; v < d; v++ {
			s[v]++
		}
	}
	return 0
}

// settle recomputes the queue from step b after s changed on [b, d): it
// accepts the change, updating c, when the queue takes at least as much
// as before at every step and the same again from d-1 on (so the rest of
// the run is unchanged).
func (m *queueModel) settle(s []int, c, scratch []int64, b, d int) bool {
	n := len(s)
	// taken reads the steps before v; give it the new ones from b.
	get := func(v int) int64 {
		if v < b {
			return c[v]
		}
		return scratch[v]
	}
	same := 0
	end := b
	for v := b; v < n; v++ {
		var prev, old int64
		if v > 0 {
			prev = get(v - 1)
		}
		if v-m.service >= 0 {
			old = get(v - m.service)
		}
		scratch[v] = min(m.arrived(v), max(prev, old+m.capacity(s[v])))
		if scratch[v] < c[v] {
			return false
		}
		end = v
		if scratch[v] == c[v] {
			same++
		} else {
			same = 0
		}
		if v >= d-1 && same >= m.service {
			break
		}
	}
	copy(c[b:end+1], scratch[b:end+1])
	return true
}

// meet raises serving capacity so that c[t] reaches want: first in step t,
// then as late as possible in the steps before it, each up to limit(u).
func (m *queueModel) meet(s []int, c []int64, t int, want int64, limit func(int) int) {
	var old int64
	if t-m.service >= 0 {
		old = c[t-m.service]
	}
	k := m.instancesFor(s[t], want-max(old+m.capacity(s[t]), 0))
	if k < 0 {
		return
	}
	if v := min(s[t]+k, limit(t)); v > s[t] {
		m.raise(s, t, v)
	}
	c[t] = m.taken(c, t, s[t])
	if c[t] >= want {
		return
	}
	if m.service == 1 {
		m.spill(s, c, t, want, limit)
		return
	}
	m.spillSlow(s, c, t, want, limit)
}

// spill meets a deficit at step t from the steps before it, latest first,
// when a message takes one step. Capacity added at step u raises the
// messages taken by every later step by up to the smallest backlog left
// in between (the queue cannot take work it does not have), so one
// backward walk finds where to add it; the queue is then recomputed
// exactly, and the walk repeats in the rare case where a partly used
// instance left the deficit short.
func (m *queueModel) spill(s []int, c []int64, t int, want int64, limit func(int) int) {
	for c[t] < want {
		before := c[t]
		deficit := want - c[t]
		room := int64(math.MaxInt64)
		first := t
		for u := t - 1; u >= 0 && deficit > 0; u-- {
			room = min(room, m.arrived(u)-c[u])
			if room <= 0 {
				break
			}
			if s[u] >= limit(u) {
				continue
			}
			k := m.instancesFor(s[u], min(deficit, room))
			if k < 0 {
				break
			}
			k = min(k, limit(u)-s[u])
			gain := min(m.capacity(s[u]+k)-m.capacity(s[u]), room)
			m.raise(s, u, s[u]+k)
			deficit -= gain
			room -= gain
			first = u
		}
		for v := first; v <= t; v++ {
			c[v] = m.taken(c, v, s[v])
		}
		if c[t] <= before {
			return
		}
	}
}

// spillSlow is spill for messages that take several steps, where capacity
// added earlier also frees slots later: it fills each step up to its limit
// from the latest back, recomputing the queue, and then trims the last
// step filled to what is needed.
func (m *queueModel) spillSlow(s []int, c []int64, t int, want int64, limit func(int) int) {
	recompute := func(from int) {
		for v := from; v <= t; v++ {
			c[v] = m.taken(c, v, s[v])
		}
	}
	for u := t - 1; u >= 0 && c[t] < want; u-- {
		if s[u] >= limit(u) || m.arrived(u) <= c[u] {
			continue
		}
		was := s[u]
		m.raise(s, u, limit(u))
		recompute(u)
		if c[t] < want {
			continue
		}
		lo, hi := was, s[u] // lo falls short, hi meets want
		for lo+1 < hi {
			s[u] = lo + (hi-lo)/2
			recompute(u)
			if c[t] >= want {
				hi = s[u]
			} else {
				lo = s[u]
			}
		}
		s[u] = hi
		recompute(u)
	}
}

// caps returns, for every step, the instances that serve the taut string's
// service in that step, rounded up, within [lo, hi].
func (m *queueModel) caps(lo, hi int) []int {
	n := len(m.cum)
	lower := make([]float64, n+1)
	upper := make([]float64, n+1)
	// Point i is the service of steps 0..i-1.
	for i := 1; i <= n; i++ {
		lower[i] = float64(m.arrived(i - 1 - m.lag))
		upper[i] = float64(m.arrived(i - 1))
	}
	// Work whose deadline lies past the run need not be done in it.
	upper[n] = lower[n]
	x := tautString(lower, upper)
	out := make([]int, n)
	r := m.rate()
	for j := range out {
		k := hi
		if r > 0 {
			v := (x[j+1] - x[j]) / r
			if v < float64(hi) {
				k = int(math.Ceil(v - 1e-9))
			}
		}
		out[j] = min(max(k, lo), hi)
	}
	return out
}

// tautString returns the shortest path through the points (i, x_i) with
// lower[i] <= x_i <= upper[i], from x_0 = lower[0] to x_n = lower[n],
// sampled at every i. It is the funnel algorithm of shortest paths in a
// simple polygon, on a sleeve whose sides are the two bound polylines: the
// apex is the last point the string is known to bend at; the upper chain
// (convex) and the lower chain (concave) are the shortest paths from the
// apex to the newest upper and lower points. A new point that crosses the
// other chain's first edge fixes that edge as part of the string. Every
// point enters and leaves a chain at most once, so it runs in linear time.
// upper[0] and upper[n] are taken to equal lower[0] and lower[n].
func tautString(lower, upper []float64) []float64 {
	n := len(lower) - 1
	x := make([]float64, n+1)
	if n < 0 {
		return x
	}
	type pt struct {
		i int
		v float64
	}
	slope := func(a, b pt) float64 { return (b.v - a.v) / float64(b.i-a.i) }
	apex := pt{0, lower[0]}
	x[0] = apex.v
	emit := func(to pt) {
		k := slope(apex, to)
		for j := apex.i + 1; j < to.i; j++ {
			x[j] = apex.v + k*float64(j-apex.i)
		}
		x[to.i] = to.v
		apex = to
	}
	var up, down []pt
	for i := 1; i <= n; i++ {
		u, l := pt{i, upper[i]}, pt{i, lower[i]}
		if i == n {
			u = l
		}
		if len(down) > 0 && slope(apex, u) <= slope(apex, down[0]) {
			for len(down) > 0 && slope(apex, u) <= slope(apex, down[0]) {
				emit(down[0])
				down = down[1:]
			}
			up = append(up[:0], u)
		} else {
			for len(up) > 0 {
				prev := apex
				if len(up) > 1 {
					prev = up[len(up)-2]
				}
				last := up[len(up)-1]
				if slope(prev, last) < slope(last, u) {
					break
				}
				up = up[:len(up)-1]
			}
			up = append(up, u)
		}
		if slope(apex, l) >= slope(apex, up[0]) {
			for len(up) > 0 && slope(apex, l) >= slope(apex, up[0]) {
				emit(up[0])
				up = up[1:]
			}
			down = down[:0]
			if apex.i < i {
				down = append(down, l)
			}
			continue
		}
		for len(down) > 0 {
			prev := apex
			if len(down) > 1 {
				prev = down[len(down)-2]
			}
			last := down[len(down)-1]
			if slope(prev, last) > slope(last, l) {
				break
			}
			down = down[:len(down)-1]
		}
		down = append(down, l)
	}
	// Rounding can leave the last turn undecided: the string then follows
	// the upper chain, which ends at the end point.
	for _, p := range up {
		if p.i > apex.i {
			emit(p)
		}
	}
	if apex.i < n {
		emit(pt{n, lower[n]})
	}
	return x
}

// member is one instance of the oracle's simulated group.
type member struct {
	inService time.Duration // when it is InService, as an offset from the start
	serve     int           // the first step it serves
	units     int           // its weight
}

// pair is a member's first serving step and its units.
type pair struct{ serve, units int }

// units counts the capacity of g in units.
func units(g []member) int {
	n := 0
	for _, mb := range g {
		n += mb.units
	}
	return n
}

// launcher turns a serving plan into launches and scale-ins, simulating
// the group with the world's rules.
type launcher struct {
	in       OracleInput
	need     []int
	step     time.Duration
	min, max int
	draws    []time.Duration
	longest  time.Duration // the longest draw so far
	buf      []pair
	taus     []int
}

// weight returns the k-th launch's units, at least 1.
func (l *launcher) weight(k int) int {
	if l.in.Weight == nil {
		return 1
	}
	return max(l.in.Weight(k), 1)
}

// draw returns the k-th launch's duration.
func (l *launcher) draw(k int) time.Duration {
	for len(l.draws) <= k {
		d := time.Duration(0)
		if l.in.Launch != nil {
			d = max(l.in.Launch(len(l.draws)), 0)
		}
		l.draws = append(l.draws, d)
		l.longest = max(l.longest, d)
	}
	return l.draws[k]
}

// relaunch is, in steps, what a typical relaunch takes from its order to
// serving: the warmup and the median of the first launch times.
func (l *launcher) relaunch() int {
	const sample = 31
	l.draw(sample - 1)
	ds := slices.Clone(l.draws[:sample])
	slices.Sort(ds)
	return int((l.in.Warmup + ds[sample/2]) / l.step)
}

// needAt is the serving plan at step u; nothing is needed past the run.
func (l *launcher) needAt(u int) int {
	if u < len(l.need) {
		return l.need[u]
	}
	return 0
}

// serveStep is the first step an instance launched after step t and
// InService at offset at serves: once it has warmed up, and never before
// the next step, which is the first the world plays with it.
func (l *launcher) serveStep(t int, at time.Duration) int {
	ready := at + l.in.Warmup
	return max(int((ready+l.step-1)/l.step), t+1)
}

// launchSteps returns, for the shortfalls of group g after step t (the
// first steps where its serving units would fall short of the plan, one
// per launch that covers them, the launches adding at most limit units),
// the last step each launch can be ordered at and still serve in time,
// given that launches happen in order: launch j is the (k+j)-th of the run
// and takes its duration and brings its weight. The steps are
// non-decreasing.
func (l *launcher) launchSteps(g []member, t, k, limit int) []int {
	taus := l.taus[:0]
	if limit <= 0 {
		return taus
	}
	l.draw(k + limit - 1) // so that longest covers every launch considered (each brings at least a unit)
	horizon := int((l.in.Warmup+l.longest)/l.step) + 2
	ready := 0
	later := l.buf[:0]
	for _, mb := range g {
		if mb.serve <= t+1 {
			ready += mb.units
		} else {
			later = append(later, pair{mb.serve, mb.units})
		}
	}
	slices.SortStableFunc(later, func(a, b pair) int { return a.serve - b.serve })
	l.buf = later
	short, covered := 0, 0
	for u, p := t+1, 0; u <= t+horizon && u < len(l.need) && covered < limit; u++ {
		for p < len(later) && later[p].serve <= u {
			ready += later[p].units
			p++
		}
		for covered < l.needAt(u)-ready && covered+l.weight(k+short) <= limit {
			// Launch k+short, ordered at step tau, is InService at
			// tau + d and serves from serveStep: the latest tau that
			// serves by u.
			covered += l.weight(k + short)
			at := time.Duration(u)*l.step - l.in.Warmup - l.draw(k+short)
			tau := int(at / l.step)
			if at < 0 && at%l.step != 0 {
				tau--
			}
			taus = append(taus, min(tau, u-1))
			short++
		}
		if covered < l.needAt(u)-ready {
			break // the next launch would take the group past its max
		}
	}
	for j := len(taus) - 2; j >= 0; j-- {
		taus[j] = min(taus[j], taus[j+1])
	}
	l.taus = taus
	return taus
}

// scaleIn returns g after the world removes x instances after step t: the
// newest Pending first, then the newest InService. served reports whether
// every instance removed had served. The oracle sets desired to exactly
// the units that remain, so a weighted group removes the same instances:
// each of them leaves what remains at or above desired.
func scaleIn(g []member, x, t int, now time.Duration) (out []member, served bool) {
	out = slices.Clone(g)
	served = true
	for _, pending := range []bool{true, false} {
		for i := len(out) - 1; i >= 0 && x > 0; i-- {
			if (out[i].inService > now) == pending {
				served = served && out[i].serve <= t
				out = slices.Delete(out, i, i+1)
				x--
			}
		}
	}
	return out, served
}

// run simulates the group step by step and returns the initial capacity,
// the desired capacity after each step, the serving and billed units in
// each step, and the launches after the start. Desired is always the
// units of the instances the plan keeps, so a weighted group launches
// exactly the instances planned and never overshoots.
func (l *launcher) run() (initial int, desired, serving, billed []int, launches int) {
	n := len(l.need)
	// The world starts the group with its initial instances, which take
	// the first draws; the smallest start that no launch has to precede.
	count := 0
	for initial < min(max(l.needAt(0), l.min), l.max) && initial+l.weight(count) <= l.max {
		initial += l.weight(count)
		count++
	}
	for initial < l.max && initial+l.weight(count) <= l.max {
		g := l.initialGroup(count)
		taus := l.launchSteps(g, 0, count, l.max-initial)
		if len(taus) == 0 || taus[0] >= 0 {
			break
		}
		initial += l.weight(count)
		count++
	}
	g := l.initialGroup(count)
	k := count
	desired, serving, billed = make([]int, n), make([]int, n), make([]int, n)
	for t := range n {
		now := time.Duration(t) * l.step
		have := units(g)
		billed[t] = have
		for _, mb := range g {
			if mb.serve <= t {
				serving[t] += mb.units
			}
		}
		desired[t] = have
		if t == n-1 {
			break // the last step's action changes nothing the run plays
		}
		taus := l.launchSteps(g, t, k, l.max-have)
		due := 0
		for due < len(taus) && taus[due] <= t {
			due++
		}
		if due > 0 {
			for range due {
				at := now + l.draw(k)
				g = append(g, member{inService: at, serve: l.serveStep(t, at), units: l.weight(k)})
				k++
			}
			launches += due
		} else if have > l.min && have > l.needAt(t+1) {
			// Remove as many as the plan can spare until a launch ordered
			// after this step could take over; never an instance that has
			// not served yet.
			x := 0
			for x < len(g) {
				trial, served := scaleIn(g, x+1, t, now)
				left := units(trial)
				if !served || left < l.min {
					break
				}
				taus := l.launchSteps(trial, t, k, l.max-left)
				if len(taus) > 0 && taus[0] <= t {
					break
				}
				x++
			}
			if x > 0 {
				g, _ = scaleIn(g, x, t, now)
			}
		}
		desired[t] = units(g)
	}
	return initial, desired, serving, billed, launches
}

// initialGroup is the group's first count instances, serving from the
// first step.
func (l *launcher) initialGroup(count int) []member {
	g := make([]member, count)
	for i := range g {
		g[i].units = l.weight(i)
	}
	return g
}

// oracle is the oracle baseline: it follows its plan.
type oracle struct {
	desired []int
	step    time.Duration
	start   time.Time
	started bool
}

// NewOracle returns the "oracle" baseline, which follows plan (see
// PlanOracle): at step i of the run (offset i*step from the first Tick's
// Now) it wants plan.Desired[i]. Past the end of the plan its last value
// holds; with an empty plan, or a step that is not positive, it never
// acts.
func NewOracle(plan OraclePlan, step time.Duration) Policy {
	return &oracle{desired: plan.Desired, step: step}
}

// Name implements Policy.
func (p *oracle) Name() string { return NameOracle }

// Decide implements Policy.
func (p *oracle) Decide(t Tick) (int, bool) {
	if len(p.desired) == 0 || p.step <= 0 {
		return 0, false
	}
	if !p.started {
		p.started, p.start = true, t.Now
	}
	i := min(int(max(t.Now.Sub(p.start), 0)/p.step), len(p.desired)-1)
	want := p.desired[i]
	return want, want != t.Desired
}
