package forecast

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Defaults and limits. Each is explained where it is used in the package
// documentation.
const (
	// DefaultHorizon covers two days: tomorrow's peak is always in view.
	DefaultHorizon = 48 * time.Hour
	// MaxHorizon bounds the work of one forecast; past two weeks the
	// seasonal components only repeat themselves.
	MaxHorizon = 14 * 24 * time.Hour
	// DefaultStep is the bucket of the recorded history.
	DefaultStep = 5 * time.Minute
	// DefaultQuantile is the quantile a floor is taken at unless asked
	// otherwise: the need is above it one bucket in ten.
	DefaultQuantile = 0.9
	// DefaultBandLow and DefaultBandHigh bound the band shown on a chart.
	DefaultBandLow  = 0.1
	DefaultBandHigh = 0.9
	// MinHistory is the shortest history forecast from: every time of day
	// seen once.
	MinHistory = 24 * time.Hour
	// WeeklyHistory is the history from which weekly seasonality is used
	// (the last_week component): a week before each bucket of the last
	// day, so that the component can be backtested.
	WeeklyHistory = 8 * 24 * time.Hour
	// MedianWeeksHistory is the history from which the median_4w
	// component is used: every time of week seen twice. With one week it
	// would only repeat last_week.
	MedianWeeksHistory = 14 * 24 * time.Hour
	// MaxLookback is the oldest history read: the 4-week median of the
	// backtest's first day reaches back 4 weeks and 7 days.
	MaxLookback = 35 * 24 * time.Hour
	// StaleSteps is how many steps before now the newest bucket may start.
	StaleSteps = 3
	// BacktestDays is the window the components' errors and the residuals
	// are measured over: one week, so a weekly rhythm's turns are in it.
	BacktestDays = 7
	// NaiveTries is how many periods a naive component looks back past
	// gaps.
	NaiveTries = 3
	// ClipK and MinSpread set the clipping bound, median + ClipK*spread;
	// MinSpread keeps a noiseless history from clipping at its median.
	ClipK     = 3.0
	MinSpread = 0.05
	// MinHourResiduals is the fewest residuals an hour of day needs for its
	// own quantiles: four days of its buckets at the 5 min step.
	MinHourResiduals = 48

	madToSigma = 1.4826 // MAD of a normal distribution to its standard deviation
	days7      = 7
	weeks4     = 4
)

// Component names, as reported in Diagnostics.
const (
	Yesterday = "yesterday"
	Median7d  = "median_7d"
	LastWeek  = "last_week"
	Median4w  = "median_4w"
)

// Seasonality names, as reported in Diagnostics.
const (
	Daily  = "daily"
	Weekly = "weekly"
)

// Point is one bucket of a group's history.
type Point struct {
	// At is the bucket's start.
	At time.Time
	// Need is the capacity the group needed in the bucket, in capacity
	// units.
	Need float64
	// Campaign is true when a boost or campaign was active in the bucket.
	Campaign bool
}

// Options shape a forecast. A zero field takes its default.
type Options struct {
	// Horizon is how far ahead to forecast; DefaultHorizon when zero.
	Horizon time.Duration
	// Step is the bucket, which must divide an hour; DefaultStep when zero.
	Step time.Duration
	// Quantile is the quantile each bucket carries in Bucket.Quantile, in
	// (0, 1); DefaultQuantile when zero.
	Quantile float64
	// BandLow and BandHigh are the quantiles of the chart's band;
	// DefaultBandLow and DefaultBandHigh when both are zero.
	BandLow, BandHigh float64
}

