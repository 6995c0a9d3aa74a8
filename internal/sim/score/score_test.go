package score

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"
)

const tolerance = 1e-9

func ptr(v float64) *float64 { return &v }

// handRun is six samples at a 10 s step with an SLO of 30 s:
//
//	i  demand supply billed age
//	0    2      2      2     0s
//	1    2      2      3    10s
//	2    4      2      3    40s   first demand step (threshold max(3, 3) = 3), offset 20 s
//	3    4      3      4    50s
//	4    4      5      5    30s   equal to the SLO: not a violation
//	5    3      4      5     0s
func handRun() Input {
	return Input{
		Policy: "headroom",
		Step:   10 * time.Second,
		SLO:    30 * time.Second,
		Samples: []Sample{
			{Demand: 2, Supply: 2, Billed: 2, Warm: 3, Desired: 2},
			{Demand: 2, Supply: 2, Billed: 3, Warm: 3, Desired: 3, BacklogAge: 10 * time.Second},
			{Demand: 4, Supply: 2, Billed: 3, Desired: 3, BacklogAge: 40 * time.Second},
			{Demand: 4, Supply: 3, Billed: 4, Desired: 4, BacklogAge: 50 * time.Second},
			{Demand: 4, Supply: 5, Billed: 5, Desired: 5, BacklogAge: 30 * time.Second},
			{Demand: 3, Supply: 4, Billed: 5, Desired: 4},
		},
		// Out of order on purpose: the earliest qualifying call counts.
		Actions: []Action{
			{At: 5 * time.Second, From: 2, To: 3},  // scale-out before the step
			{At: 35 * time.Second, From: 4, To: 5}, // scale-out after the step, not the first
			{At: 25 * time.Second, From: 3, To: 2}, // scale-in after the step
			{At: 28 * time.Second, From: 3, To: 4}, // first scale-out after the step: 8 s
		},
	}
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name string
		in   func() Input
		want Result
	}{
		{
			name: "hand-computed run",
			in:   handRun,
			want: Result{
				Policy: "headroom",
				// billed 2+3+3+4+5+5 = 22 samples of 10 s = 220 s.
				InstanceHours: 220.0 / 3600,
				// warm 3+3 = 6 samples of 10 s, apart from billed.
				WarmInstanceHours: 60.0 / 3600,
				// under: 2 at i2, 1 at i3 -> 3/6; in 2 of 6 samples.
				UnderProvisioningAccuracy:  0.5,
				UnderProvisioningTimeshare: 2.0 / 6,
				// over: 1 at i4, 1 at i5 -> 2/6; in 2 of 6 samples.
				OverProvisioningAccuracy:  2.0 / 6,
				OverProvisioningTimeshare: 2.0 / 6,
				// supply changes at i3, i4, i5 (3); demand at i2, i5 (2);
				// run length 60 s = 1/60 h -> (3-2) * 60.
				Jitter: 60,
				// i2 and i3 are over the SLO: 2 * 10 s = 1/3 min.
				SLOViolationMinutes:  1.0 / 3,
				MaxBacklogAgeSeconds: 50,
				ScalingActions:       4,
				ReactionSeconds:      ptr(8),
				// Supply first covers demand at i4, 20 s after the step.
				ServingReactionSeconds: ptr(20),
			},
		},
		{
			name: "empty run",
			in:   func() Input { return Input{Policy: "hpa", Step: time.Second} },
			want: Result{Policy: "hpa"},
		},
		{
			name: "actions without samples are still counted",
			in: func() Input {
				return Input{Policy: "hpa", Step: time.Second, Actions: []Action{{At: 0, From: 1, To: 2}}}
			},
			want: Result{Policy: "hpa", ScalingActions: 1},
		},
		{
			name: "zero step leaves the time-based figures at zero",
			in: func() Input {
				in := handRun()
				in.Step = 0
				in.Actions = []Action{{At: 3 * time.Second, From: 1, To: 2}}
				return in
			},
			want: Result{
				Policy:                     "headroom",
				UnderProvisioningAccuracy:  0.5,
				UnderProvisioningTimeshare: 2.0 / 6,
				OverProvisioningAccuracy:   2.0 / 6,
				OverProvisioningTimeshare:  2.0 / 6,
				MaxBacklogAgeSeconds:       50,
				ScalingActions:             1,
				// The step is at offset 2*0 = 0; the call 3 s in follows it.
				ReactionSeconds:        ptr(3),
				ServingReactionSeconds: ptr(0),
			},
		},
		{
			name: "scale-out exactly at the step reacts in zero seconds",
			in: func() Input {
				in := handRun()
				in.Actions = []Action{{At: 20 * time.Second, From: 2, To: 4}}
				return in
			},
			want: func() Result {
				r := handResult()
				r.ScalingActions = 1
				r.ReactionSeconds = ptr(0)
				return r
			}(),
		},
		{
			name: "no scale-out after the step",
			in: func() Input {
				in := handRun()
				in.Actions = []Action{
					{At: 19 * time.Second, From: 2, To: 4},
					{At: 40 * time.Second, From: 4, To: 3},
					{At: 45 * time.Second, From: 3, To: 3},
				}
				return in
			},
			want: func() Result {
				r := handResult()
				r.ScalingActions = 3
				r.ReactionSeconds = nil
				return r
			}(),
		},
		{
			// Desired capacity is 2, 3, then 4 at the step (i2): the step's
			// level (max(2+2, 2*2)), asked for at i1, 10 s ahead of it.
			name: "scaled out for the step ahead of it",
			in: func() Input {
				in := aheadRun()
				in.Lookahead = 20 * time.Second
				return in
			},
			want: func() Result {
				r := aheadResult()
				r.ReactionSeconds = ptr(-10)
				return r
			}(),
		},
		{
			// The same rise with no call recorded for it, as a scheduled
			// action makes it.
			name: "a rise by a scheduled action counts too",
			in: func() Input {
				in := aheadRun()
				in.Lookahead = 20 * time.Second
				in.Actions = in.Actions[2:]
				return in
			},
			want: func() Result {
				r := aheadResult()
				r.ScalingActions = 1
				r.ReactionSeconds = ptr(-10)
				return r
			}(),
		},
		{
			// At the step's level for the whole lookahead: no rise for it;
			// the first call after the step counts.
			name: "at the step's level since before the lookahead",
			in: func() Input {
				in := aheadRun()
				in.Lookahead = 0
				return in
			},
			want: aheadResult(),
		},
		{
			// Up to 3 at the step, whose level is 4: the call at 5 s did
			// not scale out for it, so the call after it counts.
			name: "a scale-out that leaves the step short is no reaction to it",
			in: func() Input {
				in := handRun()
				in.Lookahead = 20 * time.Second
				return in
			},
			want: handResult(),
		},
		{
			// Up to 5 at i1 and back to 2 before the step: the trough at
			// i2 starts no rise, so the call after the step counts.
			name: "a scale-out undone before the step is no reaction",
			in: func() Input {
				in := handRun()
				in.Lookahead = time.Minute
				in.Samples[1].Desired = 5
				in.Samples[2].Desired = 2
				in.Actions = []Action{
					{At: 5 * time.Second, From: 2, To: 5},
					{At: 15 * time.Second, From: 5, To: 2},
					{At: 28 * time.Second, From: 2, To: 4},
				}
				return in
			},
			want: func() Result {
				r := handResult()
				r.ScalingActions = 3
				return r
			}(),
		},
		{
			name: "serving capacity that never covers demand",
			in: func() Input {
				in := handRun()
				for i := 2; i < len(in.Samples); i++ {
					in.Samples[i].Supply = 1
				}
				return in
			},
			want: Result{
				Policy:                     "headroom",
				InstanceHours:              220.0 / 3600,
				UnderProvisioningAccuracy:  (3 + 3 + 3 + 2) / 6.0,
				UnderProvisioningTimeshare: 4.0 / 6,
				// supply changes at i2 only; demand at i2, i5.
				Jitter:               -60,
				SLOViolationMinutes:  1.0 / 3,
				MaxBacklogAgeSeconds: 50,
				ScalingActions:       4,
				ReactionSeconds:      ptr(8),
			},
		},
		{
			name: "no demand step",
			in: func() Input {
				return Input{
					Policy: "static-peak",
					Step:   time.Second,
					SLO:    time.Minute,
					Samples: []Sample{
						{Demand: 4, Supply: 6, Billed: 6, Desired: 6},
						{Demand: 5, Supply: 6, Billed: 6, Desired: 6}, // 5 < max(5, 6)
						{Demand: 2, Supply: 6, Billed: 6, Desired: 6},
					},
					Actions: []Action{{At: time.Second, From: 4, To: 6}},
				}
			},
			want: Result{
				Policy:                    "static-peak",
				InstanceHours:             18.0 / 3600,
				OverProvisioningAccuracy:  (2 + 1 + 4) / 3.0,
				OverProvisioningTimeshare: 1,
				// no supply changes, two demand changes over 3 s.
				Jitter:         -2 / (3.0 / 3600),
				ScalingActions: 1,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Compute(tc.in())
			assertResult(t, got, tc.want)
		})
	}
}

