package scenario

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestDistQuantile(t *testing.T) {
	tests := []struct {
		name string
		d    Dist
		p    float64
		want time.Duration
	}{
		{"lognormal median", LogNormal(90*time.Second, 150*time.Second), 0.5, 90 * time.Second},
		{"lognormal p90", LogNormal(90*time.Second, 150*time.Second), 0.9, 150 * time.Second},
		// p10 mirrors p90 around the median on the log scale: 90²/150 = 54 s.
		{"lognormal p10", LogNormal(90*time.Second, 150*time.Second), 0.1, 54 * time.Second},
		// sigma = ln(150/90)/1.2816 = 0.3986; p99 = 90 exp(0.3986*2.3263) = 227.5 s.
		{"lognormal p99", LogNormal(90*time.Second, 150*time.Second), 0.99, 227486 * time.Millisecond},
		{"uniform", Uniform(60*time.Second, 120*time.Second), 0.25, 75 * time.Second},
		{"uniform at 0", Uniform(60*time.Second, 120*time.Second), 0, 60 * time.Second},
		{"uniform past 1", Uniform(60*time.Second, 120*time.Second), 3, 120 * time.Second},
		// mean + 1.2816 stddev.
		{"normal p90", Normal(90*time.Second, 20*time.Second), 0.9, 115631 * time.Millisecond},
		{"normal cut off at 10% of the mean", Normal(10*time.Second, 20*time.Second), 0.01, time.Second},
		{"fixed", Fixed(90 * time.Second), 0.99, 90 * time.Second},
		{"zero", Dist{}, 0.5, 0},
		{"NaN is the median", LogNormal(90*time.Second, 150*time.Second), math.NaN(), 90 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.d.Quantile(tc.p)
			if diff := got - tc.want; diff < -time.Millisecond || diff > time.Millisecond {
				t.Errorf("%s.Quantile(%g) = %s, want %s", tc.d, tc.p, got, tc.want)
			}
		})
	}
}

func TestDistSample(t *testing.T) {
	tests := []struct {
		name string
		d    Dist
		// checkMean compares the sample mean with Mean: not for a wide
		// normal, whose cut-off lifts the mean, nor for a wide lognormal,
		// whose tail makes the sample mean wander.
		checkMean bool
	}{
		{"fixed", Fixed(90 * time.Second), true},
		{"uniform", Uniform(60*time.Second, 120*time.Second), true},
		{"normal", Normal(90*time.Second, 20*time.Second), true},
		{"wide normal", Normal(30*time.Second, 60*time.Second), false},
		{"lognormal", LogNormal(90*time.Second, 150*time.Second), true},
		{"wide lognormal", LogNormal(10*time.Second, 10*time.Minute), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			const n = 20000
			samples := make([]time.Duration, n)
			var sum float64
			for i := range samples {
				s := tc.d.Sample(r)
				if s < 0 {
					t.Fatalf("negative sample %s", s)
				}
				samples[i] = s
				sum += float64(s)
			}
			slices.Sort(samples)
			for _, p := range []float64{0.5, 0.9} {
				got, want := samples[int(p*n)], tc.d.Quantile(p)
				if rel := math.Abs(float64(got-want)) / max(float64(want), 1); rel > 0.05 {
					t.Errorf("empirical p%g = %s, Quantile says %s", p*100, got, want)
				}
			}
			if tc.checkMean {
				mean := time.Duration(sum / n)
				if rel := math.Abs(float64(mean-tc.d.Mean())) / float64(tc.d.Mean()); rel > 0.05 {
					t.Errorf("sample mean = %s, Mean = %s", mean, tc.d.Mean())
				}
			}
			if floor := time.Duration(normalFloor * float64(tc.d.a)); tc.d.Kind() == DistNormal && samples[0] < floor {
				t.Errorf("normal sample %s below the floor %s", samples[0], floor)
			}
		})
	}
}

func TestDistConstructorsNeverGoNegative(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, d := range []Dist{
		Fixed(-time.Second), Uniform(-time.Second, -2*time.Second), Uniform(2*time.Second, time.Second),
		Normal(-time.Second, -time.Second), LogNormal(-time.Second, time.Second), LogNormal(time.Second, 0),
	} {
		for range 1000 {
			if s := d.Sample(r); s < 0 {
				t.Fatalf("%s sampled %s", d, s)
			}
		}
		for _, p := range []float64{-1, 0, 0.5, 1, 2} {
			if q := d.Quantile(p); q < 0 {
				t.Fatalf("%s.Quantile(%g) = %s", d, p, q)
			}
		}
	}
}

func TestDistParsing(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want Dist
	}{
		{"scalar is fixed", "90s", Fixed(90 * time.Second)},
		{"fixed", "{distribution: fixed, value: 90s}", Fixed(90 * time.Second)},
		{"uniform", "{distribution: uniform, min: 60s, max: 120s}", Uniform(60*time.Second, 120*time.Second)},
		{"normal", "{distribution: normal, mean: 90s, stddev: 20s}", Normal(90*time.Second, 20*time.Second)},
		{"lognormal", "{distribution: lognormal, median: 90s, p90: 150s}", LogNormal(90*time.Second, 150*time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, "duration: 1h\nslo: 2m\nworkers: {per_instance_rate: 10, max: 20, launch_time: "+tc.yaml+"}\nload: [{constant: {rate: 1}}]\n")
			if s.Workers.LaunchTime != tc.want {
				t.Errorf("launch time = %s, want %s", s.Workers.LaunchTime, tc.want)
			}
		})
	}
}
