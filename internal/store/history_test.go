package store

import (
	"math"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestHistoryBucketStart(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"on_a_start", t0, t0},
		{"inside", t0.Add(4*time.Minute + 59*time.Second + 999*time.Nanosecond), t0},
		{"next", t0.Add(5 * time.Minute), t0.Add(5 * time.Minute)},
		{"before_1970", time.Date(1969, 12, 31, 23, 58, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 55, 0, 0, time.UTC)},
		// 12:03 in UTC+5:30 is 06:33 UTC, whose bucket starts at 06:30 UTC.
		{"another_zone", time.Date(2026, 3, 1, 12, 3, 0, 0, time.FixedZone("IST", 5*3600+1800)), time.Date(2026, 3, 1, 6, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := HistoryBucketStart(tc.in)
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("HistoryBucketStart(%s) = %s, want %s", tc.in, got, tc.want)
			}
			if got.Unix()%int64(HistoryBucket/time.Second) != 0 {
				t.Errorf("bucket start %s is not a multiple of %s since the Unix epoch", got, HistoryBucket)
			}
		})
	}
}

func TestHistoryMaxBuckets(t *testing.T) {
	if HistoryMaxBuckets != 4032 {
		t.Errorf("HistoryMaxBuckets = %d, want 14 days of 5 minutes, 4032", HistoryMaxBuckets)
	}
}

func TestMergeHistory(t *testing.T) {
	a := HistoryPoint{Group: "w", At: t0, Arrivals: 2, NeedUnits: 4, Samples: 1}
	b := HistoryPoint{Group: "w", At: t0, Arrivals: 5, NeedUnits: 1, Samples: 3, Campaign: true}
	got := MergeHistory(a, b)
	want := HistoryPoint{Group: "w", At: t0, Arrivals: 4.25, NeedUnits: 1.75, Samples: 4, Campaign: true}
	if got != want {
		t.Errorf("MergeHistory = %+v, want %+v", got, want)
	}
	if back := MergeHistory(b, a); back != want {
		t.Errorf("MergeHistory is not symmetric: %+v", back)
	}
}

func TestHistoryCutoff(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		keep time.Duration
		want time.Time
	}{
		{"aligned", t0, time.Hour, t0.Add(-time.Hour)},
		{"inside_a_bucket", t0.Add(3 * time.Minute), time.Hour, t0.Add(-time.Hour)},
		{"keep_between_buckets", t0, 62 * time.Minute, t0.Add(-65 * time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := HistoryCutoff(tc.now, tc.keep)
			if !got.Equal(tc.want) {
				t.Errorf("HistoryCutoff = %s, want %s", got, tc.want)
			}
			// What the cutoff keeps: the buckets after it up to now's.
			kept := int(HistoryBucketStart(tc.now).Sub(got) / HistoryBucket)
			if bound := int((tc.keep + HistoryBucket - 1) / HistoryBucket); kept > bound {
				t.Errorf("keeps %d buckets, more than keep/bucket rounded up, %d", kept, bound)
			}
		})
	}
}

func TestCheckHistory(t *testing.T) {
	good := HistoryPoint{Group: "w", At: t0, Arrivals: 1, NeedUnits: 2, Samples: 1}
	tests := []struct {
		name string
		p    HistoryPoint
		keep time.Duration
		want []string // each a part of one problem; none: valid
	}{
		{"valid", good, time.Hour, nil},
		{"zero_demand", HistoryPoint{Group: "w", At: t0, Samples: 1}, time.Hour, nil},
		{"keep_one_bucket", good, HistoryBucket, nil},
		{"keep", good, time.Minute, []string{"keep 1m0s: less than one bucket"}},
		{"group", HistoryPoint{At: t0, Samples: 1}, time.Hour, []string{"history point 1: group is empty"}},
		{"at", HistoryPoint{Group: "w", At: t0.Add(time.Second), Samples: 1}, time.Hour, []string{`history point 1 of group "w": at 2026-03-01T12:00:01Z is not the start`}},
		{"future", HistoryPoint{Group: "w", At: t0.Add(HistoryBucket), Samples: 1}, time.Hour, []string{"is after now"}},
		{"samples", HistoryPoint{Group: "w", At: t0}, time.Hour, []string{"samples 0, want at least 1"}},
		{"every_problem", HistoryPoint{Group: "w", At: t0.Add(time.Second), Arrivals: math.NaN(), NeedUnits: -1}, 0,
			[]string{"keep 0s", "is not the start", "samples 0", "arrivals NaN", "need_units -1"}},
		{"too_large", HistoryPoint{Group: "w", At: t0, Arrivals: 2e12, Samples: 1}, time.Hour, []string{"arrivals 2e+12, want 0 to 1e+12"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckHistory([]HistoryPoint{good, tc.p}, tc.keep, t0.Add(time.Minute))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("CheckHistory: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckHistory: no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tc.want) {
				t.Errorf("error has %d problems, want %d: %q", n, len(tc.want), err)
			}
		})
	}
}
