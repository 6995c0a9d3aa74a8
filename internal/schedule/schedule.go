// Package schedule computes the capacity floor of campaign boosts. It is
// pure: times come in as values and nothing here reads a clock.
//
// A boost raises a group's floor for a known window. The floor is reached
// lead before the window opens, so that instances launched for it are
// serving when the campaign starts:
//
//	        ramp      lead          window
//	  |-----/////|----------|====================|
//	  ^          ^          ^                    ^
//	start-lead-ramp   start-lead   start        end
//
// During the ramp the floor climbs in a straight line from the baseline
// (the capacity just before the ramp began) to the target; from start-lead
// to end it is the target, max(min_capacity, ceil(multiplier * baseline)).
package schedule

import (
	"math"
	"strings"
	"time"
)

// Boost is one scheduled raise of a group's floor.
type Boost struct {
	ID     string
	Name   string
	Reason string
	// Groups names the groups the boost applies to.
	Groups []string
	// Start and End bound the campaign window [Start, End).
	Start, End time.Time
	// MinCapacity is an absolute floor; 0 means none.
	MinCapacity int
	// Multiplier raises the floor to ceil(Multiplier * baseline); 0 means
	// none.
	Multiplier float64
	// Ramp spreads the rise over this long before start-lead; 0 is a step.
	Ramp time.Duration
	// Lead is how long before Start the floor must be reached; 0 means the
	// group's default lead (measured launch time plus a cycle).
	Lead time.Duration
}

// AppliesTo reports whether the boost names group.
func (b Boost) AppliesTo(group string) bool {
	return b.Selects(group, nil)
}

// Selects reports whether the boost applies to the group named group whose
// Auto Scaling group carries tags: an entry of Groups is either a group
// name or a tag selector "key=value".
func (b Boost) Selects(group string, tags map[string]string) bool {
	for _, g := range b.Groups {
		if g == group {
			return true
		}
		if k, v, ok := strings.Cut(g, "="); ok {
			if tv, has := tags[k]; has && tv == v {
				return true
			}
		}
	}
	return false
}

// LeadOr returns the boost's own lead, or def when it has none.
func (b Boost) LeadOr(def time.Duration) time.Duration {
	if b.Lead > 0 {
		return b.Lead
	}
	return def
}

// Begins returns when the boost starts to raise the floor: the start of
// the ramp, given the lead in force.
func (b Boost) Begins(lead time.Duration) time.Time {
	return b.Start.Add(-lead - b.Ramp)
}

// Target is the floor the boost holds through its window for a group
// whose capacity was baseline just before the boost began.
func (b Boost) Target(baseline int) int {
	f := b.MinCapacity
	if b.Multiplier > 0 {
		f = max(f, int(math.Ceil(b.Multiplier*float64(baseline)-1e-9)))
	}
	return f
}

// FloorAt returns the boost's floor at now for a group whose capacity was
// baseline just before the boost began, with lead in force, and whether
// the boost is active at all.
func (b Boost) FloorAt(now time.Time, lead time.Duration, baseline int) (int, bool) {
	begins := b.Begins(lead)
	if now.Before(begins) || !now.Before(b.End) {
		return 0, false
	}
	target := b.Target(baseline)
	reached := b.Start.Add(-lead)
	if b.Ramp <= 0 || !now.Before(reached) || target <= baseline {
		return target, true
	}
	done := float64(now.Sub(begins)) / float64(b.Ramp)
	return baseline + int(math.Ceil(done*float64(target-baseline)-1e-9)), true
}
