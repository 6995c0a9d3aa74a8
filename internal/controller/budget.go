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
// before it goes ahead of every group that has waited less: past it, the
// order is by waiting time alone, so no group waits for ever behind
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

// rank is a write's class: lower goes first.
func (w pendingWrite) rank() int {
	switch {
	case w.deferred >= starvedAfter:
		return 0 // waited too long: first, whatever it is
	case w.floor > w.current && w.desired > w.current:
		return 1 // below a campaign's floor
	case w.desired > w.current:
		return 2 // scale-out
	default:
		return 3 // scale-in
	}
}

// deficit is a scale-out's relative size, (desired-current)/max(current,1):
// a group at 2 that needs 4 is further below its need than one at 100
// that needs 110.
func (w pendingWrite) deficit() float64 {
	return float64(w.desired-w.current) / float64(max(w.current, 1))
}

// orderWrites sorts a cycle's writes into the order they draw on the
// write budget: groups deferred starvedAfter cycles or more (longest
// wait first), then groups below a boost's floor, then the other
// scale-outs by relative deficit (largest first), then the scale-ins.
// Ties keep config order. It is pure.
func orderWrites(ws []pendingWrite) {
	slices.SortStableFunc(ws, func(a, b pendingWrite) int {
		if c := cmp.Compare(a.rank(), b.rank()); c != 0 {
			return c
		}
		switch a.rank() {
		case 0:
			if c := cmp.Compare(b.deferred, a.deferred); c != 0 {
				return c
			}
		case 1, 2:
			if c := cmp.Compare(b.deficit(), a.deficit()); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(b.deferred, a.deferred); c != 0 {
			return c
		}
		return cmp.Compare(a.index, b.index)
	})
}

// deferNote is the decision's note about a write the budget deferred.
func deferNote(cycles int) string {
	return fmt.Sprintf("write deferred to the next cycle: the Auto Scaling write budget (aws.autoscaling_write_rate) had no token left; deferred %d cycle(s) in a row, and after %d it goes ahead of groups that waited less",
		cycles, starvedAfter)
}
