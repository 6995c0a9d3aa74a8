package storetest

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/store"
)

// hp is a one-sample history point of group at base+off.
func hp(group string, off time.Duration, arrivals, need float64) store.HistoryPoint {
	return store.HistoryPoint{Group: group, At: base.Add(off), Arrivals: arrivals, NeedUnits: need, Samples: 1}
}

// withSamples returns p standing for n samples, during a boost if campaign.
func withSamples(p store.HistoryPoint, n int, campaign bool) store.HistoryPoint {
	p.Samples, p.Campaign = n, campaign
	return p
}

func mustRecord(t *testing.T, s store.History, pts []store.HistoryPoint, keep time.Duration, now time.Time) {
	t.Helper()
	if err := s.RecordHistory(context.Background(), pts, keep, now); err != nil {
		t.Fatalf("record %d history points at %s: %v", len(pts), now.Format(time.RFC3339), err)
	}
}

func mustListHistory(t *testing.T, s store.History, group string, since, until time.Time) []store.HistoryPoint {
	t.Helper()
	got, err := s.ListHistory(context.Background(), group, since, until)
	if err != nil {
		t.Fatalf("list history of %q: %v", group, err)
	}
	return got
}

// near reports whether a and b agree to a billionth: a store may keep
// means or sums, and a mean read back from a sum may differ in its last
// bits.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

// sameHistory fails t unless got and want hold the same buckets in the
// same order, times compared as instants (returned in UTC) and means to a
// billionth.
func sameHistory(t *testing.T, what string, got, want []store.HistoryPoint) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.Group == w.Group && g.At.Equal(w.At) && g.At.Location() == time.UTC &&
			near(g.Arrivals, w.Arrivals) && near(g.NeedUnits, w.NeedUnits) &&
			g.Samples == w.Samples && g.Campaign == w.Campaign
	}
	if !ok {
		t.Errorf("%s:\n got  %s\n want %s", what, fmtHistory(got), fmtHistory(want))
	}
}

func fmtHistory(ps []store.HistoryPoint) string {
	s := "["
	for i, p := range ps {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("{%s %s a=%g n=%g x%d c=%t}", p.Group, p.At.Format("15:04:05.999999999 MST"), p.Arrivals, p.NeedUnits, p.Samples, p.Campaign)
	}
	return s + "]"
}

// starts returns the bucket starts of ps as offsets from base.
func starts(ps []store.HistoryPoint) []time.Duration {
	out := make([]time.Duration, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.At.Sub(base))
	}
	return out
}

const bucket = store.HistoryBucket

func testHistoryMerge(t *testing.T, open func(t *testing.T) store.History) {
	const keep = time.Hour
	now := base.Add(2 * time.Minute)
	tests := []struct {
		name  string
		calls [][]store.HistoryPoint
		want  []store.HistoryPoint
	}{
		{
			name:  "one_sample",
			calls: [][]store.HistoryPoint{{hp("workers", 0, 2.5, 4)}},
			want:  []store.HistoryPoint{hp("workers", 0, 2.5, 4)},
		},
		{
			name: "weighted_by_samples_across_calls",
			calls: [][]store.HistoryPoint{
				{hp("workers", 0, 2, 4)},
				{withSamples(hp("workers", 0, 5, 1), 2, false)},
				{hp("workers", 0, 3.5, 7)},
			},
			// (2 + 5*2 + 3.5) / 4 and (4 + 1*2 + 7) / 4.
			want: []store.HistoryPoint{withSamples(hp("workers", 0, 3.875, 3.25), 4, false)},
		},
		{
			name: "same_bucket_twice_in_one_call",
			calls: [][]store.HistoryPoint{
				{hp("workers", 0, 1, 10), withSamples(hp("workers", 0, 4, 4), 2, false)},
			},
			want: []store.HistoryPoint{withSamples(hp("workers", 0, 3, 6), 3, false)},
		},
		{
			name: "campaign_is_or_of_samples",
			calls: [][]store.HistoryPoint{
				{hp("workers", 0, 1, 1)},
				{withSamples(hp("workers", 0, 1, 1), 1, true)},
				{hp("workers", 0, 1, 1)},
			},
			want: []store.HistoryPoint{withSamples(hp("workers", 0, 1, 1), 3, true)},
		},
		{
			name: "no_campaign_stays_false",
			calls: [][]store.HistoryPoint{
				{hp("workers", 0, 1, 1)},
				{hp("workers", 0, 3, 3)},
			},
			want: []store.HistoryPoint{withSamples(hp("workers", 0, 2, 2), 2, false)},
		},
		{
			name: "groups_and_buckets_apart",
			calls: [][]store.HistoryPoint{
				{hp("workers", -bucket, 1, 1), hp("web", -bucket, 9, 9)},
				{hp("workers", 0, 2, 2), hp("web", -bucket, 7, 7)},
			},
			want: []store.HistoryPoint{hp("workers", -bucket, 1, 1), hp("workers", 0, 2, 2)},
		},
		{
			name: "awkward_numbers",
			calls: [][]store.HistoryPoint{
				{hp("workers", 0, 1.0/3, 1e12)},
				{withSamples(hp("workers", 0, 1e-7, 0.1), 2, false)},
			},
			want: []store.HistoryPoint{withSamples(hp("workers", 0, (1.0/3+2e-7)/3, (1e12+0.2)/3), 3, false)},
		},
		{
			name:  "zero_demand",
			calls: [][]store.HistoryPoint{{hp("workers", 0, 0, 0)}, {hp("workers", 0, 0, 0)}},
			want:  []store.HistoryPoint{withSamples(hp("workers", 0, 0, 0), 2, false)},
		},
		{
			name: "a_local_time_is_stored_as_its_instant",
			calls: [][]store.HistoryPoint{{{
				Group: "workers", At: base.In(time.FixedZone("UTC+5:30", 5*3600+1800)), Arrivals: 1, NeedUnits: 2, Samples: 1,
			}}},
			want: []store.HistoryPoint{hp("workers", 0, 1, 2)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := freshHistory(t, open)
			for _, c := range tc.calls {
				mustRecord(t, s, c, keep, now)
			}
			sameHistory(t, "workers", mustListHistory(t, s, "workers", time.Time{}, time.Time{}), tc.want)
		})
	}
}

