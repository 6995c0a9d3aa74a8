package forecast

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// monday is a Monday at 00:00 UTC, the first day of most histories here.
var monday = time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)

const step = DefaultStep

// series is n buckets from start, the need of each given by need.
func series(start time.Time, n int, need func(t time.Time) float64) []Point {
	h := make([]Point, n)
	for i := range h {
		at := start.Add(time.Duration(i) * step)
		h[i] = Point{At: at, Need: need(at)}
	}
	return h
}

// days is the number of buckets in d days.
func days(d int) int { return d * 288 }

// hourOf is t's time of day in hours.
func hourOf(t time.Time) float64 {
	return float64(t.Hour()) + float64(t.Minute())/60
}

// sine is a daily sine around 50 with amplitude 40, highest at 06:00.
func sine(t time.Time) float64 { return 50 + 40*math.Sin(2*math.Pi*hourOf(t)/24) }

// office needs 100 on weekdays from 09:00 to 17:00 and 10 otherwise.
func office(t time.Time) float64 {
	if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday && t.Hour() >= 9 && t.Hour() < 17 {
		return 100
	}
	return 10
}

// noisy multiplies need by 1 + rel*N(0,1) from a seeded source.
func noisy(seed int64, rel float64, need func(time.Time) float64) func(time.Time) float64 {
	r := rand.New(rand.NewSource(seed))
	return func(t time.Time) float64 { return need(t) * math.Max(0, 1+rel*r.NormFloat64()) }
}

// end is the time just after the last bucket of h.
func end(h []Point) time.Time { return h[len(h)-1].At.Add(step) }

// mustPredict forecasts h from the end of h and fails when it cannot.
func mustPredict(t *testing.T, h []Point, opt Options) Forecast {
	t.Helper()
	f := Predict(h, end(h), opt)
	if !f.OK {
		t.Fatalf("no forecast: %s", f.Reason)
	}
	return f
}

func TestMondayIsMonday(t *testing.T) {
	if monday.Weekday() != time.Monday {
		t.Fatalf("monday is a %v", monday.Weekday())
	}
}
