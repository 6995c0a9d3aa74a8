package autoscaling

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

func (f *fixture) putHook(t *testing.T, group, name, transition string, heartbeat int32, result string) {
	t.Helper()
	_, err := f.client.PutLifecycleHook(context.Background(), &autoscaling.PutLifecycleHookInput{
		AutoScalingGroupName: aws.String(group),
		LifecycleHookName:    aws.String(name),
		LifecycleTransition:  aws.String(transition),
		HeartbeatTimeout:     aws.Int32(heartbeat),
		DefaultResult:        aws.String(result),
	})
	if err != nil {
		t.Fatalf("put hook %s: %v", name, err)
	}
}

// states returns the SDK's view of each instance's lifecycle state, by id.
func (f *fixture) states(t *testing.T, group string) map[string]types.LifecycleState {
	t.Helper()
	out := map[string]types.LifecycleState{}
	for _, in := range f.describe(t, group).Instances {
		out[aws.ToString(in.InstanceId)] = in.LifecycleState
	}
	return out
}

func (f *fixture) complete(t *testing.T, group, hook, id, result string) {
	t.Helper()
	_, err := f.client.CompleteLifecycleAction(context.Background(), &autoscaling.CompleteLifecycleActionInput{
		AutoScalingGroupName: aws.String(group), LifecycleHookName: aws.String(hook),
		InstanceId: aws.String(id), LifecycleActionResult: aws.String(result),
	})
	if err != nil {
		t.Fatalf("complete %s on %s: %v", hook, id, err)
	}
}

func TestLifecycleHookOperations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 5, 0)
	_, err := f.client.PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{
		AutoScalingGroupName:  aws.String("web"),
		LifecycleHookName:     aws.String("bootstrap"),
		LifecycleTransition:   aws.String(TransitionLaunching),
		HeartbeatTimeout:      aws.Int32(300),
		DefaultResult:         aws.String("CONTINUE"),
		NotificationMetadata:  aws.String(`{"role":"web"}`),
		NotificationTargetARN: aws.String("arn:aws:sqs:us-east-1:123456789012:hooks"),
		RoleARN:               aws.String("arn:aws:iam::123456789012:role/hooks"),
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	// Defaults: heartbeat 3600 s, ABANDON.
	_, err = f.client.PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{
		AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("drain"), LifecycleTransition: aws.String(TransitionTerminating),
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	out, err := f.client.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if len(out.LifecycleHooks) != 2 {
		t.Fatalf("got %d hooks, want 2", len(out.LifecycleHooks))
	}
	b, d := out.LifecycleHooks[0], out.LifecycleHooks[1]
	if aws.ToString(b.LifecycleHookName) != "bootstrap" || aws.ToString(b.LifecycleTransition) != TransitionLaunching ||
		aws.ToInt32(b.HeartbeatTimeout) != 300 || aws.ToInt32(b.GlobalTimeout) != 30000 || aws.ToString(b.DefaultResult) != "CONTINUE" ||
		aws.ToString(b.NotificationMetadata) != `{"role":"web"}` || aws.ToString(b.RoleARN) == "" || aws.ToString(b.NotificationTargetARN) == "" ||
		aws.ToString(b.AutoScalingGroupName) != "web" {
		t.Errorf("bootstrap hook = %+v", b)
	}
	if aws.ToString(d.LifecycleHookName) != "drain" || aws.ToInt32(d.HeartbeatTimeout) != 3600 || aws.ToInt32(d.GlobalTimeout) != 172800 ||
		aws.ToString(d.DefaultResult) != "ABANDON" {
		t.Errorf("drain hook = %+v (want AWS's defaults: 3600 s, global 48 h, ABANDON)", d)
	}

	// An update keeps what it does not give.
	if _, err := f.client.PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{
		AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("bootstrap"), HeartbeatTimeout: aws.Int32(600),
	}); err != nil {
		t.Fatalf("update: %v", err)
	}
	out, err = f.client.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String("web"), LifecycleHookNames: []string{"bootstrap"}})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if len(out.LifecycleHooks) != 1 || aws.ToInt32(out.LifecycleHooks[0].HeartbeatTimeout) != 600 || aws.ToString(out.LifecycleHooks[0].LifecycleTransition) != TransitionLaunching {
		t.Errorf("after update: %+v", out.LifecycleHooks)
	}

	if _, err := f.client.DeleteLifecycleHook(ctx, &autoscaling.DeleteLifecycleHookInput{AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("drain")}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	out, _ = f.client.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String("web")})
	if len(out.LifecycleHooks) != 1 {
		t.Errorf("after delete: %d hooks, want 1", len(out.LifecycleHooks))
	}

	errs := []struct {
		name string
		call func() error
	}{
		{"new hook without a transition", func() error {
			_, err := f.client.PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("x")})
			return err
		}},
		{"heartbeat below 30 s", func() error {
			_, err := f.client.PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("x"),
				LifecycleTransition: aws.String(TransitionLaunching), HeartbeatTimeout: aws.Int32(10)})
			return err
		}},
		{"name outside the pattern", func() error {
			_, err := f.client.PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("a b"),
				LifecycleTransition: aws.String(TransitionLaunching)})
			return err
		}},
		{"delete an unknown hook", func() error {
			_, err := f.client.DeleteLifecycleHook(ctx, &autoscaling.DeleteLifecycleHookInput{AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("nope")})
			return err
		}},
		{"complete an action nobody waits on", func() error {
			_, err := f.client.CompleteLifecycleAction(ctx, &autoscaling.CompleteLifecycleActionInput{AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("bootstrap"),
				InstanceId: aws.String("i-00000000000000000"), LifecycleActionResult: aws.String("CONTINUE")})
			return err
		}},
		{"heartbeat an action nobody waits on", func() error {
			_, err := f.client.RecordLifecycleActionHeartbeat(ctx, &autoscaling.RecordLifecycleActionHeartbeatInput{AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("bootstrap"),
				LifecycleActionToken: aws.String("00000000-0000-4000-8000-000000000000")})
			return err
		}},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); apiCode(err) != "ValidationError" {
				t.Errorf("err = %v, want a ValidationError", err)
			}
		})
	}
}