func testHistoryList(t *testing.T, open func(t *testing.T) store.History) {
	s := freshHistory(t, open)
	const keep = 24 * time.Hour
	now := base.Add(25 * time.Minute)
	// One bucket a call, out of order; web's buckets lie between.
	for _, off := range []time.Duration{20, 0, 10, 5, 15} {
		mustRecord(t, s, []store.HistoryPoint{
			hp("workers", off*time.Minute, float64(off), 1),
			hp("web", off*time.Minute, 100, 1),
		}, keep, now)
	}
	all := []time.Duration{0, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 20 * time.Minute}
	tests := []struct {
		name         string
		group        string
		since, until time.Time
		want         []time.Duration
	}{
		{"all_oldest_first", "workers", time.Time{}, time.Time{}, all},
		{"since_is_inclusive", "workers", base.Add(10 * time.Minute), time.Time{}, all[2:]},
		{"until_is_exclusive", "workers", time.Time{}, base.Add(15 * time.Minute), all[:3]},
		{"both", "workers", base.Add(5 * time.Minute), base.Add(20 * time.Minute), all[1:4]},
		{"since_inside_a_bucket_skips_it", "workers", base.Add(7 * time.Minute), time.Time{}, all[2:]},
		{"since_a_nanosecond_after_a_start", "workers", base.Add(10*time.Minute + time.Nanosecond), time.Time{}, all[3:]},
		{"until_inside_a_bucket_keeps_it", "workers", time.Time{}, base.Add(15*time.Minute + time.Nanosecond), all[:4]},
		{"until_equals_since", "workers", base.Add(10 * time.Minute), base.Add(10 * time.Minute), []time.Duration{}},
		{"until_before_since", "workers", base.Add(15 * time.Minute), base.Add(5 * time.Minute), []time.Duration{}},
		{"after_the_newest", "workers", base.Add(21 * time.Minute), time.Time{}, []time.Duration{}},
		{"in_another_zone", "workers", base.Add(5 * time.Minute).In(time.FixedZone("UTC-8", -8*3600)), base.Add(10 * time.Minute).In(time.FixedZone("UTC+1", 3600)), all[1:2]},
		{"unknown_group", "batch", time.Time{}, time.Time{}, []time.Duration{}},
		{"group_is_a_prefix_of_another", "work", time.Time{}, time.Time{}, []time.Duration{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustListHistory(t, s, tc.group, tc.since, tc.until)
			if got == nil {
				t.Errorf("ListHistory returned nil, want an empty list")
			}
			for _, p := range got {
				if p.Group != tc.group {
					t.Errorf("bucket of group %q listed for %q", p.Group, tc.group)
				}
				if p.Arrivals != float64(p.At.Sub(base)/time.Minute) {
					t.Errorf("bucket at %s has arrivals %g, another bucket's", p.At.Format(time.RFC3339), p.Arrivals)
				}
			}
			sameJSON(t, "bucket starts", starts(got), tc.want)
		})
	}
}

