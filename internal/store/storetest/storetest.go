// Package storetest is the conformance suite every store.Store must pass.
// Each implementation's tests call Run with a function that opens a fresh,
// empty store; the suite never sleeps and passes every time as a value.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/store"
)

// base is the suite's fixed "now"; every time in the suite derives from it
// so no test depends on the wall clock.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Options say what a store may do differently from another and still
// conform.
type Options struct {
	// OneProcess: the store admits one process at a time (bolt's file
	// lock), so a lease of the same holder under another nonce belongs to
	// a process that has exited and is taken at once. Without it, that
	// lease is another process's and conflicts until it expires.
	OneProcess bool
	// Reopen returns a new store on the state of s, which the suite has
	// closed: what a restarted process or another replica opens. Nil: the
	// store keeps nothing across processes, and the suite skips the test.
	Reopen func(t *testing.T, s store.Store) store.Store
}

// Run runs the conformance suite against the stores open returns. open is
// called once per subtest and must return an empty store; Run closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store, o Options) {
	t.Helper()
	suites := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"boosts", testBoosts},
		{"boost_list_order", testBoostListOrder},
		{"overrides", testOverrides},
		{"override_list_order", testOverrideListOrder},
		{"audit", testAudit},
		{"decisions", testDecisions},
		{"decision_retention", testDecisionRetention},
		{"history_reopen", func(t *testing.T, open func(t *testing.T) store.Store) { testHistoryReopen(t, open, o) }},
		{"lease", func(t *testing.T, open func(t *testing.T) store.Store) { testLease(t, open, o) }},
		{"idempotency", testIdempotency},
		{"concurrent_conflicting_updates", testConcurrentUpdates},
		{"canceled_context", testCanceledContext},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, open) })
	}
	history := func(t *testing.T) store.History { return open(t) }
	for _, s := range historySuites {
		t.Run(s.name, func(t *testing.T) { s.run(t, history) })
	}
}

// fresh opens a store for one subtest and closes it when the subtest ends.
func fresh(t *testing.T, open func(t *testing.T) store.Store) store.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

// sameJSON fails t unless got and want encode to the same JSON, which
// compares times by instant and ignores how an implementation keeps them.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: encode got: %v", what, err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("%s: encode want: %v", what, err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// wantErr fails t unless err matches target (nil target: no error).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

func sampleBoost(id string, start time.Time) store.Boost {
	return store.Boost{
		ID:          id,
		Name:        "campaign " + id,
		Reason:      "spring sale",
		Groups:      []string{"workers", "team=rewards"},
		Start:       start,
		End:         start.Add(4 * time.Hour),
		TimeZone:    "Europe/Paris",
		MinCapacity: 12,
		Multiplier:  1.5,
		Ramp:        30 * time.Minute,
		Lead:        10 * time.Minute,
		CapAtMax:    true,
		CreatedBy:   "ops",
		CreatedAt:   base,
		UpdatedAt:   base,
	}
}

func mustPutBoost(t *testing.T, s store.Store, b store.Boost) store.Boost {
	t.Helper()
	got, err := s.PutBoost(context.Background(), b)
	if err != nil {
		t.Fatalf("put boost %q: %v", b.ID, err)
	}
	return got
}

