package controller

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/source"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/memory"
)

// predictiveConfig is a queue-driven group; %s is its predictive block.
const predictiveConfig = `
interval: 10s
call_timeout: 2s
groups:
  - name: workers
    asg: workers
    min: 1
    max: 12
    warmup: 0s
    scale_in_window: 60s
    max_age: 120s
%s    policies:
      - name: queue
        backlog:
          acceptable_latency: 60s
          queues:
            - queue: jobs
              seconds_per_message: 0.1
`

// countingHistory is the bolt store seen through HistoryStore, counting
// RecordHistory calls and failing the next one when told to.
type countingHistory struct {
	HistoryStore
	mu    sync.Mutex
	calls [][]store.HistoryPoint
	fail  bool
}

func (h *countingHistory) RecordHistory(ctx context.Context, pts []store.HistoryPoint, keep time.Duration, now time.Time) error {
	h.mu.Lock()
	h.calls = append(h.calls, append([]store.HistoryPoint(nil), pts...))
	fail := h.fail
	h.fail = false
	h.mu.Unlock()
	if keep != store.HistoryKeep {
		return errors.New("keep is not store.HistoryKeep")
	}
	if fail {
		return errors.New("injected failure")
	}
	return h.HistoryStore.RecordHistory(ctx, pts, keep, now)
}

// newPredictiveWorld is the end-to-end world of e2e_test.go with the
// group of predictiveConfig and history kept in bolt.
func newPredictiveWorld(t *testing.T, block string, hs HistoryStore, opts Options, leader func() bool) *world {
	t.Helper()
	clk := clock.NewFake(t0)
	em := emulator.StartTest(t, clk)
	em.AutoScaling.SetLaunchTime(30 * time.Second)
	awsCfg := em.AWSConfig()
	awsapi.Instrument(&awsCfg, nil, 2*time.Second)
	ctx := context.Background()
	if _, err := autoscaling.NewFromConfig(awsCfg).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("workers"), MinSize: aws.Int32(1), MaxSize: aws.Int32(12), DesiredCapacity: aws.Int32(1),
	}); err != nil {
		t.Fatalf("create group: %v", err)
	}
	if _, err := sqs.NewFromConfig(awsCfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")}); err != nil {
		t.Fatalf("create queue: %v", err)
	}
	cfg, err := config.Parse([]byte(strings.Replace(predictiveConfig, "%s", block, 1)))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	actuator := asg.New(autoscaling.NewFromConfig(awsCfg), clk)
	ctrl, err := New(cfg, Deps{
		Groups: actuator, Scaler: actuator,
		Metrics: source.NewCloudWatch(cloudwatch.NewFromConfig(awsCfg)),
		Queues:  source.NewSQS(sqs.NewFromConfig(awsCfg), clk, 4),
		Clock:   clk, History: hs, Leader: leader,
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, clk: clk, em: em, ctrl: ctrl, perInstance: 10}
	w.clk.Advance(time.Minute)
	return w
}

