package asg

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	headroomemu "github.com/headroom-dev/headroom/internal/emulator"
	emulator "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/schedule"
)

// TestMirrorWritesSpendTheBudget gives the actuator a budget of 2 writes
// (no refill on a stopped clock) and asks for three: two scheduled
// actions and a MinSize. The third fails with ErrWriteBudget without a
// call reaching the emulator; after the clock moves a second, it goes.
func TestMirrorWritesSpendTheBudget(t *testing.T) {
	clk := clock.NewFake(t0)
	em := headroomemu.StartTest(t, clk)
	act := New(newClient(em.URL()), clk)
	act.SetWriteBudget(NewWriteBudget(1, 2))
	ctx := context.Background()
	if err := em.AutoScaling.CreateGroup(emulator.GroupSpec{Name: "web", Min: 1, Max: 10, Desired: 1, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	want := []schedule.Action{
		{Name: schedule.ActionName("b1", "start"), At: t0.Add(time.Hour), MinSize: 5},
		{Name: schedule.ActionName("b1", "end"), At: t0.Add(2 * time.Hour), MinSize: 1},
	}
	put, _, err := act.Reconcile(ctx, "web", nil, want)
	if err != nil || put != 2 {
		t.Fatalf("Reconcile: put %d err %v, want 2 and no error", put, err)
	}
	err = act.SetMinSize(ctx, "web", 5)
	if !errors.Is(err, ErrWriteBudget) {
		t.Fatalf("SetMinSize with the budget spent: %v, want ErrWriteBudget", err)
	}
	if n := em.Count(headroomemu.ServiceAutoScaling, "UpdateAutoScalingGroup"); n != 0 {
		t.Errorf("%d UpdateAutoScalingGroup calls sent without a token", n)
	}
	clk.Advance(time.Second)
	if err := act.SetMinSize(ctx, "web", 5); err != nil {
		t.Fatalf("SetMinSize after a refill: %v", err)
	}
}

func TestBudgetsKeyedByAccountAndRegion(t *testing.T) {
	b := NewBudgets(1, 1)
	eu, us := b.For(BudgetKey{Account: "1", Region: "eu-west-1"}), b.For(BudgetKey{Account: "1", Region: "us-east-1"})
	if !eu.Take(t0) || eu.Take(t0) {
		t.Fatal("eu-west-1: want one token, then none")
	}
	if !us.Take(t0) {
		t.Error("us-east-1 shares eu-west-1's bucket")
	}
	if b.For(BudgetKey{Account: "1", Region: "eu-west-1"}) != eu {
		t.Error("the same key gave another bucket")
	}
	var none *WriteBudget
	if !none.Take(t0) {
		t.Error("a nil budget refused a write")
	}
}
