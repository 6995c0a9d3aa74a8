package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/testenv"
)

// TestMain lets a test run the real binary's main in a child process (the
// test binary itself), to send it signals.
func TestMain(m *testing.M) {
	if os.Getenv("HEADROOM_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	// Tests of Kubernetes targets share one API server (testenv.Kube),
	// stopped once the package's tests end.
	os.Exit(testenv.RunKube(m))
}

const shortScenario = `
name: short
start: 2026-12-15T06:00:00Z
duration: 30m
slo: 2m
workers:
  per_instance_rate: 10
  launch_time: {distribution: uniform, min: 60s, max: 120s}
  warmup: 30s
  min: 2
  max: 50
load:
  - constant: {rate: 40}
  - step: {at: 10m, rate: 300, until: 20m}
`

func TestSimulateCommand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "short.yaml")
	if err := os.WriteFile(file, []byte(shortScenario), 0o600); err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(dir, "short.svg")
	args := []string{"simulate", "--scenario", file, "--policy", "headroom,aws-target-tracking", "--format", "json", "--chart", chart, "--seed", "4"}
	code, out, errOut := runCLI(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Scenario string   `json:"scenario"`
		Seed     uint64   `json:"seed"`
		Warnings []string `json:"warnings"`
		Results  []struct {
			Policy          string   `json:"policy"`
			InstanceHours   float64  `json:"instance_hours"`
			OracleCostRatio *float64 `json:"oracle_cost_ratio"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if rep.Scenario != "short" || rep.Seed != 4 || len(rep.Results) != 2 || rep.Warnings == nil ||
		rep.Results[0].Policy != "headroom" || rep.Results[1].Policy != "aws-target-tracking" {
		t.Fatalf("report: %s", out)
	}
	for _, r := range rep.Results {
		if r.InstanceHours <= 0 || r.OracleCostRatio == nil {
			t.Errorf("%s: instance hours %g, oracle ratio %v", r.Policy, r.InstanceHours, r.OracleCostRatio)
		}
	}
	if st, err := os.Stat(chart); err != nil || st.Size() == 0 {
		t.Fatalf("chart: %v", err)
	}
	if _, again, _ := runCLI(t, context.Background(), args...); again != out {
		t.Errorf("the same seed printed different numbers:\n%s\n%s", out, again)
	}

	code, table, errOut := runCLI(t, context.Background(), "simulate", "--scenario", file, "--policy", "static-peak")
	if code != 0 || !strings.Contains(table, "static-peak") {
		t.Fatalf("table: exit %d\n%s\n%s", code, table, errOut)
	}
}

func TestSimulateRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{name: "no scenario", args: []string{"simulate"}, wantCode: 2, want: "--scenario"},
		{name: "unknown policy", args: []string{"simulate", "--scenario", "flash-spike", "--policy", "magic"}, wantCode: 2, want: `"magic"`},
		{name: "unknown format", args: []string{"simulate", "--scenario", "flash-spike", "--format", "xml"}, wantCode: 2, want: "--format"},
		{name: "unknown scenario", args: []string{"simulate", "--scenario", "no-such-scenario"}, wantCode: 1, want: "no-such-scenario"},
		{name: "unknown key", args: []string{"simulate", "--scenario", write("bad.yaml", strings.Replace(shortScenario, "slo: 2m", "slo: 2m\nbogus: 1", 1))}, wantCode: 1, want: "bogus"},
		{name: "negative rate", args: []string{"simulate", "--scenario", write("neg.yaml", strings.Replace(shortScenario, "rate: 40", "rate: -40", 1))}, wantCode: 1, want: "rate"},
		{name: "missing trace", args: []string{"simulate", "--scenario", write("trace.yaml", shortScenario+"  - trace: {file: nowhere.csv, peak: 100}\n")}, wantCode: 1, want: "nowhere.csv"},
		{name: "bad headroom block", args: []string{"simulate", "--scenario", write("hr.yaml", shortScenario+"headroom:\n  max: 3\n")}, wantCode: 1, want: "headroom.max"},
		{name: "a group's baseline on a service", args: []string{"simulate", "--scenario", "ecs-service-spike", "--policy", "headroom,aws-target-tracking"}, wantCode: 1,
			want: `policy "aws-target-tracking" models an EC2 Auto Scaling policy and scenario "ecs-service-spike"'s workers are an ECS service`},
		{name: "chart with all", args: []string{"simulate", "--scenario", "all", "--chart", "x.png"}, wantCode: 2, want: "--chart-dir"},
		{name: "seed and seeds", args: []string{"simulate", "--scenario", "flash-spike", "--seed", "1", "--seeds", "2,3"}, wantCode: 2, want: "exclude each other"},
		{name: "a seed that is not a number", args: []string{"simulate", "--scenario", "flash-spike", "--seeds", "1,two"}, wantCode: 2, want: `"two"`},
		{name: "no seeds", args: []string{"simulate", "--scenario", "flash-spike", "--seeds", ""}, wantCode: 2, want: "--seeds"},
		{name: "a seed twice", args: []string{"simulate", "--scenario", "flash-spike", "--seeds", "1,2,1"}, wantCode: 2, want: "seed 1 given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, context.Background(), tc.args...)
			if code != tc.wantCode || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d naming %q", code, errOut, tc.wantCode, tc.want)
			}
			if out != "" {
				t.Errorf("printed a result for bad input: %s", out)
			}
		})
	}
}