func TestDemandHistoryOnePointPerBucket(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	hs := &countingHistory{HistoryStore: st}
	w := newPredictiveWorld(t, "", hs, Options{}, nil)
	w.arrivals = 40
	// From 09:01 to 09:11:10: the 09:00 and 09:05 buckets end. want holds
	// each bucket's sums of the decisions' arrivals and need.
	type sums struct{ arrivals, need float64 }
	want := map[time.Time]sums{}
	for range 61 {
		r := w.step()
		need, ok := needOf(r.Decision)
		if !ok {
			t.Fatalf("no proposal at %s: %s", r.At, r.Reason)
		}
		at := store.HistoryBucketStart(r.At)
		s := want[at]
		s.arrivals += arrivalsOf(r.Decision)
		s.need += need
		want[at] = s
	}
	if len(hs.calls) != 2 {
		t.Fatalf("RecordHistory called %d times, want once per ended bucket (2): %+v", len(hs.calls), hs.calls)
	}
	got, err := st.ListHistory(ctx, "workers", t0.Add(-time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].At.Equal(t0) || !got[1].At.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("history = %+v, want the buckets at 09:00 and 09:05", got)
	}
	// 09:01:10 to 09:04:50 is 23 cycles; 09:05:00 to 09:09:50 is 30.
	if got[0].Samples != 23 || got[1].Samples != 30 {
		t.Errorf("samples = %d, %d, want 23, 30", got[0].Samples, got[1].Samples)
	}
	for _, p := range got {
		w := want[p.At]
		n := float64(p.Samples)
		if math.Abs(p.Arrivals-w.arrivals/n) > 1e-9 || math.Abs(p.NeedUnits-w.need/n) > 1e-9 {
			t.Errorf("bucket %s: arrivals %g need %g, want the decisions' means %g and %g",
				p.At.Format("15:04"), p.Arrivals, p.NeedUnits, w.arrivals/n, w.need/n)
		}
	}
	// 40 msg/s of 0.1 s messages is 4 units of work.
	if n := got[1].NeedUnits; n < 3 || n > 8 {
		t.Errorf("need = %.1f units, want about 4 to 5", n)
	}
	if got[1].Campaign {
		t.Error("campaign set without a boost")
	}

	// A failed call's buckets are dropped, not sent again.
	hs.fail = true
	for range 30 {
		w.step()
	}
	if len(hs.calls) != 3 {
		t.Fatalf("RecordHistory called %d times, want 3", len(hs.calls))
	}
	for range 30 {
		w.step()
	}
	if len(hs.calls) != 4 {
		t.Fatalf("RecordHistory called %d times, want 4", len(hs.calls))
	}
	if last := hs.calls[3]; len(last) != 1 || !last[0].At.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("the call after a failure sent %+v, want only the 09:15 bucket", last)
	}
}

func TestDemandHistoryNotRecorded(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		leader func() bool
	}{
		{"dry run", Options{DryRun: true}, nil},
		{"follower", Options{}, func() bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := &countingHistory{HistoryStore: openBolt(t)}
			w := newPredictiveWorld(t, "", hs, tc.opts, tc.leader)
			w.arrivals = 40
			for range 40 {
				w.step()
			}
			if len(hs.calls) != 0 {
				t.Errorf("RecordHistory called %d times", len(hs.calls))
			}
		})
	}
}

// seedRhythm stores days of history before t0's bucket, up to until
// before it: need 2 units, and 9 from 09:10 to 12:00 each day.
func seedRhythm(t *testing.T, st store.Store, days int, until time.Duration) {
	t.Helper()
	var pts []store.HistoryPoint
	for at := t0.Add(-time.Duration(days) * 24 * time.Hour); !at.After(t0.Add(-until)); at = at.Add(store.HistoryBucket) {
		need := 2.0
		if h, m := at.Hour(), at.Minute(); (h == 9 && m >= 10) || h == 10 || h == 11 {
			need = 9
		}
		pts = append(pts, store.HistoryPoint{Group: "workers", At: at, NeedUnits: need, Arrivals: need * 10, Samples: 30})
	}
	if err := st.RecordHistory(context.Background(), pts, store.HistoryKeep, t0); err != nil {
		t.Fatal(err)
	}
}

