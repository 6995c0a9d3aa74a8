package autoscaling

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

func (f *fixture) enterStandby(t *testing.T, group string, decrement bool, ids ...string) *autoscaling.EnterStandbyOutput {
	t.Helper()
	out, err := f.client.EnterStandby(context.Background(), &autoscaling.EnterStandbyInput{
		AutoScalingGroupName: aws.String(group), InstanceIds: ids, ShouldDecrementDesiredCapacity: aws.Bool(decrement),
	})
	if err != nil {
		t.Fatalf("enter standby %v: %v", ids, err)
	}
	return out
}

func TestStandbyWithDecrement(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.svc.SetStandbyTime(20 * time.Second)
	if err := f.svc.CreateGroup(GroupSpec{Name: "web", Min: 1, Max: 5, Desired: 3, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	id := f.group(t, "web").Instances[0].ID
	out := f.enterStandby(t, "web", true, id)
	if len(out.Activities) != 1 || !strings.Contains(aws.ToString(out.Activities[0].Description), id) ||
		!strings.Contains(aws.ToString(out.Activities[0].Cause), "shrinking the capacity from 3 to 2") {
		t.Errorf("activities = %+v", out.Activities)
	}
	g := f.describe(t, "web")
	if aws.ToInt32(g.DesiredCapacity) != 2 || len(g.Instances) != 3 || g.Instances[0].LifecycleState != types.LifecycleStateEnteringStandby {
		t.Fatalf("after EnterStandby: desired %d, instances %+v", aws.ToInt32(g.DesiredCapacity), g.Instances)
	}
	f.clk.Advance(20 * time.Second)
	if st := f.states(t, "web"); st[id] != types.LifecycleStateStandby {
		t.Fatalf("after the standby time: %v, want %s Standby", st, id)
	}

	// A scale-in leaves the instance on standby alone.
	if _, err := f.client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	v := f.group(t, "web")
	if v.Count(StateStandby) != 1 || v.InService() != 1 || len(v.Instances) != 2 {
		t.Fatalf("after scaling in to 1: %+v", v.Instances)
	}

	out2, err := f.client.ExitStandby(ctx, &autoscaling.ExitStandbyInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{id}})
	if err != nil {
		t.Fatalf("exit standby: %v", err)
	}
	if len(out2.Activities) != 1 || !strings.Contains(aws.ToString(out2.Activities[0].Cause), "increasing the capacity from 1 to 2") {
		t.Errorf("exit activities = %+v", out2.Activities)
	}
	g = f.describe(t, "web")
	if aws.ToInt32(g.DesiredCapacity) != 2 || g.Instances[0].LifecycleState != types.LifecycleStatePending {
		t.Fatalf("after ExitStandby: desired %d, instances %+v", aws.ToInt32(g.DesiredCapacity), g.Instances)
	}
	f.clk.Advance(20 * time.Second)
	if v := f.group(t, "web"); v.InService() != 2 || len(v.Instances) != 2 {
		t.Fatalf("after the standby time: %+v, want 2 InService", v.Instances)
	}
}

func TestStandbyWithoutDecrementLaunchesAReplacement(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.CreateGroup(GroupSpec{Name: "web", Min: 1, Max: 5, Desired: 2, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	id := f.group(t, "web").Instances[0].ID
	f.enterStandby(t, "web", false, id)
	v := f.group(t, "web")
	if v.Desired != 2 || v.Count(StateStandby) != 1 || v.InService() != 1 || v.Pending() != 1 {
		t.Fatalf("after EnterStandby without decrement: desired %d, %+v; want a Pending replacement", v.Desired, v.Instances)
	}
	f.clk.Advance(DefaultLaunchTime)
	if _, err := f.client.ExitStandby(context.Background(), &autoscaling.ExitStandbyInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{id}}); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if v := f.group(t, "web"); v.Desired != 3 || v.InService() != 3 {
		t.Fatalf("after ExitStandby: desired %d, %+v; want 3 InService", v.Desired, v.Instances)
	}
}

func TestStandbyDecrementsUnits(t *testing.T) {
	f := newFixture(t)
	err := f.svc.CreateGroup(GroupSpec{Name: "mixed", Min: 0, Max: 20, Desired: 7, StartInService: true,
		InstanceTypes: []WeightedType{{"c5.large", 1}, {"c5.xlarge", 2}, {"c5.2xlarge", 4}}})
	if err != nil {
		t.Fatal(err)
	}
	big := f.group(t, "mixed").Instances[2]
	if big.Weight != 4 {
		t.Fatalf("third instance %+v, want weight 4", big)
	}
	f.enterStandby(t, "mixed", true, big.ID)
	if v := f.group(t, "mixed"); v.Desired != 3 || v.Units(StateStandby) != 4 || v.Units(StateInService) != 3 {
		t.Errorf("desired %d, standby units %d, in service units %d; want 3, 4, 3", v.Desired, v.Units(StateStandby), v.Units(StateInService))
	}
}

func TestStandbyErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.CreateGroup(GroupSpec{Name: "web", Min: 2, Max: 5, Desired: 2, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	v := f.group(t, "web")
	inService, pending := v.Instances[0].ID, v.Instances[2].ID
	tests := []struct {
		name string
		call func() error
	}{
		{"a Pending instance", func() error {
			_, err := f.client.EnterStandby(ctx, &autoscaling.EnterStandbyInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{pending}, ShouldDecrementDesiredCapacity: aws.Bool(false)})
			return err
		}},
		{"decrement below MinSize", func() error {
			_, err := f.client.EnterStandby(ctx, &autoscaling.EnterStandbyInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{inService, v.Instances[1].ID}, ShouldDecrementDesiredCapacity: aws.Bool(true)})
			return err
		}},
		{"an instance of no group", func() error {
			_, err := f.client.EnterStandby(ctx, &autoscaling.EnterStandbyInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{"i-0123456789abcdef0"}, ShouldDecrementDesiredCapacity: aws.Bool(true)})
			return err
		}},
		{"exit an instance not on standby", func() error {
			_, err := f.client.ExitStandby(ctx, &autoscaling.ExitStandbyInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{inService}})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("succeeded, want a ValidationError")
			}
			if apiCode(err) != "ValidationError" {
				t.Errorf("err = %v, want a ValidationError", err)
			}
		})
	}
	// The SDK refuses to send EnterStandby without the required
	// ShouldDecrementDesiredCapacity, so this one goes by hand.
	resp, err := http.PostForm(f.url, url.Values{"Action": {"EnterStandby"}, "Version": {apiVersion}, "AutoScalingGroupName": {"web"}, "InstanceIds.member.1": {inService}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>ValidationError</Code>") {
		t.Errorf("EnterStandby without ShouldDecrementDesiredCapacity: status %d, body %s", resp.StatusCode, body)
	}
	if v := f.group(t, "web"); v.Count(StateStandby)+v.Count(StateEnteringStandby) != 0 || v.Desired != 3 {
		t.Errorf("a refused call changed the group: desired %d, %+v", v.Desired, v.Instances)
	}
}
