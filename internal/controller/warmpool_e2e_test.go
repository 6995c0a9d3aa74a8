package controller

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	emuasg "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/source"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

const warmConfig = `
interval: 10s
call_timeout: 2s
groups:
  - name: web
    asg: web
    min: 1
    max: 40
    warmup: 0s
    scale_in_window: 120s
    max_age: 120s
    policies:
      - name: queue
        backlog:
          mode: rate
          acceptable_latency: 60s
          queues:
            - queue: jobs
              seconds_per_message: 0.1
`

// warmWorld is a plain group of 4 with a warm pool of exactly 4 stopped
// instances on the emulator, and a controller that reads it over the
// wire. Nothing has been measured: the cold lead is the configured
// boost_lead (10 min), the warm lead the Stopped prior (60 s).
type warmWorld struct {
	clk  *clock.Fake
	em   *emulator.Server
	ctrl *Controller
	// noRaise builds controllers with raise_warm_pool: false.
	noRaise bool
}

func newWarmWorld(t *testing.T) *warmWorld {
	t.Helper()
	return newWarmWorldWith(t, true, nil)
}

// newWarmWorldWith builds the world; a controller that is not dry-run
// acts, with Headroom's warm pool writes and the given planner.
func newWarmWorldWith(t *testing.T, dryRun bool, planner Planner) *warmWorld {
	t.Helper()
	clk := clock.NewFake(t0)
	em := emulator.StartTest(t, clk)
	em.AutoScaling.SetLaunchTime(3 * time.Minute)
	four := 4
	if err := em.AutoScaling.CreateGroup(emuasg.GroupSpec{Name: "web", Min: 1, Max: 40, Desired: 4, StartInService: true,
		WarmPool: &emuasg.WarmPoolSpec{MinSize: 4, MaxGroupPreparedCapacity: &four}}); err != nil {
		t.Fatal(err)
	}
	w := &warmWorld{clk: clk, em: em}
	w.ctrl = w.controller(t, dryRun, planner)
	return w
}

// controller builds a controller over the world, as a restart would.
func (w *warmWorld) controller(t *testing.T, dryRun bool, planner Planner) *Controller {
	t.Helper()
	clk, em := w.clk, w.em
	awsCfg := em.AWSConfig()
	if _, err := sqs.NewFromConfig(awsCfg).CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("jobs")}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(warmConfig))
	if err != nil {
		t.Fatal(err)
	}
	if w.noRaise {
		cfg.Groups[0].RaiseWarmPool = false
	}
	ctrlCfg := awsCfg.Copy()
	ctrlCfg.AppID = e2eAppID
	awsapi.Instrument(&ctrlCfg, nil, 2*time.Second)
	actuator := asg.New(autoscaling.NewFromConfig(ctrlCfg), clk)
	ctrl, err := New(cfg, Deps{
		Groups: actuator, Scaler: actuator, WarmPools: actuator, Planner: planner,
		Metrics:   source.NewCloudWatch(cloudwatch.NewFromConfig(ctrlCfg)),
		Queues:    source.NewSQS(sqs.NewFromConfig(ctrlCfg), clk, 4),
		Clock:     clk,
		Telemetry: telemetry.NewMetrics(),
	}, Options{DryRun: dryRun})
	if err != nil {
		t.Fatal(err)
	}
	return ctrl
}

func (w *warmWorld) cycle(t *testing.T) Record {
	t.Helper()
	w.clk.Advance(10 * time.Second)
	recs, err := w.ctrl.RunOnce(context.Background(), w.clk.Now())
	if err != nil {
		t.Fatalf("cycle: %v", err)
	}
	return recs[0]
}

