package controller

import (
	"context"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
)

// TestDemandHistoryBatchesGroupsAndFlagsCampaigns: every group's ended
// bucket goes in one call, and a bucket with a boost's floor in force is
// a campaign's.
func TestDemandHistoryBatchesGroupsAndFlagsCampaigns(t *testing.T) {
	h := newHarness(t, Options{})
	st := openBolt(t)
	hs := &countingHistory{HistoryStore: st}
	h.ctrl.deps.History = hs
	h.ctrl.deps.Planner = &fakePlanner{plan: Plan{Boosts: []schedule.Boost{
		{ID: "sale", Groups: []string{"workers"}, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour), MinCapacity: 20}}}}
	for at := t0; !at.After(t0.Add(5 * time.Minute)); at = at.Add(10 * time.Second) {
		// Fresh readings every cycle: a policy with stale input proposes
		// nothing, and a cycle with no proposal records no need.
		q := h.queues.readings["jobs"]
		q.At, q.ReadAt = at, at
		h.queues.readings["jobs"] = q
		m := h.metrics.series["api/cpu"]
		m.Points[0].At, m.ReadAt = at.Add(-2*time.Minute), at
		h.metrics.series["api/cpu"] = m
		h.runAt(t, at)
	}
	if len(hs.calls) != 1 || len(hs.calls[0]) != 2 {
		t.Fatalf("calls %+v, want one with both groups' 09:00 bucket", hs.calls)
	}
	for _, tc := range []struct {
		group    string
		campaign bool
		need     float64
	}{{"workers", true, 15}, {"api", false, 4}} {
		got, err := st.ListHistory(context.Background(), tc.group, t0.Add(-time.Hour), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		// 30 cycles from 09:00:00 to 09:04:50; the need is the proposal,
		// not the boost's floor of 20 the workers ran at.
		if len(got) != 1 || got[0].Samples != 30 || got[0].Campaign != tc.campaign || got[0].NeedUnits != tc.need {
			t.Errorf("%s history %+v, want one bucket of 30 samples, need %g, campaign %v", tc.group, got, tc.need, tc.campaign)
		}
	}
}

func TestNeedOfIsTheCombinedProposal(t *testing.T) {
	h := newHarness(t, Options{})
	recs := h.run(t)
	for group, want := range map[string]float64{"workers": 15, "api": 4} {
		if got, ok := needOf(recs[group].Decision); !ok || got != want {
			t.Errorf("%s: need %g (%v), want %g", group, got, ok, want)
		}
	}
	var none Record
	if _, ok := needOf(none.Decision); ok {
		t.Error("a decision without proposals has a need")
	}
}

// TestNeedOfLeavesOutWhatHoldsCurrent: only backlog and target tracking
// proposals measure the work; a step proposal moves or holds the current
// capacity, which under a floor is the floor, and a need from some of
// the measuring policies only could be too low.
func TestNeedOfLeavesOutWhatHoldsCurrent(t *testing.T) {
	tt := func(c int, ok bool) policy.Proposal {
		return policy.Proposal{Policy: "cpu", Kind: policy.KindTargetTracking, Capacity: c, OK: ok}
	}
	bl := func(c int, ok bool) policy.Proposal {
		return policy.Proposal{Policy: "queue", Kind: policy.KindBacklog, Capacity: c, OK: ok}
	}
	step := func(c int) policy.Proposal {
		return policy.Proposal{Policy: "alarm", Kind: policy.KindStep, Capacity: c, OK: true}
	}
	for _, tc := range []struct {
		name  string
		props []policy.Proposal
		need  float64
		ok    bool
	}{
		{"backlog and target tracking: the higher", []policy.Proposal{bl(12, true), tt(7, true)}, 12, true},
		{"a step held at a floor of 40 is left out", []policy.Proposal{tt(7, true), step(40)}, 7, true},
		{"step alone measures nothing", []policy.Proposal{step(40)}, 0, false},
		{"a measuring policy without input: nothing", []policy.Proposal{bl(12, true), tt(0, false)}, 0, false},
		{"no proposals", nil, 0, false},
	} {
		got, ok := needOf(policy.Decision{Proposals: tc.props})
		if got != tc.need || ok != tc.ok {
			t.Errorf("%s: need %g (%v), want %g (%v)", tc.name, got, ok, tc.need, tc.ok)
		}
	}
}
