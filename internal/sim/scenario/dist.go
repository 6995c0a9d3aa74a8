package scenario

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Distribution kinds, as the scenario file names them.
const (
	DistFixed     = "fixed"
	DistUniform   = "uniform"
	DistNormal    = "normal"
	DistLogNormal = "lognormal"
)

// z90 is the standard normal quantile at 0.9: a lognormal's p90 is
// median * exp(sigma * z90).
const z90 = 1.2815515655446004

// normalFloor is the fraction of its mean below which a normal
// distribution is cut off: a launch can be fast, never instant or
// negative.
const normalFloor = 0.1

// maxDistValue bounds every parameter of a distribution: a launch time or
// a scheduled action's delay of over a day is a mistake in the file.
const maxDistValue = 24 * time.Hour

// Dist is a distribution of durations: fixed, uniform, normal (cut off at
// 10% of its mean) or lognormal (given by its median and 90th
// percentile). The zero Dist is fixed at 0.
type Dist struct {
	kind string
	// a and b are the parameters: fixed value; uniform min and max;
	// normal mean and standard deviation; lognormal median and p90.
	a, b time.Duration
}

// Fixed returns the distribution that is always d (negative d is 0).
func Fixed(d time.Duration) Dist { return Dist{kind: DistFixed, a: max(d, 0)} }

// Uniform returns the uniform distribution over [lo, hi]; negative bounds
// are 0 and reversed bounds are swapped.
func Uniform(lo, hi time.Duration) Dist {
	lo, hi = max(lo, 0), max(hi, 0)
	if hi < lo {
		lo, hi = hi, lo
	}
	return Dist{kind: DistUniform, a: lo, b: hi}
}

// Normal returns the normal distribution with mean and stddev, cut off
// below at 10% of the mean (values below are that floor). A negative
// mean or stddev is 0.
func Normal(mean, stddev time.Duration) Dist {
	return Dist{kind: DistNormal, a: max(mean, 0), b: max(stddev, 0)}
}

// LogNormal returns the lognormal distribution with the given median and
// 90th percentile. A p90 below the median is taken as the median (no
// spread); a non-positive median gives the distribution fixed at 0.
func LogNormal(median, p90 time.Duration) Dist {
	if median <= 0 {
		return Fixed(0)
	}
	return Dist{kind: DistLogNormal, a: median, b: max(p90, median)}
}

// Kind returns DistFixed, DistUniform, DistNormal or DistLogNormal.
func (d Dist) Kind() string {
	if d.kind == "" {
		return DistFixed
	}
	return d.kind
}

// String describes d as the scenario file would.
func (d Dist) String() string {
	switch d.kind {
	case DistUniform:
		return fmt.Sprintf("uniform(%s..%s)", d.a, d.b)
	case DistNormal:
		return fmt.Sprintf("normal(mean %s, stddev %s)", d.a, d.b)
	case DistLogNormal:
		return fmt.Sprintf("lognormal(median %s, p90 %s)", d.a, d.b)
	}
	return fmt.Sprintf("fixed(%s)", d.a)
}

// sigma is the lognormal's standard deviation of the log.
func (d Dist) sigma() float64 {
	return math.Log(float64(d.b)/float64(d.a)) / z90
}

// Sample draws one duration from d with r. It is never negative.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	switch d.kind {
	case DistUniform:
		return d.a + toDuration(r.Float64()*float64(d.b-d.a))
	case DistNormal:
		return d.clampNormal(float64(d.a) + r.NormFloat64()*float64(d.b))
	case DistLogNormal:
		return toDuration(float64(d.a) * math.Exp(d.sigma()*r.NormFloat64()))
	}
	return d.a
}

// Quantile returns the duration below which a fraction p of d lies, for p
// in (0, 1); Quantile(0.99) is the launch time's upper bound. p outside
// (0, 1) is taken as the nearest p the distribution can answer (0 and 1
// are the bounds of a uniform distribution; unbounded tails stop at
// 1e-9 and 1-1e-9); NaN is the median.
func (d Dist) Quantile(p float64) time.Duration {
	if math.IsNaN(p) {
		p = 0.5
	}
	switch d.kind {
	case DistUniform:
		p = min(max(p, 0), 1)
		return d.a + toDuration(p*float64(d.b-d.a))
	case DistNormal:
		return d.clampNormal(float64(d.a) + normalQuantile(p)*float64(d.b))
	case DistLogNormal:
		return toDuration(float64(d.a) * math.Exp(d.sigma()*normalQuantile(p)))
	}
	return d.a
}

// Mean returns the expected value of d (for the normal, of the
// distribution before its cut-off).
func (d Dist) Mean() time.Duration {
	switch d.kind {
	case DistUniform:
		return d.a + (d.b-d.a)/2
	case DistNormal:
		return d.a
	case DistLogNormal:
		s := d.sigma()
		return toDuration(float64(d.a) * math.Exp(s*s/2))
	}
	return d.a
}

func (d Dist) clampNormal(v float64) time.Duration {
	return toDuration(max(v, normalFloor*float64(d.a)))
}

// normalQuantile is the standard normal quantile function, with p kept
// inside (0, 1) so that the tails stay finite.
func normalQuantile(p float64) float64 {
	const eps = 1e-9
	p = min(max(p, eps), 1-eps)
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// toDuration converts nanoseconds to a Duration, never negative and never
// past the largest Duration.
func toDuration(ns float64) time.Duration {
	switch {
	case ns != ns || ns <= 0:
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	}
	return time.Duration(ns)
}
