// Command throttle measures Headroom's write budget and throttling
// handling: a fleet of groups that all need a write at once (every group
// sits below its configured min), run by the production controller
// (controller.NewAWS) with the SDK's standard retryer against the
// in-process emulator on a fake clock, with a share of every Auto Scaling
// call throttled. Part way through, a campaign's boost raises the floor
// of the groups last in config order, which would otherwise be written
// last. It prints what the budget deferred, how long groups waited, and
// what throttling cost. scripts/throttle.sh runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/emulator"
	emuasg "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

type plan struct{ p controller.Plan }

func (p plan) Plan(context.Context, time.Time) (controller.Plan, error) { return p.p, nil }

func main() {
	groups := flag.Int("groups", 2000, "groups, each needing one scale-out at the start")
	throttle := flag.Float64("throttle", 0.1, "share of Auto Scaling calls the emulator throttles (0 to 1)")
	writeRate := flag.String("rate", "2/s", "aws.autoscaling_write_rate")
	burst := flag.Int("burst", 20, "aws.autoscaling_write_burst")
	boosted := flag.Int("boosted", 100, "groups, last in config order, that a campaign boosts")
	boostAt := flag.Int("boost-at", 10, "cycle at which the campaign's floor begins")
	maxCycles := flag.Int("cycles", 400, "give up after this many cycles")
	seed := flag.Int64("seed", 1, "fault seed")
	maxBackoff := flag.Duration("max-backoff", 50*time.Millisecond, "the retryer's longest wait between attempts; production's is 1s. It is real time and changes only the run's wall time: cycles run on a fake clock")
	flag.Parse()
	log.SetFlags(0)

	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	em := emulator.New(clk)
	if _, err := em.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = em.Close() }()
	em.AutoScaling.SetGroupLimit(*groups + emuasg.DefaultGroupLimit)

	var b strings.Builder
	fmt.Fprintf(&b, "interval: 10s\ncall_timeout: 4s\naws:\n  autoscaling_write_rate: %s\n  autoscaling_write_burst: %d\ngroups:\n", *writeRate, *burst)
	names := make([]string, *groups)
	for i := range names {
		names[i] = fmt.Sprintf("g%04d", i)
		if err := em.AutoScaling.CreateGroup(emuasg.GroupSpec{Name: names[i], Min: 1, Max: 50, Desired: 1, StartInService: true}); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&b, "  - asg: %s\n    min: 2\n    max: 50\n    warmup: 0s\n    policies:\n      - name: cpu\n        target_tracking:\n          metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}\n          target: 50\n", names[i])
	}
	cfg, err := config.Parse([]byte(b.String()))
	if err != nil {
		log.Fatal(err)
	}

	// The production retry policy (awsapi.Load's, with a shorter cap on
	// the wait), not the emulator's retry-nothing test retryer: throttled
	// attempts back off with jitter.
	awsCfg := em.AWSConfig()
	awsCfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = cfg.AWS.MaxAttempts
			o.MaxBackoff = *maxBackoff
		})
	}
	m := telemetry.NewMetrics()
	awsapi.Instrument(&awsCfg, m, cfg.CallTimeout.Std())

	boostStart := t0.Add(time.Duration(*boostAt) * cfg.Interval.Std())
	first := max(0, *groups-*boosted)
	boost := schedule.Boost{ID: "campaign", Groups: names[first:], Start: boostStart, End: boostStart.Add(24 * time.Hour), MinCapacity: 4, Lead: time.Nanosecond}
	ctrl, err := controller.NewAWS(cfg, awsCfg, controller.Deps{Clock: clk, Telemetry: m, Planner: plan{controller.Plan{Boosts: []schedule.Boost{boost}}}}, controller.Options{})
	if err != nil {
		log.Fatal(err)
	}
	em.SetFaultSeed(*seed)
	if *throttle > 0 {
		em.AddFault(emulator.Throttle(emulator.ServiceAutoScaling, "", *throttle, time.Time{}, time.Time{}))
	}

	var (
		deferred, blind, failed, acted int
		waiting                        = map[string]int{} // cycle the group's current need began
		maxWait, maxBoostWait          int
		lastWrite                      int
		start                          = time.Now()
	)
	cycle := 0
	for ; cycle < *maxCycles; cycle++ {
		recs, err := ctrl.RunOnce(context.Background(), clk.Now())
		if err != nil {
			log.Printf("cycle %d: %v", cycle, err)
		}
		pending := 0
		for i, r := range recs {
			switch {
			case r.Acted:
				acted++
				lastWrite = cycle
				w := cycle - waiting[r.Group]
				maxWait = max(maxWait, w)
				if i >= first && cycle >= *boostAt {
					maxBoostWait = max(maxBoostWait, cycle-max(waiting[r.Group], *boostAt))
				}
				delete(waiting, r.Group)
			case r.Skipped == controller.SkipRateBudget:
				deferred++
				pending++
				if _, ok := waiting[r.Group]; !ok {
					waiting[r.Group] = cycle
				}
			case r.Error != "" && len(r.Proposals) == 0:
				blind++
				pending++
				if _, ok := waiting[r.Group]; !ok {
					waiting[r.Group] = cycle
				}
			case r.Error != "":
				failed++
				pending++
				if _, ok := waiting[r.Group]; !ok {
					waiting[r.Group] = cycle
				}
			}
		}
		clk.Advance(cfg.Interval.Std())
		if pending == 0 && cycle > *boostAt {
			break
		}
	}
	perCycle := cfg.AWS.WritesPerSecond() * cfg.Interval.Std().Seconds()
	ideal := int(float64(*groups)/min(perCycle, float64(*burst)) + 0.999)
	fmt.Printf("groups=%d throttle=%.2f rate=%s burst=%d boosted=%d boost_at_cycle=%d seed=%d\n", *groups, *throttle, *writeRate, *burst, *boosted, *boostAt, *seed)
	fmt.Printf("cycles_run=%d last_write_cycle=%d budget_only_cycles=%d\n", cycle+1, lastWrite, ideal)
	fmt.Printf("writes_sent=%d deferred_rate_budget=%d blind_group_cycles=%d failed_writes=%d\n", acted, deferred, blind, failed)
	fmt.Printf("max_cycles_waited=%d boosted_max_cycles_waited=%d\n", maxWait, maxBoostWait)
	fmt.Printf("throttled_attempts=%s aws_calls=%s\n", sum(m.Registry, "headroom_aws_errors_total", "Throttling"), sum(m.Registry, "headroom_aws_calls_total", ""))
	fmt.Printf("wall_seconds=%.1f\n", time.Since(start).Seconds())
	if len(waiting) > 0 {
		os.Exit(1)
	}
}

// sum adds the counter's series whose code label is code ("" for all).
func sum(g prometheus.Gatherer, name, code string) string {
	fams, err := g.Gather()
	if err != nil {
		return "n/a"
	}
	total := 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			if code == "" || label(mt, "code") == code {
				total += mt.GetCounter().GetValue()
			}
		}
	}
	return fmt.Sprintf("%.0f", total)
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
