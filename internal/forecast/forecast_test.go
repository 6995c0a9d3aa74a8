package forecast

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York for the DST case, wherever the tests run
)

func TestPredict(t *testing.T) {
	withGaps := func() []Point {
		var h []Point
		for i, p := range series(monday, days(4), sine) {
			// drop every fifth bucket and a three-hour hole on day two
			if i%5 == 3 || (i >= days(1)+100 && i < days(1)+136) {
				continue
			}
			h = append(h, p)
		}
		return h
	}
	campaign := func() []Point {
		h := series(monday, days(7), func(time.Time) float64 { return 10 })
		for i := days(6) + 144; i < days(6)+168; i++ { // yesterday 12:00-14:00
			h[i].Need, h[i].Campaign = 50, true
		}
		return h
	}
	never0300 := func() []Point { // no bucket at 03:00 on any day
		var h []Point
		for _, p := range series(monday, days(3), func(time.Time) float64 { return 10 }) {
			if p.At.Hour() != 3 || p.At.Minute() != 0 {
				h = append(h, p)
			}
		}
		return h
	}
	cases := []struct {
		name  string
		hist  []Point
		check func(t *testing.T, f Forecast)
	}{
		{"flat history gives a flat forecast with no band", series(monday, days(3), func(time.Time) float64 { return 10 }),
			func(t *testing.T, f Forecast) {
				for _, b := range f.Buckets {
					if b.Need != 10 || b.Quantile != 10 || b.Low != 10 || b.High != 10 {
						t.Fatalf("bucket %v: %+v, want 10 throughout", b.At, b)
					}
				}
				if f.Diagnostics.Seasonality != Daily || f.Diagnostics.Clipped != 0 {
					t.Errorf("diagnostics %+v", f.Diagnostics)
				}
			}},
		{"a daily sine is reproduced", series(monday, days(4), sine),
			func(t *testing.T, f Forecast) {
				within(t, f, sine, 0.01)
			}},
		{"gaps are skipped", withGaps(),
			func(t *testing.T, f Forecast) {
				within(t, f, sine, 0.01)
				if f.Diagnostics.Missing < 200 {
					t.Errorf("Missing = %d, want the dropped buckets", f.Diagnostics.Missing)
				}
			}},
		{"a time of day never seen falls back to the history's median", never0300(),
			func(t *testing.T, f Forecast) {
				if f.Diagnostics.Fallback != 2 {
					t.Errorf("Fallback = %d, want the two 03:00 buckets", f.Diagnostics.Fallback)
				}
				for _, b := range f.Buckets {
					if b.Need != 10 {
						t.Fatalf("bucket %v: %+v, want 10", b.At, b)
					}
				}
			}},
		{"a history of zeros forecasts zero", series(monday, days(3), func(time.Time) float64 { return 0 }),
			func(t *testing.T, f Forecast) {
				for _, b := range f.Buckets {
					if b != (Bucket{At: b.At}) {
						t.Fatalf("bucket %+v, want zeros", b)
					}
				}
			}},
		{"campaign buckets are excluded", campaign(),
			func(t *testing.T, f Forecast) {
				for _, b := range f.Buckets {
					if math.Abs(b.Need-10) > 1e-9 || math.Abs(b.High-10) > 1e-9 {
						t.Fatalf("bucket %v: %+v, want 10: the campaign must not count", b.At, b)
					}
				}
				if f.Diagnostics.Campaign != 24 {
					t.Errorf("Campaign = %d, want 24", f.Diagnostics.Campaign)
				}
			}},
		{"quiet weekends are forecast quiet", series(monday, days(19), noisy(1, 0.03, office)), // ends on a Saturday at 00:00
			func(t *testing.T, f Forecast) {
				if f.Diagnostics.Seasonality != Weekly {
					t.Fatalf("seasonality %q, want weekly", f.Diagnostics.Seasonality)
				}
				if wd := f.Start.Weekday(); wd != time.Saturday {
					t.Fatalf("forecast starts on a %v", wd)
				}
				for _, b := range f.Buckets {
					if b.Need > 15 {
						t.Fatalf("weekend bucket %v forecast %.1f, want about 10 (weekdays need 100)", b.At, b.Need)
					}
				}
			}},
		{"quiet weekends after one week and a half", series(monday, days(12), noisy(9, 0.03, office)), // ends on a Saturday at 00:00
			func(t *testing.T, f Forecast) {
				if d := f.Diagnostics; d.Seasonality != Weekly || len(d.Components) != 3 {
					t.Fatalf("seasonality %q with %d components, want weekly with last_week and no median_4w", d.Seasonality, len(d.Components))
				}
				for _, b := range f.Buckets {
					if b.Need > 15 {
						t.Fatalf("weekend bucket %v forecast %.1f, want about 10 (weekdays need 100)", b.At, b.Need)
					}
				}
			}},
		{"weekdays are forecast busy after a weekend", series(monday, days(21), noisy(2, 0.03, office)), // ends on a Monday at 00:00
			func(t *testing.T, f Forecast) {
				within(t, f, office, 0.15)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustPredict(t, tc.hist, Options{}))
		})
	}
}

