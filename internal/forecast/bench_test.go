package forecast

import (
	"testing"
)

// BenchmarkPredict forecasts 48 h from 14 days of 5 min buckets (4,032),
// as a group's forecast is refreshed.
func BenchmarkPredict(b *testing.B) {
	h := series(monday, days(14), noisy(1, 0.05, office))
	now := end(h)
	b.ReportAllocs()
	for b.Loop() {
		if f := Predict(h, now, Options{}); !f.OK {
			b.Fatal(f.Reason)
		}
	}
}

// BenchmarkFloor takes a floor over a 15 min lead from that forecast.
func BenchmarkFloor(b *testing.B) {
	h := series(monday, days(14), noisy(1, 0.05, office))
	f := Predict(h, end(h), Options{})
	at := f.Start.Add(9 * 60 * step)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, reason := Floor(f, at, 15*60*1e9, 0.9); !ok {
			b.Fatal(reason)
		}
	}
}
