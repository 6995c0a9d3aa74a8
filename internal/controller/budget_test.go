package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/source"
)

func TestOrderWrites(t *testing.T) {
	tests := []struct {
		name string
		in   []pendingWrite
		want []int // indexes in order
	}{
		{
			name: "scale-outs before scale-ins",
			in:   []pendingWrite{{index: 0, current: 10, desired: 5}, {index: 1, current: 4, desired: 5}},
			want: []int{1, 0},
		},
		{
			name: "scale-outs by relative deficit, not absolute",
			in: []pendingWrite{
				{index: 0, current: 100, desired: 120}, // +20%
				{index: 1, current: 2, desired: 4},     // +100%
				{index: 2, current: 10, desired: 15},   // +50%
			},
			want: []int{1, 2, 0},
		},
		{
			name: "a group at zero counts its deficit against one",
			in:   []pendingWrite{{index: 0, current: 3, desired: 8}, {index: 1, current: 0, desired: 2}},
			want: []int{1, 0}, // 2/1 = 2 before 5/3 = 1.67
		},
		{
			name: "below a boost floor before larger deficits",
			in: []pendingWrite{
				{index: 0, current: 1, desired: 10},
				{index: 1, current: 50, desired: 60, floor: 60},
			},
			want: []int{1, 0},
		},
		{
			name: "a floor already met is an ordinary scale-out",
			in: []pendingWrite{
				{index: 0, current: 1, desired: 10},
				{index: 1, current: 60, desired: 70, floor: 60},
			},
			want: []int{0, 1},
		},
		{
			name: "deferred two cycles goes next after a campaign, even a scale-in",
			in: []pendingWrite{
				{index: 0, current: 50, desired: 60, floor: 60},
				{index: 1, current: 10, desired: 5, deferred: 2},
				{index: 2, current: 1, desired: 10, deferred: 1},
			},
			want: []int{0, 1, 2},
		},
		{
			name: "campaigns and the starved take turns",
			in: []pendingWrite{
				{index: 0, current: 10, desired: 5, deferred: 4},
				{index: 1, current: 50, desired: 60, floor: 60},
				{index: 2, current: 10, desired: 5, deferred: 2},
				{index: 3, current: 10, desired: 20, floor: 20},
				{index: 4, current: 10, desired: 5, deferred: 3},
				{index: 5, current: 1, desired: 10},
			},
			want: []int{3, 0, 1, 4, 2, 5}, // 3 (+100%) before 1 (+20%)
		},
		{
			name: "a starved campaign goes before a larger campaign deficit",
			in: []pendingWrite{
				{index: 0, current: 10, desired: 20, floor: 20},
				{index: 1, current: 50, desired: 60, floor: 60, deferred: 2},
			},
			want: []int{1, 0},
		},
		{
			name: "among the starved, the longest wait first",
			in: []pendingWrite{
				{index: 0, current: 1, desired: 10, deferred: 2},
				{index: 1, current: 10, desired: 5, deferred: 5},
				{index: 2, current: 10, desired: 5, deferred: 3},
			},
			want: []int{1, 2, 0},
		},
		{
			name: "ties keep config order",
			in: []pendingWrite{
				{index: 2, current: 10, desired: 5},
				{index: 0, current: 10, desired: 5},
				{index: 1, current: 10, desired: 5},
			},
			want: []int{0, 1, 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := slices.Clone(tc.in)
			orderWrites(ws)
			got := make([]int, len(ws))
			for i, w := range ws {
				got[i] = w.index
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("order %v, want %v", got, tc.want)
			}
		})
	}
}

