package config

import (
	"math"
	"testing"
)

func TestUnitsPerMessage(t *testing.T) {
	backlog := func(u float64, qs ...Queue) Policy {
		return Policy{Name: "jobs", Backlog: &Backlog{TargetUtilization: u, Queues: qs}}
	}
	for _, tc := range []struct {
		name string
		g    Group
		want float64
		ok   bool
	}{
		{"one queue", Group{Policies: []Policy{backlog(1, Queue{Name: "q", SecondsPerMessage: 2, Concurrency: 4})}}, 0.5, true},
		{"utilization below one costs more", Group{Policies: []Policy{backlog(0.8, Queue{Name: "q", SecondsPerMessage: 2, Concurrency: 4})}}, 0.625, true},
		{"the costliest queue", Group{Policies: []Policy{backlog(1, Queue{Name: "a", SecondsPerMessage: 1, Concurrency: 4}, Queue{Name: "b", SecondsPerMessage: 3, Concurrency: 2})}}, 1.5, true},
		{"concurrency left out is one", Group{Policies: []Policy{backlog(1, Queue{Name: "q", SecondsPerMessage: 0.2})}}, 0.2, true},
		{"per_instance by target alone", Group{Policies: []Policy{backlog(1, Queue{Name: "q", TargetPerInstance: 100})}}, 0, false},
		{"no backlog policy", Group{Policies: []Policy{{Name: "cpu", TargetTracking: &TargetTracking{Target: 60}}}}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.g.UnitsPerMessage()
			if ok != tc.ok || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("UnitsPerMessage = %g, %v; want %g, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