func testBoosts(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"create_then_get", func(t *testing.T, s store.Store) {
			b := sampleBoost("b1", base)
			got := mustPutBoost(t, s, b)
			if got.Version != 1 {
				t.Fatalf("created version = %d, want 1", got.Version)
			}
			b.Version = 1
			sameJSON(t, "put result", got, b)
			read, err := s.GetBoost(ctx, "b1")
			wantErr(t, "get", err, nil)
			sameJSON(t, "get", read, b)
		}},
		{"campaign_section_round_trips", func(t *testing.T, s store.Store) {
			b := sampleBoost("b1", base)
			b.Campaign = &store.BoostCampaign{ID: "c-1", Name: "winter rewards", Groups: []string{"workers", "mailers"},
				Audience: 50000, MessagesPerRecipient: 2, EndGiven: true,
				Sizing: json.RawMessage(`{"audience":50000,"floor":12,"source":"history"}`)}
			got := mustPutBoost(t, s, b)
			b.Version = got.Version
			sameJSON(t, "put result", got, b)
			read, err := s.GetBoost(ctx, "b1")
			wantErr(t, "get", err, nil)
			sameJSON(t, "get", read, b)
			list, err := s.ListBoosts(ctx)
			wantErr(t, "list", err, nil)
			if len(list) != 1 || list[0].Campaign == nil || list[0].Campaign.Audience != 50000 {
				t.Fatalf("list lost the campaign section: %+v", list)
			}
		}},
		{"cancel_is_kept", func(t *testing.T, s store.Store) {
			b := mustPutBoost(t, s, sampleBoost("b1", base))
			b.CancelledAt, b.CancelledBy = base.Add(time.Minute), "ops"
			got := mustPutBoost(t, s, b)
			read, err := s.GetBoost(ctx, "b1")
			wantErr(t, "get", err, nil)
			sameJSON(t, "get", read, got)
			if !read.Cancelled() || read.CancelledBy != "ops" || !read.CancelledAt.Equal(base.Add(time.Minute)) {
				t.Errorf("cancelled boost read back as %+v", read)
			}
		}},
		{"create_twice_conflicts", func(t *testing.T, s store.Store) {
			mustPutBoost(t, s, sampleBoost("b1", base))
			again := sampleBoost("b1", base)
			again.Name = "intruder"
			_, err := s.PutBoost(ctx, again)
			wantErr(t, "second create", err, store.ErrConflict)
			read, err := s.GetBoost(ctx, "b1")
			wantErr(t, "get", err, nil)
			if read.Name == "intruder" || read.Version != 1 {
				t.Errorf("conflicting create changed the boost: %+v", read)
			}
		}},
		{"update_bumps_version", func(t *testing.T, s store.Store) {
			b := mustPutBoost(t, s, sampleBoost("b1", base))
			b.Name = "renamed"
			b.UpdatedAt = base.Add(time.Minute)
			got := mustPutBoost(t, s, b)
			if got.Version != 2 {
				t.Fatalf("updated version = %d, want 2", got.Version)
			}
			read, err := s.GetBoost(ctx, "b1")
			wantErr(t, "get", err, nil)
			b.Version = 2
			sameJSON(t, "get after update", read, b)
		}},
		{"update_with_stale_version_conflicts", func(t *testing.T, s store.Store) {
			v1 := mustPutBoost(t, s, sampleBoost("b1", base))
			v2 := v1
			v2.Name = "second"
			v2 = mustPutBoost(t, s, v2)
			stale := v1
			stale.Name = "stale writer"
			_, err := s.PutBoost(ctx, stale)
			wantErr(t, "stale update", err, store.ErrConflict)
			read, err := s.GetBoost(ctx, "b1")
			wantErr(t, "get", err, nil)
			sameJSON(t, "after stale update", read, v2)
		}},
		{"update_unknown_fails", func(t *testing.T, s store.Store) {
			b := sampleBoost("ghost", base)
			b.Version = 3
			_, err := s.PutBoost(ctx, b)
			if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
				t.Fatalf("update of unknown boost: error = %v, want ErrNotFound or ErrConflict", err)
			}
			_, err = s.GetBoost(ctx, "ghost")
			wantErr(t, "get after failed update", err, store.ErrNotFound)
		}},
		{"empty_id_rejected", func(t *testing.T, s store.Store) {
			if _, err := s.PutBoost(ctx, sampleBoost("", base)); err == nil {
				t.Fatal("put boost with empty id: no error")
			}
		}},
		{"get_unknown_not_found", func(t *testing.T, s store.Store) {
			_, err := s.GetBoost(ctx, "nope")
			wantErr(t, "get unknown", err, store.ErrNotFound)
		}},
		{"delete", func(t *testing.T, s store.Store) {
			b := mustPutBoost(t, s, sampleBoost("b1", base))
			wantErr(t, "delete", s.DeleteBoost(ctx, "b1", b.Version), nil)
			_, err := s.GetBoost(ctx, "b1")
			wantErr(t, "get after delete", err, store.ErrNotFound)
			wantErr(t, "delete again", s.DeleteBoost(ctx, "b1", b.Version), store.ErrNotFound)
		}},
		{"delete_with_stale_version_conflicts", func(t *testing.T, s store.Store) {
			v1 := mustPutBoost(t, s, sampleBoost("b1", base))
			v2 := mustPutBoost(t, s, v1)
			wantErr(t, "stale delete", s.DeleteBoost(ctx, "b1", v1.Version), store.ErrConflict)
			read, err := s.GetBoost(ctx, "b1")
			wantErr(t, "get after stale delete", err, nil)
			sameJSON(t, "after stale delete", read, v2)
		}},
		{"delete_unknown_not_found", func(t *testing.T, s store.Store) {
			wantErr(t, "delete unknown", s.DeleteBoost(ctx, "nope", 1), store.ErrNotFound)
		}},
		{"recreate_after_delete", func(t *testing.T, s store.Store) {
			b := mustPutBoost(t, s, sampleBoost("b1", base))
			wantErr(t, "delete", s.DeleteBoost(ctx, "b1", b.Version), nil)
			got := mustPutBoost(t, s, sampleBoost("b1", base))
			if got.Version != 1 {
				t.Errorf("recreated version = %d, want 1", got.Version)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, fresh(t, open)) })
	}
}