// aheadRun is handRun scaled out for its step: desired capacity 2, 3, 4
// from calls at 5 s and 15 s (samples show a call from the next step on),
// and one more at 35 s.
func aheadRun() Input {
	in := handRun()
	in.Samples[1].Desired = 3
	in.Samples[2].Desired = 4
	in.Actions = []Action{
		{At: 5 * time.Second, From: 2, To: 3},
		{At: 15 * time.Second, From: 3, To: 4},
		{At: 35 * time.Second, From: 4, To: 5},
	}
	return in
}

// aheadResult is Compute(aheadRun()) without a lookahead: the call at
// 35 s is the first at or after the step.
func aheadResult() Result {
	r := handResult()
	r.ScalingActions = 3
	r.ReactionSeconds = ptr(15)
	return r
}

// handResult is Compute(handRun()) worked out by hand (see TestCompute).
func handResult() Result {
	return Result{
		Policy:                     "headroom",
		InstanceHours:              220.0 / 3600,
		UnderProvisioningAccuracy:  0.5,
		UnderProvisioningTimeshare: 2.0 / 6,
		OverProvisioningAccuracy:   2.0 / 6,
		OverProvisioningTimeshare:  2.0 / 6,
		Jitter:                     60,
		SLOViolationMinutes:        1.0 / 3,
		MaxBacklogAgeSeconds:       50,
		ScalingActions:             4,
		ReactionSeconds:            ptr(8),
		ServingReactionSeconds:     ptr(20),
	}
}