func TestPredictiveFloor(t *testing.T) {
	tests := []struct {
		name    string
		block   string
		until   time.Duration // the newest seeded bucket, before t0
		desired int           // desired capacity at 09:02
		floor   int
		applied bool
		reason  string
	}{
		{name: "floor mode raises the group before the peak", block: "    predictive: {mode: floor, lead: 15m}\n",
			until: 5 * time.Minute, desired: 9, floor: 9, applied: true, reason: "highest q0.9 forecast"},
		{name: "max_floor caps it", block: "    predictive: {mode: floor, lead: 15m, max_floor: 6}\n",
			until: 5 * time.Minute, desired: 6, floor: 6, applied: true, reason: "capped at max_floor 6"},
		{name: "forecast_only shows it and applies nothing", block: "    predictive: {mode: forecast_only, lead: 15m}\n",
			until: 5 * time.Minute, desired: 1, floor: 9, reason: "highest q0.9 forecast"},
		{name: "a stale history gives none", block: "    predictive: {mode: floor, lead: 15m}\n",
			until: 2 * time.Hour, desired: 1, reason: "stale"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openBolt(t)
			seedRhythm(t, st, 8, tc.until)
			w := newPredictiveWorld(t, tc.block, st, Options{}, nil)
			r := w.step()
			p := r.Predictive
			if p == nil {
				t.Fatal("no predictive in the record")
			}
			if p.Floor != tc.floor || p.Applied != tc.applied || !strings.Contains(p.Reason, tc.reason) || p.Lead != 15*time.Minute || p.Quantile != 0.9 {
				t.Errorf("predictive = %+v, want floor %d, applied %v, reason containing %q", *p, tc.floor, tc.applied, tc.reason)
			}
			if got := w.desired(); got != tc.desired {
				t.Errorf("desired = %d, want %d (%s)", got, tc.desired, r.Reason)
			}
			ruled := false
			for _, c := range r.Changes {
				ruled = ruled || c.Rule == policy.RulePredictive
			}
			if ruled != tc.applied {
				t.Errorf("changes %+v: rule predictive present %v, want %v", r.Changes, ruled, tc.applied)
			}
			if tc.floor == 0 && !strings.Contains(strings.Join(r.Notes, "\n"), "no predictive floor: ") {
				t.Errorf("notes %q do not say why there is no floor", r.Notes)
			}
			d := Doc(r)
			if d.Predictive == nil || d.Predictive.Floor != tc.floor || d.Predictive.LeadSeconds != 900 {
				t.Errorf("doc predictive = %+v", d.Predictive)
			}
		})
	}
}

// TestPredictiveHistoryReadIncrementally: after the first full read, a
// group's history is read again only from its newest bucket, once a
// bucket.
func TestPredictiveHistoryReadIncrementally(t *testing.T) {
	st := openBolt(t)
	seedRhythm(t, st, 2, 5*time.Minute)
	lh := &listCounter{HistoryStore: st}
	w := newPredictiveWorld(t, "    predictive: {mode: forecast_only}\n", lh, Options{}, nil)
	w.arrivals = 20
	for range 65 { // 09:01 to 09:11:50
		w.step()
	}
	if len(lh.sinces) != 3 {
		t.Fatalf("ListHistory called %d times (%v), want 3: at the start, 09:05 and 09:10", len(lh.sinces), lh.sinces)
	}
	if want := store.HistoryCutoff(t0.Add(time.Minute), store.HistoryKeep).Add(store.HistoryBucket); !lh.sinces[0].Equal(want) {
		t.Errorf("first read since %s, want %s", lh.sinces[0], want)
	}
	// At 09:05 the newest bucket held is 08:55 (09:00 is written after
	// the read); at 09:10 it is 09:00, merged into the cache after its
	// write at 09:05.
	if !lh.sinces[1].Equal(t0.Add(-5*time.Minute)) || !lh.sinces[2].Equal(t0) {
		t.Errorf("later reads since %v, want 08:55 and 09:00", lh.sinces[1:])
	}
	w.ctrl.mu.Lock()
	n := len(w.ctrl.byName["workers"].pred.history)
	w.ctrl.mu.Unlock()
	if want := 2*288 + 2; n != want {
		t.Errorf("cached history holds %d buckets, want %d", n, want)
	}
}

// listCounter records the since of every ListHistory call.
type listCounter struct {
	HistoryStore
	mu     sync.Mutex
	sinces []time.Time
}

