package lease

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
)

// replica is one side of the skew simulation: a process on its own clock
// that renews on its ticks, and may pause, crash or shut down.
type replica struct {
	name string
	clk  clock.Clock
	gen  int
	e    *Elector
	// next is the true time of its next tick.
	next time.Time
	// frozenUntil: a paused process still counts as leading while its
	// clock says so (it could act the moment it wakes); a dead one is
	// gone until then and does not count.
	frozenUntil time.Time
	dead        bool
}

// skewRun is what one simulated run saw.
type skewRun struct {
	// overlaps counts steps at which both replicas led, first is the first.
	overlaps int
	first    string
	// handovers counts changes of the leading replica.
	handovers int
	// tokens are the fencing tokens of the terms seen, in order.
	tokens []int64
}

// simulateSkew runs two replicas on one store for span of true time in
// steps of 100 ms; the second replica's clock reads skew ahead of the
// first's. At random the leader pauses (up to 40 s, still counted as
// leading while its clock says so), crashes (no release; back under a new
// name after up to 40 s) or shuts down gracefully. After every step it
// checks that no two replicas lead at once. TTL 15 s, renewals every 5 s,
// margin 5 s.
func simulateSkew(t *testing.T, st Store, skew time.Duration, seed uint64, span time.Duration) skewRun {
	t.Helper()
	ctx := context.Background()
	const step = 100 * time.Millisecond
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	base := clock.NewFake(t0)
	reps := []*replica{
		{name: "a", clk: base},
		{name: "b", clk: skewed{Clock: base, off: skew}},
	}
	spawn := func(r *replica) {
		r.gen++
		e, err := New(st, fmt.Sprintf("%s%d", r.name, r.gen), r.clk, Options{})
		if err != nil {
			t.Fatalf("new elector: %v", err)
		}
		r.e, r.dead = e, false
		// Processes start at any phase of the renewal interval.
		r.next = base.Now().Add(time.Duration(rng.Int64N(int64(5*time.Second/step))) * step)
	}
	for _, r := range reps {
		spawn(r)
	}

	var run skewRun
	var leader *Elector
	end := t0.Add(span)
	for now := base.Now(); now.Before(end); now = base.Now() {
		for _, i := range rng.Perm(len(reps)) {
			r := reps[i]
			if now.Before(r.frozenUntil) {
				continue
			}
			if r.dead {
				spawn(r)
			}
			if now.Before(r.next) {
				continue
			}
			// As Run does: once more at once after a conflict.
			if r.e.attempt(ctx) == resultConflict {
				r.e.attempt(ctx)
			}
			r.next = now.Add(5 * time.Second)
		}

		var leading []*replica
		for _, r := range reps {
			if !r.dead && r.e.Leader() {
				leading = append(leading, r)
			}
		}
		switch len(leading) {
		case 0:
		case 1:
			if e := leading[0].e; e != leader {
				leader = e
				run.handovers++
				tok, _ := e.Term()
				run.tokens = append(run.tokens, tok)
			}
			// Now and then the leader, if awake, misbehaves.
			r := leading[0]
			if now.Before(r.frozenUntil) {
				break
			}
			switch x := rng.Float64(); {
			case x < 0.002:
				r.frozenUntil = now.Add(time.Duration(rng.Int64N(int64(40*time.Second/step))) * step)
			case x < 0.003:
				r.dead = true
				r.frozenUntil = now.Add(time.Duration(rng.Int64N(int64(40*time.Second/step))) * step)
			case x < 0.004:
				if err := r.e.Release(ctx); err != nil {
					t.Fatalf("release %q: %v", r.e.Holder(), err)
				}
				r.dead = true
			}
		default:
			if run.overlaps == 0 {
				run.first = fmt.Sprintf("at %s both %q and %q lead", now.Sub(t0), leading[0].e.Holder(), leading[1].e.Holder())
			}
			run.overlaps++
		}
		base.Advance(step)
	}
	return run
}

// TestSkewWithinMargin: with one clock 4 s off the other (Margin 5 s), the
// replicas never lead at the same moment of true time, over long
// randomized runs with pauses, crashes and shutdowns of the leader; every
// change of hands raises the fencing token.
func TestSkewWithinMargin(t *testing.T) {
	tests := []struct {
		name string
		skew time.Duration
		seed uint64
	}{
		{"follower 4s ahead", 4 * time.Second, 1},
		{"follower 4s ahead, another seed", 4 * time.Second, 7},
		{"follower 4s behind", -4 * time.Second, 2},
		{"skew equal to the margin", 5 * time.Second, 3},
	}
	forEachStore(t, func(t *testing.T, open opener) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				run := simulateSkew(t, open(t), tc.skew, tc.seed, time.Hour)
				if run.overlaps > 0 {
					t.Errorf("leaders overlapped in %d steps of 100 ms; first %s", run.overlaps, run.first)
				}
				// The run must have exercised the property.
				if run.handovers < 20 {
					t.Errorf("only %d changes of leader in the run; the property went untested", run.handovers)
				}
				for i := 1; i < len(run.tokens); i++ {
					if run.tokens[i] <= run.tokens[i-1] {
						t.Fatalf("term %d has token %d after %d; tokens must increase on a change of hands",
							i, run.tokens[i], run.tokens[i-1])
					}
				}
				t.Logf("%d changes of leader, last token %d", run.handovers, run.tokens[len(run.tokens)-1])
			})
		}
	})
}

// TestSkewBeyondMargin shows the limit: with a clock 6 s ahead and Margin
// 5 s, a follower takes a paused leader's lease up to 1 s before the
// leader stops trusting it, and the simulation detects the overlap. It
// also proves the check in TestSkewWithinMargin can fail.
func TestSkewBeyondMargin(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		run := simulateSkew(t, open(t), 6*time.Second, 1, time.Hour)
		if run.overlaps == 0 {
			t.Fatalf("no overlap with skew 6s beyond the 5s margin in %d changes of leader", run.handovers)
		}
		t.Logf("overlap detected in %d steps of 100 ms; first %s", run.overlaps, run.first)
	})
}
