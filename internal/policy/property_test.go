package policy

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// gen draws random groups, inputs and states, including nonsense: NaN and
// infinite values, negative numbers, empty policies, zero targets, missing
// and stale inputs, garbage state.
// In a tame sample (half of them) numbers are sensible and inputs present
// and fresh, so that scale-in, stabilization and rate limits get exercised.
type gen struct {
	r    *rand.Rand
	tame bool
}

func (g gen) chance(p float64) bool { return g.r.Float64() < p }

// odd is a chance that is zero in a tame sample.
func (g gen) odd(p float64) bool { return !g.tame && g.chance(p) }
func (g gen) between(lo, hi int) int {
	return lo + g.r.Intn(hi-lo+1)
}

// num is a float that is usually sensible and sometimes not.
func (g gen) num(lo, hi float64) float64 {
	if g.tame {
		return lo + g.r.Float64()*(hi-lo)
	}
	switch g.r.Intn(20) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1 - 2*g.r.Intn(2))
	case 2:
		return -g.r.Float64() * hi
	case 3:
		return 0
	case 4:
		return 1e300
	}
	return lo + g.r.Float64()*(hi-lo)
}

func (g gen) dur(max time.Duration) time.Duration { return time.Duration(g.r.Int63n(int64(max))) }

func (g gen) optFloat(lo, hi float64) *float64 {
	if g.chance(0.3) {
		return nil
	}
	v := math.Round(g.num(lo, hi))
	return &v
}

func (g gen) policy(i int) Policy {
	p := Policy{Name: fmt.Sprintf("p%d", i%4)} // names collide sometimes
	kinds := 4
	if g.tame {
		kinds = 3
	}
	switch g.r.Intn(kinds) {
	case 0:
		tol := 0.0
		if !g.tame {
			tol = []float64{0, 0, 0.05, -1, math.NaN()}[g.r.Intn(5)]
		}
		p.TargetTracking = &TargetTracking{Target: g.num(1, 100), Tolerance: tol}
	case 1:
		b := &Backlog{Mode: []BacklogMode{"", ModeRate, ModePerInstance, "bogus"}[g.r.Intn(3+btoi(!g.tame))]}
		for j := g.between(1, 3); j > 0 || g.odd(0.1); j-- {
			b.Queues = append(b.Queues, Queue{
				Name:              fmt.Sprintf("q%d", g.r.Intn(3)),
				SecondsPerMessage: g.num(0.01, 5),
				TargetPerInstance: []float64{0, 0, 100, g.num(1, 1000)}[g.r.Intn(4)],
				Concurrency:       []float64{0, 0, 4, g.num(1, 8)}[g.r.Intn(4)],
				AcceptableLatency: time.Duration(g.between(1-2*btoi(!g.tame), 120)) * time.Second,
				TargetUtilization: []float64{0, 0, 0.5, g.num(0.1, 1)}[g.r.Intn(4)],
				CountInFlight:     g.chance(0.5),
				CountDelayed:      g.chance(0.3),
			})
		}
		p.Backlog = b
	case 2:
		s := &Step{
			Threshold:              g.num(0, 100),
			Comparison:             []Comparison{GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual, "x"}[g.r.Intn(4+btoi(!g.tame))],
			EvaluationPeriods:      g.between(1-2*btoi(!g.tame), 5),
			AdjustmentType:         []AdjustmentType{ChangeInCapacity, ExactCapacity, PercentChangeInCapacity, ""}[g.r.Intn(3+btoi(!g.tame))],
			MinAdjustmentMagnitude: g.between(-btoi(!g.tame), 3),
		}
		s.DatapointsToAlarm = g.between(-btoi(!g.tame), max(s.EvaluationPeriods, 1)+btoi(!g.tame))
		for j := g.between(1, 4); j > 0 || g.odd(0.1); j-- {
			s.Adjustments = append(s.Adjustments, StepAdjustment{
				LowerBound: g.optFloat(-50, 50), UpperBound: g.optFloat(-50, 50), Adjustment: math.Round(g.num(-100, 100)),
			})
			if g.tame && s.AdjustmentType == ExactCapacity {
				s.Adjustments[len(s.Adjustments)-1].Adjustment = math.Round(g.num(0, 100))
			}
		}
		p.Step = s
	}
	return p
}

