package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/source"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

// The controller's collaborators are our own small interfaces, so these
// tests use small fakes of them; the wire-level path is covered by the
// end-to-end tests against the emulator.

type fakeGroups struct {
	groups map[string]asg.Group
	err    error
	calls  atomic.Int32
}

func (f *fakeGroups) Describe(_ context.Context, names []string, _ func(string) time.Duration) (map[string]asg.Group, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]asg.Group{}
	for _, n := range names {
		if g, ok := f.groups[n]; ok {
			out[n] = g
		}
	}
	return out, nil
}

type fakeScaler struct {
	mu         sync.Mutex
	set        map[string]int
	refreshing map[string]bool
	refreshErr error
	setErr     map[string]error
}

func (f *fakeScaler) SetDesired(_ context.Context, name string, n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.setErr[name]; err != nil {
		return err
	}
	if f.set == nil {
		f.set = map[string]int{}
	}
	f.set[name] = n
	return nil
}

func (f *fakeScaler) RefreshInProgress(_ context.Context, name string) (bool, error) {
	return f.refreshing[name], f.refreshErr
}

type fakeMetrics struct{ series map[string]source.Series }

func (f *fakeMetrics) Read(_ context.Context, _ time.Time, qs []source.MetricQuery) map[string]source.Series {
	out := map[string]source.Series{}
	for _, q := range qs {
		if s, ok := f.series[q.Key]; ok {
			out[q.Key] = s
		}
	}
	return out
}

type fakeQueues struct {
	readings map[string]source.QueueReading
}

func (f *fakeQueues) Read(_ context.Context, qs []string) map[string]source.QueueReading {
	out := map[string]source.QueueReading{}
	for _, q := range qs {
		if r, ok := f.readings[q]; ok {
			out[q] = r
		}
	}
	return out
}

const testConfig = `
interval: 10s
groups:
  - name: workers
    asg: workers-asg
    min: 1
    max: 50
    warmup: 60s
    policies:
      - name: queue
        backlog:
          mode: per_instance
          acceptable_latency: 100s
          queues:
            - queue: jobs
              seconds_per_message: 1
  - name: api
    asg: api-asg
    min: 2
    max: 20
    policies:
      - name: cpu
        target_tracking:
          metric:
            namespace: AWS/EC2
            name: CPUUtilization
            dimensions: {AutoScalingGroupName: api-asg}
            stat: Average
          target: 50
`

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

type harness struct {
	groups  *fakeGroups
	scaler  *fakeScaler
	metrics *fakeMetrics
	queues  *fakeQueues
	tel     *telemetry.Metrics
	leader  bool
	ctrl    *Controller
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	cfg, err := config.Parse([]byte(testConfig))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	h := &harness{
		groups: &fakeGroups{groups: map[string]asg.Group{
			"workers-asg": {Name: "workers-asg", Min: 1, Max: 50, Desired: 10, InService: 10, Serving: 10},
			"api-asg":     {Name: "api-asg", Min: 2, Max: 20, Desired: 4, InService: 4, Serving: 4},
		}},
		scaler:  &fakeScaler{refreshing: map[string]bool{}},
		metrics: &fakeMetrics{series: map[string]source.Series{}},
		queues:  &fakeQueues{readings: map[string]source.QueueReading{}},
		tel:     telemetry.NewMetrics(),
		leader:  true,
	}
	// 10 serving workers with 1,500 messages at a target of 100 each: 15.
	h.queues.readings["jobs"] = source.QueueReading{Visible: 1500, At: t0, ReadAt: t0}
	// api at 50% CPU on target 50: hold.
	h.metrics.series["api/cpu"] = source.Series{Points: []source.Point{{At: t0.Add(-2 * time.Minute), Value: 50}}, ReadAt: t0}
	h.ctrl, err = New(cfg, Deps{
		Groups: h.groups, Scaler: h.scaler, Metrics: h.metrics, Queues: h.queues,
		Clock: clock.NewFake(t0), Telemetry: h.tel, Leader: func() bool { return h.leader },
	}, opts)
	if err != nil {
		t.Fatalf("new controller: %v", err)
	}
	return h
}

func (h *harness) run(t *testing.T) map[string]Record {
	t.Helper()
	recs, err := h.ctrl.RunOnce(context.Background(), t0)
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	out := map[string]Record{}
	for _, r := range recs {
		out[r.Group] = r
	}
	return out
}

