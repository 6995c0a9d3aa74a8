package autoscaling

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

func (f *fixture) putWarm(t *testing.T, in *autoscaling.PutWarmPoolInput) {
	t.Helper()
	if _, err := f.client.PutWarmPool(context.Background(), in); err != nil {
		t.Fatalf("put warm pool of %s: %v", aws.ToString(in.AutoScalingGroupName), err)
	}
}

// describeWarm reads the whole warm pool of name through the SDK's
// paginator.
func (f *fixture) describeWarm(t *testing.T, name string) (*types.WarmPoolConfiguration, []types.Instance) {
	t.Helper()
	var cfg *types.WarmPoolConfiguration
	var ins []types.Instance
	p := autoscaling.NewDescribeWarmPoolPaginator(f.client, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String(name)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("describe warm pool of %s: %v", name, err)
		}
		cfg = out.WarmPoolConfiguration
		ins = append(ins, out.Instances...)
	}
	return cfg, ins
}

func describeGroupSDK(t *testing.T, f *fixture, name string) types.AutoScalingGroup {
	t.Helper()
	out, err := f.client.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		t.Fatalf("describe %s: %v", name, err)
	}
	if len(out.AutoScalingGroups) != 1 {
		t.Fatalf("describe %s: %d groups", name, len(out.AutoScalingGroups))
	}
	return out.AutoScalingGroups[0]
}

func warmStates(ins []types.Instance) map[types.LifecycleState]int {
	m := map[types.LifecycleState]int{}
	for _, in := range ins {
		m[in.LifecycleState]++
	}
	return m
}

func groupStates(g types.AutoScalingGroup) map[types.LifecycleState]int {
	return warmStates(g.Instances)
}

func TestPutAndDescribeWarmPool(t *testing.T) {
	f := newFixture(t)
	f.create(t, "web", 0, 10, 2)
	f.putWarm(t, &autoscaling.PutWarmPoolInput{
		AutoScalingGroupName: aws.String("web"),
		MinSize:              aws.Int32(1),
		PoolState:            types.WarmPoolStateStopped,
		InstanceReusePolicy:  &types.InstanceReusePolicy{ReuseOnScaleIn: aws.Bool(true)},
	})

	cfg, ins := f.describeWarm(t, "web")
	if cfg == nil {
		t.Fatal("no WarmPoolConfiguration")
	}
	if aws.ToInt32(cfg.MinSize) != 1 || cfg.PoolState != types.WarmPoolStateStopped || cfg.MaxGroupPreparedCapacity != nil || cfg.Status != "" {
		t.Errorf("configuration = min %d state %s prepared %v status %q", aws.ToInt32(cfg.MinSize), cfg.PoolState, cfg.MaxGroupPreparedCapacity, cfg.Status)
	}
	if cfg.InstanceReusePolicy == nil || !aws.ToBool(cfg.InstanceReusePolicy.ReuseOnScaleIn) {
		t.Errorf("InstanceReusePolicy = %+v, want ReuseOnScaleIn", cfg.InstanceReusePolicy)
	}
	// MaxSize 10 - desired 2: the warm pool holds 8 (Warm pools for Amazon
	// EC2 Auto Scaling, "Warm pool size").
	if got := warmStates(ins); got[types.LifecycleStateWarmedPending] != 8 || len(ins) != 8 {
		t.Errorf("warm pool states at once = %v, want 8 Warmed:Pending", got)
	}

	f.clk.Advance(DefaultLaunchTime - time.Second)
	if _, ins := f.describeWarm(t, "web"); warmStates(ins)[types.LifecycleStateWarmedPending] != 8 {
		t.Errorf("warm pool states before the launch time = %v", warmStates(ins))
	}
	f.clk.Advance(time.Second)
	_, ins = f.describeWarm(t, "web")
	if got := warmStates(ins); got[types.LifecycleStateWarmedStopped] != 8 {
		t.Errorf("warm pool states after the launch time = %v, want 8 Warmed:Stopped", got)
	}

	g := describeGroupSDK(t, f, "web")
	if g.WarmPoolConfiguration == nil || g.WarmPoolConfiguration.PoolState != types.WarmPoolStateStopped {
		t.Errorf("DescribeAutoScalingGroups WarmPoolConfiguration = %+v", g.WarmPoolConfiguration)
	}
	if aws.ToInt32(g.WarmPoolSize) != 8 {
		t.Errorf("WarmPoolSize = %d, want 8", aws.ToInt32(g.WarmPoolSize))
	}
	if len(g.Instances) != 2 {
		t.Errorf("group has %d instances, want 2", len(g.Instances))
	}
	for _, in := range g.Instances {
		if strings.HasPrefix(string(in.LifecycleState), "Warmed:") {
			t.Errorf("warm instance %s in the group's Instances", aws.ToString(in.InstanceId))
		}
		for _, w := range ins {
			if aws.ToString(w.InstanceId) == aws.ToString(in.InstanceId) {
				t.Errorf("instance %s is both in the group and in the warm pool", aws.ToString(in.InstanceId))
			}
		}
	}

	other := "plain"
	f.create(t, other, 0, 10, 1)
	if g := describeGroupSDK(t, f, other); g.WarmPoolConfiguration != nil || g.WarmPoolSize != nil {
		t.Errorf("group without a warm pool shows %+v size %v", g.WarmPoolConfiguration, g.WarmPoolSize)
	}
	if cfg, ins := f.describeWarm(t, other); cfg != nil || len(ins) != 0 {
		t.Errorf("DescribeWarmPool without a pool = %+v, %d instances", cfg, len(ins))
	}
}

