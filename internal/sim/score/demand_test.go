package score

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestDemand(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		rates     []float64
		bursts    []Burst
		perInst   float64
		slo       time.Duration
		smoothing time.Duration
		want      []int
	}{
		{
			name:    "exact multiples do not round up",
			rates:   repeat(50, 4),
			perInst: 10, slo: time.Minute, smoothing: 60 * time.Second,
			want: []int{5, 5, 5, 5},
		},
		{
			name:    "a fraction of an instance rounds up",
			rates:   []float64{11, 0.5, 10.000001},
			perInst: 10, slo: time.Minute, smoothing: time.Second,
			want: []int{2, 1, 2},
		},
		{
			name:    "a step without smoothing",
			rates:   []float64{10, 10, 10, 30, 30, 30},
			perInst: 10, slo: time.Minute, smoothing: 0,
			want: []int{1, 1, 1, 3, 3, 3},
		},
		{
			// trailing means over 2 s: 10 10 10 20 30 30
			name:    "a step smoothed over two seconds",
			rates:   []float64{10, 10, 10, 30, 30, 30},
			perInst: 10, slo: time.Minute, smoothing: 2 * time.Second,
			want: []int{1, 1, 1, 2, 3, 3},
		},
		{
			// trailing means over 3 s: 0 0 10 10 10 0
			name:    "a one-second spike smoothed over three seconds",
			rates:   []float64{0, 0, 30, 0, 0, 0},
			perInst: 10, slo: time.Minute, smoothing: 3 * time.Second,
			want: []int{0, 0, 1, 1, 1, 0},
		},
		{
			// trailing means over 4 s, over fewer seconds at the start:
			// 40/1, 40/2, 40/3, 40/4, 0 -> 4, 2, 1.34 (2), 1, 0
			name:    "the window is shorter at the start of the run",
			rates:   []float64{40, 0, 0, 0, 0},
			perInst: 10, slo: time.Minute, smoothing: 4 * time.Second,
			want: []int{4, 2, 2, 1, 0},
		},
		{
			// 60 messages over 3 s = 20 msg/s at 2, 3 and 4.
			name:    "a burst is spread over the SLO",
			rates:   repeat(0, 7),
			bursts:  []Burst{{At: 2 * time.Second, Messages: 60}},
			perInst: 10, slo: 3 * time.Second, smoothing: time.Minute,
			want: []int{0, 0, 2, 2, 2, 0, 0},
		},
		{
			// (5 + 30/3) / 10 = 1.5 -> 2 during the window, 0.5 -> 1 after.
			name:    "a burst adds to the smoothed rate and is not smoothed itself",
			rates:   repeat(5, 5),
			bursts:  []Burst{{At: 0, Messages: 30}},
			perInst: 10, slo: 3 * time.Second, smoothing: time.Minute,
			want: []int{2, 2, 2, 1, 1},
		},
		{
			// 2.5 s falls in second 2; an SLO of 2.5 s spreads over 3 s.
			name:    "fractional offsets and SLOs round to whole seconds",
			rates:   repeat(0, 6),
			bursts:  []Burst{{At: 2500 * time.Millisecond, Messages: 30}},
			perInst: 10, slo: 2500 * time.Millisecond, smoothing: 0,
			want: []int{0, 0, 1, 1, 1, 0},
		},
		{
			name:  "bursts at the end are cut, outside the run ignored",
			rates: repeat(0, 4),
			bursts: []Burst{
				{At: 3 * time.Second, Messages: 200},
				{At: 4 * time.Second, Messages: 1000},
				{At: -time.Second, Messages: 1000},
				{At: time.Second, Messages: -100},
			},
			perInst: 10, slo: 10 * time.Second, smoothing: 0,
			want: []int{0, 0, 0, 2},
		},
		{
			name:    "overlapping bursts add up",
			rates:   repeat(0, 4),
			bursts:  []Burst{{At: 0, Messages: 20}, {At: time.Second, Messages: 20}},
			perInst: 10, slo: 2 * time.Second, smoothing: 0,
			want: []int{1, 2, 1, 0},
		},
		{
			name:    "negative and missing rates count as zero",
			rates:   []float64{-50, nan, 20, -50},
			perInst: 10, slo: time.Minute, smoothing: 2 * time.Second,
			want: []int{0, 0, 1, 1},
		},
		{
			name:    "a non-positive per-instance rate serves nothing",
			rates:   []float64{10, 20},
			perInst: 0, slo: time.Minute, smoothing: time.Minute,
			want: []int{0, 0},
		},
		{
			name:    "an absurd rate is capped",
			rates:   []float64{math.Inf(1)},
			perInst: 1e-9, slo: time.Minute, smoothing: 0,
			want: []int{math.MaxInt32},
		},
		{
			name:    "no rates",
			perInst: 10, slo: time.Minute, smoothing: time.Minute,
			want: []int{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Demand(tc.rates, tc.bursts, tc.perInst, tc.slo, tc.smoothing)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Demand = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDemandLongRunStaysExact runs two days of a rate that is an exact
// multiple of the per-instance rate in decimal but not in binary, after a
// noisy hour: every second once the noise has left the window must need
// exactly that multiple, not one more.
func TestDemandLongRunStaysExact(t *testing.T) {
	const n = 48 * 3600
	r := rand.New(rand.NewPCG(1, 2))
	rates := repeat(100.1, n)
	for i := range 3600 {
		rates[i] = 100 + 900*r.Float64()
	}
	got := Demand(rates, nil, 10.01, 5*time.Minute, time.Minute)
	for i := 3600 + 60; i < n; i++ {
		if got[i] != 10 {
			t.Fatalf("demand[%d] = %d, want 10", i, got[i])
		}
	}
}

// TestDemandMatchesDirectMean compares the running mean with the mean
// computed directly over each window, for seeded random rates.
func TestDemandMatchesDirectMean(t *testing.T) {
	tests := []struct {
		name      string
		seed      uint64
		smoothing time.Duration
	}{
		{"no smoothing", 1, 0},
		{"7 s", 2, 7 * time.Second},
		{"60 s", 3, time.Minute},
		{"longer than the run", 4, time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(tc.seed, 99))
			rates := make([]float64, 500)
			for i := range rates {
				rates[i] = 1000 * r.Float64()
			}
			got := Demand(rates, nil, 7, time.Minute, tc.smoothing)
			w := windowSeconds(tc.smoothing)
			for i := range rates {
				lo := max(0, i-w+1)
				var sum float64
				for _, x := range rates[lo : i+1] {
					sum += x
				}
				want := int(math.Ceil(sum / float64(i+1-lo) / 7))
				if got[i] != want {
					t.Fatalf("demand[%d] = %d, want %d", i, got[i], want)
				}
			}
		})
	}
}

func TestFirstStep(t *testing.T) {
	tests := []struct {
		name   string
		demand []int
		want   int
		wantOK bool
	}{
		{name: "empty", demand: nil},
		{name: "flat", demand: []int{3, 3, 3}},
		{name: "from zero, one instance is not a step", demand: []int{0, 0, 1}},
		{name: "from zero, two instances are a step", demand: []int{0, 1, 2}, want: 2, wantOK: true},
		{name: "from one, two is not enough", demand: []int{1, 2, 2}},
		{name: "from one, three is a step", demand: []int{1, 2, 3}, want: 2, wantOK: true},
		{name: "from four, seven is not enough", demand: []int{4, 6, 7}},
		{name: "from four, eight is a step", demand: []int{4, 7, 8, 9}, want: 2, wantOK: true},
		{name: "a dip first does not count", demand: []int{4, 0, 0, 7, 8}, want: 4, wantOK: true},
		{name: "a single sample", demand: []int{10}},
		{name: "a negative start counts as zero", demand: []int{-3, 0, 2}, want: 2, wantOK: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FirstStep(tc.demand)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("FirstStep(%v) = %d, %v; want %d, %v", tc.demand, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