func testBoostListOrder(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		put  []store.Boost
		want []string
	}{
		{"empty", nil, []string{}},
		{"by_start", []store.Boost{
			sampleBoost("late", base.Add(2*time.Hour)),
			sampleBoost("early", base),
			sampleBoost("middle", base.Add(time.Hour)),
		}, []string{"early", "middle", "late"}},
		{"same_start_by_id", []store.Boost{
			sampleBoost("c", base),
			sampleBoost("a", base),
			sampleBoost("b", base),
			sampleBoost("0-first", base.Add(-time.Minute)),
		}, []string{"0-first", "a", "b", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fresh(t, open)
			for _, b := range tc.put {
				mustPutBoost(t, s, b)
			}
			got, err := s.ListBoosts(ctx)
			wantErr(t, "list boosts", err, nil)
			ids := make([]string, 0, len(got))
			for _, b := range got {
				ids = append(ids, b.ID)
			}
			sameJSON(t, "boost order", ids, tc.want)
		})
	}
}

func intp(v int) *int { return &v }

func sampleOverride(id, group string, created time.Time) store.Override {
	return store.Override{
		ID:        id,
		Group:     group,
		Kind:      "bounds",
		Min:       intp(3),
		Max:       intp(40),
		Reason:    "incident 42",
		ExpiresAt: created.Add(2 * time.Hour),
		CreatedBy: "oncall",
		CreatedAt: created,
	}
}

func mustPutOverride(t *testing.T, s store.Store, o store.Override) store.Override {
	t.Helper()
	got, err := s.PutOverride(context.Background(), o)
	if err != nil {
		t.Fatalf("put override %q: %v", o.ID, err)
	}
	return got
}

func testOverrides(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"create_then_get", func(t *testing.T, s store.Store) {
			o := sampleOverride("o1", "workers", base)
			got := mustPutOverride(t, s, o)
			o.Version = 1
			sameJSON(t, "put result", got, o)
			read, err := s.GetOverride(ctx, "o1")
			wantErr(t, "get", err, nil)
			sameJSON(t, "get", read, o)
		}},
		{"cancel_is_kept", func(t *testing.T, s store.Store) {
			o := mustPutOverride(t, s, sampleOverride("o1", "workers", base))
			o.CancelledAt, o.CancelledBy = base.Add(time.Minute), "ops"
			got := mustPutOverride(t, s, o)
			read, err := s.GetOverride(ctx, "o1")
			wantErr(t, "get", err, nil)
			sameJSON(t, "get", read, got)
			if !read.Cancelled() || read.CancelledBy != "ops" {
				t.Errorf("cancelled override read back as %+v", read)
			}
		}},
		{"create_twice_conflicts", func(t *testing.T, s store.Store) {
			mustPutOverride(t, s, sampleOverride("o1", "workers", base))
			again := sampleOverride("o1", "web", base)
			_, err := s.PutOverride(ctx, again)
			wantErr(t, "second create", err, store.ErrConflict)
			read, err := s.GetOverride(ctx, "o1")
			wantErr(t, "get", err, nil)
			if read.Group != "workers" || read.Version != 1 {
				t.Errorf("conflicting create changed the override: %+v", read)
			}
		}},
		{"update_and_stale_update", func(t *testing.T, s store.Store) {
			v1 := mustPutOverride(t, s, sampleOverride("o1", "workers", base))
			v2 := v1
			v2.Kind, v2.Capacity, v2.Min, v2.Max = "pin", 7, nil, nil
			v2 = mustPutOverride(t, s, v2)
			if v2.Version != 2 {
				t.Fatalf("updated version = %d, want 2", v2.Version)
			}
			stale := v1
			stale.Kind = "pause"
			_, err := s.PutOverride(ctx, stale)
			wantErr(t, "stale update", err, store.ErrConflict)
			read, err := s.GetOverride(ctx, "o1")
			wantErr(t, "get", err, nil)
			sameJSON(t, "after stale update", read, v2)
		}},
		{"get_unknown_not_found", func(t *testing.T, s store.Store) {
			_, err := s.GetOverride(ctx, "nope")
			wantErr(t, "get unknown", err, store.ErrNotFound)
		}},
		{"delete_and_stale_delete", func(t *testing.T, s store.Store) {
			v1 := mustPutOverride(t, s, sampleOverride("o1", "workers", base))
			v2 := mustPutOverride(t, s, v1)
			wantErr(t, "stale delete", s.DeleteOverride(ctx, "o1", v1.Version), store.ErrConflict)
			if _, err := s.GetOverride(ctx, "o1"); err != nil {
				t.Fatalf("stale delete removed the override: %v", err)
			}
			wantErr(t, "delete", s.DeleteOverride(ctx, "o1", v2.Version), nil)
			_, err := s.GetOverride(ctx, "o1")
			wantErr(t, "get after delete", err, store.ErrNotFound)
		}},
		{"delete_unknown_not_found", func(t *testing.T, s store.Store) {
			wantErr(t, "delete unknown", s.DeleteOverride(ctx, "nope", 1), store.ErrNotFound)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, fresh(t, open)) })
	}
}