func TestWarmPoolSize(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		max, desired         int
		minSize              int32
		prepared             *int32
		want                 int
		wantPreparedInConfig bool
	}{
		// The examples of "Warm pools for Amazon EC2 Auto Scaling".
		{name: "max minus desired", max: 10, desired: 6, want: 4},
		{name: "prepared minus desired", max: 10, desired: 6, prepared: aws.Int32(8), want: 2, wantPreparedInConfig: true},
		{name: "desired above prepared", max: 10, desired: 8, prepared: aws.Int32(5), want: 0, wantPreparedInConfig: true},
		{name: "desired above prepared with a minimum", max: 10, desired: 8, minSize: 3, prepared: aws.Int32(5), want: 3, wantPreparedInConfig: true},
		{name: "absolute size", max: 20, desired: 2, minSize: 10, prepared: aws.Int32(10), want: 10, wantPreparedInConfig: true},
		{name: "minus one is unset", max: 10, desired: 6, prepared: aws.Int32(-1), want: 4},
		{name: "drained", max: 10, desired: 6, prepared: aws.Int32(0), want: 0, wantPreparedInConfig: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.create(t, "web", 0, tc.max, tc.desired)
			f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(tc.minSize), MaxGroupPreparedCapacity: tc.prepared})
			cfg, ins := f.describeWarm(t, "web")
			if len(ins) != tc.want {
				t.Errorf("warm pool holds %d, want %d", len(ins), tc.want)
			}
			if (cfg.MaxGroupPreparedCapacity != nil) != tc.wantPreparedInConfig {
				t.Errorf("MaxGroupPreparedCapacity = %v", cfg.MaxGroupPreparedCapacity)
			}
			g := f.group(t, "web")
			if g.WarmPool == nil || g.WarmPool.Size != tc.want {
				t.Errorf("view = %+v, want Size %d", g.WarmPool, tc.want)
			}
		})
	}
}

func TestWarmPoolShrinksWhenPreparedCapacityDrops(t *testing.T) {
	f := newFixture(t)
	f.create(t, "web", 0, 10, 2)
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web")})
	f.clk.Advance(DefaultLaunchTime)
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), MaxGroupPreparedCapacity: aws.Int32(5)})
	_, ins := f.describeWarm(t, "web")
	if got := warmStates(ins); len(ins) != 3 || got[types.LifecycleStateWarmedStopped] != 3 {
		t.Errorf("after MaxGroupPreparedCapacity 5 the pool is %v, want 3 Warmed:Stopped", got)
	}
	// Raising MaxSize raises the default size.
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), MaxGroupPreparedCapacity: aws.Int32(-1)})
	if _, err := f.client.UpdateAutoScalingGroup(context.Background(), &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), MaxSize: aws.Int32(12)}); err != nil {
		t.Fatalf("update: %v", err)
	}
	_, ins = f.describeWarm(t, "web")
	if got := warmStates(ins); len(ins) != 10 || got[types.LifecycleStateWarmedPending] != 7 {
		t.Errorf("after MaxSize 12 the pool is %v, want 3 warmed and 7 Warmed:Pending", got)
	}
}

