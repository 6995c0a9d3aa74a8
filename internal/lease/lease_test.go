package lease

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/store"
)

// nopStore is a Store for tests of New, which never calls it.
type nopStore struct{}

func (nopStore) AcquireLease(context.Context, string, string, time.Duration, time.Time) (store.Lease, error) {
	return store.Lease{}, errors.New("not called")
}
func (nopStore) ReleaseLease(context.Context, store.Lease) error { return errors.New("not called") }

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		st      Store
		holder  string
		o       Options
		wantErr string
		// want* are the resolved timings when New succeeds.
		wantTTL, wantRenew, wantMargin time.Duration
	}{
		{name: "defaults", st: nopStore{}, holder: "a",
			wantTTL: 15 * time.Second, wantRenew: 5 * time.Second, wantMargin: 5 * time.Second},
		{name: "ttl sets the others", st: nopStore{}, holder: "a", o: Options{TTL: 3 * time.Second},
			wantTTL: 3 * time.Second, wantRenew: time.Second, wantMargin: time.Second},
		{name: "explicit timings", st: nopStore{}, holder: "a",
			o:       Options{TTL: 30 * time.Second, RenewEvery: 2 * time.Second, Margin: 10 * time.Second},
			wantTTL: 30 * time.Second, wantRenew: 2 * time.Second, wantMargin: 10 * time.Second},
		{name: "nil store", holder: "a", wantErr: "nil store"},
		{name: "empty holder", st: nopStore{}, wantErr: "empty holder"},
		{name: "negative ttl", st: nopStore{}, holder: "a",
			o: Options{TTL: -time.Second, RenewEvery: time.Second, Margin: time.Second}, wantErr: "ttl -1s is not positive"},
		{name: "negative margin", st: nopStore{}, holder: "a",
			o: Options{Margin: -time.Second}, wantErr: "margin -1s is negative"},
		{name: "negative renewal interval", st: nopStore{}, holder: "a",
			o: Options{RenewEvery: -time.Second}, wantErr: "renew_every -1s"},
		{name: "renewal at the margin deadline", st: nopStore{}, holder: "a",
			o: Options{TTL: 15 * time.Second, RenewEvery: 10 * time.Second, Margin: 5 * time.Second}, wantErr: "below ttl 15s minus margin 5s"},
		{name: "margin eats the lease", st: nopStore{}, holder: "a",
			o: Options{TTL: 15 * time.Second, RenewEvery: 5 * time.Second, Margin: 15 * time.Second}, wantErr: "renew_every 5s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.st, tc.holder, clock.NewFake(t0), tc.o)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New() error = %v, want one containing %q", err, tc.wantErr)
				}
				if e != nil {
					t.Error("an Elector came back with the error")
				}
				return
			}
			if err != nil {
				t.Fatalf("New(): %v", err)
			}
			if e.ttl != tc.wantTTL || e.renew != tc.wantRenew || e.margin != tc.wantMargin {
				t.Errorf("timings = ttl %s renew %s margin %s, want %s %s %s",
					e.ttl, e.renew, e.margin, tc.wantTTL, tc.wantRenew, tc.wantMargin)
			}
			if e.Holder() != tc.holder {
				t.Errorf("Holder() = %q, want %q", e.Holder(), tc.holder)
			}
			if e.Leader() {
				t.Error("a new Elector leads before any acquire")
			}
		})
	}
}

