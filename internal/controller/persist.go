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
//
// Each group's minute starts at its own offset, spread evenly over the
// groups, so that a cycle records about interval/recordEvery of a quiet
// fleet rather than all of it once a minute.
const recordEvery = time.Minute

// persistBatch bounds the decisions of one AppendDecisions call. A call is
// one transaction, which holds every body it writes and, in bolt, every
// page it changes until it commits: a fleet's first cycle records every
// group, and one call for 2,000 of them held tens of MB at once.
const persistBatch = 250

// recorded is what persist remembers of a group's last recorded decision:
// the fields that tell whether a new one is worth recording. It holds no
// pointer into a cycle's records, which would keep the whole cycle alive.
type recorded struct {
	next                             time.Time // when an unchanged decision is due again
	current, desired, minCap, maxCap int
	acted, paused                    bool
	skipped, err, reason             string
}

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
	flush := func() {
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
		// New slices: a recorder may keep the one it was given.
		ds, kept = nil, nil
	}
	for i := range records {
		r := &records[i]
		c.mu.Lock()
		gr := c.byName[r.Group]
		if gr == nil || !changed(gr.recorded, r, now) {
			c.mu.Unlock()
			continue
		}
		gr.recorded = remember(r, now, c.recordPhase(i))
		c.mu.Unlock()
		body, err := json.Marshal(Doc(*r))
		if err != nil {
			continue
		}
		ds = append(ds, store.Decision{Group: r.Group, At: r.At, Body: body})
		kept = append(kept, gr)
		if len(ds) == persistBatch {
			flush()
		}
	}
	flush()
}

// recordPhase is the offset of the i-th group's recording minute.
func (c *Controller) recordPhase(i int) time.Duration {
	if len(c.groups) == 0 {
		return 0
	}
	return time.Duration(int64(recordEvery) * int64(i) / int64(len(c.groups)))
}

// remember returns what persist keeps of r, recorded at now. An unchanged
// decision is due again at the start of the group's next minute: the next
// multiple of recordEvery after now, shifted by phase.
func remember(r *Record, now time.Time, phase time.Duration) *recorded {
	k := now.Add(-phase).UnixNano() / int64(recordEvery)
	next := time.Unix(0, (k+1)*int64(recordEvery)).Add(phase)
	return &recorded{
		next: next, current: r.Current, desired: r.Desired, minCap: r.Min, maxCap: r.Max,
		acted: r.Acted, paused: r.Paused, skipped: r.Skipped, err: r.Error, reason: r.Reason,
	}
}

// changed reports whether r is worth recording after last.
func changed(last *recorded, r *Record, now time.Time) bool {
	switch {
	case last == nil, !now.Before(last.next):
		return true
	case last.current != r.Current, last.desired != r.Desired, last.acted || r.Acted,
		last.skipped != r.Skipped, last.err != r.Error, last.reason != r.Reason,
		last.paused != r.Paused, last.minCap != r.Min, last.maxCap != r.Max:
		return true
	}
	return false
}
