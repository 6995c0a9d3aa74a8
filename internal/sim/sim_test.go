package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/sim/baseline"
	"github.com/headroom-dev/headroom/internal/sim/scenario"
	"github.com/headroom-dev/headroom/internal/sim/score"
)

func parse(t *testing.T, text string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse([]byte(text), "test", t.TempDir())
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return sc
}

// steady: 50 msg/s worked by 5 instances of 10 msg/s.
const steady = `
name: steady
start: 2026-12-15T06:00:00Z
duration: 10m
slo: 2m
workers:
  per_instance_rate: 10
  launch_time: {distribution: fixed, value: 90s}
  warmup: 60s
  min: 1
  max: 20
monitoring: {sqs_delay: 60s, ec2_delay: 60s, asg_delay: 60s}
load:
  - constant: {rate: 50}
`

// newWorld builds a world of sc on a fake clock with initial instances.
func newWorld(t *testing.T, sc *scenario.Scenario, initial int) (*World, *clock.Fake, *emulator.Server) {
	t.Helper()
	clk := clock.NewFake(sc.Start)
	em := emulator.New(clk)
	w, err := NewWorld(sc, em, clk, sc.Load(1), initial, 1)
	if err != nil {
		t.Fatal(err)
	}
	return w, clk, em
}

func TestWorldSteadyState(t *testing.T) {
	sc := parse(t, steady)
	w, clk, _ := newWorld(t, sc, 5)
	var st State
	for i := range 300 {
		if i > 0 {
			clk.Advance(Tick)
		}
		var err error
		if st, err = w.Step(i); err != nil {
			t.Fatal(err)
		}
		// Five instances of ten slots take each second's 50 arrivals at once
		// and finish them a second later: nothing waits.
		if st.Arrived != 50 || st.Visible != 0 || st.InFlight != 50 || st.Serving != 5 {
			t.Fatalf("step %d: %+v", i, st)
		}
		if i > 0 && st.Done != 50 {
			t.Fatalf("step %d: %d done, want 50", i, st.Done)
		}
	}
	// The minute ending at 06:01:00 is published a minute later, at
	// 06:02:00 (step 120). At 06:04:59 (step 299) minutes 06:00 to 06:02
	// are out; 06:03 comes at 06:05:00.
	got := w.Published().Last(baseline.MetricInService, 10)
	if len(got) != 3 || !got[0].At.Equal(sc.Start) || !got[2].At.Equal(sc.Start.Add(2*time.Minute)) {
		t.Fatalf("published in-service datapoints %v, want the minutes 06:00 to 06:02", got)
	}
	if cpu := w.Published().Last(baseline.MetricCPU, 1); len(cpu) != 1 || cpu[0].Value != 100 {
		t.Fatalf("cpu %v: five instances with all their slots busy run at 100%%", cpu)
	}
	// NumberOfMessagesSent: 50 a second is 3,000 in each of the minutes.
	sent := w.Published().Last(baseline.MetricSQSSent, 10)
	if len(sent) != 3 {
		t.Fatalf("published messages-sent datapoints %v, want the minutes 06:00 to 06:02", sent)
	}
	for _, d := range sent {
		if d.Value != 3000 {
			t.Errorf("messages sent in the minute of %s = %v, want 3000", d.At.Format("15:04"), d.Value)
		}
	}
}

func TestPolicies(t *testing.T) {
	want := []string{"headroom", "headroom-reactive", "aws-target-tracking", "aws-predictive", "aws-step", "hpa", "static-peak", "oracle"}
	if !slices.Equal(Policies, want) {
		t.Errorf("Policies = %v, want %v", Policies, want)
	}
	if baseline.NamePredictive != Predictive || baseline.NameTargetTracking != TargetTracking {
		t.Errorf("baseline names %q, %q differ from the policy names", baseline.NamePredictive, baseline.NameTargetTracking)
	}
}