func testHistoryRetention(t *testing.T, open func(t *testing.T) store.History) {
	const keep = time.Hour
	tests := []struct {
		name string
		// now of the second call, which records one bucket at its now.
		now  time.Time
		keep time.Duration
		want []time.Duration // workers' buckets after it
	}{
		// The first call stores base-55m..base, twelve buckets.
		{"nothing_old_yet", base.Add(4 * time.Minute), keep, buckets(-55, 0)},
		{"start_keep_old_is_dropped", base.Add(5 * time.Minute), keep, buckets(-50, 5)},
		{"mid_bucket", base.Add(32*time.Minute + 30*time.Second), keep, append(buckets(-25, 0), 30*time.Minute)},
		{"all_old", base.Add(3 * time.Hour), keep, buckets(180, 180)},
		{"shorter_keep_applies", base, 20 * time.Minute, buckets(-15, 0)},
		{"longer_keep_drops_nothing_more", base.Add(5 * time.Minute), 2 * time.Hour, buckets(-55, 5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := freshHistory(t, open)
			var first []store.HistoryPoint
			for m := -55; m <= 0; m += 5 {
				first = append(first, hp("workers", time.Duration(m)*time.Minute, 1, 1))
			}
			// The web group's bucket is old by the second call, but the
			// cutoff applies only to the groups a call records.
			first = append(first, hp("web", -55*time.Minute, 1, 1))
			mustRecord(t, s, first, keep, base)
			mustRecord(t, s, []store.HistoryPoint{hp("workers", store.HistoryBucketStart(tc.now).Sub(base), 1, 1)}, tc.keep, tc.now)
			sameJSON(t, "workers buckets", starts(mustListHistory(t, s, "workers", time.Time{}, time.Time{})), tc.want)
			sameJSON(t, "web buckets", starts(mustListHistory(t, s, "web", time.Time{}, time.Time{})), buckets(-55, -55))
		})
	}

	t.Run("old_points_are_not_stored", func(t *testing.T) {
		s := freshHistory(t, open)
		mustRecord(t, s, []store.HistoryPoint{
			hp("workers", -60*time.Minute, 1, 1), // keep old: dropped
			hp("workers", -55*time.Minute, 1, 1),
			hp("batch", -65*time.Minute, 1, 1), // batch has nothing else
		}, keep, base)
		sameJSON(t, "workers buckets", starts(mustListHistory(t, s, "workers", time.Time{}, time.Time{})), buckets(-55, -55))
		sameJSON(t, "batch buckets", starts(mustListHistory(t, s, "batch", time.Time{}, time.Time{})), []time.Duration{})
	})

	t.Run("a_call_of_only_old_points_still_drops", func(t *testing.T) {
		s := freshHistory(t, open)
		mustRecord(t, s, []store.HistoryPoint{hp("workers", -30*time.Minute, 1, 1), hp("workers", 0, 1, 1)}, keep, base)
		mustRecord(t, s, []store.HistoryPoint{hp("workers", -30*time.Minute, 1, 1)}, keep, base.Add(40*time.Minute))
		sameJSON(t, "workers buckets", starts(mustListHistory(t, s, "workers", time.Time{}, time.Time{})), buckets(0, 0))
	})
}

// buckets returns the starts from base+from to base+to minutes, every
// bucket.
func buckets(from, to int) []time.Duration {
	out := []time.Duration{}
	for m := from; m <= to; m += int(bucket / time.Minute) {
		out = append(out, time.Duration(m)*time.Minute)
	}
	return out
}

