package asg

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/headroom-dev/headroom/internal/clock"
)

// inst is one instance in DescribeAutoScalingGroups' shape; weight "" is
// an instance without WeightedCapacity.
func inst(id string, state types.LifecycleState, typ, weight string) types.Instance {
	in := types.Instance{InstanceId: aws.String(id), LifecycleState: state, InstanceType: aws.String(typ)}
	if weight != "" {
		in.WeightedCapacity = aws.String(weight)
	}
	return in
}

func overrides(weights ...string) *types.MixedInstancesPolicy {
	lt := &types.LaunchTemplate{}
	for i, w := range weights {
		o := types.LaunchTemplateOverrides{InstanceType: aws.String([]string{"c5.large", "c5.xlarge", "c5.2xlarge", "c5.4xlarge"}[i%4])}
		if w != "" {
			o.WeightedCapacity = aws.String(w)
		}
		lt.Overrides = append(lt.Overrides, o)
	}
	return &types.MixedInstancesPolicy{LaunchTemplate: lt}
}

// TestConvertCountsUnits reads groups in the SDK's shapes and checks every
// count in units and in instances, side by side, for each lifecycle state
// an instance can be in, weighted and not.
func TestConvertCountsUnits(t *testing.T) {
	tests := []struct {
		name           string
		group          types.AutoScalingGroup
		units, count   Counts
		weighted       bool
		maxWeight      int
		unreadable     string // a substring; "" means readable
		wantCapacityTy string
	}{
		{
			name: "plain group: a unit is an instance",
			group: types.AutoScalingGroup{DesiredCapacity: aws.Int32(2), Instances: []types.Instance{
				inst("i-1", types.LifecycleStateInService, "m5.large", ""),
				inst("i-2", types.LifecycleStatePending, "m5.large", ""),
			}},
			units: Counts{InService: 1, Serving: 1, Pending: 1}, count: Counts{InService: 1, Serving: 1, Pending: 1},
			maxWeight: 1, wantCapacityTy: "units",
		},
		{
			name: "weights 1, 2 and 4",
			group: types.AutoScalingGroup{DesiredCapacity: aws.Int32(11), MixedInstancesPolicy: overrides("1", "2", "4"), Instances: []types.Instance{
				inst("i-1", types.LifecycleStateInService, "c5.large", "1"),
				inst("i-2", types.LifecycleStateInService, "c5.xlarge", "2"),
				inst("i-3", types.LifecycleStateInService, "c5.2xlarge", "4"),
				inst("i-4", types.LifecycleStatePending, "c5.2xlarge", "4"),
				inst("i-5", types.LifecycleStateTerminating, "c5.xlarge", "2"),
			}},
			units:    Counts{InService: 7, Serving: 7, Pending: 4, Terminating: 2},
			count:    Counts{InService: 3, Serving: 3, Pending: 1, Terminating: 1},
			weighted: true, maxWeight: 4, wantCapacityTy: "units",
		},
		{
			name: "lifecycle hooks: waits are on the way in or out, never serving",
			group: types.AutoScalingGroup{DesiredCapacity: aws.Int32(6), MixedInstancesPolicy: overrides("2"), Instances: []types.Instance{
				inst("i-1", types.LifecycleStatePendingWait, "c5.large", "2"),
				inst("i-2", types.LifecycleStatePendingProceed, "c5.large", "2"),
				inst("i-3", types.LifecycleStateTerminatingWait, "c5.large", "2"),
				inst("i-4", types.LifecycleStateTerminatingProceed, "c5.large", "2"),
				inst("i-5", types.LifecycleStateInService, "c5.large", "2"),
			}},
			units:    Counts{InService: 2, Serving: 2, Pending: 4, Terminating: 4},
			count:    Counts{InService: 1, Serving: 1, Pending: 2, Terminating: 2},
			weighted: true, maxWeight: 2, wantCapacityTy: "units",
		},
		{
			name: "standby, detaching, quarantined and warm pool states",
			group: types.AutoScalingGroup{Instances: []types.Instance{
				inst("i-1", types.LifecycleStateStandby, "m5.large", ""),
				inst("i-2", types.LifecycleStateEnteringStandby, "m5.large", ""),
				inst("i-3", types.LifecycleStateDetaching, "m5.large", ""),
				inst("i-4", types.LifecycleStateQuarantined, "m5.large", ""),
				inst("i-5", types.LifecycleStateWarmedStopped, "m5.large", ""),
				inst("i-6", types.LifecycleStateReplacingRootVolume, "m5.large", ""),
			}},
			units: Counts{Standby: 2, Terminating: 2, Pending: 1}, count: Counts{Standby: 2, Terminating: 2, Pending: 1},
			maxWeight: 1, wantCapacityTy: "units",
		},
		{
			name: "protection is counted",
			group: types.AutoScalingGroup{Instances: []types.Instance{
				{InstanceId: aws.String("i-1"), LifecycleState: types.LifecycleStateInService, ProtectedFromScaleIn: aws.Bool(true)},
				{InstanceId: aws.String("i-2"), LifecycleState: types.LifecycleStateInService, ProtectedFromScaleIn: aws.Bool(false)},
			}},
			units: Counts{InService: 2, Serving: 2, Protected: 1}, count: Counts{InService: 2, Serving: 2, Protected: 1},
			maxWeight: 1, wantCapacityTy: "units",
		},
		{
			name: "vcpu: weights come from the instances",
			group: types.AutoScalingGroup{DesiredCapacityType: aws.String("vcpu"), Instances: []types.Instance{
				inst("i-1", types.LifecycleStateInService, "c5.xlarge", "4"),
				inst("i-2", types.LifecycleStateInService, "c5.2xlarge", "8"),
			}},
			units: Counts{InService: 12, Serving: 12}, count: Counts{InService: 2, Serving: 2},
			weighted: true, maxWeight: 8, wantCapacityTy: "vcpu",
		},
		{
			name: "an instance of a weighted group without a weight",
			group: types.AutoScalingGroup{MixedInstancesPolicy: overrides("1", "2"), Instances: []types.Instance{
				inst("i-1", types.LifecycleStateInService, "c5.large", "1"),
				inst("i-2", types.LifecycleStateInService, "c5.xlarge", ""),
			}},
			units: Counts{InService: 2, Serving: 2}, count: Counts{InService: 2, Serving: 2},
			weighted: true, maxWeight: 2, unreadable: "instance i-2 (c5.xlarge) of a weighted group has no WeightedCapacity", wantCapacityTy: "units",
		},
		{
			name:  "an override weight out of range",
			group: types.AutoScalingGroup{MixedInstancesPolicy: overrides("1", "1000")},
			units: Counts{}, count: Counts{}, weighted: true, maxWeight: 1,
			unreadable: `WeightedCapacity "1000" is not a whole number from 1 to 999`, wantCapacityTy: "units",
		},
		{
			name:  "a capacity type Headroom cannot count",
			group: types.AutoScalingGroup{DesiredCapacityType: aws.String("gpus")},
			units: Counts{}, count: Counts{}, weighted: true, maxWeight: 1,
			unreadable: `DesiredCapacityType "gpus"`, wantCapacityTy: "gpus",
		},
		{
			name: "overrides without weights: a plain group",
			group: types.AutoScalingGroup{MixedInstancesPolicy: overrides("", ""), Instances: []types.Instance{
				inst("i-1", types.LifecycleStateInService, "c5.large", ""),
			}},
			units: Counts{InService: 1, Serving: 1}, count: Counts{InService: 1, Serving: 1},
			maxWeight: 1, wantCapacityTy: "units",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.group.AutoScalingGroupName = aws.String("web")
			a := New(nil, clock.NewFake(t0))
			g := a.convert(tc.group, t0, 0)
			units := Counts{InService: g.InService, Pending: g.Pending, Warming: g.Warming, Serving: g.Serving,
				Terminating: g.Terminating, Standby: g.Standby, Protected: g.Protected}
			if units != tc.units {
				t.Errorf("units %+v, want %+v", units, tc.units)
			}
			if g.Instances != tc.count {
				t.Errorf("instances %+v, want %+v", g.Instances, tc.count)
			}
			if g.Weighted != tc.weighted || g.MaxWeight != tc.maxWeight || g.CapacityType != tc.wantCapacityTy {
				t.Errorf("weighted %v max weight %d type %q, want %v %d %q",
					g.Weighted, g.MaxWeight, g.CapacityType, tc.weighted, tc.maxWeight, tc.wantCapacityTy)
			}
			switch {
			case tc.unreadable == "" && g.Unreadable != "":
				t.Errorf("unreadable %q, want readable", g.Unreadable)
			case !strings.Contains(g.Unreadable, tc.unreadable):
				t.Errorf("unreadable %q, want it to say %q", g.Unreadable, tc.unreadable)
			}
		})
	}
}