func testOverrideListOrder(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := fresh(t, open)
	for _, o := range []store.Override{
		sampleOverride("w-late", "workers", base.Add(time.Hour)),
		sampleOverride("web-1", "web", base.Add(30*time.Minute)),
		sampleOverride("w-b", "workers", base),
		sampleOverride("w-a", "workers", base),
	} {
		mustPutOverride(t, s, o)
	}
	tests := []struct {
		name  string
		group string
		want  []string
	}{
		{"every_group", "", []string{"w-a", "w-b", "web-1", "w-late"}},
		{"one_group", "workers", []string{"w-a", "w-b", "w-late"}},
		{"other_group", "web", []string{"web-1"}},
		{"unknown_group", "batch", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListOverrides(ctx, tc.group)
			wantErr(t, "list overrides", err, nil)
			ids := make([]string, 0, len(got))
			for _, o := range got {
				ids = append(ids, o.ID)
			}
			sameJSON(t, "override order", ids, tc.want)
		})
	}
}

func testAudit(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := fresh(t, open)
	for i := range 5 {
		e := store.AuditEntry{
			ID:     fmt.Sprintf("e%d", i),
			At:     base.Add(time.Duration(i) * time.Minute),
			Actor:  "ops",
			Action: "boost.update",
			Object: "b1",
			Before: json.RawMessage(fmt.Sprintf(`{"version":%d}`, i)),
			After:  json.RawMessage(fmt.Sprintf(`{"version":%d}`, i+1)),
		}
		wantErr(t, "append audit", s.AppendAudit(ctx, e), nil)
	}
	// Appended out of time order: listing is by time, not by arrival.
	wantErr(t, "append early audit", s.AppendAudit(ctx, store.AuditEntry{
		ID: "early", At: base.Add(-time.Hour), Actor: "headroom", Action: "override.expire", Object: "o1",
	}), nil)

	tests := []struct {
		name  string
		since time.Time
		limit int
		want  []string
	}{
		{"all", time.Time{}, 0, []string{"early", "e0", "e1", "e2", "e3", "e4"}},
		{"since_is_inclusive", base.Add(2 * time.Minute), 0, []string{"e2", "e3", "e4"}},
		{"limit_keeps_oldest", time.Time{}, 2, []string{"early", "e0"}},
		{"since_and_limit", base.Add(time.Minute), 2, []string{"e1", "e2"}},
		{"since_after_all", base.Add(time.Hour), 0, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListAudit(ctx, tc.since, tc.limit)
			wantErr(t, "list audit", err, nil)
			ids := make([]string, 0, len(got))
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			sameJSON(t, "audit ids", ids, tc.want)
		})
	}

	t.Run("round_trip", func(t *testing.T) {
		got, err := s.ListAudit(ctx, base.Add(3*time.Minute), 1)
		wantErr(t, "list audit", err, nil)
		if len(got) != 1 {
			t.Fatalf("got %d entries, want 1", len(got))
		}
		want := store.AuditEntry{
			ID: "e3", At: base.Add(3 * time.Minute), Actor: "ops", Action: "boost.update", Object: "b1",
			Before: json.RawMessage(`{"version":3}`), After: json.RawMessage(`{"version":4}`),
		}
		sameJSON(t, "entry", got[0], want)
	})

	t.Run("empty_id_gets_one", func(t *testing.T) {
		s := fresh(t, open)
		for range 2 {
			wantErr(t, "append", s.AppendAudit(ctx, store.AuditEntry{At: base, Actor: "ops", Action: "boost.create", Object: "b9"}), nil)
		}
		got, err := s.ListAudit(ctx, time.Time{}, 0)
		wantErr(t, "list audit", err, nil)
		if len(got) != 2 {
			t.Fatalf("got %d entries, want 2", len(got))
		}
		if got[0].ID == "" || got[1].ID == "" || got[0].ID == got[1].ID {
			t.Errorf("ids = %q, %q; want two distinct non-empty ids", got[0].ID, got[1].ID)
		}
	})
}