// TestTakeover: of two electors one leads and keeps the lease by renewing;
// when it dies without releasing, the other takes over once the lease has
// expired and not before, under a higher fencing token.
func TestTakeover(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		clk := clock.NewFake(t0)
		st := open(t)
		stA := &faulty{Store: st}
		a, mA := newElector(t, stA, "a", clk, Options{})
		b, mB := newElector(t, &faulty{Store: st}, "b", clk, Options{})

		runA := start(t, a)
		start(t, b)
		tok := mustTerm(t, a)
		if b.Leader() {
			t.Fatal("both lead after the first acquire")
		}
		if tok < 1 {
			t.Errorf("first token = %d, want >= 1", tok)
		}

		for i := range 6 {
			tick(t, clk, 5*time.Second, a, b)
			if got := mustTerm(t, a); got != tok {
				t.Fatalf("renewal %d: token %d, want %d (a renewal keeps the token)", i+1, got, tok)
			}
			if b.Leader() {
				t.Fatalf("renewal %d: b leads while a renews", i+1)
			}
		}
		if got := renewals(mA, resultOK); got != 7 {
			t.Errorf("a's ok renewals = %v, want 7", got)
		}
		// Each of b's ticks is a conflict and one retry at once.
		if got := renewals(mB, resultConflict); got != 14 {
			t.Errorf("b's conflicts = %v, want 14", got)
		}
		if got := testutil.ToFloat64(mA.Leader); got != 1 {
			t.Errorf("a's leader gauge = %v, want 1", got)
		}

		// a dies: its store goes away with it, so its release never lands.
		lastRenewal := clk.Now()
		stA.setDown(true)
		runA.stop()
		runA.wait(t)

		tick(t, clk, 5*time.Second, b)
		tick(t, clk, 5*time.Second, b)
		if b.Leader() {
			t.Fatalf("b leads at %s, before a's lease expires at %s", clk.Now().Sub(lastRenewal), 15*time.Second)
		}
		tick(t, clk, 5*time.Second, b)
		got := mustTerm(t, b)
		if got <= tok {
			t.Errorf("b's token = %d, want above a's %d", got, tok)
		}
		if a.Leader() {
			t.Error("a still leads after its lease expired")
		}
		if got := transitions(mB, "leader"); got != 1 {
			t.Errorf("b's transitions to leader = %v, want 1", got)
		}
	})
}

// TestGracefulRelease: a leader that releases hands over at the follower's
// very next tick.
func TestGracefulRelease(t *testing.T) {
	tests := []struct {
		name string
		// release gives up a's lease: by stopping its Run, or by Release
		// with Run still going.
		release func(t *testing.T, a *Elector, r *running)
	}{
		{"Run stopped", func(t *testing.T, _ *Elector, r *running) {
			r.stop()
			r.wait(t)
		}},
		{"Release", func(t *testing.T, a *Elector, _ *running) {
			if err := a.Release(context.Background()); err != nil {
				t.Fatalf("Release: %v", err)
			}
		}},
	}
	forEachStore(t, func(t *testing.T, open opener) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				clk := clock.NewFake(t0)
				st := open(t)
				a, mA := newElector(t, st, "a", clk, Options{})
				b, _ := newElector(t, st, "b", clk, Options{})
				runA := start(t, a)
				start(t, b)
				tok := mustTerm(t, a)
				ctx, cancel := a.Context(context.Background())
				defer cancel()

				tc.release(t, a, runA)
				if a.Leader() {
					t.Error("a leads after releasing")
				}
				waitDone(t, ctx, "a's context after release")
				if got := testutil.ToFloat64(mA.Leader); got != 0 {
					t.Errorf("a's leader gauge = %v, want 0", got)
				}

				tick(t, clk, 5*time.Second, b)
				if got := mustTerm(t, b); got <= tok {
					t.Errorf("b's token = %d, want above a's %d", got, tok)
				}
				// a's Run, if still going, returns at this tick without
				// acquiring again.
				runA.wait(t)
				if a.Leader() {
					t.Error("a leads again after releasing")
				}
			})
		}
	})
}

