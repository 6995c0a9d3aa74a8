package scenario

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// loadOf parses a one-hour scenario with the given load list and returns
// its Load for seed 1.
func loadOf(t *testing.T, load string) Load {
	t.Helper()
	s := mustParse(t, "duration: 1h\nslo: 2m\nworkers: {per_instance_rate: 10, max: 20}\nload:\n"+load)
	l := s.Load(1)
	if len(l.Rates) != 3600 {
		t.Fatalf("len(Rates) = %d, want 3600", len(l.Rates))
	}
	return l
}

func TestLoadShapes(t *testing.T) {
	type at struct {
		second int
		want   float64
	}
	tests := []struct {
		name   string
		load   string
		points []at
	}{
		{"constant", "  - constant: {rate: 50}\n", []at{{0, 50}, {1800, 50}, {3599, 50}}},
		{"step with until", "  - step: {at: 10s, rate: 5, until: 20s}\n", []at{{9, 0}, {10, 5}, {19, 5}, {20, 0}}},
		{"step without until holds", "  - step: {at: 10s, rate: 5}\n", []at{{9, 0}, {10, 5}, {3599, 5}}},
		{"steps add up", "  - constant: {rate: 1}\n  - step: {at: 10s, rate: 5}\n  - step: {at: 20s, rate: 3, until: 30s}\n",
			[]at{{0, 1}, {10, 6}, {25, 9}, {30, 6}}},
		// Linear from 0 at 10 s to 100 at 20 s: 50 half way.
		{"ramp", "  - ramp: {from: 10s, to: 20s, rate: 100, until: 30s}\n", []at{{9, 0}, {10, 0}, {15, 50}, {19, 90}, {20, 100}, {29, 100}, {30, 0}}},
		{"ramp holds without until", "  - ramp: {from: 10s, to: 20s, rate: 100}\n", []at{{3599, 100}}},
		// Rise 10 s to 100, then 100*exp(-t/60 s): 100/e one decay
		// constant after the rise ends, 100/e^2 after two.
		{"spike", "  - spike: {at: 10s, peak: 100, rise: 10s, decay: 60s}\n",
			[]at{{9, 0}, {10, 0}, {15, 50}, {20, 100}, {80, 100 / math.E}, {140, 100 / (math.E * math.E)}}},
		{"spike without rise", "  - spike: {at: 10s, peak: 100, decay: 60s}\n", []at{{9, 0}, {10, 100}, {70, 100 / math.E}}},
		// 20 + 10 cos(2π(t-15)/60): 30 at 15 s, 20 at 0 and 30 s, 10 at 45 s.
		{"sinusoid peaks at its phase", "  - constant: {rate: 20}\n  - sinusoid: {period: 60s, amplitude: 10, phase: 15s}\n",
			[]at{{0, 20}, {15, 30}, {30, 20}, {45, 10}, {75, 30}}},
		{"total clamped at zero", "  - constant: {rate: 5}\n  - sinusoid: {period: 60s, amplitude: 10}\n",
			[]at{{0, 15}, {30, 0}, {20, 0}}},
		// three-minutes.csv: 600, 1200, 0 invocations per minute = 10, 20,
		// 0 per second, each held for its minute, repeated every three.
		{"trace held over each row and repeated", "  - trace: {file: three-minutes.csv}\n",
			[]at{{0, 10}, {59, 10}, {60, 20}, {119, 20}, {120, 0}, {179, 0}, {180, 10}, {240, 20}}},
		{"trace scaled to a peak", "  - trace: {file: three-minutes.csv, peak: 40}\n", []at{{0, 20}, {60, 40}, {120, 0}}},
		// The mean over a cycle is (10+20+0)/3 = 10.
		{"trace scaled to a mean", "  - trace: {file: three-minutes.csv, mean: 5}\n", []at{{0, 5}, {60, 10}, {120, 0}}},
		{"trace scaled by a factor", "  - trace: {file: three-minutes.csv, scale: 3}\n", []at{{0, 30}, {60, 60}}},
		// seconds.csv: rate 5 from 0 s, 7.5 from 10 s; the last row lasts
		// as long as the one before, so the cycle is 20 s.
		{"trace of rates per second", "  - trace: {file: seconds.csv}\n", []at{{0, 5}, {9, 5}, {10, 7.5}, {19, 7.5}, {20, 5}, {30, 7.5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := loadOf(t, tc.load)
			for _, p := range tc.points {
				if got := l.Rates[p.second]; math.Abs(got-p.want) > 1e-9 {
					t.Errorf("rate at %ds = %g, want %g", p.second, got, p.want)
				}
			}
		})
	}
}

func TestLoadBursts(t *testing.T) {
	l := loadOf(t, "  - constant: {rate: 1}\n  - burst: {at: 30s, messages: 500}\n  - burst: {at: 10s, messages: 7}\n")
	want := []Burst{{At: 10 * time.Second, Messages: 7}, {At: 30 * time.Second, Messages: 500}}
	if !reflect.DeepEqual(l.Bursts, want) {
		t.Errorf("bursts = %+v, want %+v", l.Bursts, want)
	}
	for i, r := range l.Rates {
		if r != 1 {
			t.Fatalf("a burst changed the rate at %ds: %g", i, r)
		}
	}
}

func TestLoadDeterminism(t *testing.T) {
	s := mustParse(t, base+"  - noise: {relative: 0.2, correlation: 30s}\n")
	a, b, c := s.Load(7), s.Load(7), s.Load(8)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different loads")
	}
	differ := 0
	for i := range a.Rates {
		if a.Rates[i] != c.Rates[i] {
			differ++
		}
	}
	if differ < len(a.Rates)/2 {
		t.Errorf("seeds 7 and 8 differ in %d of %d seconds", differ, len(a.Rates))
	}

	quiet := mustParse(t, base)
	if !reflect.DeepEqual(quiet.Load(1), quiet.Load(2)) {
		t.Error("a load without noise depends on the seed")
	}
}

