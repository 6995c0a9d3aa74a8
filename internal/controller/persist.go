package controller

import (
	"context"
	"encoding/json"
	"time"

	"github.com/headroom-dev/headroom/internal/store"
)

// recordEvery is how often an unchanged decision is recorded anyway, so
// that history shows the group was being watched. A changed decision is
// recorded at once. Recording every cycle of every group would cost a
// DynamoDB fleet 2,000 writes every 10 s and say nothing new.
const recordEvery = time.Minute

// persist writes this cycle's decisions to the decision store: those that
// differ from the group's last recorded one, and the others once a
// recordEvery. Only the replica that acts records: followers' decisions
// are shadows.
func (c *Controller) persist(ctx context.Context, records []Record, now time.Time) {
	if c.deps.Decisions == nil || c.opts.DryRun || !c.leading() {
		return
	}
	var ds []store.Decision
	var kept []*groupRun
	c.mu.Lock()
	for i := range records {
		r := &records[i]
		gr := c.byName[r.Group]
		if gr == nil || !changed(gr.recorded, r, now) {
			continue
		}
		body, err := json.Marshal(Doc(*r))
		if err != nil {
			continue
		}
		ds = append(ds, store.Decision{Group: r.Group, At: r.At, Body: body})
		kept = append(kept, gr)
		gr.recorded = r
	}
	c.mu.Unlock()
	if len(ds) == 0 {
		return
	}
	if err := c.deps.Decisions.AppendDecisions(ctx, ds, c.opts.Retention, now); err != nil {
		c.deps.Log.Warn("record decisions", "decisions", len(ds), "err", err)
		c.mu.Lock()
		for _, gr := range kept {
			gr.recorded = nil // try again next cycle
		}
		c.mu.Unlock()
		for _, d := range ds {
			c.countError(d.Group, "record")
		}
	}
}

// changed reports whether r is worth recording after last.
func changed(last, r *Record, now time.Time) bool {
	switch {
	case last == nil, now.Sub(last.At) >= recordEvery:
		return true
	case last.Current != r.Current, last.Desired != r.Desired, last.Acted || r.Acted,
		last.Skipped != r.Skipped, last.Error != r.Error, last.Reason != r.Reason,
		last.Paused != r.Paused, last.Min != r.Min, last.Max != r.Max:
		return true
	}
	return false
}
