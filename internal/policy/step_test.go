package policy

import (
	"math"
	"testing"
	"time"
)

// awsScaleOut and awsScaleIn are the step adjustments of the worked example
// in the Amazon EC2 Auto Scaling User Guide, "Step and simple scaling
// policies" (as-scaling-simple-step), "Step adjustments": a breach threshold
// of 50 and PercentChangeInCapacity steps
//
//	scale out: [0, 10) 0, [10, 20) +10, [20, null) +30
//	scale in:  (-10, 0] 0, (-20, -10] -10, (null, -20] -30
//
// "This creates the following scaling configuration":
//
//	-infinity   30%   40%   60%   70%   infinity
//	      -30%   | -10% | Unchanged | +10% | +30%
func awsScaleOut() *Step {
	return &Step{Threshold: 50, Comparison: GreaterThanOrEqual, EvaluationPeriods: 1,
		AdjustmentType: PercentChangeInCapacity, Adjustments: []StepAdjustment{
			{LowerBound: fp(0), UpperBound: fp(10), Adjustment: 0},
			{LowerBound: fp(10), UpperBound: fp(20), Adjustment: 10},
			{LowerBound: fp(20), Adjustment: 30},
		}}
}

func awsScaleIn() *Step {
	return &Step{Threshold: 50, Comparison: LessThanOrEqual, EvaluationPeriods: 1,
		AdjustmentType: PercentChangeInCapacity, Adjustments: []StepAdjustment{
			{LowerBound: fp(-10), UpperBound: fp(0), Adjustment: 0},
			{LowerBound: fp(-20), UpperBound: fp(-10), Adjustment: -10},
			{UpperBound: fp(-20), Adjustment: -30},
		}}
}

