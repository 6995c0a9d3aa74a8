package policy

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// fixed is a step policy that always proposes exactly n: an ExactCapacity
// step on an alarm that is always in breach.
func fixed(name string, n int) Policy {
	return Policy{Name: name, Step: &Step{Threshold: 0, Comparison: GreaterThanOrEqual, EvaluationPeriods: 1,
		AdjustmentType: ExactCapacity, Adjustments: []StepAdjustment{{Adjustment: float64(n)}}}}
}

// fixedInput is the input that fixed policies read.
func fixedInput(names ...string) map[string]PolicyInput {
	m := map[string]PolicyInput{}
	for _, n := range names {
		m[n] = metric(1, time.Minute)
	}
	return m
}

// decideCase is one pipeline table case: a group of fixed policies, an
// input and a state, and what the decision must be.
type decideCase struct {
	name      string
	g         Group
	in        Input
	st        State
	want      int
	rules     []string // rules of the changes, in order
	blocked   string   // fragment of ScaleInBlocked ("" means must be empty)
	reason    string   // the exact Reason, when set
	notes     string   // fragment of a note
	min, max  int      // effective bounds, checked when max > 0
	wantState func(t *testing.T, st State)
}

func runDecide(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.g.Name == "" {
				tc.g.Name = "web"
			}
			d, next := Decide(tc.g, tc.in, tc.st)
			if d.Desired != tc.want {
				t.Errorf("Desired = %d, want %d (%s; changes %+v)", d.Desired, tc.want, d.Reason, d.Changes)
			}
			if got := rules(d); !reflect.DeepEqual(got, tc.rules) {
				t.Errorf("rules = %v, want %v (changes %+v)", got, tc.rules, d.Changes)
			}
			if tc.blocked == "" && d.ScaleInBlocked != "" {
				t.Errorf("ScaleInBlocked = %q, want empty", d.ScaleInBlocked)
			}
			if tc.blocked != "" && !strings.Contains(d.ScaleInBlocked, tc.blocked) {
				t.Errorf("ScaleInBlocked = %q, want it to contain %q", d.ScaleInBlocked, tc.blocked)
			}
			if tc.reason != "" && d.Reason != tc.reason {
				t.Errorf("Reason = %q, want %q", d.Reason, tc.reason)
			}
			if tc.notes != "" && !strings.Contains(strings.Join(d.Notes, "\n"), tc.notes) {
				t.Errorf("Notes = %q, want one containing %q", d.Notes, tc.notes)
			}
			if tc.max > 0 && (d.Min != tc.min || d.Max != tc.max) {
				t.Errorf("bounds = [%d, %d], want [%d, %d]", d.Min, d.Max, tc.min, tc.max)
			}
			checkChain(t, d)
			if tc.wantState != nil {
				tc.wantState(t, next)
			}
		})
	}
}

// checkChain checks that changes chain from one to the next and end at
// Desired.
func checkChain(t *testing.T, d Decision) {
	t.Helper()
	for i, c := range d.Changes {
		if c.From == c.To && c.Rule != RulePin {
			t.Errorf("change %d (%s) does not change the number: %+v", i, c.Rule, c)
		}
		if i > 0 && d.Changes[i-1].To != c.From {
			t.Errorf("change %d starts at %d, previous ended at %d", i, c.From, d.Changes[i-1].To)
		}
		if c.Reason == "" {
			t.Errorf("change %d (%s) has no reason", i, c.Rule)
		}
	}
	if n := len(d.Changes); n > 0 && d.Changes[n-1].To != d.Desired {
		t.Errorf("last change ends at %d, Desired is %d", d.Changes[n-1].To, d.Desired)
	}
}

func group(ps ...Policy) Group { return Group{Name: "web", MaxAge: 2 * time.Minute, Policies: ps} }

