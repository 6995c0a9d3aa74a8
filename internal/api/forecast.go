package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/forecast"
	"github.com/headroom-dev/headroom/internal/store"
)

// forecastDoc is GET /v1/groups/{name}/forecast: the group's need
// forecast for the next 48 hours from its demand history, the history it
// came from by the hour, and the predictive floor of its latest decision.
type forecastDoc struct {
	Group string    `json:"group"`
	At    time.Time `json:"at"`
	// OK is false when no forecast could be made; Reason says why.
	OK          bool    `json:"ok"`
	Reason      string  `json:"reason"`
	StepSeconds float64 `json:"step_seconds"`
	// BandLow and BandHigh are the quantiles of each point's low and high.
	BandLow    float64                   `json:"band_low"`
	BandHigh   float64                   `json:"band_high"`
	Points     []forecastPoint           `json:"points"`
	History    []historyHour             `json:"history"`
	Predictive *controller.PredictiveDoc `json:"predictive"`
}

// forecastPoint is one forecast bucket: the point forecast and its band,
// in the group's units.
type forecastPoint struct {
	At   time.Time `json:"at"`
	Need float64   `json:"need"`
	Low  float64   `json:"low"`
	High float64   `json:"high"`
}

// historyHour is one hour of demand history: the means of its buckets.
// An hour rather than a bucket keeps 14 days to 336 entries.
type historyHour struct {
	At       time.Time `json:"at"`
	Need     float64   `json:"need"`
	Arrivals float64   `json:"arrivals"`
	Buckets  int       `json:"buckets"`
	Campaign bool      `json:"campaign"`
}

// getForecast answers from the store's history, read for the request: a
// forecast is asked for by a person, not every cycle, and any replica
// answers the same.
func (s *server) getForecast(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	v, ok := s.fleet.View(name)
	if !ok {
		writeProblem(w, r, notFound("group %q is not configured", name))
		return
	}
	now := s.clock.Now().UTC()
	hist, err := s.store.ListHistory(r.Context(), name, store.HistoryCutoff(now, store.HistoryKeep).Add(store.HistoryBucket), time.Time{})
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, "demand history of group "+name, err))
		return
	}
	pts := make([]forecast.Point, len(hist))
	for i, p := range hist {
		pts[i] = forecast.Point{At: p.At, Need: p.NeedUnits, Campaign: p.Campaign}
	}
	// The group's own quantile, as its decisions use it; the forecast's
	// default for a group without a predictive block.
	opt := forecast.Options{}
	if v.Last != nil && v.Last.Predictive != nil && v.Last.Predictive.Quantile > 0 && v.Last.Predictive.Quantile < 1 {
		opt.Quantile = v.Last.Predictive.Quantile
	}
	f := forecast.Predict(pts, now, opt)
	doc := forecastDoc{Group: name, At: now, OK: f.OK, Reason: f.Reason, StepSeconds: f.Step.Seconds(),
		BandLow: f.BandLow, BandHigh: f.BandHigh, Points: []forecastPoint{}, History: hourly(hist)}
	for _, b := range f.Buckets {
		doc.Points = append(doc.Points, forecastPoint{At: b.At, Need: b.Need, Low: b.Low, High: b.High})
	}
	if v.Last != nil {
		doc.Predictive = controller.Doc(*v.Last).Predictive
	}
	writeJSON(w, http.StatusOK, doc)
}

// hourly averages history buckets, oldest first, by the hour.
func hourly(h []store.HistoryPoint) []historyHour {
	out := []historyHour{}
	for _, p := range h {
		at := p.At.UTC().Truncate(time.Hour)
		if n := len(out); n == 0 || !out[n-1].At.Equal(at) {
			out = append(out, historyHour{At: at})
		}
		o := &out[len(out)-1]
		o.Need += p.NeedUnits
		o.Arrivals += p.Arrivals
		o.Buckets++
		o.Campaign = o.Campaign || p.Campaign
	}
	for i := range out {
		n := float64(out[i].Buckets)
		out[i].Need /= n
		out[i].Arrivals /= n
	}
	return out
}
