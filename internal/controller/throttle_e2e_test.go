package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	emuasg "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

// fleetUnderMin is n emulated groups at desired 1 whose config min is 2,
// so that every group's decision is a scale-out to 2: a write each.
type fleetUnderMin struct {
	clk  *clock.Fake
	em   *emulator.Server
	ctrl *Controller
}

// noBudget is a write budget no test cycle exhausts.
const noBudget = "aws:\n  autoscaling_write_rate: 1000/s\n  autoscaling_write_burst: 10000\n"

func fleetName(i int) string { return fmt.Sprintf("g%03d", i) }

func newFleetUnderMin(t *testing.T, n int, extra string, planner ...Planner) *fleetUnderMin {
	t.Helper()
	clk := clock.NewFake(t0)
	em := emulator.StartTest(t, clk)
	em.AutoScaling.SetGroupLimit(n + emuasg.DefaultGroupLimit)
	var b strings.Builder
	fmt.Fprintf(&b, "interval: 10s\ncall_timeout: 2s\n%sgroups:\n", extra)
	for i := range n {
		if err := em.AutoScaling.CreateGroup(emuasg.GroupSpec{Name: fleetName(i), Min: 1, Max: 50, Desired: 1, StartInService: true}); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, `  - asg: %s
    min: 2
    max: 50
    warmup: 0s
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}
          target: 50
`, fleetName(i))
	}
	cfg, err := config.Parse([]byte(b.String()))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	deps := Deps{Clock: clk, Telemetry: telemetry.NewMetrics()}
	if len(planner) > 0 {
		deps.Planner = planner[0]
	}
	ctrl, err := NewAWS(cfg, em.AWSConfig(), deps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &fleetUnderMin{clk: clk, em: em, ctrl: ctrl}
}

func (f *fleetUnderMin) desired(t *testing.T, name string) int {
	t.Helper()
	g, ok := f.em.AutoScaling.Group(name)
	if !ok {
		t.Fatalf("group %s gone", name)
	}
	return g.Desired
}

// TestFailedDescribePageBlindsOnlyItsGroups fails the first
// DescribeAutoScalingGroups page of a 250-group cycle at the emulator. The
// 100 groups of that page are recorded as failed, with no write; the 150
// of the other pages are decided and acted on; the cycle as a whole does
// not fail.
func TestFailedDescribePageBlindsOnlyItsGroups(t *testing.T) {
	f := newFleetUnderMin(t, 250, noBudget)
	f.em.AddFault(emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups",
		Status: 400, Code: "Throttling", Message: "Rate exceeded", Times: 1})
	recs, err := f.ctrl.RunOnce(context.Background(), f.clk.Now())
	if err != nil {
		t.Fatalf("cycle failed as a whole: %v", err)
	}
	for i, r := range recs {
		blind := i < 100 // the first page carries the first 100 names
		switch {
		case blind && (r.Error == "" || !strings.Contains(r.Error, "Throttling")):
			t.Errorf("%s: error %q, want the failed page's Throttling", r.Group, r.Error)
		case blind && (r.Acted || len(r.Proposals) > 0):
			t.Errorf("%s: decided (acted %v, %d proposals) without being described", r.Group, r.Acted, len(r.Proposals))
		case !blind && (r.Error != "" || !r.Acted):
			t.Errorf("%s: error %q acted %v, want acted on", r.Group, r.Error, r.Acted)
		}
		want := 2
		if blind {
			want = 1
		}
		if got := f.desired(t, r.ASG); got != want {
			t.Errorf("%s: desired %d, want %d", r.ASG, got, want)
		}
	}
	if err := f.ctrl.Ready(f.clk.Now()); err != nil {
		t.Errorf("Ready after a partial describe: %v", err)
	}

	// The next cycle reads every page and acts on the groups it missed.
	f.clk.Advance(10 * time.Second)
	recs, err = f.ctrl.RunOnce(context.Background(), f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[:100] {
		if r.Error != "" || !r.Acted {
			t.Errorf("next cycle, %s: error %q acted %v, want acted on", r.Group, r.Error, r.Acted)
		}
	}
}

// TestEveryDescribePageFailedFailsTheCycle keeps the old rule when nothing
// could be read: the cycle fails and /readyz says so.
func TestEveryDescribePageFailedFailsTheCycle(t *testing.T) {
	f := newFleetUnderMin(t, 150, noBudget)
	f.em.AddFault(emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups",
		Status: 400, Code: "Throttling", Message: "Rate exceeded"})
	recs, err := f.ctrl.RunOnce(context.Background(), f.clk.Now())
	if err == nil {
		t.Fatal("cycle succeeded with every page failed")
	}
	for _, r := range recs {
		if r.Error == "" || r.Acted {
			t.Errorf("%s: error %q acted %v", r.Group, r.Error, r.Acted)
		}
	}
	if f.ctrl.Ready(f.clk.Now()) == nil {
		t.Error("Ready with every page failed")
	}
}