func TestRunOnceActs(t *testing.T) {
	h := newHarness(t, Options{})
	recs := h.run(t)
	w := recs["workers"]
	if w.Desired != 15 || !w.Acted || w.Skipped != "" || w.Error != "" {
		t.Fatalf("workers: got desired %d acted %v skipped %q err %q, want 15 acted", w.Desired, w.Acted, w.Skipped, w.Error)
	}
	if got := h.scaler.set["workers-asg"]; got != 15 {
		t.Fatalf("SetDesired(workers-asg) = %d, want 15", got)
	}
	if _, ok := h.scaler.set["api-asg"]; ok {
		t.Fatalf("api held at its desired capacity but was written")
	}
	if a := recs["api"]; a.Desired != 4 || a.Acted {
		t.Fatalf("api: got desired %d acted %v, want 4, not acted", a.Desired, a.Acted)
	}
	if got := testutil.ToFloat64(h.tel.GroupCapacity.WithLabelValues("workers", "decided")); got != 15 {
		t.Fatalf("decided gauge = %v, want 15", got)
	}
	if got := testutil.ToFloat64(h.tel.ScalingActions.WithLabelValues("workers", "out", "ok")); got != 1 {
		t.Fatalf("scaling actions = %v, want 1", got)
	}
}

func TestRunOnceSkips(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		prepare func(*harness)
		skipped string
		wantErr bool
	}{
		{name: "dry run", opts: Options{DryRun: true}, skipped: SkipDryRun},
		{name: "not leader", prepare: func(h *harness) { h.leader = false }, skipped: SkipNotLeader},
		{name: "launch suspended", prepare: func(h *harness) {
			g := h.groups.groups["workers-asg"]
			g.Suspended, g.LaunchOrTerminateSuspended = []string{"Launch"}, true
			h.groups.groups["workers-asg"] = g
		}, skipped: SkipSuspended},
		{name: "instance refresh", prepare: func(h *harness) { h.scaler.refreshing["workers-asg"] = true }, skipped: SkipInstanceRefresh},
		{name: "refresh state unknown", prepare: func(h *harness) { h.scaler.refreshErr = errors.New("throttled") },
			skipped: SkipRefreshUnknown, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts)
			if tc.prepare != nil {
				tc.prepare(h)
			}
			w := h.run(t)["workers"]
			if w.Desired != 15 {
				t.Fatalf("decision = %d, want 15 (the decision is computed even when not acted on)", w.Desired)
			}
			if w.Acted || w.Skipped != tc.skipped {
				t.Fatalf("acted %v skipped %q, want not acted, skipped %q", w.Acted, w.Skipped, tc.skipped)
			}
			if (w.Error != "") != tc.wantErr {
				t.Fatalf("error %q, want error: %v", w.Error, tc.wantErr)
			}
			if len(h.scaler.set) != 0 {
				t.Fatalf("writes sent: %v", h.scaler.set)
			}
			if got := testutil.ToFloat64(h.tel.DecisionsSkipped.WithLabelValues("workers", tc.skipped)); got != 1 {
				t.Fatalf("skipped counter = %v, want 1", got)
			}
		})
	}
}

func TestRunOnceIsolatesGroupFailures(t *testing.T) {
	t.Run("group not found", func(t *testing.T) {
		h := newHarness(t, Options{})
		delete(h.groups.groups, "api-asg")
		recs := h.run(t)
		if !strings.Contains(recs["api"].Error, "not found") {
			t.Fatalf("api error = %q, want not found", recs["api"].Error)
		}
		if !recs["workers"].Acted {
			t.Fatalf("workers not acted on although only api is missing")
		}
	})
	t.Run("queue unreadable", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.queues.readings["jobs"] = source.QueueReading{Err: errors.New("AWS.SimpleQueueService.NonExistentQueue")}
		recs := h.run(t)
		w := recs["workers"]
		if w.Desired != 10 || w.Acted {
			t.Fatalf("workers: desired %d acted %v, want hold at 10", w.Desired, w.Acted)
		}
		if w.ScaleInBlocked == "" {
			t.Fatalf("missing input did not block scale-in")
		}
		if len(w.Proposals) != 1 || w.Proposals[0].OK || !strings.Contains(w.Proposals[0].Reason, "NonExistentQueue") {
			t.Fatalf("proposal does not say the queue is missing: %+v", w.Proposals)
		}
		if recs["api"].Error != "" {
			t.Fatalf("api affected by workers' queue: %q", recs["api"].Error)
		}
	})
	t.Run("write fails", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.scaler.setErr = map[string]error{"workers-asg": errors.New("ScalingActivityInProgress")}
		w := h.run(t)["workers"]
		if w.Acted || !strings.Contains(w.Error, "ScalingActivityInProgress") {
			t.Fatalf("acted %v error %q, want the write error", w.Acted, w.Error)
		}
		if got := testutil.ToFloat64(h.tel.ScalingActions.WithLabelValues("workers", "out", "error")); got != 1 {
			t.Fatalf("failed actions = %v, want 1", got)
		}
	})
	t.Run("describe fails", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.groups.err = errors.New("Throttling: Rate exceeded")
		recs, err := h.ctrl.RunOnce(context.Background(), t0)
		if err == nil {
			t.Fatalf("RunOnce succeeded although no group could be described")
		}
		for _, r := range recs {
			if r.Error == "" || r.Acted {
				t.Fatalf("%s: error %q acted %v, want an error and no action", r.Group, r.Error, r.Acted)
			}
		}
		if len(h.scaler.set) != 0 {
			t.Fatalf("writes sent without a description: %v", h.scaler.set)
		}
		if h.ctrl.Ready(t0) == nil {
			t.Fatalf("ready after a failed cycle")
		}
	})
}

