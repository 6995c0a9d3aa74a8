package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", stderr)
	path := fs.String("config", "", "config file (YAML)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, code := loadConfig(*path, stderr)
	if cfg == nil {
		return code
	}
	policies := 0
	for _, g := range cfg.Groups {
		policies += len(g.Policies)
	}
	fmt.Fprintf(stdout, "%s: valid: %d groups, %d policies\n", *path, len(cfg.Groups), policies)
	return 0
}

func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("explain", stderr)
	path := fs.String("config", "", "config file (YAML)")
	group := fs.String("group", "", "group name (as in the config)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, code := loadConfig(*path, stderr)
	if cfg == nil {
		return code
	}
	found := false
	for _, g := range cfg.Groups {
		found = found || g.Name == *group
	}
	if !found {
		fmt.Fprintf(stderr, "--group %q: no such group in %s\n", *group, *path)
		return 2
	}
	awsCfg, err := awsapi.Load(ctx, awsapi.Options{Region: cfg.Region, CallTimeout: cfg.CallTimeout.Std()})
	if err != nil {
		fmt.Fprintln(stderr, "headroom explain:", err)
		return 1
	}
	clk := clock.Real()
	log, _ := telemetry.NewLogger(io.Discard, "text", "error")
	ctrl, err := newController(cfg, awsCfg, clk, log, nil, controller.Options{DryRun: true})
	if err != nil {
		fmt.Fprintln(stderr, "headroom explain:", err)
		return 1
	}
	records, err := ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		fmt.Fprintln(stderr, "headroom explain:", err)
		return 1
	}
	for _, r := range records {
		if r.Group != *group {
			continue
		}
		printRecord(stdout, r)
		if r.Error != "" {
			return 1
		}
	}
	return 0
}

// printRecord writes a decision with every reason, for people.
func printRecord(w io.Writer, r controller.Record) {
	fmt.Fprintf(w, "group %s (auto scaling group %s) at %s\n", r.Group, r.ASG, r.At.UTC().Format(time.RFC3339))
	if r.Error != "" && len(r.Proposals) == 0 {
		fmt.Fprintf(w, "  not decided: %s\n", r.Error)
		return
	}
	fmt.Fprintf(w, "  capacity: desired %d, serving %d, pending %d, warming %d\n", r.Current, r.Serving, r.Pending, r.Warming)
	fmt.Fprintf(w, "  bounds:   [%d, %d] this cycle (the group's own MinSize/MaxSize [%d, %d])\n", r.Min, r.Max, r.ASGMin, r.ASGMax)
	fmt.Fprintf(w, "  decision: %d  (%s)\n", r.Desired, r.Reason)
	fmt.Fprintln(w, "  proposals:")
	for _, p := range r.Proposals {
		if p.OK {
			fmt.Fprintf(w, "    %-20s %-16s %4d  %s\n", p.Policy, p.Kind, p.Capacity, p.Reason)
		} else {
			fmt.Fprintf(w, "    %-20s %-16s    -  %s\n", p.Policy, p.Kind, p.Reason)
		}
	}
	if len(r.Changes) > 0 {
		fmt.Fprintln(w, "  limits applied:")
		for _, c := range r.Changes {
			fmt.Fprintf(w, "    %-16s %d -> %d  %s\n", c.Rule, c.From, c.To, c.Reason)
		}
	}
	if r.ScaleInBlocked != "" {
		fmt.Fprintf(w, "  scale-in blocked: %s\n", r.ScaleInBlocked)
	}
	if len(r.Queues) > 0 {
		fmt.Fprintln(w, "  queues (rate mode):")
		for _, q := range r.Queues {
			fmt.Fprintf(w, "    %s/%s: arrivals %.2f/s; backlog %.0f, projected %.0f in %s (on its way %.1f units); budget %.0f, excess %+.0f\n",
				q.Policy, q.Queue, q.Lambda, q.Backlog, q.Projected, q.Lead.Round(time.Second), q.OnItsWay, q.Budget, q.Excess)
			fmt.Fprintf(w, "      need %.2f = max(rate %.2f + drain %.2f, floor %.2f): %s wins", q.Need, q.Rate, q.Drain, q.Floor, q.Term)
			if q.SurgeOver {
				fmt.Fprint(w, "; the surge is over before new capacity could serve")
			}
			fmt.Fprintln(w)
		}
	}
	if len(r.Inputs) > 0 {
		fmt.Fprintln(w, "  inputs:")
		for _, in := range r.Inputs {
			stale := ""
			if in.Stale {
				stale = "  STALE"
			}
			fmt.Fprintf(w, "    %-20s %-28s %12.3f  age %s%s\n", in.Policy, in.Name, in.Value, in.Age.Round(time.Second), stale)
		}
	}
	var act []string
	if r.Skipped != "" {
		act = append(act, "not acted on: "+r.Skipped)
	}
	if r.Error != "" {
		act = append(act, "error: "+r.Error)
	}
	if len(act) > 0 {
		fmt.Fprintf(w, "  %s\n", strings.Join(act, "; "))
	}
}

func runEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("emulator", stderr)
	listen := fs.String("listen", "127.0.0.1:4566", "address to listen on")
	launch := fs.Duration("launch-time", 30*time.Second, "time an instance stays Pending before InService")
	fleet := fs.Int("fleet", 0, "create this many identical groups, queues and metrics (for load and footprint runs)")
	fleetConfig := fs.String("fleet-config", "", "with --fleet: write a headroom config managing the fleet to this file")
	fleetListen := fs.String("fleet-listen", "127.0.0.1:9464", "with --fleet-config: the config's listen address")
	pprofAddr := fs.String("pprof", "", "serve Go's profiles (net/http/pprof) on this address; empty: off")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *pprofAddr != "" {
		_, stop, err := startPprof(*pprofAddr, slog.New(slog.NewTextHandler(stderr, nil)))
		if err != nil {
			fmt.Fprintln(stderr, "headroom emulator: --pprof:", err)
			return 2
		}
		defer stop()
	}
	clk := clock.Real()
	em := emulator.New(clk)
	em.AutoScaling.SetLaunchTime(*launch)
	url, err := em.Start(*listen)
	if err != nil {
		fmt.Fprintln(stderr, "headroom emulator:", err)
		return 1
	}
	if *fleet > 0 {
		f := emulator.Fleet{Groups: *fleet}
		if err := f.Seed(em, clk.Now()); err != nil {
			fmt.Fprintln(stderr, "headroom emulator:", err)
			return 1
		}
		if *fleetConfig != "" {
			if err := os.WriteFile(*fleetConfig, []byte(f.Config(*fleetListen)), 0o644); err != nil {
				fmt.Fprintln(stderr, "headroom emulator:", err)
				return 1
			}
		}
		// Keep the fleet's metrics fresh: one datapoint a minute, as EC2
		// detailed monitoring publishes.
		go func() {
			t := clk.NewTicker(time.Minute)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-t.Chan():
					f.Publish(em, now)
				}
			}
		}()
		fmt.Fprintf(stdout, "fleet of %d groups created\n", *fleet)
	}
	fmt.Fprintf(stdout, "AWS emulator (Auto Scaling, CloudWatch, SQS) listening on %s\n", url)
	fmt.Fprintf(stdout, "point clients at it with: export AWS_ENDPOINT_URL=%s AWS_REGION=%s AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x\n", url, emulator.Region)
	<-ctx.Done()
	_ = em.Close()
	return 0
}