// within checks every bucket of f against want within a relative tolerance.
func within(t *testing.T, f Forecast, want func(time.Time) float64, rel float64) {
	t.Helper()
	for _, b := range f.Buckets {
		if w := want(b.At); math.Abs(b.Need-w) > rel*math.Abs(w)+1e-9 {
			t.Fatalf("bucket %v forecast %.3f, want %.3f within %.0f%%", b.At, b.Need, w, 100*rel)
		}
	}
}

func TestPredictGivesNoForecast(t *testing.T) {
	flat := func(time.Time) float64 { return 10 }
	day := series(monday, days(2), flat)
	allCampaign := series(monday, days(2), flat)
	for i := range allCampaign {
		allCampaign[i].Campaign = true
	}
	sparse := func() []Point { // every third bucket of the second day: 96 of 288
		h := series(monday, days(1), flat)
		for i, p := range series(monday.Add(24*time.Hour), days(1), flat) {
			if i%3 == 2 {
				h = append(h, p)
			}
		}
		return h
	}
	cases := []struct {
		name   string
		hist   []Point
		now    time.Time
		opt    Options
		reason string
	}{
		{"empty history", nil, monday, Options{}, "no history"},
		{"only future points", day, monday, Options{}, "no history"},
		{"only invalid needs", []Point{{At: monday, Need: math.NaN()}, {At: monday, Need: -1}, {At: monday, Need: math.Inf(1)}}, monday.Add(time.Hour), Options{}, "no history"},
		{"shorter than a day", series(monday, 287, flat), monday.Add(287 * step), Options{}, "history too short"},
		{"stale", day, end(day).Add(3*step + time.Second), Options{}, "stale"},
		{"sparse last day", sparse(), monday.Add(48 * time.Hour), Options{}, "sparse"},
		{"every bucket in a campaign", allCampaign, end(allCampaign), Options{}, "sparse"},
		{"bad quantile", day, end(day), Options{Quantile: 1}, "quantile"},
		{"bad band", day, end(day), Options{BandLow: 0.9, BandHigh: 0.1}, "band"},
		{"bad step", day, end(day), Options{Step: 7 * time.Minute}, "step"},
		{"bad horizon", day, end(day), Options{Horizon: -time.Hour}, "horizon"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := Predict(tc.hist, tc.now, tc.opt)
			if f.OK || !strings.Contains(f.Reason, tc.reason) {
				t.Fatalf("OK %v, reason %q; want no forecast because %q", f.OK, f.Reason, tc.reason)
			}
		})
	}
	// The limits themselves still give a forecast.
	for _, tc := range []struct {
		name string
		hist []Point
		now  time.Time
	}{
		{"exactly a day", series(monday, 288, flat), monday.Add(24 * time.Hour)},
		{"newest bucket three steps old", day, end(day).Add(2 * step)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if f := Predict(tc.hist, tc.now, Options{}); !f.OK {
				t.Fatalf("no forecast: %s", f.Reason)
			}
		})
	}
}