func TestCombine(t *testing.T) {
	queue := Policy{Name: "queue", Backlog: &Backlog{Mode: ModePerInstance, Queues: []Queue{{Name: "queue", TargetPerInstance: 100}}}}
	mixed := in(10, 10, map[string]PolicyInput{
		"cpu":   metric(60, time.Minute),
		"queue": queues(map[string]QueueObservation{"queue": {Visible: 1500}}),
		"alarm": series(10),
	})
	runDecide(t, []decideCase{
		{name: "highest proposal wins", g: group(tt("cpu", 50), queue, Policy{Name: "alarm", Step: awsScaleOut()}),
			in: mixed, st: settled(), want: 15,
			reason: `scale out 10 -> 15: backlog "queue" wants 15`},
		{name: "a tie goes to the first policy", g: group(fixed("a", 7), fixed("b", 7)),
			in: in(5, 5, fixedInput("a", "b")), st: settled(), want: 7,
			reason: `scale out 5 -> 7: step "a" wants 7`},
		{name: "scale out when any wants more", g: group(fixed("a", 6), fixed("b", 12)),
			in: in(10, 10, fixedInput("a", "b")), st: settled(), want: 12},
		{name: "scale in only as far as all agree", g: group(fixed("a", 6), fixed("b", 8)),
			in: in(10, 10, fixedInput("a", "b")), st: settled(), want: 8,
			reason: `scale in 10 -> 8: step "b" wants 8`},
		// "if one policy terminates three instances, another policy decreases
		// the number of instances by 25 percent, and the group has eight
		// instances at the time of scale in, Amazon EC2 Auto Scaling gives
		// precedence to the policy that provides the largest number of
		// instances for the group. This results in the Auto Scaling group
		// terminating two instances (25 percent of 8 = 2)." -- Amazon EC2 Auto
		// Scaling User Guide, "Multiple scaling policies"
		// (as-scale-based-on-demand).
		{name: "aws: -3 against -25% of 8 keeps the larger", g: group(
			Policy{Name: "minus3", Step: typed(ChangeInCapacity, -3, 0)},
			Policy{Name: "minus25pct", Step: typed(PercentChangeInCapacity, -25, 0)}),
			in: in(8, 8, map[string]PolicyInput{"minus3": series(80), "minus25pct": series(80)}), st: settled(), want: 6,
			reason: `scale in 8 -> 6: step "minus25pct" wants 6`},
		{name: "no policy proposed anything: hold", g: group(tt("cpu", 50)),
			in: in(10, 10, nil), st: settled(), want: 10, blocked: `no fresh input from "cpu"`,
			reason: "hold at 10: no policy proposed a capacity"},
		{name: "no policies: hold", g: group(),
			in: in(10, 10, nil), st: settled(), want: 10, reason: "hold at 10: no policies"},
	})
}

func TestStabilization(t *testing.T) {
	hist := func(rs ...Recommendation) State { s := settled(); s.History = rs; return s }
	ago := func(d time.Duration, n int) Recommendation { return Recommendation{At: t0.Add(-d), Capacity: n} }
	runDecide(t, []decideCase{
		{name: "scale in to the highest recommendation of the window", g: group(fixed("a", 5)),
			in: in(10, 10, fixedInput("a")), st: hist(ago(200*time.Second, 9), ago(100*time.Second, 7)), want: 9,
			rules:  []string{RuleStabilization},
			reason: `scale in 10 -> 9: step "a" wants 5 (stabilization)`},
		{name: "recommendations above current hold at current", g: group(fixed("a", 5)),
			in: in(10, 10, fixedInput("a")), st: hist(ago(100*time.Second, 14)), want: 10,
			rules: []string{RuleStabilization}},
		{name: "recommendations older than the window are forgotten", g: group(fixed("a", 5)),
			in: in(10, 10, fixedInput("a")), st: hist(ago(400*time.Second, 12), ago(30*time.Second, 6)), want: 6,
			rules: []string{RuleStabilization},
			wantState: func(t *testing.T, st State) {
				want := []Recommendation{ago(30*time.Second, 6), {At: t0, Capacity: 5}}
				if !reflect.DeepEqual(st.History, want) {
					t.Errorf("History = %+v, want %+v", st.History, want)
				}
			}},
		{name: "a recommendation exactly one window old is out", g: group(fixed("a", 5)),
			in: in(10, 10, fixedInput("a")), st: hist(ago(300*time.Second, 12)), want: 5},
		{name: "a custom window", g: Group{Name: "web", ScaleInWindow: time.Minute, Policies: []Policy{fixed("a", 5)}},
			in: in(10, 10, fixedInput("a")), st: hist(ago(90*time.Second, 9), ago(30*time.Second, 7)), want: 7,
			rules: []string{RuleStabilization}},
		{name: "scale out is immediate", g: group(fixed("a", 15)),
			in: in(10, 10, fixedInput("a")), st: hist(ago(100*time.Second, 3)), want: 15},
		{name: "the new recommendation is recorded", g: group(fixed("a", 15)),
			in: in(10, 10, fixedInput("a")), st: settled(), want: 15,
			wantState: func(t *testing.T, st State) {
				if len(st.History) != 1 || st.History[0] != (Recommendation{At: t0, Capacity: 15}) {
					t.Errorf("History = %+v", st.History)
				}
			}},
	})
}

