package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	policies := fs.String("policy", "all", "headroom, headroom-reactive, aws-target-tracking, aws-predictive, aws-step, hpa, static-peak, oracle, a comma-separated list of them, or all (those that run on the scenario's workers)")
	format := fs.String("format", "table", "output format: table or json")
	chartPath := fs.String("chart", "", "write a chart of the run to this file (.png or .svg)")
	chartDir := fs.String("chart-dir", "", "write one chart per scenario into this directory (PNG)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same numbers")
	seedList := fs.String("seeds", "", "comma-separated seeds (e.g. 1,2,3): every figure per seed and their mean; charts show the first seed; not with --seed")
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
	seeds := []uint64{*seed}
	multi := false
	if set(fs, "seeds") {
		if set(fs, "seed") {
			fmt.Fprintln(stderr, "headroom simulate: --seed and --seeds exclude each other: give one seed with either, several with --seeds")
			return 2
		}
		if seeds, err = parseSeeds(*seedList); err != nil {
			fmt.Fprintf(stderr, "headroom simulate: --seeds: %v\n", err)
			return 2
		}
		multi = true
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
		if *policies == "all" {
			continue
		}
		for _, p := range pols {
			if err := sim.Applies(scs[i], p); err != nil {
				fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
				return 1
			}
		}
	}
	if *chartDir != "" {
		if err := os.MkdirAll(*chartDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
			return 1
		}
	}

	var summaries []*sim.Summary
	for _, sc := range scs {
		began := time.Now()
		pols := pols
		if *policies == "all" {
			// All the policies that run on the scenario's workers.
			pols = sim.PoliciesFor(sc)
		}
		var reps []*sim.Report
		for _, sd := range seeds {
			rep, err := sim.Compare(ctx, sc, pols, sim.Options{Seed: sd, Parallel: *parallel})
			if err != nil {
				fmt.Fprintf(stderr, "headroom simulate: scenario %q, seed %d: %v\n", sc.Name, sd, err)
				return 1
			}
			reps = append(reps, rep)
		}
		sum := sim.Summarize(reps)
		fmt.Fprintf(stderr, "simulated %s (%s, %d policies, %s) in %s\n", sc.Name, sc.Duration, len(pols), seedWords(seeds), time.Since(began).Round(10*time.Millisecond))
		for _, w := range sum.Warnings {
			fmt.Fprintf(stderr, "headroom simulate: warning: scenario %s: %s\n", sc.Name, w)
		}
		summaries = append(summaries, sum)
		path := *chartPath
		if *chartDir != "" {
			path = filepath.Join(*chartDir, sc.Name+".png")
		}
		if path != "" {
			if err := chart.Write(path, chartTitle(sc, seeds[0]), sim.Tick, sc.SLO, chartRuns(reps[0])); err != nil {
				fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
				return 1
			}
		}
	}

	if err := writeSimulation(stdout, *format, multi, summaries); err != nil {
		fmt.Fprintf(stderr, "headroom simulate: %v\n", err)
		return 1
	}
	return 0
}

// writeSimulation prints the scorecards. One seed (--seed) prints as it
// always has: a table per scenario, or in JSON a report (a list of them
// for several scenarios). Several (--seeds) print per scenario a table
// per seed and one of the mean, or in JSON a summary (sim.Summary; a
// list of them for several scenarios).
func writeSimulation(w io.Writer, format string, multi bool, summaries []*sim.Summary) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		var v any
		switch {
		case multi && len(summaries) == 1:
			v = summaries[0]
		case multi:
			v = summaries
		case len(summaries) == 1:
			v = summaries[0].PerSeed[0]
		default:
			reps := make([]*sim.Report, len(summaries))
			for i, s := range summaries {
				reps[i] = s.PerSeed[0]
			}
			v = reps
		}
		return enc.Encode(v)
	}
	first := true
	table := func(title string, results []score.Result) error {
		if !first {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		first = false
		return score.WriteTable(w, title, results)
	}
	forecastLine := func(rep *sim.Report) error {
		f := rep.ForecastError
		if f == nil {
			return nil
		}
		_, err := fmt.Fprintf(w, "forecast of the demand, %d forecasts of 48 h: MAPE %.1f%%, MAE %.2f instances, q%.2f covers %.0f%% (pinball %.2f)\n",
			f.Origins, 100*f.MAPE, f.MAE, f.Quantile, 100*f.Coverage, f.Pinball)
		return err
	}
	for _, s := range summaries {
		if !multi {
			if err := table("scenario "+s.Scenario, s.PerSeed[0].Results); err != nil {
				return err
			}
			if err := forecastLine(s.PerSeed[0]); err != nil {
				return err
			}
			continue
		}
		for _, rep := range s.PerSeed {
			if err := table(fmt.Sprintf("scenario %s, seed %d", s.Scenario, rep.Seed), rep.Results); err != nil {
				return err
			}
			if err := forecastLine(rep); err != nil {
				return err
			}
		}
		if err := table(fmt.Sprintf("scenario %s, mean of %s", s.Scenario, seedWords(s.Seeds)), s.Mean); err != nil {
			return err
		}
	}
	return nil
}

// set reports whether the flag called name was given.
func set(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}

// parseSeeds reads --seeds: one or more distinct seeds, comma-separated.
func parseSeeds(s string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a seed (want comma-separated whole numbers, e.g. 1,2,3)", f)
		}
		if slices.Contains(out, v) {
			return nil, fmt.Errorf("seed %d given twice", v)
		}
		out = append(out, v)
	}
	return out, nil
}

// seedWords names seeds for people: "seed 4", "seeds 1, 2, 3".
func seedWords(seeds []uint64) string {
	if len(seeds) == 1 {
		return fmt.Sprintf("seed %d", seeds[0])
	}
	words := make([]string, len(seeds))
	for i, s := range seeds {
		words[i] = strconv.FormatUint(s, 10)
	}
	return "seeds " + strings.Join(words, ", ")
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

func chartTitle(sc *scenario.Scenario, seed uint64) string {
	return fmt.Sprintf("%s: %s from %s, SLO %s, seed %d", sc.Name, sc.Duration, sc.Start.Format("2006-01-02 15:04 MST"), sc.SLO, seed)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
