package controller

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// WriteBudget paces the cycle's SetDesiredCapacity calls: one token a
// write, never waited for (asg.WriteBudget).
type WriteBudget interface {
	Take(now time.Time) bool
}

// SkipRateBudget is the skip reason of a write deferred because the
// Auto Scaling write budget (aws.autoscaling_write_rate) had no token
// left this cycle; the next cycle tries it again.
const SkipRateBudget = "rate_budget"

// starvedAfter is how many cycles in a row a group's write may be deferred
// before it goes ahead of every group that has waited less (but for the
// campaign groups' share, see orderWrites): no group waits for ever behind
// groups that are always more urgent.
const starvedAfter = 2

// pendingWrite is one group's write this cycle, with what orders it.
type pendingWrite struct {
	// index is the group's record in the cycle's records.
	index int
	// deferred is how many cycles in a row the group's write has been
	// deferred for the budget.
	deferred int
	// current is the group's desired capacity, desired the decision.
	current, desired int
	// floor is the highest boost floor in force for the group (0: none).
	floor int
}

// belowFloor reports a scale-out of a group below a boost's floor: a
// campaign under-provisioned now.
func (w pendingWrite) belowFloor() bool { return w.floor > w.current && w.desired > w.current }

func (w pendingWrite) starved() bool { return w.deferred >= starvedAfter }

// deficit is a scale-out's relative size, (desired-current)/max(current,1):
// a group at 2 that needs 4 is further below its need than one at 100
// that needs 110.
func (w pendingWrite) deficit() float64 {
	return float64(w.desired-w.current) / float64(max(w.current, 1))
}

// orderWrites sorts a cycle's writes into the order they draw on the
// write budget. Groups below a boost's floor go first (those deferred
// starvedAfter cycles or more first, then by relative deficit), but while
// other groups have been deferred starvedAfter cycles or more, the two
// take turns, one write each, the starved ones longest wait first: a
// campaign under-provisioned now is served at once, and it can take at
// most every other token from groups that have waited past their turn.
// Then the other scale-outs by relative deficit (largest first), then the
// scale-ins. Ties go to the longer wait, then config order. It is pure.
func orderWrites(ws []pendingWrite) {
	var floors, starved, rest []pendingWrite
	for _, w := range ws {
		switch {
		case w.belowFloor():
			floors = append(floors, w)
		case w.starved():
			starved = append(starved, w)
		default:
			rest = append(rest, w)
		}
	}
	tie := func(a, b pendingWrite) int {
		if c := cmp.Compare(b.deferred, a.deferred); c != 0 {
			return c
		}
		return cmp.Compare(a.index, b.index)
	}
	slices.SortStableFunc(floors, func(a, b pendingWrite) int {
		if a.starved() != b.starved() {
			if a.starved() {
				return -1
			}
			return 1
		}
		if a.starved() {
			return tie(a, b)
		}
		if c := cmp.Compare(b.deficit(), a.deficit()); c != 0 {
			return c
		}
		return tie(a, b)
	})
	slices.SortStableFunc(starved, tie)
	slices.SortStableFunc(rest, func(a, b pendingWrite) int {
		aOut, bOut := a.desired > a.current, b.desired > b.current
		if aOut != bOut {
			if aOut {
				return -1
			}
			return 1
		}
		if aOut {
			if c := cmp.Compare(b.deficit(), a.deficit()); c != 0 {
				return c
			}
		}
		return tie(a, b)
	})
	out := ws[:0]
	for i := 0; i < max(len(floors), len(starved)); i++ {
		if i < len(floors) {
			out = append(out, floors[i])
		}
		if i < len(starved) {
			out = append(out, starved[i])
		}
	}
	_ = append(out, rest...)
}

// deferNote is the decision's note about a write the budget deferred.
func deferNote(cycles int) string {
	return fmt.Sprintf("write deferred to the next cycle: the Auto Scaling write budget (aws.autoscaling_write_rate) had no token left; deferred %d cycle(s) in a row, and after %d it goes ahead of groups that waited less, taking turns with groups below a campaign floor",
		cycles, starvedAfter)
}