func TestWarmStart(t *testing.T) {
	for _, tc := range []struct {
		state     types.WarmPoolState
		warmState types.LifecycleState
		start     time.Duration
	}{
		{types.WarmPoolStateStopped, types.LifecycleStateWarmedStopped, DefaultWarmStartStopped},
		{types.WarmPoolStateHibernated, types.LifecycleStateWarmedHibernated, DefaultWarmStartHibernated},
		{types.WarmPoolStateRunning, types.LifecycleStateWarmedRunning, DefaultWarmStartRunning},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.create(t, "web", 0, 10, 2)
			// An absolute pool of 3, so that a scale-out by 4 drains it
			// and needs one cold launch.
			f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), PoolState: tc.state, MinSize: aws.Int32(3), MaxGroupPreparedCapacity: aws.Int32(3)})
			f.clk.Advance(DefaultLaunchTime)
			_, pool := f.describeWarm(t, "web")
			if got := warmStates(pool); got[tc.warmState] != 3 {
				t.Fatalf("pool = %v, want 3 %s", got, tc.warmState)
			}
			var poolIDs []string
			for _, in := range pool {
				poolIDs = append(poolIDs, aws.ToString(in.InstanceId))
			}

			setDesired(t, f, "web", 6)
			g := f.group(t, "web")
			warm := 0
			for _, in := range g.Instances {
				if in.Warm {
					warm++
					if !slices.Contains(poolIDs, in.ID) {
						t.Errorf("warm start %s was not in the pool", in.ID)
					}
				}
			}
			if warm != 3 || g.Pending() != 4 {
				t.Errorf("after the scale-out: %d warm starts, %d Pending; want 3 and 4", warm, g.Pending())
			}
			// The pool refills to its size at once.
			_, pool = f.describeWarm(t, "web")
			if got := warmStates(pool); got[types.LifecycleStateWarmedPending] != 3 || len(pool) != 3 {
				t.Errorf("pool after the scale-out = %v, want 3 Warmed:Pending", got)
			}

			f.clk.Advance(tc.start - time.Second)
			if got := groupStates(describeGroupSDK(t, f, "web")); got[types.LifecycleStateInService] != 2 {
				t.Errorf("a second before the warm start time: %v", got)
			}
			f.clk.Advance(time.Second)
			if got := groupStates(describeGroupSDK(t, f, "web")); got[types.LifecycleStateInService] != 5 || got[types.LifecycleStatePending] != 1 {
				t.Errorf("at the warm start time: %v, want 5 InService and the cold launch Pending", got)
			}
			f.clk.Advance(DefaultLaunchTime - tc.start)
			if got := groupStates(describeGroupSDK(t, f, "web")); got[types.LifecycleStateInService] != 6 {
				t.Errorf("at the launch time: %v, want 6 InService", got)
			}
			_, pool = f.describeWarm(t, "web")
			if got := warmStates(pool); got[tc.warmState] != 3 {
				t.Errorf("pool after the refill = %v, want 3 %s", got, tc.warmState)
			}

			out, err := f.client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
			if err != nil {
				t.Fatalf("activities: %v", err)
			}
			fromPool := 0
			for _, a := range out.Activities {
				if strings.HasPrefix(aws.ToString(a.Description), "Launching a new EC2 instance from warm pool: ") {
					fromPool++
					if d := a.EndTime.Sub(*a.StartTime); d != tc.start {
						t.Errorf("warm start activity took %v, want %v", d, tc.start)
					}
				}
			}
			if fromPool != 3 {
				t.Errorf("%d warm start activities, want 3", fromPool)
			}
		})
	}
}