func TestStartup(t *testing.T) {
	since := func(d time.Duration) State { return State{Since: t0.Add(-d)} }
	runDecide(t, []decideCase{
		{name: "a fresh state blocks scale in", g: group(fixed("a", 5)),
			in: in(10, 10, fixedInput("a")), st: State{}, want: 10,
			rules: []string{RuleStartup}, blocked: "first window after start: 0s of 5m0s observed",
			wantState: func(t *testing.T, st State) {
				if !st.Since.Equal(t0) {
					t.Errorf("Since = %v, want %v", st.Since, t0)
				}
			}},
		{name: "a fresh state still scales out", g: group(fixed("a", 15)),
			in: in(10, 10, fixedInput("a")), st: State{}, want: 15, blocked: "first window"},
		{name: "299 s in: still blocked", g: group(fixed("a", 5)),
			in: in(10, 10, fixedInput("a")), st: since(299 * time.Second), want: 10,
			rules: []string{RuleStartup}, blocked: "4m59s of 5m0s"},
		{name: "one full window: scale in", g: group(fixed("a", 5)),
			in: in(10, 10, fixedInput("a")), st: since(300 * time.Second), want: 5},
		{name: "Since is kept", g: group(fixed("a", 5)),
			in: in(10, 10, fixedInput("a")), st: since(time.Hour), want: 5,
			wantState: func(t *testing.T, st State) {
				if !st.Since.Equal(t0.Add(-time.Hour)) {
					t.Errorf("Since = %v", st.Since)
				}
			}},
	})
}

func TestStartupOverCycles(t *testing.T) {
	g := group(fixed("a", 4))
	st := State{}
	for i := 0; i <= 40; i++ {
		now := t0.Add(time.Duration(i) * 10 * time.Second)
		input := in(10, 10, fixedInput("a"))
		input.Now = now
		input.Policies["a"] = PolicyInput{Metric: []Observation{{Value: 1, At: now}}}
		d, next := Decide(g, input, st)
		st = next
		elapsed := now.Sub(t0)
		switch {
		case elapsed < 300*time.Second && d.Desired != 10:
			t.Fatalf("at +%v Desired = %d, want 10 during the first window", elapsed, d.Desired)
		case elapsed >= 300*time.Second && d.Desired != 4:
			t.Fatalf("at +%v Desired = %d, want 4 after a full window of 4s (%s)", elapsed, d.Desired, d.Reason)
		}
	}
}

func TestMissingData(t *testing.T) {
	two := group(fixed("a", 5), fixed("b", 3))
	onlyA := in(10, 10, fixedInput("a"))
	runDecide(t, []decideCase{
		{name: "a policy without input blocks scale in", g: two, in: onlyA, st: settled(), want: 10,
			rules: []string{RuleNoScaleIn}, blocked: `no fresh input from "b"`,
			reason: `hold at 10: step "a" wants 5 (no_scale_in)`,
			wantState: func(t *testing.T, st State) {
				// The blocked cycle recommends current, not 5.
				if len(st.History) != 1 || st.History[0].Capacity != 10 {
					t.Errorf("History = %+v, want one recommendation of 10", st.History)
				}
			}},
		{name: "but scale out goes ahead", g: group(fixed("a", 15), fixed("b", 3)), in: onlyA, st: settled(), want: 15,
			blocked: `"b"`},
		{name: "a stale policy blocks scale in", g: two,
			in: in(10, 10, map[string]PolicyInput{"a": metric(1, time.Minute), "b": metric(1, time.Hour)}), st: settled(),
			want: 10, rules: []string{RuleNoScaleIn}, blocked: `"b"`},
		{name: "an invalid policy blocks scale in", g: group(fixed("a", 5), tt("b", 0)),
			in: in(10, 10, map[string]PolicyInput{"a": metric(1, time.Minute), "b": metric(1, time.Minute)}), st: settled(),
			want: 10, rules: []string{RuleNoScaleIn}, blocked: `"b"`},
		{name: "every policy missing is named", g: group(fixed("a", 5), fixed("b", 3), fixed("c", 3)),
			in: in(10, 10, fixedInput("a")), st: settled(), want: 10, rules: []string{RuleNoScaleIn},
			blocked: `no fresh input from "b", "c"`},
		{name: "with startup, both reasons", g: two, in: onlyA, st: State{}, want: 10,
			rules: []string{RuleStartup}, blocked: `first window after start: 0s of 5m0s observed; no fresh input from "b"`},
	})
}