// withDefaults fills zero fields and reports the first invalid one.
func (o Options) withDefaults() (Options, error) {
	if o.Horizon == 0 {
		o.Horizon = DefaultHorizon
	}
	if o.Step == 0 {
		o.Step = DefaultStep
	}
	if o.Quantile == 0 {
		o.Quantile = DefaultQuantile
	}
	if o.BandLow == 0 && o.BandHigh == 0 {
		o.BandLow, o.BandHigh = DefaultBandLow, DefaultBandHigh
	}
	switch {
	case o.Horizon < 0 || o.Horizon > MaxHorizon:
		return o, fmt.Errorf("horizon: %v is outside (0, %v]", o.Horizon, MaxHorizon)
	case o.Step < time.Minute || time.Hour%o.Step != 0:
		return o, fmt.Errorf("step: %v must be at least 1m and divide an hour", o.Step)
	case !inUnit(o.Quantile):
		return o, fmt.Errorf("quantile: %v is outside (0, 1)", o.Quantile)
	case !inUnit(o.BandLow) || !inUnit(o.BandHigh) || o.BandLow > o.BandHigh:
		return o, fmt.Errorf("band: [%v, %v] must be quantiles in (0, 1), low first", o.BandLow, o.BandHigh)
	}
	return o, nil
}

func inUnit(q float64) bool { return q > 0 && q < 1 }

// Bucket is the forecast for one future bucket.
type Bucket struct {
	// At is the bucket's start.
	At time.Time
	// Need is the point forecast.
	Need float64
	// Quantile is the forecast at Options.Quantile.
	Quantile float64
	// Low and High are the forecast at the band's quantiles.
	Low, High float64
}

// Component is one seasonal component's part in a forecast.
type Component struct {
	Name string
	// Weight is the component's share of the blend, summing to 1 over the
	// components.
	Weight float64
	// Backtested is the number of buckets the component was scored on;
	// MAE and RMSE are 0 when it is 0.
	Backtested int
	MAE, RMSE  float64
}

// Diagnostics say what a forecast was made from.
type Diagnostics struct {
	// Seasonality is Daily or Weekly.
	Seasonality string
	// History is the time from the first bucket read to now's bucket.
	History time.Duration
	// Observed buckets hold a value; Missing ones are gaps.
	Observed, Missing int
	// Ignored counts points not read: in or after now's bucket, older than
	// MaxLookback, or with an invalid need.
	Ignored int
	// Campaign buckets were replaced by their seasonal median; Clipped ones
	// were clipped as outliers.
	Campaign, Clipped int
	// Components lists the components used, with their weights.
	Components []Component
	// BacktestDays is how many days the components were backtested over.
	BacktestDays int
	// Residuals is how many residuals the quantiles come from; PerHour is
	// true when at least one hour of day had enough for its own.
	Residuals int
	PerHour   bool
	// Fallback counts future buckets no component could forecast.
	Fallback int
}

// Forecast is the need forecast for the buckets from now's bucket to the
// horizon.
type Forecast struct {
	// OK is false when no forecast could be made; Reason says why.
	OK     bool
	Reason string
	// Start is the start of now's bucket, the first forecast bucket.
	Start time.Time
	Step  time.Duration
	// Quantile, BandLow and BandHigh are the quantiles in each Bucket.
	Quantile, BandLow, BandHigh float64
	Buckets                     []Bucket
	Diagnostics                 Diagnostics

	// residuals sorted, pooled and by hour of day (nil below
	// MinHourResiduals).
	pooled []float64
	hourly [24][]float64
}

// quantileAt is the forecast of bucket i at quantile q.
func (f *Forecast) quantileAt(i int, q float64) float64 {
	r := f.pooled
	h := f.Buckets[i].At.Hour()
	if f.hourly[h] != nil {
		r = f.hourly[h]
	}
	if len(r) == 0 {
		return f.Buckets[i].Need
	}
	return math.Max(0, f.Buckets[i].Need+empirical(r, q))
}

// NeedAt is the forecast at quantile q (in (0, 1)) of the bucket containing
// at; false when there is no forecast, q is out of range, or at is outside
// the forecast.
func (f Forecast) NeedAt(at time.Time, q float64) (float64, bool) {
	i, ok := f.index(at)
	if !ok || !inUnit(q) {
		return 0, false
	}
	return f.quantileAt(i, q), true
}

func (f *Forecast) index(at time.Time) (int, bool) {
	if !f.OK || at.Before(f.Start) {
		return 0, false
	}
	i := int(at.Sub(f.Start) / f.Step)
	return i, i < len(f.Buckets)
}

