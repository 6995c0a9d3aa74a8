package controller

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/forecast"
	"github.com/headroom-dev/headroom/internal/store"
)

// refitEvery is how often a group's forecast is fitted again: once a
// history bucket, when one more bucket can have been recorded. Each
// group refits at its own offset within the bucket, spread evenly over
// the groups, so that a cycle fits about interval/refitEvery of the fleet
// rather than all of it at once.
const refitEvery = store.HistoryBucket

// refreshConcurrency bounds the history reads of one cycle.
const refreshConcurrency = 8

// Predictive is a decision's predictive floor: what the forecast of the
// group's need says the floor is, and whether it was applied.
type Predictive struct {
	// Mode is config.PredictiveForecastOnly or config.PredictiveFloor.
	Mode string
	// Floor is the floor in the group's units, capped at the lowest of
	// max_floor, the configured max and the group's MaxSize; 0 when there
	// is none (Reason says why).
	Floor int
	// Lead is how far ahead the floor looks; Quantile the forecast
	// quantile it is taken at.
	Lead     time.Duration
	Quantile float64
	// Applied is true when Floor was given to the engine: mode floor and
	// a floor above 0. The decision's changes show whether it raised the
	// number (rule predictive).
	Applied bool
	// Reason says how the floor was found, or why there is none.
	Reason string
}

// predictor is one group's cached history and forecast. The history is
// read in full once, then from its newest bucket on at each refit, so a
// group costs one small read every refitEvery, not 4,032 points a cycle.
type predictor struct {
	history  []store.HistoryPoint // oldest first, within store.HistoryKeep
	loaded   bool                 // history has been read once
	next     time.Time            // when the forecast is due again
	fitted   bool                 // fc has been fitted
	fittedAt time.Time            // when fc was fitted
	fc       forecast.Forecast
	err      string // why the last read failed, "" when it did not
}

// add merges a bucket this replica has just recorded into the cache; a
// bucket the cache holds already is merged with it.
func (p *predictor) add(pt store.HistoryPoint) {
	if !p.loaded {
		return
	}
	if n := len(p.history); n > 0 && p.history[n-1].At.Equal(pt.At) {
		p.history[n-1] = store.MergeHistory(p.history[n-1], pt)
		return
	}
	if n := len(p.history); n == 0 || p.history[n-1].At.Before(pt.At) {
		p.history = append(p.history, pt)
	}
}

// refitPhase is the offset of the i-th group's refit within a bucket.
func (c *Controller) refitPhase(i int) time.Duration {
	if len(c.groups) == 0 {
		return 0
	}
	return time.Duration(int64(refitEvery) * int64(i) / int64(len(c.groups)))
}

// nextRefit is the start of the group's next refit slot after now.
func nextRefit(now time.Time, phase time.Duration) time.Time {
	k := now.Add(-phase).UnixNano() / int64(refitEvery)
	return time.Unix(0, (k+1)*int64(refitEvery)).Add(phase)
}

// refreshForecasts reads the new history of each group with a predictive
// block whose refit is due, and fits its forecast again. It runs outside
// c.mu: the reads are I/O.
func (c *Controller) refreshForecasts(ctx context.Context, now time.Time) {
	if c.deps.History == nil {
		return
	}
	type job struct {
		gr      *groupRun
		history []store.HistoryPoint
		loaded  bool
		quant   float64
	}
	var jobs []*job
	c.mu.Lock()
	for i, gr := range c.groups {
		if gr.cfg.Predictive == nil {
			continue
		}
		if gr.pred.next.IsZero() {
			// The first reads (14 days each) spread over one refit
			// period from the start, at each group's phase, rather than
			// all in the first cycle: a new leader of many groups would
			// otherwise read them all at once within one cycle's
			// deadline. No forecast means no predictive floor, not a
			// scale-in: a group's first window after a start allows none.
			gr.pred.next = now.Add(c.refitPhase(i))
		}
		if now.Before(gr.pred.next) {
			continue
		}
		gr.pred.next = nextRefit(now, c.refitPhase(i))
		jobs = append(jobs, &job{gr: gr, history: slices.Clone(gr.pred.history), loaded: gr.pred.loaded, quant: gr.cfg.Predictive.Quantile})
	}
	c.mu.Unlock()
	if len(jobs) == 0 {
		return
	}
	sem := make(chan struct{}, refreshConcurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			hist, err := readHistory(ctx, c.deps.History, j.gr.cfg.Name, j.history, j.loaded, now)
			var fc forecast.Forecast
			if err == nil {
				fc = forecast.Predict(forecastPoints(hist), now, forecast.Options{Quantile: j.quant})
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			p := &j.gr.pred
			if err != nil {
				// The forecast fitted last stays in use (it reaches 48 h
				// ahead): a store that fails a read is no news of demand.
				p.err = err.Error()
				c.countError(j.gr.cfg.Name, "history_read")
				return
			}
			p.err, p.history, p.loaded, p.fc, p.fitted, p.fittedAt = "", hist, true, fc, true, now
		}()
	}
	wg.Wait()
}

