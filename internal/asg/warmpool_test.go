package asg

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/headroom-dev/headroom/internal/clock"
	headroomemu "github.com/headroom-dev/headroom/internal/emulator"
	emulator "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
)

// warmFixture is an actuator over the real SDK against the whole
// emulator server, whose faults can fail one operation.
type warmFixture struct {
	srv *headroomemu.Server
	clk *clock.Fake
	act *Actuator
}

func newWarmFixture(t *testing.T) *warmFixture {
	t.Helper()
	clk := clock.NewFake(t0)
	srv := headroomemu.New(clk)
	if _, err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &warmFixture{srv: srv, clk: clk, act: New(autoscaling.NewFromConfig(srv.AWSConfig()), clk)}
}

func (f *warmFixture) describe(t *testing.T, name string) Group {
	t.Helper()
	got, err := f.act.Describe(context.Background(), []string{name}, nil)
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	g, ok := got[name]
	if !ok {
		t.Fatalf("group %s missing", name)
	}
	return g
}

func intp(v int) *int { return &v }

// TestWarmPoolRead: a pool's instances are summarised by state and never
// count in the group; a group without a pool has no WarmPool.
func TestWarmPoolRead(t *testing.T) {
	f := newWarmFixture(t)
	emu := f.srv.AutoScaling
	emu.SetLaunchTime(time.Minute)
	if err := emu.CreateGroup(emulator.GroupSpec{Name: "web", Min: 0, Max: 20, Desired: 2, StartInService: true,
		WarmPool: &emulator.WarmPoolSpec{MinSize: 3, MaxGroupPreparedCapacity: intp(5), PoolState: emulator.PoolStateHibernated}}); err != nil {
		t.Fatal(err)
	}
	if err := emu.CreateGroup(emulator.GroupSpec{Name: "plain", Min: 0, Max: 20, Desired: 2, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	if g := f.describe(t, "plain"); g.WarmPool != nil {
		t.Errorf("group without a pool: WarmPool %+v, want nil", g.WarmPool)
	}
	if n := f.srv.Count(headroomemu.ServiceAutoScaling, "DescribeWarmPool"); n != 0 {
		t.Errorf("%d DescribeWarmPool calls for a group without a pool, want 0", n)
	}

	g := f.describe(t, "web")
	w := g.WarmPool
	if w == nil {
		t.Fatal("no WarmPool for a group with one")
	}
	// StartInService: the 3 pool instances rest in the pool state.
	if w.Ready != 3 || w.ReadyInstances != 3 || w.Entering != 0 || w.Leaving != 0 || w.PoolState != "Hibernated" ||
		w.MinSize != 3 || w.MaxPreparedCapacity != 5 || w.Error != "" {
		t.Errorf("pool %+v, want 3 ready, Hibernated, min 3, max prepared 5", *w)
	}
	if g.InService != 2 || g.Pending != 0 || g.Serving != 2 {
		t.Errorf("group in service %d pending %d serving %d, want 2, 0, 2: warm instances never count", g.InService, g.Pending, g.Serving)
	}

	// A larger pool: the new instances are entering it.
	if err := emu.PutWarmPool("web", emulator.WarmPoolSpec{MinSize: 6, MaxGroupPreparedCapacity: intp(8), PoolState: emulator.PoolStateHibernated}); err != nil {
		t.Fatal(err)
	}
	w = f.describe(t, "web").WarmPool
	if w.Ready != 3 || w.Entering != 3 || w.EnteringInstances != 3 {
		t.Errorf("after growing the pool: %+v, want 3 ready and 3 entering", *w)
	}

	// A smaller pool: the surplus is terminated, those still entering
	// first, and is Leaving until it is gone.
	emu.SetTerminateTime(time.Minute)
	if err := emu.PutWarmPool("web", emulator.WarmPoolSpec{MinSize: 2, MaxGroupPreparedCapacity: intp(4), PoolState: emulator.PoolStateHibernated}); err != nil {
		t.Fatal(err)
	}
	w = f.describe(t, "web").WarmPool
	if w.Ready != 2 || w.Entering != 0 || w.Leaving != 4 || w.LeavingInstances != 4 {
		t.Errorf("after shrinking the pool: %+v, want 2 ready and 4 leaving", *w)
	}
}

// TestWarmPoolPaging: a pool larger than one DescribeWarmPool page is
// read whole.
func TestWarmPoolPaging(t *testing.T) {
	f := newWarmFixture(t)
	if err := f.srv.AutoScaling.CreateGroup(emulator.GroupSpec{Name: "big", Min: 0, Max: 200, Desired: 0, StartInService: true,
		WarmPool: &emulator.WarmPoolSpec{MinSize: 120, MaxGroupPreparedCapacity: intp(120)}}); err != nil {
		t.Fatal(err)
	}
	w := f.describe(t, "big").WarmPool
	if w.Ready != 120 {
		t.Errorf("%d ready, want 120", w.Ready)
	}
	if n := f.srv.Count(headroomemu.ServiceAutoScaling, "DescribeWarmPool"); n != 3 {
		t.Errorf("%d DescribeWarmPool calls, want 3 pages of at most 50", n)
	}
}

// TestWarmPoolDescribeFails: a failed DescribeWarmPool is the pool's
// error, not the group's; the launches that begin while the pool is
// unknown are not measured as cold.
func TestWarmPoolDescribeFails(t *testing.T) {
	f := newWarmFixture(t)
	emu := f.srv.AutoScaling
	emu.SetLaunchTime(time.Minute)
	emu.SetWarmStartTime(emulator.PoolStateStopped, 30*time.Second)
	if err := emu.CreateGroup(emulator.GroupSpec{Name: "web", Min: 0, Max: 20, Desired: 1, StartInService: true,
		WarmPool: &emulator.WarmPoolSpec{MinSize: 2, MaxGroupPreparedCapacity: intp(3)}}); err != nil {
		t.Fatal(err)
	}
	f.describe(t, "web")
	remove := f.srv.AddFault(headroomemu.Fault{Service: headroomemu.ServiceAutoScaling, Operation: "DescribeWarmPool",
		Status: 400, Code: "AccessDenied", Message: "not allowed"})
	g := f.describe(t, "web")
	if g.WarmPool == nil || g.WarmPool.Error == "" || g.WarmPool.Ready != 0 || g.WarmPool.Usable() {
		t.Fatalf("pool %+v, want an error and nothing ready", g.WarmPool)
	}
	if g.InService != 1 {
		t.Errorf("in service %d, want 1: the group is still read", g.InService)
	}
	// A scale-out while the pool is unknown: a warm start the actuator
	// cannot tell from a cold launch.
	if err := f.act.SetDesired(context.Background(), "web", 2); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(10 * time.Second)
	f.describe(t, "web")
	remove()
	for range 6 {
		f.clk.Advance(10 * time.Second)
		g = f.describe(t, "web")
	}
	if g.InService != 2 {
		t.Fatalf("in service %d, want 2", g.InService)
	}
	if g.LaunchSamples != 0 || g.WarmPool.WarmLaunchSamples != 0 {
		t.Errorf("measured %d cold and %d warm launches, want none: the launch began while the pool was unknown",
			g.LaunchSamples, g.WarmPool.WarmLaunchSamples)
	}
}

// TestWarmAndColdLaunchTimes: warm starts and cold launches are measured
// apart; an instance is a warm start when the previous Describe saw it in
// the pool.
func TestWarmAndColdLaunchTimes(t *testing.T) {
	f := newWarmFixture(t)
	emu := f.srv.AutoScaling
	emu.SetLaunchTime(2 * time.Minute)
	emu.SetWarmStartTime(emulator.PoolStateStopped, 30*time.Second)
	emu.SetWarmStartTime(emulator.PoolStateRunning, 5*time.Second)
	// A pool of exactly 2: each scale-out of 3 takes 2 warm, 1 cold.
	if err := emu.CreateGroup(emulator.GroupSpec{Name: "web", Min: 0, Max: 100, Desired: 1, StartInService: true,
		WarmPool: &emulator.WarmPoolSpec{MinSize: 2, MaxGroupPreparedCapacity: intp(0)}}); err != nil {
		t.Fatal(err)
	}
	const tick = 10 * time.Second
	f.describe(t, "web")
	desired := 1
	var g Group
	for range 3 {
		desired += 3
		if err := f.act.SetDesired(context.Background(), "web", desired); err != nil {
			t.Fatal(err)
		}
		// Long enough for the cold launch and for the pool to refill.
		for range 30 {
			f.clk.Advance(tick)
			g = f.describe(t, "web")
		}
	}
	if g.InService != desired {
		t.Fatalf("in service %d, want %d", g.InService, desired)
	}
	w := g.WarmPool
	if g.LaunchSamples != 3 || w.WarmLaunchSamples != 6 {
		t.Fatalf("%d cold and %d warm launches measured, want 3 and 6", g.LaunchSamples, w.WarmLaunchSamples)
	}
	if g.LaunchP90 < 2*time.Minute || g.LaunchP90 > 2*time.Minute+2*tick {
		t.Errorf("cold p90 %s, want 2m to 2m20s", g.LaunchP90)
	}
	if w.WarmLaunchP90 < 30*time.Second || w.WarmLaunchP90 > 30*time.Second+2*tick {
		t.Errorf("warm p90 %s, want 30s to 50s", w.WarmLaunchP90)
	}

	// A Running pool: warm starts of 5 s fall between two Describes and
	// are still measured, from the Describe that last saw the instance in
	// the pool, apart from the Stopped ones.
	if err := emu.PutWarmPool("web", emulator.WarmPoolSpec{MinSize: 2, MaxGroupPreparedCapacity: intp(0), PoolState: emulator.PoolStateRunning}); err != nil {
		t.Fatal(err)
	}
	f.describe(t, "web")
	desired += 2
	if err := f.act.SetDesired(context.Background(), "web", desired); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(tick)
	g = f.describe(t, "web")
	if g.WarmPool.WarmLaunchSamples != 2 || g.WarmPool.WarmLaunchP90 != tick {
		t.Errorf("running pool: %d warm starts, p90 %s; want 2 and %s", g.WarmPool.WarmLaunchSamples, g.WarmPool.WarmLaunchP90, tick)
	}
}

func TestWarmPoolChangeTag(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  WarmPoolChange
		ok    bool
	}{
		{value: "min_size=0,set=6", want: WarmPoolChange{Original: 0, Set: 6}, ok: true},
		{value: "min_size=12,set=40", want: WarmPoolChange{Original: 12, Set: 40}, ok: true},
		{value: WarmPoolReleased},
		{value: ""},
		{value: "min_size=-1,set=6"},
		{value: "set=6,min_size=0"},
		{value: "min_size=x,set=6"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			got, ok := ParseWarmPoolChange(tc.value)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("ParseWarmPoolChange(%q) = %+v, %v; want %+v, %v", tc.value, got, ok, tc.want, tc.ok)
			}
			if ok && got.String() != tc.value {
				t.Errorf("String() = %q, want %q", got.String(), tc.value)
			}
		})
	}
	if s := (WarmPoolChange{Original: -1}).String(); s != WarmPoolReleased {
		t.Errorf("released change is %q, want %q", s, WarmPoolReleased)
	}
}
