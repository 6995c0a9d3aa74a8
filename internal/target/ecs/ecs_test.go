package ecs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator"
	emuecs "github.com/headroom-dev/headroom/internal/emulator/ecs"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/target"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type fixture struct {
	emu *emulator.Server
	clk *clock.Fake
	b   *Backend
	aas *aas.Client
}

// newFixture starts the emulator on a fake clock and a backend whose real
// SDK clients talk to it over HTTP.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	emu := emulator.StartTest(t, clk)
	cfg := emu.AWSConfig()
	a := aas.NewFromConfig(cfg)
	return &fixture{emu: emu, clk: clk, b: New(ecssdk.NewFromConfig(cfg), a, clk), aas: a}
}

func (f *fixture) service(t *testing.T, id string, o emuecs.ServiceOptions) {
	t.Helper()
	c, s, _ := strings.Cut(id, "/")
	if err := f.emu.ECS.CreateService(c, s, o); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) register(t *testing.T, id string, lo, hi int) {
	t.Helper()
	_, err := f.aas.RegisterScalableTarget(context.Background(), &aas.RegisterScalableTargetInput{
		ServiceNamespace: namespace, ScalableDimension: dimension, ResourceId: aws.String(resourceID(id)),
		MinCapacity: aws.Int32(int32(lo)), MaxCapacity: aws.Int32(int32(hi)),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) policy(t *testing.T, id, name string) {
	t.Helper()
	_, err := f.aas.PutScalingPolicy(context.Background(), &aas.PutScalingPolicyInput{
		ServiceNamespace: namespace, ScalableDimension: dimension, ResourceId: aws.String(resourceID(id)),
		PolicyName: aws.String(name), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(60)},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) action(t *testing.T, id, name string, at time.Time, min int) {
	t.Helper()
	_, err := f.aas.PutScheduledAction(context.Background(), &aas.PutScheduledActionInput{
		ServiceNamespace: namespace, ScalableDimension: dimension, ResourceId: aws.String(resourceID(id)),
		ScheduledActionName: aws.String(name), Schedule: aws.String(atSchedule(at)),
		ScalableTargetAction: &aastypes.ScalableTargetAction{MinCapacity: aws.Int32(int32(min))},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) describe(t *testing.T, ids []string, warmup time.Duration) map[string]target.Group {
	t.Helper()
	out, err := f.b.Describe(context.Background(), ids, func(string) time.Duration { return warmup })
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	return out
}

func serviceIDs(cluster string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s/svc-%02d", cluster, i)
	}
	return ids
}

func TestDescribeBatches(t *testing.T) {
	cases := []struct {
		name  string
		ids   []string
		calls int
	}{
		{name: "one", ids: serviceIDs("prod", 1), calls: 1},
		{name: "ten", ids: serviceIDs("prod", 10), calls: 1},
		{name: "eleven", ids: serviceIDs("prod", 11), calls: 2},
		{name: "twenty-five", ids: serviceIDs("prod", 25), calls: 3},
		{name: "two clusters 20+5", ids: append(serviceIDs("prod", 20), serviceIDs("stage", 5)...), calls: 3},
		{name: "two clusters 5+5", ids: append(serviceIDs("prod", 5), serviceIDs("stage", 5)...), calls: 2},
		{name: "duplicates and bad ids", ids: append(serviceIDs("prod", 10), "prod/svc-00", "no-slash", "a/b/c"), calls: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			want := 0
			for _, id := range tc.ids {
				if _, _, ok := splitID(id); ok {
					if c, s, _ := strings.Cut(id, "/"); f.emu.ECS.CreateService(c, s, emuecs.ServiceOptions{Desired: 1, Running: true}) == nil {
						want++
					}
				}
			}
			out := f.describe(t, tc.ids, 0)
			if len(out) != want {
				t.Fatalf("described %d services, want %d", len(out), want)
			}
			if got := f.emu.Count(emulator.ServiceECS, "DescribeServices"); got != tc.calls {
				t.Fatalf("DescribeServices calls: %d, want %d", got, tc.calls)
			}
			// No service has a scalable target: one DescribeScalableTargets
			// per 50 services and nothing else.
			if got := f.emu.Count(emulator.ServiceAppScaling, ""); got != 1 {
				t.Fatalf("Application Auto Scaling calls: %d, want 1", got)
			}
			for id, g := range out {
				if g.Kind != target.KindECSService || g.Desired != 1 || g.InService != 1 || g.Serving != 1 || g.Min != 0 || g.Max != target.NoMax {
					t.Fatalf("%s: %+v", id, g)
				}
			}
		})
	}
}

func TestDescribeMissing(t *testing.T) {
	f := newFixture(t)
	f.service(t, "prod/web", emuecs.ServiceOptions{Desired: 2, Running: true, Tags: map[string]string{"team": "rewards", "headroom:managed": "true"}})
	out := f.describe(t, []string{"prod/web", "prod/gone", "nocluster/web"}, 0)
	if _, ok := out["prod/gone"]; ok {
		t.Fatal("a missing service is described")
	}
	if g, ok := out["prod/web"]; !ok || g.Name != "web" || g.ARN != "arn:aws:ecs:us-east-1:000000000000:service/prod/web" ||
		!maps.Equal(g.Tags, map[string]string{"team": "rewards", "headroom:managed": "true"}) {
		t.Fatalf("prod/web: %+v", g)
	}
}

func TestDescribeFailedBatchBlindsItsServices(t *testing.T) {
	f := newFixture(t)
	ids := serviceIDs("prod", 25)
	for _, id := range ids {
		f.service(t, id, emuecs.ServiceOptions{Desired: 1, Running: true})
	}
	f.b.Concurrency = 1 // batches in order: the fault hits the first
	f.emu.AddFault(emulator.Fault{Service: emulator.ServiceECS, Operation: "DescribeServices", Status: 500, Code: "ServerException", Times: 1})
	out, err := f.b.Describe(context.Background(), ids, nil)
	var pe *target.PageError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v, want a *target.PageError", err)
	}
	if !slices.Equal(pe.Groups, ids[:10]) {
		t.Fatalf("blind %v, want the first batch %v", pe.Groups, ids[:10])
	}
	if len(out) != 15 {
		t.Fatalf("described %d, want 15", len(out))
	}
	for _, id := range ids[:10] {
		if _, ok := out[id]; ok || !pe.Blind(id) {
			t.Fatalf("%s: described %v, blind %v", id, ok, pe.Blind(id))
		}
	}
}

func TestDescribeScalingReadFailureBlinds(t *testing.T) {
	f := newFixture(t)
	f.service(t, "prod/web", emuecs.ServiceOptions{Desired: 1, Running: true})
	f.emu.AddFault(emulator.Fault{Service: emulator.ServiceAppScaling, Operation: "DescribeScalableTargets", Code: "ThrottlingException", Times: 1})
	out, err := f.b.Describe(context.Background(), []string{"prod/web"}, nil)
	var pe *target.PageError
	if !errors.As(err, &pe) || !pe.Blind("prod/web") || len(out) != 0 {
		t.Fatalf("out %v, err %v: want prod/web blind", out, err)
	}
}

func TestWarmup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const id = "prod/web"
	f.service(t, id, emuecs.ServiceOptions{Desired: 2, Running: true, StartTime: 30 * time.Second})
	warmup := time.Minute
	type counts struct{ inService, warming, serving, pending int }
	check := func(step string, want counts) {
		t.Helper()
		g := f.describe(t, []string{id}, warmup)[id]
		if got := (counts{g.InService, g.Warming, g.Serving, g.Pending}); got != want {
			t.Fatalf("%s: %+v, want %+v", step, got, want)
		}
		if g.Instances.Warming != g.Warming || g.Instances.Serving != g.Serving {
			t.Fatalf("%s: Instances %+v disagree", step, g.Instances)
		}
	}
	check("first sight: running tasks serve at once", counts{2, 0, 2, 0})
	if err := f.b.SetDesired(ctx, id, 5); err != nil {
		t.Fatal(err)
	}
	check("scaled out", counts{2, 0, 2, 3})
	f.clk.Advance(30 * time.Second)
	check("new tasks running, warming", counts{5, 3, 2, 0})
	f.clk.Advance(59 * time.Second)
	check("a second before warmup ends", counts{5, 3, 2, 0})
	if err := f.b.SetDesired(ctx, id, 3); err != nil {
		t.Fatal(err)
	}
	// Two tasks stop; which is unknown, so they are taken from the
	// serving ones: no task counts as serving before its warmup is over.
	check("scale in during warmup", counts{3, 3, 0, 0})
	f.clk.Advance(time.Second)
	check("warmup over", counts{3, 0, 3, 0})
}

func TestDeploymentForbidsScaleIn(t *testing.T) {
	f := newFixture(t)
	const id = "prod/web"
	f.service(t, id, emuecs.ServiceOptions{Desired: 2, Running: true})
	if g := f.describe(t, []string{id}, 0)[id]; g.NoScaleIn != "" {
		t.Fatalf("before: NoScaleIn %q", g.NoScaleIn)
	}
	if err := f.emu.ECS.StartDeployment("prod", "web", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	g := f.describe(t, []string{id}, 0)[id]
	if !strings.Contains(g.NoScaleIn, "IN_PROGRESS") {
		t.Fatalf("during: NoScaleIn %q", g.NoScaleIn)
	}
	f.clk.Advance(10 * time.Minute)
	if g := f.describe(t, []string{id}, 0)[id]; g.NoScaleIn != "" {
		t.Fatalf("after: NoScaleIn %q", g.NoScaleIn)
	}
}

func TestDeploying(t *testing.T) {
	cases := []struct {
		name string
		ds   []string // rolloutState per deployment
		sets []string // stabilityStatus per task set
		want string
	}{
		{name: "none", want: ""},
		{name: "one completed", ds: []string{"COMPLETED"}, want: ""},
		{name: "one in progress", ds: []string{"IN_PROGRESS"}, want: "in progress"},
		{name: "two without rollout state", ds: []string{"", ""}, want: "2 deployments"},
		{name: "one steady task set", sets: []string{"STEADY_STATE"}, want: ""},
		{name: "one task set stabilizing", sets: []string{"STABILIZING"}, want: "STABILIZING"},
		{name: "two task sets: blue/green", sets: []string{"STEADY_STATE", "STEADY_STATE"}, want: "blue/green"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ds []ecstypes.Deployment
			for _, s := range tc.ds {
				ds = append(ds, ecstypes.Deployment{Id: aws.String("d"), RolloutState: ecstypes.DeploymentRolloutState(s)})
			}
			var sets []ecstypes.TaskSet
			for _, st := range tc.sets {
				sets = append(sets, ecstypes.TaskSet{Id: aws.String("ts"), StabilityStatus: ecstypes.StabilityStatus(st)})
			}
			got := deploying(ds, sets)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("deploying = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConflictAndBounds(t *testing.T) {
	const id = "prod/web"
	cases := []struct {
		name     string
		setup    func(t *testing.T, f *fixture)
		conflict string // substring; "" for none
		min, max int
		mirrors  bool
	}{
		{name: "no scalable target", setup: func(*testing.T, *fixture) {}, max: target.NoMax},
		{name: "scalable target alone", setup: func(t *testing.T, f *fixture) { f.register(t, id, 1, 8) }, min: 1, max: 8, mirrors: true},
		{name: "scaling policy", setup: func(t *testing.T, f *fixture) {
			f.register(t, id, 1, 8)
			f.policy(t, id, "cpu60")
		}, conflict: `policy "cpu60" (TargetTrackingScaling)`, min: 1, max: 8, mirrors: true},
		{name: "foreign scheduled action", setup: func(t *testing.T, f *fixture) {
			f.register(t, id, 1, 8)
			f.action(t, id, "nightly-scale-down", t0.Add(time.Hour), 1)
		}, conflict: `scheduled action "nightly-scale-down"`, min: 1, max: 8, mirrors: true},
		{name: "Headroom's scheduled action", setup: func(t *testing.T, f *fixture) {
			f.register(t, id, 1, 8)
			f.action(t, id, schedule.ActionName("b1", schedule.RoleStart), t0.Add(time.Hour), 4)
		}, min: 1, max: 8, mirrors: true},
		{name: "another service's policy", setup: func(t *testing.T, f *fixture) {
			f.register(t, id, 1, 8)
			f.service(t, "prod/other", emuecs.ServiceOptions{Desired: 1, Running: true})
			f.register(t, "prod/other", 1, 8)
			f.policy(t, "prod/other", "cpu60")
		}, min: 1, max: 8, mirrors: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.service(t, id, emuecs.ServiceOptions{Desired: 2, Running: true})
			tc.setup(t, f)
			g := f.describe(t, []string{id}, 0)[id]
			if (tc.conflict == "") != (g.Conflict == "") || !strings.Contains(g.Conflict, tc.conflict) {
				t.Fatalf("Conflict %q, want %q", g.Conflict, tc.conflict)
			}
			if g.Min != tc.min || g.Max != tc.max {
				t.Fatalf("Min/Max %d/%d, want %d/%d", g.Min, g.Max, tc.min, tc.max)
			}
			if got := f.b.Mirrors(id); got != tc.mirrors {
				t.Fatalf("Mirrors %v, want %v", got, tc.mirrors)
			}
		})
	}
}

func TestScalingReadTakesTheCheaperWay(t *testing.T) {
	f := newFixture(t)
	const id = "prod/web"
	f.service(t, id, emuecs.ServiceOptions{Desired: 2, Running: true})
	f.register(t, id, 1, 8)
	// Forty other services with a policy each: a sweep of the namespace
	// takes 4 pages of policies and 1 of actions, more than the 2 calls
	// of reading prod/web alone.
	for i := range 40 {
		other := fmt.Sprintf("other/svc-%02d", i)
		f.service(t, other, emuecs.ServiceOptions{Desired: 1, Running: true})
		f.register(t, other, 1, 4)
		f.policy(t, other, "cpu")
	}
	cycle := func() (policies, actions int) {
		t.Helper()
		f.emu.ResetCounts()
		if g := f.describe(t, []string{id}, 0)[id]; g.Conflict != "" {
			t.Fatalf("Conflict %q", g.Conflict)
		}
		return f.emu.Count(emulator.ServiceAppScaling, "DescribeScalingPolicies"), f.emu.Count(emulator.ServiceAppScaling, "DescribeScheduledActions")
	}
	if p, a := cycle(); p != 4 || a != 1 {
		t.Fatalf("first cycle (sweep): %d policy and %d action calls, want 4 and 1", p, a)
	}
	if p, a := cycle(); p != 1 || a != 1 {
		t.Fatalf("second cycle (per service): %d policy and %d action calls, want 1 and 1", p, a)
	}
	f.policy(t, id, "cpu")
	if g := f.describe(t, []string{id}, 0)[id]; !strings.Contains(g.Conflict, `"cpu"`) {
		t.Fatalf("per-service read misses the policy: Conflict %q", g.Conflict)
	}
}

func TestSetDesired(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.service(t, "prod/web", emuecs.ServiceOptions{Desired: 2, Running: true})
	cases := []struct {
		name    string
		id      string
		n       int
		wantErr string
		desired int
	}{
		{name: "scale out", id: "prod/web", n: 6, desired: 6},
		{name: "scale in", id: "prod/web", n: 1, desired: 1},
		{name: "missing service", id: "prod/gone", n: 1, wantErr: "ServiceNotFoundException", desired: 1},
		{name: "bad id", id: "web", n: 1, wantErr: "CLUSTER/SERVICE", desired: 1},
		{name: "negative", id: "prod/web", n: -1, wantErr: "out of range", desired: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := f.b.SetDesired(ctx, tc.id, tc.n)
			if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if d, _, _, _ := f.emu.ECS.Counts("prod", "web"); d != tc.desired {
				t.Fatalf("desired %d, want %d", d, tc.desired)
			}
		})
	}
}

func TestMirrorRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const id = "prod/web"
	f.service(t, id, emuecs.ServiceOptions{Desired: 2, Running: true})
	f.register(t, id, 1, 10)
	f.action(t, id, "operator-action", t0.Add(48*time.Hour), 2)
	f.describe(t, []string{id}, 0)
	if !f.b.Mirrors(id) {
		t.Fatal("Mirrors false for a service with a scalable target")
	}

	// A boost from +5m to +15m with floor 6, as schedule.Mirror plans it.
	plan := schedule.Mirror(schedule.MirrorInput{Now: f.clk.Now(), MinSize: 1, MaxSize: 10,
		Boosts: []schedule.MirrorBoost{{ID: "b1", Reached: t0.Add(5 * time.Minute), End: t0.Add(15 * time.Minute), Floor: 6}}})
	existing, err := f.b.ScheduledActions(ctx, id)
	if err != nil || len(existing) != 0 {
		t.Fatalf("existing %v, %v: want none (the operator's action is not Headroom's)", existing, err)
	}
	put, deleted, err := f.b.Reconcile(ctx, id, existing, plan.Want)
	if err != nil || put != 2 || deleted != 0 {
		t.Fatalf("reconcile: put %d deleted %d err %v", put, deleted, err)
	}
	got, err := f.b.ScheduledActions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	byName := func(a, b schedule.Action) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(got, byName)
	want := slices.SortedFunc(slices.Values(plan.Want), byName)
	if !slices.Equal(got, want) {
		t.Fatalf("read back %v, want %v", got, want)
	}
	// Equal again: nothing to do.
	if put, deleted, err := f.b.Reconcile(ctx, id, got, plan.Want); err != nil || put+deleted != 0 {
		t.Fatalf("second reconcile: put %d deleted %d err %v", put, deleted, err)
	}

	f.clk.Advance(5*time.Minute - time.Second)
	if g := f.describe(t, []string{id}, 0)[id]; g.Desired != 2 || g.Min != 1 {
		t.Fatalf("before the start action: desired %d min %d", g.Desired, g.Min)
	}
	f.clk.Advance(time.Second)
	if g := f.describe(t, []string{id}, 0)[id]; g.Desired != 6 || g.Min != 6 || g.Max != 10 {
		t.Fatalf("at the start action: desired %d min %d max %d, want 6, 6, 10", g.Desired, g.Min, g.Max)
	}
	f.clk.Advance(10 * time.Minute)
	if g := f.describe(t, []string{id}, 0)[id]; g.Min != 1 || g.Desired != 6 {
		t.Fatalf("at the end action: min %d desired %d, want 1 and 6 (the floor drops, desired stays)", g.Min, g.Desired)
	}

	// The boost is over: Reconcile to nothing deletes both, and an action
	// already gone is not an error.
	got, err = f.b.ScheduledActions(ctx, id)
	if err != nil || len(got) != 2 {
		t.Fatalf("after the window: %v %v", got, err)
	}
	gone := append(slices.Clone(got), schedule.Action{Name: schedule.ActionName("old", schedule.RoleEnd), At: t0, MinSize: 1})
	put, deleted, err = f.b.Reconcile(ctx, id, gone, nil)
	if err != nil || put != 0 || deleted != 2 {
		t.Fatalf("cleanup: put %d deleted %d err %v", put, deleted, err)
	}
	if got, _ := f.b.ScheduledActions(ctx, id); len(got) != 0 {
		t.Fatalf("left: %v", got)
	}
	if g := f.describe(t, []string{id}, 0)[id]; g.Conflict == "" {
		t.Fatal("the operator's action is no longer a conflict")
	}

	// SetMinSize raises MinCapacity and, with it, the desired count.
	if err := f.b.SetMinSize(ctx, id, 8); err != nil {
		t.Fatal(err)
	}
	if g := f.describe(t, []string{id}, 0)[id]; g.Min != 8 || g.Max != 10 || g.Desired != 8 {
		t.Fatalf("after SetMinSize 8: %d..%d desired %d", g.Min, g.Max, g.Desired)
	}
	// A name without the prefix is refused, not put.
	mark := f.emu.Mark()
	if _, _, err := f.b.Reconcile(ctx, id, nil, []schedule.Action{{Name: "foreign", At: t0.Add(time.Hour), MinSize: 1}}); err == nil {
		t.Fatal("put an action without the prefix")
	}
	if n := len(f.emu.CallsSince(mark)); n != 0 {
		t.Fatalf("%d calls for a refused action", n)
	}
}
