package baseline

import (
	"errors"
	"fmt"
	"time"
)

// TargetTrackingConfig configures the aws-target-tracking baseline. Zero
// values take the defaults given on each field.
type TargetTrackingConfig struct {
	// Metric is BacklogPerInstance (default) or CPU.
	Metric string
	// Target is the target value: acceptable backlog per instance, or CPU
	// percent. It must be positive.
	Target float64
	// Period is the alarms' period (default 60s); use 5 minutes for CPU
	// under basic monitoring.
	Period time.Duration
	// ScaleOutDatapoints of ScaleOutPeriods above the target put the high
	// alarm in ALARM (default 3 of 3).
	ScaleOutDatapoints, ScaleOutPeriods int
	// ScaleInDatapoints of ScaleInPeriods below ScaleInRatio x Target put
	// the low alarm in ALARM (default 15 of 15).
	ScaleInDatapoints, ScaleInPeriods int
	// ScaleInRatio sets the low alarm's threshold (default 0.7).
	ScaleInRatio float64
	// Warmup is the instance warmup the policy is created with. The world
	// applies it when it counts Tick.Serving; the policy tells warming
	// instances by InService > Serving, so the two must agree.
	Warmup time.Duration
	// DisableScaleIn leaves out the scale-in half, as the policy option of
	// the same name does.
	DisableScaleIn bool
}

// Defaults of TargetTrackingConfig: the alarms AWS creates for a target
// tracking policy on a 1-minute metric evaluate 3 datapoints to scale out
// and 15 to scale in, as observed on EC2 Auto Scaling groups (DESIGN.md
// section 10); the low alarm's threshold is a fraction of the target.
const (
	DefaultAlarmPeriod        = 60 * time.Second
	DefaultScaleOutDatapoints = 3
	DefaultScaleInDatapoints  = 15
	DefaultScaleInRatio       = 0.7
)

// withDefaults fills the zero fields of c.
func (c TargetTrackingConfig) withDefaults() TargetTrackingConfig {
	if c.Metric == "" {
		c.Metric = BacklogPerInstance
	}
	if c.Period == 0 {
		c.Period = DefaultAlarmPeriod
	}
	c.ScaleOutDatapoints, c.ScaleOutPeriods = mOfN(c.ScaleOutDatapoints, c.ScaleOutPeriods, DefaultScaleOutDatapoints)
	c.ScaleInDatapoints, c.ScaleInPeriods = mOfN(c.ScaleInDatapoints, c.ScaleInPeriods, DefaultScaleInDatapoints)
	if c.ScaleInRatio == 0 {
		c.ScaleInRatio = DefaultScaleInRatio
	}
	return c
}

// mOfN defaults an "M out of N" pair: both zero is def of def; one zero
// takes the other (CloudWatch's DatapointsToAlarm defaults to the
// evaluation periods).
func mOfN(m, n, def int) (int, int) {
	switch {
	case m == 0 && n == 0:
		return def, def
	case m == 0:
		return n, n
	case n == 0:
		return m, m
	}
	return m, n
}

// Validate reports every problem of c after defaults, each naming the
// field.
func (c TargetTrackingConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Metric != BacklogPerInstance && c.Metric != CPU {
		errs = append(errs, fmt.Errorf("metric: %q is neither %q nor %q", c.Metric, BacklogPerInstance, CPU))
	}
	if !(c.Target > 0) || !finite(c.Target) {
		errs = append(errs, fmt.Errorf("target: %v must be a positive number", c.Target))
	}
	if c.Period < time.Second {
		errs = append(errs, fmt.Errorf("period: %v must be at least 1s", c.Period))
	}
	errs = append(errs, checkMOfN("scale_out", c.ScaleOutDatapoints, c.ScaleOutPeriods, c.Period)...)
	errs = append(errs, checkMOfN("scale_in", c.ScaleInDatapoints, c.ScaleInPeriods, c.Period)...)
	if !(c.ScaleInRatio > 0 && c.ScaleInRatio <= 1) {
		errs = append(errs, fmt.Errorf("scale_in_ratio: %v must be in (0, 1]", c.ScaleInRatio))
	}
	if c.Warmup < 0 {
		errs = append(errs, fmt.Errorf("warmup: %v must not be negative", c.Warmup))
	}
	return errors.Join(errs...)
}

// maxEvaluationTime is CloudWatch's limit on an alarm's evaluation periods
// times its period: "can't exceed one day" ("Using Amazon CloudWatch
// alarms").
const maxEvaluationTime = 24 * time.Hour

// checkMOfN reports problems of an "M out of N" alarm setting with the
// given period.
func checkMOfN(field string, m, n int, period time.Duration) []error {
	var errs []error
	if n < 1 || (period > 0 && time.Duration(n) > maxEvaluationTime/period) {
		errs = append(errs, fmt.Errorf("%s_periods: %d must be at least 1 and span at most %v", field, n, maxEvaluationTime))
	}
	if m < 1 || m > n {
		errs = append(errs, fmt.Errorf("%s_datapoints: %d must be in [1, periods]", field, m))
	}
	return errs
}

