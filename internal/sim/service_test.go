package sim

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/emulator/ecs"
	"github.com/headroom-dev/headroom/internal/sim/baseline"
	"github.com/headroom-dev/headroom/internal/sim/scenario"
)

// steadyService: 50 msg/s worked by the tasks of an ECS service, each of
// 10 msg/s, that start in a fixed 30 s and warm up for 20 s.
const steadyService = `
name: steady-service
start: 2026-12-15T06:00:00Z
duration: 10m
slo: 2m
workers:
  target: ecs_service
  per_instance_rate: 10
  start_time: 30s
  warmup: 20s
  min: 1
  max: 20
load:
  - constant: {rate: 50}
`

const serviceID = "service/" + ClusterName + "/" + ServiceName

// TestWorldCountsTasks: the world counts a service's tasks as it counts a
// group's instances: the tasks it starts with serve at once; a new task
// is pending until RUNNING, then in service and warming for the warmup,
// then serving; a stopping task counts nowhere.
func TestWorldCountsTasks(t *testing.T) {
	sc := parse(t, steadyService)
	w, clk, em := newWorld(t, sc, 2)
	step := func(i int) State {
		t.Helper()
		if i > 0 {
			clk.Advance(Tick)
		}
		st, err := w.Step(i)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := step(0); st.Desired != 2 || st.Serving != 2 || st.InService != 2 || st.Pending != 0 || st.Min != 1 || st.Max != 20 {
		t.Fatalf("at the start: %+v; want the two initial tasks serving at once within [1, 20]", st)
	}
	if !em.ECS.SetDesiredCount(serviceID, 5) {
		t.Fatal("the world's service is missing")
	}
	tests := []struct {
		name                        string
		until                       int // the phase's last step, seconds after the scale-out
		pending, inService, serving int
	}{
		{"starting", 29, 3, 2, 2},
		{"warming", 49, 0, 5, 2},
		{"serving", 60, 0, 5, 5},
	}
	i := 0
	for _, tc := range tests {
		for ; i < tc.until; i++ {
			st := step(i + 1)
			if got, want := [4]int{st.Desired, st.Pending, st.InService, st.Serving}, [4]int{5, tc.pending, tc.inService, tc.serving}; got != want {
				t.Fatalf("%s, %d s after the scale-out: desired, pending, in service, serving = %v, want %v", tc.name, i+1, got, want)
			}
		}
	}
	em.ECS.SetDesiredCount(serviceID, 3)
	if st := step(i + 1); st.Desired != 3 || st.InService != 3 || st.Serving != 3 || st.Pending != 0 {
		t.Fatalf("after a scale-in to 3: %+v; stopping tasks must count nowhere", st)
	}
	// The first minute's datapoints are published a minute after it
	// ends, at step 120.
	for i += 2; i <= 120; i++ {
		step(i)
	}
	if got := w.Published().Last(baseline.MetricInService, 10); len(got) != 0 {
		t.Fatalf("a service published Auto Scaling group datapoints %v", got)
	}
	if cpu := w.Published().Last(baseline.MetricCPU, 1); len(cpu) != 1 {
		t.Fatalf("a service's CPU: %v, want its first minute published", cpu)
	}
}

// TestServiceTaskStartTimes: the k-th task of a run, counting the initial
// ones, starts in the k-th draw of the run's launch stream, the draws the
// oracle plans with.
func TestServiceTaskStartTimes(t *testing.T) {
	sc := parse(t, strings.Replace(steadyService, "start_time: 30s", "start_time: {distribution: uniform, min: 20s, max: 60s}", 1))
	w, _, em := newWorld(t, sc, 2)
	if _, err := w.Step(0); err != nil {
		t.Fatal(err)
	}
	em.ECS.SetDesiredCount(serviceID, 8)
	tasks, _ := em.ECS.Tasks(ClusterName, ServiceName)
	stream := launchStream(1)
	// The two initial tasks take the first two draws.
	sc.Workers.LaunchTime.Sample(stream)
	sc.Workers.LaunchTime.Sample(stream)
	for k, tk := range tasks[2:] {
		want := sc.Workers.LaunchTime.Sample(stream)
		if got := tk.RunningAt.Sub(tk.CreatedAt); got != want || tk.State != ecs.TaskPending {
			t.Fatalf("task %d: %s, starts in %v; want PENDING for the stream's draw %v", k, tk.State, got, want)
		}
		if want < 20*time.Second || want > 60*time.Second {
			t.Fatalf("draw %v outside the scenario's 20s..60s", want)
		}
	}
}

// spikeService is a short surge on a queue worked by an ECS service.
const spikeService = `
name: spike-service
start: 2026-12-15T06:00:00Z
duration: 20m
slo: 2m
workers:
  target: ecs_service
  per_instance_rate: 10
  start_time: {distribution: uniform, min: 20s, max: 60s}
  warmup: 10s
  min: 2
  max: 40
load:
  - constant: {rate: 50}
  - step: {at: 5m, rate: 300, until: 12m}
`

// TestServiceScenarioRuns: Headroom scales the service through its ECS
// target (out for the surge, in after it) and the oracle, which knows
// every task's start time, meets the SLO at no more cost.
func TestServiceScenarioRuns(t *testing.T) {
	sc := parse(t, spikeService)
	cfg, err := HeadroomConfig(sc)
	if err != nil {
		t.Fatal(err)
	}
	if g := cfg.Groups[0]; g.Target.Kind != "ecs_service" || g.Target.Cluster != ClusterName || g.Target.Service != ServiceName || g.ASG != "" {
		t.Fatalf("headroom's group target %+v asg %q; want the service %s/%s", g.Target, g.ASG, ClusterName, ServiceName)
	}
	rep, err := Compare(context.Background(), sc, []string{Headroom, Oracle}, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	h, o := rep.Runs[0], rep.Runs[1]
	var out, in bool
	for _, a := range h.Actions {
		out = out || a.To > a.From
		in = in || a.To < a.From
	}
	if !out || !in {
		t.Fatalf("headroom's actions %+v: want a scale-out for the surge and a scale-in after it", h.Actions)
	}
	if o.Result.SLOViolationMinutes != 0 {
		t.Fatalf("the oracle violated the SLO for %v minutes: its plan does not know the tasks' start times", o.Result.SLOViolationMinutes)
	}
	if h.Result.InstanceHours < o.Result.InstanceHours {
		t.Fatalf("headroom's %v task-hours below the oracle's %v", h.Result.InstanceHours, o.Result.InstanceHours)
	}
}

// TestServicePolicies: on a service the AWS baselines and hpa are refused
// with the reason, and all means the policies that run on it.
func TestServicePolicies(t *testing.T) {
	svc := parse(t, steadyService)
	group := parse(t, steady)
	want := []string{Headroom, HeadroomReactive, StaticPeak, Oracle}
	if got := PoliciesFor(svc); !slices.Equal(got, want) {
		t.Fatalf("PoliciesFor(service) = %v, want %v", got, want)
	}
	if got := PoliciesFor(group); !slices.Equal(got, Policies) {
		t.Fatalf("PoliciesFor(group) = %v, want every policy", got)
	}
	for _, p := range Policies {
		t.Run(p, func(t *testing.T) {
			if err := Applies(group, p); err != nil {
				t.Fatalf("on a group: %v", err)
			}
			err := Applies(svc, p)
			if slices.Contains(want, p) {
				if err != nil {
					t.Fatalf("on a service: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), `policy "`+p+`"`) || !strings.Contains(err.Error(), "ECS service (workers.target: ecs_service)") {
				t.Fatalf("on a service: error %v, want one naming the policy and the service", err)
			}
			if _, err := Compare(context.Background(), svc, []string{p}, Options{Seed: 1}); err == nil {
				t.Fatal("Compare ran a policy that does not apply")
			}
		})
	}
}

// TestServiceHeadroomBlock: a scenario's headroom block cannot name the
// target, which the workers set.
func TestServiceHeadroomBlock(t *testing.T) {
	_, err := scenario.Parse([]byte(steadyService+"headroom: {target: {kind: asg, name: x}}\n"), "t", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "headroom.target") {
		t.Fatalf("error %v, want headroom.target refused", err)
	}
}
