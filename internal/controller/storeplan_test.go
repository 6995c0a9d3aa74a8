package controller

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
)

func openBolt(t *testing.T) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "headroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestStorePlanner(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	mustBoost := func(b store.Boost) {
		t.Helper()
		if _, err := st.PutBoost(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	mustOverride := func(o store.Override) {
		t.Helper()
		if _, err := st.PutOverride(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	mustBoost(store.Boost{ID: "b-ended", Name: "last week", Groups: []string{"workers"}, Start: t0.Add(-48 * time.Hour), End: t0.Add(-24 * time.Hour), MinCapacity: 5})
	mustBoost(store.Boost{ID: "b-next", Name: "year end", Groups: []string{"workers", "team=rewards"}, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), MinCapacity: 40, Ramp: 10 * time.Minute})
	two := 2
	mustOverride(store.Override{ID: "o-pin", Group: "workers", Kind: "pin", Capacity: 7, Reason: "incident", ExpiresAt: t0.Add(time.Hour), CreatedAt: t0})
	mustOverride(store.Override{ID: "o-bounds", Group: "api", Kind: "bounds", Min: &two, Reason: "load test", ExpiresAt: t0.Add(time.Minute), CreatedAt: t0.Add(time.Second)})
	mustOverride(store.Override{ID: "o-old", Group: "workers", Kind: "pause", Reason: "deploy", ExpiresAt: t0, CreatedAt: t0.Add(-time.Hour)})
	// Cancelled ones apply nothing; a cancelled one that has expired is
	// removed without an expiry entry, its cancel being audited already.
	mustBoost(store.Boost{ID: "b-cancelled", Name: "called off", Groups: []string{"workers"}, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour),
		MinCapacity: 30, CancelledAt: t0.Add(-time.Minute), CancelledBy: "alice"})
	mustOverride(store.Override{ID: "o-cancelled", Group: "workers", Kind: "pause", Reason: "called off", ExpiresAt: t0.Add(time.Hour),
		CreatedAt: t0.Add(-2 * time.Hour), CancelledAt: t0.Add(-time.Minute), CancelledBy: "alice"})
	mustOverride(store.Override{ID: "o-cancelled-old", Group: "api", Kind: "pause", Reason: "old", ExpiresAt: t0,
		CreatedAt: t0.Add(-3 * time.Hour), CancelledAt: t0.Add(-2 * time.Hour), CancelledBy: "alice"})

	leader := false
	p := &StorePlanner{Store: st, Leader: func() bool { return leader }}

	// A follower ignores the expired override and leaves it for the leader.
	plan, err := p.Plan(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Boosts) != 1 || plan.Boosts[0].ID != "b-next" || plan.Boosts[0].MinCapacity != 40 || plan.Boosts[0].Ramp != 10*time.Minute {
		t.Errorf("boosts = %+v, want only b-next", plan.Boosts)
	}
	want := map[string][]policy.Override{
		"workers": {{ID: "o-pin", Kind: policy.OverridePin, Capacity: 7, Reason: "incident"}},
		"api":     {{ID: "o-bounds", Kind: policy.OverrideBounds, Min: &two, Reason: "load test"}},
	}
	if len(plan.Overrides) != 2 || len(plan.Overrides["workers"]) != 1 || plan.Overrides["workers"][0].ID != "o-pin" ||
		plan.Overrides["workers"][0].Capacity != 7 || *plan.Overrides["api"][0].Min != 2 {
		t.Errorf("overrides = %+v, want %+v", plan.Overrides, want)
	}
	if _, err := st.GetOverride(ctx, "o-old"); err != nil {
		t.Errorf("a follower removed the expired override: %v", err)
	}

	// The leader removes it and audits the removal as Headroom's.
	leader = true
	if _, err := p.Plan(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetOverride(ctx, "o-old"); err == nil {
		t.Error("the leader kept the expired override")
	}
	if _, err := st.GetOverride(ctx, "o-cancelled-old"); err == nil {
		t.Error("the leader kept the expired cancelled override")
	}
	if _, err := st.GetOverride(ctx, "o-cancelled"); err != nil {
		t.Errorf("the leader removed a cancelled override before its expiry: %v", err)
	}
	audit, err := st.ListAudit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != "override.expire" || audit[0].Actor != ActorHeadroom || audit[0].Object != "o-old" {
		t.Fatalf("audit = %+v, want one override.expire by headroom", audit)
	}
	var before store.Override
	if err := json.Unmarshal(audit[0].Before, &before); err != nil || before.Kind != "pause" || before.Reason != "deploy" {
		t.Errorf("audit before = %s (%v), want the expired pause", audit[0].Before, err)
	}

	// A minute later the bounds override has expired too.
	plan, err = p.Plan(ctx, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plan.Overrides["api"]; ok {
		t.Errorf("expired bounds still in force: %+v", plan.Overrides)
	}
}

func TestStorePlannerStoreDown(t *testing.T) {
	st := openBolt(t)
	_ = st.Close()
	p := &StorePlanner{Store: st}
	if _, err := p.Plan(context.Background(), t0); err == nil {
		t.Fatal("Plan on a closed store succeeded")
	}
}

func TestDecisionsArePersisted(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	h := newHarness(t, Options{Retention: store.Retention{Count: 100}})
	h.ctrl.deps.Decisions = st
	h.runAt(t, t0)
	// The next cycle decides the same for api (hold at 4): not recorded
	// again until a minute has passed; workers changed (acted again).
	h.runAt(t, t0.Add(10*time.Second))
	h.runAt(t, t0.Add(70*time.Second))
	ds, err := st.ListDecisions(ctx, "api", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("api decisions recorded = %d, want 2 (first, and a minute later)", len(ds))
	}
	var doc DecisionDoc
	if err := json.Unmarshal(ds[0].Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Group != "api" || doc.ASG != "api-asg" || !doc.At.Equal(t0.Add(70*time.Second)) || doc.Desired != 4 || len(doc.Proposals) != 1 || doc.Proposals[0].Policy != "cpu" {
		t.Errorf("newest api decision = %+v", doc)
	}

	// A follower records nothing.
	h.leader = false
	h.runAt(t, t0.Add(200*time.Second))
	ds2, _ := st.ListDecisions(ctx, "api", time.Time{}, 0)
	if len(ds2) != len(ds) {
		t.Errorf("a follower recorded decisions: %d, want %d", len(ds2), len(ds))
	}
}

func TestViewsAndPreview(t *testing.T) {
	h := newHarness(t, Options{})
	if v, ok := h.ctrl.View("workers"); !ok || v.Known || v.Last != nil || v.Lead != 10*time.Minute {
		t.Errorf("view before a cycle = %+v, %v", v, ok)
	}
	if _, err := h.ctrl.Preview(context.Background(), "workers", Preview{}); err == nil {
		t.Error("preview before the group was described succeeded")
	}
	h.run(t)
	views := h.ctrl.Views()
	if len(views) != 2 || views[0].Name != "workers" || !views[0].Known || views[0].ASGMax != 50 || views[0].Last == nil || views[0].Last.Desired != 15 {
		t.Fatalf("views = %+v", views)
	}
	if _, ok := h.ctrl.View("nope"); ok {
		t.Error("View of an unknown group")
	}
	// The names a preview may replace: workers reads the queue jobs,
	// api the metric of its policy cpu.
	if !slices.Equal(views[0].Metrics, nil) || !slices.Equal(views[0].Queues, []string{"jobs"}) ||
		!slices.Equal(views[1].Metrics, []string{"cpu"}) || !slices.Equal(views[1].Queues, nil) {
		t.Errorf("preview names: workers %v %v, api %v %v", views[0].Metrics, views[0].Queues, views[1].Metrics, views[1].Queues)
	}
	writes := len(h.scaler.set)

	cur := 20
	tests := []struct {
		name string
		p    Preview
		want int
	}{
		{name: "as last seen", p: Preview{}, want: 15},
		{name: "a bigger queue", p: Preview{Queues: map[string]policy.QueueObservation{"jobs": {Visible: 3000}}}, want: 30},
		{name: "a boost", p: Preview{Boosts: []schedule.Boost{{ID: "p", Groups: []string{"workers"}, Start: t0.Add(-time.Minute), End: t0.Add(time.Hour), MinCapacity: 40}}}, want: 40},
		{name: "a boost for another group", p: Preview{Boosts: []schedule.Boost{{ID: "p", Groups: []string{"api"}, Start: t0.Add(-time.Minute), End: t0.Add(time.Hour), MinCapacity: 40}}}, want: 15},
		// No scale-in in the first window after a start, as in a cycle.
		{name: "current capacity", p: Preview{Current: &cur}, want: 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := h.ctrl.Preview(context.Background(), "workers", tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Desired != tc.want {
				t.Errorf("preview desired = %d, want %d (%s)", r.Desired, tc.want, r.Reason)
			}
		})
	}
	if r, err := h.ctrl.Preview(context.Background(), "api", Preview{Metrics: map[string]float64{"cpu": 100}}); err != nil || r.Desired != 8 {
		t.Errorf("api preview at 100%% CPU = %d, %v; want 8", r.Desired, err)
	}
	if len(h.scaler.set) != writes {
		t.Error("preview wrote to the group")
	}
	// Preview changed nothing: the next cycle decides as before.
	if got := h.run(t)["workers"].Desired; got != 15 {
		t.Errorf("cycle after previews decided %d, want 15", got)
	}
}
