package sim

import (
	"time"

	"github.com/headroom-dev/headroom/internal/forecast"
	"github.com/headroom-dev/headroom/internal/sim/scenario"
)

// ForecastError is how well the predictive floor's forecast (package
// forecast, default options) predicts a scenario's demand: a
// rolling-origin backtest over the run, one origin a day from the first
// day on, each forecasting 48 hours from the demand before it alone. The
// demand is the one every policy is scored against, in instances, as
// 5-minute means; minutes inside an announced campaign's window count as
// campaign buckets, which the forecast leaves out as a boost covers them.
// Runs shorter than two days have none: a forecast needs a day of history
// and a day to score.
type ForecastError struct {
	// MAPE is the mean absolute percentage error of the point forecast
	// (0.10 is 10%), over buckets with demand above zero.
	MAPE float64 `json:"mape"`
	// MAE is the mean absolute error, in instances.
	MAE float64 `json:"mae_instances"`
	// Quantile is the forecast's quantile scored (the predictive floor's
	// default); Pinball its mean pinball loss in instances, and Coverage
	// the share of demand at or below it, which should be near Quantile.
	Quantile float64 `json:"quantile"`
	Pinball  float64 `json:"pinball_instances"`
	Coverage float64 `json:"coverage"`
	// Origins is how many forecasts were scored, Scored the buckets.
	Origins int `json:"origins"`
	Scored  int `json:"scored_buckets"`
}

// DemandForecastError backtests the forecast on demand (one figure a
// second from sc.Start, as Demand returns it); nil when the run is shorter
// than two days.
func DemandForecastError(sc *scenario.Scenario, demand []int) *ForecastError {
	step := forecast.DefaultStep
	per := int(step / time.Second)
	if len(demand) < 2*24*3600 {
		return nil
	}
	hist := make([]forecast.Point, 0, len(demand)/per)
	for i := 0; i+per <= len(demand); i += per {
		sum := 0
		for _, d := range demand[i : i+per] {
			sum += d
		}
		at := sc.Start.Add(time.Duration(i) * time.Second)
		hist = append(hist, forecast.Point{At: at, Need: float64(sum) / float64(per), Campaign: announced(sc, at, step)})
	}
	ev := forecast.Evaluate(hist, forecast.Options{}, 0)
	if ev.Scored == 0 {
		return nil
	}
	return &ForecastError{MAPE: ev.MAPE, MAE: ev.MAE, Quantile: ev.Quantile, Pinball: ev.Pinball,
		Coverage: ev.Coverage, Origins: ev.Origins - ev.Skipped, Scored: ev.Scored}
}

// announced says whether an announced campaign's window overlaps the
// bucket [at, at+step).
func announced(sc *scenario.Scenario, at time.Time, step time.Duration) bool {
	for _, c := range sc.Campaigns {
		if !c.Announced {
			continue
		}
		start, end := sc.Start.Add(c.Start), sc.Start.Add(c.End)
		if start.Before(at.Add(step)) && end.After(at) {
			return true
		}
	}
	return false
}