// testHistoryBound records as the controller will, one sample per group
// every cycle, for longer than keep, and checks the bound after every
// call and the buckets' contents at the end.
func testHistoryBound(t *testing.T, open func(t *testing.T) store.History) {
	tests := []struct {
		name  string
		keep  time.Duration
		cycle time.Duration
		span  time.Duration
		max   int
	}{
		{"keep_a_whole_number_of_buckets", time.Hour, 30 * time.Second, 90 * time.Minute, 12},
		{"keep_between_buckets_rounds_up", 62 * time.Minute, time.Minute, 100 * time.Minute, 13},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := freshHistory(t, open)
			groups := []string{"workers", "web"}
			most := 0
			var now time.Time
			for now = base.Add(time.Second); now.Before(base.Add(tc.span)); now = now.Add(tc.cycle) {
				var pts []store.HistoryPoint
				for i, g := range groups {
					pts = append(pts, store.HistoryPoint{Group: g, At: store.HistoryBucketStart(now), Arrivals: float64(i + 1), NeedUnits: 2, Samples: 1})
				}
				mustRecord(t, s, pts, tc.keep, now)
				for _, g := range groups {
					n := len(mustListHistory(t, s, g, time.Time{}, time.Time{}))
					if n > tc.max {
						t.Fatalf("at %s group %q holds %d buckets, bound %d", now.Format(time.RFC3339), g, n, tc.max)
					}
					most = max(most, n)
				}
			}
			if most != tc.max {
				t.Errorf("groups held at most %d buckets, want the bound %d reached", most, tc.max)
			}
			last := now.Add(-tc.cycle)
			perBucket := int(bucket / tc.cycle)
			for i, g := range groups {
				var want []store.HistoryPoint
				for at := store.HistoryCutoff(last, tc.keep).Add(bucket); !at.After(last); at = at.Add(bucket) {
					n := perBucket
					if at.Add(bucket).After(last) {
						// The newest bucket has the cycles up to last.
						n = int(last.Sub(at)/tc.cycle) + 1
					}
					want = append(want, store.HistoryPoint{Group: g, At: at, Arrivals: float64(i + 1), NeedUnits: 2, Samples: n})
				}
				sameHistory(t, g, mustListHistory(t, s, g, time.Time{}, time.Time{}), want)
			}
		})
	}
}

// testHistoryManyGroups records more groups in one call than one
// DynamoDB batch or one round of parallel writes takes.
func testHistoryManyGroups(t *testing.T, open func(t *testing.T) store.History) {
	s := freshHistory(t, open)
	const groups = 60
	var pts []store.HistoryPoint
	for i := range groups {
		g := fmt.Sprintf("g%03d", i)
		pts = append(pts,
			hp(g, -bucket, float64(i), 1),
			hp(g, 0, float64(i), 2),
			withSamples(hp(g, 0, float64(i)+3, 5), 2, i%2 == 0),
		)
	}
	mustRecord(t, s, pts, time.Hour, base.Add(time.Minute))
	for i := range groups {
		g := fmt.Sprintf("g%03d", i)
		sameHistory(t, g, mustListHistory(t, s, g, time.Time{}, time.Time{}), []store.HistoryPoint{
			hp(g, -bucket, float64(i), 1),
			withSamples(hp(g, 0, float64(i)+2, 4), 3, i%2 == 0),
		})
	}
}

// testHistoryConcurrent has writers merge into one bucket at once: the
// merge of a bucket is atomic, so no sample is lost.
func testHistoryConcurrent(t *testing.T, open func(t *testing.T) store.History) {
	s := freshHistory(t, open)
	const writers, calls = 8, 5
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			<-start
			for range calls {
				pts := []store.HistoryPoint{hp("workers", 0, float64(w), 1), hp("web", 0, 1, 1)}
				if err := s.RecordHistory(context.Background(), pts, time.Hour, base); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		wantErr(t, fmt.Sprintf("writer %d", w), err, nil)
	}
	// Mean of 0..7, each calls times.
	sameHistory(t, "workers", mustListHistory(t, s, "workers", time.Time{}, time.Time{}), []store.HistoryPoint{withSamples(hp("workers", 0, 3.5, 1), writers*calls, false)})
	sameHistory(t, "web", mustListHistory(t, s, "web", time.Time{}, time.Time{}), []store.HistoryPoint{withSamples(hp("web", 0, 1, 1), writers*calls, false)})
}