func TestBlockedCycleHoldsTheWindow(t *testing.T) {
	// After a cycle without fresh input, the next good cycle cannot scale in
	// below the current of the blocked one until it leaves the window.
	g := group(fixed("a", 5), fixed("b", 3))
	_, st := Decide(g, in(10, 10, fixedInput("a")), settled())
	next := in(10, 10, fixedInput("a", "b"))
	next.Now = t0.Add(10 * time.Second)
	next.Policies["a"] = PolicyInput{Metric: []Observation{{Value: 1, At: next.Now}}}
	next.Policies["b"] = next.Policies["a"]
	d, _ := Decide(g, next, st)
	if d.Desired != 10 || !reflect.DeepEqual(rules(d), []string{RuleStabilization}) {
		t.Errorf("Desired = %d with %v, want 10 held by stabilization", d.Desired, rules(d))
	}
}

func TestFallback(t *testing.T) {
	fb := func(capacity, after int) Group {
		g := group(tt("cpu", 50))
		g.FallbackCapacity, g.FallbackAfter = capacity, after
		return g
	}
	failed := func(n int) State { s := settled(); s.Failed = n; return s }
	failedState := func(want int) func(*testing.T, State) {
		return func(t *testing.T, st State) {
			t.Helper()
			if st.Failed != want {
				t.Errorf("Failed = %d, want %d", st.Failed, want)
			}
		}
	}
	runDecide(t, []decideCase{
		{name: "fallback after N failed cycles", g: fb(20, 3), in: in(10, 10, nil), st: failed(2), want: 20,
			rules: []string{RuleFallback}, blocked: `"cpu"`, wantState: failedState(3)},
		{name: "not before", g: fb(20, 3), in: in(10, 10, nil), st: failed(1), want: 10,
			blocked: `"cpu"`, wantState: failedState(2)},
		{name: "never below current", g: fb(20, 1), in: in(25, 25, nil), st: failed(5), want: 25,
			blocked: `"cpu"`, wantState: failedState(6)},
		{name: "after 0 counts as 1", g: fb(20, 0), in: in(10, 10, nil), st: settled(), want: 20,
			rules: []string{RuleFallback}, blocked: `"cpu"`, wantState: failedState(1)},
		{name: "no fallback configured", g: fb(0, 1), in: in(10, 10, nil), st: failed(9), want: 10,
			blocked: `"cpu"`, wantState: failedState(10)},
		{name: "a proposal resets the count", g: fb(20, 1), in: in(10, 10, map[string]PolicyInput{"cpu": metric(50, 0)}),
			st: failed(9), want: 10, wantState: failedState(0)},
		{name: "fallback still within bounds", g: func() Group { g := fb(200, 1); g.Max = 40; return g }(),
			in: in(10, 10, nil), st: failed(1), want: 40, rules: []string{RuleFallback, RuleBoundsMax}, blocked: `"cpu"`},
	})
}

