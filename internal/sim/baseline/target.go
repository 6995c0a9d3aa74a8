package baseline

import (
	"errors"
	"fmt"
	"math"
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
	// ScaleInStep is the largest share of the desired capacity one
	// scale-in removes, rounded down and at least one instance (default
	// 1 - ScaleInRatio, see DefaultScaleInCooldown). 1 removes down to the
	// proportional capacity at once.
	ScaleInStep float64
	// ScaleInCooldown is the time after a scale-in before the next
	// scale-in may start; a scale-out ends it (default
	// DefaultScaleInCooldown).
	ScaleInCooldown time.Duration
	// DisableScaleIn leaves out the scale-in half, as the policy option of
	// the same name does.
	DisableScaleIn bool
}

// Defaults of TargetTrackingConfig: the alarms AWS creates for a target
// tracking policy on a 1-minute metric evaluate 3 datapoints to scale out
// and 15 to scale in, as observed on EC2 Auto Scaling groups
// (docs/performance.md#how-it-is-measured); the low alarm's threshold is a
// fraction of the target.
const (
	DefaultAlarmPeriod        = 60 * time.Second
	DefaultScaleOutDatapoints = 3
	DefaultScaleInDatapoints  = 15
	DefaultScaleInRatio       = 0.7
)

// DefaultScaleInCooldown paces scale-in. The documents say that target
// tracking "scales in more gradually" and give no rate:
//   - "A target tracking scaling policy prioritizes availability during
//     periods of fluctuating traffic levels by scaling in more gradually
//     when traffic is decreasing. If you want your Auto Scaling group to
//     scale in immediately when a workload finishes, you can disable the
//     scale-in portion of the policy."
//     (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html,
//     Considerations)
//   - "To ensure application availability, Application Auto Scaling scales
//     out proportionally to the metric as fast as it can, but scales in
//     more gradually." and "we will choose not to scale-in until the metric
//     lowers enough that we think scaling in won't cause oscillation."
//     (https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html)
//
// The only figure AWS publishes for the pace of target-tracking scale-in is
// Application Auto Scaling's default scale-in cooldown, 300 s for ECS
// services, Spot Fleets, custom resources and most other targets ("the
// intention is to scale in conservatively ... so scale-in activities are
// blocked until the scale-in cooldown period has expired. However, if
// another alarm triggers a scale-out activity during the scale-in cooldown
// period, Application Auto Scaling scales out the target immediately",
// same page, "Define cooldown periods"). EC2 Auto Scaling documents no
// such setting for target tracking, so the baseline borrows it. The step
// of one scale-in defaults to 1 - ScaleInRatio of the desired capacity:
// what the proportional rule removes when the metric sits at the low
// alarm's threshold. A metric far below it (an empty queue reads 0
// whatever the throughput) does not license a larger jump, since the
// scale-in is to be gradual. Both numbers are choices where the documents
// are silent; docs/performance.md ("Modelling choices") says how they move
// the figures.
const DefaultScaleInCooldown = 300 * time.Second

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
	if c.ScaleInStep == 0 {
		c.ScaleInStep = 1 - c.ScaleInRatio
	}
	if c.ScaleInCooldown == 0 {
		c.ScaleInCooldown = DefaultScaleInCooldown
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
	if !(c.ScaleInStep > 0 && c.ScaleInStep <= 1) {
		errs = append(errs, fmt.Errorf("scale_in_step: %v must be in (0, 1]", c.ScaleInStep))
	}
	if c.ScaleInCooldown < 0 {
		errs = append(errs, fmt.Errorf("scale_in_cooldown: %v must not be negative", c.ScaleInCooldown))
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
	// coolUntil is when the scale-in cooldown of the last scale-in ends.
	coolUntil time.Time
}

// NewTargetTracking returns the "aws-target-tracking" baseline: an EC2 Auto
// Scaling target tracking policy with its two CloudWatch alarms. An invalid
// configuration (see Validate) yields a policy that never acts.
//
// What it models, from the EC2 Auto Scaling User Guide ("Target tracking
// scaling policies", "Set the default instance warmup", "Scaling based on
// Amazon SQS"), the Application Auto Scaling User Guide ("How target
// tracking scaling works") and the CloudWatch User Guide ("Using Amazon
// CloudWatch alarms"):
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
//     five instances"). A scale-out ends a scale-in cooldown.
//   - Scale-in aims at the same proportional capacity, rounded up: it "won't
//     scale-in if it calculates that removing a minimum unit of capacity
//     would likely bring the metric back above the target value", and the
//     rounding prevents "removing too many instances". Terminating
//     instances still count as capacity. It does not start while instances
//     are pending or warming ("blocks scale-in activities ... until the
//     instances finish warming up"; "a scale-in activity can't start while
//     a scale-out activity is in progress").
//   - Scale-in is gradual (see DefaultScaleInCooldown): one scale-in
//     removes at most ScaleInStep of the desired capacity, and the next
//     waits for ScaleInCooldown. So a metric that reads 0 (an empty queue)
//     walks the group down step by step, to MinSize if it stays 0, as the
//     documents allow for "real 0 values" when there is no traffic "for a
//     sustained period of time"; it never drops to MinSize in one action.
//     The policy has no throughput input (the SQS recipe divides visible
//     messages by InService instances), so it sets no floor from one.
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
				p.coolUntil = time.Time{}
				return n, true
			}
		}
		return 0, false
	}
	if !p.c.DisableScaleIn && p.low.invoke(t.Now, lowChanged, p.c.Period) {
		if scaleInBlocked(t) || t.Now.Before(p.coolUntil) {
			return 0, false
		}
		if r := newest(lw); r != nil {
			if n, ok := p.scaleIn(r, t); ok {
				p.coolUntil = t.Now.Add(p.c.ScaleInCooldown)
				return n, true
			}
		}
	}
	return 0, false
}

// scaleIn is the capacity one scale-in sets for the reading r: the
// proportional capacity, but no more than ScaleInStep of the desired
// capacity (at least one instance) below it, and not below MinSize. It
// reports false when that removes nothing.
func (p *targetTracking) scaleIn(r *reading, t Tick) (int, bool) {
	step := max(1, floorCount(p.c.ScaleInStep*float64(t.Desired)))
	n := max(p.capacity(r, t.InService), t.Desired-step, t.Min)
	return n, n < t.Desired
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

// floorCount is floor(x) as a count, ignoring float noise below an
// integer: 0.29 x 100 is 28.999999999999996 in floats and must remove 29
// instances, not 28.
func floorCount(x float64) int {
	if r, ok := snapped(x); ok {
		x = r
	}
	return toCapacity(math.Floor(x))
}

// scaleInBlocked reports whether a dynamic scale-in cannot start: an
// instance is pending or still warming, or a launch has been asked for
// and not begun.
func scaleInBlocked(t Tick) bool {
	return t.Pending > 0 || t.InService > t.Serving || t.Desired > t.InService
}
