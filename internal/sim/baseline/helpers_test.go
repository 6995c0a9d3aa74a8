package baseline

import (
	"maps"
	"math"
	"slices"
	"testing"
	"time"
)

// start is the run start of every trace; periods are aligned on it.
var start = time.Date(2026, 12, 15, 6, 0, 0, 0, time.UTC)

// missing marks a period whose datapoint is never published.
var missing = math.NaN()

// publication is one datapoint waiting for its publication time.
type publication struct {
	due    time.Time
	metric string
	point  Datapoint
}

// fakeCW is CloudWatch as the world shows it: datapoints become visible
// at their publication time.
type fakeCW struct {
	queue  []publication
	series map[string][]Datapoint
}

func newFakeCW() *fakeCW { return &fakeCW{series: map[string][]Datapoint{}} }

// Last implements Metrics.
func (f *fakeCW) Last(metric string, n int) []Datapoint {
	s := f.series[metric]
	if n < len(s) {
		s = s[len(s)-n:]
	}
	return s
}

// periods queues one datapoint per period k = 0, 1, ... with values[k],
// published delay after its period ends; a missing value is never
// published.
func (f *fakeCW) periods(metric string, period, delay time.Duration, values ...float64) {
	for k, v := range values {
		if math.IsNaN(v) {
			continue
		}
		at := start.Add(time.Duration(k) * period)
		f.queue = append(f.queue, publication{due: at.Add(period + delay), metric: metric, point: Datapoint{At: at, Value: v}})
	}
}

// backlog queues the two metrics of backlog per instance, one minute
// apart with a 60 s delay: visible[k] messages and fleet InService
// instances in every period (missing visible values are withheld in both).
func (f *fakeCW) backlog(fleet float64, visible ...float64) {
	f.periods(MetricSQSVisible, time.Minute, time.Minute, visible...)
	in := make([]float64, len(visible))
	for k, v := range visible {
		in[k] = fleet
		if math.IsNaN(v) {
			in[k] = missing
		}
	}
	f.periods(MetricInService, time.Minute, time.Minute, in...)
}

// publish makes every datapoint due by now visible, in period order.
func (f *fakeCW) publish(now time.Time) {
	kept := f.queue[:0]
	for _, p := range f.queue {
		if p.due.After(now) {
			kept = append(kept, p)
			continue
		}
		f.series[p.metric] = append(f.series[p.metric], p.point)
	}
	f.queue = kept
	for _, s := range f.series {
		slices.SortFunc(s, func(a, b Datapoint) int { return a.At.Compare(b.At) })
	}
}

// run drives p once per second from 0 to until (inclusive) as the world
// does: datapoints due are published, the changes scripted for that second
// are applied, then Decide is called; a decision is clamped to [Min, Max]
// and becomes the desired capacity. It returns every decision by second.
func run(t *testing.T, p Policy, cw *fakeCW, g Tick, until int, script map[int]func(*Tick)) map[int]int {
	t.Helper()
	got := map[int]int{}
	for s := 0; s <= until; s++ {
		g.Now = start.Add(time.Duration(s) * time.Second)
		if cw != nil {
			cw.publish(g.Now)
			g.Metrics = cw
		}
		if f := script[s]; f != nil {
			f(&g)
		}
		if n, ok := p.Decide(g); ok {
			got[s] = n
			g.Desired = min(max(n, g.Min), g.Max)
		}
	}
	return got
}

// wantDecisions fails unless got holds exactly the decisions of want.
func wantDecisions(t *testing.T, got, want map[int]int) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("decisions by second:\n got %v\nwant %v", got, want)
	}
}

// repeat returns n copies of v.
func repeat(v float64, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// cat concatenates value lists.
func cat(parts ...[]float64) []float64 { return slices.Concat(parts...) }

// group is a steady group of n instances, all serving.
func group(n, lo, hi int) Tick {
	return Tick{Desired: n, Min: lo, Max: hi, InService: n, Serving: n}
}