func TestWarmStartTimeControls(t *testing.T) {
	f := newFixture(t)
	f.svc.SetLaunchTime(0)
	f.svc.SetWarmStartTime(PoolStateStopped, 10*time.Second)
	f.create(t, "web", 0, 10, 0)
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web")})
	setDesired(t, f, "web", 1)
	f.clk.Advance(10 * time.Second)
	if g := f.group(t, "web"); g.InService() != 1 || !g.Instances[0].Warm {
		t.Errorf("SetWarmStartTime 10s: after 10s %+v", g.Instances)
	}

	var asked []string
	f.svc.SetWarmStartTimeFunc(func(group, poolState string) time.Duration {
		asked = append(asked, group+"/"+poolState)
		return 3 * time.Second
	})
	setDesired(t, f, "web", 2)
	f.clk.Advance(3 * time.Second)
	if g := f.group(t, "web"); g.InService() != 2 {
		t.Errorf("SetWarmStartTimeFunc 3s: after 3s %d InService", g.InService())
	}
	if !slices.Equal(asked, []string{"web/Stopped"}) {
		t.Errorf("the function was asked %v", asked)
	}
	f.svc.SetWarmStartTimeFunc(nil)
	setDesired(t, f, "web", 3)
	f.clk.Advance(9 * time.Second)
	if g := f.group(t, "web"); g.Pending() != 1 {
		t.Errorf("after restoring the fixed time: %d Pending after 9s, want 1", g.Pending())
	}
}

// A scale-out before the pool has warmed takes the Warmed:Pending instances,
// which are InService when their launch ends, not after a cold launch.
func TestWarmStartFromWarmingInstance(t *testing.T) {
	f := newFixture(t)
	f.create(t, "web", 0, 4, 1)
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web")})
	f.clk.Advance(DefaultLaunchTime / 2)
	setDesired(t, f, "web", 4)
	g := f.group(t, "web")
	warm := 0
	for _, in := range g.Instances {
		if in.Warm && in.State == StatePending {
			warm++
		}
	}
	if warm != 3 {
		t.Fatalf("%d warm starts Pending, want 3", warm)
	}
	if g.WarmPool == nil || len(g.WarmPool.Instances) != 0 {
		t.Errorf("pool = %+v, want empty", g.WarmPool)
	}
	f.clk.Advance(DefaultLaunchTime / 2)
	if g := f.group(t, "web"); g.InService() != 4 {
		t.Errorf("at the end of their launch %d InService, want 4", g.InService())
	}
}

func TestReuseOnScaleIn(t *testing.T) {
	for _, reuse := range []bool{true, false} {
		t.Run(map[bool]string{true: "reuse", false: "terminate"}[reuse], func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.svc.SetTerminateTime(30 * time.Second)
			f.create(t, "web", 0, 8, 5)
			f.putWarm(t, &autoscaling.PutWarmPoolInput{
				AutoScalingGroupName: aws.String("web"),
				InstanceReusePolicy:  &types.InstanceReusePolicy{ReuseOnScaleIn: aws.Bool(reuse)},
			})
			f.clk.Advance(DefaultLaunchTime)
			before := f.group(t, "web")
			setDesired(t, f, "web", 2)
			after := f.group(t, "web")
			var removed []string
			for _, in := range before.Instances {
				if !slices.ContainsFunc(after.Instances, func(v InstanceView) bool { return v.ID == in.ID && v.State != StateTerminating }) {
					removed = append(removed, in.ID)
				}
			}
			if len(removed) != 3 {
				t.Fatalf("%d instances left service, want 3", len(removed))
			}
			_, pool := f.describeWarm(t, "web")
			inPool := 0
			for _, in := range pool {
				if slices.Contains(removed, aws.ToString(in.InstanceId)) {
					inPool++
					if in.LifecycleState != types.LifecycleStateWarmedPending {
						t.Errorf("returned %s is %s, want Warmed:Pending", aws.ToString(in.InstanceId), in.LifecycleState)
					}
				}
			}
			if len(pool) != 6 {
				t.Errorf("pool holds %d, want 6", len(pool))
			}
			if reuse {
				if inPool != 3 || after.Count(StateTerminating) != 0 {
					t.Errorf("with ReuseOnScaleIn: %d returned to the pool, %d Terminating; want 3 and 0", inPool, after.Count(StateTerminating))
				}
				f.clk.Advance(DefaultWarmStartStopped)
				if _, pool := f.describeWarm(t, "web"); warmStates(pool)[types.LifecycleStateWarmedStopped] != 6 {
					t.Errorf("pool after the return = %v, want 6 Warmed:Stopped", warmStates(pool))
				}
				out, err := f.client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
				if err != nil {
					t.Fatalf("activities: %v", err)
				}
				for _, a := range out.Activities {
					if strings.HasPrefix(aws.ToString(a.Description), "Terminating") {
						t.Errorf("activity %q with ReuseOnScaleIn", aws.ToString(a.Description))
					}
				}
			} else if inPool != 0 || after.Count(StateTerminating) != 3 {
				t.Errorf("without ReuseOnScaleIn: %d returned to the pool, %d Terminating; want 0 and 3", inPool, after.Count(StateTerminating))
			}
		})
	}
}

