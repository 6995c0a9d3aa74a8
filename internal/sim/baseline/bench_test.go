package baseline

import (
	"math"
	"math/rand/v2"
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
		{NameOracle, func() Policy { return NewOracle(OraclePlan{Desired: demand}, time.Second) }},
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

// BenchmarkPlanOracle plans a day of arrivals that swing between 100 and
// 1,900 messages a second with per-second noise, served 10 a second by
// each instance, with a 5-minute SLO.
func BenchmarkPlanOracle(b *testing.B) {
	const seconds = 86400
	r := rand.New(rand.NewPCG(1, 2))
	arrivals := make([]int, seconds)
	for i := range arrivals {
		arrivals[i] = int((1000 + 900*math.Sin(float64(i)/5400)) * (0.9 + 0.2*r.Float64()))
	}
	in := OracleInput{
		Step: time.Second, Arrivals: arrivals, Concurrency: 10, Service: 1,
		SLO: 5 * time.Minute, Warmup: time.Minute, Min: 1, Max: 400,
		Launch: func(k int) time.Duration { return time.Duration(60+k%60) * time.Second },
	}
	for b.Loop() {
		PlanOracle(in)
	}
}