// TestEditedLease: when someone else writes the lease item, the holder's
// next renewal is a conflict and it stops leading at once.
func TestEditedLease(t *testing.T) {
	tests := []struct {
		name string
		// edit writes the lease item behind a's back at now; nonce is a's.
		edit func(ctx context.Context, st Store, nonce string, now time.Time) error
		// wantOther is the holder the loss names.
		wantOther string
	}{
		{
			// A replica whose clock is a TTL ahead sees a's lease as
			// expired and takes it.
			name: "taken by a replica with a clock far ahead",
			edit: func(ctx context.Context, st Store, _ string, now time.Time) error {
				_, err := st.AcquireLease(ctx, "x", "px", 15*time.Second, now.Add(16*time.Second))
				return err
			},
			wantOther: "x",
		},
		{
			// A writer that poses as a's own process renews it too.
			name: "version bumped by another writer",
			edit: func(ctx context.Context, st Store, nonce string, now time.Time) error {
				_, err := st.AcquireLease(ctx, "a", nonce, 15*time.Second, now)
				return err
			},
		},
	}
	forEachStore(t, func(t *testing.T, open opener) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				clk := clock.NewFake(t0)
				st := open(t)
				var logs bytes.Buffer
				a, m := newElector(t, st, "a", clk, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
				if got := a.attempt(ctx); got != resultOK {
					t.Fatalf("first attempt = %s, want ok", got)
				}
				clk.Advance(5 * time.Second)
				if got := a.attempt(ctx); got != resultOK {
					t.Fatalf("renewal = %s, want ok", got)
				}
				tok := mustTerm(t, a)
				lctx, cancel := a.Context(ctx)
				defer cancel()

				if err := tc.edit(ctx, st, a.Nonce(), clk.Now()); err != nil {
					t.Fatalf("edit the lease: %v", err)
				}
				clk.Advance(time.Second)
				if !a.Leader() {
					t.Fatal("a stopped leading before its next renewal")
				}
				if got := a.attempt(ctx); got != resultConflict {
					t.Fatalf("renewal after the edit = %s, want conflict", got)
				}
				if a.Leader() {
					t.Fatalf("a leads after a conflict, token %d", tok)
				}
				waitDone(t, lctx, "a's context after the conflict")
				if got := renewals(m, resultConflict); got != 1 {
					t.Errorf("conflicts counted = %v, want 1", got)
				}
				if got := transitions(m, "follower"); got != 1 {
					t.Errorf("transitions to follower = %v, want 1", got)
				}
				if got := testutil.ToFloat64(m.Leader); got != 0 {
					t.Errorf("leader gauge = %v, want 0", got)
				}
				lost := linesWith(logs.String(), "lease lost")
				if len(lost) != 1 {
					t.Fatalf("want one lease lost line, got %q", logs.String())
				}
				if !strings.Contains(lost[0], "holder=a") || !strings.Contains(lost[0], "other_holder="+tc.wantOther) {
					t.Errorf("lease lost line %q lacks holder=a or other_holder=%s", lost[0], tc.wantOther)
				}
			})
		}
	})
}

// linesWith returns the lines of logs that contain s.
func linesWith(logs, s string) []string {
	var out []string
	for line := range strings.SplitSeq(logs, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// TestStoreDown: while the store rejects writes the leader keeps leading
// only until sentAt+TTL-Margin of its last renewal, even with no tick at
// that moment, and leads again once the store is back.
func TestStoreDown(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		clk := clock.NewFake(t0)
		st := &faulty{Store: open(t)}
		// Renewals every 4 s tick at 4, 8 and 12 s: none at the 10 s
		// margin deadline.
		a, m := newElector(t, st, "a", clk, Options{RenewEvery: 4 * time.Second})
		start(t, a)
		tok := mustTerm(t, a)
		sentAt := clk.Now()
		ctx, cancel := a.Context(context.Background())
		defer cancel()

		st.setDown(true)
		tick(t, clk, 4*time.Second, a)
		tick(t, clk, 4*time.Second, a)
		if got := renewals(m, resultError); got != 2 {
			t.Errorf("errors counted = %v, want 2", got)
		}
		clk.Advance(sentAt.Add(10 * time.Second).Add(-time.Nanosecond).Sub(clk.Now()))
		mustTerm(t, a)
		if ctx.Err() != nil {
			t.Fatal("context cancelled while still leading")
		}
		clk.Advance(time.Nanosecond)
		if a.Leader() {
			t.Fatalf("a leads at %s after its last renewal, margin deadline 10s", clk.Now().Sub(sentAt))
		}
		if _, ok := a.Term(); ok {
			t.Error("Term() ok after the margin deadline")
		}
		waitDone(t, ctx, "context at the margin deadline")
		poll(t, func() bool { return testutil.ToFloat64(m.Leader) == 0 }, "leader gauge 0")

		st.setDown(false)
		tick(t, clk, 2*time.Second, a)
		if got := mustTerm(t, a); got != tok {
			t.Errorf("token after recovery = %d, want %d (nobody else held it)", got, tok)
		}
		if got := transitions(m, "leader"); got != 2 {
			t.Errorf("transitions to leader = %v, want 2", got)
		}
		if got := transitions(m, "follower"); got != 1 {
			t.Errorf("transitions to follower = %v, want 1", got)
		}
	})
}

