package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	_ "embed"
	"log/slog"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/sim"
	"github.com/headroom-dev/headroom/internal/sim/scenario"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

// demoScenario is the demo's world: a reward-dispatch queue and its worker
// group, an announced campaign (a boost) and an unannounced spike.
//
//go:embed demo.yaml
var demoScenario []byte

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	listen := fs.String("listen", "127.0.0.1:9464", "address for /metrics, /healthz and /readyz")
	speed := fs.Float64("speed", 10, "how many times faster than the wall clock the world runs (1 to 1000)")
	duration := fs.Duration("duration", 0, "stop after this long on the wall clock (0: run until interrupted)")
	seed := fs.Uint64("seed", 1, "random seed of the world (launch times, noise)")
	var lf logFlags
	fs.StringVar(&lf.format, "log-format", "text", "log format: json or text")
	fs.StringVar(&lf.level, "log-level", "info", "log level: debug, info, warn, error")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *speed < 1 || *speed > 1000 {
		fmt.Fprintf(stderr, "headroom demo: --speed: want 1 to 1000, got %g\n", *speed)
		return 2
	}
	log, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 2
	}
	sc, err := scenario.Parse(demoScenario, "demo", "")
	if err != nil {
		fmt.Fprintln(stderr, "headroom demo: built-in scenario:", err)
		return 1
	}
	sc.Start = time.Now().UTC().Truncate(time.Second)
	cfg, err := sim.HeadroomConfig(sc)
	if err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 1
	}
	cfg.Listen = *listen
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	// The world runs on a clock the demo moves one second at a time, speed
	// times a wall-clock second; the controller's timers run on it too.
	clk := clock.NewFake(sc.Start)
	em := emulator.New(clk)
	url, err := em.Start("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 1
	}
	defer em.Close()
	load := sc.Load(*seed)
	world, err := sim.NewWorld(sc, em, clk, load, sim.InitialCapacity(sc, sim.Headroom, sim.Demand(sc, load)), *seed)
	if err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 1
	}

	m := telemetry.NewMetrics()
	awsCfg := em.AWSConfig()
	awsapi.Instrument(&awsCfg, m, cfg.CallTimeout.Std())
	fmt.Fprintf(stdout, "Headroom demo: emulated AWS on %s; metrics on http://%s/metrics\n", url, *listen)
	// The group is named as Headroom knows it (the API, ctl and the
	// dashboard take that name), with its Auto Scaling group beside it.
	g := cfg.Groups[0]
	fmt.Fprintf(stdout, "Group %q (Auto Scaling group %q) works queue %q: %g msg/s per instance, launch %s (median), warmup %s, SLO %s.\n",
		g.Name, g.ASG, sim.QueueName, sc.Workers.PerInstanceRate, sc.Workers.LaunchTime.Quantile(0.5).Round(time.Second), sc.Workers.Warmup, sc.SLO)
	for _, c := range sc.Campaigns {
		fmt.Fprintf(stdout, "Boost %q: floor %d from %s to %s (announced); an unannounced spike follows.\n",
			c.Name, c.Capacity, sc.Start.Add(c.Start).Format("15:04"), sc.Start.Add(c.End).Format("15:04"))
	}
	fmt.Fprintf(stdout, "Time runs %gx: one simulated minute every %s. One log line per decision; Ctrl-C stops.\n",
		*speed, (time.Duration(float64(time.Minute) / *speed)).Round(time.Millisecond))

	// The demo keeps its state in a throwaway bolt file, seeded with the
	// scenario's announced campaigns as boosts, and prints an operator
	// token so that `headroom ctl` can be tried against it.
	st, token, err := demoStore(ctx, sc)
	if err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 1
	}
	defer st.Close()
	cfg.API.Tokens = []config.Token{{Name: "demo-operator", Role: config.RoleOperator, SHA256: api.HashToken(token)}}
	fmt.Fprintf(stdout, "Dashboard: http://%s/ (log in with token %s).\n", *listen, token)
	fmt.Fprintf(stdout, "Admin API: export HEADROOM_URL=http://%s HEADROOM_TOKEN=%s; then try `headroom ctl groups` or `headroom ctl group %s`.\n", *listen, token, g.Name)

	worldErr := make(chan error, 1)
	go func() { worldErr <- driveWorld(ctx, world, clk, sc, *speed, log) }()
	if err := serveWith(ctx, daemon{cfg: cfg, awsCfg: awsCfg, clk: clk, log: log, m: m, store: st}); err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 1
	}
	if err := <-worldErr; err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 1
	}
	return 0
}

// driveWorld moves the world one simulated second per 1/speed wall-clock
// second until ctx ends or the scenario does, and logs the world once a
// simulated minute.
func driveWorld(ctx context.Context, w *sim.World, clk *clock.Fake, sc *scenario.Scenario, speed float64, log *slog.Logger) error {
	tick := time.NewTicker(time.Duration(float64(sim.Tick) / speed))
	defer tick.Stop()
	steps := int(sc.Duration / sim.Tick)
	arrived := 0
	for i := 0; i < steps; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
			clk.Advance(sim.Tick)
		}
		st, err := w.Step(i)
		if err != nil {
			return err
		}
		arrived += st.Arrived
		if (i+1)%60 == 0 {
			log.Info("world", "at", st.Now.Format("15:04"), "arrivals_per_s", arrived/60, "visible", st.Visible, "in_flight", st.InFlight,
				"oldest_age", st.OldestAge.Round(time.Second).String(), "serving", st.Serving, "pending", st.Pending, "desired", st.Desired)
			arrived = 0
		}
	}
	return nil
}

// demoStore opens a bolt store in a temporary directory that is removed
// when the store is closed, seeds it with the scenario's announced
// campaigns and returns it with a fresh operator token.
func demoStore(ctx context.Context, sc *scenario.Scenario) (store.Store, string, error) {
	dir, err := os.MkdirTemp("", "headroom-demo-")
	if err != nil {
		return nil, "", err
	}
	st, err := bolt.Open(filepath.Join(dir, "headroom.db"))
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", err
	}
	plan, err := sim.CampaignPlan(sc).Plan(ctx, sc.Start)
	if err == nil {
		for _, b := range plan.Boosts {
			_, err = st.PutBoost(ctx, store.Boost{ID: b.ID, Name: b.Name, Reason: "announced campaign of the demo scenario",
				Groups: b.Groups, Start: b.Start, End: b.End, MinCapacity: b.MinCapacity, Multiplier: b.Multiplier,
				Ramp: b.Ramp, Lead: b.Lead, CreatedBy: "demo", CreatedAt: sc.Start, UpdatedAt: sc.Start})
			if err != nil {
				break
			}
		}
	}
	var raw [32]byte
	if _, rerr := rand.Read(raw[:]); err == nil {
		err = rerr
	}
	if err != nil {
		_ = st.Close()
		_ = os.RemoveAll(dir)
		return nil, "", err
	}
	return removeOnClose{Store: st, dir: dir}, base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// removeOnClose removes the demo's state directory with the store.
type removeOnClose struct {
	store.Store
	dir string
}

func (r removeOnClose) Close() error {
	err := r.Store.Close()
	_ = os.RemoveAll(r.dir)
	return err
}