func TestStep(t *testing.T) {
	cases := []struct {
		name             string
		step             *Step
		current, serving int
		input            PolicyInput
		want             int
		ok               bool
		reason           string
	}{
		// "The desired and current capacity is maintained while the aggregated
		// metric value is greater than 40 and less than 60."
		{name: "aws: 55 is inside the unchanged step", step: awsScaleOut(), current: 10, serving: 10,
			input: series(55), want: 10, ok: true, reason: "step [0, 10) +0% = +0"},
		// "If the metric value gets to 60, the desired capacity of the group
		// increases by 1 instance, to 11 instances ... (add 10 percent of 10
		// instances)."
		{name: "aws: 60 adds 10% of 10", step: awsScaleOut(), current: 10, serving: 10,
			input: series(60), want: 11, ok: true, reason: "step [10, 20) +10% = +1 on 10 serving = 11"},
		// "If the metric value rises to 70 even after this increase in
		// capacity, the desired capacity of the group increases by another 3
		// instances, to 14 instances ... (add 30 percent of 11 instances, 3.3
		// instances, rounded down to 3 instances)."
		{name: "aws: 70 adds 30% of 11 rounded down", step: awsScaleOut(), current: 11, serving: 11,
			input: series(70), want: 14, ok: true, reason: "step [20, +Inf) +30% = +3"},
		// "If the metric value gets to 40, the desired capacity of the group
		// decreases by 1 instance, to 13 instances ... (remove 10 percent of 14
		// instances, 1.4 instances, rounded down to 1 instance)."
		{name: "aws: 40 removes 10% of 14", step: awsScaleIn(), current: 14, serving: 14,
			input: series(40), want: 13, ok: true, reason: "step (-20, -10] -10% = -1"},
		// "If the metric value falls to 30 even after this decrease in capacity,
		// the desired capacity of the group decreases by another 3 instances,
		// to 10 instances ... (remove 30 percent of 13 instances, 3.9
		// instances, rounded down to 3 instances)."
		{name: "aws: 30 removes 30% of 13", step: awsScaleIn(), current: 13, serving: 13,
			input: series(30), want: 10, ok: true, reason: "step (-Inf, -20] -30% = -3"},
		// "the desired capacity of the group is already 11, so we add only 2
		// instances, for a new desired capacity of 13 instances" -- same page,
		// "Instance warm-up": +30% of 10 serving with desired 11.
		{name: "aws in progress: +30% of 10 with desired 11 means 13", step: awsScaleOut(), current: 11, serving: 10,
			input: series(70), want: 13, ok: true},
		// "suppose that the metric gets to 60, and then it gets to 62 while the
		// new instance is still warming up. The current capacity is still 10
		// instances, so 1 instance is added (10 percent of 10 instances).
		// However, the desired capacity of the group is already 11 instances,
		// so the scaling policy does not increase the desired capacity further."
		{name: "aws in progress: +10% of 10 with desired 11 holds", step: awsScaleOut(), current: 11, serving: 10,
			input: series(62), want: 11, ok: true, reason: "not above current 11: hold"},
		{name: "scale in during a scale in holds", step: awsScaleIn(), current: 12, serving: 14,
			input: series(40), want: 12, ok: true, reason: "not below current 12: hold"},

		// Bounds, per the StepAdjustment API reference: with a breach threshold
		// of 50, "To trigger the adjustment when the metric is greater than or
		// equal to 50 and less than 60, specify a lower bound of 0 and an upper
		// bound of 10. To trigger the adjustment when the metric is greater
		// than 40 and less than or equal to 50, specify a lower bound of -10 and
		// an upper bound of 0."
		{name: "above: lower bound inclusive at 50", step: oneStep(GreaterThanOrEqual, fp(0), fp(10), 1), current: 5, serving: 5,
			input: series(50), want: 6, ok: true},
		{name: "above: upper bound exclusive at 60", step: oneStep(GreaterThanOrEqual, fp(0), fp(10), 1), current: 5, serving: 5,
			input: series(60), want: 5, ok: true, reason: "no step matches"},
		{name: "below: upper bound inclusive at 50", step: oneStep(LessThanOrEqual, fp(-10), fp(0), -1), current: 5, serving: 5,
			input: series(50), want: 4, ok: true},
		{name: "below: lower bound exclusive at 40", step: oneStep(LessThanOrEqual, fp(-10), fp(0), -1), current: 5, serving: 5,
			input: series(40), want: 5, ok: true, reason: "no step matches"},
		{name: "below: just above 40 matches", step: oneStep(LessThanOrEqual, fp(-10), fp(0), -1), current: 5, serving: 5,
			input: series(40.001), want: 4, ok: true},

		// Adjustment types, from "Scaling adjustment types": ChangeInCapacity
		// "If the current capacity of the group is 3 and the adjustment is 5
		// ... a total of 8"; ExactCapacity "... we change the capacity to 5";
		// PercentChangeInCapacity "If the current capacity is 10 and the
		// adjustment is 10 percent ... a total of 11".
		{name: "ChangeInCapacity 3 + 5", step: typed(ChangeInCapacity, 5, 0), current: 3, serving: 3,
			input: series(80), want: 8, ok: true},
		{name: "ExactCapacity 5 from 3", step: typed(ExactCapacity, 5, 0), current: 3, serving: 3,
			input: series(80), want: 5, ok: true, reason: "exact 5"},
		{name: "ExactCapacity may scale in", step: typed(ExactCapacity, 5, 0), current: 10, serving: 10,
			input: series(80), want: 5, ok: true},
		{name: "PercentChangeInCapacity 10% of 10", step: typed(PercentChangeInCapacity, 10, 0), current: 10, serving: 10,
			input: series(80), want: 11, ok: true},
		// "suppose that you create a policy that adds 25 percent and you
		// specify a minimum increment of 2 instances. If you have an Auto
		// Scaling group with 4 instances ... 25 percent of 4 is 1 instance.
		// However, because you specified a minimum increment of 2, there are 2
		// instances added."
		{name: "MinAdjustmentMagnitude: 25% of 4 with minimum 2", step: typed(PercentChangeInCapacity, 25, 2), current: 4, serving: 4,
			input: series(80), want: 6, ok: true},
		{name: "MinAdjustmentMagnitude on scale in", step: typed(PercentChangeInCapacity, -10, 2), current: 10, serving: 10,
			input: series(80), want: 8, ok: true},
		{name: "MinAdjustmentMagnitude does not shrink a bigger change", step: typed(PercentChangeInCapacity, 50, 2), current: 10, serving: 10,
			input: series(80), want: 15, ok: true},
		{name: "MinAdjustmentMagnitude ignored for ChangeInCapacity", step: typed(ChangeInCapacity, 1, 5), current: 4, serving: 4,
			input: series(80), want: 5, ok: true},
		{name: "percent of zero serving with a minimum", step: typed(PercentChangeInCapacity, 50, 1), current: 0, serving: 0,
			input: series(80), want: 1, ok: true},
		{name: "ChangeInCapacity never below zero", step: typed(ChangeInCapacity, -20, 0), current: 5, serving: 5,
			input: series(80), want: 0, ok: true},
		{name: "fractional ChangeInCapacity truncates toward zero", step: typed(ChangeInCapacity, -1.9, 0), current: 5, serving: 5,
			input: series(80), want: 4, ok: true},
		{name: "zero change holds", step: typed(ChangeInCapacity, 0, 0), current: 7, serving: 5,
			input: series(80), want: 7, ok: true, reason: "no change: hold"},

		// Alarm evaluation.
		{name: "2 of 3 breach: alarm", step: nOfM(2, 3), current: 5, serving: 5,
			input: series(60, 40, 60), want: 6, ok: true, reason: "in alarm (2 of 3)"},
		{name: "1 of 3 breach: OK, hold", step: nOfM(2, 3), current: 5, serving: 5,
			input: series(60, 40, 40), want: 5, ok: true, reason: "alarm OK: 1 of 3 datapoints GreaterThanOrEqualToThreshold 50 (2 needed)"},
		{name: "only the newest evaluation periods count", step: nOfM(2, 3), current: 5, serving: 5,
			input: series(40, 40, 60, 60, 60), want: 5, ok: true, reason: "alarm OK"},
		{name: "fewer datapoints than needed", step: nOfM(2, 3), current: 5, serving: 5,
			input: series(60), want: 5, ok: true, reason: "alarm OK: 1 of 1"},
		{name: "datapoints to alarm defaults to evaluation periods", step: nOfM(0, 3), current: 5, serving: 5,
			input: series(60, 60, 40), want: 5, ok: true, reason: "(3 needed)"},
		{name: "GreaterThan does not breach at the threshold", step: cmpStep(GreaterThan), current: 5, serving: 5,
			input: series(50), want: 5, ok: true, reason: "alarm OK"},
		{name: "LessThan breaches below", step: cmpStep(LessThan), current: 5, serving: 5,
			input: series(49), want: 6, ok: true},
		{name: "in alarm but newest below a scale-out step", step: &Step{Threshold: 50, Comparison: GreaterThan,
			EvaluationPeriods: 3, DatapointsToAlarm: 2, AdjustmentType: ChangeInCapacity,
			Adjustments: []StepAdjustment{{LowerBound: fp(0), Adjustment: 1}}}, current: 5, serving: 5,
			input: series(45, 70, 70), want: 5, ok: true, reason: "value 45 is -5 from 50, no step matches"},

		// Input and config problems.
		{name: "stale newest datapoint", step: awsScaleOut(), current: 5, serving: 5,
			input: metric(90, 10*time.Minute), reason: "stale"},
		{name: "NaN datapoint", step: nOfM(2, 3), current: 5, serving: 5,
			input: series(60, math.NaN(), 60), reason: "datapoint 1 is not a number"},
		{name: "unknown comparison", step: cmpStep("Sideways"), current: 5, serving: 5,
			input: series(60), reason: `unknown comparison "Sideways"`},
		{name: "unknown adjustment type", step: typed("Double", 1, 0), current: 5, serving: 5,
			input: series(60), reason: `unknown adjustment type "Double"`},
		{name: "no adjustments", step: &Step{Threshold: 50, Comparison: GreaterThan, AdjustmentType: ChangeInCapacity},
			current: 5, serving: 5, input: series(60), reason: "no step adjustments"},
		{name: "datapoints to alarm above periods", step: nOfM(4, 3), current: 5, serving: 5,
			input: series(60), reason: "datapoints to alarm must be"},
		{name: "NaN threshold", step: &Step{Threshold: math.NaN(), Comparison: GreaterThan, AdjustmentType: ChangeInCapacity,
			Adjustments: []StepAdjustment{{Adjustment: 1}}}, current: 5, serving: 5, input: series(60), reason: "threshold"},
		{name: "negative exact capacity", step: typed(ExactCapacity, -1, 0), current: 5, serving: 5,
			input: series(60), reason: "ExactCapacity adjustment must not be negative"},
		{name: "infinite adjustment", step: typed(ChangeInCapacity, math.Inf(1), 0), current: 5, serving: 5,
			input: series(60), reason: "must be numbers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Policy{Name: "alarm", Step: tc.step}
			got := only(t, p, in(tc.current, tc.serving, map[string]PolicyInput{"alarm": tc.input}))
			checkProposal(t, got, tc.want, tc.ok, tc.reason)
		})
	}
}