func TestWithoutPredictive(t *testing.T) {
	policies := `
  policies:
    - name: q
      backlog:
        mode: per_instance
        queues:
          - {queue: sim-queue, target_per_instance: 300}
`
	tests := []struct {
		name  string
		block string
		// same is true when the scenario comes back as it is.
		same bool
	}{
		{name: "no headroom block", same: true},
		{name: "no predictive key", block: "headroom:\n  scale_in_window: 120s\n" + policies, same: true},
		{name: "predictive dropped, the rest kept", block: "headroom:\n  scale_in_window: 120s\n  predictive: {mode: floor}\n" + policies},
		{name: "only a predictive key", block: "headroom:\n  predictive: {mode: floor}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := parse(t, steady+tc.block)
			before := sc.Headroom
			got := WithoutPredictive(sc)
			if sc.Headroom != before {
				t.Fatalf("the scenario's own headroom block changed to %q", sc.Headroom)
			}
			if tc.same {
				if got != sc {
					t.Fatalf("got a new scenario with headroom %q, want the same one", got.Headroom)
				}
				return
			}
			if strings.Contains(got.Headroom, "predictive") {
				t.Fatalf("headroom block %q still has a predictive key", got.Headroom)
			}
			if strings.Contains(before, "scale_in_window") != strings.Contains(got.Headroom, "scale_in_window") ||
				strings.Contains(before, "per_instance") != strings.Contains(got.Headroom, "per_instance") {
				t.Fatalf("headroom block %q lost keys of %q", got.Headroom, before)
			}
			if strings.TrimSpace(got.Headroom) == "" {
				t.Fatalf("an emptied block became no block: headroom-reactive would run the default config")
			}
		})
	}
}

// TestHeadroomReactiveReusesHeadroom checks that Compare's shortcut (one
// run for both when the scenario has no predictive block) gives what
// simulating headroom-reactive on its own gives.
func TestHeadroomReactiveReusesHeadroom(t *testing.T) {
	sc := parse(t, spike)
	rep, err := Compare(context.Background(), sc, []string{Headroom, HeadroomReactive}, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := Simulate(context.Background(), sc, HeadroomReactive, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Results[1]
	want := alone.Result
	want.OracleCostRatio = got.OracleCostRatio // set by Compare, against its oracle
	if got.Policy != HeadroomReactive || rep.Runs[1].Policy != HeadroomReactive {
		t.Fatalf("second result is %q (run %q), want %s", got.Policy, rep.Runs[1].Policy, HeadroomReactive)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("headroom-reactive in Compare\n%+v\nsimulated alone\n%+v", got, want)
	}
	if h := rep.Results[0]; h.Policy != Headroom || h.InstanceHours != got.InstanceHours {
		t.Errorf("headroom %+v differs from headroom-reactive %+v on a scenario without a predictive block", h, got)
	}
}

// TestHeadroomReactiveConfig checks that headroom-reactive runs the
// scenario's config less its predictive block: the same group config
// headroom runs when there is none.
func TestHeadroomReactiveConfig(t *testing.T) {
	block := `
headroom:
  scale_in_window: 120s
  predictive: {mode: floor}
  policies:
    - name: q
      backlog:
        mode: per_instance
        queues:
          - {queue: sim-queue, target_per_instance: 300}
`
	with := parse(t, steady+block)
	without := parse(t, steady+strings.Replace(block, "  predictive: {mode: floor}\n", "", 1))
	got, err := HeadroomConfig(WithoutPredictive(with))
	if err != nil {
		t.Fatalf("headroom-reactive config: %v", err)
	}
	want, err := HeadroomConfig(without)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Groups, want.Groups) {
		t.Errorf("headroom-reactive groups\n%+v\nwant\n%+v", got.Groups, want.Groups)
	}
}

func TestWorldBacklogAndLaunch(t *testing.T) {
	sc := parse(t, steady)
	// Two instances for 50 msg/s: 30 a second pile up.
	w, clk, em := newWorld(t, sc, 2)
	for i := range 61 {
		if i > 0 {
			clk.Advance(Tick)
		}
		st, err := w.Step(i)
		if err != nil {
			t.Fatal(err)
		}
		if want := 30 * (i + 1); st.Visible != want {
			t.Fatalf("step %d: visible %d, want %d", i, st.Visible, want)
		}
		// The head of the queue moves 20 of each second's 50 arrivals a
		// second, 0.4 s of arrivals: after 60 s it is 0.6 x 60 s old.
		if i == 60 && st.OldestAge != 36*time.Second {
			t.Fatalf("oldest age %s after a minute of backlog, want 36s", st.OldestAge)
		}
	}
	// Three more instances: Pending for the launch time (90 s), then
	// InService but warming for 60 s, then serving.
	if _, err := em.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = em.Close() })
	client := autoscaling.NewFromConfig(em.AWSConfig())
	if _, err := client.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String(GroupName), DesiredCapacity: aws.Int32(5),
	}); err != nil {
		t.Fatal(err)
	}
	for i := 61; i <= 61+150; i++ {
		clk.Advance(Tick)
		st, err := w.Step(i)
		if err != nil {
			t.Fatal(err)
		}
		var want [3]int // pending, in service, serving
		switch since := i - 60; {
		case since < 90:
			want = [3]int{3, 2, 2}
		case since < 150:
			want = [3]int{0, 5, 2}
		default:
			want = [3]int{0, 5, 5}
		}
		if got := [3]int{st.Pending, st.InService, st.Serving}; got != want {
			t.Fatalf("%d s after the launch: pending, in service, serving = %v, want %v", i-60, got, want)
		}
	}
}

