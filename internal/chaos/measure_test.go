package chaos_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/chaos"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/sim"
	"github.com/headroom-dev/headroom/internal/sim/scenario"
	"github.com/headroom-dev/headroom/internal/sim/score"
)

var measure = flag.Bool("chaos.measure", false, "measure year-end-campaign under 30% throttling (minutes of real time)")

// throttledScenario is the built-in year-end-campaign with 30% of every
// Auto Scaling, CloudWatch and SQS call throttled.
const throttledScenario = "../sim/scenario/testdata/year-end-campaign-throttled.yaml"

// simulateWithRetries runs Headroom on sc as sim.Simulate does, but with
// the production retry policy (standard retryer, 3 attempts) instead of the
// emulator's no-retry one; the backoff between attempts is elided because
// the world runs on a fake clock.
func simulateWithRetries(t *testing.T, sc *scenario.Scenario, seed uint64) score.Result {
	t.Helper()
	load := sc.Load(seed)
	demand := sim.Demand(sc, load)
	clk := clock.NewFake(sc.Start)
	em := emulator.StartTest(t, clk)
	world, err := sim.NewWorld(sc, em, clk, load, sim.InitialCapacity(sc, sim.Headroom, demand), seed)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sim.HeadroomConfig(sc)
	if err != nil {
		t.Fatal(err)
	}
	awsCfg := em.AWSConfig()
	awsCfg.Retryer = chaos.Retryer
	awsapi.Instrument(&awsCfg, nil, cfg.CallTimeout.Std())
	ctrl, err := controller.NewAWS(cfg, awsCfg, controller.Deps{Clock: clk, Planner: sim.CampaignPlan(sc)}, controller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps := int(sc.Duration / sim.Tick)
	every := int(cfg.Interval.Std() / sim.Tick)
	in := score.Input{Policy: sim.Headroom, Step: sim.Tick, SLO: sc.SLO, Samples: make([]score.Sample, steps)}
	for i := range steps {
		if i > 0 {
			clk.Advance(sim.Tick)
		}
		st, err := world.Step(i)
		if err != nil {
			t.Fatal(err)
		}
		in.Samples[i] = score.Sample{Demand: demand[i], Supply: st.Serving, Billed: st.InService + st.Pending, Desired: st.Desired, BacklogAge: st.OldestAge}
		if i%every != 0 {
			continue
		}
		recs, err := ctrl.RunOnce(context.Background(), st.Now)
		if err != nil {
			continue
		}
		for _, r := range recs {
			if r.Acted {
				in.Actions = append(in.Actions, score.Action{At: time.Duration(i) * sim.Tick, From: r.Current, To: r.Desired})
			}
		}
	}
	return score.Compute(in)
}

func TestThrottleMeasurement(t *testing.T) {
	if !*measure {
		t.Skip("set -chaos.measure to measure")
	}
	base, err := scenario.Builtin("year-end-campaign")
	if err != nil {
		t.Fatal(err)
	}
	throttled, err := scenario.LoadFile(throttledScenario)
	if err != nil {
		t.Fatal(err)
	}
	const seed = 1
	for _, sc := range []*scenario.Scenario{base, throttled} {
		run, err := sim.Simulate(context.Background(), sc, sim.Headroom, sim.Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		r := run.Result
		fmt.Printf("%-28s simulator retryer (none): slo_violation_minutes %.1f instance_hours %.1f scaling_actions %d\n",
			sc.Name, r.SLOViolationMinutes, r.InstanceHours, r.ScalingActions)
		r = simulateWithRetries(t, sc, seed)
		fmt.Printf("%-28s production retryer (3 attempts): slo_violation_minutes %.1f instance_hours %.1f scaling_actions %d\n",
			sc.Name, r.SLOViolationMinutes, r.InstanceHours, r.ScalingActions)
	}
}
