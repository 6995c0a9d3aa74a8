package baseline

import "math"

// maxCapacity is the largest capacity a baseline proposes: the EC2 Auto
// Scaling API carries DesiredCapacity as a 32-bit Integer, so nothing
// larger can be set.
const maxCapacity = math.MaxInt32

// intEps is the relative tolerance within which a computed capacity counts
// as an integer: float arithmetic makes 0.7*10 = 7.000000000000001, whose
// plain ceiling would be one instance too many.
const intEps = 1e-9

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// snapped returns the integer x is within intEps of, if any.
func snapped(x float64) (float64, bool) {
	r := math.Round(x)
	if math.Abs(x-r) <= intEps*math.Max(1, math.Abs(x)) {
		return r, true
	}
	return x, false
}

// ceilCapacity is the capacity ceil(x), ignoring float noise above an
// integer, within [0, maxCapacity]; NaN is 0.
func ceilCapacity(x float64) int {
	if r, ok := snapped(x); ok {
		x = r
	}
	return toCapacity(math.Ceil(x))
}

// toCapacity converts an integral float to a capacity in [0, maxCapacity];
// NaN and negatives become 0.
func toCapacity(x float64) int {
	if !(x > 0) {
		return 0
	}
	if x >= maxCapacity {
		return maxCapacity
	}
	return int(x)
}

// roundPercent rounds a PercentChangeInCapacity result as the EC2 Auto
// Scaling User Guide documents in "Step and simple scaling policies",
// section "Scaling adjustment types": values greater than 1 are rounded
// down (12.7 -> 12), values between 0 and 1 are rounded to 1 (.67 -> 1),
// values between 0 and -1 are rounded to -1 (-.58 -> -1), and values less
// than -1 are rounded up, toward zero (-6.67 -> -6).
func roundPercent(x float64) float64 {
	if r, ok := snapped(x); ok {
		x = r
	}
	switch {
	case math.IsNaN(x) || x == 0:
		return 0
	case x >= 1:
		return math.Floor(x)
	case x > 0:
		return 1
	case x > -1:
		return -1
	default:
		return math.Ceil(x)
	}
}