func TestLaunchingHookHoldsInstancesInPendingWait(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.svc.SetProceedTime(10 * time.Second)
	f.create(t, "web", 0, 5, 0)
	f.putHook(t, "web", "bootstrap", TransitionLaunching, 300, "ABANDON")
	if _, err := f.client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(2)}); err != nil {
		t.Fatalf("set desired: %v", err)
	}
	v := f.group(t, "web")
	a, b := v.Instances[0].ID, v.Instances[1].ID
	if st := f.states(t, "web"); st[a] != types.LifecycleStatePending || st[b] != types.LifecycleStatePending {
		t.Fatalf("at launch: %v, want both Pending", st)
	}

	f.clk.Advance(DefaultLaunchTime)
	if st := f.states(t, "web"); st[a] != types.LifecycleStatePendingWait || st[b] != types.LifecycleStatePendingWait {
		t.Fatalf("after the launch time: %v, want both Pending:Wait", st)
	}
	acts, err := f.client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("activities: %v", err)
	}
	for _, act := range acts.Activities {
		if act.StatusCode != types.ScalingActivityStatusCodeMidLifecycleAction {
			t.Errorf("activity %q is %s, want MidLifecycleAction", aws.ToString(act.Description), act.StatusCode)
		}
	}
	// Still two units toward desired: nothing else launches.
	if n := len(f.group(t, "web").Instances); n != 2 {
		t.Fatalf("%d instances, want 2", n)
	}

	f.complete(t, "web", "bootstrap", a, "CONTINUE")
	if st := f.states(t, "web"); st[a] != types.LifecycleStatePendingProceed || st[b] != types.LifecycleStatePendingWait {
		t.Fatalf("after completing %s: %v", a, st)
	}
	f.clk.Advance(10 * time.Second)
	if st := f.states(t, "web"); st[a] != types.LifecycleStateInService {
		t.Fatalf("after the proceed time: %v, want %s InService", st, a)
	}
	if got, want := f.group(t, "web").Instances[0].InServiceAt, t0.Add(70*time.Second); !got.Equal(want) {
		t.Errorf("InServiceAt = %v, want %v: the wait is part of the launch", got, want)
	}

	// A heartbeat at 70 s moves b's timeout from 360 s to 370 s.
	if _, err := f.client.RecordLifecycleActionHeartbeat(ctx, &autoscaling.RecordLifecycleActionHeartbeatInput{
		AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("bootstrap"), InstanceId: aws.String(b),
	}); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	f.clk.Advance(295 * time.Second) // 365 s
	if st := f.states(t, "web"); st[b] != types.LifecycleStatePendingWait {
		t.Fatalf("at 365 s after a heartbeat at 70 s: %v, want %s Pending:Wait", st, b)
	}
	// The timeout's DefaultResult ABANDON terminates b; a replacement
	// launches and waits on the hook in turn.
	f.clk.Advance(6 * time.Second) // 371 s
	st := f.states(t, "web")
	if _, ok := st[b]; ok {
		t.Errorf("%s is still in the group after ABANDON: %v", b, st)
	}
	if len(st) != 2 {
		t.Fatalf("instances %v, want %s and a replacement", st, a)
	}
	for id, s := range st {
		if id != a && s != types.LifecycleStatePending {
			t.Errorf("replacement %s is %s, want Pending", id, s)
		}
	}
	var failed bool
	for _, act := range f.svc.Activities("web") {
		if act.Status == activityFailed {
			failed = true
		}
	}
	if !failed {
		t.Error("no Failed launch activity after ABANDON")
	}
}