func assertResult(t *testing.T, got, want Result) {
	t.Helper()
	if got.Policy != want.Policy {
		t.Errorf("policy = %q, want %q", got.Policy, want.Policy)
	}
	floats := []struct {
		name      string
		got, want float64
	}{
		{"instance_hours", got.InstanceHours, want.InstanceHours},
		{"under_provisioning_accuracy", got.UnderProvisioningAccuracy, want.UnderProvisioningAccuracy},
		{"over_provisioning_accuracy", got.OverProvisioningAccuracy, want.OverProvisioningAccuracy},
		{"under_provisioning_timeshare", got.UnderProvisioningTimeshare, want.UnderProvisioningTimeshare},
		{"over_provisioning_timeshare", got.OverProvisioningTimeshare, want.OverProvisioningTimeshare},
		{"jitter", got.Jitter, want.Jitter},
		{"slo_violation_minutes", got.SLOViolationMinutes, want.SLOViolationMinutes},
		{"max_backlog_age_seconds", got.MaxBacklogAgeSeconds, want.MaxBacklogAgeSeconds},
	}
	for _, f := range floats {
		if math.Abs(f.got-f.want) > tolerance {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if got.ScalingActions != want.ScalingActions {
		t.Errorf("scaling_actions = %d, want %d", got.ScalingActions, want.ScalingActions)
	}
	assertOptional(t, "reaction_seconds", got.ReactionSeconds, want.ReactionSeconds)
	assertOptional(t, "serving_reaction_seconds", got.ServingReactionSeconds, want.ServingReactionSeconds)
	assertOptional(t, "oracle_cost_ratio", got.OracleCostRatio, want.OracleCostRatio)
}

func assertOptional(t *testing.T, name string, got, want *float64) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", name, show(got), show(want))
	case math.Abs(*got-*want) > tolerance:
		t.Errorf("%s = %v, want %v", name, *got, *want)
	}
}

func show(v *float64) any {
	if v == nil {
		return "null"
	}
	return *v
}

func TestSetOracle(t *testing.T) {
	tests := []struct {
		name    string
		results []Result
		want    []*float64
	}{
		{
			name: "ratios against the oracle, wherever it is",
			results: []Result{
				{Policy: "headroom", InstanceHours: 30},
				{Policy: "static-peak", InstanceHours: 80},
				{Policy: "oracle", InstanceHours: 20},
			},
			want: []*float64{ptr(1.5), ptr(4), ptr(1)},
		},
		{
			name: "the first oracle counts",
			results: []Result{
				{Policy: "oracle", InstanceHours: 10},
				{Policy: "oracle", InstanceHours: 40},
			},
			want: []*float64{ptr(1), ptr(4)},
		},
		{
			name: "without an oracle nothing changes",
			results: []Result{
				{Policy: "headroom", InstanceHours: 30, OracleCostRatio: ptr(7)},
				{Policy: "hpa", InstanceHours: 20},
			},
			want: []*float64{ptr(7), nil},
		},
		{
			name: "an oracle with no cost leaves every ratio null",
			results: []Result{
				{Policy: "headroom", InstanceHours: 30, OracleCostRatio: ptr(7)},
				{Policy: "oracle", InstanceHours: 0},
			},
			want: []*float64{nil, nil},
		},
		{
			name:    "no results",
			results: nil,
			want:    nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			SetOracle(tc.results)
			for i, r := range tc.results {
				assertOptional(t, r.Policy, r.OracleCostRatio, tc.want[i])
			}
		})
	}
}