// Predict forecasts the need of each bucket from now's bucket to the
// horizon, from the history before now's bucket.
func Predict(history []Point, now time.Time, opt Options) Forecast {
	opt, err := opt.withDefaults()
	if err != nil {
		return Forecast{Reason: "options: " + err.Error()}
	}
	now = now.UTC()
	origin := now.Truncate(opt.Step)
	f := Forecast{Start: origin, Step: opt.Step, Quantile: opt.Quantile, BandLow: opt.BandLow, BandHigh: opt.BandHigh}
	g := newGrid(history, origin, opt.Step)
	d := &f.Diagnostics
	d.Ignored = g.ignored
	if g.observed == 0 {
		f.Reason = "no history before now's bucket"
		return f
	}
	d.History = origin.Sub(g.slotTime(g.first))
	d.Observed, d.Missing = g.observed, g.n-g.first-g.observed
	if age, limit := now.Sub(g.slotTime(g.last)), StaleSteps*opt.Step; age > limit {
		f.Reason = fmt.Sprintf("stale: the newest bucket starts %v before now, more than %v", age, limit)
		return f
	}
	if d.History < MinHistory {
		f.Reason = fmt.Sprintf("history too short: %v of the %v needed", d.History, MinHistory)
		return f
	}
	weekly := d.History >= WeeklyHistory
	d.Seasonality = Daily
	comps := []string{Yesterday, Median7d}
	if weekly {
		d.Seasonality = Weekly
		comps = append(comps, LastWeek)
	}
	if d.History >= MedianWeeksHistory {
		comps = append(comps, Median4w)
	}
	d.Campaign, d.Clipped = g.clean(weekly)
	// A campaign with no other day to replace it from leaves a gap, so
	// this is counted after cleaning.
	recent := 0
	for i := g.n - g.perDay; i < g.n; i++ {
		if g.has(i) {
			recent++
		}
	}
	if 2*recent < g.perDay {
		f.Reason = fmt.Sprintf("history too sparse: %d of the last day's %d buckets hold a value once campaigns are excluded, fewer than half", recent, g.perDay)
		return f
	}

	m := model{g: &g, comps: comps}
	m.backtest(&f)
	m.forecast(&f, int((opt.Horizon+opt.Step-1)/opt.Step))
	f.OK = true
	return f
}

// model holds the cleaned grid and the components in use.
type model struct {
	g       *grid
	comps   []string
	weights []float64
	buf     []float64
}

// predict is component c's forecast of slot t from the slots before origin;
// NaN when it has none.
func (m *model) predict(c string, t, origin int) float64 {
	g := m.g
	switch c {
	case Yesterday:
		return g.naive(t, origin, g.perDay)
	case LastWeek:
		return g.naive(t, origin, 7*g.perDay)
	case Median7d:
		m.buf = g.seasonal(m.buf[:0], t, origin, g.perDay, days7)
	case Median4w:
		m.buf = g.seasonal(m.buf[:0], t, origin, 7*g.perDay, weeks4)
	}
	return median(m.buf)
}

// blend is the weighted mean of the components' forecasts p that are not
// NaN; NaN when all are.
func (m *model) blend(p []float64) float64 {
	var sum, wsum, plain float64
	n := 0
	for i, v := range p {
		if math.IsNaN(v) {
			continue
		}
		sum += m.weights[i] * v
		wsum += m.weights[i]
		plain += v
		n++
	}
	switch {
	case n == 0:
		return math.NaN()
	case wsum == 0:
		return plain / float64(n)
	}
	return sum / wsum
}

