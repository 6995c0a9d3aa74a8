package chaos_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/chaos"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/policy"
)

var (
	soakRuns = flag.Int("chaos.runs", 0, "run TestSoak over this many seeds")
	soakFrom = flag.Int64("chaos.from", 1, "the first seed TestSoak runs: slices of a long soak run in parallel")
)

// brokenSeeds is how many seeds each broken controller runs.
const brokenSeeds = 8

// chaosSeeds is how many seeds TestChaos runs.
const chaosSeeds = 20

func TestChaos(t *testing.T) {
	for seed := int64(1); seed <= chaosSeeds; seed++ {
		res := chaos.Run(seed, chaos.Options{})
		t.Logf("seed %d: cycles %d, faults %d, violations %d, starved %d", seed, res.Cycles, res.FaultsInjected, len(res.Violations), res.Starved)
		for _, v := range res.Violations {
			t.Errorf("%s", v)
		}
	}
}

// ignorePause is a broken planner: it drops pause overrides, so the
// controller acts while the operator paused the group.
type ignorePause struct{ next controller.Planner }

func (p ignorePause) Plan(ctx context.Context, now time.Time) (controller.Plan, error) {
	plan, err := p.next.Plan(ctx, now)
	out := controller.Plan{Boosts: plan.Boosts, Overrides: map[string][]policy.Override{}}
	for g, os := range plan.Overrides {
		for _, o := range os {
			if o.Kind != policy.OverridePause {
				out.Overrides[g] = append(out.Overrides[g], o)
			}
		}
	}
	return out, err
}

// twoLess is a broken scaler: every write sets two instances less than
// decided, so a scale-out by one becomes a scale-in.
type twoLess struct{ controller.Scaler }

func (s twoLess) SetDesired(ctx context.Context, name string, capacity int) error {
	return s.Scaler.SetDesired(ctx, name, capacity-2)
}

// slowPlan is a broken planner: every cycle it takes longer than an AWS
// call's deadline, as a controller stuck on a lock would. The checker
// excuses a cycle the machine starved; it must not excuse every cycle.
type slowPlan struct{ next controller.Planner }

func (p slowPlan) Plan(ctx context.Context, now time.Time) (controller.Plan, error) {
	time.Sleep(1100 * time.Millisecond)
	return p.next.Plan(ctx, now)
}

func TestCheckerCatchesABrokenController(t *testing.T) {
	tests := []struct {
		name  string
		opts  chaos.Options
		seeds int64 // brokenSeeds when 0
		want  []string
	}{
		{
			name: "pause ignored",
			opts: chaos.Options{NoFaults: true, Planner: func(p controller.Planner) controller.Planner { return ignorePause{p} }},
			want: []string{chaos.InvariantPaused},
		},
		{
			name: "two instances less than decided",
			opts: chaos.Options{Scaler: func(s controller.Scaler) controller.Scaler { return twoLess{s} }},
			want: []string{chaos.InvariantBounds, chaos.InvariantStale, chaos.InvariantPin, chaos.InvariantFloor, chaos.InvariantConverged},
		},
		{
			name: "every cycle slower than a call's deadline",
			opts: chaos.Options{NoFaults: true, Duration: time.Minute,
				Planner: func(p controller.Planner) controller.Planner { return slowPlan{p} }},
			seeds: 2,
			want:  []string{chaos.InvariantConverged},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var total chaos.Result
			seeds := tc.seeds
			if seeds == 0 {
				seeds = brokenSeeds
			}
			for seed := int64(1); seed <= seeds; seed++ {
				res := chaos.Run(seed, tc.opts)
				total.Add(res)
			}
			seen := map[string]int{}
			for _, v := range total.Violations {
				if v.Seed == 0 || v.Group == "" {
					t.Errorf("violation without seed or group: %+v", v)
				}
				seen[v.Invariant]++
			}
			t.Logf("runs %d, cycles %d, violations by invariant %v", total.Runs, total.Cycles, seen)
			for _, inv := range tc.want {
				if seen[inv] == 0 {
					t.Errorf("the checker reported no %s violation", inv)
				}
			}
		})
	}
}

// TestSoak runs -chaos.runs seeds from -chaos.from and prints the totals.
func TestSoak(t *testing.T) {
	if *soakRuns <= 0 {
		t.Skip("set -chaos.runs=N to soak")
	}
	if *soakFrom < 1 {
		t.Fatalf("-chaos.from=%d: seeds start at 1", *soakFrom)
	}
	var total chaos.Result
	for seed := *soakFrom; seed < *soakFrom+int64(*soakRuns); seed++ {
		total.Add(chaos.Run(seed, chaos.Options{}))
	}
	for _, v := range total.Violations {
		t.Errorf("%s", v)
	}
	fmt.Printf("seeds %d-%d: runs %d, cycles %d, faults %d, violations %d, starved %d\n", *soakFrom, *soakFrom+int64(*soakRuns)-1, total.Runs, total.Cycles, total.FaultsInjected, len(total.Violations), total.Starved)
}

// TestChaosSeedsFromSoak reruns seeds a soak once reported. Seeds 65, 96
// and 166 lowered a group above a narrowed max to that max while scale-in
// was blocked, which the bounds require and the checker must accept. Seeds
// 7071 and 7152 each gave up on a hung SetDesiredCapacity at its deadline;
// the emulator recorded it when it saw the connection close, after the next
// cycle had begun, and the checker held that cycle (paused, or blocked from
// scaling in) to a write it never made. Whether the record came late
// depended on timing, so each is run several times.
func TestChaosSeedsFromSoak(t *testing.T) {
	for _, seed := range []int64{65, 96, 166, 7071, 7071, 7071, 7152, 7152, 7152} {
		for _, v := range chaos.Run(seed, chaos.Options{}).Violations {
			t.Error(v)
		}
	}
}
