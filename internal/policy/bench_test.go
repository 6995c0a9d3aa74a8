package policy

import (
	"testing"
	"time"
)

// typical is a group as most deployments run it: target tracking on CPU, a
// backlog policy over two queues, a three-step alarm, a history of 30
// recommendations (five minutes at the 10 s cycle) and arrival
// estimates for both queues.
func typical() (Group, Input, State) {
	g := Group{
		Name: "workers", Min: 2, Max: 200, MaxAge: 2 * time.Minute,
		MaxScaleOutStep: RateLimit{Value: 50, Percent: true},
		Policies: []Policy{
			{Name: "cpu", TargetTracking: &TargetTracking{Target: 60}},
			{Name: "jobs", Backlog: &Backlog{Queues: []Queue{
				{Name: "jobs-high", SecondsPerMessage: 0.5, AcceptableLatency: 30 * time.Second, CountInFlight: true},
				{Name: "jobs-low", SecondsPerMessage: 2, AcceptableLatency: 5 * time.Minute, CountInFlight: true, Concurrency: 4},
			}}},
			{Name: "latency", Step: &Step{Threshold: 500, Comparison: GreaterThanOrEqual, EvaluationPeriods: 3,
				DatapointsToAlarm: 2, AdjustmentType: PercentChangeInCapacity, MinAdjustmentMagnitude: 1,
				Adjustments: []StepAdjustment{
					{LowerBound: fp(0), UpperBound: fp(200), Adjustment: 10},
					{LowerBound: fp(200), UpperBound: fp(500), Adjustment: 20},
					{LowerBound: fp(500), Adjustment: 40},
				}}},
		},
	}
	in := Input{
		Now: t0, Current: 20, Serving: 18, Pending: 2, ASGMin: 1, ASGMax: 250,
		Policies: map[string]PolicyInput{
			"cpu": metric(72, 40*time.Second),
			"jobs": {Queues: map[string]QueueObservation{
				"jobs-high": {Visible: 400, InFlight: 30, At: t0.Add(-time.Second), ReadAt: t0},
				"jobs-low":  {Visible: 2000, InFlight: 60, At: t0.Add(-time.Second), ReadAt: t0},
			}},
			"latency": series(720, 640, 480),
		},
		Floors: []Floor{{Name: "morning", Capacity: 10}},
	}
	st := State{Since: t0.Add(-time.Hour), Arrivals: []Arrival{
		{Policy: "jobs", Queue: "jobs-high", Backlog: 380, InFlight: 28, At: t0.Add(-11 * time.Second), Raw: [3]float64{55, 60, 58}, Raws: 3, Lambda: 57},
		{Policy: "jobs", Queue: "jobs-low", Backlog: 2100, InFlight: 60, At: t0.Add(-11 * time.Second), Raw: [3]float64{120, 110, 118}, Raws: 3, Lambda: 116},
	}}
	for i := 30; i > 0; i-- {
		st.History = append(st.History, Recommendation{At: t0.Add(-time.Duration(i) * 10 * time.Second), Capacity: 18 + i%5})
	}
	return g, in, st
}

func BenchmarkDecide(b *testing.B) {
	g, in, st := typical()
	b.ReportAllocs()
	for b.Loop() {
		Decide(g, in, st)
	}
}

func TestTypicalDecision(t *testing.T) {
	g, in, st := typical()
	d, next := Decide(g, in, st)
	for _, p := range d.Proposals {
		if !p.OK {
			t.Errorf("proposal %q not OK: %s", p.Policy, p.Reason)
		}
	}
	if d.Desired <= d.Current || len(next.History) != 30 || len(next.Arrivals) != 2 {
		t.Errorf("decision %s, history %d, arrivals %d", d.Reason, len(next.History), len(next.Arrivals))
	}
	t.Log(d.Reason)
	for _, p := range d.Proposals {
		t.Logf("%s %q: %d %s", p.Kind, p.Policy, p.Capacity, p.Reason)
	}
}