func TestFloors(t *testing.T) {
	withFloors := func(input Input, fs ...Floor) Input { input.Floors = fs; return input }
	capped := group(fixed("a", 10))
	capped.Max = 40
	runDecide(t, []decideCase{
		{name: "a floor raises the number", g: group(fixed("a", 10)),
			in: withFloors(in(10, 10, fixedInput("a")), Floor{Name: "black-friday", Capacity: 30}), st: settled(), want: 30,
			rules: []string{RuleFloor}, min: 30, max: 100,
			reason: `scale out 10 -> 30: step "a" wants 10 (floor)`},
		{name: "the highest floor wins", g: group(fixed("a", 10)),
			in: withFloors(in(10, 10, fixedInput("a")), Floor{Name: "x", Capacity: 20}, Floor{Name: "y", Capacity: 35},
				Floor{Name: "z", Capacity: 25}), st: settled(), want: 35, rules: []string{RuleFloor}, min: 35, max: 100},
		{name: "a floor above max is capped and reported", g: capped,
			in: withFloors(in(10, 10, fixedInput("a")), Floor{Name: "launch", Capacity: 50}), st: settled(), want: 40,
			rules: []string{RuleFloor}, notes: `floor "launch" 50 capped at max 40`, min: 40, max: 40},
		{name: "a floor below the number changes nothing", g: group(fixed("a", 30)),
			in: withFloors(in(30, 30, fixedInput("a")), Floor{Name: "x", Capacity: 20}), st: settled(), want: 30,
			min: 20, max: 100},
		{name: "a floor stops scale in", g: group(fixed("a", 5)),
			in: withFloors(in(30, 30, fixedInput("a")), Floor{Name: "x", Capacity: 20}), st: settled(), want: 20,
			rules: []string{RuleFloor}},
		{name: "a zero or negative floor is ignored", g: group(fixed("a", 5)),
			in: withFloors(in(10, 10, fixedInput("a")), Floor{Name: "x", Capacity: -3}), st: settled(), want: 5},
	})
}

func TestPredictiveFloor(t *testing.T) {
	pred := func(input Input, units int, fs ...Floor) Input {
		input.Predictive, input.Floors = units, fs
		return input
	}
	capped := group(fixed("a", 10))
	capped.Max = 40
	narrowed := func(input Input) Input {
		input.Overrides = []Override{{ID: "o1", Kind: OverrideBounds, Max: ip(25)}}
		return input
	}
	pinned := func(input Input, kind OverrideKind) Input {
		input.Overrides = []Override{{ID: "o1", Kind: kind, Capacity: 12}}
		return input
	}
	runDecide(t, []decideCase{
		{name: "the predictive floor raises the number as its own rule", g: group(fixed("a", 10)),
			in: pred(in(10, 10, fixedInput("a")), 30), st: settled(), want: 30,
			rules: []string{RulePredictive}, min: 30, max: 100,
			reason: `scale out 10 -> 30: step "a" wants 10 (predictive)`},
		{name: "a higher boost floor wins", g: group(fixed("a", 10)),
			in: pred(in(10, 10, fixedInput("a")), 30, Floor{Name: "boost b", Capacity: 45}), st: settled(), want: 45,
			rules: []string{RuleFloor}, min: 45, max: 100},
		{name: "a higher predictive floor wins over a boost's", g: group(fixed("a", 10)),
			in: pred(in(10, 10, fixedInput("a")), 45, Floor{Name: "boost b", Capacity: 30}), st: settled(), want: 45,
			rules: []string{RuleFloor, RulePredictive}, min: 45, max: 100},
		{name: "a predictive floor above max is capped and reported", g: capped,
			in: pred(in(10, 10, fixedInput("a")), 50), st: settled(), want: 40,
			rules: []string{RulePredictive}, notes: "predictive floor 50 capped at max 40", min: 40, max: 40},
		{name: "a bounds override still bounds it", g: group(fixed("a", 10)),
			in: narrowed(pred(in(10, 10, fixedInput("a")), 30)), st: settled(), want: 25,
			rules: []string{RulePredictive}, notes: "predictive floor 30 capped at max 25", min: 25, max: 25},
		{name: "a pin wins", g: group(fixed("a", 10)),
			in: pinned(pred(in(10, 10, fixedInput("a")), 30), OverridePin), st: settled(), want: 12,
			rules: []string{RulePredictive, RulePin}},
		{name: "a pause shows it and acts on nothing", g: group(fixed("a", 10)),
			in: pinned(pred(in(10, 10, fixedInput("a")), 30), OverridePause), st: settled(), want: 30,
			rules: []string{RulePredictive}},
		{name: "below the number it changes nothing", g: group(fixed("a", 30)),
			in: pred(in(30, 30, fixedInput("a")), 20), st: settled(), want: 30, min: 20, max: 100},
		{name: "it stops a scale-in", g: group(fixed("a", 5)),
			in: pred(in(30, 30, fixedInput("a")), 20), st: settled(), want: 20, rules: []string{RulePredictive}},
		{name: "zero or negative is none", g: group(fixed("a", 5)),
			in: pred(in(10, 10, fixedInput("a")), -3), st: settled(), want: 5},
	})
}