func (g gen) observation(now time.Time) Observation {
	at := now.Add(-g.dur(10 * time.Minute))
	if g.tame {
		at = now.Add(-g.dur(20 * time.Second))
	}
	if g.odd(0.05) {
		at = now.Add(g.dur(time.Minute)) // from the future
	}
	hi := 200.0
	if g.tame {
		hi = 90
	}
	return Observation{Value: g.num(0, hi), At: at, ReadAt: now}
}

func (g gen) policyInput(p Policy, now time.Time) (PolicyInput, bool) {
	if g.chance(0.08) {
		return PolicyInput{}, false
	}
	var pi PolicyInput
	if g.odd(0.1) {
		pi.Missing = "throttled"
	}
	for j := g.between(1, 6); j > 0 || g.odd(0.1); j-- {
		pi.Metric = append(pi.Metric, g.observation(now))
	}
	if p.Backlog != nil {
		pi.Queues = map[string]QueueObservation{}
		for _, q := range p.Backlog.Queues {
			if g.odd(0.1) {
				continue
			}
			o := g.observation(now)
			scale := 1.0
			if g.tame {
				scale = 0.05
			}
			pi.Queues[q.Name] = QueueObservation{Visible: g.num(0, 5000*scale), InFlight: g.num(0, 500*scale),
				Delayed: g.num(0, 100*scale), At: o.At, ReadAt: now}
		}
	}
	return pi, true
}

