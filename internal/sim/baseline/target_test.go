package baseline

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestTargetTrackingTraces drives the target tracking baseline second by
// second over hand-worked traces. Datapoints are per minute; the one of
// minute k (period [k, k+1) minutes) is published 60 s after it ends, at
// second (k+2)*60. The alarms evaluate at each period boundary and at each
// publication; the high alarm's range is 5 periods, the low alarm's 17.
func TestTargetTrackingTraces(t *testing.T) {
	tests := []struct {
		name   string
		config TargetTrackingConfig
		// data queues the datapoints.
		data   func(cw *fakeCW)
		group  Tick
		script map[int]func(*Tick)
		until  int
		want   map[int]int
	}{
		{
			// Backlog per instance (target 100) of minutes 0..5: 50, 150,
			// 150, 150, 150, 250 with 10 InService.
			//   120 s: range [- - - 50 -]: OK.
			//   180 s: [- - 50 150 -]: a real non-breaching point: OK.
			//   240 s: [- 50 150 150 -]: 2 of the 3 most recent: OK, no action.
			//   300 s: [50 150 150 150 -]: 3 of 3: ALARM at the moment the
			//          third is published: ceil(1500 / 100) = 15 > 10.
			//   360 s: still ALARM, invoked again: ceil(1500/100) = 15 is
			//          covered by the 5 instances still pending: no action.
			//   420 s: 2500 visible: ceil(2500/100) = 25 > 15: scale out.
			name:   "three of three above target, then warming capacity counted",
			config: TargetTrackingConfig{Target: 100},
			data:   func(cw *fakeCW) { cw.backlog(10, 500, 1500, 1500, 1500, 1500, 2500) },
			group:  group(10, 1, 100),
			script: map[int]func(*Tick){301: func(g *Tick) { g.Pending = 5 }},
			until:  450,
			want:   map[int]int{300: 15, 420: 25},
		},
		{
			// Minutes 0..4: 50, 150, 150, missing, 150.
			//   240 s: [- 50 150 150 -]: OK.   300 s: [50 150 150 - -]: OK.
			//   360 s: [150 150 - 150 -]: the 3 most recent real datapoints
			//          all breach; the gap does not reset the count
			//          (CloudWatch table row "0 X X - X"): 15.
			name:   "a missing datapoint inside the range",
			config: TargetTrackingConfig{Target: 100},
			data:   func(cw *fakeCW) { cw.backlog(10, 500, 1500, 1500, missing, 1500) },
			group:  group(10, 1, 100),
			until:  420,
			want:   map[int]int{360: 15},
		},
		{
			// Minute 0: 50, minutes 1..10 missing (an outage), then 150,
			// 150, 150 at minutes 11..13, published at 780, 840, 900 s.
			//   480 s on: no datapoint in range: INSUFFICIENT_DATA.
			//   780 s: [- - - 150 -]: too few to alarm, stays as it is.
			//   840 s: [- - 150 150 -]: the oldest breaching datapoint of the
			//          last 3 periods is 3 periods old and nothing newer is
			//          below: the premature-alarm rule puts it in ALARM: 15.
			name:   "recovery after an outage",
			config: TargetTrackingConfig{Target: 100},
			data: func(cw *fakeCW) {
				cw.backlog(10, cat([]float64{500}, repeat(missing, 10), repeat(1500, 3))...)
			},
			group: group(10, 1, 100),
			until: 960,
			want:  map[int]int{840: 15},
		},
		{
			// CPU target 50: 6 InService of which 2 warming. Minutes 0..3:
			// 40, 80, 80, 80. At 300 s the high alarm fires; warming
			// instances are not current capacity while scaling out:
			// ceil(4 * 80 / 50) = ceil(6.4) = 7 > 6.
			name:   "cpu: warming instances are not current capacity",
			config: TargetTrackingConfig{Metric: CPU, Target: 50},
			data:   func(cw *fakeCW) { cw.periods(MetricCPU, time.Minute, time.Minute, 40, 80, 80, 80) },
			group:  Tick{Desired: 6, Min: 1, Max: 20, InService: 6, Serving: 4},
			until:  330,
			want:   map[int]int{300: 7},
		},
		{
			// 20 instances. Minute 0: 80 per instance (between the low
			// threshold 70 and the target 100), minutes 1..15: 10 per
			// instance (200 visible).
			//   960 s: 15 most recent = minutes 0..14, minute 0 is not
			//          below 70: OK.
			//   1020 s: minutes 1..15 all below: ALARM. The proportional
			//          capacity is ceil(200 / 100) = 2, but one scale-in
			//          removes at most 0.3 x 20 = 6: 14.
			//   1080 s: invoked again, inside the 300 s cooldown: no action.
			name:   "scale in only after 15 of 15 low datapoints, by one step",
			config: TargetTrackingConfig{Target: 100},
			data:   func(cw *fakeCW) { cw.backlog(20, cat([]float64{1600}, repeat(200, 16))...) },
			group:  group(20, 1, 100),
			until:  1100,
			want:   map[int]int{1020: 14},
		},
		{
			// As above with a step of 1: straight to the proportional
			// capacity, ceil(200 / 100) = 2.
			name:   "a whole step goes to the proportional capacity",
			config: TargetTrackingConfig{Target: 100, ScaleInStep: 1},
			data:   func(cw *fakeCW) { cw.backlog(20, cat([]float64{1600}, repeat(200, 16))...) },
			group:  group(20, 1, 100),
			until:  1100,
			want:   map[int]int{1020: 2},
		},
		{
			// As above with one instance warming until 1050 s: the
			// invocation at 1020 s is blocked; the next, a period later at
			// 1080 s, scales in by floor(0.3 x 21) = 6.
			name:   "no scale-in while an instance warms",
			config: TargetTrackingConfig{Target: 100},
			data:   func(cw *fakeCW) { cw.backlog(20, cat([]float64{1600}, repeat(200, 16))...) },
			group:  Tick{Desired: 21, Min: 1, Max: 100, InService: 21, Serving: 20},
			script: map[int]func(*Tick){1050: func(g *Tick) { g.Serving = 21 }},
			until:  1100,
			want:   map[int]int{1080: 15},
		},
		{
			// An empty queue reads 0 whatever its throughput. Minutes
			// 0..54: 0 visible, 20 instances, MinSize 2.
			//   900 s: minutes 0..13 are published and all below; the
			//          oldest of the last 15 periods is 15 periods old: the
			//          premature-alarm rule puts the low alarm in ALARM.
			//          The proportional capacity is 0; one step removes
			//          floor(0.3 x 20) = 6: 14.
			//   Then one step per 300 s cooldown: 14 - 4 = 10, 10 - 3 = 7,
			//   7 - 2 = 5, 5 - 1 = 4, 4 - 1 = 3, 3 - 1 = 2 = MinSize.
			name:   "a metric of 0 walks the group down to MinSize step by step",
			config: TargetTrackingConfig{Target: 100},
			data:   func(cw *fakeCW) { cw.backlog(20, repeat(0, 55)...) },
			group:  group(20, 2, 100),
			until:  3300,
			want:   map[int]int{900: 14, 1200: 10, 1500: 7, 1800: 5, 2100: 4, 2400: 3, 2700: 2},
		},
		{
			// 1-of-1 alarms, a 600 s cooldown, 10 InService in every
			// period. Minute 0: 10 per instance, minute 1: 500, minutes
			// 2 and 3: 10 again.
			//   120 s: low: 10 - floor(3) = 7, cooldown until 720 s.
			//   180 s: high: ceil(5000 / 100) = 50, which ends the cooldown.
			//   240 s: low again (the 50 are in service by then): 50 - 15.
			//   300 s: low, inside the new cooldown: no action.
			name: "a scale-out ends the scale-in cooldown",
			config: TargetTrackingConfig{
				Target: 100, ScaleOutDatapoints: 1, ScaleInDatapoints: 1, ScaleInCooldown: 10 * time.Minute,
			},
			data:   func(cw *fakeCW) { cw.backlog(10, 100, 5000, 100, 100) },
			group:  group(10, 1, 100),
			script: map[int]func(*Tick){181: func(g *Tick) { g.InService, g.Serving = 50, 50 }},
			until:  400,
			want:   map[int]int{120: 7, 180: 50, 240: 35},
		},
		{
			// As above without the scale-out: the second scale-in waits
			// for the cooldown, then removes floor(0.3 x 7) = 2.
			name: "the scale-in cooldown holds the next scale-in",
			config: TargetTrackingConfig{
				Target: 100, ScaleOutDatapoints: 1, ScaleInDatapoints: 1, ScaleInCooldown: 10 * time.Minute,
			},
			data:  func(cw *fakeCW) { cw.backlog(10, repeat(100, 13)...) },
			group: group(10, 1, 100),
			until: 800,
			want:  map[int]int{120: 7, 720: 5},
		},
		{
			name:   "no scale-in while an instance is pending",
			config: TargetTrackingConfig{Target: 100},
			data:   func(cw *fakeCW) { cw.backlog(20, cat([]float64{1600}, repeat(200, 16))...) },
			group:  Tick{Desired: 21, Min: 1, Max: 100, InService: 20, Serving: 20, Pending: 1},
			until:  1100,
			want:   map[int]int{},
		},
		{
			name:   "scale-in disabled",
			config: TargetTrackingConfig{Target: 100, DisableScaleIn: true},
			data:   func(cw *fakeCW) { cw.backlog(20, cat([]float64{1600}, repeat(200, 16))...) },
			group:  group(20, 1, 100),
			until:  1100,
			want:   map[int]int{},
		},
		{
			// Minute 0 neutral, minutes 1..10 low (published up to 720 s),
			// then an outage. While minute 0 is in the 17-period range its
			// non-breaching datapoint keeps the low alarm OK. At 1080 s it
			// has left; minutes 1..10 are too few for 15 of 15, but the
			// oldest breaching datapoint of the last 15 periods (minute 3)
			// is 15 periods old with nothing newer below the threshold:
			// the documented premature-alarm rule puts the alarm in ALARM
			// on stale data, and it scales in by a step, to 14. At 1380 s,
			// after the cooldown, minutes 6..10 are still in range and the
			// oldest breaching one of the last 15 periods (minute 8) is 15
			// periods old: ALARM again, 14 - 4 = 10. At 1680 s no
			// datapoint is left in range: INSUFFICIENT_DATA, no action.
			name:   "stale low datapoints after an outage",
			config: TargetTrackingConfig{Target: 100},
			data:   func(cw *fakeCW) { cw.backlog(20, cat([]float64{1600}, repeat(200, 10))...) },
			group:  group(20, 1, 100),
			until:  1800,
			want:   map[int]int{1080: 14, 1380: 10},
		},
		{
			name:   "no datapoints: no action",
			config: TargetTrackingConfig{Target: 100},
			data:   func(*fakeCW) {},
			group:  group(20, 1, 100),
			until:  1200,
			want:   map[int]int{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cw := newFakeCW()
			tc.data(cw)
			p := NewTargetTracking(tc.config)
			if p.Name() != NameTargetTracking {
				t.Errorf("Name() = %q", p.Name())
			}
			wantDecisions(t, run(t, p, cw, tc.group, tc.until, tc.script), tc.want)
		})
	}
}