// backtest scores the components over the last days of history, sets their
// weights, and keeps the blend's residuals.
func (m *model) backtest(f *Forecast) {
	g := m.g
	days := min(BacktestDays, (g.n-g.first)/g.perDay-1)
	type row struct {
		t      int
		actual float64
		p      []float64
	}
	nc := len(m.comps)
	rows := make([]row, 0, max(days, 0)*g.perDay)
	flat := make([]float64, max(days, 0)*g.perDay*nc)
	var meanSq float64
	for d := days; d >= 1; d-- {
		origin := g.n - d*g.perDay
		for t := origin; t < origin+g.perDay; t++ {
			if !g.has(t) {
				continue
			}
			p := flat[len(rows)*nc : (len(rows)+1)*nc]
			for i, c := range m.comps {
				p[i] = m.predict(c, t, origin)
			}
			rows = append(rows, row{t, g.v[t], p})
			meanSq += g.v[t] * g.v[t]
		}
	}
	f.Diagnostics.BacktestDays = max(days, 0)
	if len(rows) > 0 {
		meanSq /= float64(len(rows))
	}
	// eps keeps a perfect component's weight finite and scales with the
	// need, so that a history times k gets the same weights; 1e-300 keeps
	// it finite for a history of zeros.
	eps := math.Max(1e-12*meanSq, 1e-300)
	m.weights = make([]float64, nc)
	comps := make([]Component, nc)
	scored := 0
	for i, c := range m.comps {
		var abs, sq float64
		n := 0
		for _, r := range rows {
			if e := r.p[i] - r.actual; !math.IsNaN(e) {
				abs += math.Abs(e)
				sq += e * e
				n++
			}
		}
		comps[i] = Component{Name: c, Backtested: n}
		if n > 0 {
			mse := sq / float64(n)
			comps[i].MAE, comps[i].RMSE = abs/float64(n), math.Sqrt(mse)
			m.weights[i] = 1 / (mse + eps)
			scored++
		}
	}
	if scored == 0 {
		for i := range m.weights {
			m.weights[i] = 1
		}
	}
	var total float64
	for _, w := range m.weights {
		total += w
	}
	for i := range comps {
		m.weights[i] /= total
		comps[i].Weight = m.weights[i]
	}
	f.Diagnostics.Components = comps

	var hourly [24][]float64
	for _, r := range rows {
		b := m.blend(r.p)
		if math.IsNaN(b) {
			continue
		}
		res := r.actual - b
		f.pooled = append(f.pooled, res)
		h := g.slotTime(r.t).Hour()
		hourly[h] = append(hourly[h], res)
	}
	slices.Sort(f.pooled)
	f.Diagnostics.Residuals = len(f.pooled)
	for h, r := range hourly {
		if len(r) >= MinHourResiduals {
			slices.Sort(r)
			f.hourly[h] = r
			f.Diagnostics.PerHour = true
		}
	}
}

// forecast fills the next n buckets.
func (m *model) forecast(f *Forecast, n int) {
	g := m.g
	f.Buckets = make([]Bucket, n)
	p := make([]float64, len(m.comps))
	for i := range f.Buckets {
		t := g.n + i
		for j, c := range m.comps {
			p[j] = m.predict(c, t, g.n)
		}
		v := m.blend(p)
		if math.IsNaN(v) {
			f.Diagnostics.Fallback++
			v = m.fallback(t % g.perDay)
		}
		f.Buckets[i] = Bucket{At: g.slotTime(t), Need: math.Max(0, v)}
	}
	for i := range f.Buckets {
		b := &f.Buckets[i]
		b.Quantile = f.quantileAt(i, f.Quantile)
		b.Low = f.quantileAt(i, f.BandLow)
		b.High = f.quantileAt(i, f.BandHigh)
	}
}

// fallback is the median of time of day c over the history, or of the
// whole history when no day has c; only a bucket no component can forecast
// reads it, so it is computed then.
func (m *model) fallback(c int) float64 {
	g := m.g
	m.buf = m.buf[:0]
	for i := c; i < g.n; i += g.perDay {
		if g.has(i) {
			m.buf = append(m.buf, g.v[i])
		}
	}
	if len(m.buf) == 0 {
		for i := range g.n {
			if g.has(i) {
				m.buf = append(m.buf, g.v[i])
			}
		}
	}
	return median(m.buf)
}

// median of v, reordering v; NaN when v is empty.
func median(v []float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// empirical is the q-quantile of sorted, interpolated linearly between
// order statistics (Hyndman and Fan's type 7), so it is monotone in q.
func empirical(sorted []float64, q float64) float64 {
	h := q * float64(len(sorted)-1)
	lo := int(h)
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