// oneStep is a one-adjustment ChangeInCapacity policy with threshold 50.
func oneStep(cmp Comparison, lo, hi *float64, adj float64) *Step {
	return &Step{Threshold: 50, Comparison: cmp, EvaluationPeriods: 1, AdjustmentType: ChangeInCapacity,
		Adjustments: []StepAdjustment{{LowerBound: lo, UpperBound: hi, Adjustment: adj}}}
}

// typed is a one-step policy above threshold 50 with any adjustment type.
func typed(at AdjustmentType, adj float64, minMag int) *Step {
	return &Step{Threshold: 50, Comparison: GreaterThanOrEqual, EvaluationPeriods: 1, AdjustmentType: at,
		MinAdjustmentMagnitude: minMag, Adjustments: []StepAdjustment{{LowerBound: fp(0), Adjustment: adj}}}
}

// nOfM alarms on n of m datapoints >= 50 and adds 1.
func nOfM(n, m int) *Step {
	s := oneStep(GreaterThanOrEqual, fp(0), nil, 1)
	s.DatapointsToAlarm, s.EvaluationPeriods = n, m
	return s
}

// cmpStep adds 1 on any breach of 50 with cmp.
func cmpStep(cmp Comparison) *Step {
	return &Step{Threshold: 50, Comparison: cmp, EvaluationPeriods: 1, AdjustmentType: ChangeInCapacity,
		Adjustments: []StepAdjustment{{Adjustment: 1}}}
}