// TestWriteBudgetDefersOverWire runs 30 groups that each need a write
// under aws.autoscaling_write_rate 1/s with a burst of 5, against the
// emulator: each 10 s cycle sends at most 5 SetDesiredCapacity calls, the
// others are recorded as deferred with reason rate_budget and a note, and
// every group is written within 6 cycles.
func TestWriteBudgetDefersOverWire(t *testing.T) {
	f := newFleetUnderMin(t, 30, "aws:\n  autoscaling_write_rate: 1/s\n  autoscaling_write_burst: 5\n")
	done := map[string]bool{}
	for c := range 6 {
		before := f.em.Count(emulator.ServiceAutoScaling, "SetDesiredCapacity")
		recs, err := f.ctrl.RunOnce(context.Background(), f.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		sent := f.em.Count(emulator.ServiceAutoScaling, "SetDesiredCapacity") - before
		if sent > 5 {
			t.Errorf("cycle %d: %d SetDesiredCapacity calls, budget 5", c, sent)
		}
		deferred := 0
		for _, r := range recs {
			switch {
			case r.Acted:
				done[r.Group] = true
			case r.Skipped == SkipRateBudget:
				deferred++
				if !strings.Contains(strings.Join(r.Notes, "\n"), "write budget") {
					t.Errorf("cycle %d, %s: deferred without a note: %v", c, r.Group, r.Notes)
				}
			case !done[r.Group]:
				t.Errorf("cycle %d, %s: neither written nor deferred: skipped %q err %q", c, r.Group, r.Skipped, r.Error)
			}
		}
		if c == 0 && (sent != 5 || deferred != 25) {
			t.Errorf("first cycle: %d sent, %d deferred; want 5 and 25", sent, deferred)
		}
		f.clk.Advance(10 * time.Second)
	}
	if len(done) != 30 {
		t.Errorf("%d of 30 groups written in 6 cycles", len(done))
	}
	if got := testutil.ToFloat64(f.ctrl.deps.Telemetry.DecisionsSkipped.WithLabelValues(fleetName(29), SkipRateBudget)); got < 1 {
		t.Errorf("headroom_decisions_skipped_total{reason=rate_budget} for %s = %v, want >= 1", fleetName(29), got)
	}
}

// TestMirrorWritesWaitForTheBudget gives one group a campaign boost under
// a budget of one write a cycle (1/s, burst 1). The first cycle's token
// goes to the group's capacity write, so the mirror's scheduled actions
// wait: that is not a mirror failure (no group error), and the following
// cycles put both actions, one a cycle.
func TestMirrorWritesWaitForTheBudget(t *testing.T) {
	boost := schedule.Boost{ID: "sale", Groups: []string{fleetName(0)}, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), MinCapacity: 6, Lead: 10 * time.Minute}
	f := newFleetUnderMin(t, 1, "aws:\n  autoscaling_write_rate: 1/s\n  autoscaling_write_burst: 1\n", &fakePlanner{plan: Plan{Boosts: []schedule.Boost{boost}}})
	client := autoscaling.NewFromConfig(f.em.AWSConfig())
	actions := func() int {
		t.Helper()
		out, err := client.DescribeScheduledActions(context.Background(), &autoscaling.DescribeScheduledActionsInput{AutoScalingGroupName: aws.String(fleetName(0))})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.ScheduledUpdateGroupActions)
	}
	var got []int
	for range 3 {
		recs, err := f.ctrl.RunOnce(context.Background(), f.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 && !recs[0].Acted {
			t.Fatalf("first cycle: capacity write not sent (skipped %q err %q)", recs[0].Skipped, recs[0].Error)
		}
		got = append(got, actions())
		f.clk.Advance(10 * time.Second)
	}
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("scheduled actions after each cycle %v, want [0 1 2]: one write a cycle, the capacity write first", got)
	}
	if n := testutil.ToFloat64(f.ctrl.deps.Telemetry.GroupErrors.WithLabelValues(fleetName(0), "mirror")); n != 0 {
		t.Errorf("headroom_group_errors_total{reason=mirror} = %v, want 0: waiting for the budget is not a failure", n)
	}
}