func TestTargetTrackingValidate(t *testing.T) {
	tests := []struct {
		name   string
		config TargetTrackingConfig
		fields []string // each must appear in the error; none: valid
	}{
		{"defaults with a target", TargetTrackingConfig{Target: 10}, nil},
		{"cpu", TargetTrackingConfig{Metric: CPU, Target: 70, Period: 5 * time.Minute}, nil},
		{"no target", TargetTrackingConfig{}, []string{"target"}},
		{"unknown metric and bad ratio", TargetTrackingConfig{Metric: "latency", Target: 1, ScaleInRatio: 1.5}, []string{"metric", "scale_in_ratio"}},
		{"datapoints above periods", TargetTrackingConfig{Target: 1, ScaleOutDatapoints: 4, ScaleOutPeriods: 3}, []string{"scale_out_datapoints"}},
		{"negative periods and warmup", TargetTrackingConfig{Target: 1, ScaleInPeriods: -1, Warmup: -time.Second}, []string{"scale_in_periods", "warmup"}},
		{"sub-second period", TargetTrackingConfig{Target: 1, Period: time.Millisecond}, []string{"period"}},
		{"alarm longer than a day", TargetTrackingConfig{Target: 1, ScaleInPeriods: 1441}, []string{"scale_in_periods"}},
		{"scale-in step above 1 and negative cooldown", TargetTrackingConfig{Target: 1, ScaleInStep: 1.5, ScaleInCooldown: -time.Second},
			[]string{"scale_in_step", "scale_in_cooldown"}},
		{"negative scale-in step", TargetTrackingConfig{Target: 1, ScaleInStep: -0.1}, []string{"scale_in_step"}},
		{"whole scale-in step", TargetTrackingConfig{Target: 1, ScaleInStep: 1}, nil},
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
				if !strings.Contains(err.Error(), f+":") {
					t.Errorf("error %q does not name %q", err, f)
				}
			}
		})
	}
}