func TestDescribeWarmPoolPaging(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 122, 2)
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web")})

	var ids []string
	pages := 0
	var token *string
	for {
		out, err := f.client.DescribeWarmPool(ctx, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("web"), MaxRecords: aws.Int32(50), NextToken: token})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		if len(out.Instances) > 50 {
			t.Errorf("page %d has %d instances", pages, len(out.Instances))
		}
		if out.WarmPoolConfiguration == nil {
			t.Errorf("page %d has no configuration", pages)
		}
		for _, in := range out.Instances {
			ids = append(ids, aws.ToString(in.InstanceId))
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if pages != 3 || len(ids) != 120 {
		t.Errorf("%d pages, %d instances; want 3 and 120", pages, len(ids))
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 120 {
		t.Error("an instance appears on two pages")
	}

	for _, tc := range []struct {
		name string
		in   autoscaling.DescribeWarmPoolInput
		code string
	}{
		{"MaxRecords above 50", autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("web"), MaxRecords: aws.Int32(51)}, "ValidationError"},
		{"bad token", autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("web"), NextToken: aws.String("nope")}, "InvalidNextToken"},
		{"token of another group", autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("web"), NextToken: aws.String(encodeToken("warm:api:", "i-0"))}, "InvalidNextToken"},
		{"unknown group", autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("ghost")}, "ValidationError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client.DescribeWarmPool(ctx, &tc.in)
			if apiCode(err) != tc.code {
				t.Errorf("err = %v, want %s", err, tc.code)
			}
		})
	}

	// SetPageSize caps a page below MaxRecords, as AWS may.
	f.svc.SetPageSize(7)
	out, err := f.client.DescribeWarmPool(ctx, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("web")})
	if err != nil || len(out.Instances) != 7 || out.NextToken == nil {
		t.Errorf("with page size 7: %d instances, token %v, err %v", len(out.Instances), out.NextToken, err)
	}
}

func TestPutWarmPoolValidation(t *testing.T) {
	f := newFixture(t)
	f.create(t, "web", 0, 10, 2)
	for _, tc := range []struct {
		name string
		in   autoscaling.PutWarmPoolInput
	}{
		{"pool state", autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), PoolState: "Frozen"}},
		{"prepared below -1", autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), MaxGroupPreparedCapacity: aws.Int32(-2)}},
		{"negative minimum", autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(-1)}},
		{"unknown group", autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("ghost")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client.PutWarmPool(context.Background(), &tc.in)
			if apiCode(err) != "ValidationError" {
				t.Errorf("err = %v, want ValidationError", err)
			}
		})
	}
	if g := f.group(t, "web"); g.WarmPool != nil {
		t.Errorf("a refused PutWarmPool left a pool: %+v", g.WarmPool)
	}
}