func (g gen) limit() RateLimit {
	switch g.r.Intn(4) {
	case 0:
		return RateLimit{Value: float64(g.between(0, 5))}
	case 1:
		return RateLimit{Value: g.num(0, 100), Percent: true}
	}
	return RateLimit{}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sample draws one group, input and state; half of them tame.
func (g gen) sample() (Group, Input, State) {
	g.tame = g.chance(0.5)
	now := t0.Add(g.dur(24 * time.Hour))
	grp := Group{
		Name:             "g",
		Min:              g.between(-5, 30),
		Max:              g.between(-1, 80),
		ScaleInWindow:    []time.Duration{0, -time.Second, time.Minute, 10 * time.Minute}[g.r.Intn(4)],
		MaxAge:           []time.Duration{0, 30 * time.Second, 2 * time.Minute, 5 * time.Minute}[g.r.Intn(4)],
		MaxScaleOutStep:  g.limit(),
		MaxScaleInStep:   g.limit(),
		FallbackCapacity: g.between(-2, 40),
		FallbackAfter:    g.between(-1, 4),
	}
	for i := g.between(0, 4-2*btoi(g.tame)); i > 0; i-- {
		grp.Policies = append(grp.Policies, g.policy(i))
	}
	asgMin := g.between(0, 20)
	in := Input{
		Now:     now,
		Current: g.between(-3, 90),
		Serving: g.between(-3, 90),
		Pending: g.between(0, 5),
		ASGMin:  asgMin,
		ASGMax:  asgMin + g.between(-3, 60),
	}
	if g.tame {
		// A group inside its bounds with room both ways.
		grp.Min, grp.Max = g.between(0, 5), []int{0, g.between(60, 150)}[g.r.Intn(2)]
		in.ASGMin, in.ASGMax = g.between(0, 3), g.between(80, 200)
		in.Current = g.between(5, 60)
		in.Serving = max(in.Current-g.between(-2, 4), 0)
		grp.MaxScaleOutStep, grp.MaxScaleInStep = RateLimit{}, RateLimit{}
		if g.chance(0.5) {
			grp.MaxScaleOutStep = RateLimit{Value: float64(g.between(1, 10)), Percent: g.chance(0.5)}
		}
		if g.chance(0.5) {
			grp.MaxScaleInStep = RateLimit{Value: float64(g.between(1, 10)), Percent: g.chance(0.5)}
		}
	}
	if g.odd(0.02) {
		in.Current, in.ASGMax = math.MaxInt64, math.MaxInt64
	}
	in.Policies = map[string]PolicyInput{}
	for _, p := range grp.Policies {
		if pi, ok := g.policyInput(p, now); ok {
			in.Policies[p.Name] = pi
		}
	}
	for i := g.between(0, 2); i > 0; i-- {
		if g.tame && g.chance(0.7) {
			break
		}
		in.Floors = append(in.Floors, Floor{Name: fmt.Sprintf("f%d", i), Capacity: g.between(-5, 120)})
	}
	if !g.tame || g.chance(0.3) {
		in.Predictive = g.between(-5, 120)
	}
	for i := g.between(0, 3); i > 0; i-- {
		if g.tame && g.chance(0.8) {
			break
		}
		o := Override{ID: fmt.Sprintf("o%d", i), Kind: []OverrideKind{OverridePin, OverridePause, OverrideBounds, "odd"}[g.r.Intn(4)]}
		switch o.Kind {
		case OverridePin:
			o.Capacity = g.between(-5, 150)
		case OverrideBounds:
			if g.chance(0.6) {
				o.Min = ip(g.between(-5, 50))
			}
			if g.chance(0.6) {
				o.Max = ip(g.between(-5, 150))
			}
		}
		in.Overrides = append(in.Overrides, o)
	}
	var st State
	if g.chance(0.7) {
		st.Since = now.Add(-g.dur(time.Hour))
		if g.odd(0.05) {
			st.Since = now.Add(time.Minute)
		}
	}
	hist := g.between(0, 40)
	if g.tame {
		hist = g.between(0, 4)
	}
	for i := hist; i > 0; i-- {
		c := g.between(-5, 120)
		if g.tame {
			c = g.between(0, in.Current+3)
		}
		st.History = append(st.History, Recommendation{At: now.Add(-g.dur(15 * time.Minute)), Capacity: c})
	}
	if g.chance(0.5) {
		for i := g.between(0, 3); i > 0; i-- {
			l := g.num(-10, 100)
			st.Arrivals = append(st.Arrivals, Arrival{Policy: fmt.Sprintf("p%d", g.r.Intn(4)), Queue: fmt.Sprintf("q%d", g.r.Intn(3)),
				Backlog: g.num(0, 5000), InFlight: g.num(0, 100), At: now.Add(-g.dur(time.Minute)),
				Raw: [3]float64{g.num(-10, 100), l, g.num(-10, 100)}, Raws: g.between(0, 4), Lambda: l})
		}
	}
	st.Failed = g.between(-1, 6)
	return grp, in, st
}

// refBounds computes the effective bounds the way docs/policies.md states
// them,
// independently of the engine: configured bounds intersected with the
// group's, replaced by bounds overrides within the group's, the group's if
// empty, then min raised by the highest floor capped at max.
func refBounds(g Group, in Input) (lo, hi int) {
	clamp := func(v, lo, hi int) int { return min(max(v, lo), hi) }
	hardLo := min(max(in.ASGMin, 0), MaxCapacity)
	hardHi := max(min(max(in.ASGMax, 0), MaxCapacity), hardLo)
	// Numbers above MaxCapacity count as MaxCapacity.
	lo, hi = max(min(g.Min, MaxCapacity), hardLo), hardHi
	if g.Max > 0 {
		hi = min(g.Max, hardHi)
	}
	for _, o := range in.Overrides {
		if o.Kind == OverrideBounds && o.Min != nil {
			lo = clamp(*o.Min, hardLo, hardHi)
		}
		if o.Kind == OverrideBounds && o.Max != nil {
			hi = clamp(*o.Max, hardLo, hardHi)
		}
	}
	if lo > hi {
		lo, hi = hardLo, hardHi
	}
	for _, f := range in.Floors {
		lo = max(lo, min(f.Capacity, hi))
	}
	lo = max(lo, min(in.Predictive, hi))
	return lo, hi
}

// invariants returns what is wrong with a decision, or nil.
func invariants(g Group, in Input, st State, d Decision, next State) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	cur := min(max(in.Current, 0), MaxCapacity)
	hardLo, hardHi := in.HardBounds()
	lo, hi := refBounds(g, in)
	pinned := false
	for _, o := range in.Overrides {
		pinned = pinned || o.Kind == OverridePin
	}
	window := g.ScaleInWindow
	if window <= 0 {
		window = DefaultScaleInWindow
	}
	startup := st.Since.IsZero() || in.Now.Sub(st.Since) < window
	anyNotOK := false
	for _, p := range d.Proposals {
		if !p.OK {
			anyNotOK = true
			if p.Reason == "" {
				bad("proposal %q not OK without a reason", p.Policy)
			}
		}
		if p.Capacity < 0 || p.Capacity > MaxCapacity {
			bad("proposal %q capacity %d out of range", p.Policy, p.Capacity)
		}
	}

	if d.Desired < hardLo || d.Desired > hardHi {
		bad("Desired %d outside the group's bounds [%d, %d]", d.Desired, hardLo, hardHi)
	}
	if !pinned && (d.Desired < lo || d.Desired > hi) {
		bad("Desired %d outside the effective bounds [%d, %d]", d.Desired, lo, hi)
	}
	if d.Min != lo || d.Max != hi {
		bad("Decision bounds [%d, %d], reference [%d, %d]", d.Min, d.Max, lo, hi)
	}
	if !pinned && (anyNotOK || startup) && d.Desired < min(cur, hi) {
		bad("scale in %d -> %d with a policy lacking input (%v) or in the first window (%v)", cur, d.Desired, anyNotOK, startup)
	}
	if (anyNotOK || startup) != (d.ScaleInBlocked != "") {
		bad("ScaleInBlocked = %q with missing input %v, startup %v", d.ScaleInBlocked, anyNotOK, startup)
	}
	if !pinned && cur >= lo && cur <= hi {
		if step, ok := g.MaxScaleOutStep.limit(cur); ok && d.Desired > cur+step {
			bad("scale out %d -> %d beyond step %d", cur, d.Desired, step)
		}
		if step, ok := g.MaxScaleInStep.limit(cur); ok && d.Desired < cur-step {
			bad("scale in %d -> %d beyond step %d", cur, d.Desired, step)
		}
	}
	if !pinned && d.Desired < cur {
		// Never below the highest recommendation of the window.
		peak := 0
		for _, r := range st.History {
			if r.At.After(in.Now.Add(-window)) {
				peak = max(peak, min(max(r.Capacity, 0), MaxCapacity))
			}
		}
		if d.Desired < min(peak, cur, hi) {
			bad("scale in to %d below the window's peak %d", d.Desired, peak)
		}
	}
	if d.Paused != hasKind(in.Overrides, OverridePause) {
		bad("Paused = %v", d.Paused)
	}
	if len(d.Proposals) != len(g.Policies) {
		bad("%d proposals for %d policies", len(d.Proposals), len(g.Policies))
	}
	for i, c := range d.Changes {
		if i > 0 && d.Changes[i-1].To != c.From {
			bad("change %d starts at %d, previous ended at %d", i, c.From, d.Changes[i-1].To)
		}
		if c.From == c.To && c.Rule != RulePin {
			bad("change %d (%s) changes nothing", i, c.Rule)
		}
	}
	if n := len(d.Changes); n > 0 && d.Changes[n-1].To != d.Desired {
		bad("last change ends at %d, Desired %d", d.Changes[n-1].To, d.Desired)
	}
	if d.Reason == "" || strings.Contains(d.Reason, "\n") {
		bad("Reason %q is not one line", d.Reason)
	}
	// Next state.
	for _, r := range next.History {
		if !r.At.After(in.Now.Add(-window)) {
			bad("History keeps %v, older than the window", r.At)
		}
	}
	if len(next.History) == 0 || !next.History[len(next.History)-1].At.Equal(in.Now) {
		bad("History does not end with this cycle")
	}
	if next.Since.IsZero() {
		bad("Since is zero")
	}
	noneOK := true
	for _, p := range d.Proposals {
		noneOK = noneOK && !p.OK
	}
	if noneOK != (next.Failed > 0) {
		bad("Failed = %d with no proposal %v", next.Failed, noneOK)
	}
	return errs
}