func (l *listCounter) ListHistory(ctx context.Context, group string, since, until time.Time) ([]store.HistoryPoint, error) {
	l.mu.Lock()
	l.sinces = append(l.sinces, since)
	l.mu.Unlock()
	return l.HistoryStore.ListHistory(ctx, group, since, until)
}

// TestPredictiveFloorOutlivesAFailedRead: a failed read of the history
// keeps the forecast fitted last, and the decision says the read failed;
// a group whose first read fails has no floor.
func TestPredictiveFloorOutlivesAFailedRead(t *testing.T) {
	st := openBolt(t)
	seedRhythm(t, st, 8, 5*time.Minute)
	fl := &failingList{HistoryStore: st}
	w := newPredictiveWorld(t, "    predictive: {mode: floor, lead: 15m}\n", fl, Options{}, nil)
	if r := w.step(); r.Predictive == nil || r.Predictive.Floor != 9 {
		t.Fatalf("first cycle: predictive %+v, want a floor of 9", r.Predictive)
	}
	fl.fail.Store(true)
	var r Record
	for range 31 { // past the 09:05 refit, whose read fails
		r = w.step()
	}
	if p := r.Predictive; p == nil || p.Floor == 0 || !p.Applied || !strings.Contains(p.Reason, "the last read of the history failed") {
		t.Fatalf("after a failed read: predictive %+v, want the last forecast's floor, applied, with the failure in its reason", p)
	}

	st2 := openBolt(t)
	seedRhythm(t, st2, 8, 5*time.Minute)
	down := &failingList{HistoryStore: st2}
	down.fail.Store(true)
	w2 := newPredictiveWorld(t, "    predictive: {mode: floor, lead: 15m}\n", down, Options{}, nil)
	if p := w2.step().Predictive; p == nil || p.Floor != 0 || !strings.Contains(p.Reason, "no forecast: ") {
		t.Errorf("first read failed: predictive %+v, want no floor and the reason", p)
	}
}

// failingList fails ListHistory while fail is set.
type failingList struct {
	HistoryStore
	fail atomic.Bool
}

func (f *failingList) ListHistory(ctx context.Context, group string, since, until time.Time) ([]store.HistoryPoint, error) {
	if f.fail.Load() {
		return nil, errors.New("store down")
	}
	return f.HistoryStore.ListHistory(ctx, group, since, until)
}

// TestFirstHistoryReadsSpread: a new controller reads each predictive
// group's history first at the group's phase within one refit period,
// not every group in its first cycle.
func TestFirstHistoryReadsSpread(t *testing.T) {
	text := strings.ReplaceAll(testConfig, "    policies:\n", "    predictive: {mode: forecast_only}\n    policies:\n")
	cfg, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	lh := &groupCounter{HistoryStore: memory.NewHistory()}
	h := newHarness(t, Options{})
	ctrl, err := New(cfg, Deps{Groups: h.groups, Scaler: h.scaler, Metrics: h.metrics, Queues: h.queues,
		Clock: clock.NewFake(t0), History: lh, Leader: func() bool { return true }}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{
		{0, "workers"},               // phase 0: at once
		{2 * time.Minute, "workers"}, // api's phase is 2m30s of the 5m
		{150 * time.Second, "workers api"},
		{5 * time.Minute, "workers api workers"}, // workers' next slot
	} {
		ctrl.refreshForecasts(ctx, t0.Add(tc.at))
		if got := lh.names(); got != tc.want {
			t.Errorf("at +%s history read for %q, want %q", tc.at, got, tc.want)
		}
	}
}

// groupCounter records the group of every ListHistory call.
type groupCounter struct {
	HistoryStore
	mu     sync.Mutex
	groups []string
}

func (g *groupCounter) ListHistory(ctx context.Context, group string, since, until time.Time) ([]store.HistoryPoint, error) {
	g.mu.Lock()
	g.groups = append(g.groups, group)
	g.mu.Unlock()
	return g.HistoryStore.ListHistory(ctx, group, since, until)
}

func (g *groupCounter) names() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.groups, " ")
}