func TestTargetTrackingDefaults(t *testing.T) {
	c := TargetTrackingConfig{Target: 5, ScaleOutPeriods: 4}.withDefaults()
	if c.Metric != BacklogPerInstance || c.Period != time.Minute || c.ScaleOutDatapoints != 4 || c.ScaleOutPeriods != 4 ||
		c.ScaleInDatapoints != 15 || c.ScaleInPeriods != 15 || c.ScaleInRatio != 0.7 ||
		math.Abs(c.ScaleInStep-0.3) > 1e-12 || c.ScaleInCooldown != 300*time.Second {
		t.Errorf("defaults = %+v", c)
	}
	// The step follows the low alarm's ratio unless set.
	if c := (TargetTrackingConfig{Target: 5, ScaleInRatio: 0.5}).withDefaults(); c.ScaleInStep != 0.5 {
		t.Errorf("step with ratio 0.5 = %v, want 0.5", c.ScaleInStep)
	}
}

// TestTargetTrackingScaleInStep checks the bound of one scale-in against
// the proportional capacity, MinSize and float noise.
func TestTargetTrackingScaleInStep(t *testing.T) {
	tests := []struct {
		name    string
		step    float64
		desired int
		min     int
		visible float64 // with target 100
		want    int
		ok      bool
	}{
		{name: "proportional capacity within the step", step: 0.3, desired: 10, min: 1, visible: 800, want: 8, ok: true},
		{name: "step binds", step: 0.3, desired: 10, min: 1, visible: 0, want: 7, ok: true},
		{name: "float noise: 0.29 x 100 removes 29", step: 0.29, desired: 100, min: 1, visible: 0, want: 71, ok: true},
		{name: "at least one instance", step: 0.3, desired: 3, min: 1, visible: 0, want: 2, ok: true},
		{name: "MinSize binds", step: 0.5, desired: 10, min: 8, visible: 0, want: 8, ok: true},
		{name: "at MinSize: nothing to remove", step: 0.3, desired: 2, min: 2, visible: 0, want: 2, ok: false},
		{name: "removing one would exceed the target", step: 0.3, desired: 10, min: 1, visible: 950, want: 10, ok: false},
		{name: "whole step", step: 1, desired: 40, min: 1, visible: 0, want: 1, ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewTargetTracking(TargetTrackingConfig{Target: 100, ScaleInStep: tc.step}).(*targetTracking)
			r := &reading{value: tc.visible / float64(tc.desired), load: tc.visible}
			g := group(tc.desired, tc.min, 100)
			got, ok := p.scaleIn(r, g)
			if got != tc.want || ok != tc.ok {
				t.Errorf("scaleIn = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
