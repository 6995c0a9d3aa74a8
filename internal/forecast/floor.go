package forecast

import (
	"fmt"
	"time"
)

// Floor is the predictive floor at time at: the highest forecast at
// quantile q over the buckets that overlap [at, at+lead]. Capacity launched
// at at serves from at+lead, lead being the group's launch lead, so the
// floor must cover the need then; taking the highest over the whole window
// also covers a ramp that starts inside the lead. It is false, with the
// reason, when there is no forecast, q is outside (0, 1), lead is negative,
// or the window is not inside the forecast.
func Floor(f Forecast, at time.Time, lead time.Duration, q float64) (units float64, ok bool, reason string) {
	switch {
	case !f.OK:
		return 0, false, "no forecast: " + f.Reason
	case !inUnit(q):
		return 0, false, fmt.Sprintf("quantile %v is outside (0, 1)", q)
	case lead < 0:
		return 0, false, fmt.Sprintf("lead %v is negative", lead)
	}
	first, ok1 := f.index(at)
	last, ok2 := f.index(at.Add(lead))
	if !ok1 || !ok2 {
		end := f.Start.Add(time.Duration(len(f.Buckets)) * f.Step)
		return 0, false, fmt.Sprintf("window [%s, %s] is not inside the forecast [%s, %s)",
			stamp(at), stamp(at.Add(lead)), stamp(f.Start), stamp(end))
	}
	peak := first
	units = f.quantileAt(first, q)
	for i := first + 1; i <= last; i++ {
		if v := f.quantileAt(i, q); v > units {
			units, peak = v, i
		}
	}
	return units, true, fmt.Sprintf("highest q%v forecast over [%s, %s]: %.2f in the bucket at %s",
		q, stamp(at), stamp(at.Add(lead)), units, stamp(f.Buckets[peak].At))
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
