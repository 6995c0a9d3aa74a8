package baseline

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Step adjustment types, as EC2 Auto Scaling's AdjustmentType names them.
const (
	ChangeInCapacity        = "ChangeInCapacity"
	PercentChangeInCapacity = "PercentChangeInCapacity"
	ExactCapacity           = "ExactCapacity"
)

// StepAdjustment is one step of a step scaling policy. Lower and Upper are
// relative to the alarm threshold, as the API's MetricIntervalLowerBound and
// MetricIntervalUpperBound; nil is infinite. Above the threshold the lower
// bound is inclusive and the upper exclusive.
type StepAdjustment struct {
	Lower, Upper *float64
	Adjustment   float64
	// Type is ChangeInCapacity (default), PercentChangeInCapacity or
	// ExactCapacity.
	Type string
}

// StepConfig configures the aws-step baseline: a scale-out step policy
// and a scale-in policy, each with its CloudWatch alarm on the backlog per
// instance (or CPU). Zero values take the defaults given on each field.
type StepConfig struct {
	// Metric is BacklogPerInstance (default) or CPU.
	Metric string
	// Threshold is the scale-out alarm's threshold; it must be positive.
	Threshold float64
	// Period is the alarms' period (default 60s).
	Period time.Duration
	// Datapoints of Periods at or above Threshold put the scale-out alarm
	// in ALARM (default 1 of 1).
	Datapoints, Periods int
	// ScaleInThreshold is the scale-in alarm's threshold (default half of
	// Threshold).
	ScaleInThreshold float64
	// ScaleInDatapoints of ScaleInPeriods at or below ScaleInThreshold put
	// the scale-in alarm in ALARM (default 15 of 15).
	ScaleInDatapoints, ScaleInPeriods int
	// Steps are the scale-out steps. Default, with T the threshold:
	// [T, 1.5T): +1 instance; [1.5T, 2T): +50%; 2T and above: +100%.
	Steps []StepAdjustment
	// ScaleInAdjustmentPercent is the scale-in policy's
	// PercentChangeInCapacity (default -10; a positive value is taken as
	// its negative).
	ScaleInAdjustmentPercent float64
	// MinAdjustmentMagnitude is the least change of a
	// PercentChangeInCapacity step (default 1).
	MinAdjustmentMagnitude int
	// Warmup is the instance warmup the policies are created with; see
	// TargetTrackingConfig.Warmup.
	Warmup time.Duration
}

// Defaults of StepConfig.
const (
	DefaultStepDatapoints         = 1
	DefaultStepScaleInRatio       = 0.5
	DefaultScaleInAdjustmentPct   = -10.0
	DefaultMinAdjustmentMagnitude = 1
)

// DefaultSteps are the default scale-out steps for threshold t.
func DefaultSteps(t float64) []StepAdjustment {
	f := func(x float64) *float64 { return &x }
	return []StepAdjustment{
		{Lower: f(0), Upper: f(0.5 * t), Adjustment: 1, Type: ChangeInCapacity},
		{Lower: f(0.5 * t), Upper: f(t), Adjustment: 50, Type: PercentChangeInCapacity},
		{Lower: f(t), Adjustment: 100, Type: PercentChangeInCapacity},
	}
}

// withDefaults fills the zero fields of c.
func (c StepConfig) withDefaults() StepConfig {
	if c.Metric == "" {
		c.Metric = BacklogPerInstance
	}
	if c.Period == 0 {
		c.Period = DefaultAlarmPeriod
	}
	c.Datapoints, c.Periods = mOfN(c.Datapoints, c.Periods, DefaultStepDatapoints)
	if c.ScaleInThreshold == 0 {
		c.ScaleInThreshold = DefaultStepScaleInRatio * c.Threshold
	}
	c.ScaleInDatapoints, c.ScaleInPeriods = mOfN(c.ScaleInDatapoints, c.ScaleInPeriods, DefaultScaleInDatapoints)
	if len(c.Steps) == 0 {
		c.Steps = DefaultSteps(c.Threshold)
	}
	for i := range c.Steps {
		if c.Steps[i].Type == "" {
			c.Steps[i].Type = ChangeInCapacity
		}
	}
	switch {
	case c.ScaleInAdjustmentPercent == 0:
		c.ScaleInAdjustmentPercent = DefaultScaleInAdjustmentPct
	case c.ScaleInAdjustmentPercent > 0:
		c.ScaleInAdjustmentPercent = -c.ScaleInAdjustmentPercent
	}
	if c.MinAdjustmentMagnitude == 0 {
		c.MinAdjustmentMagnitude = DefaultMinAdjustmentMagnitude
	}
	return c
}

