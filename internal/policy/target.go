package policy

import "math"

// targetTracking proposes ceil(serving * value / target) from the newest
// datapoint, or current inside the tolerance band.
//
// Unlike EC2 Auto Scaling's target tracking, which acts through CloudWatch
// alarms on several datapoints (see docs/policies.md), this reads the newest
// datapoint every cycle and relies on stabilization for scale-in.
func (c *cycle) targetTracking(p Policy, tt *TargetTracking) (int, string, bool) {
	pi, why := c.policyInput(p)
	if why != "" {
		return 0, why, false
	}
	o, why := c.newest(p, pi)
	if why != "" {
		return 0, why, false
	}
	target, v := tt.Target, o.Value
	if !finite(target) || target <= 0 {
		return 0, c.t.s("target must be a positive number, not ").f(target).take(), false
	}
	tol := tt.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	if !finite(tol) || tol < 0 {
		return 0, c.t.s("tolerance must be a non-negative number, not ").f(tol).take(), false
	}
	if !finite(v) || v < 0 {
		return 0, c.t.s("metric value must be a non-negative number, not ").f(v).take(), false
	}
	if c.serving == 0 {
		return 0, "no serving instances: a utilization metric says nothing about the capacity needed", false
	}
	// intEps widens the band by float noise: 110 against 100 with 10% is
	// inside, although 110/100 - 1 is 0.10000000000000009.
	if math.Abs(v/target-1) <= tol+intEps {
		return c.cur, c.t.s("value ").f(v).s(" within ").f(tol * 100).s("% of target ").f(target).
			s(": hold at ").i(c.cur).take(), true
	}
	n := toCapacity(ceilSnap(float64(c.serving) * v / target))
	return n, c.t.s("value ").f(v).s(", target ").f(target).s(": ceil(").i(c.serving).s(" serving × ").f(v).
		s(" / ").f(target).s(") = ").i(n).take(), true
}
