// Package memory keeps a store.History in the process's memory, for the
// simulator and for tests that need a history without a file or a table.
// It holds the same contract as the persistent stores (the history cases
// of the conformance suite run against it) and keeps nothing across
// processes.
package memory

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/store"
)

// History is a store.History in memory. The zero value is not usable: use
// NewHistory.
type History struct {
	mu     sync.Mutex
	groups map[string]map[int64]store.HistoryPoint // by group, by bucket start (Unix seconds)
}

var _ store.History = (*History)(nil)

// NewHistory returns an empty history.
func NewHistory() *History {
	return &History{groups: map[string]map[int64]store.HistoryPoint{}}
}

// RecordHistory merges pts into their buckets and drops the buckets of
// their groups that keep has passed, as store.History documents. A call
// either stores all of its points or, when any is bad, none.
func (h *History) RecordHistory(ctx context.Context, pts []store.HistoryPoint, keep time.Duration, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckHistory(pts, keep, now); err != nil {
		return err
	}
	cutoff := store.HistoryCutoff(now, keep)
	h.mu.Lock()
	defer h.mu.Unlock()
	touched := map[string]bool{}
	for _, p := range pts {
		touched[p.Group] = true
		if !p.At.After(cutoff) {
			continue
		}
		p.At = p.At.UTC()
		g := h.groups[p.Group]
		if g == nil {
			g = map[int64]store.HistoryPoint{}
			h.groups[p.Group] = g
		}
		k := p.At.Unix()
		if old, ok := g[k]; ok {
			p = store.MergeHistory(old, p)
		}
		g[k] = p
	}
	for group := range touched {
		for k, p := range h.groups[group] {
			if !p.At.After(cutoff) {
				delete(h.groups[group], k)
			}
		}
	}
	return nil
}

// ListHistory returns group's buckets from since to before until (zero:
// no upper bound), oldest first.
func (h *History) ListHistory(ctx context.Context, group string, since, until time.Time) ([]store.HistoryPoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if group == "" {
		return nil, errors.New("list history: empty group")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []store.HistoryPoint{}
	for _, p := range h.groups[group] {
		if p.At.Before(since) || !until.IsZero() && !p.At.Before(until) {
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}
