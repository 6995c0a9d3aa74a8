package forecast

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestFloor(t *testing.T) {
	// 10 until 10:00, 50 from 10:00 to 12:00, every day.
	ramp := func(t time.Time) float64 {
		if t.Hour() >= 10 && t.Hour() < 12 {
			return 50
		}
		return 10
	}
	f := mustPredict(t, series(monday, days(3), ramp), Options{})
	day := f.Start // a midnight
	cases := []struct {
		name   string
		at     time.Time
		lead   time.Duration
		q      float64
		want   float64
		reason string // empty when a floor is expected
	}{
		{"before the lead reaches the ramp", day.Add(9*time.Hour + 30*time.Minute), 15 * time.Minute, 0.9, 10, ""},
		{"the ramp starts inside the lead", day.Add(9*time.Hour + 50*time.Minute), 15 * time.Minute, 0.9, 50, ""},
		{"the window's end touches the ramp", day.Add(9*time.Hour + 45*time.Minute), 15 * time.Minute, 0.9, 50, ""},
		{"on the high", day.Add(11 * time.Hour), 0, 0.5, 50, ""},
		{"after the high", day.Add(12 * time.Hour), time.Hour, 0.9, 10, ""},
		{"to the horizon's last bucket", day.Add(47*time.Hour + 50*time.Minute), 9 * time.Minute, 0.9, 10, ""},
		{"past the horizon", day.Add(47*time.Hour + 50*time.Minute), 10 * time.Minute, 0.9, 0, "not inside the forecast"},
		{"before the forecast", day.Add(-time.Minute), time.Minute, 0.9, 0, "not inside the forecast"},
		{"negative lead", day, -time.Minute, 0.9, 0, "negative"},
		{"quantile 0", day, time.Minute, 0, 0, "quantile"},
		{"quantile NaN", day, time.Minute, math.NaN(), 0, "quantile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, reason := Floor(f, tc.at, tc.lead, tc.q)
			if tc.reason != "" {
				if ok || !strings.Contains(reason, tc.reason) {
					t.Fatalf("Floor = %v, %v, %q; want no floor because %q", got, ok, reason, tc.reason)
				}
				return
			}
			if !ok || math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("Floor = %v, %v, %q; want %v", got, ok, reason, tc.want)
			}
		})
	}
	t.Run("no forecast", func(t *testing.T) {
		_, ok, reason := Floor(Predict(nil, monday, Options{}), monday, 0, 0.9)
		if ok || !strings.Contains(reason, "no history") {
			t.Fatalf("Floor = %v, %q; want the forecast's reason", ok, reason)
		}
	})
}

func TestFloorIsTheHighestQuantileInTheWindow(t *testing.T) {
	f := mustPredict(t, series(monday, days(15), noisy(5, 0.1, office)), Options{})
	for _, lead := range []time.Duration{0, 5 * time.Minute, 17 * time.Minute, 2 * time.Hour} {
		for i := 0; i+int(lead/step)+1 < len(f.Buckets); i += 7 {
			at := f.Buckets[i].At.Add(time.Minute)
			got, ok, _ := Floor(f, at, lead, 0.9)
			want := 0.0
			for j := i; j <= int(at.Add(lead).Sub(f.Start)/step); j++ {
				want = math.Max(want, f.Buckets[j].Quantile)
			}
			if !ok || got != want {
				t.Fatalf("lead %v at %v: Floor = %v, %v; want %v", lead, at, got, ok, want)
			}
			if v, _ := f.NeedAt(at.Add(lead), 0.9); got < v {
				t.Fatalf("lead %v at %v: floor %v below the need at at+lead %v", lead, at, got, v)
			}
		}
	}
}
