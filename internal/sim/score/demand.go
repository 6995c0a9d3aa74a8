package score

import (
	"math"
	"time"
)

// Burst is a batch of messages that arrive all at once.
type Burst struct {
	At       time.Duration // offset from the run start
	Messages int
}

// roundingEpsilon keeps an exact multiple of the per-instance rate from
// rounding up to one more instance because of floating-point noise in the
// smoothed sum.
const roundingEpsilon = 1e-9

// maxRate bounds a single second's rate so that sums stay finite; no
// scenario comes near it.
const maxRate = 1e15

// maxDemand bounds the result so the conversion to int is always defined.
const maxDemand = math.MaxInt32

// Demand returns the instances needed in each second of a run.
//
// rates[i] is the arrival rate (messages per second) during second i, as the
// scenario's load gives it; the result has one entry per rate. The rate is
// smoothed by a trailing mean over smoothing (fewer seconds at the start of
// the run; smoothing below one second means none), so that a single noisy
// second does not count as a change of need. Each burst is spread evenly over
// the SLO window that follows it, because a batch must be worked off within
// the SLO, not in the second it lands; a burst outside the run, or the part
// of its window past the end, adds nothing. The total is divided by
// perInstanceRate and rounded up, with an epsilon so that exact multiples do
// not round up.
//
// Demand is never negative: rates that are negative or not a number count as
// zero. A non-positive perInstanceRate serves nothing, so every entry is zero.
func Demand(rates []float64, bursts []Burst, perInstanceRate float64, slo, smoothing time.Duration) []int {
	n := len(rates)
	out := make([]int, n)
	if n == 0 || !(perInstanceRate > 0) {
		return out
	}

	clean := make([]float64, n)
	for i, r := range rates {
		switch {
		case !(r > 0): // negative, zero or NaN
		case r > maxRate:
			clean[i] = maxRate
		default:
			clean[i] = r
		}
	}
	need := smooth(clean, windowSeconds(smoothing))

	spread := windowSeconds(slo)
	for _, b := range bursts {
		if b.Messages <= 0 || b.At < 0 {
			continue
		}
		start := int(b.At / time.Second)
		if start >= n {
			continue
		}
		rate := float64(b.Messages) / float64(spread)
		for i := start; i < min(start+spread, n); i++ {
			need[i] += rate
		}
	}

	for i, v := range need {
		instances := math.Ceil(v/perInstanceRate - roundingEpsilon)
		switch {
		case !(instances > 0):
		case instances > maxDemand:
			out[i] = maxDemand
		default:
			out[i] = int(instances)
		}
	}
	return out
}

// windowSeconds returns d in whole seconds, rounded up, and at least one.
func windowSeconds(d time.Duration) int {
	if d <= time.Second {
		return 1
	}
	return int((d + time.Second - 1) / time.Second)
}

// smooth returns the trailing mean of xs over w samples. The running sum is
// recomputed from scratch every w samples so that rounding error cannot
// accumulate over a long run (48 h is 172,800 samples), and a constant input
// gives back exactly the constant.
func smooth(xs []float64, w int) []float64 {
	out := make([]float64, len(xs))
	var sum float64
	for i := range xs {
		lo := max(0, i-w+1)
		if i%w == 0 {
			sum = 0
			for _, x := range xs[lo : i+1] {
				sum += x
			}
		} else {
			sum += xs[i]
			if i-w >= 0 {
				sum -= xs[i-w]
			}
		}
		out[i] = sum / float64(i+1-lo)
	}
	return out
}

// FirstStep returns the index of the first demand step: the first sample
// whose demand reaches max(demand[0]+2, 2*demand[0]), i.e. at least double
// the start and at least two instances more. Smaller rises are the noise of
// a steady load, not a step a scaler must react to. It returns false when
// demand never gets there (or there is no demand).
func FirstStep(demand []int) (int, bool) {
	if len(demand) == 0 {
		return 0, false
	}
	threshold := stepLevel(demand)
	for i, d := range demand {
		if d >= threshold {
			return i, true
		}
	}
	return 0, false
}

// stepLevel is the demand that makes a step (see FirstStep): double the
// first sample's, and at least two instances more.
func stepLevel(demand []int) int {
	d0 := max(demand[0], 0)
	return max(d0+2, 2*d0)
}
