package policy

import (
	"strings"
	"testing"
	"time"
)

// Fuzz flags: which parts of the fuzzed group and input are present.
const (
	fzPin = 1 << iota
	fzPause
	fzBounds
	fzPercentRate
	fzInFlight
	fzPerInstance
	fzStepBelow
	fzStepPercent
	fzStepExact
	fzNoMetric
	fzNoQueue
	fzFreshState
	fzHistory
	fzFallback
)

// FuzzDecide builds a group with one policy of each kind from the fuzzed
// numbers and checks the engine's invariants and determinism. The seed
// corpus is in testdata/fuzz/FuzzDecide.
func FuzzDecide(f *testing.F) {
	f.Add(10, 10, 0, 100, 2, 40, 0, 0, 150.0, 100.0, 1500.0, 40.0, 50.0, 30.0, 2.0, int64(30), int64(3600), uint16(0))
	f.Fuzz(func(t *testing.T, current, serving, asgMin, asgMax, cfgMin, cfgMax, floor, pin int,
		value, target, visible, inFlight, threshold, adjustment, step float64, ageSec, sinceSec int64, flags uint16) {
		has := func(bit int) bool { return int(flags)&bit != 0 }
		now := t0
		g := Group{
			Name: "fuzz", Min: cfgMin, Max: cfgMax, MaxAge: 2 * time.Minute,
			MaxScaleOutStep: RateLimit{Value: step, Percent: has(fzPercentRate)},
			MaxScaleInStep:  RateLimit{Value: step / 2, Percent: has(fzPercentRate)},
		}
		if has(fzFallback) {
			g.FallbackCapacity, g.FallbackAfter = floor, 2
		}
		q := Queue{Name: "q", SecondsPerMessage: 0.5, AcceptableLatency: 30 * time.Second, CountInFlight: has(fzInFlight)}
		mode := ModeRate
		if has(fzPerInstance) {
			mode, q.TargetPerInstance = ModePerInstance, target
		}
		st := &Step{Threshold: threshold, Comparison: GreaterThanOrEqual, EvaluationPeriods: 2, DatapointsToAlarm: 1,
			AdjustmentType: ChangeInCapacity, MinAdjustmentMagnitude: 1, Adjustments: []StepAdjustment{
				{UpperBound: fp(0), Adjustment: -adjustment}, {LowerBound: fp(0), Adjustment: adjustment}}}
		if has(fzStepBelow) {
			st.Comparison = LessThan
		}
		switch {
		case has(fzStepExact):
			st.AdjustmentType = ExactCapacity
		case has(fzStepPercent):
			st.AdjustmentType = PercentChangeInCapacity
		}
		g.Policies = []Policy{
			{Name: "tt", TargetTracking: &TargetTracking{Target: target}},
			{Name: "bl", Backlog: &Backlog{Mode: mode, Queues: []Queue{q}}},
			{Name: "st", Step: st},
		}

		at := now.Add(-time.Duration(ageSec) * time.Second)
		obs := []Observation{{Value: value, At: at, ReadAt: now}, {Value: value / 2, At: at.Add(-time.Minute), ReadAt: now}}
		input := Input{Now: now, Current: current, Serving: serving, ASGMin: asgMin, ASGMax: asgMax,
			Policies: map[string]PolicyInput{}}
		if !has(fzNoMetric) {
			input.Policies["tt"] = PolicyInput{Metric: obs}
			input.Policies["st"] = PolicyInput{Metric: obs}
		}
		if !has(fzNoQueue) {
			input.Policies["bl"] = PolicyInput{Queues: map[string]QueueObservation{
				"q": {Visible: visible, InFlight: inFlight, At: at, ReadAt: now}}}
		}
		if floor != 0 {
			input.Floors = []Floor{{Name: "boost", Capacity: floor}}
		}
		if has(fzPause) {
			input.Overrides = append(input.Overrides, Override{ID: "pause", Kind: OverridePause})
		}
		if has(fzBounds) {
			input.Overrides = append(input.Overrides, Override{ID: "b", Kind: OverrideBounds, Min: ip(cfgMin / 2), Max: ip(pin)})
		}
		if has(fzPin) {
			input.Overrides = append(input.Overrides, Override{ID: "pin", Kind: OverridePin, Capacity: pin})
		}

		state := State{Since: now.Add(-time.Duration(sinceSec) * time.Second), Failed: int(flags >> 14)}
		if has(fzFreshState) {
			state.Since = time.Time{}
		}
		if has(fzHistory) {
			state.History = []Recommendation{{At: now.Add(-100 * time.Second), Capacity: pin}, {At: at, Capacity: floor}}
			state.Arrivals = []Arrival{{Policy: "bl", Queue: "q", Backlog: visible / 2, InFlight: inFlight, At: at.Add(-10 * time.Second),
				Raw: [3]float64{inFlight, visible, inFlight}, Raws: 3, Lambda: inFlight}}
		}

		before := snapshot(g, input, state)
		d, next := Decide(g, input, state)
		if errs := invariants(g, input, state, d, next); len(errs) > 0 {
			t.Fatalf("%s\ndecision %+v", strings.Join(errs, "; "), d)
		}
		if snapshot(g, input, state) != before {
			t.Fatal("Decide modified its arguments")
		}
		d2, next2 := Decide(g, input, state)
		if snapshot(d, next) != snapshot(d2, next2) {
			t.Fatalf("not deterministic:\n%+v\n%+v", d, d2)
		}
	})
}