func TestWorldWithheldMetrics(t *testing.T) {
	sc := parse(t, steady+`
faults:
  - {kind: metrics_withheld, from: 2m, until: 4m}
`)
	w, clk, _ := newWorld(t, sc, 5)
	for i := range 600 {
		if i > 0 {
			clk.Advance(Tick)
		}
		if _, err := w.Step(i); err != nil {
			t.Fatal(err)
		}
	}
	var mins []int
	for _, d := range w.Published().Last(baseline.MetricSQSVisible, 100) {
		mins = append(mins, int(d.At.Sub(sc.Start)/time.Minute))
	}
	// Minutes 2 and 3 are withheld; minute 8 is published at 06:10:00,
	// after the last step (06:09:59).
	want := []int{0, 1, 4, 5, 6, 7}
	if len(mins) != len(want) {
		t.Fatalf("published minutes %v, want %v", mins, want)
	}
	for i := range want {
		if mins[i] != want[i] {
			t.Fatalf("published minutes %v, want %v", mins, want)
		}
	}
}

// spike is a short unannounced surge: 50 msg/s, then 400 for 10 minutes.
const spike = `
name: spike
start: 2026-12-15T06:00:00Z
duration: 40m
slo: 2m
workers:
  per_instance_rate: 10
  launch_time: {distribution: uniform, min: 60s, max: 120s}
  warmup: 30s
  min: 2
  max: 40
load:
  - constant: {rate: 50}
  - step: {at: 10m, rate: 350, until: 20m}
`

