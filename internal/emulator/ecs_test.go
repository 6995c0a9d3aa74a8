package emulator

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/ecs"
)

func ecsFixture(t *testing.T) (*Server, *clock.Fake, *ecssdk.Client, *aas.Client) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	s := StartTest(t, clk)
	cfg := s.AWSConfig()
	return s, clk, ecssdk.NewFromConfig(cfg), aas.NewFromConfig(cfg)
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func describeOne(t *testing.T, c *ecssdk.Client, cluster, name string) ecstypes.Service {
	t.Helper()
	out, err := c.DescribeServices(context.Background(), &ecssdk.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil {
		t.Fatalf("describe %s/%s: %v", cluster, name, err)
	}
	if len(out.Services) != 1 {
		t.Fatalf("describe %s/%s: %d services, failures %v", cluster, name, len(out.Services), out.Failures)
	}
	return out.Services[0]
}

func TestECSTaskLifecycle(t *testing.T) {
	s, clk, c, _ := ecsFixture(t)
	ctx := context.Background()
	if err := s.ECS.CreateService("prod", "web", ecs.ServiceOptions{Desired: 2, StartTime: 40 * time.Second}); err != nil {
		t.Fatal(err)
	}
	type want struct{ desired, running, pending int32 }
	check := func(step string, w want) {
		t.Helper()
		sv := describeOne(t, c, "prod", "web")
		if got := (want{sv.DesiredCount, sv.RunningCount, sv.PendingCount}); got != w {
			t.Fatalf("%s: got %+v, want %+v", step, got, w)
		}
	}
	check("created", want{2, 0, 2})
	clk.Advance(39 * time.Second)
	check("before start time", want{2, 0, 2})
	clk.Advance(time.Second)
	check("at start time", want{2, 2, 0})

	if _, err := c.UpdateService(ctx, &ecssdk.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	check("scale out", want{5, 2, 3})
	if _, err := c.UpdateService(ctx, &ecssdk.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	// Pending tasks stop first, then the newest running one.
	check("scale in", want{1, 1, 0})
}

func TestECSDescribeServicesErrors(t *testing.T) {
	s, _, c, _ := ecsFixture(t)
	ctx := context.Background()
	if err := s.ECS.CreateService("prod", "web", ecs.ServiceOptions{Desired: 1, Running: true}); err != nil {
		t.Fatal(err)
	}
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf("s%d", i)
	}
	cases := []struct {
		name     string
		cluster  string
		services []string
		code     string
		missing  int
	}{
		{name: "eleven services", cluster: "prod", services: eleven, code: "InvalidParameterException"},
		{name: "no such cluster", cluster: "nope", services: []string{"web"}, code: "ClusterNotFoundException"},
		{name: "one missing", cluster: "prod", services: []string{"web", "gone"}, missing: 1},
		{name: "by ARN", cluster: "arn:aws:ecs:us-east-1:000000000000:cluster/prod", services: []string{"arn:aws:ecs:us-east-1:000000000000:service/prod/web"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DescribeServices(ctx, &ecssdk.DescribeServicesInput{Cluster: aws.String(tc.cluster), Services: tc.services})
			if got := errCode(err); got != tc.code {
				t.Fatalf("error code %q (%v), want %q", got, err, tc.code)
			}
			if err != nil {
				return
			}
			if len(out.Failures) != tc.missing {
				t.Fatalf("failures %d, want %d", len(out.Failures), tc.missing)
			}
			for _, f := range out.Failures {
				if aws.ToString(f.Reason) != "MISSING" || aws.ToString(f.Arn) != "arn:aws:ecs:us-east-1:000000000000:service/prod/gone" {
					t.Fatalf("failure %+v", f)
				}
			}
			if len(out.Services) != 1 || aws.ToString(out.Services[0].ServiceName) != "web" {
				t.Fatalf("services %+v", out.Services)
			}
		})
	}
	_, err := c.UpdateService(ctx, &ecssdk.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("gone"), DesiredCount: aws.Int32(1)})
	if errCode(err) != "ServiceNotFoundException" {
		t.Fatalf("update missing service: %v", err)
	}
	var nf *ecstypes.ServiceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("update missing service: not a typed ServiceNotFoundException: %T", err)
	}
}

