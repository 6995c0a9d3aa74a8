package store

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// HistoryBucket is the width of a demand history bucket. Five minutes is
// thirty 10-second cycles, enough to smooth one cycle's noise, and fine
// enough that a forecast sees the shape of a daily peak, not only its
// hour.
const HistoryBucket = 5 * time.Minute

// HistoryKeep is how long demand history is meant to be kept: two weeks,
// so that a forecast learning the weekly rhythm sees every weekday twice.
const HistoryKeep = 14 * 24 * time.Hour

// HistoryMaxBuckets is the most buckets a group holds when its history is
// kept for HistoryKeep: 4,032.
const HistoryMaxBuckets = int(HistoryKeep / HistoryBucket)

// maxHistoryValue bounds Arrivals and NeedUnits: far above any group's
// work rate or capacity, and small enough that a bucket's sums stay exact
// decimals in DynamoDB's number type (38 significant digits).
const maxHistoryValue = 1e12

// HistoryPoint is a group's measured demand over one HistoryBucket.
type HistoryPoint struct {
	Group string `json:"group"`
	// At is the bucket's start, in UTC: a multiple of HistoryBucket (see
	// HistoryBucketStart).
	At time.Time `json:"at"`
	// Arrivals is the engine's estimate of arriving work, in work items
	// per second, averaged over the bucket's samples.
	Arrivals float64 `json:"arrivals"`
	// NeedUnits is the capacity the group needed, in its units (instances,
	// or instance weights), averaged over the bucket's samples like
	// Arrivals. The mean rather than the maximum: it moves with Arrivals,
	// so a forecast learns one rhythm from both, and two writers can merge
	// it with a plain sum (see Store.RecordHistory); the short peaks a
	// maximum would keep are the controller's to cover, not the forecast's.
	NeedUnits float64 `json:"need_units"`
	// Samples is how many cycles the bucket merges; at least 1.
	Samples int `json:"samples"`
	// Campaign: a boost was active in at least one of the bucket's
	// samples.
	Campaign bool `json:"campaign,omitempty"`
}

// HistoryBucketStart returns the start of the HistoryBucket that holds t,
// in UTC.
func HistoryBucketStart(t time.Time) time.Time {
	// Truncate counts from the zero time, a whole number of days before the
	// Unix epoch, so buckets line up with wall-clock five minutes.
	return t.UTC().Truncate(HistoryBucket)
}

// MergeHistory returns the bucket holding the samples of a and b, which
// must be of the same group and bucket: arrivals and need are the
// sample-weighted means, Samples the sum, Campaign either's.
func MergeHistory(a, b HistoryPoint) HistoryPoint {
	n := a.Samples + b.Samples
	out := a
	out.Samples = n
	out.Campaign = a.Campaign || b.Campaign
	if n > 0 {
		out.Arrivals = (a.Arrivals*float64(a.Samples) + b.Arrivals*float64(b.Samples)) / float64(n)
		out.NeedUnits = (a.NeedUnits*float64(a.Samples) + b.NeedUnits*float64(b.Samples)) / float64(n)
	}
	return out
}

// HistoryCutoff returns the newest bucket start that history kept for
// keep drops at now: a bucket is dropped once its start is keep old (At <=
// now-keep), so a group holds at most keep/HistoryBucket buckets (rounded
// up), the bucket of now included.
func HistoryCutoff(now time.Time, keep time.Duration) time.Time {
	return HistoryBucketStart(now.Add(-keep))
}

// CheckHistory reports every problem with a RecordHistory call, each
// naming the point and the field, or nil.
func CheckHistory(pts []HistoryPoint, keep time.Duration, now time.Time) error {
	var errs []error
	if keep < HistoryBucket {
		errs = append(errs, fmt.Errorf("keep %s: less than one bucket (%s)", keep, HistoryBucket))
	}
	for i, p := range pts {
		name := fmt.Sprintf("history point %d of group %q", i, p.Group)
		if p.Group == "" {
			errs = append(errs, fmt.Errorf("history point %d: group is empty", i))
		}
		if !p.At.Equal(HistoryBucketStart(p.At)) {
			errs = append(errs, fmt.Errorf("%s: at %s is not the start of a %s bucket", name, p.At.UTC().Format(time.RFC3339Nano), HistoryBucket))
		}
		if p.At.After(now) {
			errs = append(errs, fmt.Errorf("%s: at %s is after now (%s)", name, p.At.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
		}
		if p.Samples < 1 {
			errs = append(errs, fmt.Errorf("%s: samples %d, want at least 1", name, p.Samples))
		}
		for _, f := range []struct {
			field string
			v     float64
		}{{"arrivals", p.Arrivals}, {"need_units", p.NeedUnits}} {
			if math.IsNaN(f.v) || f.v < 0 || f.v > maxHistoryValue {
				errs = append(errs, fmt.Errorf("%s: %s %g, want 0 to %g", name, f.field, f.v, maxHistoryValue))
			}
		}
	}
	return errors.Join(errs...)
}