func hasNote(r Record, s string) bool {
	for _, n := range r.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// TestWarmPoolDecision: the decision carries the pool (never counted as
// serving), and a boost's default lead is that of the launches its
// scale-out will get: warm when the pool's ready instances cover it, cold
// when it needs more. The preview says which are expected warm and cold.
func TestWarmPoolDecision(t *testing.T) {
	w := newWarmWorld(t)
	r := w.cycle(t)
	if r.WarmPool == nil || r.WarmPool.Ready != 4 || r.WarmPool.Error != "" {
		t.Fatalf("warm pool %+v, want 4 ready", r.WarmPool)
	}
	if r.Serving != 4 || r.Pending != 0 {
		t.Errorf("serving %d pending %d, want 4 and 0: warm instances never serve", r.Serving, r.Pending)
	}
	if r.WarmLead != asg.WarmPriorStopped || r.ColdLead != config.DefaultBoostLead {
		t.Errorf("warm lead %s, cold lead %s; want the Stopped prior %s and boost_lead %s", r.WarmLead, r.ColdLead, asg.WarmPriorStopped, config.DefaultBoostLead)
	}
	doc, err := json.Marshal(Doc(r))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), `"warm_pool":{"pool_state":"Stopped","min_size":4,"max_prepared_capacity":4,"ready":4,`) ||
		!strings.Contains(string(doc), `"raised_from":null`) {
		t.Errorf("decision document has no warm_pool as expected: %s", doc)
	}

	start := w.clk.Now().Add(time.Hour)
	boost := func(capacity int) schedule.Boost {
		return schedule.Boost{ID: "b", Name: "launch", Groups: []string{"web"}, Start: start, End: start.Add(time.Hour), MinCapacity: capacity}
	}
	preview := func(t *testing.T, b schedule.Boost) Record {
		t.Helper()
		rec, err := w.ctrl.Preview(context.Background(), "web", Preview{Boosts: []schedule.Boost{b}})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	// 5 minutes before the window: a scale-out of 3 comes warm, and a
	// warm start's lead (60 s + one interval) has not begun; a scale-out
	// of 6 needs 2 cold launches, whose lead (10 min) has.
	w.clk.Advance(start.Add(-5 * time.Minute).Sub(w.clk.Now()))
	if rec := preview(t, boost(7)); rec.Desired != 4 {
		t.Errorf("warm boost 5 min ahead: desired %d, want 4 (its lead is a warm start's)", rec.Desired)
	}
	rec := preview(t, boost(10))
	if rec.Desired != 10 || rec.Expected != (Split{Warm: 4, Cold: 2}) || !hasNote(rec, "scale-out of 6 units: 4 from the warm pool, 2 cold") {
		t.Errorf("cold boost 5 min ahead: desired %d, expected %+v, notes %q; want 10, 4 warm and 2 cold", rec.Desired, rec.Expected, rec.Notes)
	}
	w.clk.Advance(start.Add(-time.Minute).Sub(w.clk.Now()))
	rec = preview(t, boost(7))
	if rec.Desired != 7 || rec.Expected != (Split{Warm: 3}) || !hasNote(rec, "scale-out of 3 units: 3 from the warm pool, 0 cold") {
		t.Errorf("warm boost 1 min ahead: desired %d, expected %+v, notes %q; want 7, all 3 warm", rec.Desired, rec.Expected, rec.Notes)
	}
	if d := Doc(rec).WarmPool; d == nil || d.ExpectedWarm != 3 || d.ExpectedCold != 0 {
		t.Errorf("preview document's warm_pool %+v, want 3 expected warm", d)
	}

	t.Run("a pool that cannot be read counts every launch cold", func(t *testing.T) {
		remove := w.em.AddFault(emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "DescribeWarmPool",
			Status: 400, Code: "AccessDenied", Message: "not allowed"})
		defer remove()
		r := w.cycle(t)
		if r.Error != "" || r.WarmPool == nil || r.WarmPool.Error == "" {
			t.Fatalf("error %q, pool %+v; want the group decided and the pool's error", r.Error, r.WarmPool)
		}
		rec := preview(t, boost(7))
		if rec.Desired != 7 || rec.Expected != (Split{Cold: 3}) || !hasNote(rec, "all are counted cold") {
			t.Errorf("desired %d, expected %+v, notes %q; want 7, all 3 cold", rec.Desired, rec.Expected, rec.Notes)
		}
	})
}

// TestWarmPoolBacklogLead: a backlog's T is the warm lead while the
// pool's ready instances cover the scale-out, and the cold lead when the
// scale-out needs more.
func TestWarmPoolBacklogLead(t *testing.T) {
	lead := func(r Record) time.Duration {
		t.Helper()
		if len(r.Queues) != 1 {
			t.Fatalf("%d queue details, want 1", len(r.Queues))
		}
		return r.Queues[0].Lead
	}
	for _, tc := range []struct {
		name     string
		messages int
		split    Split
	}{
		// 30 messages a second at 10 a unit, with the backlog nobody
		// drains: a few units more, within the 4 ready.
		{name: "covered by the pool", messages: 300, split: Split{Warm: 2}},
		// 300 a second: about 30 units, far past the pool.
		{name: "past the pool", messages: 3000, split: Split{Warm: 4, Cold: 22}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWarmWorld(t)
			// Steady arrivals for 140 s: a surge younger than T is
			// projected only as far as it has lasted, so the warm lead
			// (60 s) shows whole and the cold one (10 min) as the
			// surge's age, above 60 s.
			var r Record
			for range 14 {
				if err := w.em.SQS.Enqueue("jobs", tc.messages); err != nil {
					t.Fatal(err)
				}
				r = w.cycle(t)
			}
			if r.Desired <= r.Current {
				t.Fatalf("desired %d, current %d: no scale-out", r.Desired, r.Current)
			}
			got := lead(r)
			if tc.split.Cold == 0 && got != asg.WarmPriorStopped {
				t.Errorf("T = %s for a scale-out of %d (split %+v), want the warm lead %s", got, r.Desired-r.Current, r.Expected, asg.WarmPriorStopped)
			}
			if tc.split.Cold > 0 && got <= asg.WarmPriorStopped {
				t.Errorf("T = %s for a scale-out of %d (split %+v), want the cold lead (capped at the surge's age, above %s)", got, r.Desired-r.Current, r.Expected, asg.WarmPriorStopped)
			}
			if (r.Expected.Cold == 0) != (tc.split.Cold == 0) {
				t.Errorf("expected %+v, want cold part like %+v", r.Expected, tc.split)
			}
		})
	}
}
