package controller

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/headroom-dev/headroom/internal/asg"
)

// captured is a slog handler that keeps every record.
type captured struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *captured) Enabled(context.Context, slog.Level) bool { return true }
func (h *captured) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *captured) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captured) WithGroup(string) slog.Handler      { return h }

// take returns the records kept since the last take.
func (h *captured) take() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.recs
	h.recs = nil
	return out
}

// attrs returns r's attributes by key.
func attrs(r slog.Record) map[string]slog.Value {
	out := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool {
		out[a.Key] = a.Value
		return true
	})
	return out
}

// TestDecisionLogLevels: a group's decision logs at info when it acts, is
// skipped, or its reason changes from the cycle before, and at debug when
// it holds as before; every cycle logs one info summary line.
func TestDecisionLogLevels(t *testing.T) {
	h := newHarness(t, Options{})
	logs := &captured{}
	h.ctrl.deps.Log = slog.New(logs)

	type want struct {
		// level of each group's decision line.
		workers, api slog.Level
		// acted and skipped in the summary line.
		acted, skipped int64
	}
	steps := []struct {
		name   string
		before func()
		want   want
	}{
		{"first cycle: workers scales out, api's first hold", nil,
			want{workers: slog.LevelInfo, api: slog.LevelInfo, acted: 1}},
		{"workers reached its capacity: its reason changes; api holds as before", func() {
			h.groups.groups["workers-asg"] = asg.Group{Name: "workers-asg", Min: 1, Max: 50, Desired: 15, InService: 15, Serving: 15}
		}, want{workers: slog.LevelInfo, api: slog.LevelDebug}},
		{"both hold as before", nil,
			want{workers: slog.LevelDebug, api: slog.LevelDebug}},
		{"a follower skips a scale-out", func() {
			h.leader = false
			h.groups.groups["workers-asg"] = asg.Group{Name: "workers-asg", Min: 1, Max: 50, Desired: 10, InService: 10, Serving: 10}
		}, want{workers: slog.LevelInfo, api: slog.LevelDebug, skipped: 1}},
		{"skipped again for the same reason: still info", nil,
			want{workers: slog.LevelInfo, api: slog.LevelDebug, skipped: 1}},
	}
	for _, step := range steps {
		if step.before != nil {
			step.before()
		}
		h.run(t)
		levels := map[string]slog.Level{}
		var summaries []slog.Record
		for _, r := range logs.take() {
			switch r.Message {
			case "decision":
				levels[attrs(r)["group"].String()] = r.Level
			case "cycle":
				summaries = append(summaries, r)
			}
		}
		if levels["workers"] != step.want.workers || levels["api"] != step.want.api {
			t.Errorf("%s: decision levels workers %s, api %s; want %s, %s",
				step.name, levels["workers"], levels["api"], step.want.workers, step.want.api)
		}
		if len(summaries) != 1 {
			t.Fatalf("%s: %d cycle lines, want 1", step.name, len(summaries))
		}
		s := summaries[0]
		a := attrs(s)
		if s.Level != slog.LevelInfo || a["groups"].Int64() != 2 || a["acted"].Int64() != step.want.acted || a["skipped"].Int64() != step.want.skipped {
			t.Errorf("%s: cycle line %s groups=%v acted=%v skipped=%v; want INFO 2 %d %d",
				step.name, s.Level, a["groups"], a["acted"], a["skipped"], step.want.acted, step.want.skipped)
		}
		if a["slowest_call"].String() == "" {
			t.Errorf("%s: cycle line names no slowest call", step.name)
		}
		if _, ok := a["slowest_call_seconds"]; !ok {
			t.Errorf("%s: cycle line lacks slowest_call_seconds", step.name)
		}
	}
}