func decision(group string, at time.Time, n int) store.Decision {
	return store.Decision{Group: group, At: at, Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))}
}

// bodies lists the "n" of each decision's body, in order.
func bodies(t *testing.T, ds []store.Decision) []int {
	t.Helper()
	out := make([]int, 0, len(ds))
	for _, d := range ds {
		var v struct{ N int }
		if err := json.Unmarshal(d.Body, &v); err != nil {
			t.Fatalf("decode decision body %s: %v", d.Body, err)
		}
		out = append(out, v.N)
	}
	return out
}

func testDecisions(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := fresh(t, open)
	var ds []store.Decision
	for i := range 5 {
		ds = append(ds, decision("workers", base.Add(time.Duration(i)*time.Minute), i))
		ds = append(ds, decision("web", base.Add(time.Duration(i)*time.Minute), 100+i))
	}
	wantErr(t, "append decisions", s.AppendDecisions(ctx, ds, store.Retention{}, base.Add(5*time.Minute)), nil)

	tests := []struct {
		name  string
		group string
		since time.Time
		limit int
		want  []int
	}{
		{"newest_first", "workers", time.Time{}, 0, []int{4, 3, 2, 1, 0}},
		{"other_group", "web", time.Time{}, 0, []int{104, 103, 102, 101, 100}},
		{"since_is_inclusive", "workers", base.Add(3 * time.Minute), 0, []int{4, 3}},
		{"limit_keeps_newest", "workers", time.Time{}, 2, []int{4, 3}},
		{"since_and_limit", "workers", base.Add(time.Minute), 10, []int{4, 3, 2, 1}},
		{"unknown_group", "batch", time.Time{}, 0, []int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListDecisions(ctx, tc.group, tc.since, tc.limit)
			wantErr(t, "list decisions", err, nil)
			for _, d := range got {
				if d.Group != tc.group {
					t.Errorf("decision of group %q listed for %q", d.Group, tc.group)
				}
			}
			sameJSON(t, "decisions", bodies(t, got), tc.want)
		})
	}

	t.Run("round_trip", func(t *testing.T) {
		got, err := s.ListDecisions(ctx, "workers", base.Add(4*time.Minute), 1)
		wantErr(t, "list decisions", err, nil)
		if len(got) != 1 {
			t.Fatalf("got %d decisions, want 1", len(got))
		}
		sameJSON(t, "decision", got[0], decision("workers", base.Add(4*time.Minute), 4))
	})

	t.Run("same_instant_kept", func(t *testing.T) {
		s := fresh(t, open)
		two := []store.Decision{decision("workers", base, 1), decision("workers", base, 2)}
		wantErr(t, "append", s.AppendDecisions(ctx, two, store.Retention{}, base), nil)
		got, err := s.ListDecisions(ctx, "workers", time.Time{}, 0)
		wantErr(t, "list", err, nil)
		if len(got) != 2 {
			t.Fatalf("got %d decisions at the same instant, want 2", len(got))
		}
	})
}

