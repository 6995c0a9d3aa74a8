package baseline

import (
	"strings"
	"testing"
	"time"
)

func f64(x float64) *float64 { return &x }

// TestStepTraces drives the step scaling baseline over hand-worked traces.
// The scale-out alarm is 1 of 1 with a range of 3 periods; datapoints of
// minute k are published at second (k+2)*60.
func TestStepTraces(t *testing.T) {
	// The steps of the example in "Step and simple scaling policies"
	// (EC2 Auto Scaling User Guide), threshold 50: [50, 60) unchanged,
	// [60, 70) +10%, 70 and above +30%.
	docSteps := []StepAdjustment{
		{Lower: f64(0), Upper: f64(10), Adjustment: 0, Type: PercentChangeInCapacity},
		{Lower: f64(10), Upper: f64(20), Adjustment: 10, Type: PercentChangeInCapacity},
		{Lower: f64(20), Adjustment: 30, Type: PercentChangeInCapacity},
	}
	tests := []struct {
		name   string
		config StepConfig
		data   func(cw *fakeCW)
		group  Tick
		script map[int]func(*Tick)
		until  int
		want   map[int]int
	}{
		{
			// Threshold 100 backlog per instance, default steps, 10
			// serving throughout (new instances stay pending). Minutes
			// 0..3: 120, 130, 170, 250 per instance.
			//   120 s: 120 is in [100, 150): +1 on 10 serving = 11 > 10.
			//   180 s: 130, same step: 10 + 1 = 11, already desired: a
			//          single scaling activity for both breaches.
			//   240 s: 170 in [150, 200): +50% of 10 = 5: 15 > 11.
			//   300 s: 250 in [200, inf): +100% of 10 = 10: 20 > 15.
			//   360 s: the range still holds minute 3: invoked, 20 desired.
			//   420 s: no datapoint in range: INSUFFICIENT_DATA.
			name:   "each step on serving capacity, in-progress adjustment not added again",
			config: StepConfig{Threshold: 100},
			data:   func(cw *fakeCW) { cw.backlog(10, 1200, 1300, 1700, 2500) },
			group:  group(10, 1, 100),
			until:  480,
			want:   map[int]int{120: 11, 240: 15, 300: 20},
		},
		{
			// The guide's warm-up example: desired 11 with one instance
			// warming, 10 serving. CPU 60 -> 62: +10% of 10 = 1 -> 11,
			// already desired. 70: +30% of 10 = 3 -> 13 > 11, so only 2
			// are added.
			name:   "the user guide's warm-up example",
			config: StepConfig{Metric: CPU, Threshold: 50, Steps: docSteps},
			data:   func(cw *fakeCW) { cw.periods(MetricCPU, time.Minute, time.Minute, 60, 62, 70) },
			group:  Tick{Desired: 11, Min: 1, Max: 100, InService: 11, Serving: 10},
			until:  280,
			want:   map[int]int{240: 13},
		},
		{
			// In [50, 60) the step adjustment is 0%: no change, and
			// MinAdjustmentMagnitude does not apply to a zero adjustment.
			name:   "a zero step holds",
			config: StepConfig{Metric: CPU, Threshold: 50, Steps: docSteps},
			data:   func(cw *fakeCW) { cw.periods(MetricCPU, time.Minute, time.Minute, 55, 59) },
			group:  group(10, 1, 100),
			until:  240,
			want:   map[int]int{},
		},
		{
			// Threshold 100, scale-in at or below 50 for 15 of 15, -10%.
			// 14 InService. Minute 0: 70 per instance (neither alarm),
			// minutes 1..16: 20 per instance.
			//   1020 s: minutes 1..15 low: -10% of 14 = -1.4, toward zero
			//           -1: 13. Instances terminate at 1030 s.
			//   1080 s: -10% of 13 = -1.3 -> -1: 12.
			name:   "gradual scale-in by percent of InService",
			config: StepConfig{Threshold: 100},
			data:   func(cw *fakeCW) { cw.backlog(14, cat([]float64{980}, repeat(280, 16))...) },
			group:  group(14, 1, 100),
			script: map[int]func(*Tick){
				1030: func(g *Tick) { g.InService, g.Serving = 13, 13 },
				1090: func(g *Tick) { g.InService, g.Serving = 12, 12 },
			},
			until: 1100,
			want:  map[int]int{1020: 13, 1080: 12},
		},
		{
			// As above with an instance warming until 1050 s: the
			// invocation at 1020 s is blocked, the one at 1080 s acts on
			// the then 14 InService.
			name:   "no scale-in while an instance warms",
			config: StepConfig{Threshold: 100},
			data:   func(cw *fakeCW) { cw.backlog(14, cat([]float64{980}, repeat(280, 16))...) },
			group:  Tick{Desired: 14, Min: 1, Max: 100, InService: 14, Serving: 13},
			script: map[int]func(*Tick){1050: func(g *Tick) { g.Serving = 14 }},
			until:  1100,
			want:   map[int]int{1080: 13},
		},
		{
			// 2 serving, 4 desired after a scheduled action raised
			// MinSize: 120 per instance asks for +1 on 2 = 3, below the
			// desired capacity: no action.
			name:   "scale-out below the desired capacity does nothing",
			config: StepConfig{Threshold: 100},
			data:   func(cw *fakeCW) { cw.backlog(2, 240, 240) },
			group:  Tick{Desired: 4, Min: 4, Max: 100, InService: 2, Serving: 2, Pending: 2},
			until:  200,
			want:   map[int]int{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cw := newFakeCW()
			tc.data(cw)
			p := NewStep(tc.config)
			if p.Name() != NameStep {
				t.Errorf("Name() = %q", p.Name())
			}
			wantDecisions(t, run(t, p, cw, tc.group, tc.until, tc.script), tc.want)
		})
	}
}

