package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/sim"
	"github.com/headroom-dev/headroom/internal/sim/chart"
	"github.com/headroom-dev/headroom/internal/sim/scenario"
	"github.com/headroom-dev/headroom/internal/sim/score"
)

func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("simulate", stderr)
	name := fs.String("scenario", "", "built-in scenario name, a scenario file, or \"all\" (every built-in); see --list")
	policies := fs.String("policy", "all", "headroom, aws-target-tracking, aws-step, hpa, static-peak, oracle, a comma-separated list of them, or all")
	format := fs.String("format", "table", "output format: table or json")
	chartPath := fs.String("chart", "", "write a chart of the run to this file (.png or .svg)")
	chartDir := fs.String("chart-dir", "", "write one chart per scenario into this directory (PNG)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same numbers")
	parallel := fs.Int("parallel", 2, "policies simulated at once")
	list := fs.Bool("list", false, "list the built-in scenarios and exit")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *list {
		for _, n := range scenario.BuiltinNames() {
			sc, err := scenario.Builtin(n)
			if err != nil {
				fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
				return 1
			}
			fmt.Fprintf(stdout, "%-22s %s\n", n, firstLine(sc.Description))
		}
		return 0
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "headroom simulate: --format: want table or json, got %q\n", *format)
		return 2
	}
	if *name == "" {
		fmt.Fprintln(stderr, "headroom simulate: --scenario is required (see --list)")
		return 2
	}
	pols, err := parsePolicies(*policies)
	if err != nil {
		fmt.Fprintf(stderr, "headroom simulate: --policy: %v\n", err)
		return 2
	}
	names := []string{*name}
	if *name == "all" {
		names = scenario.BuiltinNames()
		if *chartPath != "" {
			fmt.Fprintln(stderr, "headroom simulate: --chart takes one scenario; use --chart-dir with --scenario all")
			return 2
		}
	}
	// Every scenario is loaded before anything runs: a bad file stops the
	// command before it spends minutes on the others.
	scs := make([]*scenario.Scenario, len(names))
	for i, n := range names {
		if scs[i], err = scenario.Open(n); err != nil {
			fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
			return 1
		}
		if _, err := sim.HeadroomConfig(scs[i]); err != nil {
			fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
			return 1
		}
	}
	if *chartDir != "" {
		if err := os.MkdirAll(*chartDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
			return 1
		}
	}

	var reports []*sim.Report
	for _, sc := range scs {
		began := time.Now()
		rep, err := sim.Compare(ctx, sc, pols, sim.Options{Seed: *seed, Parallel: *parallel})
		if err != nil {
			fmt.Fprintf(stderr, "headroom simulate: scenario %q: %v\n", sc.Name, err)
			return 1
		}
		fmt.Fprintf(stderr, "simulated %s (%s, %d policies) in %s\n", sc.Name, sc.Duration, len(pols), time.Since(began).Round(10*time.Millisecond))
		reports = append(reports, rep)
		path := *chartPath
		if *chartDir != "" {
			path = filepath.Join(*chartDir, sc.Name+".png")
		}
		if path != "" {
			if err := chart.Write(path, chartTitle(sc), sim.Tick, sc.SLO, chartRuns(rep)); err != nil {
				fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
				return 1
			}
		}
	}

	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		var err error
		if len(reports) == 1 {
			err = enc.Encode(reports[0])
		} else {
			err = enc.Encode(reports)
		}
		if err != nil {
			fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
			return 1
		}
	default:
		for i, rep := range reports {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			if err := score.WriteTable(stdout, "scenario "+rep.Scenario, rep.Results); err != nil {
				fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
				return 1
			}
		}
	}
	return 0
}

// parsePolicies reads --policy.
func parsePolicies(s string) ([]string, error) {
	if s == "all" {
		return slices.Clone(sim.Policies), nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(sim.Policies, p) {
			return nil, fmt.Errorf("unknown policy %q (want %s, or all)", p, strings.Join(sim.Policies, ", "))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func chartRuns(rep *sim.Report) []chart.Run {
	out := make([]chart.Run, len(rep.Runs))
	for i, r := range rep.Runs {
		out[i] = chart.Run{Policy: r.Policy, Samples: r.Samples}
	}
	return out
}

func chartTitle(sc *scenario.Scenario) string {
	return fmt.Sprintf("%s: %s from %s, SLO %s", sc.Name, sc.Duration, sc.Start.Format("2006-01-02 15:04 MST"), sc.SLO)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
