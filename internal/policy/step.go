package policy

import (
	"math"
	"strconv"
)

// step evaluates a step policy's alarm over its newest datapoints and, in
// alarm, applies the matching step adjustment to serving, with EC2 Auto
// Scaling's rules: https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html
func (c *cycle) step(p Policy, s *Step) (int, string, bool) {
	pi, why := c.policyInput(p)
	if why != "" {
		return 0, why, false
	}
	o, why := c.newest(p, pi)
	if why != "" {
		return 0, why, false
	}
	if why := s.invalid(); why != "" {
		return 0, why, false
	}
	ep := max(s.EvaluationPeriods, 1)
	dta := s.DatapointsToAlarm
	if dta == 0 {
		dta = ep // CloudWatch's default: N of N
	}
	pts := pi.Metric[:min(len(pi.Metric), ep)]
	breaching := 0
	for i, pt := range pts {
		if !finite(pt.Value) {
			return 0, c.t.s("datapoint ").i(i).s(" is not a number: ").f(pt.Value).take(), false
		}
		if s.Comparison.breaches(pt.Value, s.Threshold) {
			breaching++
		}
	}
	if breaching < dta {
		return c.cur, c.t.s("alarm OK: ").i(breaching).s(" of ").i(len(pts)).s(" datapoints ").s(string(s.Comparison)).
			s(" ").f(s.Threshold).s(" (").i(dta).s(" needed): hold at ").i(c.cur).take(), true
	}

	diff := o.Value - s.Threshold
	above := diff > 0 || (diff == 0 && s.Comparison.above())
	c.r.s("in alarm (").i(breaching).s(" of ").i(len(pts)).s("), value ").f(o.Value).s(" is ").sf(diff).
		s(" from ").f(s.Threshold)
	var adj *StepAdjustment
	for i := range s.Adjustments {
		if s.Adjustments[i].matches(diff, above) {
			adj = &s.Adjustments[i]
			break
		}
	}
	if adj == nil {
		return c.cur, c.r.s(", no step matches: hold at ").i(c.cur).take(), true
	}
	c.r.s(": step ")
	c.r.bound(adj.LowerBound, -1, above).s(", ")
	c.r.bound(adj.UpperBound, +1, above).s(" ")

	serving := float64(c.serving)
	var delta float64
	switch s.AdjustmentType {
	case ExactCapacity:
		n := toCapacity(math.Trunc(adj.Adjustment))
		return n, c.r.s("exact ").i(n).take(), true
	case ChangeInCapacity:
		delta = math.Trunc(adj.Adjustment)
		c.r.sf(delta)
	case PercentChangeInCapacity:
		delta = roundPercent(serving * adj.Adjustment / 100)
		if m := float64(s.MinAdjustmentMagnitude); m > 0 {
			switch {
			case adj.Adjustment > 0 && delta < m:
				delta = m
			case adj.Adjustment < 0 && delta > -m:
				delta = -m
			}
		}
		c.r.sf(adj.Adjustment).s("% = ").sf(delta)
	}
	n := toCapacity(serving + delta)
	c.r.s(" on ").i(c.serving).s(" serving = ").i(n)
	// AWS's rule for a scaling activity in progress: the adjustment applies
	// to the capacity already serving, and the result only counts when it
	// goes past the desired capacity in the adjustment's direction ("+30% of
	// 10 with desired 11 means 13", and +10% of 10 with desired 11 means 11).
	switch {
	case delta > 0 && n <= c.cur:
		c.r.s(", not above current ").i(c.cur).s(": hold")
		n = c.cur
	case delta < 0 && n >= c.cur:
		c.r.s(", not below current ").i(c.cur).s(": hold")
		n = c.cur
	case delta == 0:
		c.r.s(", no change: hold")
		n = c.cur
	}
	return n, c.r.take(), true
}