func TestBounds(t *testing.T) {
	cfg := func(min, max int, ps ...Policy) Group { g := group(ps...); g.Min, g.Max = min, max; return g }
	asg := func(input Input, min, max int) Input { input.ASGMin, input.ASGMax = min, max; return input }
	over := func(input Input, os ...Override) Input { input.Overrides = os; return input }
	runDecide(t, []decideCase{
		{name: "configured max", g: cfg(2, 40, fixed("a", 50)), in: in(10, 10, fixedInput("a")), st: settled(),
			want: 40, rules: []string{RuleBoundsMax}, min: 2, max: 40},
		{name: "configured min", g: cfg(4, 40, fixed("a", 1)), in: in(10, 10, fixedInput("a")), st: settled(),
			want: 4, rules: []string{RuleBoundsMin}, min: 4, max: 40},
		{name: "the group's bounds are narrower", g: cfg(0, 100, fixed("a", 50)),
			in: asg(in(10, 10, fixedInput("a")), 5, 20), st: settled(), want: 20, rules: []string{RuleBoundsMax}, min: 5, max: 20},
		{name: "max 0 means the group's max", g: cfg(0, 0, fixed("a", 50)), in: in(10, 10, fixedInput("a")), st: settled(),
			want: 50, min: 0, max: 100},
		{name: "a bounds override widens", g: cfg(2, 40, fixed("a", 50)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "o1", Kind: OverrideBounds, Max: ip(60)}), st: settled(),
			want: 50, min: 2, max: 60},
		{name: "a bounds override never leaves the group's bounds", g: cfg(2, 40, fixed("a", 500)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "o1", Kind: OverrideBounds, Min: ip(-5), Max: ip(500)}),
			st: settled(), want: 100, rules: []string{RuleBoundsMax}, min: 0, max: 100},
		{name: "a bounds override narrows", g: cfg(2, 40, fixed("a", 5)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "o1", Kind: OverrideBounds, Min: ip(12)}), st: settled(),
			want: 12, rules: []string{RuleBoundsMin}, min: 12, max: 40},
		{name: "the later bounds override wins", g: cfg(2, 40, fixed("a", 50)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "o1", Kind: OverrideBounds, Max: ip(60)},
				Override{ID: "o2", Kind: OverrideBounds, Max: ip(45)}), st: settled(),
			want: 45, rules: []string{RuleBoundsMax}, min: 2, max: 45},
		{name: "empty bounds fall back to the group's", g: cfg(50, 60, fixed("a", 30)),
			in: asg(in(10, 10, fixedInput("a")), 1, 20), st: settled(), want: 20, rules: []string{RuleBoundsMax},
			notes: "bounds [50, 20] are empty: using the group's [1, 20]", min: 1, max: 20},
		{name: "bounds win over blocked scale in", g: cfg(0, 8, fixed("a", 5), fixed("b", 5)),
			in: in(10, 10, fixedInput("a")), st: settled(), want: 8, rules: []string{RuleNoScaleIn, RuleBoundsMax},
			blocked: `"b"`},
		{name: "bounds win over startup", g: cfg(0, 8, fixed("a", 5)), in: in(10, 10, fixedInput("a")), st: State{},
			want: 8, rules: []string{RuleStartup, RuleBoundsMax}, blocked: "first window"},
		{name: "the group's max below its min", g: cfg(0, 0, fixed("a", 1)),
			in: asg(in(10, 10, fixedInput("a")), 5, 3), st: settled(), want: 5, rules: []string{RuleBoundsMin}, min: 5, max: 5},
	})
}

