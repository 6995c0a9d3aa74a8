package ecs

import (
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// states returns the states of a service's tasks in creation order.
func states(t *testing.T, s *Service) []string {
	t.Helper()
	tasks, ok := s.Tasks("prod", "web")
	if !ok {
		t.Fatal("service prod/web is missing")
	}
	out := make([]string, len(tasks))
	for i, tk := range tasks {
		out[i] = tk.State
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStartTimeFunc: each new task draws its start time once, in creation
// order; tasks the service starts RUNNING with draw nothing and run since
// their creation.
func TestStartTimeFunc(t *testing.T) {
	clk := clock.NewFake(t0)
	s := New(clk)
	var draws []string
	starts := []time.Duration{20 * time.Second, 60 * time.Second, 40 * time.Second}
	s.SetStartTimeFunc(func(c, n string) time.Duration {
		draws = append(draws, c+"/"+n)
		return starts[len(draws)-1]
	})
	if err := s.CreateService("prod", "web", ServiceOptions{Desired: 2, Running: true, StartTime: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if len(draws) != 0 {
		t.Fatalf("a service starting RUNNING drew %d start times", len(draws))
	}
	tasks, _ := s.Tasks("prod", "web")
	for _, tk := range tasks {
		if tk.State != TaskRunning || !tk.RunningAt.Equal(t0) {
			t.Fatalf("initial task %+v: want RUNNING since %v", tk, t0)
		}
	}
	if !s.SetDesiredCount("service/prod/web", 5) {
		t.Fatal("SetDesiredCount: service not found")
	}
	if len(draws) != 3 || draws[0] != "prod/web" {
		t.Fatalf("draws %v: want three for prod/web", draws)
	}
	tasks, _ = s.Tasks("prod", "web")
	for i, tk := range tasks[2:] {
		if want := t0.Add(starts[i]); tk.State != TaskPending || !tk.RunningAt.Equal(want) || !tk.CreatedAt.Equal(t0) {
			t.Fatalf("new task %d %+v: want PENDING until %v", i, tk, want)
		}
	}
	steps := []struct {
		at   time.Duration
		want []string
	}{
		{19 * time.Second, []string{TaskRunning, TaskRunning, TaskPending, TaskPending, TaskPending}},
		{20 * time.Second, []string{TaskRunning, TaskRunning, TaskRunning, TaskPending, TaskPending}},
		{40 * time.Second, []string{TaskRunning, TaskRunning, TaskRunning, TaskPending, TaskRunning}},
		{60 * time.Second, []string{TaskRunning, TaskRunning, TaskRunning, TaskRunning, TaskRunning}},
	}
	for _, st := range steps {
		clk.Advance(t0.Add(st.at).Sub(clk.Now()))
		if got := states(t, s); !equal(got, st.want) {
			t.Fatalf("at %v: states %v, want %v", st.at, got, st.want)
		}
	}
	s.SetStartTimeFunc(nil)
	s.SetDesiredCount("service/prod/web", 6)
	tasks, _ = s.Tasks("prod", "web")
	if got := tasks[5].RunningAt.Sub(tasks[5].CreatedAt); got != time.Hour {
		t.Fatalf("after SetStartTimeFunc(nil) a task starts in %v, want the service's 1h", got)
	}
}

// TestTasksStopping: scale-in stops the latest tasks, which read STOPPING
// until the stop time has passed and are then gone.
func TestTasksStopping(t *testing.T) {
	clk := clock.NewFake(t0)
	s := New(clk)
	if err := s.CreateService("prod", "web", ServiceOptions{Desired: 3, Running: true, StopTime: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	s.SetDesiredCount("service/prod/web", 1)
	if got, want := states(t, s), []string{TaskRunning, TaskStopping, TaskStopping}; !equal(got, want) {
		t.Fatalf("after scale-in: %v, want %v", got, want)
	}
	clk.Advance(30 * time.Second)
	if got, want := states(t, s), []string{TaskRunning}; !equal(got, want) {
		t.Fatalf("after the stop time: %v, want %v", got, want)
	}
	if _, ok := s.Tasks("prod", "gone"); ok {
		t.Fatal("Tasks of a missing service reported ok")
	}
}