func TestHeadroomInTheLoop(t *testing.T) {
	sc := parse(t, spike)
	run, err := Simulate(context.Background(), sc, Headroom, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var out, in bool
	for _, a := range run.Actions {
		if a.To > a.From {
			out = true
		}
		if a.To < a.From {
			in = true
		}
		if a.To < sc.Workers.Min || a.To > sc.Workers.Max {
			t.Fatalf("action %+v outside [%d, %d]", a, sc.Workers.Min, sc.Workers.Max)
		}
	}
	if !out || !in {
		t.Fatalf("actions %+v: want a scale-out for the surge and a scale-in after it", run.Actions)
	}
	r := run.Result
	if r.ReactionSeconds == nil || *r.ReactionSeconds > 15 {
		t.Fatalf("reaction %v, want within one 10 s cycle plus 5 s", r.ReactionSeconds)
	}
	for i, s := range run.Samples {
		if s.Desired < sc.Workers.Min || s.Desired > sc.Workers.Max {
			t.Fatalf("sample %d: desired %d outside bounds", i, s.Desired)
		}
	}
}

func TestCompareIsDeterministic(t *testing.T) {
	sc := parse(t, spike+`
campaigns:
  - {name: surge, start: 10m, end: 20m, capacity: 35}
`)
	encode := func() string {
		t.Helper()
		rep, err := Compare(context.Background(), sc, Policies, Options{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	first, second := encode(), encode()
	if first != second {
		t.Fatalf("two runs with one seed differ:\n%s\n%s", first, second)
	}
	var rep struct {
		Scenario string           `json:"scenario"`
		Seed     uint64           `json:"seed"`
		Results  []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(first), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Scenario != "test" && rep.Scenario != "spike" || rep.Seed != 7 || len(rep.Results) != len(Policies) {
		t.Fatalf("report %s", first)
	}
	for i, r := range rep.Results {
		if r["policy"] != Policies[i] {
			t.Errorf("result %d is %v, want %s", i, r["policy"], Policies[i])
		}
		for _, k := range []string{"instance_hours", "oracle_cost_ratio", "under_provisioning_accuracy", "over_provisioning_accuracy",
			"under_provisioning_timeshare", "over_provisioning_timeshare", "jitter", "slo_violation_minutes",
			"max_backlog_age_seconds", "scaling_actions", "reaction_seconds", "serving_reaction_seconds"} {
			if _, ok := r[k]; !ok {
				t.Errorf("%s: no %q", r["policy"], k)
			}
		}
	}
	if rep.Results[len(rep.Results)-1]["oracle_cost_ratio"] != 1.0 {
		t.Errorf("the oracle's cost ratio is %v, want 1", rep.Results[len(rep.Results)-1]["oracle_cost_ratio"])
	}
}

func TestHeadroomConfig(t *testing.T) {
	tests := []struct {
		name    string
		block   string
		wantErr string
	}{
		{name: "default"},
		{name: "own policies", block: `
headroom:
  interval: 5s
  scale_in_window: 120s
  policies:
    - name: q
      backlog:
        mode: per_instance
        queues:
          - {queue: sim-queue, target_per_instance: 300}
`},
		{name: "bounds belong to the workers", block: `
headroom:
  max: 3
`, wantErr: "headroom.max"},
		{name: "bad policy", block: `
headroom:
  policies:
    - name: q
      backlog: {queues: [{queue: sim-queue, seconds_per_message: -1}]}
`, wantErr: "seconds_per_message"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := scenario.Parse([]byte(steady+tc.block), "test", t.TempDir())
			var cfg *config.Config
			if err == nil {
				cfg, err = HeadroomConfig(sc)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g := cfg.Groups[0]
			if g.ASG != GroupName || g.Min != 1 || g.Max != 20 || g.Warmup.Std() != time.Minute {
				t.Fatalf("group %+v", g)
			}
			// 90 s launch + 60 s warmup + the interval.
			if want := 150*time.Second + cfg.Interval.Std(); g.BoostLead.Std() != want {
				t.Errorf("boost_lead %s, want %s", g.BoostLead, want)
			}
		})
	}
}

// raceDetector is true when the tests run with the race detector.
var raceDetector bool

// TestOracleIsTheFloor runs the oracle and the baselines on every built-in
// scenario with seeds 1, 2 and 3 in the world: the oracle meets the SLO,
// costs exactly what its plan predicted, and no baseline that meets the
// SLO costs less. It takes about half a minute, and ten times that under
// the race detector, which has nothing to find in it that the other tests
// of the world do not cover; `make test` runs it again without.
func TestOracleIsTheFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every built-in scenario three times")
	}
	if raceDetector {
		t.Skip("numbers only; run without -race (make test does)")
	}
	baselines := []string{TargetTracking, Predictive, Step, HPA, StaticPeak, Oracle}
	for _, name := range scenario.BuiltinNames() {
		sc, err := scenario.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed-%d", name, seed), func(t *testing.T) {
				run := slices.DeleteFunc(slices.Clone(baselines), func(p string) bool { return Applies(sc, p) != nil })
				rep, err := Compare(context.Background(), sc, run, Options{Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				oracle := rep.Results[len(rep.Results)-1]
				if oracle.SLOViolationMinutes != 0 {
					t.Errorf("oracle: %.1f SLO violation minutes", oracle.SLOViolationMinutes)
				}
				plan := OraclePlan(sc, seed)
				if want := plan.InstanceHours(Tick); math.Abs(oracle.InstanceHours-want) > 1e-9 {
					t.Errorf("oracle: %.4f instance-hours in the world, %.4f planned", oracle.InstanceHours, want)
				}
				for _, r := range rep.Results[:len(rep.Results)-1] {
					if r.SLOViolationMinutes == 0 && r.InstanceHours < oracle.InstanceHours {
						t.Errorf("%s meets the SLO with %.2f instance-hours, below the oracle's %.2f", r.Policy, r.InstanceHours, oracle.InstanceHours)
					}
				}
			})
		}
	}
}

// TestArrivalsAreTheWorlds checks that Arrivals, which the oracle plans
// with, counts exactly the messages the world enqueues in each step: a
// fractional noisy rate and bursts, one of them past the run.
func TestArrivalsAreTheWorlds(t *testing.T) {
	sc := parse(t, steady+`  - noise: {relative: 0.3, correlation: 10s}
  - constant: {rate: 0.37}
  - burst: {at: 30s, messages: 500}
  - burst: {at: 30s, messages: 7}
  - burst: {at: 9m59s, messages: 11}
`)
	// newWorld plays seed 1.
	want := Arrivals(sc.Load(1), int(sc.Duration/Tick))
	w, clk, _ := newWorld(t, sc, 5)
	for i := range want {
		if i > 0 {
			clk.Advance(Tick)
		}
		st, err := w.Step(i)
		if err != nil {
			t.Fatal(err)
		}
		if st.Arrived != want[i] {
			t.Fatalf("step %d: the world enqueued %d, Arrivals says %d", i, st.Arrived, want[i])
		}
	}
}

func TestWarnings(t *testing.T) {
	sc := parse(t, steady) // min 1
	atMin := func(policy string, desired ...int) *Run {
		r := &Run{Policy: policy}
		for _, d := range desired {
			r.Samples = append(r.Samples, score.Sample{Desired: d})
		}
		return r
	}
	tests := []struct {
		name   string
		demand []int
		runs   []*Run
		want   string // a substring of the one warning; "" for none
	}{
		{
			name:   "demand never above min",
			demand: []int{0, 1, 1, 0},
			runs:   []*Run{atMin(HPA, 1, 1, 1, 1), atMin(Oracle, 1, 1, 1, 1)},
			want:   "demand never exceeds the group's min of 1 instances (peak 1)",
		},
		{
			name:   "every scaling policy at min",
			demand: []int{1, 3, 1, 1},
			runs:   []*Run{atMin(HPA, 1, 1, 1, 1), atMin(StaticPeak, 3, 3, 3, 3), atMin(Oracle, 1, 1, 1, 1)},
			want:   "every policy kept the group at its min of 1 instances",
		},
		{
			name:   "one policy moves",
			demand: []int{1, 3, 1, 1},
			runs:   []*Run{atMin(HPA, 1, 1, 1, 1), atMin(Oracle, 1, 2, 1, 1)},
		},
		{
			name:   "only static-peak",
			demand: []int{1, 3, 1, 1},
			runs:   []*Run{atMin(StaticPeak, 3, 3, 3, 3)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Warnings(sc, tc.demand, tc.runs)
			switch {
			case tc.want == "" && len(got) != 0:
				t.Fatalf("warnings %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Fatalf("warnings %q, want one saying %q", got, tc.want)
			}
		})
	}
}

// TestCompareWarnsOfALoadAtMin runs a load that one instance serves, in a
// group whose min is two: the report says so, and every row is the same.
func TestCompareWarnsOfALoadAtMin(t *testing.T) {
	sc := parse(t, strings.Replace(strings.Replace(steady, "rate: 50", "rate: 4", 1), "min: 1", "min: 2", 1))
	rep, err := Compare(context.Background(), sc, []string{HPA, Step, Oracle}, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "demand never exceeds the group's min of 2") {
		t.Fatalf("warnings %q", rep.Warnings)
	}
	for _, r := range rep.Results {
		if r.InstanceHours != rep.Results[0].InstanceHours {
			t.Errorf("%s: %g instance-hours, %s %g", r.Policy, r.InstanceHours, rep.Results[0].Policy, rep.Results[0].InstanceHours)
		}
	}
}

func TestSummarize(t *testing.T) {
	reps := []*Report{
		{Scenario: "s", Seed: 1, Results: []score.Result{{Policy: HPA, InstanceHours: 2}}, Warnings: []string{"low", "odd"}},
		{Scenario: "s", Seed: 2, Results: []score.Result{{Policy: HPA, InstanceHours: 4}}, Warnings: []string{"low"}},
		{Scenario: "s", Seed: 5, Results: []score.Result{{Policy: HPA, InstanceHours: 6}}, Warnings: []string{"odd", "low"}},
	}
	sum := Summarize(reps)
	if sum.Scenario != "s" || !slices.Equal(sum.Seeds, []uint64{1, 2, 5}) || len(sum.PerSeed) != 3 {
		t.Fatalf("summary %+v", sum)
	}
	if len(sum.Mean) != 1 || sum.Mean[0].InstanceHours != 4 {
		t.Fatalf("mean %+v", sum.Mean)
	}
	if want := []string{"low", "odd (seeds 1, 5)"}; !slices.Equal(sum.Warnings, want) {
		t.Fatalf("warnings %q, want %q", sum.Warnings, want)
	}
	data, err := json.Marshal(Summarize(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"warnings":[]`) {
		t.Fatalf("no warnings should be an empty list: %s", data)
	}
}

func TestCampaignsSizedByAudience(t *testing.T) {
	const perInstance = `
headroom:
  policies:
    - name: q
      backlog:
        mode: per_instance
        queues:
          - {queue: sim-queue, target_per_instance: 300}
`
	tests := []struct {
		name      string
		campaigns string
		block     string
		// want is the sized campaign's capacity and end; wantErr a part
		// of the error.
		capacity int
		end      time.Duration
		wantErr  string
	}{
		// 60,000 recipients x 1 message: the default curve's peak bucket
		// is 10% of them in 5 minutes, 20 msg/s; the default backlog queue
		// costs 1 s / (10 x 1.0) = 0.1 units per msg/s: 2 instances. The
		// window ends 15 minutes in, with the curve's peak bucket, plus
		// the group's lead: launch 90 s + warmup 60 s + a 10 s cycle.
		{name: "default curve and cost", campaigns: "{name: c, start: 1m, audience: 60000}",
			capacity: 2, end: time.Minute + 15*time.Minute + 160*time.Second},
		{name: "messages per recipient and end", campaigns: "{name: c, start: 1m, end: 9m, audience: 60000, messages_per_recipient: 3}",
			capacity: 6, end: 9 * time.Minute},
		{name: "capped at max", campaigns: "{name: c, start: 1m, audience: 6000000}", capacity: 20,
			end: time.Minute + 15*time.Minute + 160*time.Second},
		{name: "by capacity untouched", campaigns: "{name: c, start: 1m, end: 5m, capacity: 7}", capacity: 7, end: 5 * time.Minute},
		{name: "no cost per message", campaigns: "{name: c, start: 1m, audience: 60000}", block: perInstance,
			wantErr: "no backlog queue with seconds_per_message"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := parse(t, steady+"campaigns: ["+tc.campaigns+"]\n"+tc.block)
			cs, err := Campaigns(sc)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if _, err := CampaignPlan(sc).Plan(context.Background(), sc.Start); err == nil {
					t.Error("CampaignPlan planned a campaign that cannot be sized")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c := cs[0]; c.Capacity != tc.capacity || c.End != tc.end {
				t.Errorf("sized %+v, want capacity %d end %s", c, tc.capacity, tc.end)
			}
			if sc.Campaigns[0].Audience > 0 && sc.Campaigns[0].Capacity != 0 {
				t.Error("Campaigns changed the scenario's own campaigns")
			}
			plan, err := CampaignPlan(sc).Plan(context.Background(), sc.Start)
			if err != nil {
				t.Fatal(err)
			}
			if b := plan.Boosts[0]; b.MinCapacity != tc.capacity || !b.End.Equal(sc.Start.Add(tc.end)) {
				t.Errorf("boost %+v, want floor %d until %s", b, tc.capacity, sc.Start.Add(tc.end))
			}
		})
	}
}
