package asg

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/clock"
	headroomemu "github.com/headroom-dev/headroom/internal/emulator"
	emulator "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
)

// TestFailedPageBlindsOnlyItsGroups fails the first
// DescribeAutoScalingGroups page of 150 groups at the emulator: Describe
// returns the 50 groups of the second page and a *PageError naming the
// 100 of the first, whose state the actuator keeps (a new instance seen
// InService after the failed page still counts as warming: the actuator
// has not forgotten that it knew the group).
func TestFailedPageBlindsOnlyItsGroups(t *testing.T) {
	clk := clock.NewFake(t0)
	em := headroomemu.StartTest(t, clk)
	act := New(newClient(em.URL()), clk)
	ctx := context.Background()
	names := make([]string, 150)
	for i := range names {
		names[i] = fmt.Sprintf("group-%03d", i)
		if err := em.AutoScaling.CreateGroup(emulator.GroupSpec{Name: names[i], Min: 0, Max: 10, Desired: 1, StartInService: true}); err != nil {
			t.Fatal(err)
		}
	}
	const warmup = 5 * time.Minute
	wu := func(string) time.Duration { return warmup }
	if _, err := act.Describe(ctx, names, wu); err != nil {
		t.Fatal(err)
	}
	if err := act.SetDesired(ctx, names[0], 2); err != nil {
		t.Fatal(err)
	}
	clk.Advance(emulator.DefaultLaunchTime + time.Second)

	em.AddFault(headroomemu.Fault{Service: headroomemu.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups",
		Status: 400, Code: "Throttling", Message: "Rate exceeded", Times: 1})
	got, err := act.Describe(ctx, names, wu)
	var pe *PageError
	if !errors.As(err, &pe) {
		t.Fatalf("Describe error %v, want a *PageError", err)
	}
	if !slices.Equal(pe.Groups, names[:100]) {
		t.Errorf("blind groups %d (%v...), want the first page's 100", len(pe.Groups), pe.Groups[:min(3, len(pe.Groups))])
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" {
		t.Errorf("error %v does not carry the page's Throttling", err)
	}
	if len(got) != 50 {
		t.Errorf("described %d groups, want the second page's 50", len(got))
	}
	for _, n := range names[100:] {
		if _, ok := got[n]; !ok || pe.Blind(n) {
			t.Errorf("group %s of the good page: described %v, blind %v", n, ok, pe.Blind(n))
		}
	}

	got, err = act.Describe(ctx, names, wu)
	if err != nil {
		t.Fatalf("Describe after the fault: %v", err)
	}
	if g := got[names[0]]; g.InService != 2 || g.Warming != 1 {
		t.Errorf("%s: in service %d warming %d, want 2 and 1: the blind cycle must not forget the group", names[0], g.InService, g.Warming)
	}
}
