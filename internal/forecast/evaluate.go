package forecast

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// DefaultEvery is the spacing of Evaluate's origins: one a day.
const DefaultEvery = 24 * time.Hour

// Evaluation is the error of the model's forecasts in a rolling-origin
// backtest.
type Evaluation struct {
	// Origins is how many origins were tried; Skipped of them gave no
	// forecast (too short, stale or sparse history before them).
	Origins, Skipped int
	// Scored is how many (origin, bucket) pairs had an actual to compare:
	// a bucket of the history that holds a value and is not flagged
	// Campaign (a boost covers those).
	Scored int
	// MAE is the mean absolute error of the point forecast, in capacity
	// units.
	MAE float64
	// MAPE is the mean of |actual - forecast| / actual over the scored
	// buckets whose actual is above zero (MAPEScored of them); it is
	// undefined at zero, so ZeroActuals buckets are left out. Every figure
	// is 0 when nothing was scored (MAPE: when MAPEScored is 0).
	MAPE        float64
	MAPEScored  int
	ZeroActuals int
	// Quantile is the quantile scored. Pinball is the mean pinball (quantile)
	// loss of the forecast at it, in capacity units, and Coverage the share
	// of actuals at or below it, which should be near Quantile.
	Quantile, Pinball, Coverage float64
}

// Evaluate forecasts from origins every every (DefaultEvery when zero),
// the first MinHistory after the history's first bucket and the last
// before its last, each from the history before it alone, and scores every
// forecast bucket that the history holds. Options are those of Predict;
// the quantile scored is opt.Quantile.
func Evaluate(history []Point, opt Options, every time.Duration) Evaluation {
	if every <= 0 {
		every = DefaultEvery
	}
	o, err := opt.withDefaults()
	ev := Evaluation{Quantile: o.Quantile}
	if err != nil {
		return ev
	}
	type actual struct {
		sum      float64
		n        int
		campaign bool
	}
	pts := make([]Point, 0, len(history))
	actuals := map[time.Time]*actual{}
	for _, p := range history {
		if !(p.Need >= 0) || math.IsInf(p.Need, 1) {
			continue
		}
		p.At = p.At.UTC()
		pts = append(pts, p)
		k := p.At.Truncate(o.Step)
		a := actuals[k]
		if a == nil {
			a = &actual{}
			actuals[k] = a
		}
		a.sum += p.Need
		a.n++
		a.campaign = a.campaign || p.Campaign
	}
	if len(pts) == 0 {
		return ev
	}
	slices.SortStableFunc(pts, func(a, b Point) int { return a.At.Compare(b.At) })
	first := pts[0].At.Truncate(o.Step)
	last := pts[len(pts)-1].At.Truncate(o.Step)
	var abs, ape, pin float64
	covered := 0
	for origin := first.Add(MinHistory); !origin.After(last); origin = origin.Add(every) {
		ev.Origins++
		n, _ := slices.BinarySearchFunc(pts, origin, func(p Point, t time.Time) int { return cmp.Compare(p.At.UnixNano(), t.UnixNano()) })
		f := Predict(pts[:n], origin, opt)
		if !f.OK {
			ev.Skipped++
			continue
		}
		for _, b := range f.Buckets {
			a := actuals[b.At]
			if a == nil || a.campaign {
				continue
			}
			y := a.sum / float64(a.n)
			ev.Scored++
			abs += math.Abs(y - b.Need)
			if y > 0 {
				ape += math.Abs(y-b.Need) / y
				ev.MAPEScored++
			} else {
				ev.ZeroActuals++
			}
			u := y - b.Quantile
			pin += math.Max(o.Quantile*u, (o.Quantile-1)*u)
			if y <= b.Quantile {
				covered++
			}
		}
	}
	if ev.Scored > 0 {
		n := float64(ev.Scored)
		ev.MAE, ev.Pinball, ev.Coverage = abs/n, pin/n, float64(covered)/n
	}
	if ev.MAPEScored > 0 {
		ev.MAPE = ape / float64(ev.MAPEScored)
	}
	return ev
}