func testDecisionRetention(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	tests := []struct {
		name      string
		retention store.Retention
		now       time.Time
		want      []int
		wantWeb   []int
	}{
		{"none", store.Retention{}, base.Add(time.Hour), []int{5, 4, 3, 2, 1, 0}, []int{100}},
		{"by_count", store.Retention{Count: 3}, base.Add(time.Hour), []int{5, 4, 3}, []int{100}},
		{"by_age", store.Retention{Age: 10 * time.Minute}, base.Add(13*time.Minute + 30*time.Second), []int{5, 4}, []int{100}},
		{"by_count_and_age", store.Retention{Count: 2, Age: 10 * time.Minute}, base.Add(12 * time.Minute), []int{5, 4}, []int{100}},
		{"age_keeps_exact_boundary", store.Retention{Age: 12 * time.Minute}, base.Add(15 * time.Minute), []int{5, 4, 3}, []int{100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fresh(t, open)
			// The web group's decision is old, but retention applies only to
			// the groups a call appends to.
			wantErr(t, "append web", s.AppendDecisions(ctx, []store.Decision{decision("web", base.Add(-24*time.Hour), 100)}, store.Retention{}, base), nil)
			// Two appends: retention must also trim what earlier calls stored.
			var first, second []store.Decision
			for i := range 3 {
				first = append(first, decision("workers", base.Add(time.Duration(i)*time.Minute), i))
				second = append(second, decision("workers", base.Add(time.Duration(i+3)*time.Minute), i+3))
			}
			wantErr(t, "append first", s.AppendDecisions(ctx, first, store.Retention{}, base.Add(3*time.Minute)), nil)
			wantErr(t, "append second", s.AppendDecisions(ctx, second, tc.retention, tc.now), nil)
			got, err := s.ListDecisions(ctx, "workers", time.Time{}, 0)
			wantErr(t, "list workers", err, nil)
			sameJSON(t, "workers decisions", bodies(t, got), tc.want)
			web, err := s.ListDecisions(ctx, "web", time.Time{}, 0)
			wantErr(t, "list web", err, nil)
			sameJSON(t, "web decisions", bodies(t, web), tc.wantWeb)
		})
	}
}

