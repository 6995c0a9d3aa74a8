package controller

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/store"
)

// fakeMirror keeps each group's actions and MinSize in memory.
type fakeMirror struct {
	mu      sync.Mutex
	actions map[string][]schedule.Action
	minSize map[string]int
	calls   int
	err     error
}

func (f *fakeMirror) ScheduledActions(_ context.Context, name string) ([]schedule.Action, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return append([]schedule.Action(nil), f.actions[name]...), nil
}

func (f *fakeMirror) Reconcile(_ context.Context, name string, _, want []schedule.Action) (int, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions[name] = append([]schedule.Action(nil), want...)
	return len(want), 0, nil
}

func (f *fakeMirror) SetMinSize(_ context.Context, name string, n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.minSize[name] = n
	return nil
}

func TestMirrorOnTheLeader(t *testing.T) {
	boost := schedule.Boost{ID: "b1", Name: "year end", Groups: []string{"workers"}, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), MinCapacity: 30, Lead: 10 * time.Minute}
	tests := []struct {
		name      string
		leader    bool
		dryRun    bool
		planErr   error
		mirrorErr error
		wantCalls int
		wantActs  int
	}{
		// The first cycle sweeps both groups, the second only the boosted
		// one: api carries no actions.
		{name: "leader mirrors", leader: true, wantCalls: 3, wantActs: 2},
		{name: "follower does not", leader: false, wantCalls: 0},
		{name: "dry run does not", leader: true, dryRun: true, wantCalls: 0},
		{name: "unknown plan does not", leader: true, planErr: errors.New("store down"), wantCalls: 0},
		// A group whose actions could not be read is tried again.
		{name: "a failing mirror does not stop the cycle", leader: true, mirrorErr: errors.New("throttled"), wantCalls: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{DryRun: tc.dryRun})
			m := &fakeMirror{actions: map[string][]schedule.Action{}, minSize: map[string]int{}, err: tc.mirrorErr}
			h.ctrl.deps.Mirror = m
			h.ctrl.deps.Planner = &fakePlanner{plan: Plan{Boosts: []schedule.Boost{boost}}, err: tc.planErr}
			h.leader = tc.leader
			h.runAt(t, t0)
			got := h.runAt(t, t0.Add(10*time.Second))
			if got["workers"].Desired != 15 {
				t.Errorf("workers decided %d, want 15", got["workers"].Desired)
			}
			if m.calls != tc.wantCalls {
				t.Errorf("ScheduledActions calls = %d, want %d", m.calls, tc.wantCalls)
			}
			if acts := m.actions["workers-asg"]; len(acts) != tc.wantActs {
				t.Errorf("workers actions = %+v, want %d", acts, tc.wantActs)
			} else if tc.wantActs == 2 && (acts[0].MinSize != 30 || !acts[0].At.Equal(t0.Add(50*time.Minute)) || acts[1].MinSize != 1 || !acts[1].At.Equal(t0.Add(2*time.Hour))) {
				t.Errorf("workers actions = %+v, want min 30 at 09:50 and min 1 at 11:00", acts)
			}
			if len(m.actions["api-asg"]) != 0 {
				t.Errorf("api got actions: %+v", m.actions["api-asg"])
			}
		})
	}
}

func TestCancelledBoostLeavesTheMirror(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	b, err := st.PutBoost(ctx, store.Boost{ID: "b1", Name: "year end", Groups: []string{"workers"},
		Start: t0.Add(-time.Minute), End: t0.Add(2 * time.Hour), MinCapacity: 30})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{})
	m := &fakeMirror{actions: map[string][]schedule.Action{}, minSize: map[string]int{}}
	h.ctrl.deps.Mirror = m
	h.ctrl.deps.Planner = &StorePlanner{Store: st}
	h.leader = true
	if got := h.runAt(t, t0); got["workers"].Desired < 30 {
		t.Fatalf("workers decided %d under an active boost with floor 30", got["workers"].Desired)
	}
	if len(m.actions["workers-asg"]) == 0 {
		t.Fatal("the active boost was not mirrored")
	}

	b.CancelledAt, b.CancelledBy = t0.Add(5*time.Second), "alice"
	if _, err := st.PutBoost(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := h.runAt(t, t0.Add(10*time.Second)); got["workers"].Desired >= 30 {
		t.Errorf("workers decided %d after the boost was cancelled; the floor should be gone", got["workers"].Desired)
	}
	if acts := m.actions["workers-asg"]; len(acts) != 0 {
		t.Errorf("the cancelled boost's scheduled actions are kept: %+v", acts)
	}
}
