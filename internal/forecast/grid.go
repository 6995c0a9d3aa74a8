package forecast

import (
	"math"
	"time"
)

// grid is the history on a regular grid of steps from a UTC midnight, so
// that slot i's time of day is i % perDay.
type grid struct {
	base     time.Time
	step     time.Duration
	perDay   int
	n        int // slots before the origin
	v        []float64
	campaign []bool
	first    int // first slot with a value
	last     int // last slot with a value
	observed int
	ignored  int
}

// newGrid places the valid points before origin and within MaxLookback of
// it on the grid, averaging points that share a slot.
func newGrid(history []Point, origin time.Time, step time.Duration) grid {
	g := grid{step: step, perDay: int(24 * time.Hour / step)}
	oldest := origin.Add(-MaxLookback)
	valid := func(p Point) bool {
		return !p.At.Before(oldest) && p.At.Before(origin) && p.Need >= 0 && !math.IsInf(p.Need, 1)
	}
	var lo time.Time
	for _, p := range history {
		if !valid(p) {
			g.ignored++
			continue
		}
		if lo.IsZero() || p.At.Before(lo) {
			lo = p.At
		}
	}
	if lo.IsZero() {
		return g
	}
	g.base = lo.UTC().Truncate(24 * time.Hour)
	g.n = int(origin.Sub(g.base) / step)
	g.v = make([]float64, g.n)
	g.campaign = make([]bool, g.n)
	count := make([]int32, g.n)
	for _, p := range history {
		if !valid(p) {
			continue
		}
		i := int(p.At.Sub(g.base) / step)
		g.v[i] += p.Need
		count[i]++
		g.campaign[i] = g.campaign[i] || p.Campaign
	}
	g.first, g.last = -1, -1
	for i := range g.v {
		if count[i] == 0 {
			g.v[i] = math.NaN()
			continue
		}
		g.v[i] /= float64(count[i])
		g.observed++
		if g.first < 0 {
			g.first = i
		}
		g.last = i
	}
	return g
}

func (g *grid) slotTime(i int) time.Time { return g.base.Add(time.Duration(i) * g.step) }

// has reports whether slot i is before the origin and holds a value.
func (g *grid) has(i int) bool { return i >= 0 && i < g.n && !math.IsNaN(g.v[i]) }

// naive is the value p, 2p, ... slots before t, from the first period that
// reaches before origin and up to NaiveTries periods further back past
// gaps; NaN when none holds a value.
func (g *grid) naive(t, origin, p int) float64 {
	k := (t-origin)/p + 1
	for try := range NaiveTries {
		j := t - (k+try)*p
		if j < g.first {
			break
		}
		if g.has(j) {
			return g.v[j]
		}
	}
	return math.NaN()
}

// seasonal appends to buf the values of the last window periods of p slots
// before t that reach before origin.
func (g *grid) seasonal(buf []float64, t, origin, p, window int) []float64 {
	k := (t-origin)/p + 1
	for w := range window {
		j := t - (k+w)*p
		if j < g.first {
			break
		}
		if g.has(j) {
			buf = append(buf, g.v[j])
		}
	}
	return buf
}

// clean replaces campaign slots by their seasonal median and clips the
// highs that are outliers for their time of day, as the package
// documentation describes. It returns how many slots it replaced and
// clipped.
func (g *grid) clean(weekly bool) (replaced, clipped int) {
	week := 7 * g.perDay
	raw := make([]float64, g.n)
	copy(raw, g.v)
	free := func(i int) bool { return i >= 0 && i < g.n && !math.IsNaN(raw[i]) && !g.campaign[i] }
	bound := make([]float64, g.perDay)
	colMed := make([]float64, g.perDay)
	var col, dev []float64
	for c := range bound {
		col = col[:0]
		for i := c; i < g.n; i += g.perDay {
			if free(i) {
				col = append(col, raw[i])
			}
		}
		if len(col) == 0 {
			bound[c] = math.Inf(1)
			continue
		}
		med := median(col)
		colMed[c] = med
		// The spread is the noise of this time of day. With a week of
		// pairs it is measured week over week (the differences of a day
		// and the same day a week before, over the square root of 2), so
		// that quiet weekends do not count as noise of the weekdays.
		dev = dev[:0]
		for i := c + week; i < g.n; i += g.perDay {
			if free(i) && free(i-week) {
				dev = append(dev, math.Abs(raw[i]-raw[i-week])/math.Sqrt2)
			}
		}
		if len(dev) < 7 {
			dev = dev[:0]
			for _, x := range col {
				dev = append(dev, math.Abs(x-med))
			}
		}
		spread := math.Max(madToSigma*median(dev), MinSpread*med)
		bound[c] = med + ClipK*spread
	}
	// recurs reports whether the high at i is rhythm: another week's value
	// at the same time of week is above the bound too, and each of the two
	// is at least halfway from the median to the other.
	recurs := func(i int) bool {
		c := i % g.perDay
		for j := i % week; weekly && j < g.n; j += week {
			if j != i && free(j) && raw[j] > bound[c] &&
				raw[j] >= (colMed[c]+raw[i])/2 && raw[i] >= (colMed[c]+raw[j])/2 {
				return true
			}
		}
		return false
	}
	for i := range g.v {
		if c := i % g.perDay; free(i) && raw[i] > bound[c] && !recurs(i) {
			g.v[i] = bound[c]
			clipped++
		}
	}
	for i := range g.v {
		if !g.campaign[i] || math.IsNaN(raw[i]) {
			continue
		}
		col = col[:0]
		if weekly {
			for j := i % week; j < g.n; j += week {
				if j != i && free(j) {
					col = append(col, g.v[j])
				}
			}
		}
		if len(col) == 0 {
			for j := i % g.perDay; j < g.n; j += g.perDay {
				if free(j) {
					col = append(col, g.v[j])
				}
			}
		}
		g.v[i] = median(col) // NaN, a gap, when no other day has this time
		replaced++
	}
	return replaced, clipped
}