func TestECSDeployment(t *testing.T) {
	s, clk, c, _ := ecsFixture(t)
	if err := s.ECS.CreateService("prod", "web", ecs.ServiceOptions{Desired: 2, Running: true}); err != nil {
		t.Fatal(err)
	}
	if d := describeOne(t, c, "prod", "web").Deployments; len(d) != 1 || d[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Fatalf("before: %+v", d)
	}
	if err := s.ECS.StartDeployment("prod", "web", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	d := describeOne(t, c, "prod", "web").Deployments
	if len(d) != 2 || aws.ToString(d[0].Status) != "PRIMARY" || d[0].RolloutState != ecstypes.DeploymentRolloutStateInProgress || aws.ToString(d[1].Status) != "ACTIVE" {
		t.Fatalf("during: %+v", d)
	}
	if d[0].CreatedAt == nil || !d[0].CreatedAt.Equal(clk.Now()) {
		t.Fatalf("createdAt %v, want %v", d[0].CreatedAt, clk.Now())
	}
	clk.Advance(5 * time.Minute)
	if d := describeOne(t, c, "prod", "web").Deployments; len(d) != 1 || d[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Fatalf("after: %+v", d)
	}
}

func TestAppScalingTargetsAndScheduledActions(t *testing.T) {
	s, clk, c, a := ecsFixture(t)
	ctx := context.Background()
	if err := s.ECS.CreateService("prod", "web", ecs.ServiceOptions{Desired: 2, Running: true}); err != nil {
		t.Fatal(err)
	}
	ref := func() (aastypes.ServiceNamespace, aastypes.ScalableDimension, *string) {
		return aastypes.ServiceNamespaceEcs, aastypes.ScalableDimensionECSServiceDesiredCount, aws.String("service/prod/web")
	}
	ns, dim, rid := ref()
	desired := func() int32 { t.Helper(); return describeOne(t, c, "prod", "web").DesiredCount }

	_, err := a.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: rid, MinCapacity: aws.Int32(5)})
	if errCode(err) != "ValidationException" {
		t.Fatalf("new target without MaxCapacity: %v", err)
	}
	_, err = a.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: aws.String("service/prod/gone"), MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)})
	if errCode(err) != "ValidationException" {
		t.Fatalf("target on a missing service: %v", err)
	}
	if _, err := a.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: rid, MinCapacity: aws.Int32(3), MaxCapacity: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	if got := desired(); got != 3 {
		t.Fatalf("desired after registering min 3: %d, want 3", got)
	}
	_, err = a.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: rid, MinCapacity: aws.Int32(11)})
	if errCode(err) != "ValidationException" {
		t.Fatalf("min above max: %v", err)
	}
	// An update names only what changes; MaxCapacity stays 10.
	if _, err := a.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: rid, MinCapacity: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	tg, err := a.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns, ResourceIds: []string{"service/prod/web", "service/prod/gone"}})
	if err != nil || len(tg.ScalableTargets) != 1 || aws.ToInt32(tg.ScalableTargets[0].MinCapacity) != 4 || aws.ToInt32(tg.ScalableTargets[0].MaxCapacity) != 10 {
		t.Fatalf("describe targets: %+v %v", tg, err)
	}
	// UpdateService is out of band: not clamped.
	if _, err := c.UpdateService(ctx, &ecssdk.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if got := desired(); got != 1 {
		t.Fatalf("desired after UpdateService 1: %d", got)
	}

	at := clk.Now().Add(10 * time.Minute)
	if _, err := a.PutScheduledAction(ctx, &aas.PutScheduledActionInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: rid,
		ScheduledActionName: aws.String("boost"), Schedule: aws.String("at(" + at.Format("2006-01-02T15:04:05") + ")"),
		ScalableTargetAction: &aastypes.ScalableTargetAction{MinCapacity: aws.Int32(7)}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10*time.Minute - time.Second)
	if got := desired(); got != 1 {
		t.Fatalf("desired a second before the action: %d, want 1", got)
	}
	clk.Advance(time.Second)
	if got := desired(); got != 7 {
		t.Fatalf("desired at the action: %d, want 7", got)
	}
	if lo, hi, _ := s.AppScaling.Target(string(ns), "service/prod/web", string(dim)); lo != 7 || hi != 10 {
		t.Fatalf("target after the action: %d..%d, want 7..10", lo, hi)
	}
	sa, err := a.DescribeScheduledActions(ctx, &aas.DescribeScheduledActionsInput{ServiceNamespace: ns})
	if err != nil || len(sa.ScheduledActions) != 1 || aws.ToInt32(sa.ScheduledActions[0].ScalableTargetAction.MinCapacity) != 7 {
		t.Fatalf("describe actions: %+v %v", sa, err)
	}

	// Twelve policies come in pages of ten.
	for i := range 12 {
		if _, err := a.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: rid,
			PolicyName: aws.String(fmt.Sprintf("p%02d", i)), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
			TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50)}}); err != nil {
			t.Fatal(err)
		}
	}
	pages, n := 0, 0
	p := aas.NewDescribeScalingPoliciesPaginator(a, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		n += len(page.ScalingPolicies)
	}
	if pages != 2 || n != 12 {
		t.Fatalf("policies: %d in %d pages, want 12 in 2", n, pages)
	}
	if _, err := a.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: rid, PolicyName: aws.String("nope")}); errCode(err) != "ObjectNotFoundException" {
		t.Fatalf("delete missing policy: %v", err)
	}
	if _, err := a.DeleteScheduledAction(ctx, &aas.DeleteScheduledActionInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: rid, ScheduledActionName: aws.String("boost")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: ns, ScalableDimension: dim, ResourceId: rid}); err != nil {
		t.Fatal(err)
	}
	if out, err := a.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns}); err != nil || len(out.ScalingPolicies) != 0 {
		t.Fatalf("policies after deregistering: %+v %v", out, err)
	}
	if got := s.Count(ServiceAppScaling, "PutScheduledAction"); got != 1 {
		t.Fatalf("PutScheduledAction calls recorded: %d, want 1", got)
	}
	if got := s.Count(ServiceECS, "UpdateService"); got != 1 {
		t.Fatalf("UpdateService calls recorded: %d, want 1", got)
	}
}