func TestDeleteWarmPool(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.svc.SetTerminateTime(30 * time.Second)
	f.create(t, "web", 0, 5, 2)
	del := func(force bool) error {
		_, err := f.client.DeleteWarmPool(ctx, &autoscaling.DeleteWarmPoolInput{AutoScalingGroupName: aws.String("web"), ForceDelete: aws.Bool(force)})
		return err
	}
	if err := del(false); apiCode(err) != "ValidationError" || !strings.Contains(apiMessage(err), "No warm pool found") {
		t.Errorf("delete without a pool: %v", err)
	}
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web")})
	if err := del(false); apiCode(err) != "ScalingActivityInProgress" {
		t.Errorf("delete while the pool launches: %v, want ScalingActivityInProgress", err)
	}
	f.clk.Advance(DefaultLaunchTime)
	if err := del(false); apiCode(err) != "ResourceInUse" {
		t.Errorf("delete with instances in the pool: %v, want ResourceInUse", err)
	}
	if _, err := f.client.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("web")}); apiCode(err) == "" {
		t.Error("deleting the group with a warm pool and no ForceDelete succeeded")
	}

	if err := del(true); err != nil {
		t.Fatalf("force delete: %v", err)
	}
	cfg, ins := f.describeWarm(t, "web")
	if cfg == nil || cfg.Status != types.WarmPoolStatusPendingDelete {
		t.Errorf("after force delete the configuration is %+v, want Status PendingDelete", cfg)
	}
	if got := warmStates(ins); got[types.LifecycleStateWarmedTerminating] != 3 {
		t.Errorf("after force delete the pool is %v, want 3 Warmed:Terminating", got)
	}
	if g := describeGroupSDK(t, f, "web"); g.WarmPoolConfiguration == nil || g.WarmPoolConfiguration.Status != types.WarmPoolStatusPendingDelete {
		t.Errorf("DescribeAutoScalingGroups during the delete: %+v", g.WarmPoolConfiguration)
	}
	// The group scales out cold while its pool is being deleted.
	setDesired(t, f, "web", 3)
	if g := f.group(t, "web"); g.Instances[2].Warm {
		t.Error("a scale-out took an instance from a pool being deleted")
	}
	if _, err := f.client.PutWarmPool(ctx, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web")}); apiCode(err) == "" {
		t.Error("PutWarmPool on a pool being deleted succeeded")
	}

	f.clk.Advance(30 * time.Second)
	if cfg, ins := f.describeWarm(t, "web"); cfg != nil || len(ins) != 0 {
		t.Errorf("after the instances terminated: %+v, %d instances", cfg, len(ins))
	}
	if g := describeGroupSDK(t, f, "web"); g.WarmPoolConfiguration != nil {
		t.Errorf("DescribeAutoScalingGroups after the delete: %+v", g.WarmPoolConfiguration)
	}

	// An empty pool is deleted at once without ForceDelete.
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), MaxGroupPreparedCapacity: aws.Int32(0)})
	if err := del(false); err != nil {
		t.Errorf("delete of an empty pool: %v", err)
	}
	if g := f.group(t, "web"); g.WarmPool != nil {
		t.Errorf("pool after deleting it empty: %+v", g.WarmPool)
	}
}

func TestCreateGroupWithWarmPool(t *testing.T) {
	f := newFixture(t)
	err := f.svc.CreateGroup(GroupSpec{
		Name: "web", Min: 1, Max: 10, Desired: 2, StartInService: true,
		WarmPool: &WarmPoolSpec{MinSize: 2, MaxGroupPreparedCapacity: aws.Int(6), PoolState: PoolStateHibernated},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	g := f.group(t, "web")
	if g.InService() != 2 || g.WarmPool == nil {
		t.Fatalf("group = %+v", g)
	}
	w := g.WarmPool
	if w.PoolState != PoolStateHibernated || w.MinSize != 2 || w.MaxGroupPreparedCapacity != 6 || w.Size != 4 {
		t.Errorf("pool = %+v", w)
	}
	if w.Count(StateWarmedHibernated) != 4 || w.Parked() != 4 || w.Running() != 0 {
		t.Errorf("pool instances = %+v, want 4 Warmed:Hibernated at once", w.Instances)
	}
	cfg, _ := f.describeWarm(t, "web")
	if cfg == nil || aws.ToInt32(cfg.MaxGroupPreparedCapacity) != 6 || cfg.PoolState != types.WarmPoolStateHibernated {
		t.Errorf("DescribeWarmPool configuration = %+v", cfg)
	}

	if err := f.svc.CreateGroup(GroupSpec{Name: "bad", Max: 2, WarmPool: &WarmPoolSpec{PoolState: "Frozen"}}); err == nil {
		t.Error("a group with a bad pool state was created")
	}
	if _, ok := f.svc.Group("bad"); ok {
		t.Error("a refused group exists")
	}

	if err := f.svc.PutWarmPool("web", WarmPoolSpec{PoolState: PoolStateRunning}); err != nil {
		t.Fatalf("PutWarmPool: %v", err)
	}
	// The resting instances move to the new state; MaxGroupPreparedCapacity
	// is unset again, so the pool grows to MaxSize - desired = 8.
	if w := f.group(t, "web").WarmPool; w.Count(StateWarmedRunning) != 4 || w.Count(StateWarmedPending) != 4 || w.Running() != 8 || w.Parked() != 0 {
		t.Errorf("after PutWarmPool Running: %+v", w.Instances)
	}
	if err := f.svc.PutWarmPool("ghost", WarmPoolSpec{}); err == nil {
		t.Error("PutWarmPool on an unknown group succeeded")
	}
}

func TestWarmLaunchHookStates(t *testing.T) {
	f := newFixture(t)
	f.svc.SetWarmLaunchHookWait(2 * time.Minute)
	f.create(t, "web", 0, 3, 1)
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), PoolState: types.WarmPoolStateStopped})
	steps := []struct {
		after time.Duration
		want  types.LifecycleState
	}{
		{0, types.LifecycleStateWarmedPending},
		{DefaultLaunchTime, types.LifecycleStateWarmedPendingWait},
		{2 * time.Minute, types.LifecycleStateWarmedPendingProceed},
		// The move into Stopped takes as long as a start from it.
		{DefaultWarmStartStopped, types.LifecycleStateWarmedStopped},
	}
	for _, st := range steps {
		f.clk.Advance(st.after - time.Second)
		if st.after > 0 {
			if _, ins := f.describeWarm(t, "web"); warmStates(ins)[st.want] != 0 {
				t.Errorf("a second before %s: %v", st.want, warmStates(ins))
			}
		}
		f.clk.Advance(time.Second)
		if _, ins := f.describeWarm(t, "web"); warmStates(ins)[st.want] != 2 {
			t.Errorf("pool = %v, want 2 %s", warmStates(ins), st.want)
		}
	}

	// A scale-out while the refill waits on its hook takes the waiting
	// instance, which is InService when the wait ends: it is running and
	// needs no start.
	setDesired(t, f, "web", 3)
	f.clk.Advance(DefaultWarmStartStopped)
	if g := f.group(t, "web"); g.InService() != 3 {
		t.Fatalf("%d InService after the warm starts, want 3", g.InService())
	}
	setDesired(t, f, "web", 2)
	f.clk.Advance(DefaultLaunchTime)
	if _, ins := f.describeWarm(t, "web"); warmStates(ins)[types.LifecycleStateWarmedPendingWait] != 1 {
		t.Fatalf("refill = %v, want 1 Warmed:Pending:Wait", warmStates(ins))
	}
	setDesired(t, f, "web", 3)
	f.clk.Advance(2*time.Minute - time.Second)
	if g := f.group(t, "web"); g.Pending() != 1 {
		t.Errorf("before the hook's wait ends: %d Pending, want 1", g.Pending())
	}
	f.clk.Advance(time.Second)
	if g := f.group(t, "web"); g.InService() != 3 {
		t.Errorf("when the hook's wait ends: %d InService, want 3", g.InService())
	}
}