func testLease(t *testing.T, open func(t *testing.T) store.Store, o Options) {
	ctx := context.Background()
	const ttl = 30 * time.Second
	// Each holder runs one process, nonce "p-<holder>", unless a case
	// starts another with acquireAs.
	acquireAs := func(t *testing.T, s store.Store, holder, nonce string, now time.Time) store.Lease {
		t.Helper()
		l, err := s.AcquireLease(ctx, holder, nonce, ttl, now)
		if err != nil {
			t.Fatalf("acquire lease for %q (%s) at %s: %v", holder, nonce, now.Format(time.RFC3339), err)
		}
		if l.Holder != holder || l.Nonce != nonce || !l.ExpiresAt.Equal(now.Add(ttl)) {
			t.Fatalf("lease = %+v, want holder %q nonce %q until %s", l, holder, nonce, now.Add(ttl).Format(time.RFC3339))
		}
		return l
	}
	acquire := func(t *testing.T, s store.Store, holder string, now time.Time) store.Lease {
		t.Helper()
		return acquireAs(t, s, holder, "p-"+holder, now)
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"acquire_free", func(t *testing.T, s store.Store) {
			l := acquire(t, s, "a", base)
			if l.Token < 1 {
				t.Errorf("token = %d, want at least 1", l.Token)
			}
		}},
		{"renew_keeps_token", func(t *testing.T, s store.Store) {
			l1 := acquire(t, s, "a", base)
			l2 := acquire(t, s, "a", base.Add(10*time.Second))
			if l2.Token != l1.Token {
				t.Errorf("renewal changed token %d -> %d", l1.Token, l2.Token)
			}
			if l2.Version <= l1.Version {
				t.Errorf("renewal version %d, want above %d", l2.Version, l1.Version)
			}
		}},
		{"other_holder_conflicts_while_unexpired", func(t *testing.T, s store.Store) {
			l := acquire(t, s, "a", base)
			_, err := s.AcquireLease(ctx, "b", "p-b", ttl, base.Add(ttl-time.Nanosecond))
			wantErr(t, "acquire held lease", err, store.ErrConflict)
			// The holder is unaffected and can still renew.
			l2 := acquire(t, s, "a", base.Add(ttl/2))
			if l2.Token != l.Token {
				t.Errorf("token changed after a refused take-over: %d -> %d", l.Token, l2.Token)
			}
		}},
		{"take_over_after_expiry_raises_token", func(t *testing.T, s store.Store) {
			la := acquire(t, s, "a", base)
			lb := acquire(t, s, "b", base.Add(ttl+time.Second))
			if lb.Token <= la.Token {
				t.Errorf("take-over token %d, want above %d", lb.Token, la.Token)
			}
			_, err := s.AcquireLease(ctx, "a", "p-a", ttl, base.Add(ttl+2*time.Second))
			wantErr(t, "old holder reacquire", err, store.ErrConflict)
		}},
		{"same_holder_other_process", func(t *testing.T, s store.Store) {
			l1 := acquireAs(t, s, "a", "p1", base)
			if o.OneProcess {
				// A restart: the first process has exited.
				l2 := acquireAs(t, s, "a", "p2", base.Add(time.Second))
				if l2.Token <= l1.Token {
					t.Errorf("restart token %d, want above %d", l2.Token, l1.Token)
				}
				return
			}
			// Two live processes under one name: the second waits for the
			// first's lease to expire, and then the first has lost it.
			_, err := s.AcquireLease(ctx, "a", "p2", ttl, base.Add(ttl-time.Nanosecond))
			wantErr(t, "second process acquires a held lease", err, store.ErrConflict)
			l1 = acquireAs(t, s, "a", "p1", base.Add(ttl/2))
			l2 := acquireAs(t, s, "a", "p2", l1.ExpiresAt.Add(time.Second))
			if l2.Token <= l1.Token {
				t.Errorf("take-over token %d, want above %d", l2.Token, l1.Token)
			}
			_, err = s.AcquireLease(ctx, "a", "p1", ttl, l1.ExpiresAt.Add(2*time.Second))
			wantErr(t, "first process renews a lease it lost", err, store.ErrConflict)
			wantErr(t, "first process releases a lease it lost", s.ReleaseLease(ctx, l1), store.ErrConflict)
		}},
		{"release_frees_and_next_token_is_higher", func(t *testing.T, s store.Store) {
			la := acquire(t, s, "a", base)
			wantErr(t, "release", s.ReleaseLease(ctx, la), nil)
			lb := acquire(t, s, "b", base.Add(time.Second))
			if lb.Token <= la.Token {
				t.Errorf("token after release %d, want above %d", lb.Token, la.Token)
			}
		}},
		{"release_stale_conflicts", func(t *testing.T, s store.Store) {
			l1 := acquire(t, s, "a", base)
			l2 := acquire(t, s, "a", base.Add(time.Second))
			wantErr(t, "release stale", s.ReleaseLease(ctx, l1), store.ErrConflict)
			_, err := s.AcquireLease(ctx, "b", "p-b", ttl, base.Add(2*time.Second))
			wantErr(t, "lease still held after stale release", err, store.ErrConflict)
			wantErr(t, "release current", s.ReleaseLease(ctx, l2), nil)
		}},
		{"release_after_take_over_conflicts", func(t *testing.T, s store.Store) {
			la := acquire(t, s, "a", base)
			acquire(t, s, "b", base.Add(ttl+time.Second))
			wantErr(t, "release taken-over lease", s.ReleaseLease(ctx, la), store.ErrConflict)
			_, err := s.AcquireLease(ctx, "c", "p-c", ttl, base.Add(ttl+2*time.Second))
			wantErr(t, "b still holds", err, store.ErrConflict)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, fresh(t, open)) })
	}
}

