package autoscaling

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

// states lists the group's instances as id:state, and its desired
// capacity, as the SDK reads them.
func (f *fixture) replaceStates(t *testing.T, name string) (desired int, out []string, rebalance bool, lifetime int32) {
	t.Helper()
	g := f.describe(t, name)
	for _, in := range g.Instances {
		out = append(out, aws.ToString(in.InstanceId)+":"+string(in.LifecycleState))
	}
	return int(aws.ToInt32(g.DesiredCapacity)), out, aws.ToBool(g.CapacityRebalance), aws.ToInt32(g.MaxInstanceLifetime)
}

func countState(states []string, state string) int {
	n := 0
	for _, s := range states {
		if strings.HasSuffix(s, ":"+state) {
			n++
		}
	}
	return n
}

func TestCapacityRebalance(t *testing.T) {
	f := newFixture(t)
	f.svc.SetLaunchTime(time.Minute)
	ctx := context.Background()
	if _, err := f.client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("spot"), MinSize: aws.Int32(1), MaxSize: aws.Int32(3), DesiredCapacity: aws.Int32(3),
		CapacityRebalance: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Minute)
	desired, states, rebalance, _ := f.replaceStates(t, "spot")
	if !rebalance || desired != 3 || countState(states, "InService") != 3 {
		t.Fatalf("before: rebalance %v desired %d %v", rebalance, desired, states)
	}
	old := strings.Split(states[0], ":")[0]
	replaced, err := f.svc.RebalanceRecommendation("spot", old)
	if err != nil || !replaced {
		t.Fatalf("recommendation: %v %v", replaced, err)
	}
	// Launch before terminate: a Pending replacement beside three
	// InService instances, above MaxSize 3, at desired 3.
	desired, states, _, _ = f.replaceStates(t, "spot")
	if desired != 3 || countState(states, "InService") != 3 || countState(states, "Pending") != 1 || !slices.Contains(states, old+":InService") {
		t.Fatalf("during the replacement: desired %d %v", desired, states)
	}
	f.clk.Advance(30 * time.Second)
	if _, states, _, _ = f.replaceStates(t, "spot"); countState(states, "Pending") != 1 || countState(states, "InService") != 3 {
		t.Fatalf("halfway: %v", states)
	}
	f.clk.Advance(30 * time.Second)
	desired, states, _, _ = f.replaceStates(t, "spot")
	if desired != 3 || countState(states, "InService") != 3 || slices.ContainsFunc(states, func(s string) bool { return strings.HasPrefix(s, old) }) {
		t.Fatalf("after: desired %d %v, want %s gone and 3 InService", desired, states, old)
	}
	var causes []string
	for _, a := range f.svc.Activities("spot") {
		causes = append(causes, a.Cause)
	}
	all := strings.Join(causes, "\n")
	if !strings.Contains(all, "in response to an EC2 instance rebalance recommendation for "+old) ||
		!strings.Contains(all, "taken out of service in response to an EC2 instance rebalance recommendation") {
		t.Errorf("activity causes:\n%s", all)
	}

	t.Run("off: nothing happens", func(t *testing.T) {
		f.create(t, "plain", 1, 3, 1)
		f.clk.Advance(time.Minute)
		_, states, _, _ := f.replaceStates(t, "plain")
		id := strings.Split(states[0], ":")[0]
		if replaced, err := f.svc.RebalanceRecommendation("plain", id); err != nil || replaced {
			t.Errorf("without capacity rebalancing: %v %v", replaced, err)
		}
		if _, after, _, _ := f.replaceStates(t, "plain"); !slices.Equal(after, states) {
			t.Errorf("instances changed: %v -> %v", states, after)
		}
	})
}

func TestMaxInstanceLifetime(t *testing.T) {
	f := newFixture(t)
	f.svc.SetLaunchTime(time.Minute)
	f.svc.SetTerminateTime(30 * time.Second)
	ctx := context.Background()
	if _, err := f.client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("aging"), MinSize: aws.Int32(1), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(2),
	}); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("aging"), MaxInstanceLifetime: aws.Int32(3600)})
	if code := apiCode(err); code != "ValidationError" {
		t.Errorf("a lifetime under a day: %v, want ValidationError", err)
	}
	if _, err := f.client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("aging"), MaxInstanceLifetime: aws.Int32(86400)}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Minute) // both InService at t0+1m
	_, before, _, lifetime := f.replaceStates(t, "aging")
	if lifetime != 86400 || countState(before, "InService") != 2 {
		t.Fatalf("before: lifetime %d %v", lifetime, before)
	}
	f.clk.Advance(24*time.Hour - time.Second)
	if _, states, _, _ := f.replaceStates(t, "aging"); !slices.Equal(states, before) {
		t.Fatalf("a second before the lifetime: %v", states)
	}
	// Terminate, then launch: the old instances are Terminating while
	// their replacements are Pending, desired unchanged.
	f.clk.Advance(time.Second)
	desired, states, _, _ := f.replaceStates(t, "aging")
	if desired != 2 || countState(states, "Terminating") != 2 || countState(states, "Pending") != 2 || countState(states, "InService") != 0 {
		t.Fatalf("at the lifetime: desired %d %v", desired, states)
	}
	f.clk.Advance(time.Minute)
	desired, states, _, _ = f.replaceStates(t, "aging")
	if desired != 2 || len(states) != 2 || countState(states, "InService") != 2 {
		t.Fatalf("after: desired %d %v", desired, states)
	}
	for _, s := range before {
		if slices.Contains(states, s) {
			t.Errorf("%s was not replaced: %v", s, states)
		}
	}
}