func TestHardBounds(t *testing.T) {
	cases := []struct {
		name             string
		min, max         int
		wantLo, wantHigh int
	}{
		{"normal", 1, 10, 1, 10},
		{"max below min", 5, 3, 5, 5},
		{"negative", -4, -1, 0, 0},
		{"huge", 0, MaxCapacity + 10, 0, MaxCapacity},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := Input{ASGMin: tc.min, ASGMax: tc.max}.HardBounds()
			if lo != tc.wantLo || hi != tc.wantHigh {
				t.Errorf("HardBounds = [%d, %d], want [%d, %d]", lo, hi, tc.wantLo, tc.wantHigh)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	over := func(input Input, os ...Override) Input { input.Overrides = os; return input }
	limited := group(fixed("a", 50))
	limited.Max = 40
	limited.MaxScaleOutStep = RateLimit{Value: 1}
	runDecide(t, []decideCase{
		{name: "pause only marks the decision", g: group(fixed("a", 15)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "p1", Kind: OverridePause}), st: settled(), want: 15,
			reason: `paused: scale out 10 -> 15: step "a" wants 15`},
		{name: "pin sets exactly", g: group(fixed("a", 15)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "pin1", Kind: OverridePin, Capacity: 7, Reason: "incident 42"}),
			st: settled(), want: 7, rules: []string{RulePin}, reason: `scale in 10 -> 7: pinned by override "pin1"`},
		{name: "pin bypasses stabilization, floors, bounds and rate limits", g: limited,
			in: func() Input {
				i := over(in(10, 10, fixedInput("a")), Override{ID: "pin1", Kind: OverridePin, Capacity: 60})
				i.Floors = []Floor{{Name: "f", Capacity: 80}}
				return i
			}(),
			st: State{}, want: 60, rules: []string{RuleBoundsMax, RulePin}, notes: "capped at max 40",
			blocked: "first window"},
		{name: "pin bypasses startup and blocked scale in", g: group(fixed("a", 5), fixed("b", 1)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "pin1", Kind: OverridePin, Capacity: 3}),
			st: State{}, want: 3, rules: []string{RuleStartup, RulePin}, blocked: "first window"},
		{name: "pin stays within the group's bounds", g: group(fixed("a", 15)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "pin1", Kind: OverridePin, Capacity: 500}),
			st: settled(), want: 100, rules: []string{RulePin}},
		{name: "a pin equal to the number is still recorded", g: group(fixed("a", 15)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "pin1", Kind: OverridePin, Capacity: 15}),
			st: settled(), want: 15, rules: []string{RulePin}},
		{name: "the last pin wins", g: group(fixed("a", 15)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "pin1", Kind: OverridePin, Capacity: 5},
				Override{ID: "pin2", Kind: OverridePin, Capacity: 9}),
			st: settled(), want: 9, rules: []string{RulePin}, reason: `scale in 10 -> 9: pinned by override "pin2"`},
		{name: "pause and pin", g: group(fixed("a", 15)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "p", Kind: OverridePause},
				Override{ID: "pin", Kind: OverridePin, Capacity: 12}),
			st: settled(), want: 12, rules: []string{RulePin}, reason: `paused: scale out 10 -> 12: pinned by override "pin"`},
		{name: "an unknown override is noted", g: group(fixed("a", 15)),
			in: over(in(10, 10, fixedInput("a")), Override{ID: "x", Kind: "freeze"}),
			st: settled(), want: 15, notes: `override "x" has unknown kind "freeze"`},
	})
	d, _ := Decide(group(fixed("a", 15)), over(in(10, 10, fixedInput("a")), Override{ID: "p1", Kind: OverridePause}), settled())
	if !d.Paused {
		t.Error("Paused = false with a pause override")
	}
}