func testIdempotency(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	const ttl = 24 * time.Hour
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"first_save_returns_body", func(t *testing.T, s store.Store) {
			got, err := s.SaveIdempotent(ctx, "k1", []byte(`{"id":"b1"}`), ttl, base)
			wantErr(t, "save", err, nil)
			if string(got) != `{"id":"b1"}` {
				t.Errorf("first save returned %s", got)
			}
		}},
		{"second_save_returns_first_body", func(t *testing.T, s store.Store) {
			_, err := s.SaveIdempotent(ctx, "k1", []byte(`{"id":"b1"}`), ttl, base)
			wantErr(t, "save", err, nil)
			got, err := s.SaveIdempotent(ctx, "k1", []byte(`{"id":"b2"}`), ttl, base.Add(time.Hour))
			wantErr(t, "second save", err, nil)
			if string(got) != `{"id":"b1"}` {
				t.Errorf("second save returned %s, want the first body", got)
			}
		}},
		{"keys_are_independent", func(t *testing.T, s store.Store) {
			_, err := s.SaveIdempotent(ctx, "k1", []byte(`one`), ttl, base)
			wantErr(t, "save k1", err, nil)
			got, err := s.SaveIdempotent(ctx, "k2", []byte(`two`), ttl, base)
			wantErr(t, "save k2", err, nil)
			if string(got) != "two" {
				t.Errorf("k2 returned %s", got)
			}
		}},
		{"expired_key_is_replaced", func(t *testing.T, s store.Store) {
			_, err := s.SaveIdempotent(ctx, "k1", []byte(`old`), ttl, base)
			wantErr(t, "save", err, nil)
			got, err := s.SaveIdempotent(ctx, "k1", []byte(`new`), ttl, base.Add(ttl+time.Second))
			wantErr(t, "save after expiry", err, nil)
			if string(got) != "new" {
				t.Errorf("save after expiry returned %s, want new", got)
			}
			got, err = s.SaveIdempotent(ctx, "k1", []byte(`newer`), ttl, base.Add(ttl+2*time.Second))
			wantErr(t, "save again", err, nil)
			if string(got) != "new" {
				t.Errorf("save again returned %s, want new", got)
			}
		}},
		{"load_returns_stored_body", func(t *testing.T, s store.Store) {
			_, err := s.LoadIdempotent(ctx, "k1", base)
			wantErr(t, "load before save", err, store.ErrNotFound)
			_, err = s.SaveIdempotent(ctx, "k1", []byte(`{"id":"b1"}`), ttl, base)
			wantErr(t, "save", err, nil)
			got, err := s.LoadIdempotent(ctx, "k1", base.Add(time.Hour))
			wantErr(t, "load", err, nil)
			if string(got) != `{"id":"b1"}` {
				t.Errorf("load returned %s", got)
			}
			_, err = s.LoadIdempotent(ctx, "k2", base)
			wantErr(t, "load another key", err, store.ErrNotFound)
		}},
		{"load_after_expiry_is_not_found", func(t *testing.T, s store.Store) {
			_, err := s.SaveIdempotent(ctx, "k1", []byte(`old`), ttl, base)
			wantErr(t, "save", err, nil)
			_, err = s.LoadIdempotent(ctx, "k1", base.Add(ttl))
			wantErr(t, "load at expiry", err, store.ErrNotFound)
			// Loading writes nothing: the expired key is still replaced.
			got, err := s.SaveIdempotent(ctx, "k1", []byte(`new`), ttl, base.Add(ttl))
			wantErr(t, "save after expiry", err, nil)
			if string(got) != "new" {
				t.Errorf("save after expiry returned %s, want new", got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, fresh(t, open)) })
	}
}

func testConcurrentUpdates(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	tests := []struct {
		name    string
		writers int
	}{
		{"two_writers", 2},
		{"sixteen_writers", 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fresh(t, open)
			read := mustPutBoost(t, s, sampleBoost("b1", base))
			type result struct {
				name  string
				boost store.Boost
				err   error
			}
			results := make([]result, tc.writers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range tc.writers {
				wg.Go(func() {
					b := read
					b.Name = fmt.Sprintf("writer %d", i)
					<-start
					got, err := s.PutBoost(ctx, b)
					results[i] = result{name: b.Name, boost: got, err: err}
				})
			}
			close(start)
			wg.Wait()

			var winners []result
			for _, r := range results {
				switch {
				case r.err == nil:
					winners = append(winners, r)
				case !errors.Is(r.err, store.ErrConflict):
					t.Errorf("%s: error = %v, want ErrConflict", r.name, r.err)
				}
			}
			if len(winners) != 1 {
				t.Fatalf("%d writers succeeded, want exactly 1", len(winners))
			}
			stored, err := s.GetBoost(ctx, "b1")
			wantErr(t, "get", err, nil)
			if stored.Name != winners[0].name || stored.Version != read.Version+1 {
				t.Errorf("stored %q version %d, want the winner %q at version %d",
					stored.Name, stored.Version, winners[0].name, read.Version+1)
			}
			sameJSON(t, "stored vs winner's result", stored, winners[0].boost)
		})
	}
}

func testCanceledContext(t *testing.T, open func(t *testing.T) store.Store) {
	s := fresh(t, open)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.PutBoost(ctx, sampleBoost("b1", base))
	if err == nil {
		t.Fatal("put with a canceled context: no error")
	}
	if _, err := s.GetBoost(context.Background(), "b1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("put with a canceled context stored the boost (get error %v)", err)
	}
}
