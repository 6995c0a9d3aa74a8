package baseline

import (
	"math"
	"testing"
	"time"
)

// BenchmarkDay runs each baseline over one day of virtual time, one
// Decide per second, against a day of per-minute datapoints.
func BenchmarkDay(b *testing.B) {
	const seconds = 86400
	cw := newFakeCW()
	visible := make([]float64, seconds/60)
	for k := range visible {
		visible[k] = 1000 + 900*math.Sin(float64(k)/90)
	}
	cw.backlog(10, visible...)
	cw.periods(MetricCPU, time.Minute, time.Minute, visible...)
	cw.publish(start.Add(48 * time.Hour))
	demand := make([]int, seconds)
	for i := range demand {
		demand[i] = int(visible[i/60] / 100)
	}
	policies := []struct {
		name string
		new  func() Policy
	}{
		{NameTargetTracking, func() Policy { return NewTargetTracking(TargetTrackingConfig{Target: 100}) }},
		{NameStep, func() Policy { return NewStep(StepConfig{Threshold: 100}) }},
		{NameHPA, func() Policy { return NewHPA(HPAConfig{TargetPerPod: 100}) }},
		{NameOracle, func() Policy { return NewOracle(demand, time.Second, 210*time.Second) }},
	}
	for _, pc := range policies {
		b.Run(pc.name, func(b *testing.B) {
			for b.Loop() {
				p := pc.new()
				g := group(10, 1, 200)
				g.Metrics = cw
				for s := range seconds {
					g.Now = start.Add(time.Duration(s) * time.Second)
					g.Queue.Visible = int(visible[s/60])
					if n, ok := p.Decide(g); ok {
						g.Desired, g.InService, g.Serving = n, n, n
					}
				}
			}
		})
	}
}