func TestTerminatingHookHoldsInstancesInTerminatingWait(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.svc.SetTerminateTime(30 * time.Second)
	if err := f.svc.CreateGroup(GroupSpec{Name: "web", Min: 0, Max: 5, Desired: 3, StartInService: true,
		LifecycleHooks: []HookSpec{{Name: "drain", Transition: TransitionTerminating, HeartbeatTimeout: 120 * time.Second, DefaultResult: ResultContinue}}}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := f.client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(1)}); err != nil {
		t.Fatalf("set desired: %v", err)
	}
	v := f.group(t, "web")
	if v.Count(StateTerminatingWait) != 2 || v.InService() != 1 {
		t.Fatalf("states %+v, want 2 Terminating:Wait and 1 InService", v.Instances)
	}
	waiting := v.Instances[2].ID
	f.complete(t, "web", "drain", waiting, "ABANDON") // terminates all the same
	if st := f.states(t, "web"); st[waiting] != types.LifecycleStateTerminatingProceed {
		t.Fatalf("after completing: %v, want %s Terminating:Proceed", st, waiting)
	}
	// The other one times out at 120 s with CONTINUE.
	f.clk.Advance(119 * time.Second)
	if v := f.group(t, "web"); v.Count(StateTerminatingWait) != 1 || len(v.Instances) != 2 {
		t.Fatalf("at 119 s: %+v", v.Instances)
	}
	f.clk.Advance(1 * time.Second)
	if v := f.group(t, "web"); v.Count(StateTerminatingProceed) != 1 || len(v.Instances) != 2 {
		t.Fatalf("at 120 s: %+v, want the timed-out one Terminating:Proceed", v.Instances)
	}
	f.clk.Advance(30 * time.Second)
	if v := f.group(t, "web"); len(v.Instances) != 1 || v.InService() != 1 {
		t.Fatalf("at 150 s: %+v, want one InService left", v.Instances)
	}
}

func TestHookCompleteAfterDelaysInService(t *testing.T) {
	f := newFixture(t)
	err := f.svc.CreateGroup(GroupSpec{Name: "web", Min: 0, Max: 5, Desired: 1,
		LifecycleHooks:    []HookSpec{{Name: "bootstrap", Transition: TransitionLaunching}},
		HookCompleteAfter: 45 * time.Second,
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	f.clk.Advance(DefaultLaunchTime + 44*time.Second)
	if st := f.group(t, "web").Instances[0].State; st != StatePendingWait {
		t.Fatalf("at 104 s: %s, want Pending:Wait", st)
	}
	f.clk.Advance(time.Second)
	in := f.group(t, "web").Instances[0]
	if in.State != StateInService || !in.InServiceAt.Equal(t0.Add(105*time.Second)) {
		t.Errorf("at 105 s: %s since %v, want InService since %v", in.State, in.InServiceAt, t0.Add(105*time.Second))
	}
}

func TestDeletingAHookAbandonsWaitingLaunches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 5, 0)
	f.putHook(t, "web", "bootstrap", TransitionLaunching, 300, "CONTINUE")
	if _, err := f.client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(1)}); err != nil {
		t.Fatalf("set desired: %v", err)
	}
	f.clk.Advance(DefaultLaunchTime)
	first := f.group(t, "web").Instances[0].ID
	if _, err := f.client.DeleteLifecycleHook(ctx, &autoscaling.DeleteLifecycleHookInput{AutoScalingGroupName: aws.String("web"), LifecycleHookName: aws.String("bootstrap")}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	v := f.group(t, "web")
	if len(v.Instances) != 1 || v.Instances[0].ID == first || v.Instances[0].State != StatePending {
		t.Fatalf("after delete: %+v, want %s gone and a Pending replacement", v.Instances, first)
	}
	f.clk.Advance(DefaultLaunchTime)
	if v := f.group(t, "web"); v.InService() != 1 {
		t.Errorf("the replacement did not go InService without the hook: %+v", v.Instances)
	}
}

func TestLaunchingHookWithAnInstantLaunch(t *testing.T) {
	f := newFixture(t)
	f.svc.SetLaunchTime(0)
	f.create(t, "web", 0, 5, 0)
	f.putHook(t, "web", "bootstrap", TransitionLaunching, 60, "CONTINUE")
	f.setDesired(t, "web", 1)
	if st := f.group(t, "web").Instances[0].State; st != StatePendingWait {
		t.Fatalf("instant launch with a hook: %s, want Pending:Wait", st)
	}
	f.clk.Advance(60 * time.Second)
	if st := f.group(t, "web").Instances[0].State; st != StateInService {
		t.Fatalf("after the heartbeat timeout with CONTINUE: %s, want InService", st)
	}
}
