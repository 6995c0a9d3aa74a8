package forecast

import (
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	flat := series(monday, days(4), func(time.Time) float64 { return 10 })
	zeros := series(monday, days(4), func(t time.Time) float64 {
		if t.Hour() < 6 {
			return 0
		}
		return 10
	})
	campaign := series(monday, days(4), func(time.Time) float64 { return 10 })
	for i := days(3); i < days(3)+12; i++ {
		campaign[i].Need, campaign[i].Campaign = 1000, true
	}
	cases := []struct {
		name  string
		hist  []Point
		check func(t *testing.T, e Evaluation)
	}{
		{"flat history has no error", flat, func(t *testing.T, e Evaluation) {
			// origins at the start of days 2, 3 and 4, each scored over two
			// days or up to the last bucket
			if e.Origins != 3 || e.Skipped != 0 || e.Scored != days(2)+days(2)+days(1) {
				t.Fatalf("%+v", e)
			}
			if e.MAE != 0 || e.MAPE != 0 || e.Pinball != 0 || e.Coverage != 1 {
				t.Fatalf("%+v, want no error", e)
			}
		}},
		{"zero actuals are left out of MAPE", zeros, func(t *testing.T, e Evaluation) {
			if e.ZeroActuals != 6*12*5 || e.MAPEScored+e.ZeroActuals != e.Scored || e.MAPE != 0 {
				t.Fatalf("%+v", e)
			}
		}},
		{"campaign buckets are not scored", campaign, func(t *testing.T, e Evaluation) {
			// day 4's campaign hour is in the forecasts of two origins
			if e.Scored != days(5)-2*12 || e.MAE != 0 {
				t.Fatalf("%+v", e)
			}
		}},
		{"a noisy daily sine", series(monday, days(10), noisy(6, 0.1, sine)), func(t *testing.T, e Evaluation) {
			if e.Skipped != 0 || !(e.MAPE > 0.03 && e.MAPE < 0.2) || !(e.Coverage > 0.7 && e.Coverage < 0.99) || !(e.Pinball > 0) {
				t.Fatalf("%+v", e)
			}
		}},
		{"too short to forecast", flat[:200], func(t *testing.T, e Evaluation) {
			if e.Origins != 0 || e.Scored != 0 || e.MAPE != 0 || e.MAE != 0 {
				t.Fatalf("%+v", e)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, Evaluate(tc.hist, Options{}, 0))
		})
	}
}

// TestEvaluateSeesNoFuture: an origin's forecast does not change when the
// history after it does.
func TestEvaluateSeesNoFuture(t *testing.T) {
	h := series(monday, days(3), noisy(8, 0.1, sine))
	a := Evaluate(h[:days(2)+1], Options{Horizon: 5 * time.Minute}, 24*time.Hour)
	h2 := append([]Point(nil), h...)
	for i := days(2) + 1; i < len(h2); i++ {
		h2[i].Need = 1e6
	}
	b := Evaluate(h2[:days(2)+1], Options{Horizon: 5 * time.Minute}, 24*time.Hour)
	if a != b {
		t.Fatalf("%+v != %+v", a, b)
	}
	c := Evaluate(h2, Options{Horizon: 5 * time.Minute}, 24*time.Hour)
	if c.Scored != 2 || c.MAE != a.MAE { // origins at day 1 and day 2, one bucket each
		t.Fatalf("%+v, want the first two origins scored as %+v", c, a)
	}
}
