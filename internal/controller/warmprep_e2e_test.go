package controller

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/emulator"
	emuasg "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/schedule"
)

// prepWorld is a warm world whose pool holds 1 instance (MinSize 0,
// MaxGroupPreparedCapacity 5, desired 4), with a boost to 10 an hour
// ahead: a scale-out of 6 that the pool cannot serve warm unless it is
// raised. Cold launches take 3 min; the cold lead is boost_lead (10 min),
// the warm one the Stopped prior (60 s) and one interval.
type prepWorld struct {
	*warmWorld
	boost schedule.Boost
}

func newPrepWorld(t *testing.T) *prepWorld {
	t.Helper()
	start := t0.Add(time.Hour)
	b := schedule.Boost{ID: "b-1", Name: "launch", Groups: []string{"web"}, Start: start, End: start.Add(time.Hour), MinCapacity: 10}
	w := newWarmWorldWith(t, false, &fakePlanner{plan: Plan{Boosts: []schedule.Boost{b}}})
	five := 5
	if err := w.em.AutoScaling.PutWarmPool("web", emuasg.WarmPoolSpec{MinSize: 0, MaxGroupPreparedCapacity: &five}); err != nil {
		t.Fatal(err)
	}
	// MinSize 4 holds the group at 4 while its queue is empty.
	if _, err := autoscaling.NewFromConfig(w.em.AWSConfig()).UpdateAutoScalingGroup(context.Background(), &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	return &prepWorld{warmWorld: w, boost: b}
}

func (w *prepWorld) pool(t *testing.T) (minSize int, tag string, tagged bool) {
	t.Helper()
	g, ok := w.em.AutoScaling.Group("web")
	if !ok || g.WarmPool == nil {
		t.Fatal("group or its pool is gone")
	}
	tag, tagged = g.Tags[asg.WarmPoolTag]
	return g.WarmPool.MinSize, tag, tagged
}

// runUntil runs cycles every 10 s until at.
func (w *prepWorld) runUntil(t *testing.T, at time.Time) {
	t.Helper()
	for w.clk.Now().Add(10 * time.Second).Before(at) {
		w.cycle(t)
	}
}

// TestWarmPoolRaisedForABoost: a cold launch's time before the boost's
// floor would begin with a warm lead, Headroom records the pool's MinSize
// on the group and raises it to the boost's scale-out; the boost then
// begins a warm start's lead ahead, its scale-out comes from the pool, and
// the pool is put back when the window opens.
func TestWarmPoolRaisedForABoost(t *testing.T) {
	w := newPrepWorld(t)
	start := w.boost.Start
	prepare := start.Add(-70*time.Second - 10*time.Minute - 10*time.Second)

	w.runUntil(t, prepare.Add(-10*time.Second))
	if m, tag, tagged := w.pool(t); m != 0 || tagged {
		t.Fatalf("before the preparation time: pool MinSize %d, tag %q; want 0 and none", m, tag)
	}
	w.runUntil(t, prepare.Add(20*time.Second))
	if m, tag, _ := w.pool(t); m != 6 || tag != "min_size=0,set=6" {
		t.Fatalf("after the preparation time: pool MinSize %d, tag %q; want 6 and min_size=0,set=6", m, tag)
	}
	if r := w.cycle(t); r.RaisedFrom != 0 || Doc(r).WarmPool.RaisedFrom == nil || *Doc(r).WarmPool.RaisedFrom != 0 {
		t.Errorf("decision's raised_from %d, want 0 while Headroom holds the pool raised", r.RaisedFrom)
	}
	// Five minutes ahead the floor has not begun: the pool will serve it.
	w.runUntil(t, start.Add(-5*time.Minute))
	if g, _ := w.em.AutoScaling.Group("web"); g.Desired != 4 {
		t.Errorf("5 min ahead: desired %d, want 4 (the boost leads by a warm start)", g.Desired)
	}
	w.runUntil(t, start)
	g, _ := w.em.AutoScaling.Group("web")
	warm := 0
	for _, in := range g.Instances {
		if in.Warm {
			warm++
		}
	}
	if g.Desired != 10 || warm != 6 {
		t.Errorf("at the window: desired %d, %d warm starts; want 10 and 6", g.Desired, warm)
	}
	w.runUntil(t, start.Add(30*time.Second))
	if m, tag, tagged := w.pool(t); m != 0 || tagged {
		t.Errorf("after the window opened: pool MinSize %d, tag %q; want it put back to 0 and no tag", m, tag)
	}
}

// TestWarmPoolRestartAndOthersChanges: a restarted controller reads what
// it changed from the group and neither raises the pool again nor loses
// it; a pool someone else changed after Headroom raised it is left alone.
func TestWarmPoolRestartAndOthersChanges(t *testing.T) {
	t.Run("restart", func(t *testing.T) {
		w := newPrepWorld(t)
		w.runUntil(t, w.boost.Start.Add(-11*time.Minute))
		if m, _, tagged := w.pool(t); m != 6 || !tagged {
			t.Fatalf("pool MinSize %d, tagged %v; want 6 and tagged", m, tagged)
		}
		puts := w.em.Count(emulator.ServiceAutoScaling, "PutWarmPool")
		w.ctrl = w.controller(t, false, &fakePlanner{plan: Plan{Boosts: []schedule.Boost{w.boost}}})
		w.runUntil(t, w.boost.Start.Add(-2*time.Minute))
		if n := w.em.Count(emulator.ServiceAutoScaling, "PutWarmPool"); n != puts {
			t.Errorf("%d PutWarmPool calls after the restart, want none", n-puts)
		}
		w.runUntil(t, w.boost.Start.Add(30*time.Second))
		if m, tag, tagged := w.pool(t); m != 0 || tagged {
			t.Errorf("after the window opened: pool MinSize %d, tag %q; want 0 and no tag", m, tag)
		}
	})
	t.Run("changed by someone else", func(t *testing.T) {
		w := newPrepWorld(t)
		w.runUntil(t, w.boost.Start.Add(-11*time.Minute))
		five := 5
		if err := w.em.AutoScaling.PutWarmPool("web", emuasg.WarmPoolSpec{MinSize: 3, MaxGroupPreparedCapacity: &five}); err != nil {
			t.Fatal(err)
		}
		puts := w.em.Count(emulator.ServiceAutoScaling, "PutWarmPool")
		w.cycle(t)
		if m, tag, _ := w.pool(t); m != 3 || tag != asg.WarmPoolReleased {
			t.Errorf("after someone else's change: pool MinSize %d, tag %q; want 3 and %q", m, tag, asg.WarmPoolReleased)
		}
		w.runUntil(t, w.boost.Start.Add(time.Minute))
		if m, tag, tagged := w.pool(t); m != 3 || tagged {
			t.Errorf("pool MinSize %d, tag %q; want 3 as the operator left it, and no tag", m, tag)
		}
		if n := w.em.Count(emulator.ServiceAutoScaling, "PutWarmPool"); n != puts {
			t.Errorf("%d PutWarmPool calls after someone else changed the pool, want none", n-puts)
		}
	})
	t.Run("a deleted pool's record is removed", func(t *testing.T) {
		w := newPrepWorld(t)
		w.runUntil(t, w.boost.Start.Add(-11*time.Minute))
		if _, _, tagged := w.pool(t); !tagged {
			t.Fatal("pool not raised")
		}
		if _, err := autoscaling.NewFromConfig(w.em.AWSConfig()).DeleteWarmPool(context.Background(), &autoscaling.DeleteWarmPoolInput{
			AutoScalingGroupName: aws.String("web"), ForceDelete: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		w.runUntil(t, w.boost.Start.Add(-5*time.Minute))
		if g, _ := w.em.AutoScaling.Group("web"); g.WarmPool != nil {
			t.Fatalf("pool %+v still there", g.WarmPool)
		} else if tag, tagged := g.Tags[asg.WarmPoolTag]; tagged {
			t.Errorf("tag %q still on the group after its pool was deleted", tag)
		}
	})
	t.Run("a raise that failed after its record is retried", func(t *testing.T) {
		w := newPrepWorld(t)
		prepare := w.boost.Start.Add(-70*time.Second - 10*time.Minute - 10*time.Second)
		w.runUntil(t, prepare.Add(-10*time.Second))
		// Throttled past the SDK's retries: the record is written, the
		// pool is not raised.
		w.em.AddFault(emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "PutWarmPool", Code: "Throttling", Status: 400, Times: 3})
		w.runUntil(t, prepare.Add(20*time.Second))
		if m, tag, _ := w.pool(t); m != 0 || tag != "min_size=0,set=6" {
			t.Fatalf("after the failed raise: pool MinSize %d, tag %q; want 0 and min_size=0,set=6", m, tag)
		}
		w.runUntil(t, w.boost.Start.Add(-5*time.Minute))
		if m, tag, _ := w.pool(t); m != 6 || tag != "min_size=0,set=6" {
			t.Errorf("once PutWarmPool answers: pool MinSize %d, tag %q; want 6 and min_size=0,set=6 (a failed raise is not someone else's change)", m, tag)
		}
		w.runUntil(t, w.boost.Start.Add(30*time.Second))
		if m, tag, tagged := w.pool(t); m != 0 || tagged {
			t.Errorf("after the window opened: pool MinSize %d, tag %q; want 0 and no tag", m, tag)
		}
	})
	t.Run("raise_warm_pool false: the pool is not touched, the boost leads cold", func(t *testing.T) {
		w := newPrepWorld(t)
		w.noRaise = true
		w.ctrl = w.controller(t, false, &fakePlanner{plan: Plan{Boosts: []schedule.Boost{w.boost}}})
		w.runUntil(t, w.boost.Start.Add(-9*time.Minute))
		if n := w.em.Count(emulator.ServiceAutoScaling, "PutWarmPool") + w.em.Count(emulator.ServiceAutoScaling, "CreateOrUpdateTags"); n != 0 {
			t.Errorf("%d warm pool writes with raise_warm_pool false, want none", n)
		}
		if g, _ := w.em.AutoScaling.Group("web"); g.Desired != 10 {
			t.Errorf("9 min ahead: desired %d, want 10 (a scale-out the pool cannot give warm leads by the cold lead)", g.Desired)
		}
	})
	t.Run("a pool big enough is not touched", func(t *testing.T) {
		w := newPrepWorld(t)
		ten := 10
		if err := w.em.AutoScaling.PutWarmPool("web", emuasg.WarmPoolSpec{MinSize: 0, MaxGroupPreparedCapacity: &ten}); err != nil {
			t.Fatal(err)
		}
		w.runUntil(t, w.boost.Start.Add(time.Minute))
		if n := w.em.Count(emulator.ServiceAutoScaling, "PutWarmPool"); n != 0 {
			t.Errorf("%d PutWarmPool calls for a pool of 6 that covers the boost, want none", n)
		}
		if n := w.em.Count(emulator.ServiceAutoScaling, "CreateOrUpdateTags"); n != 0 {
			t.Errorf("%d CreateOrUpdateTags calls, want none", n)
		}
	})
}
