package autoscaling

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

func (f *fixture) setDesired(t *testing.T, group string, n int32) {
	t.Helper()
	if _, err := f.client.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(n)}); err != nil {
		t.Fatalf("set desired %d: %v", n, err)
	}
}

func (f *fixture) protect(t *testing.T, group string, on bool, ids ...string) {
	t.Helper()
	if _, err := f.client.SetInstanceProtection(context.Background(), &autoscaling.SetInstanceProtectionInput{
		AutoScalingGroupName: aws.String(group), InstanceIds: ids, ProtectedFromScaleIn: aws.Bool(on),
	}); err != nil {
		t.Fatalf("set protection %v on %v: %v", on, ids, err)
	}
}

func TestProtectedInstancesSurviveAScaleIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(0), MaxSize: aws.Int32(5), DesiredCapacity: aws.Int32(3),
		NewInstancesProtectedFromScaleIn: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	f.clk.Advance(DefaultLaunchTime)
	g := f.describe(t, "web")
	if !aws.ToBool(g.NewInstancesProtectedFromScaleIn) {
		t.Error("NewInstancesProtectedFromScaleIn = false")
	}
	for _, in := range g.Instances {
		if !aws.ToBool(in.ProtectedFromScaleIn) {
			t.Errorf("instance %s is not protected", aws.ToString(in.InstanceId))
		}
	}

	// Only protected instances could satisfy the scale-in: desired drops,
	// the instances stay.
	f.setDesired(t, "web", 1)
	v := f.group(t, "web")
	if v.Desired != 1 || v.InService() != 3 {
		t.Fatalf("after scaling in to 1: desired %d, %d InService; want 1 and 3", v.Desired, v.InService())
	}
	first := v.Instances[0].ID
	f.protect(t, "web", false, first)
	if st := f.states(t, "web"); len(st) != 2 || st[first] != "" {
		t.Fatalf("after unprotecting %s: %v, want it terminated", first, st)
	}
	rest := f.group(t, "web").Instances
	f.protect(t, "web", false, rest[0].ID, rest[1].ID)
	if v := f.group(t, "web"); v.InService() != 1 {
		t.Fatalf("after unprotecting all: %d InService, want 1", v.InService())
	}
}

func TestScaleInSkipsProtectedInstances(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.CreateGroup(GroupSpec{Name: "web", Min: 0, Max: 5, Desired: 3, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	ids := f.group(t, "web").Instances
	newest := ids[2].ID
	f.protect(t, "web", true, newest)
	f.setDesired(t, "web", 2)
	st := f.states(t, "web")
	if _, ok := st[newest]; !ok || len(st) != 2 {
		t.Fatalf("after scaling in to 2: %v, want the protected newest %s kept", st, newest)
	}
	if _, ok := st[ids[1].ID]; ok {
		t.Errorf("%s (newest unprotected) survived: %v", ids[1].ID, st)
	}
	for _, in := range f.describe(t, "web").Instances {
		if got := aws.ToBool(in.ProtectedFromScaleIn); got != (aws.ToString(in.InstanceId) == newest) {
			t.Errorf("instance %s ProtectedFromScaleIn = %v", aws.ToString(in.InstanceId), got)
		}
	}
}

func TestProtectionStartsInService(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.CreateGroup(GroupSpec{Name: "web", Min: 0, Max: 5, Desired: 0}); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.UpdateAutoScalingGroup(context.Background(), &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), NewInstancesProtectedFromScaleIn: aws.Bool(true), DesiredCapacity: aws.Int32(2),
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	v := f.group(t, "web")
	if !v.ProtectNew || v.Pending() != 2 || !v.Instances[0].Protected {
		t.Fatalf("after update: %+v", v)
	}
	// Protected but still Pending: a scale-in may cancel them.
	f.setDesired(t, "web", 0)
	if v := f.group(t, "web"); len(v.Instances) != 0 {
		t.Errorf("protected Pending instances kept: %+v", v.Instances)
	}
	// Turning the group's setting off changes no running instance.
	f.setDesired(t, "web", 1)
	f.clk.Advance(DefaultLaunchTime)
	if _, err := f.client.UpdateAutoScalingGroup(context.Background(), &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), NewInstancesProtectedFromScaleIn: aws.Bool(false), DesiredCapacity: aws.Int32(2),
	}); err != nil {
		t.Fatalf("update: %v", err)
	}
	v = f.group(t, "web")
	if !v.Instances[0].Protected || v.Instances[1].Protected {
		t.Errorf("instances %+v: want the first protected, the new one not", v.Instances)
	}
}

func TestSetInstanceProtectionErrors(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.CreateGroup(GroupSpec{Name: "web", Min: 0, Max: 5, Desired: 1, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	var many []string
	for i := range 51 {
		many = append(many, fmt.Sprintf("i-%017x", i))
	}
	for name, ids := range map[string][]string{"an instance of no group": {"i-0123456789abcdef0"}, "51 instances": many} {
		t.Run(name, func(t *testing.T) {
			_, err := f.client.SetInstanceProtection(context.Background(), &autoscaling.SetInstanceProtectionInput{
				AutoScalingGroupName: aws.String("web"), InstanceIds: ids, ProtectedFromScaleIn: aws.Bool(true),
			})
			if apiCode(err) != "ValidationError" {
				t.Errorf("err = %v, want a ValidationError", err)
			}
		})
	}
}