// invalid says what in s cannot be evaluated, or "" when it can.
func (s *Step) invalid() string {
	switch {
	case !s.Comparison.valid():
		return "unknown comparison " + strconv.Quote(string(s.Comparison))
	case !finite(s.Threshold):
		return "threshold must be a number"
	case s.EvaluationPeriods < 0:
		return "evaluation periods must not be negative"
	case s.DatapointsToAlarm < 0 || s.DatapointsToAlarm > max(s.EvaluationPeriods, 1):
		return "datapoints to alarm must be between 1 and the evaluation periods"
	case s.MinAdjustmentMagnitude < 0:
		return "min adjustment magnitude must not be negative"
	case len(s.Adjustments) == 0:
		return "no step adjustments"
	}
	switch s.AdjustmentType {
	case ChangeInCapacity, ExactCapacity, PercentChangeInCapacity:
	default:
		return "unknown adjustment type " + strconv.Quote(string(s.AdjustmentType))
	}
	for _, a := range s.Adjustments {
		if !finite(a.Adjustment) || (a.LowerBound != nil && math.IsNaN(*a.LowerBound)) ||
			(a.UpperBound != nil && math.IsNaN(*a.UpperBound)) {
			return "step adjustments must be numbers"
		}
		if s.AdjustmentType == ExactCapacity && a.Adjustment < 0 {
			return "an ExactCapacity adjustment must not be negative"
		}
	}
	return ""
}

// valid reports whether cmp is one of the four comparisons.
func (cmp Comparison) valid() bool {
	switch cmp {
	case GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual:
		return true
	}
	return false
}

// above reports whether cmp alarms above its threshold (a scale-out alarm).
func (cmp Comparison) above() bool { return cmp == GreaterThan || cmp == GreaterThanOrEqual }

// breaches reports whether v breaches threshold t under cmp.
func (cmp Comparison) breaches(v, t float64) bool {
	switch cmp {
	case GreaterThanOrEqual:
		return v >= t
	case GreaterThan:
		return v > t
	case LessThan:
		return v < t
	case LessThanOrEqual:
		return v <= t
	}
	return false
}

// matches reports whether diff = metric - threshold falls in a's bounds. Per
// the StepAdjustment API reference, above the threshold the lower bound is
// inclusive and the upper exclusive; below it, the reverse. Nil is infinite.
func (a StepAdjustment) matches(diff float64, above bool) bool {
	if above {
		return (a.LowerBound == nil || diff >= *a.LowerBound) && (a.UpperBound == nil || diff < *a.UpperBound)
	}
	return (a.LowerBound == nil || diff > *a.LowerBound) && (a.UpperBound == nil || diff <= *a.UpperBound)
}

// roundPercent rounds a PercentChangeInCapacity result as EC2 Auto Scaling
// documents in "Scaling adjustment types": values greater than 1 are rounded
// down (12.7 -> 12), values between 0 and 1 are rounded to 1 (.67 -> 1),
// values between 0 and -1 are rounded to -1 (-.58 -> -1), and values less
// than -1 are rounded up, toward zero (-6.67 -> -6).
func roundPercent(x float64) float64 {
	switch {
	case x >= 1:
		return floorSnap(x)
	case x > 0:
		return 1
	case x == 0:
		return 0
	case x > -1:
		return -1
	default:
		return -floorSnap(-x)
	}
}

// bound appends a step bound as an interval end: side -1 is the lower bound,
// +1 the upper; the bracket shows whether the end is inclusive.
func (t *text) bound(b *float64, side int, above bool) *text {
	inclusive := (side < 0) == above
	if side < 0 {
		if b == nil {
			return t.s("(-Inf")
		}
		if inclusive {
			t.s("[")
		} else {
			t.s("(")
		}
		return t.f(*b)
	}
	if b == nil {
		return t.s("+Inf)")
	}
	t.f(*b)
	if inclusive {
		return t.s("]")
	}
	return t.s(")")
}