// TestStepAdjustments checks the step choice, AWS's rounding of
// PercentChangeInCapacity and MinAdjustmentMagnitude.
func TestStepAdjustments(t *testing.T) {
	tests := []struct {
		name    string
		steps   []StepAdjustment
		minAdj  int
		diff    float64
		serving int
		want    int
		matched bool
	}{
		{"default: +1 at the threshold (lower bound inclusive)", nil, 0, 0, 10, 11, true},
		{"default: +50% at half the threshold above it", nil, 0, 50, 10, 15, true},
		{"default: +50% of 3 = 1.5 rounds down to 1", nil, 0, 60, 3, 4, true},
		{"default: +50% of 1 = 0.5 rounds up to 1", nil, 0, 60, 1, 2, true},
		{"default: +50% of 7 = 3.5 rounds down to 3", nil, 0, 99, 7, 10, true},
		{"default: +100% at twice the threshold", nil, 0, 100, 6, 12, true},
		{"default: +100% of 0 serving is raised to the magnitude 1", nil, 0, 500, 0, 1, true},
		{"min adjustment magnitude 2 raises +50% of 2", nil, 2, 60, 2, 4, true},
		{"below the threshold no step matches", nil, 0, -1, 10, 0, false},
		{"exact capacity", []StepAdjustment{{Lower: f64(0), Adjustment: 30, Type: ExactCapacity}}, 0, 5, 10, 30, true},
		{"change in capacity is whole", []StepAdjustment{{Lower: f64(0), Adjustment: 2.7}}, 0, 5, 10, 12, true},
		{"upper bound exclusive", []StepAdjustment{{Lower: f64(0), Upper: f64(10), Adjustment: 1}, {Lower: f64(10), Adjustment: 5}}, 0, 10, 10, 15, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewStep(StepConfig{Threshold: 100, Steps: tc.steps, MinAdjustmentMagnitude: tc.minAdj}).(*step)
			if p.invalid {
				t.Fatal("config is invalid")
			}
			got, ok := p.scaleOut(tc.diff, tc.serving)
			if ok != tc.matched || (ok && got != tc.want) {
				t.Errorf("scaleOut(%v, %d) = %d, %v; want %d, %v", tc.diff, tc.serving, got, ok, tc.want, tc.matched)
			}
		})
	}
}

func TestRoundPercent(t *testing.T) {
	// The examples of "Scaling adjustment types".
	tests := []struct {
		in, want float64
	}{
		{12.7, 12}, {0.67, 1}, {-0.58, -1}, {-6.67, -6}, {0, 0}, {1, 1}, {-1, -1},
		{0.7 * 10, 7}, {-1.4, -1}, {3.0000000001, 3},
	}
	for _, tc := range tests {
		if got := roundPercent(tc.in); got != tc.want {
			t.Errorf("roundPercent(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestStepScaleInPercent(t *testing.T) {
	tests := []struct {
		name      string
		pct       float64
		minAdj    int
		inService float64
		want      float64
	}{
		{"-10% of 14 rounds toward zero", -10, 0, 14, -1},
		{"-10% of 3 is at least one", -10, 0, 3, -1},
		{"-10% of 25 is -2.5 -> -2", -10, 0, 25, -2},
		{"a positive setting is taken as a decrease", 10, 0, 25, -2},
		{"magnitude 3", -10, 3, 25, -3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewStep(StepConfig{Threshold: 1, ScaleInAdjustmentPercent: tc.pct, MinAdjustmentMagnitude: tc.minAdj}).(*step)
			if got := p.percent(tc.inService, p.c.ScaleInAdjustmentPercent); got != tc.want {
				t.Errorf("percent(%v, %v) = %v, want %v", tc.inService, p.c.ScaleInAdjustmentPercent, got, tc.want)
			}
		})
	}
}

func TestStepValidate(t *testing.T) {
	tests := []struct {
		name   string
		config StepConfig
		fields []string
	}{
		{"defaults with a threshold", StepConfig{Threshold: 10}, nil},
		{"no threshold", StepConfig{}, []string{"threshold"}},
		{"bad step type", StepConfig{Threshold: 1, Steps: []StepAdjustment{{Lower: f64(0), Type: "Double"}}}, []string{"steps[0]: type"}},
		{"unbounded step", StepConfig{Threshold: 1, Steps: []StepAdjustment{{Adjustment: 1}}}, []string{"steps[0]: lower, upper"}},
		{"negative exact capacity", StepConfig{Threshold: 1, Steps: []StepAdjustment{{Lower: f64(0), Adjustment: -1, Type: ExactCapacity}}}, []string{"steps[0]: adjustment"}},
		{"bad alarm and magnitude", StepConfig{Threshold: 1, Datapoints: 2, Periods: 1, MinAdjustmentMagnitude: -1}, []string{"scale_out_datapoints", "min_adjustment_magnitude"}},
		{"negative scale-in threshold", StepConfig{Threshold: 1, ScaleInThreshold: -1}, []string{"scale_in_threshold"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.config.Validate()
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, f := range tc.fields {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not name %q", err, f)
				}
			}
		})
	}
}