// TestWarmPoolInvariants drives groups with warm pools through random
// scale-outs, scale-ins, pool changes, suspensions and time, and checks
// after every step that the pool holds its size (unless a process that
// would resize it is suspended), that no instance is both in the group and
// in the pool, and that the group's active instances match its desired
// capacity.
func TestWarmPoolInvariants(t *testing.T) {
	for seed := range uint64(16) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			f := newFixture(t)
			ctx := context.Background()
			f.svc.SetTerminateTime(time.Duration(rng.IntN(3)) * 20 * time.Second)
			f.svc.SetWarmLaunchHookWait(time.Duration(rng.IntN(2)) * 45 * time.Second)
			f.create(t, "web", 0, 12, 3)
			states := []types.WarmPoolState{types.WarmPoolStateStopped, types.WarmPoolStateRunning, types.WarmPoolStateHibernated}
			suspended := false
			for step := range 40 {
				switch rng.IntN(6) {
				case 0, 1:
					setDesired(t, f, "web", rng.IntN(13))
				case 2:
					in := &autoscaling.PutWarmPoolInput{
						AutoScalingGroupName: aws.String("web"),
						MinSize:              aws.Int32(int32(rng.IntN(4))),
						PoolState:            states[rng.IntN(len(states))],
						InstanceReusePolicy:  &types.InstanceReusePolicy{ReuseOnScaleIn: aws.Bool(rng.IntN(2) == 0)},
					}
					if rng.IntN(2) == 0 {
						in.MaxGroupPreparedCapacity = aws.Int32(int32(rng.IntN(14) - 1))
					}
					if _, err := f.client.PutWarmPool(ctx, in); err != nil && apiCode(err) != "ResourceInUse" {
						t.Fatalf("step %d: put warm pool: %v", step, err)
					}
				case 3:
					if rng.IntN(4) == 0 {
						if _, err := f.client.DeleteWarmPool(ctx, &autoscaling.DeleteWarmPoolInput{AutoScalingGroupName: aws.String("web"), ForceDelete: aws.Bool(true)}); err != nil && apiCode(err) != "ValidationError" {
							t.Fatalf("step %d: delete warm pool: %v", step, err)
						}
					} else {
						f.clk.Advance(time.Duration(rng.IntN(120)) * time.Second)
					}
				case 4:
					var err error
					if suspended {
						_, err = f.client.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String("web")})
					} else {
						_, err = f.client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{ProcessLaunch}})
					}
					if err != nil {
						t.Fatalf("step %d: suspend or resume: %v", step, err)
					}
					suspended = !suspended
				default:
					f.clk.Advance(time.Duration(rng.IntN(40)) * time.Second)
				}

				g := f.group(t, "web")
				inGroup := map[string]bool{}
				active := 0
				for _, in := range g.Instances {
					inGroup[in.ID] = true
					if in.State != StateTerminating {
						active++
					}
				}
				if !suspended && active != g.Desired {
					t.Fatalf("step %d: %d active instances, desired %d", step, active, g.Desired)
				}
				if g.WarmPool == nil {
					continue
				}
				notTerminating := 0
				for _, in := range g.WarmPool.Instances {
					if inGroup[in.ID] {
						t.Fatalf("step %d: %s is in the group and in the pool", step, in.ID)
					}
					if in.State != StateWarmedTerminating {
						notTerminating++
					}
				}
				if !suspended && !g.WarmPool.PendingDelete && notTerminating != g.WarmPool.Size {
					t.Fatalf("step %d: pool holds %d, size %d", step, notTerminating, g.WarmPool.Size)
				}
				if suspended && notTerminating > g.WarmPool.Size {
					t.Fatalf("step %d: pool holds %d above its size %d while Launch is suspended", step, notTerminating, g.WarmPool.Size)
				}
				_, ins := f.describeWarm(t, "web")
				if len(ins) != len(g.WarmPool.Instances) {
					t.Fatalf("step %d: DescribeWarmPool lists %d, the view %d", step, len(ins), len(g.WarmPool.Instances))
				}
			}
		})
	}
}