func TestECSAndAppScalingFaults(t *testing.T) {
	s, clk, c, a := ecsFixture(t)
	ctx := context.Background()
	if err := s.ECS.CreateService("prod", "web", ecs.ServiceOptions{Desired: 1, Running: true}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		fault Fault
		call  func() error
		code  string
	}{
		{name: "ECS throttled", fault: Throttle(ServiceECS, "DescribeServices", 1, time.Time{}, time.Time{}), code: "ThrottlingException",
			call: func() error {
				_, err := c.DescribeServices(ctx, &ecssdk.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
				return err
			}},
		{name: "Application Auto Scaling blackout", fault: Blackout(ServiceAppScaling, clk.Now(), clk.Now().Add(time.Minute)), code: "ServiceUnavailable",
			call: func() error {
				_, err := a.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			remove := s.AddFault(tc.fault)
			defer remove()
			mark := s.Mark()
			if got := errCode(tc.call()); got != tc.code {
				t.Fatalf("error code %q, want %q", got, tc.code)
			}
			calls := s.CallsSince(mark)
			if len(calls) != 1 || calls[0].Fault != tc.code {
				t.Fatalf("recorded %+v, want one call with fault %s", calls, tc.code)
			}
			remove()
			if err := tc.call(); err != nil {
				t.Fatalf("after the fault: %v", err)
			}
		})
	}
}
