package baseline

import (
	"strings"
	"testing"
	"time"
)

// queue sets the queue read of a tick.
func queue(visible, inFlight int) func(*Tick) {
	return func(g *Tick) { g.Queue = Queue{Visible: visible, InFlight: inFlight} }
}

// TestHPATraces drives the hpa baseline over hand-worked traces. Target 10
// messages per replica; the HPA syncs at 0, 15, 30, ... s and decides
// nothing in between.
func TestHPATraces(t *testing.T) {
	tests := []struct {
		name   string
		config HPAConfig
		group  Tick
		script map[int]func(*Tick)
		until  int
		want   map[int]int
	}{
		{
			// 10 replicas. 105 messages (100 visible + 5 in flight): ratio
			// 105 / (10 * 10) = 1.05, inside the 0.1 tolerance: hold.
			// From 30 s, 111: ratio 1.11, outside: ceil(111 / 10) = 12.
			// At 45 s, 111 / (10 * 12) = 0.925, inside: hold.
			name:   "tolerance band",
			config: HPAConfig{TargetPerPod: 10},
			group:  group(10, 1, 100),
			script: map[int]func(*Tick){0: queue(100, 5), 30: queue(106, 5)},
			until:  60,
			want:   map[int]int{30: 12},
		},
		{
			// 2 replicas, 1000 messages: the proposal is 100, but each
			// 15 s period allows max(start + 4, 2 * start): 6, 12, 24, 48,
			// 96. At 96 the ratio 1000 / (10 * 96) = 1.04 is inside the
			// tolerance: the HPA stays there.
			name:   "scale-up limited to max(+100%, +4 pods) per 15 s",
			config: HPAConfig{TargetPerPod: 10},
			group:  group(2, 1, 100),
			script: map[int]func(*Tick){0: queue(1000, 0)},
			until:  100,
			want:   map[int]int{0: 6, 15: 12, 30: 24, 45: 48, 60: 96},
		},
		{
			// Syncing every 5 s, the 15 s scale-up period spans three
			// syncs: 2 -> 6 at 0 s; at 5 and 10 s the period started at
			// 6 - 4 = 2 replicas, so the limit stays 6; at 15 s the event
			// of 0 s has left the period: 12; at 30 s: 24.
			name:   "scale-up policy period spans several syncs",
			config: HPAConfig{TargetPerPod: 10, Sync: 5 * time.Second},
			group:  group(2, 1, 100),
			script: map[int]func(*Tick){0: queue(1000, 0)},
			until:  30,
			want:   map[int]int{0: 6, 15: 12, 30: 24},
		},
		{
			// 20 replicas at the target (200 messages) at 0 s. From 15 s
			// 50 messages (proposal 5), at 60 s briefly 150 (proposal 15,
			// ratio 0.75), from 75 s 50 again. Scale-down goes to the
			// highest recommendation of the last 300 s:
			//   15..285 s: the 20 of 0 s is in the window: hold.
			//   300 s: 0 s has left the window (cutoff exclusive); the 15 of
			//          60 s is the highest: 15.
			//   360 s: 60 s has left the window: 5.
			name:   "scale-down stabilization holds the highest recommendation for 300 s",
			config: HPAConfig{TargetPerPod: 10},
			group:  group(20, 1, 100),
			script: map[int]func(*Tick){0: queue(200, 0), 15: queue(50, 0), 60: queue(150, 0), 75: queue(50, 0)},
			until:  420,
			want:   map[int]int{300: 15, 360: 5},
		},
		{
			// KEDA counts in-flight messages by default: 50 in flight on 2
			// replicas: ratio 2.5, proposal 5 (within the +4 limit).
			name:   "in-flight messages count by default",
			config: HPAConfig{TargetPerPod: 10},
			group:  group(2, 1, 100),
			script: map[int]func(*Tick){0: queue(0, 50)},
			until:  30,
			want:   map[int]int{0: 5},
		},
		{
			name:   "CountInFlight set explicitly",
			config: HPAConfig{TargetPerPod: 10, CountInFlight: true},
			group:  group(2, 1, 100),
			script: map[int]func(*Tick){0: queue(0, 50)},
			until:  30,
			want:   map[int]int{0: 5},
		},
		{
			// Without in-flight messages the metric is 0: proposal 0. With
			// no history (a new HPA) nothing holds it up; scale-down may
			// remove 100%, but the HPA's minReplicas is 1.
			name:   "in-flight messages ignored",
			config: HPAConfig{TargetPerPod: 10, IgnoreInFlight: true},
			group:  group(2, 1, 100),
			script: map[int]func(*Tick){0: queue(0, 50)},
			until:  30,
			want:   map[int]int{0: 1},
		},
		{
			// MinSize 0, no replicas. KEDA activates at the first sync
			// with a message (30 s): 1 replica. 3 messages on 1 replica:
			// ratio 0.3, proposal 1: hold. The queue empties at 50 s; the
			// last sync that saw a message was 45 s; KEDA scales to zero
			// after its 300 s cooldown, at the 345 s sync.
			name:   "KEDA activation from zero and cooldown to zero",
			config: HPAConfig{TargetPerPod: 10},
			group:  Tick{Min: 0, Max: 10},
			script: map[int]func(*Tick){20: queue(3, 0), 50: queue(0, 0)},
			until:  400,
			want:   map[int]int{30: 1, 345: 0},
		},
		{
			// A scheduled action raised MinSize above the desired
			// capacity: the HPA goes to its minimum.
			name:   "below the minimum",
			config: HPAConfig{TargetPerPod: 10},
			group:  Tick{Desired: 2, Min: 8, Max: 20, InService: 2, Serving: 2},
			script: map[int]func(*Tick){0: queue(0, 0)},
			until:  10,
			want:   map[int]int{0: 8},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewHPA(tc.config)
			if p.Name() != NameHPA {
				t.Errorf("Name() = %q", p.Name())
			}
			wantDecisions(t, run(t, p, nil, tc.group, tc.until, tc.script), tc.want)
		})
	}
}

func TestHPAValidate(t *testing.T) {
	tests := []struct {
		name   string
		config HPAConfig
		fields []string
	}{
		{"defaults with a target", HPAConfig{TargetPerPod: 5}, nil},
		{"no target", HPAConfig{}, []string{"target_per_pod"}},
		{"bad tolerance and sync", HPAConfig{TargetPerPod: 5, Tolerance: -0.1, Sync: time.Millisecond}, []string{"tolerance", "sync"}},
		{"bad scale-down percent", HPAConfig{TargetPerPod: 5, ScaleDownPercent: 150}, []string{"scale_down_percent"}},
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