func testHistoryInvalid(t *testing.T, open func(t *testing.T) store.History) {
	good := hp("workers", 0, 1, 1)
	tests := []struct {
		name string
		bad  store.HistoryPoint
		keep time.Duration
	}{
		{"empty_group", hp("", 0, 1, 1), time.Hour},
		{"not_a_bucket_start", hp("web", time.Minute, 1, 1), time.Hour},
		{"not_a_whole_second", hp("web", time.Millisecond, 1, 1), time.Hour},
		{"after_now", hp("web", bucket, 1, 1), time.Hour},
		{"no_samples", withSamples(hp("web", 0, 1, 1), 0, false), time.Hour},
		{"negative_samples", withSamples(hp("web", 0, 1, 1), -3, false), time.Hour},
		{"negative_arrivals", hp("web", 0, -1, 1), time.Hour},
		{"nan_arrivals", hp("web", 0, math.NaN(), 1), time.Hour},
		{"infinite_need", hp("web", 0, 1, math.Inf(1)), time.Hour},
		{"negative_need", hp("web", 0, 1, -0.5), time.Hour},
		{"keep_under_a_bucket", hp("web", 0, 1, 1), bucket - time.Second},
		{"no_keep", hp("web", 0, 1, 1), 0},
	}
	// One store for every case: each must leave it empty.
	s := freshHistory(t, open)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.RecordHistory(context.Background(), []store.HistoryPoint{good, tc.bad}, tc.keep, base.Add(time.Minute))
			if err == nil {
				t.Fatalf("recorded %s with no error", fmtHistory([]store.HistoryPoint{tc.bad}))
			}
			// A call with a bad point stores nothing, not even its good one.
			for _, g := range []string{"workers", "web"} {
				if got := mustListHistory(t, s, g, time.Time{}, time.Time{}); len(got) != 0 {
					t.Errorf("a refused call stored %s", fmtHistory(got))
				}
			}
		})
	}
	t.Run("canceled_context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.RecordHistory(ctx, []store.HistoryPoint{good}, time.Hour, base.Add(time.Minute)); err == nil {
			t.Error("recorded with a canceled context: no error")
		}
		if got := mustListHistory(t, s, "workers", time.Time{}, time.Time{}); len(got) != 0 {
			t.Errorf("a canceled call stored %s", fmtHistory(got))
		}
	})
	t.Run("list_empty_group", func(t *testing.T) {
		if _, err := s.ListHistory(context.Background(), "", time.Time{}, time.Time{}); err == nil {
			t.Error("listed the history of an empty group name with no error")
		}
	})
	t.Run("no_points", func(t *testing.T) {
		wantErr(t, "record nothing", s.RecordHistory(context.Background(), nil, time.Hour, base), nil)
	})
}

// testHistoryReopen: history survives a restart of the process, or is read
// by another replica, and merging and dropping carry on from it.
func testHistoryReopen(t *testing.T, open func(t *testing.T) store.Store, o Options) {
	if o.Reopen == nil {
		t.Skip("the store keeps nothing across processes")
	}
	const keep = time.Hour
	s := open(t)
	mustRecord(t, s, []store.HistoryPoint{
		hp("workers", -55*time.Minute, 1, 1),
		hp("workers", -30*time.Minute, 2, 2),
		withSamples(hp("workers", 0, 3, 3), 2, true),
		hp("web", 0, 4, 4),
	}, keep, base.Add(time.Minute))
	before := mustListHistory(t, s, "workers", time.Time{}, time.Time{})
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	s = o.Reopen(t, s)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close reopened store: %v", err)
		}
	})
	sameHistory(t, "workers after reopen", mustListHistory(t, s, "workers", time.Time{}, time.Time{}), before)
	sameHistory(t, "web after reopen", mustListHistory(t, s, "web", time.Time{}, time.Time{}), []store.HistoryPoint{hp("web", 0, 4, 4)})

	// The next cycle merges into the stored bucket and drops the oldest.
	mustRecord(t, s, []store.HistoryPoint{hp("workers", 0, 6, 6)}, keep, base.Add(5*time.Minute+10*time.Second))
	sameHistory(t, "workers after a cycle", mustListHistory(t, s, "workers", time.Time{}, time.Time{}), []store.HistoryPoint{
		hp("workers", -30*time.Minute, 2, 2),
		withSamples(hp("workers", 0, 4, 4), 3, true),
	})
}

// historySuites are the history cases any store.History passes.
var historySuites = []struct {
	name string
	run  func(t *testing.T, open func(t *testing.T) store.History)
}{
	{"history_merge", testHistoryMerge},
	{"history_list", testHistoryList},
	{"history_retention", testHistoryRetention},
	{"history_bound", testHistoryBound},
	{"history_many_groups", testHistoryManyGroups},
	{"history_concurrent", testHistoryConcurrent},
	{"history_invalid", testHistoryInvalid},
}

// RunHistory runs the history cases on a store.History that keeps
// nothing across processes (package memory): every case of Run's but
// history_reopen.
func RunHistory(t *testing.T, open func(t *testing.T) store.History) {
	t.Helper()
	for _, s := range historySuites {
		t.Run(s.name, func(t *testing.T) { s.run(t, open) })
	}
}

// freshHistory opens a history for one subtest and closes it, if it can
// be closed, when the subtest ends.
func freshHistory(t *testing.T, open func(t *testing.T) store.History) store.History {
	t.Helper()
	s := open(t)
	if c, ok := s.(io.Closer); ok {
		t.Cleanup(func() {
			if err := c.Close(); err != nil {
				t.Errorf("close store: %v", err)
			}
		})
	}
	return s
}