// readHistory brings a group's cached history up to date: all of it the
// first time, then from the newest cached bucket on (which another writer
// may have merged into since), dropping what has passed store.HistoryKeep.
func readHistory(ctx context.Context, hs HistoryStore, group string, cached []store.HistoryPoint, loaded bool, now time.Time) ([]store.HistoryPoint, error) {
	cutoff := store.HistoryCutoff(now, store.HistoryKeep)
	since := cutoff.Add(store.HistoryBucket)
	if loaded && len(cached) > 0 {
		since = cached[len(cached)-1].At
		cached = cached[:len(cached)-1]
	} else {
		cached = nil
	}
	fresh, err := hs.ListHistory(ctx, group, since, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("read demand history of %q: %w", group, err)
	}
	out := append(cached, fresh...)
	i := 0
	for i < len(out) && !out[i].At.After(cutoff) {
		i++
	}
	return out[i:], nil
}

// forecastPoints converts history to the forecast's input.
func forecastPoints(h []store.HistoryPoint) []forecast.Point {
	out := make([]forecast.Point, len(h))
	for i, p := range h {
		out[i] = forecast.Point{At: p.At, Need: p.NeedUnits, Campaign: p.Campaign}
	}
	return out
}

// predictiveLead is how far ahead a group's predictive floor looks: the
// configured lead, else the group's launch lead as a boost's (the
// measured launch p90 plus warmup plus one interval, or boost_lead until
// launches are measured).
func (c *Controller) predictiveLead(gr *groupRun, g asg.Group) time.Duration {
	if l := gr.cfg.Predictive.Lead.Std(); l > 0 {
		return l
	}
	return c.lead(gr, g)
}

// predictive is a group's predictive floor at now, nil when the group has
// no predictive block; c.mu is held.
func (c *Controller) predictive(gr *groupRun, g asg.Group, now time.Time) *Predictive {
	cfg := gr.cfg.Predictive
	if cfg == nil {
		return nil
	}
	out := &Predictive{Mode: cfg.Mode, Lead: c.predictiveLead(gr, g), Quantile: cfg.Quantile}
	switch {
	case c.deps.History == nil:
		out.Reason = "no demand history: no history store is configured"
		return out
	case gr.pred.err != "" && !gr.pred.fitted:
		out.Reason = "no forecast: " + gr.pred.err
		return out
	case !gr.pred.fitted:
		out.Reason = "no forecast yet: the first is fitted within " + refitEvery.String() + " of the start"
		return out
	}
	units, ok, reason := forecast.Floor(gr.pred.fc, now, out.Lead, cfg.Quantile)
	out.Reason = reason
	if gr.pred.err != "" {
		out.Reason += "; the forecast fitted at " + gr.pred.fittedAt.UTC().Format(time.RFC3339) + " (the last read of the history failed: " + gr.pred.err + ")"
	}
	if !ok {
		return out
	}
	// The forecast is in units; a floor is whole units, rounded up so that
	// it covers the need (less a rounding error's worth).
	floor := int(math.Ceil(units - 1e-9))
	limit, why := g.Max, "the group's MaxSize"
	if gr.cfg.Max > 0 && gr.cfg.Max < limit {
		limit, why = gr.cfg.Max, "max"
	}
	if cfg.MaxFloor > 0 && cfg.MaxFloor < limit {
		limit, why = cfg.MaxFloor, "max_floor"
	}
	if floor > limit {
		out.Reason += fmt.Sprintf("; %d capped at %s %d", floor, why, limit)
		floor = limit
	}
	out.Floor = max(floor, 0)
	out.Applied = cfg.Mode == config.PredictiveFloor && out.Floor > 0
	return out
}
