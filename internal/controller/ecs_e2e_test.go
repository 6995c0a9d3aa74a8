package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	emas "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	emecs "github.com/headroom-dev/headroom/internal/emulator/ecs"
	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/target"
)

// ecsConfig has one ECS service target beside an Auto Scaling group, both
// scaled from one queue.
const ecsConfig = `
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
        backlog: {mode: per_instance, acceptable_latency: 60s, queues: [{queue: jobs, seconds_per_message: 1}]}
  - name: api
    target: {kind: ecs_service, cluster: prod, service: api}
    min: 1
    max: 20
    warmup: 0s
    scale_in_window: 10s
    policies:
      - name: queue
        backlog: {mode: per_instance, acceptable_latency: 60s, queues: [{queue: jobs, seconds_per_message: 1}]}
`

func ecsWorld(t *testing.T) (*clock.Fake, *emulator.Server, *Controller) {
	t.Helper()
	return ecsWorldPlanned(t, nil)
}

func ecsWorldPlanned(t *testing.T, planner Planner) (*clock.Fake, *emulator.Server, *Controller) {
	t.Helper()
	return ecsWorldWith(t, planner, ecsConfig)
}

func ecsWorldWith(t *testing.T, planner Planner, doc string) (*clock.Fake, *emulator.Server, *Controller) {
	t.Helper()
	clk := clock.NewFake(t0)
	em := emulator.StartTest(t, clk)
	awsCfg := em.AWSConfig()
	if err := em.AutoScaling.CreateGroup(emas.GroupSpec{Name: "web", Min: 1, Max: 10, Desired: 1, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	em.ECS.CreateCluster("prod")
	if err := em.ECS.CreateService("prod", "api", emecs.ServiceOptions{Desired: 2, Running: true, StartTime: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := em.SQS.CreateQueue("jobs", nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	ctrl, err := NewAWS(cfg, awsCfg, Deps{Clock: clk, Planner: planner}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return clk, em, ctrl
}

// TestBoundlessTargetKeepsTheConfiguredMax: a service without a scalable
// target has no bound of its own, so the configured max is the ceiling no
// pin, bounds override or fallback may pass.
func TestBoundlessTargetKeepsTheConfiguredMax(t *testing.T) {
	three, five := 3, 5
	tests := []struct {
		name      string
		overrides []policy.Override
		backlog   int
		want      int
	}{
		{"a pin above max", []policy.Override{{ID: "o1", Kind: policy.OverridePin, Capacity: 500}}, 0, 20},
		{"empty bounds override under a backlog", []policy.Override{{ID: "o2", Kind: policy.OverrideBounds, Min: &five, Max: &three}}, 6000, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			planner := &fakePlanner{plan: Plan{Overrides: map[string][]policy.Override{"api": tc.overrides}}}
			clk, em, ctrl := ecsWorldPlanned(t, planner)
			if tc.backlog > 0 {
				must(t, em.SQS.Enqueue("jobs", tc.backlog))
			}
			clk.Advance(10 * time.Second)
			records, err := ctrl.RunOnce(context.Background(), clk.Now())
			must(t, err)
			if api := records[1]; api.Desired != tc.want || api.Max > 20 {
				t.Fatalf("api decided %d (bounds %d-%d); want %d, never above max 20", api.Desired, api.Min, api.Max, tc.want)
			}
			if d, _, _, _ := em.ECS.Counts("prod", "api"); d > 20 {
				t.Fatalf("service desired count %d above max 20", d)
			}
		})
	}
}

// TestECSServiceTarget runs the controller NewAWS builds against the
// emulator's ECS: a backlog scales the service out through UpdateService
// beside the Auto Scaling group, tasks count as pending until they run,
// and the decision names the kind and the service.
func TestECSServiceTarget(t *testing.T) {
	clk, em, ctrl := ecsWorld(t)
	ctx := context.Background()
	must(t, em.SQS.Enqueue("jobs", 600)) // 600 messages at 1 s each within 60 s: 10 units
	clk.Advance(10 * time.Second)
	records, err := ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	api := records[1]
	if api.Kind != target.KindECSService || api.Target != "prod/api" || api.ASG != "" || api.Error != "" {
		t.Fatalf("api record: kind %q target %q asg %q error %q", api.Kind, api.Target, api.ASG, api.Error)
	}
	if api.Current != 2 || api.Desired != 10 || !api.Acted {
		t.Fatalf("api: current %d decided %d acted %v; want 2 -> 10 acted", api.Current, api.Desired, api.Acted)
	}
	if desired, running, pending, _ := em.ECS.Counts("prod", "api"); desired != 10 || running != 2 || pending != 8 {
		t.Fatalf("service after the write: desired %d running %d pending %d", desired, running, pending)
	}
	if web := records[0]; web.Desired != 10 || !web.Acted {
		t.Fatalf("web: decided %d acted %v", web.Desired, web.Acted)
	}
	clk.Advance(10 * time.Second)
	records, err = ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if api := records[1]; api.Pending != 8 || api.Serving != 2 {
		t.Fatalf("api while tasks start: serving %d pending %d; want 2 and 8", api.Serving, api.Pending)
	}
	clk.Advance(20 * time.Second)
	records, err = ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if api := records[1]; api.Pending != 0 || api.Serving != 10 {
		t.Fatalf("api once tasks run: serving %d pending %d; want 10 and 0", api.Serving, api.Pending)
	}
	v, _ := ctrl.View("api")
	if v.Kind != target.KindECSService || v.Target != "prod/api" || !v.Known || v.ASGMax != target.NoMax {
		t.Fatalf("view: %+v", v)
	}
}

// TestECSConflictAndDeployment: a service with an Application Auto Scaling
// policy of its own is refused, never fought over; a deployment in
// progress holds a scale-in but not a scale-out.
func TestECSConflictAndDeployment(t *testing.T) {
	clk, em, ctrl := ecsWorld(t)
	ctx := context.Background()
	awsCfg := em.AWSConfig()
	client := aas.NewFromConfig(awsCfg)
	ref := func() (aastypes.ServiceNamespace, *string, aastypes.ScalableDimension) {
		return aastypes.ServiceNamespaceEcs, aws.String("service/prod/api"), aastypes.ScalableDimensionECSServiceDesiredCount
	}
	ns, id, dim := ref()
	if _, err := client.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(30)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("cpu70"), ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(70),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization}}}); err != nil {
		t.Fatal(err)
	}
	must(t, em.SQS.Enqueue("jobs", 600))
	clk.Advance(10 * time.Second)
	records, err := ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	api := records[1]
	if api.Acted || !strings.Contains(api.Error, "another controller scales this target") || !strings.Contains(api.Error, "cpu70") {
		t.Fatalf("conflict: acted %v error %q", api.Acted, api.Error)
	}
	if desired, _, _, _ := em.ECS.Counts("prod", "api"); desired != 2 {
		t.Fatalf("desired count %d after a conflict; want 2, untouched", desired)
	}
	if w := strings.Join(ctrl.Warnings(), "\n"); !strings.Contains(w, "group api: not acted on: another controller") {
		t.Fatalf("warnings: %s", w)
	}
	if !records[0].Acted {
		t.Fatalf("web must act while api is refused: %+v", records[0])
	}

	// The policy removed: Headroom takes the service, and the scalable
	// target's bounds are the service's own.
	if _, err := client.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String("cpu70"), ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	records, err = ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if api := records[1]; !api.Acted || api.Desired != 10 || api.ASGMin != 1 || api.ASGMax != 30 {
		t.Fatalf("after the policy is gone: acted %v decided %d bounds %d-%d error %q", api.Acted, api.Desired, api.ASGMin, api.ASGMax, api.Error)
	}

	// A deployment under way: the queue drains, and the scale-in waits.
	if err := em.ECS.StartDeployment("prod", "api", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	em.SQS.Consume("jobs", 600)
	var held Record
	for range 6 {
		clk.Advance(10 * time.Second)
		records, err = ctrl.RunOnce(ctx, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		held = records[1]
	}
	if held.Acted || held.Skipped != SkipTargetBusy || held.Desired >= held.Current || !strings.Contains(strings.Join(held.Notes, "\n"), "scale-in held") {
		t.Fatalf("during the deployment: current %d decided %d acted %v skipped %q notes %q", held.Current, held.Desired, held.Acted, held.Skipped, held.Notes)
	}
	clk.Advance(5 * time.Minute)
	records, err = ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if api := records[1]; !api.Acted || api.Desired >= api.Current {
		t.Fatalf("after the deployment: current %d decided %d acted %v skipped %q", api.Current, api.Desired, api.Acted, api.Skipped)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestECSMirrorStopsAtAConflict: a boost on a service with a scalable
// target is mirrored as an Application Auto Scaling scheduled action; once
// another controller's policy appears, Headroom removes its actions and
// puts no floor there.
func TestECSMirrorStopsAtAConflict(t *testing.T) {
	boost := schedule.Boost{ID: "b1", Groups: []string{"api"}, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), MinCapacity: 8, Lead: 10 * time.Minute}
	clk, em, ctrl := ecsWorldPlanned(t, &fakePlanner{plan: Plan{Boosts: []schedule.Boost{boost}}})
	ctx := context.Background()
	client := aas.NewFromConfig(em.AWSConfig())
	ns, id, dim := aastypes.ServiceNamespaceEcs, aws.String("service/prod/api"), aastypes.ScalableDimensionECSServiceDesiredCount
	if _, err := client.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(30)}); err != nil {
		t.Fatal(err)
	}
	actions := func() []string {
		out, err := client.DescribeScheduledActions(ctx, &aas.DescribeScheduledActionsInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range out.ScheduledActions {
			names = append(names, aws.ToString(a.ScheduledActionName))
		}
		return names
	}
	clk.Advance(10 * time.Second)
	_, err := ctrl.RunOnce(ctx, clk.Now())
	must(t, err)
	if got := actions(); len(got) == 0 {
		t.Fatal("the boost was not mirrored on the service's scalable target")
	}
	if _, err := client.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("cpu70"), ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(70),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization}}}); err != nil {
		t.Fatal(err)
	}
	mark := em.Mark()
	clk.Advance(10 * time.Second)
	records, err := ctrl.RunOnce(ctx, clk.Now())
	must(t, err)
	if !strings.Contains(records[1].Error, "another controller") {
		t.Fatalf("api: error %q, want the conflict", records[1].Error)
	}
	if got := actions(); len(got) != 0 {
		t.Fatalf("Headroom's actions %v stay on a service another controller scales", got)
	}
	for _, c := range em.CallsSince(mark) {
		if c.Operation == "PutScheduledAction" || c.Operation == "UpdateService" {
			t.Fatalf("%s %s on a service in conflict", c.Service, c.Operation)
		}
	}
}

// TestECSWritesHaveTheirOwnBudget: an ECS service's UpdateService and an
// Auto Scaling group's SetDesiredCapacity draw on buckets of their own
// services, as AWS throttles them: with one write of budget each, both
// act in the same cycle.
func TestECSWritesHaveTheirOwnBudget(t *testing.T) {
	doc := strings.Replace(ecsConfig, "call_timeout: 2s\n", "call_timeout: 2s\naws: {autoscaling_write_rate: 1/h, autoscaling_write_burst: 1}\n", 1)
	clk, em, ctrl := ecsWorldWith(t, nil, doc)
	must(t, em.SQS.Enqueue("jobs", 600))
	clk.Advance(10 * time.Second)
	records, err := ctrl.RunOnce(context.Background(), clk.Now())
	must(t, err)
	for _, r := range records {
		if !r.Acted || r.Skipped != "" {
			t.Errorf("%s: acted %v skipped %q; want each service's own token spent", r.Group, r.Acted, r.Skipped)
		}
	}
}
