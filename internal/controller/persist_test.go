package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/source"
	"github.com/headroom-dev/headroom/internal/store"
)

// steadyMetrics answers every query with the same value, one datapoint a
// minute up to the read's time, so that decisions do not change.
type steadyMetrics struct{ value float64 }

func (f steadyMetrics) Read(_ context.Context, now time.Time, qs []source.MetricQuery) map[string]source.Series {
	out := make(map[string]source.Series, len(qs))
	end := now.Truncate(time.Minute)
	for _, q := range qs {
		out[q.Key] = source.Series{ReadAt: now, Points: []source.Point{
			{At: end.Add(-time.Minute), Value: f.value}, {At: end.Add(-2 * time.Minute), Value: f.value},
		}}
	}
	return out
}

// callRecorder is a DecisionRecorder that keeps each call's groups.
type callRecorder struct {
	mu    sync.Mutex
	calls [][]string
}

func (r *callRecorder) AppendDecisions(_ context.Context, ds []store.Decision, _ store.Retention, _ time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var groups []string
	for _, d := range ds {
		groups = append(groups, d.Group)
	}
	r.calls = append(r.calls, groups)
	return nil
}

// fleetController returns a controller over n identical groups that hold
// at 2 instances, with rec as its decision recorder.
func fleetController(t *testing.T, n int, rec DecisionRecorder) *Controller {
	t.Helper()
	var b strings.Builder
	b.WriteString("interval: 10s\ngroups:\n")
	groups := map[string]asg.Group{}
	for i := range n {
		name := fmt.Sprintf("g%04d", i)
		fmt.Fprintf(&b, `  - name: %[1]s
    asg: %[1]s
    min: 2
    max: 10
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, dimensions: {AutoScalingGroupName: %[1]s}, stat: Average}
          target: 50
`, name)
		groups[name] = asg.Group{Name: name, Min: 2, Max: 10, Desired: 2, InService: 2, Serving: 2}
	}
	cfg, err := config.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	ctrl, err := New(cfg, Deps{
		Groups: &fakeGroups{groups: groups}, Scaler: &fakeScaler{}, Metrics: steadyMetrics{value: 50},
		Queues: &fakeQueues{}, Decisions: rec,
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ctrl
}

// TestPersistSpreadsUnchangedDecisions checks that a quiet fleet's
// decisions are recorded once a minute per group, spread over the cycles
// of the minute rather than all in one, and in calls of at most
// persistBatch decisions.
func TestPersistSpreadsUnchangedDecisions(t *testing.T) {
	const n, interval = 600, 10 * time.Second
	rec := &callRecorder{}
	ctrl := fleetController(t, n, rec)
	ctx := context.Background()

	perCycle := map[time.Time]int{}
	times := map[string][]time.Time{}
	for k := range 19 { // three minutes of cycles
		at := t0.Add(time.Duration(k) * interval)
		rec.calls = nil
		recs, err := ctrl.RunOnce(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Error != "" || r.Desired != 2 {
				t.Fatalf("%s: desired %d error %q; a steady group must hold at 2", r.Group, r.Desired, r.Error)
			}
		}
		for _, call := range rec.calls {
			if len(call) > persistBatch {
				t.Errorf("cycle %d: a call of %d decisions, more than %d", k, len(call), persistBatch)
			}
			perCycle[at] += len(call)
			for _, g := range call {
				times[g] = append(times[g], at)
			}
		}
	}

	if got := perCycle[t0]; got != n {
		t.Errorf("first cycle recorded %d decisions, want every group's (%d)", got, n)
	}
	// After the first cycle each cycle records its share of the minute:
	// n * interval / recordEvery, give or take the groups whose minute
	// starts between two cycles.
	share := n * int(interval) / int(recordEvery)
	for k := 1; k < 19; k++ {
		at := t0.Add(time.Duration(k) * interval)
		if got := perCycle[at]; got < share/2 || got > 2*share {
			t.Errorf("cycle %d recorded %d decisions, want about %d", k, got, share)
		}
	}
	for g, ts := range times {
		if !ts[0].Equal(t0) {
			t.Fatalf("%s first recorded at %s, want the first cycle", g, ts[0])
		}
		for j := 2; j < len(ts); j++ {
			if gap := ts[j].Sub(ts[j-1]); gap < recordEvery-interval || gap > recordEvery+interval {
				t.Errorf("%s: recorded %s after the one before, want a minute give or take a cycle", g, gap)
			}
		}
		if len(ts) < 3 || len(ts) > 5 {
			t.Errorf("%s recorded %d times in three minutes", g, len(ts))
		}
	}
}
