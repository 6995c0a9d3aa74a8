package asg

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

func TestReplacing(t *testing.T) {
	tests := []struct {
		name                        string
		inService, pending, desired int
		maxWeight                   int
		terminateSuspended          bool
		weights                     []int
		wantUnits, wantInstances    int
	}{
		{name: "steady", inService: 4, desired: 4, maxWeight: 1},
		{name: "scale-out on its way", inService: 4, pending: 2, desired: 6, maxWeight: 1, weights: []int{1, 1}},
		{name: "capacity rebalancing: the replacement launches first", inService: 4, pending: 1, desired: 4, maxWeight: 1,
			weights: []int{1}, wantUnits: 1, wantInstances: 1},
		{name: "a replacement beside a scale-out", inService: 4, pending: 3, desired: 6, maxWeight: 1,
			weights: []int{1, 1, 1}, wantUnits: 1, wantInstances: 1},
		{name: "terminate then launch fills desired", inService: 3, pending: 1, desired: 4, maxWeight: 1, weights: []int{1}},
		{name: "Terminate suspended: a scale-in AWS cannot carry out", inService: 4, pending: 2, desired: 4, maxWeight: 1,
			terminateSuspended: true, weights: []int{1, 1}},
		{name: "weighted fill below the largest weight is no replacement", inService: 8, pending: 4, desired: 10, maxWeight: 4,
			weights: []int{4}},
		{name: "weighted replacement as large as the largest weight", inService: 10, pending: 4, desired: 10, maxWeight: 4,
			weights: []int{4}, wantUnits: 4, wantInstances: 1},
		{name: "weighted: the heaviest pending instances cover the units", inService: 10, pending: 6, desired: 10, maxWeight: 4,
			weights: []int{1, 4, 1}, wantUnits: 6, wantInstances: 3},
		{name: "root volume replacement is pending but never a replacement launch", inService: 4, pending: 1, desired: 4, maxWeight: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, n := replacing(tc.inService, tc.pending, tc.desired, tc.maxWeight, tc.terminateSuspended, tc.weights)
			if u != tc.wantUnits || n != tc.wantInstances {
				t.Errorf("replacing = %d units, %d instances; want %d, %d", u, n, tc.wantUnits, tc.wantInstances)
			}
		})
	}
}

// TestDescribeCountsReplacements reads, with the real SDK against the
// emulator, a group with capacity rebalancing while a replacement
// launches ahead of the instance it replaces, and a group whose instances
// reach their maximum lifetime (terminate, then launch).
func TestDescribeCountsReplacements(t *testing.T) {
	f := newFixture(t)
	f.emu.SetLaunchTime(time.Minute)
	f.emu.SetTerminateTime(30 * time.Second)
	ctx := context.Background()
	if _, err := f.client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("spot"), MinSize: aws.Int32(1), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(4),
		CapacityRebalance: aws.Bool(true), MaxInstanceLifetime: aws.Int32(86400),
	}); err != nil {
		t.Fatal(err)
	}
	f.describeOne(t, "spot", 0)
	f.clk.Advance(time.Minute)
	g := f.describeOne(t, "spot", 0)
	if !g.Replacements.CapacityRebalance || g.Replacements.MaxInstanceLifetime != 24*time.Hour || g.InService != 4 || g.Replacing != 0 {
		t.Fatalf("before: %+v", g)
	}
	samples := g.LaunchSamples

	view, _ := f.emu.Group("spot")
	if _, err := f.emu.RebalanceRecommendation("spot", view.Instances[0].ID); err != nil {
		t.Fatal(err)
	}
	g = f.describeOne(t, "spot", 0)
	if g.Desired != 4 || g.InService != 4 || g.Pending != 1 || g.Replacing != 1 || g.Instances.Replacing != 1 {
		t.Errorf("during the rebalance: desired %d in service %d pending %d replacing %d (%d instances), want 4 4 1 1",
			g.Desired, g.InService, g.Pending, g.Replacing, g.Instances.Replacing)
	}
	f.clk.Advance(time.Minute)
	g = f.describeOne(t, "spot", 0)
	if g.InService != 4 || g.Pending != 0 || g.Replacing != 0 || g.Terminating != 1 {
		t.Errorf("after the rebalance: in service %d pending %d replacing %d terminating %d", g.InService, g.Pending, g.Replacing, g.Terminating)
	}
	// The replacement's launch is a launch of this group like any other:
	// it is measured.
	if g.LaunchSamples != samples+1 {
		t.Errorf("launch samples %d, want %d", g.LaunchSamples, samples+1)
	}

	// Maximum lifetime: AWS terminates first, then launches; the
	// Pending replacements fill desired capacity back up and are no
	// surplus.
	f.clk.Advance(24*time.Hour - time.Minute)
	g = f.describeOne(t, "spot", 0)
	if g.Terminating == 0 || g.Pending == 0 || g.Replacing != 0 || g.InService+g.Pending != g.Desired {
		t.Errorf("at the lifetime: in service %d pending %d terminating %d replacing %d desired %d",
			g.InService, g.Pending, g.Terminating, g.Replacing, g.Desired)
	}
}
