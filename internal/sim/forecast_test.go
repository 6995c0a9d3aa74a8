package sim

import (
	"fmt"
	"strings"
	"testing"
)

// rhythm is a scenario of days days, each with a morning rush.
func rhythm(days int, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `
name: rhythm
start: 2026-11-02T00:00:00Z
duration: %dh
slo: 2m
workers:
  per_instance_rate: 10
  launch_time: {distribution: fixed, value: 90s}
  warmup: 60s
  min: 1
  max: 100
load:
  - constant: {rate: 50}
`, days*24)
	for d := range days {
		fmt.Fprintf(&b, "  - spike: {at: \"2026-11-%02dT08:00:00Z\", peak: 450, rise: 1h, decay: 90m}\n", 2+d)
	}
	b.WriteString(extra)
	return b.String()
}

func TestDemandForecastError(t *testing.T) {
	t.Run("a day is too short", func(t *testing.T) {
		sc := parse(t, rhythm(1, ""))
		if f := DemandForecastError(sc, Demand(sc, sc.Load(1))); f != nil {
			t.Errorf("a one-day run has a forecast error: %+v", f)
		}
	})
	t.Run("a daily rush is forecast", func(t *testing.T) {
		sc := parse(t, rhythm(4, ""))
		f := DemandForecastError(sc, Demand(sc, sc.Load(1)))
		if f == nil {
			t.Fatal("no forecast error for a four-day run")
		}
		// The same rush every day: the seasonal forecast repeats it.
		if f.MAPE > 0.05 || f.Origins < 2 || f.Scored == 0 {
			t.Errorf("forecast error %+v, want MAPE at most 5%% over at least 2 forecasts", f)
		}
	})
	t.Run("an unannounced spike counts, an announced one does not", func(t *testing.T) {
		spike := "  - spike: {at: \"2026-11-04T20:00:00Z\", peak: 900, rise: 2m, decay: 30m}\n"
		window := "campaigns:\n  - {name: push, start: \"2026-11-04T19:50:00Z\", end: \"2026-11-04T21:30:00Z\", capacity: 90, announced: %t}\n"
		scHidden := parse(t, rhythm(4, spike+fmt.Sprintf(window, false)))
		scShown := parse(t, rhythm(4, spike+fmt.Sprintf(window, true)))
		fh := DemandForecastError(scHidden, Demand(scHidden, scHidden.Load(1)))
		fs := DemandForecastError(scShown, Demand(scShown, scShown.Load(1)))
		if fh == nil || fs == nil {
			t.Fatal("no forecast error")
		}
		if fs.Scored >= fh.Scored {
			t.Errorf("the announced campaign's buckets were scored: %d against %d unannounced", fs.Scored, fh.Scored)
		}
		if fh.MAE <= fs.MAE {
			t.Errorf("an unannounced spike did not raise the error: MAE %.3f against %.3f", fh.MAE, fs.MAE)
		}
	})
}