// TestOneOffSpikeIsClipped: an unannounced 5x spike one Monday morning
// moves next Monday's forecast at that hour by less than 10%.
func TestOneOffSpikeIsClipped(t *testing.T) {
	for _, noise := range []float64{0, 0.03} {
		clean := series(monday, days(14), noisy(7, noise, office))
		spiked := append([]Point(nil), clean...)
		for i := 9 * 12; i < 10*12; i++ { // week one, Monday 09:00-10:00
			spiked[i].Need *= 5
		}
		a, b := mustPredict(t, clean, Options{}), mustPredict(t, spiked, Options{})
		if b.Diagnostics.Clipped < 12 {
			t.Errorf("noise %v: Clipped = %d, want the 12 spiked buckets", noise, b.Diagnostics.Clipped)
		}
		for i := 9 * 12; i < 10*12; i++ {
			x, y := a.Buckets[i], b.Buckets[i]
			if x.At.Weekday() != time.Monday || x.At.Hour() != 9 {
				t.Fatalf("bucket %d is at %v", i, x.At)
			}
			if math.Abs(y.Need-x.Need) > 0.1*x.Need || math.Abs(y.Quantile-x.Quantile) > 0.1*x.Quantile {
				t.Fatalf("noise %v, %v: forecast %.1f (q %.1f) with the spike, %.1f (q %.1f) without: more than 10%% apart",
					noise, x.At, y.Need, y.Quantile, x.Need, x.Quantile)
			}
		}
	}
}

// TestWeeklyHighIsKept: a high that recurs every week is rhythm, not an
// outlier, once two weeks show it.
func TestWeeklyHighIsKept(t *testing.T) {
	rush := func(t time.Time) float64 {
		if t.Weekday() == time.Monday && t.Hour() == 9 {
			return 500
		}
		return office(t)
	}
	f := mustPredict(t, series(monday, days(14), rush), Options{})
	if f.Diagnostics.Clipped != 0 {
		t.Errorf("Clipped = %d, want 0", f.Diagnostics.Clipped)
	}
	if got := f.Buckets[9*12].Need; got < 400 {
		t.Fatalf("Monday 09:00 forecast %.1f, want near 500", got)
	}
}

// TestUTCOnly: the same instants in a zone that leaves daylight saving time
// inside the history give the same forecast.
func TestUTCOnly(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	h := series(monday, days(14), noisy(3, 0.05, office)) // over 2026-11-01, when New York leaves DST
	local := make([]Point, len(h))
	for i, p := range h {
		local[i] = Point{At: p.At.In(ny), Need: p.Need, Campaign: p.Campaign}
	}
	a := mustPredict(t, h, Options{})
	b := Predict(local, end(h).In(ny), Options{})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the forecast depends on the zone the times are given in")
	}
}

func TestDiagnostics(t *testing.T) {
	f := mustPredict(t, series(monday, days(15), noisy(4, 0.05, office)), Options{})
	d := f.Diagnostics
	var sum float64
	for _, c := range d.Components {
		sum += c.Weight
		if c.Backtested == 0 || c.MAE == 0 {
			t.Errorf("component %s not backtested", c.Name)
		}
	}
	if len(d.Components) != 4 || math.Abs(sum-1) > 1e-9 {
		t.Errorf("components %+v, want 4 weighing 1", d.Components)
	}
	if d.BacktestDays != 7 || d.Residuals != days(7) || !d.PerHour || d.History != 15*24*time.Hour || d.Observed != days(15) {
		t.Errorf("diagnostics %+v", d)
	}
	if len(f.Buckets) != 576 || !f.Buckets[0].At.Equal(f.Start) || f.Buckets[575].At != f.Start.Add(575*step) {
		t.Errorf("%d buckets from %v to %v", len(f.Buckets), f.Buckets[0].At, f.Buckets[len(f.Buckets)-1].At)
	}
}
