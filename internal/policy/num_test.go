package policy

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestTextF(t *testing.T) {
	cases := []struct {
		x    float64
		want string
	}{
		{0, "0"}, {-0.001, "0"}, {35.2, "35.2"}, {66.666, "66.67"}, {-1.5, "-1.5"}, {0.05, "0.05"},
		{100, "100"}, {-0.125, "-0.13"}, {999999999999.99, "999999999999.99"}, {1e13, "1e+13"},
		{math.NaN(), "NaN"}, {math.Inf(-1), "-Inf"},
	}
	for _, tc := range cases {
		var tx text
		if got := string(tx.f(tc.x).b); got != tc.want {
			t.Errorf("f(%v) = %q, want %q", tc.x, got, tc.want)
		}
	}
	// Whatever x, the digits are those of x rounded to hundredths.
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		x := (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(12)))
		ref := math.Round(x*100) / 100
		if ref == 0 {
			ref = 0
		}
		var tx text
		if got, want := string(tx.f(x).b), strconv.FormatFloat(ref, 'f', -1, 64); got != want {
			t.Fatalf("f(%v) = %q, want %q", x, got, want)
		}
	}
}
