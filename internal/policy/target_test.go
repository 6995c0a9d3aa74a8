package policy

import (
	"math"
	"testing"
	"time"
)

func TestTargetTracking(t *testing.T) {
	cases := []struct {
		name             string
		target, tol      float64
		current, serving int
		input            PolicyInput
		noInput          bool
		want             int
		ok               bool
		reason           string
	}{
		// "let's say that the current ApproximateNumberOfMessages is 1500 and
		// the fleet's running capacity is 10 ... the acceptable backlog per
		// instance is 10 / 0.1, which equals 100 ... Because the backlog per
		// instance is currently at 150 (1500 / 10), your fleet scales out by
		// five instances" -- Amazon EC2 Auto Scaling User Guide, "Scaling based
		// on Amazon SQS" (as-using-sqs-queue).
		{name: "aws sqs backlog per instance 150 vs 100 on 10", target: 100, current: 10, serving: 10,
			input: metric(150, time.Minute), want: 15, ok: true, reason: "ceil(10 serving × 150 / 100) = 15"},
		{name: "scale in proportionally", target: 80, current: 10, serving: 10,
			input: metric(40, time.Minute), want: 5, ok: true},
		{name: "warming instances do not count", target: 50, current: 14, serving: 10,
			input: metric(75, time.Minute), want: 15, ok: true},
		{name: "inside the default band holds at current", target: 100, current: 12, serving: 10,
			input: metric(105, time.Minute), want: 12, ok: true, reason: "within 10% of target 100"},
		{name: "band edge is inside despite float noise", target: 100, current: 10, serving: 10,
			input: metric(110, time.Minute), want: 10, ok: true, reason: "within"},
		{name: "low band edge is inside", target: 100, current: 10, serving: 10,
			input: metric(90, time.Minute), want: 10, ok: true, reason: "within"},
		{name: "just outside the band", target: 100, current: 10, serving: 10,
			input: metric(111, time.Minute), want: 12, ok: true},
		{name: "custom tolerance inside", target: 100, tol: 0.05, current: 10, serving: 10,
			input: metric(104, time.Minute), want: 10, ok: true},
		{name: "custom tolerance outside", target: 100, tol: 0.05, current: 10, serving: 10,
			input: metric(106, time.Minute), want: 11, ok: true},
		{name: "float noise: 10 x 0.7 is 7, not 8", target: 1, current: 20, serving: 10,
			input: metric(0.7, time.Minute), want: 7, ok: true},
		{name: "float noise: 10 x 150 / 100 is exactly 15", target: 100, current: 10, serving: 10,
			input: metric(150, 0), want: 15, ok: true},
		{name: "idle metric proposes zero", target: 50, current: 4, serving: 4,
			input: metric(0, time.Minute), want: 0, ok: true},
		{name: "huge value is capped", target: 1, current: 4, serving: 4,
			input: metric(1e300, time.Minute), want: MaxCapacity, ok: true},
		{name: "no serving instances", target: 50, current: 3, serving: 0,
			input: metric(90, time.Minute), reason: "no serving instances"},
		{name: "zero target", target: 0, current: 3, serving: 3,
			input: metric(90, time.Minute), reason: "target must be a positive number"},
		{name: "negative target", target: -5, current: 3, serving: 3,
			input: metric(90, time.Minute), reason: "target must be a positive number"},
		{name: "NaN target", target: math.NaN(), current: 3, serving: 3,
			input: metric(90, time.Minute), reason: "target must be a positive number"},
		{name: "negative tolerance", target: 50, tol: -0.1, current: 3, serving: 3,
			input: metric(90, time.Minute), reason: "tolerance must be"},
		{name: "NaN value", target: 50, current: 3, serving: 3,
			input: metric(math.NaN(), time.Minute), reason: "metric value must be a non-negative number, not NaN"},
		{name: "infinite value", target: 50, current: 3, serving: 3,
			input: metric(math.Inf(1), time.Minute), reason: "metric value must be"},
		{name: "negative value", target: 50, current: 3, serving: 3,
			input: metric(-1, time.Minute), reason: "metric value must be"},
		{name: "stale newest datapoint", target: 50, current: 3, serving: 3,
			input: metric(90, 3*time.Minute), reason: "stale: newest datapoint is 3m0s old, max age 2m0s"},
		{name: "exactly max age is fresh", target: 50, current: 3, serving: 3,
			input: metric(100, 2*time.Minute), want: 6, ok: true},
		{name: "missing input", target: 50, current: 3, serving: 3,
			input: PolicyInput{Missing: "GetMetricData: throttled"}, reason: "input missing: GetMetricData: throttled"},
		{name: "no datapoints", target: 50, current: 3, serving: 3,
			input: PolicyInput{}, reason: "no datapoints"},
		{name: "absent from the inputs", target: 50, current: 3, serving: 3,
			noInput: true, reason: "no input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Policy{Name: "cpu", TargetTracking: &TargetTracking{Target: tc.target, Tolerance: tc.tol}}
			pols := map[string]PolicyInput{"cpu": tc.input}
			if tc.noInput {
				pols = nil
			}
			got := only(t, p, in(tc.current, tc.serving, pols))
			checkProposal(t, got, tc.want, tc.ok, tc.reason)
			if got.Kind != KindTargetTracking || got.Policy != "cpu" {
				t.Errorf("proposal names %q %q", got.Kind, got.Policy)
			}
		})
	}
}

func TestMaxAgeZeroNeverStale(t *testing.T) {
	g := Group{Name: "g", Policies: []Policy{tt("cpu", 50)}}
	d, _ := Decide(g, in(4, 4, map[string]PolicyInput{"cpu": metric(100, 24*time.Hour)}), settled())
	if p := d.Proposals[0]; !p.OK || p.Capacity != 8 {
		t.Fatalf("proposal = %+v, want OK 8", p)
	}
	if d.Inputs[0].Stale || d.Inputs[0].Age != 24*time.Hour {
		t.Errorf("input = %+v, want fresh, 24h old", d.Inputs[0])
	}
}