func TestRoundPercent(t *testing.T) {
	// "If the resulting value is not an integer, it is rounded as follows:
	// Values greater than 1 are rounded down. For example, 12.7 is rounded to
	// 12. Values between 0 and 1 are rounded to 1. For example, .67 is rounded
	// to 1. Values between 0 and -1 are rounded to -1. For example, -.58 is
	// rounded to -1. Values less than -1 are rounded up. For example, -6.67 is
	// rounded to -6." -- Amazon EC2 Auto Scaling User Guide, "Scaling
	// adjustment types" (as-scaling-simple-step).
	cases := []struct {
		name   string
		in     float64
		want   float64
		source string
	}{
		{"aws 12.7", 12.7, 12, "doc"},
		{"aws .67", 0.67, 1, "doc"},
		{"aws -.58", -0.58, -1, "doc"},
		{"aws -6.67", -6.67, -6, "doc"},
		{"1.5 is greater than 1: down", 1.5, 1, "rule"},
		{"0.4 is between 0 and 1", 0.4, 1, "rule"},
		{"-0.5 is between 0 and -1", -0.5, -1, "rule"},
		{"-1.7 is less than -1: toward zero", -1.7, -1, "rule"},
		{"3.3 (30% of 11)", 3.3, 3, "doc example"},
		{"-3.9 (30% of 13)", -3.9, -3, "doc example"},
		{"exactly 1", 1, 1, "rule"},
		{"exactly -1", -1, -1, "rule"},
		{"zero", 0, 0, "rule"},
		{"float noise below 3", 2.9999999999999996, 3, "noise"},
		{"float noise above -3", -2.9999999999999996, -3, "noise"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := roundPercent(tc.in); got != tc.want {
				t.Errorf("roundPercent(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