func TestNoiseStatistics(t *testing.T) {
	tests := []struct {
		name        string
		correlation string
		// wantLag is the autocorrelation expected 30 s apart.
		wantLag float64
	}{
		{"white", "0s", 0},
		{"correlated over a minute", "60s", math.Exp(-0.5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, "duration: 168h\nslo: 2m\nworkers: {per_instance_rate: 10, max: 20}\nload:\n"+
				"  - constant: {rate: 100}\n  - noise: {relative: 0.1, correlation: "+tc.correlation+"}\n")
			r := s.Load(42).Rates
			n := float64(len(r))
			mean, variance, lag := 0.0, 0.0, 0.0
			for _, v := range r {
				mean += v / n
			}
			for i, v := range r {
				variance += (v - mean) * (v - mean) / n
				if i >= 30 {
					lag += (v - mean) * (r[i-30] - mean) / n
				}
			}
			sd := math.Sqrt(variance)
			if math.Abs(mean-100) > 1 {
				t.Errorf("mean = %g, want about 100", mean)
			}
			if math.Abs(sd-10) > 1 {
				t.Errorf("standard deviation = %g, want about 10 (10%% of 100)", sd)
			}
			if got := lag / variance; math.Abs(got-tc.wantLag) > 0.05 {
				t.Errorf("autocorrelation at 30 s = %g, want about %g", got, tc.wantLag)
			}
		})
	}
}

func TestLoadNeverNegative(t *testing.T) {
	s := mustParse(t, base+"  - sinusoid: {period: 10m, amplitude: 80}\n  - noise: {relative: 3, correlation: 0s}\n")
	for seed := range uint64(5) {
		for i, v := range s.Load(seed).Rates {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("seed %d: rate at %ds = %g", seed, i, v)
			}
		}
	}
}
