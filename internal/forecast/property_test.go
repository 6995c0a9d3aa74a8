package forecast

import (
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

// randomHistory draws a history of 1 to 30 days: a level, a daily and a
// weekly rhythm, noise, gaps, campaigns, spikes, duplicate-free and in
// random order, ending at a random bucket; and the time now.
func randomHistory(r *rand.Rand) ([]Point, time.Time) {
	level := math.Pow(10, 4*r.Float64()-1)
	amp, weekend, noise := r.Float64(), r.Float64(), 0.3*r.Float64()
	n := 200 + r.Intn(days(30))
	start := monday.Add(time.Duration(r.Intn(days(7))) * step)
	gap, campaign, spike := 0.2*r.Float64(), 0.05*r.Float64(), 0.02*r.Float64()
	var h []Point
	for i := range n {
		at := start.Add(time.Duration(i) * step)
		if r.Float64() < gap {
			continue
		}
		v := level * (1 + amp*math.Sin(2*math.Pi*hourOf(at)/24))
		if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
			v *= weekend
		}
		v *= math.Max(0, 1+noise*r.NormFloat64())
		p := Point{At: at, Need: v}
		if r.Float64() < campaign {
			p.Need, p.Campaign = 3*v, true
		}
		if r.Float64() < spike {
			p.Need *= 1 + 9*r.Float64()
		}
		if r.Float64() < 0.01 {
			p.Need = 0
		}
		h = append(h, p)
	}
	r.Shuffle(len(h), func(i, j int) { h[i], h[j] = h[j], h[i] })
	now := start.Add(time.Duration(n)*step + time.Duration(r.Int63n(int64(2*step))))
	return h, now
}

func TestProperties(t *testing.T) {
	qs := []float64{0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99}
	forecasts := 0
	for seed := int64(1); seed <= 60; seed++ {
		r := rand.New(rand.NewSource(seed))
		h, now := randomHistory(r)
		opt := Options{Horizon: time.Duration(1+r.Intn(72)) * time.Hour}
		f := Predict(h, now, opt)
		if !f.OK {
			if f.Reason == "" {
				t.Fatalf("seed %d: no forecast and no reason", seed)
			}
			continue
		}
		forecasts++
		for i, b := range f.Buckets {
			for _, v := range []float64{b.Need, b.Quantile, b.Low, b.High} {
				if !(v >= 0) || math.IsInf(v, 0) {
					t.Fatalf("seed %d: bucket %d: %+v: negative or not finite", seed, i, b)
				}
			}
			prev := -1.0
			for _, q := range qs {
				v, ok := f.NeedAt(b.At, q)
				if !ok || v < prev {
					t.Fatalf("seed %d: bucket %d: quantile %v = %v below the one before, %v", seed, i, q, v, prev)
				}
				prev = v
			}
			if b.Low > b.High {
				t.Fatalf("seed %d: bucket %d: band %v > %v", seed, i, b.Low, b.High)
			}
		}

		t.Run("deterministic and order-free", func(t *testing.T) {
			h2 := append([]Point(nil), h...)
			r.Shuffle(len(h2), func(i, j int) { h2[i], h2[j] = h2[j], h2[i] })
			if g := Predict(h2, now, opt); !reflect.DeepEqual(f, g) {
				t.Fatalf("seed %d: the same history in another order gives another forecast", seed)
			}
		})
		t.Run("scale-equivariant", func(t *testing.T) {
			for _, k := range []float64{0.25, 3, 1024} {
				hk := make([]Point, len(h))
				for i, p := range h {
					hk[i] = Point{At: p.At, Need: k * p.Need, Campaign: p.Campaign}
				}
				g := Predict(hk, now, opt)
				if !g.OK {
					t.Fatalf("seed %d, k %v: no forecast: %s", seed, k, g.Reason)
				}
				for i, b := range f.Buckets {
					c := g.Buckets[i]
					for _, pair := range [][2]float64{{b.Need, c.Need}, {b.Quantile, c.Quantile}, {b.Low, c.Low}, {b.High, c.High}} {
						if math.Abs(k*pair[0]-pair[1]) > 1e-9*math.Max(1, k*pair[0]) {
							t.Fatalf("seed %d, k %v: bucket %d: %+v scaled is not %+v", seed, k, i, b, c)
						}
					}
				}
			}
		})
	}
	if forecasts < 40 {
		t.Fatalf("only %d of 60 random histories gave a forecast: the generator is too wild", forecasts)
	}
}

// TestSpikeProperty: wherever in week one an unannounced 5x spike of one to
// three hours falls within the next forecast's two days, next week's
// forecast at its time moves by less than 10%, with 3% noise. (At 5% noise a
// one-off high clipped at 3 spreads can move a two-week median by 7.5% and
// the noise the rest: the bound is about the noise.)
func TestSpikeProperty(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewSource(seed))
		clean := series(monday, days(14), noisy(seed, 0.03, office))
		spiked := append([]Point(nil), clean...)
		from := days(r.Intn(2)) + 12*(8+r.Intn(8)) + r.Intn(12) // Monday or Tuesday, 08:00-16:00
		to := from + 12*(1+r.Intn(3))
		for i := from; i < to; i++ {
			spiked[i].Need *= 5
		}
		a, b := mustPredict(t, clean, Options{}), mustPredict(t, spiked, Options{})
		for i := from; i < to; i++ {
			x, y := a.Buckets[i], b.Buckets[i]
			if math.Abs(y.Need-x.Need) > 0.1*x.Need || math.Abs(y.Quantile-x.Quantile) > 0.1*x.Quantile {
				t.Fatalf("seed %d, %v: forecast %.1f (q %.1f) with the spike, %.1f (q %.1f) without", seed, x.At, y.Need, y.Quantile, x.Need, x.Quantile)
			}
		}
	}
}