func TestSetOracleDoesNotShareRatios(t *testing.T) {
	results := []Result{{Policy: "oracle", InstanceHours: 2}, {Policy: "hpa", InstanceHours: 4}}
	SetOracle(results)
	*results[0].OracleCostRatio = 99
	if got := *results[1].OracleCostRatio; got != 2 {
		t.Fatalf("hpa ratio = %v after changing the oracle's, want 2", got)
	}
}

func TestResultJSONNames(t *testing.T) {
	tests := []struct {
		name     string
		result   Result
		wantNull []string
	}{
		{
			name:     "before SetOracle and without a reaction",
			result:   Result{Policy: "hpa"},
			wantNull: []string{"oracle_cost_ratio", "reaction_seconds", "serving_reaction_seconds"},
		},
		{
			name:   "every figure set",
			result: Result{Policy: "headroom", OracleCostRatio: ptr(1.2), ReactionSeconds: ptr(-14), ServingReactionSeconds: ptr(0)},
		},
	}
	wantKeys := []string{
		"policy", "instance_hours", "oracle_cost_ratio",
		"under_provisioning_accuracy", "over_provisioning_accuracy",
		"under_provisioning_timeshare", "over_provisioning_timeshare",
		"jitter", "slo_violation_minutes", "max_backlog_age_seconds",
		"scaling_actions", "reaction_seconds", "serving_reaction_seconds", "warm_instance_hours",
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.result)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(data, &fields); err != nil {
				t.Fatalf("unmarshal %s: %v", data, err)
			}
			var keys []string
			for k := range fields {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			want := slices.Sorted(slices.Values(wantKeys))
			if !slices.Equal(keys, want) {
				t.Fatalf("keys = %v, want %v", keys, want)
			}
			for _, k := range wantKeys {
				isNull := string(fields[k]) == "null"
				if isNull != slices.Contains(tc.wantNull, k) {
					t.Errorf("%s = %s, null expected: %v", k, fields[k], slices.Contains(tc.wantNull, k))
				}
			}
		})
	}
}

func TestResultJSONOrder(t *testing.T) {
	data, err := json.Marshal(Result{Policy: "p"})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	want := `{"policy":"p","instance_hours":0,"oracle_cost_ratio":null,` +
		`"under_provisioning_accuracy":0,"over_provisioning_accuracy":0,` +
		`"under_provisioning_timeshare":0,"over_provisioning_timeshare":0,` +
		`"jitter":0,"slo_violation_minutes":0,"max_backlog_age_seconds":0,` +
		`"scaling_actions":0,"reaction_seconds":null,"serving_reaction_seconds":null,"warm_instance_hours":0}`
	if string(data) != want {
		t.Fatalf("json =\n%s\nwant\n%s", data, want)
	}
}

func TestMean(t *testing.T) {
	seeds := [][]Result{
		{
			{Policy: "hpa", InstanceHours: 10, OracleCostRatio: ptr(2), Jitter: -3, ScalingActions: 4, ReactionSeconds: ptr(-10), ServingReactionSeconds: ptr(30)},
			{Policy: "oracle", InstanceHours: 5, OracleCostRatio: ptr(1), SLOViolationMinutes: 1},
		},
		{
			{Policy: "hpa", InstanceHours: 20, OracleCostRatio: ptr(2.5), Jitter: 3, ScalingActions: 5, ServingReactionSeconds: ptr(60)},
			{Policy: "oracle", InstanceHours: 8, OracleCostRatio: ptr(1), MaxBacklogAgeSeconds: 90},
		},
	}
	got := Mean(seeds)
	if len(got) != 2 || got[0].Policy != "hpa" || got[1].Policy != "oracle" {
		t.Fatalf("policies %+v", got)
	}
	assertResult(t, got[0], Result{
		Policy: "hpa", InstanceHours: 15, OracleCostRatio: ptr(2.25),
		// 4.5 calls round to 5; the reaction is null in one seed.
		ScalingActions: 5, ReactionSeconds: ptr(-10), ServingReactionSeconds: ptr(45),
	})
	assertResult(t, got[1], Result{
		Policy: "oracle", InstanceHours: 6.5, OracleCostRatio: ptr(1),
		SLOViolationMinutes: 0.5, MaxBacklogAgeSeconds: 45,
	})
	if got := Mean(nil); len(got) != 0 {
		t.Fatalf("Mean(nil) = %v", got)
	}
}