// targetTracking is the aws-target-tracking baseline.
type targetTracking struct {
	c       TargetTrackingConfig
	invalid bool
	clock   cadence
	// buf holds the readings of the current Tick.
	buf  []reading
	high alarm
	low  alarm
}

// NewTargetTracking returns the "aws-target-tracking" baseline: an EC2 Auto
// Scaling target tracking policy with its two CloudWatch alarms. An invalid
// configuration (see Validate) yields a policy that never acts.
//
// What it models, from the EC2 Auto Scaling User Guide ("Target tracking
// scaling policies", "Set the default instance warmup", "Scaling based on
// Amazon SQS") and the CloudWatch User Guide ("Using Amazon CloudWatch
// alarms"):
//   - The high alarm (metric > target, ScaleOutDatapoints of
//     ScaleOutPeriods) and the low alarm (metric < ScaleInRatio x target,
//     ScaleInDatapoints of ScaleInPeriods) evaluate published datapoints
//     only, with missing data treated as missing.
//   - While an alarm is in ALARM it invokes the policy once per period.
//   - Scale-out sets ceil(capacity x metric / target) when that is above
//     the desired capacity: capacity already launched and warming is not
//     added again. For CPU the capacity is the serving instances (warming
//     ones are "not part of the current capacity" while scaling out). For
//     backlog per instance it is the InService count the metric was divided
//     by, so the result is ceil(visible / target), the SQS page's own
//     arithmetic ("1500 / 10 = 150 per instance, target 100: scales out by
//     five instances").
//   - Scale-in sets the same proportional capacity, rounded up so that no
//     more is removed than the metric allows, when it is below the desired
//     capacity; terminating instances still count as capacity. It does not
//     start while instances are pending or warming ("blocks scale-in
//     activities ... until the instances finish warming up"; "a scale-in
//     activity can't start while a scale-out activity is in progress").
//     The documents call scale-in "gradual" without a rate; the gradualness
//     modelled is the 15-period low alarm, the lower threshold and these
//     blocks, and each scale-in goes to the proportional capacity at once,
//     the choice most favourable to the baseline's cost.
func NewTargetTracking(c TargetTrackingConfig) Policy {
	err := c.Validate()
	c = c.withDefaults()
	return &targetTracking{
		c:       c,
		invalid: err != nil,
		clock:   cadence{period: c.Period},
		high:    alarm{threshold: c.Target, above: true, datapoints: c.ScaleOutDatapoints, periods: c.ScaleOutPeriods},
		low:     alarm{threshold: c.ScaleInRatio * c.Target, datapoints: c.ScaleInDatapoints, periods: c.ScaleInPeriods},
	}
}

// Name implements Policy.
func (p *targetTracking) Name() string { return NameTargetTracking }

// Decide implements Policy.
func (p *targetTracking) Decide(t Tick) (int, bool) {
	if p.invalid {
		return 0, false
	}
	rs := read(p.buf, t.Metrics, p.c.Metric, max(p.high.rangeLen(), p.low.rangeLen()))
	p.buf = rs
	if !p.clock.due(t.Now, rs) {
		return 0, false
	}
	cur := p.clock.current(t.Now)
	hw := p.high.window(rs, cur, p.c.Period)
	highChanged := p.high.evaluate(hw)
	var lw []*reading
	lowChanged := false
	if !p.c.DisableScaleIn {
		lw = p.low.window(rs, cur, p.c.Period)
		lowChanged = p.low.evaluate(lw)
	}
	if p.high.invoke(t.Now, highChanged, p.c.Period) {
		if r := newest(hw); r != nil {
			if n := p.capacity(r, t.Serving); n > t.Desired {
				return n, true
			}
		}
		return 0, false
	}
	if !p.c.DisableScaleIn && p.low.invoke(t.Now, lowChanged, p.c.Period) {
		if scaleInBlocked(t) {
			return 0, false
		}
		if r := newest(lw); r != nil {
			if n := p.capacity(r, t.InService); n < t.Desired {
				return n, true
			}
		}
	}
	return 0, false
}

// capacity is the proportional capacity for the reading r: for backlog
// per instance ceil(visible / target), otherwise ceil(base x value /
// target).
func (p *targetTracking) capacity(r *reading, base int) int {
	if p.c.Metric == BacklogPerInstance {
		return ceilCapacity(r.load / p.c.Target)
	}
	return ceilCapacity(float64(base) * r.value / p.c.Target)
}

// scaleInBlocked reports whether a dynamic scale-in cannot start: an
// instance is pending or still warming, or a launch has been asked for
// and not begun.
func scaleInBlocked(t Tick) bool {
	return t.Pending > 0 || t.InService > t.Serving || t.Desired > t.InService
}