func TestHistoryIsBounded(t *testing.T) {
	h := newHarness(t, Options{})
	h.ctrl.cfg.History = 3
	for i := range 5 {
		if _, err := h.ctrl.RunOnce(context.Background(), t0.Add(time.Duration(i)*10*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got := h.ctrl.History("workers", 0)
	if len(got) != 3 {
		t.Fatalf("history has %d records, want 3", len(got))
	}
	if want := t0.Add(40 * time.Second); !got[2].At.Equal(want) {
		t.Fatalf("newest record at %v, want %v", got[2].At, want)
	}
	if got := h.ctrl.History("workers", 2); len(got) != 2 {
		t.Fatalf("History(limit 2) = %d records", len(got))
	}
	if h.ctrl.History("nope", 0) != nil {
		t.Fatalf("history for an unknown group")
	}
}

func TestReady(t *testing.T) {
	h := newHarness(t, Options{})
	if err := h.ctrl.Ready(t0); err == nil {
		t.Fatalf("ready before any cycle")
	}
	h.run(t)
	if err := h.ctrl.Ready(t0.Add(10 * time.Second)); err != nil {
		t.Fatalf("not ready after a cycle: %v", err)
	}
	if err := h.ctrl.Ready(t0.Add(time.Hour)); err == nil {
		t.Fatalf("ready although the last cycle is an hour old")
	}
}

func TestRunLoopsOnTheClock(t *testing.T) {
	h := newHarness(t, Options{})
	clk := h.ctrl.deps.Clock.(*clock.Fake)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.ctrl.Run(ctx) }()
	for i := 1; i <= 3; i++ {
		// Wait for the loop to block on its timer, then move time on.
		if err := clk.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clk.Advance(11 * time.Second)
		waitFor(t, func() bool { return int(h.groups.calls.Load()) >= i+1 }, fmt.Sprintf("cycle %d", i+1))
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}

// waitFor polls cond with a deadline.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// leaseLosingScaler loses the lease while the controller checks for an
// instance refresh, between its decision and its write.
type leaseLosingScaler struct {
	fakeScaler
	lose func()
}

func (s *leaseLosingScaler) RefreshInProgress(ctx context.Context, name string) (bool, error) {
	s.lose()
	return s.fakeScaler.RefreshInProgress(ctx, name)
}

func TestLeaseLostMidCycleStopsWrites(t *testing.T) {
	h := newHarness(t, Options{})
	var leading atomic.Bool
	leading.Store(true)
	sc := &leaseLosingScaler{fakeScaler: fakeScaler{refreshing: map[string]bool{}}, lose: func() { leading.Store(false) }}
	h.ctrl.deps.Scaler = sc
	h.ctrl.deps.Leader = leading.Load
	got := h.run(t)["workers"]
	if got.Desired != 15 || got.Acted || got.Skipped != SkipNotLeader {
		t.Errorf("record = desired %d acted %v skipped %q; want 15, not acted, %q", got.Desired, got.Acted, got.Skipped, SkipNotLeader)
	}
	if len(sc.set) != 0 {
		t.Errorf("writes after the lease was lost: %v", sc.set)
	}
}
