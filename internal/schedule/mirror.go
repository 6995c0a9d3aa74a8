package schedule

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// ActionPrefix starts the name of every scheduled action Headroom keeps on
// a group. Actions without it belong to someone else and are never
// touched.
const ActionPrefix = "headroom-boost-"

// Roles of the two actions that mirror one boost.
const (
	// RoleStart is the action that raises MinSize to the floor when the
	// boost's floor must be reached.
	RoleStart = "start"
	// RoleEnd is the action that sets MinSize back when the boost ends.
	RoleEnd = "end"
)

// MirrorBoost is one boost as one group's mirror sees it.
type MirrorBoost struct {
	ID string
	// Reached is when the floor must be reached: start - lead.
	Reached time.Time
	// End is when the boost's window closes.
	End time.Time
	// Floor is the boost's target for the group, already capped at the
	// group's maximum by the caller if the boost says so.
	Floor int
}

// Action is one scheduled action Headroom keeps on a group: at At, MinSize
// becomes MinSize.
type Action struct {
	Name    string
	At      time.Time
	MinSize int
}

// MirrorInput is one group's state for Mirror.
type MirrorInput struct {
	Now time.Time
	// MinSize and MaxSize are the group's current MinSize and MaxSize.
	MinSize, MaxSize int
	// Existing lists Headroom's actions now on the group (names starting
	// with ActionPrefix).
	Existing []Action
	// Boosts lists every boost selecting the group that has not ended.
	Boosts []MirrorBoost
}

// MirrorPlan is what to change on one group.
//
// Apply it in this order: make the group's actions equal Want first, then
// set MinSize to SetMin. Raising MinSize before the end action that
// remembers Base exists would lose Base if the daemon died in between.
type MirrorPlan struct {
	// Want lists every action the group should carry, in time order. It
	// holds only actions after Now: AWS refuses a start time in the past.
	Want []Action
	// Base is the MinSize the group returns to when no boost holds it.
	Base int
	// SetMin, when non-nil, is the MinSize to set now: a boost has begun
	// but its start action could not run or was created late, a boost's
	// floor changed while it holds the group, or a boost that held the
	// group was cancelled and MinSize must return to Base.
	SetMin *int
}

// ActionName returns the name of a boost's action with role RoleStart or
// RoleEnd. The boost id in the name is what makes reconciliation after a
// restart idempotent.
func ActionName(boostID, role string) string {
	return ActionPrefix + boostID + "-" + role
}

// ParseActionName reads a name ActionName made. ok is false for any other
// name, including names of actions Headroom does not own.
func ParseActionName(name string) (boostID, role string, ok bool) {
	rest, found := strings.CutPrefix(name, ActionPrefix)
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", "", false
	}
	boostID, role = rest[:i], rest[i+1:]
	if role != RoleStart && role != RoleEnd {
		return "", "", false
	}
	return boostID, role, true
}

// window is one boost's span on the group's timeline, in the times its
// actions can carry.
type window struct {
	id         string
	reach, end time.Time
	floor      int
}