// Validate reports every problem of c after defaults, each naming the
// field.
func (c StepConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Metric != BacklogPerInstance && c.Metric != CPU {
		errs = append(errs, fmt.Errorf("metric: %q is neither %q nor %q", c.Metric, BacklogPerInstance, CPU))
	}
	if !(c.Threshold > 0) || !finite(c.Threshold) {
		errs = append(errs, fmt.Errorf("threshold: %v must be a positive number", c.Threshold))
	}
	if c.Period < time.Second {
		errs = append(errs, fmt.Errorf("period: %v must be at least 1s", c.Period))
	}
	errs = append(errs, checkMOfN("scale_out", c.Datapoints, c.Periods, c.Period)...)
	if !(c.ScaleInThreshold >= 0) || !finite(c.ScaleInThreshold) {
		errs = append(errs, fmt.Errorf("scale_in_threshold: %v must be a number >= 0", c.ScaleInThreshold))
	}
	errs = append(errs, checkMOfN("scale_in", c.ScaleInDatapoints, c.ScaleInPeriods, c.Period)...)
	for i, s := range c.Steps {
		if err := s.validate(); err != nil {
			errs = append(errs, fmt.Errorf("steps[%d]: %w", i, err))
		}
	}
	if !finite(c.ScaleInAdjustmentPercent) {
		errs = append(errs, fmt.Errorf("scale_in_adjustment_percent: %v must be a number", c.ScaleInAdjustmentPercent))
	}
	if c.MinAdjustmentMagnitude < 0 {
		errs = append(errs, fmt.Errorf("min_adjustment_magnitude: %d must not be negative", c.MinAdjustmentMagnitude))
	}
	if c.Warmup < 0 {
		errs = append(errs, fmt.Errorf("warmup: %v must not be negative", c.Warmup))
	}
	return errors.Join(errs...)
}

// validate reports what in s cannot be applied.
func (s StepAdjustment) validate() error {
	switch s.Type {
	case ChangeInCapacity, PercentChangeInCapacity, ExactCapacity:
	default:
		return fmt.Errorf("type: unknown adjustment type %q", s.Type)
	}
	switch {
	case !finite(s.Adjustment):
		return fmt.Errorf("adjustment: %v must be a number", s.Adjustment)
	case s.Type == ExactCapacity && s.Adjustment < 0:
		return fmt.Errorf("adjustment: an ExactCapacity of %v must not be negative", s.Adjustment)
	case s.Lower == nil && s.Upper == nil:
		// "The upper and lower bound can't be null in the same step
		// adjustment" (Step and simple scaling policies).
		return errors.New("lower, upper: both bounds are null")
	case (s.Lower != nil && math.IsNaN(*s.Lower)) || (s.Upper != nil && math.IsNaN(*s.Upper)):
		return errors.New("lower, upper: a bound is not a number")
	}
	return nil
}

// matches reports whether diff = metric - threshold, above the threshold,
// falls in s: lower bound inclusive, upper exclusive.
func (s StepAdjustment) matches(diff float64) bool {
	return (s.Lower == nil || diff >= *s.Lower) && (s.Upper == nil || diff < *s.Upper)
}

// step is the aws-step baseline.
type step struct {
	c       StepConfig
	invalid bool
	clock   cadence
	// buf holds the readings of the current Tick.
	buf     []reading
	out, in alarm
}