// TestHookWaitIsPartOfTheLaunch: an instance held in Pending:Wait by a
// launch hook is pending, not serving, and its launch time runs until it
// is InService, so the hook's wait is in the measured launch p90.
func TestHookWaitIsPartOfTheLaunch(t *testing.T) {
	a := New(nil, clock.NewFake(t0))
	g := types.AutoScalingGroup{AutoScalingGroupName: aws.String("web")}
	at := t0
	a.convert(g, at, 0) // known, empty
	for _, st := range []types.LifecycleState{types.LifecycleStatePending, types.LifecycleStatePendingWait,
		types.LifecycleStatePendingWait, types.LifecycleStatePendingProceed} {
		at = at.Add(30 * time.Second)
		g.Instances = []types.Instance{inst("i-1", st, "m5.large", "")}
		if got := a.convert(g, at, 0); got.Pending != 1 || got.Serving != 0 {
			t.Fatalf("%s: pending %d serving %d, want 1 and 0", st, got.Pending, got.Serving)
		}
	}
	at = at.Add(30 * time.Second)
	g.Instances = []types.Instance{inst("i-1", types.LifecycleStateInService, "m5.large", "")}
	got := a.convert(g, at, 0)
	if got.Serving != 1 || got.LaunchSamples != 1 || got.LaunchP90 != 150*time.Second {
		t.Errorf("serving %d, %d launch samples, p90 %s; want 1, 1, 2m30s (from the Describe before it appeared, through the hook's wait)",
			got.Serving, got.LaunchSamples, got.LaunchP90)
	}
}