// Mirror computes which scheduled actions a group should carry so that
// AWS itself holds each boost's floor, and whether MinSize must change now.
//
// Each boost becomes two actions. Two overlapping boosts A and B on a
// group whose MinSize was 2:
//
//	MinSize  2     5    8         8    2
//	         |-----[====A=========]
//	                    [=========B====]
//	               ^    ^         ^    ^
//	         A-start    B-start   A-end B-end
//	           min 5    min 8     min 8 min 2
//
// The action at time t sets MinSize to the timeline floor at t:
// max(Base, the highest Floor of the boosts with reach <= t < end), capped
// at MaxSize. So each end action sets the floor of the boosts still active
// then, and the last one returns the group to Base.
//
// AWS runs scheduled actions at minute granularity, so a boost's reach is
// rounded down to the whole minute and its end up: the floor is held for
// at least the boost's window, never less.
//
// Headroom keeps no memory of Base: it lives in the group's own end
// actions. If any boost has begun (an existing end action has no start
// action any more, or a boost's reach is at or before Now), Base is the
// MinSize of the existing end action with the latest At, the one that
// returns the group to Base last; otherwise no boost holds MinSize and
// Base is the group's MinSize, so that an operator's change before a
// campaign is what the campaign returns to.
//
// SetMin is the floor at Now when that differs from MinSize and a boost
// holds or held the group: a boost is active at Now, the existing actions
// show a boost has begun, or an existing end action belongs to a boost no
// longer in Boosts (cancelled). So a boost created after its reach, or one
// whose start action did not run, raises MinSize at once; a boost
// cancelled during its window returns MinSize to Base; and an operator's
// own MinSize change while no boost is active is left alone.
//
// While such a restore is pending, Want keeps the end actions of the
// cancelled boosts that had begun: they still remember Base, so if setting MinSize fails the next
// Mirror reads Base from them again instead of taking the raised MinSize
// for the base. Once MinSize equals Base they are dropped.
//
// A boost id that appears twice counts once, the first time.
func Mirror(in MirrorInput) MirrorPlan {
	var ws []window
	live := map[string]bool{}
	for _, b := range in.Boosts {
		w := window{id: b.ID, reach: b.Reached.Truncate(time.Minute), end: ceilMinute(b.End), floor: b.Floor}
		if b.ID == "" || live[b.ID] || !w.end.After(in.Now) || !w.reach.Before(w.end) {
			continue
		}
		live[b.ID] = true
		ws = append(ws, w)
	}

	hasStart := map[string]bool{}
	for _, a := range in.Existing {
		if id, role, ok := ParseActionName(a.Name); ok && role == RoleStart {
			hasStart[id] = true
		}
	}
	begun, orphaned := false, false
	var lastEnd *Action
	var orphans []Action
	for i, a := range in.Existing {
		id, role, ok := ParseActionName(a.Name)
		if !ok || role != RoleEnd || a.MinSize < 0 {
			continue
		}
		if !hasStart[id] {
			begun = true
		}
		if !live[id] {
			orphaned = true
			if !hasStart[id] && a.At.After(in.Now) {
				orphans = append(orphans, a)
			}
		}
		if lastEnd == nil || a.At.After(lastEnd.At) {
			lastEnd = &in.Existing[i]
		}
	}
	active := false
	for _, w := range ws {
		if !w.reach.After(in.Now) {
			begun = true
			if w.end.After(in.Now) {
				active = true
			}
		}
	}

	base := in.MinSize
	if begun && lastEnd != nil {
		base = lastEnd.MinSize
	}
	floorAt := func(t time.Time) int {
		f := base
		for _, w := range ws {
			if !t.Before(w.reach) && t.Before(w.end) {
				f = max(f, w.floor)
			}
		}
		return min(f, in.MaxSize)
	}

	plan := MirrorPlan{Base: base}
	for _, w := range ws {
		if w.reach.After(in.Now) {
			plan.Want = append(plan.Want, Action{Name: ActionName(w.id, RoleStart), At: w.reach, MinSize: floorAt(w.reach)})
		}
		plan.Want = append(plan.Want, Action{Name: ActionName(w.id, RoleEnd), At: w.end, MinSize: floorAt(w.end)})
	}
	if now := floorAt(in.Now); now != in.MinSize && (active || begun || orphaned) {
		plan.SetMin = &now
		plan.Want = append(plan.Want, orphans...)
	}
	slices.SortFunc(plan.Want, func(a, b Action) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return plan
}

// ceilMinute rounds t up to the whole minute.
func ceilMinute(t time.Time) time.Time {
	r := t.Truncate(time.Minute)
	if r.Before(t) {
		r = r.Add(time.Minute)
	}
	return r
}

// Reconcile makes a target's Headroom actions equal want, through put and
// del, the target's own calls: put for each wanted action that is missing
// from existing or differs (At, MinSize), in the order of want, and then
// del for each existing Headroom action not in want. Putting first means
// an end action that remembers the target's base is in place before
// anything that relies on it. It never touches an action whose name lacks
// ActionPrefix. del reports gone when the action was already gone (not
// counted, not an error: a one-time action is removed once it has run).
// One failed call does not stop the others; the errors are joined. It
// returns how many actions were put and how many deleted.
func Reconcile(existing, want []Action, put func(Action) error, del func(name string) (gone bool, err error)) (puts, deleted int, err error) {
	have := make(map[string]Action, len(existing))
	for _, e := range existing {
		if strings.HasPrefix(e.Name, ActionPrefix) {
			have[e.Name] = e
		}
	}
	wanted := make(map[string]bool, len(want))
	var errs []error
	for _, w := range want {
		if wanted[w.Name] {
			continue
		}
		wanted[w.Name] = true
		if e, ok := have[w.Name]; ok && e.At.Equal(w.At) && e.MinSize == w.MinSize {
			continue
		}
		if err := put(w); err != nil {
			errs = append(errs, err)
			continue
		}
		puts++
	}
	for _, e := range existing {
		if wanted[e.Name] || !strings.HasPrefix(e.Name, ActionPrefix) {
			continue
		}
		wanted[e.Name] = true // a name listed twice is deleted once
		gone, err := del(e.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !gone {
			deleted++
		}
	}
	return puts, deleted, errors.Join(errs...)
}
