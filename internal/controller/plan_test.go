package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
)

type fakePlanner struct {
	plan Plan
	err  error
}

func (f *fakePlanner) Plan(context.Context, time.Time) (Plan, error) { return f.plan, f.err }

func (h *harness) runAt(t *testing.T, now time.Time) map[string]Record {
	t.Helper()
	recs, err := h.ctrl.RunOnce(context.Background(), now)
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	out := map[string]Record{}
	for _, r := range recs {
		out[r.Group] = r
	}
	return out
}

func TestPlanOverrides(t *testing.T) {
	tests := []struct {
		name        string
		planner     *fakePlanner
		wantDesired int
		wantSkipped string
		wantWrite   bool
	}{
		{name: "no plan", planner: &fakePlanner{}, wantDesired: 15, wantWrite: true},
		{name: "pinned", planner: &fakePlanner{plan: Plan{Overrides: map[string][]policy.Override{
			"workers": {{ID: "o1", Kind: policy.OverridePin, Capacity: 7}}}}}, wantDesired: 7, wantWrite: true},
		{name: "paused", planner: &fakePlanner{plan: Plan{Overrides: map[string][]policy.Override{
			"workers": {{ID: "o1", Kind: policy.OverridePause}}}}}, wantDesired: 15, wantSkipped: SkipPaused},
		{name: "the plan cannot be read", planner: &fakePlanner{err: errors.New("store unreachable")}, wantDesired: 15, wantSkipped: SkipPlanUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.ctrl.deps.Planner = tc.planner
			w := h.run(t)["workers"]
			_, wrote := h.scaler.set["workers-asg"]
			if w.Desired != tc.wantDesired || w.Skipped != tc.wantSkipped || wrote != tc.wantWrite {
				t.Errorf("desired %d skipped %q wrote %v; want %d %q %v", w.Desired, w.Skipped, wrote, tc.wantDesired, tc.wantSkipped, tc.wantWrite)
			}
		})
	}
}

func TestBoostFloor(t *testing.T) {
	start := t0.Add(time.Hour)
	boost := schedule.Boost{ID: "b1", Name: "year-end", Groups: []string{"workers"}, Start: start, End: start.Add(time.Hour), Multiplier: 3}
	tests := []struct {
		name     string
		measured time.Duration // launch p90; 0: nothing measured
		lead     time.Duration // the boost's own lead
		at       time.Time
		want     int
	}{
		// Nothing measured: boost_lead (10m) applies.
		{name: "before the default lead", at: start.Add(-10*time.Minute - time.Second), want: 15},
		// 3 x the baseline of 10 = 30.
		{name: "default lead reached", at: start.Add(-10 * time.Minute), want: 30},
		// Measured 90 s + warmup 60 s + interval 10 s = 160 s.
		{name: "measured lead, not yet", measured: 90 * time.Second, at: start.Add(-161 * time.Second), want: 15},
		{name: "measured lead reached", measured: 90 * time.Second, at: start.Add(-160 * time.Second), want: 30},
		{name: "own lead wins", measured: 90 * time.Second, lead: time.Hour, at: start.Add(-59 * time.Minute), want: 30},
		{name: "after the window", at: start.Add(time.Hour), want: 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			g := h.groups.groups["workers-asg"]
			if tc.measured > 0 {
				g.LaunchP90, g.LaunchSamples = tc.measured, minLaunchSamples
			}
			h.groups.groups["workers-asg"] = g
			b := boost
			b.Lead = tc.lead
			h.ctrl.deps.Planner = &fakePlanner{plan: Plan{Boosts: []schedule.Boost{b}}}
			// A first cycle long before the boost records the baseline.
			h.runAt(t, t0)
			g.Desired = 10
			h.groups.groups["workers-asg"] = g
			q := h.queues.readings["jobs"]
			q.At, q.ReadAt = tc.at, tc.at
			h.queues.readings["jobs"] = q
			if got := h.runAt(t, tc.at)["workers"].Desired; got != tc.want {
				t.Errorf("desired %d, want %d", got, tc.want)
			}
		})
	}
}

// TestBoostStaysBegun checks that a boost that has begun keeps its floor
// when a later measurement shortens the lead: the floor must not drop and
// come back.
func TestBoostStaysBegun(t *testing.T) {
	start := t0.Add(time.Hour)
	h := newHarness(t, Options{})
	h.ctrl.deps.Planner = &fakePlanner{plan: Plan{Boosts: []schedule.Boost{
		{ID: "b1", Groups: []string{"workers"}, Start: start, End: start.Add(time.Hour), MinCapacity: 40},
	}}}
	g := h.groups.groups["workers-asg"]
	steps := []struct {
		name    string
		at      time.Time
		samples int
		p90     time.Duration
		want    int
	}{
		{name: "before boost_lead (10m)", at: start.Add(-11 * time.Minute), want: 15},
		{name: "boost_lead reached", at: start.Add(-10 * time.Minute), want: 40},
		// Four launches are too few to replace boost_lead.
		{name: "too few launches measured", at: start.Add(-9 * time.Minute), samples: 4, p90: 10 * time.Second, want: 40},
		// Five launches of 10 s: lead 10 + 60 + 10 = 80 s, which would begin
		// the boost at start-80s; it has begun already and stays begun.
		{name: "a shorter measured lead keeps the floor", at: start.Add(-8 * time.Minute), samples: 5, p90: 10 * time.Second, want: 40},
		{name: "in the window", at: start.Add(time.Minute), samples: 5, p90: 10 * time.Second, want: 40},
		{name: "after the window", at: start.Add(time.Hour), samples: 5, p90: 10 * time.Second, want: 15},
	}
	for _, st := range steps {
		g.LaunchSamples, g.LaunchP90 = st.samples, st.p90
		h.groups.groups["workers-asg"] = g
		q := h.queues.readings["jobs"]
		q.At, q.ReadAt = st.at, st.at
		h.queues.readings["jobs"] = q
		if got := h.runAt(t, st.at)["workers"].Desired; got != st.want {
			t.Fatalf("%s: desired %d, want %d", st.name, got, st.want)
		}
	}
}

func TestBoostByTag(t *testing.T) {
	h := newHarness(t, Options{})
	g := h.groups.groups["workers-asg"]
	g.Tags = map[string]string{"team": "rewards"}
	h.groups.groups["workers-asg"] = g
	h.ctrl.deps.Planner = &fakePlanner{plan: Plan{Boosts: []schedule.Boost{{
		ID: "b1", Name: "payouts", Groups: []string{"team=rewards"}, Start: t0.Add(-time.Minute), End: t0.Add(time.Hour), MinCapacity: 30,
	}}}}
	got := h.run(t)
	if got["workers"].Desired != 30 {
		t.Errorf("workers (tagged team=rewards) decided %d, want the floor 30", got["workers"].Desired)
	}
	if got["api"].Desired != 4 {
		t.Errorf("api (untagged) decided %d, want 4", got["api"].Desired)
	}
}

func TestNotReadyWithoutThePlan(t *testing.T) {
	h := newHarness(t, Options{})
	h.ctrl.deps.Planner = &fakePlanner{err: errors.New("store unreachable")}
	h.run(t)
	if err := h.ctrl.Ready(t0); err == nil || !strings.Contains(err.Error(), "store unreachable") {
		t.Errorf("Ready = %v, want the plan's error", err)
	}
	h.ctrl.deps.Planner = &fakePlanner{}
	h.run(t)
	if err := h.ctrl.Ready(t0); err != nil {
		t.Errorf("Ready after the store came back = %v", err)
	}
}
