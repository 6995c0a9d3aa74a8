package chart

import "gonum.org/v1/plot/plotter"

// maxPoints bounds the points of one series. A 48 h run at a 1 s step has
// 172,800 samples, far more than the ~1,000 pixels of the plot's width can
// show; a bounded series also keeps the SVG small.
const maxPoints = 2000

// series turns n values into plot points at x = i*stepHours, keeping at
// most maxPoints. A longer series is cut into maxPoints/2 buckets of equal
// length, and each bucket keeps its smallest and its largest value at the
// times they occur, in time order: a peak of demand or backlog age survives,
// and so does a dip of supply, where a mean per bucket would flatten both.
func series(n int, stepHours float64, value func(i int) float64) plotter.XYs {
	if n <= maxPoints {
		out := make(plotter.XYs, n)
		for i := range n {
			out[i] = plotter.XY{X: float64(i) * stepHours, Y: value(i)}
		}
		return out
	}
	buckets := maxPoints / 2
	size := (n + buckets - 1) / buckets
	out := make(plotter.XYs, 0, maxPoints)
	for lo := 0; lo < n; lo += size {
		hi := min(lo+size, n)
		iMin, iMax := lo, lo
		vMin, vMax := value(lo), value(lo)
		for i := lo + 1; i < hi; i++ {
			v := value(i)
			if v < vMin {
				iMin, vMin = i, v
			}
			if v > vMax {
				iMax, vMax = i, v
			}
		}
		first, second := iMin, iMax
		if first > second {
			first, second = second, first
		}
		out = append(out, plotter.XY{X: float64(first) * stepHours, Y: value(first)})
		if second != first {
			out = append(out, plotter.XY{X: float64(second) * stepHours, Y: value(second)})
		}
	}
	return out
}