func hasKind(os []Override, k OverrideKind) bool {
	for _, o := range os {
		if o.Kind == k {
			return true
		}
	}
	return false
}

// snapshot prints a value fully, maps sorted, NaN as NaN, so that two
// snapshots compare equal exactly when the values are the same.
func snapshot(vs ...any) string { return fmt.Sprintf("%#v", vs) }

func TestInvariants(t *testing.T) {
	const n = 5000
	g := gen{r: rand.New(rand.NewSource(20251128))}
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		grp, input, st := g.sample()
		before := snapshot(grp, input, st)
		d, next := Decide(grp, input, st)
		for _, c := range d.Changes {
			seen[c.Rule]++
		}
		switch {
		case d.Desired < min(max(input.Current, 0), MaxCapacity):
			seen["scale in"]++
		case d.Desired > min(max(input.Current, 0), MaxCapacity):
			seen["scale out"]++
		}
		if d.ScaleInBlocked == "" {
			seen["scale in allowed"]++
		}
		if errs := invariants(grp, input, st, d, next); len(errs) > 0 {
			t.Fatalf("case %d: %s\ngroup %+v\ninput %+v\nstate %+v\ndecision %+v", i, strings.Join(errs, "; "),
				grp, input, st, d)
		}
		if after := snapshot(grp, input, st); after != before {
			t.Fatalf("case %d: Decide modified its arguments", i)
		}
		d2, next2 := Decide(grp, input, st)
		if snapshot(d, next) != snapshot(d2, next2) {
			t.Fatalf("case %d: not deterministic:\n%+v\n%+v", i, d, d2)
		}
	}
	// The sample must reach every rule often, or the invariants prove little.
	for _, k := range []string{"scale in", "scale out", "scale in allowed", RuleStabilization, RuleStartup, RuleNoScaleIn,
		RuleFallback, RuleFloor, RulePredictive, RuleBoundsMin, RuleBoundsMax, RulePin, RuleRateScaleOut, RuleRateScaleIn} {
		if seen[k] < n/200 {
			t.Errorf("only %d of %d cases show %q", seen[k], n, k)
		}
	}
	t.Logf("coverage: %v", seen)
}

// TestInvariantsOverCycles carries the state through random sequences of
// cycles of one group, the way the controller does.
func TestInvariantsOverCycles(t *testing.T) {
	g := gen{r: rand.New(rand.NewSource(7))}
	for run := 0; run < 300; run++ {
		grp, input, _ := g.sample()
		st := State{}
		start := input.Now
		for cycle := 0; cycle < 60; cycle++ {
			_, input, _ = g.sample()
			input.Now = start.Add(time.Duration(cycle) * 10 * time.Second)
			for name := range input.Policies {
				pi := input.Policies[name]
				for j := range pi.Metric {
					pi.Metric[j].At = input.Now.Add(-time.Duration(j) * time.Minute)
				}
				input.Policies[name] = pi
			}
			d, next := Decide(grp, input, st)
			if errs := invariants(grp, input, st, d, next); len(errs) > 0 {
				t.Fatalf("run %d cycle %d: %s", run, cycle, strings.Join(errs, "; "))
			}
			if input.Now.Sub(start) < 300*time.Second && grp.ScaleInWindow <= 0 && d.ScaleInBlocked == "" {
				t.Fatalf("run %d cycle %d: scale-in allowed %v after start", run, cycle, input.Now.Sub(start))
			}
			st = next
		}
	}
}