// TestSimulateService: --policy all on a service runs the policies that
// apply to it.
func TestSimulateService(t *testing.T) {
	file := filepath.Join(t.TempDir(), "svc.yaml")
	svc := strings.Replace(shortScenario, "  launch_time: {distribution: uniform, min: 60s, max: 120s}", "  target: ecs_service\n  start_time: {distribution: uniform, min: 20s, max: 60s}", 1)
	if err := os.WriteFile(file, []byte(svc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, context.Background(), "simulate", "--scenario", file, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Results []struct {
			Policy string `json:"policy"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Policy)
	}
	if want := "headroom headroom-reactive static-peak oracle"; strings.Join(got, " ") != want {
		t.Fatalf("policies %v, want %s", got, want)
	}
}

// TestSimulateSeeds runs two seeds: a table per seed and one of their
// mean, and in JSON each seed's report and the mean.
func TestSimulateSeeds(t *testing.T) {
	file := filepath.Join(t.TempDir(), "short.yaml")
	if err := os.WriteFile(file, []byte(shortScenario), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"simulate", "--scenario", file, "--policy", "hpa,oracle", "--seeds", "4, 7"}
	code, out, errOut := runCLI(t, context.Background(), append(args, "--format", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	type result struct {
		Policy        string  `json:"policy"`
		InstanceHours float64 `json:"instance_hours"`
	}
	var sum struct {
		Scenario string   `json:"scenario"`
		Seeds    []uint64 `json:"seeds"`
		PerSeed  []struct {
			Seed     uint64   `json:"seed"`
			Results  []result `json:"results"`
			Warnings []string `json:"warnings"`
		} `json:"per_seed"`
		Mean     []result `json:"mean"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if sum.Scenario != "short" || len(sum.Seeds) != 2 || sum.Seeds[0] != 4 || sum.Seeds[1] != 7 ||
		len(sum.PerSeed) != 2 || sum.PerSeed[0].Seed != 4 || sum.PerSeed[1].Seed != 7 || len(sum.Mean) != 2 ||
		sum.Warnings == nil || len(sum.Warnings) != 0 {
		t.Fatalf("summary: %s", out)
	}
	for i, m := range sum.Mean {
		a, b := sum.PerSeed[0].Results[i], sum.PerSeed[1].Results[i]
		if m.Policy != a.Policy || math.Abs(m.InstanceHours-(a.InstanceHours+b.InstanceHours)/2) > 1e-9 {
			t.Errorf("mean %+v of %+v and %+v", m, a, b)
		}
	}
	if a, b := sum.PerSeed[0].Results[0], sum.PerSeed[1].Results[0]; a.InstanceHours == b.InstanceHours {
		t.Errorf("seeds 4 and 7 cost the same (%g): are they both run?", a.InstanceHours)
	}

	code, table, errOut := runCLI(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, title := range []string{"scenario short, seed 4\n", "scenario short, seed 7\n", "scenario short, mean of seeds 4, 7\n"} {
		if !strings.Contains(table, title) {
			t.Errorf("the table lacks %q:\n%s", title, table)
		}
	}
}

// TestSimulateWarns runs a load one instance serves in a group of at least
// two: the warning goes to stderr and into the JSON report.
func TestSimulateWarns(t *testing.T) {
	file := filepath.Join(t.TempDir(), "idle.yaml")
	idle := strings.Replace(strings.Replace(shortScenario, "rate: 40", "rate: 4", 1), "rate: 300", "rate: 5", 1)
	if err := os.WriteFile(file, []byte(idle), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, context.Background(), "simulate", "--scenario", file, "--policy", "hpa", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "warning: scenario short: demand never exceeds the group's min of 2") {
		t.Errorf("stderr: %s", errOut)
	}
	var rep struct {
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Warnings) != 1 {
		t.Fatalf("report warnings %q (%v):\n%s", rep.Warnings, err, out)
	}
}

func TestSimulateList(t *testing.T) {
	code, out, errOut := runCLI(t, context.Background(), "simulate", "--list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, n := range []string{"year-end-campaign", "bulk-dispatch", "onboarding-wave", "diurnal", "flash-spike", "metric-outage", "azure-functions-day"} {
		if !strings.Contains(out, n) {
			t.Errorf("--list lacks %s:\n%s", n, out)
		}
	}
}

// TestDemoScalesAndStopsOnSIGINT runs `headroom demo` as a process, fast,
// waits for a scale-out it carried out, then interrupts it as Ctrl-C would.
func TestDemoScalesAndStopsOnSIGINT(t *testing.T) {
	cmd := exec.Command(os.Args[0], "demo", "--speed", "100", "--listen", freeAddr(t), "--log-format", "json")
	cmd.Env = append(os.Environ(), "HEADROOM_TEST_RUN_MAIN=1")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	scaled := make(chan map[string]any, 1)
	var lines []string
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			if rec["msg"] == "decision" && rec["acted"] == true {
				if d, c := rec["decided"].(float64), rec["current"].(float64); d > c {
					select {
					case scaled <- rec:
					default:
					}
				}
			}
		}
		done <- cmd.Wait()
	}()
	select {
	case rec := <-scaled:
		t.Logf("scale-out: %v", rec)
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("no scale-out within 2 minutes (200 simulated minutes):\n%s", strings.Join(lines, "\n"))
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo exited with %v after SIGINT:\n%s", err, strings.Join(lines, "\n"))
		}
		// The banner names the group as ctl and the API know it.
		for _, want := range []string{`Group "workers" (Auto Scaling group "sim-workers")`, "`headroom ctl group workers`"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("demo's banner lacks %s:\n%s", want, stdout.String())
			}
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("demo did not stop within 15 s of SIGINT")
	}
}