// A PutWarmPool changes only the members it gives; the others keep their
// values.
func TestPutWarmPoolKeepsMembersLeftOut(t *testing.T) {
	f := newFixture(t)
	f.create(t, "web", 0, 10, 2)
	f.putWarm(t, &autoscaling.PutWarmPoolInput{
		AutoScalingGroupName:     aws.String("web"),
		MinSize:                  aws.Int32(3),
		MaxGroupPreparedCapacity: aws.Int32(6),
		PoolState:                types.WarmPoolStateRunning,
		InstanceReusePolicy:      &types.InstanceReusePolicy{ReuseOnScaleIn: aws.Bool(true)},
	})
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), MaxGroupPreparedCapacity: aws.Int32(8)})
	cfg, ins := f.describeWarm(t, "web")
	if aws.ToInt32(cfg.MinSize) != 3 || cfg.PoolState != types.WarmPoolStateRunning || aws.ToInt32(cfg.MaxGroupPreparedCapacity) != 8 ||
		cfg.InstanceReusePolicy == nil || !aws.ToBool(cfg.InstanceReusePolicy.ReuseOnScaleIn) {
		t.Errorf("configuration = %+v", cfg)
	}
	if len(ins) != 6 {
		t.Errorf("pool holds %d, want 8 - 2 = 6", len(ins))
	}
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(0), MaxGroupPreparedCapacity: aws.Int32(0)})
	if cfg, ins := f.describeWarm(t, "web"); aws.ToInt32(cfg.MinSize) != 0 || len(ins) != 0 || cfg.PoolState != types.WarmPoolStateRunning {
		t.Errorf("after MinSize 0 and MaxGroupPreparedCapacity 0: %+v, %d instances", cfg, len(ins))
	}
}

func TestForceDeleteGroupWithWarmPool(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 5, 1)
	f.putWarm(t, &autoscaling.PutWarmPoolInput{AutoScalingGroupName: aws.String("web")})
	if _, err := f.client.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), ForceDelete: aws.Bool(true)}); err != nil {
		t.Fatalf("force delete: %v", err)
	}
	if _, err := f.client.DescribeWarmPool(ctx, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("web")}); apiCode(err) != "ValidationError" {
		t.Errorf("DescribeWarmPool of a deleted group: %v, want ValidationError", err)
	}
}