// NewStep returns the "aws-step" baseline: an EC2 Auto Scaling step
// scaling policy for scale-out and a percent policy for scale-in, each
// invoked by its CloudWatch alarm. An invalid configuration (see Validate)
// yields a policy that never acts.
//
// What it models, from the EC2 Auto Scaling User Guide ("Step and simple
// scaling policies", "Set the default instance warmup"):
//   - The alarms evaluate published datapoints only (missing data treated
//     as missing) and invoke their policy once per period while in ALARM.
//   - The step is chosen by the most recent datapoint minus the threshold.
//   - The adjustment applies to the current capacity; while scaling out,
//     instances still pending or warming are not part of it, and the new
//     desired capacity only counts when it exceeds the desired capacity
//     already set ("If the metric gets to 70 while the new instance is still
//     warming up, we should add 3 instances (30 percent of 10 instances).
//     However, the desired capacity of the group is already 11, so we add
//     only 2 instances"). Breaches in the same step therefore make a single
//     scaling activity.
//   - PercentChangeInCapacity is rounded as documented and raised to
//     MinAdjustmentMagnitude.
//   - Scale-in removes ScaleInAdjustmentPercent of the InService capacity
//     (terminating instances still count), not while instances are pending
//     or warming.
func NewStep(c StepConfig) Policy {
	err := c.Validate()
	c = c.withDefaults()
	return &step{
		c:       c,
		invalid: err != nil,
		clock:   cadence{period: c.Period},
		out:     alarm{threshold: c.Threshold, above: true, orEqual: true, datapoints: c.Datapoints, periods: c.Periods},
		in:      alarm{threshold: c.ScaleInThreshold, orEqual: true, datapoints: c.ScaleInDatapoints, periods: c.ScaleInPeriods},
	}
}

// Name implements Policy.
func (p *step) Name() string { return NameStep }

// Decide implements Policy.
func (p *step) Decide(t Tick) (int, bool) {
	if p.invalid {
		return 0, false
	}
	rs := read(p.buf, t.Metrics, p.c.Metric, max(p.out.rangeLen(), p.in.rangeLen()))
	p.buf = rs
	if !p.clock.due(t.Now, rs) {
		return 0, false
	}
	cur := p.clock.current(t.Now)
	ow := p.out.window(rs, cur, p.c.Period)
	outChanged := p.out.evaluate(ow)
	iw := p.in.window(rs, cur, p.c.Period)
	inChanged := p.in.evaluate(iw)
	if p.out.invoke(t.Now, outChanged, p.c.Period) {
		r := newest(ow)
		if r == nil {
			return 0, false
		}
		if n, ok := p.scaleOut(r.value-p.c.Threshold, t.Serving); ok && n > t.Desired {
			return n, true
		}
		return 0, false
	}
	if p.in.invoke(t.Now, inChanged, p.c.Period) && !scaleInBlocked(t) {
		delta := p.percent(float64(t.InService), p.c.ScaleInAdjustmentPercent)
		if n := toCapacity(float64(t.InService) + delta); n < t.Desired {
			return n, true
		}
	}
	return 0, false
}

// scaleOut applies the step matching diff to the serving capacity; false
// when no step matches.
func (p *step) scaleOut(diff float64, serving int) (int, bool) {
	for _, s := range p.c.Steps {
		if !s.matches(diff) {
			continue
		}
		base := float64(serving)
		switch s.Type {
		case ExactCapacity:
			return toCapacity(math.Trunc(s.Adjustment)), true
		case PercentChangeInCapacity:
			return toCapacity(base + p.percent(base, s.Adjustment)), true
		}
		return toCapacity(base + math.Trunc(s.Adjustment)), true
	}
	return 0, false
}

// percent is pct percent of base as a whole change, rounded as AWS rounds
// and at least MinAdjustmentMagnitude in the adjustment's direction.
func (p *step) percent(base, pct float64) float64 {
	d := roundPercent(base * pct / 100)
	m := float64(p.c.MinAdjustmentMagnitude)
	switch {
	case pct > 0 && d < m:
		d = m
	case pct < 0 && d > -m:
		d = -m
	}
	return d
}
