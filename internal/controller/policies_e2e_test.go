package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
)

const policiesConfig = `
interval: 10s
call_timeout: 2s
groups:
  - name: web
    asg: web
    min: 1
    max: 10
    warmup: 0s
    policies:
      - name: queue
        backlog:
          mode: per_instance
          acceptable_latency: 60s
          queues:
            - queue: jobs
              seconds_per_message: 1
  - name: batch
    asg: batch
    min: 1
    max: 10
    warmup: 0s
    policies:
      - name: queue
        backlog:
          mode: per_instance
          acceptable_latency: 60s
          queues:
            - queue: jobs
              seconds_per_message: 1
`

// TestOtherScalingPolicies runs the controller NewAWS builds against the
// emulator: web carries an enabled target tracking policy and a disabled
// step policy, batch only a disabled one. Web's decision names both (the
// disabled one as unable to act) and /readyz's warnings name the target
// tracking policy; batch gets an information note and no warning.
func TestOtherScalingPolicies(t *testing.T) {
	clk := clock.NewFake(t0)
	em := emulator.StartTest(t, clk)
	awsCfg := em.AWSConfig()
	ctx := context.Background()
	client := autoscaling.NewFromConfig(awsCfg)
	for _, g := range []string{"web", "batch"} {
		if _, err := client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(g), MinSize: aws.Int32(1), MaxSize: aws.Int32(10), DesiredCapacity: aws.Int32(1),
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sqs.NewFromConfig(awsCfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")}); err != nil {
		t.Fatal(err)
	}
	put := func(in *autoscaling.PutScalingPolicyInput) {
		t.Helper()
		if _, err := client.PutScalingPolicy(ctx, in); err != nil {
			t.Fatalf("put policy %s: %v", aws.ToString(in.PolicyName), err)
		}
	}
	put(&autoscaling.PutScalingPolicyInput{
		AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("cpu50"), PolicyType: aws.String(asg.PolicyTargetTracking),
		TargetTrackingConfiguration: &types.TargetTrackingConfiguration{TargetValue: aws.Float64(50),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeASGAverageCPUUtilization}},
	})
	for _, g := range []string{"web", "batch"} {
		put(&autoscaling.PutScalingPolicyInput{
			AutoScalingGroupName: aws.String(g), PolicyName: aws.String("steps-off"), PolicyType: aws.String(asg.PolicyStep), Enabled: aws.Bool(false),
			AdjustmentType:  aws.String("ChangeInCapacity"),
			StepAdjustments: []types.StepAdjustment{{MetricIntervalLowerBound: aws.Float64(0), ScalingAdjustment: aws.Int32(1)}},
		})
	}

	cfg, err := config.Parse([]byte(policiesConfig))
	if err != nil {
		t.Fatal(err)
	}
	ctrl, err := NewAWS(cfg, awsCfg, Deps{Clock: clk}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	records, err := ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, r := range records {
		notes[r.Group] = strings.Join(r.Notes, "\n")
	}
	if n := notes["web"]; !strings.Contains(n, "can change its desired capacity too") || !strings.Contains(n, "cpu50 (TargetTrackingScaling)") ||
		!strings.Contains(n, "cannot change its capacity now: steps-off (StepScaling, disabled)") {
		t.Errorf("web's notes:\n%s", n)
	}
	if n := notes["batch"]; strings.Contains(n, "can change its desired capacity too") || !strings.Contains(n, "steps-off (StepScaling, disabled)") {
		t.Errorf("batch's notes:\n%s", n)
	}
	warnings := strings.Join(ctrl.Warnings(), "\n")
	if !strings.Contains(warnings, "group web: other scaling policies attached to the group can change its desired capacity too") ||
		!strings.Contains(warnings, "cpu50 (TargetTrackingScaling)") {
		t.Errorf("warnings lack web's target tracking policy:\n%s", warnings)
	}
	if strings.Contains(warnings, "steps-off") || strings.Contains(warnings, "group batch") {
		t.Errorf("a disabled policy is no warning:\n%s", warnings)
	}

	// AlarmNotification suspended: the target tracking policy no longer
	// runs, so it is information, not a warning (the suspension has its
	// own).
	if _, err := client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"),
		ScalingProcesses: []string{"AlarmNotification"}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	records, err = ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Join(records[0].Notes, "\n"); !strings.Contains(n, "cpu50 (TargetTrackingScaling, AlarmNotification suspended)") {
		t.Errorf("web's notes with alarms suspended:\n%s", n)
	}
	if w := strings.Join(ctrl.Warnings(), "\n"); strings.Contains(w, "cpu50") {
		t.Errorf("warnings with alarms suspended:\n%s", w)
	}
}

func TestPolicyWarning(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		p    asg.Policies
		want string
	}{
		{name: "read", p: asg.Policies{ReadAt: at}},
		{name: "never read", p: asg.Policies{Err: context.DeadlineExceeded}, want: "could not be read, so other controllers of them are not known: context deadline exceeded"},
		{name: "last answer kept", p: asg.Policies{ReadAt: at, Err: context.DeadlineExceeded}, want: "showing those read at 2026-01-02T03:04:05Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := policyWarning(tc.p)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("policyWarning = %q, want %q", got, tc.want)
			}
		})
	}
}