// TestWriteBudgetIsStarvationFree runs 300 groups that all want a write
// every cycle (the fake never moves a group's desired capacity) under a
// budget of 20 writes a cycle (2/s, burst 20, 10 s cycles). Some groups
// are always more urgent: 30 below a campaign's floor, 120 scale-outs
// with large deficits; 150 want to scale in. The campaign groups may
// take every other token while other writes are starved, so each class
// has half the budget at least: a round-robin of the 30 campaign groups
// takes ceil(30/10) = 3 cycles, of the other 270 ceil(270/10) = 27. The
// budget's order must keep every group within 2 cycles of its class's
// turn, and never spend more than the budget.
func TestWriteBudgetIsStarvationFree(t *testing.T) {
	const (
		n       = 300
		perCyc  = 20
		cycles  = 120
		floored = 30
		outs    = 120
	)
	var b strings.Builder
	b.WriteString("interval: 10s\ngroups:\n")
	groups := map[string]asg.Group{}
	var boosted []string
	for i := range n {
		name := fmt.Sprintf("g%03d", i)
		desired, min, max := 1, 2+i%7, 50 // scale-out to min, deficits 100% to 700%
		switch {
		case i < floored:
			boosted = append(boosted, name)
		case i >= floored+outs:
			desired, min, max = 10, 1, 5 // scale-in to max
		}
		groups[name] = asg.Group{Name: name, Min: 0, Max: 50, Desired: desired, InService: desired, Serving: desired}
		fmt.Fprintf(&b, "  - asg: %s\n    min: %d\n    max: %d\n    policies:\n      - name: cpu\n        target_tracking:\n          metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}\n          target: 50\n", name, min, max)
	}
	cfg, err := config.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	scaler := &fakeScaler{refreshing: map[string]bool{}}
	clk := clock.NewFake(t0)
	plan := Plan{Boosts: []schedule.Boost{{ID: "sale", Groups: boosted, Start: t0.Add(-time.Hour), End: t0.Add(24 * time.Hour), MinCapacity: 20}}}
	budget := asg.NewWriteBudget(2, perCyc)
	metrics := &fakeMetrics{series: map[string]source.Series{}}
	ctrl, err := New(cfg, Deps{
		Groups: &fakeGroups{groups: groups}, Scaler: scaler, Metrics: metrics, Queues: &fakeQueues{},
		Clock: clk, Planner: &fakePlanner{plan: plan}, Budget: budget,
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	half := perCyc / 2
	// cycles a round-robin of each class takes to reach every group of it
	turn := map[bool]int{true: (floored + half - 1) / half, false: (n - floored + half - 1) / half}
	isFloored := map[string]bool{}
	for _, g := range boosted {
		isFloored[g] = true
	}
	worstOf := map[bool]int{}
	waited := map[string]int{} // consecutive cycles deferred
	worst, worstGroup := 0, ""
	for c := range cycles {
		now := t0.Add(time.Duration(c) * 10 * time.Second)
		// CPU exactly at target for every group: hold, so bounds and floors
		// alone drive the decisions and scale-in is not blocked by missing data.
		for name := range groups {
			metrics.series[name+"/cpu"] = source.Series{Points: []source.Point{{At: now.Add(-2 * time.Minute), Value: 50}}, ReadAt: now}
		}
		recs, err := ctrl.RunOnce(context.Background(), now)
		if err != nil {
			t.Fatal(err)
		}
		acted := 0
		for _, r := range recs {
			switch {
			case r.Acted:
				acted++
				waited[r.Group] = 0
			case r.Skipped == SkipRateBudget:
				waited[r.Group]++
				if !slices.ContainsFunc(r.Notes, func(s string) bool { return strings.Contains(s, "write budget") }) {
					t.Fatalf("cycle %d, %s: deferred without a note: %v", c, r.Group, r.Notes)
				}
				worstOf[isFloored[r.Group]] = max(worstOf[isFloored[r.Group]], waited[r.Group])
				if w := waited[r.Group] - turn[isFloored[r.Group]]; w > worst {
					worst, worstGroup = w, r.Group
				}
			default:
				t.Fatalf("cycle %d, %s: neither acted nor deferred: desired %d current %d skipped %q err %q", c, r.Group, r.Desired, r.Current, r.Skipped, r.Error)
			}
		}
		if acted > perCyc {
			t.Fatalf("cycle %d: %d writes, budget %d", c, acted, perCyc)
		}
		if c == 0 {
			// The first cycle goes to the groups below the campaign's floor.
			for _, r := range recs[:floored] {
				if !r.Acted && r.Skipped != SkipRateBudget {
					t.Fatalf("%s below its floor: acted %v skipped %q", r.Group, r.Acted, r.Skipped)
				}
			}
			if !recs[0].Acted || recs[floored+outs].Acted {
				t.Errorf("first cycle: %s (below floor) acted %v, %s (scale-in) acted %v", recs[0].Group, recs[0].Acted, recs[floored+outs].Group, recs[floored+outs].Acted)
			}
		}
	}
	t.Logf("longest wait: campaign groups %d cycles (turn %d), the others %d (turn %d)", worstOf[true], turn[true], worstOf[false], turn[false])
	if worst > 2-1 {
		t.Errorf("%s waited %d cycles in a row past its class's turn, more than 2", worstGroup, worst+1)
	}
}