// TestContext: the context of a term ends with the term, not before.
func TestContext(t *testing.T) {
	tests := []struct {
		name string
		// end ends a's term (nil: it does not end).
		end func(t *testing.T, clk *clock.Fake, a *Elector, st *faulty)
	}{
		{"survives renewals", nil},
		{"cancelled on loss", func(t *testing.T, clk *clock.Fake, a *Elector, st *faulty) {
			if _, err := st.AcquireLease(context.Background(), "x", "px", 15*time.Second, clk.Now().Add(time.Minute)); err != nil {
				t.Fatalf("take the lease: %v", err)
			}
			a.attempt(context.Background())
		}},
		{"cancelled at the margin deadline", func(t *testing.T, clk *clock.Fake, a *Elector, st *faulty) {
			st.setDown(true)
			clk.Advance(10 * time.Second)
		}},
		{"cancelled on release", func(t *testing.T, clk *clock.Fake, a *Elector, st *faulty) {
			if err := a.Release(context.Background()); err != nil {
				t.Fatalf("Release: %v", err)
			}
		}},
	}
	forEachStore(t, func(t *testing.T, open opener) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				clk := clock.NewFake(t0)
				st := &faulty{Store: open(t)}
				a, _ := newElector(t, st, "a", clk, Options{})

				before, cancel := a.Context(ctx)
				defer cancel()
				if before.Err() == nil {
					t.Error("a follower's context is not cancelled")
				}
				acting, cancel := a.Acting(ctx)
				defer cancel()
				if acting.Err() == nil {
					t.Error("a follower's acting context is not cancelled")
				}

				if got := a.attempt(ctx); got != resultOK {
					t.Fatalf("acquire = %s, want ok", got)
				}
				lctx, cancel := a.Context(ctx)
				defer cancel()
				// Acting is Context with a deadline at the moment the
				// leader must stop acting: TTL-Margin (10 s) from the
				// acquire, on the elector's clock, which has not moved.
				actx, cancel := a.Acting(ctx)
				defer cancel()
				if dl, ok := actx.Deadline(); !ok || dl.After(time.Now().Add(10*time.Second)) {
					t.Errorf("acting deadline %v (set %v), want one at most 10s from now", dl, ok)
				}
				if tc.end == nil {
					for range 5 {
						clk.Advance(5 * time.Second)
						if got := a.attempt(ctx); got != resultOK {
							t.Fatalf("renewal = %s, want ok", got)
						}
					}
					if lctx.Err() != nil || actx.Err() != nil || !a.Leader() {
						t.Fatalf("context err %v, acting err %v, leader %v after renewals", lctx.Err(), actx.Err(), a.Leader())
					}
					return
				}
				tc.end(t, clk, a, st)
				if a.Leader() {
					t.Error("a still leads")
				}
				waitDone(t, lctx, tc.name)
				waitDone(t, actx, tc.name+" (acting)")
			})
		}
	})
}