func TestRateLimits(t *testing.T) {
	rl := func(out, in RateLimit, ps ...Policy) Group {
		g := group(ps...)
		g.MaxScaleOutStep, g.MaxScaleInStep = out, in
		return g
	}
	none := RateLimit{}
	runDecide(t, []decideCase{
		{name: "absolute scale out step", g: rl(RateLimit{Value: 2}, none, fixed("a", 15)),
			in: in(10, 10, fixedInput("a")), st: settled(), want: 12, rules: []string{RuleRateScaleOut},
			reason: `scale out 10 -> 12: step "a" wants 15 (rate.scale_out)`},
		{name: "percent scale out step", g: rl(RateLimit{Value: 25, Percent: true}, none, fixed("a", 15)),
			in: in(10, 10, fixedInput("a")), st: settled(), want: 12, rules: []string{RuleRateScaleOut}},
		{name: "percent step is at least one", g: rl(RateLimit{Value: 10, Percent: true}, none, fixed("a", 15)),
			in: in(0, 0, fixedInput("a")), st: settled(), want: 1, rules: []string{RuleRateScaleOut}},
		{name: "a step large enough changes nothing", g: rl(RateLimit{Value: 10}, none, fixed("a", 15)),
			in: in(10, 10, fixedInput("a")), st: settled(), want: 15},
		{name: "absolute scale in step", g: rl(none, RateLimit{Value: 3}, fixed("a", 2)),
			in: in(10, 10, fixedInput("a")), st: settled(), want: 7, rules: []string{RuleRateScaleIn}},
		{name: "percent scale in step", g: rl(none, RateLimit{Value: 50, Percent: true}, fixed("a", 2)),
			in: in(10, 10, fixedInput("a")), st: settled(), want: 5, rules: []string{RuleRateScaleIn}},
		{name: "scale in step does not limit scale out", g: rl(none, RateLimit{Value: 1}, fixed("a", 15)),
			in: in(10, 10, fixedInput("a")), st: settled(), want: 15},
		{name: "bounds win when current is below min", g: func() Group {
			g := rl(RateLimit{Value: 1}, none, fixed("a", 1))
			g.Min = 5
			return g
		}(), in: in(2, 2, fixedInput("a")), st: settled(), want: 5, rules: []string{RuleBoundsMin}},
		{name: "bounds win when current is above max", g: func() Group {
			g := rl(none, RateLimit{Value: 1}, fixed("a", 30))
			g.Max = 20
			return g
		}(), in: in(30, 30, fixedInput("a")), st: settled(), want: 20, rules: []string{RuleBoundsMax}},
		{name: "rate limit stops at min", g: func() Group {
			g := rl(RateLimit{Value: 2}, none, fixed("a", 1))
			g.Min = 5
			return g
		}(), in: in(4, 4, fixedInput("a")), st: settled(), want: 5, rules: []string{RuleBoundsMin}},
		{name: "a floor raises min, so it wins over the rate limit", g: rl(RateLimit{Value: 5}, none, fixed("a", 10)),
			in: func() Input {
				i := in(10, 10, fixedInput("a"))
				i.Floors = []Floor{{Name: "f", Capacity: 40}}
				return i
			}(),
			st: settled(), want: 40, rules: []string{RuleFloor}},
	})
}

func TestInputsAndAges(t *testing.T) {
	q := Policy{Name: "jobs", Backlog: &Backlog{Mode: ModePerInstance, Queues: []Queue{
		{Name: "a", TargetPerInstance: 10, CountInFlight: true}, {Name: "b", TargetPerInstance: 10}}}}
	g := group(tt("cpu", 50), q)
	input := in(4, 4, map[string]PolicyInput{
		"cpu": metric(70, 30*time.Second),
		"jobs": {Queues: map[string]QueueObservation{
			"a": {Visible: 10, InFlight: 5, Delayed: 99, At: t0.Add(-5 * time.Second)},
			"b": {Visible: 7, InFlight: 5, At: t0.Add(-10 * time.Minute)},
		}},
	})
	d, _ := Decide(g, input, settled())
	want := []InputAge{
		{Policy: "cpu", Name: "metric", Value: 70, Age: 30 * time.Second},
		{Policy: "jobs", Name: "a", Value: 15, Age: 5 * time.Second},
		{Policy: "jobs", Name: "b", Value: 7, Age: 10 * time.Minute, Stale: true},
	}
	if !reflect.DeepEqual(d.Inputs, want) {
		t.Errorf("Inputs = %+v\nwant     %+v", d.Inputs, want)
	}
	if d.Group != "web" || !d.At.Equal(t0) || d.Current != 4 {
		t.Errorf("decision header = %q %v %d", d.Group, d.At, d.Current)
	}
}

func TestPolicyWithoutKind(t *testing.T) {
	d, _ := Decide(group(Policy{Name: "empty"}), in(3, 3, nil), settled())
	if p := d.Proposals[0]; p.OK || p.Reason != "no policy kind is set" {
		t.Errorf("proposal = %+v", p)
	}
}
