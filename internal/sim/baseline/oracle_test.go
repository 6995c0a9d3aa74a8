package baseline

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestOracleTraces(t *testing.T) {
	// Demand per 10 s step: a need of 5 during [30 s, 50 s), 1 otherwise.
	demand := []int{1, 1, 1, 5, 5, 1, 1, 1, 1, 1}
	tests := []struct {
		name  string
		lead  time.Duration
		until int
		want  map[int]int
	}{
		{
			// desired(t) = max demand over [t, t+20 s].
			//   t < 10: steps 0..2: 1.   t = 10: steps 1..3: 5.
			//   t = 49: steps 4..6: 5.   t = 50: steps 5..7: 1.
			// Past the demand's end its last value holds.
			name:  "look-ahead of two steps",
			lead:  20 * time.Second,
			until: 200,
			want:  map[int]int{10: 5, 50: 1},
		},
		{
			// [t, t+25 s] reaches step 3 from t = 5.
			name:  "look-ahead reaching into a partial step",
			lead:  25 * time.Second,
			until: 100,
			want:  map[int]int{5: 5, 50: 1},
		},
		{
			name:  "no look-ahead follows demand",
			lead:  0,
			until: 100,
			want:  map[int]int{30: 5, 50: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewOracle(demand, 10*time.Second, tc.lead)
			if p.Name() != NameOracle {
				t.Errorf("Name() = %q", p.Name())
			}
			wantDecisions(t, run(t, p, nil, group(1, 0, 100), tc.until, nil), tc.want)
		})
	}
}

// TestOracleWindowMax checks the one-pass window maximum against the
// definition over seeded random demand.
func TestOracleWindowMax(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		d := make([]int, 1+r.IntN(60))
		for i := range d {
			d[i] = r.IntN(20) - 2
		}
		w := 1 + r.IntN(10)
		got := windowMax(d, w)
		for i := range d {
			want := 0
			for j := i; j < min(i+w, len(d)); j++ {
				want = max(want, d[j])
			}
			if got[i] != want {
				t.Fatalf("trial %d: windowMax(%v, %d)[%d] = %d, want %d", trial, d, w, i, got[i], want)
			}
		}
	}
}

func TestOracleWithoutDemand(t *testing.T) {
	tests := []struct {
		name   string
		demand []int
		step   time.Duration
	}{
		{"no demand", nil, time.Second},
		{"zero step", []int{3}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewOracle(tc.demand, tc.step, time.Minute)
			wantDecisions(t, run(t, p, nil, group(1, 0, 10), 5, nil), map[int]int{})
		})
	}
}

func TestStatic(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		group    Tick
		want     map[int]int
	}{
		{"sets its capacity once", 7, group(3, 1, 10), map[int]int{0: 7}},
		{"already there", 7, group(7, 1, 10), map[int]int{}},
		{"negative is zero", -3, group(2, 0, 10), map[int]int{0: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewStatic(tc.capacity)
			if p.Name() != NameStatic {
				t.Errorf("Name() = %q", p.Name())
			}
			wantDecisions(t, run(t, p, nil, tc.group, 60, nil), tc.want)
		})
	}
}

// TestInvalidConfigsNeverAct checks that a baseline built from an invalid
// configuration holds the group whatever it sees, without panicking.
func TestInvalidConfigsNeverAct(t *testing.T) {
	cw := newFakeCW()
	cw.backlog(1, repeat(1e6, 30)...)
	tests := []struct {
		name string
		p    Policy
	}{
		{"target tracking without target", NewTargetTracking(TargetTrackingConfig{})},
		{"step with NaN threshold", NewStep(StepConfig{Threshold: missing})},
		{"hpa without target", NewHPA(HPAConfig{})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := group(1, 1, 100)
			g.Queue = Queue{Visible: 1e6}
			wantDecisions(t, run(t, tc.p, cw, g, 1800, nil), map[int]int{})
		})
	}
}
