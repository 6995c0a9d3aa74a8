package schedule

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// at returns 2026-12-15 at hh:mm UTC.
func at(hh, mm int) time.Time {
	return time.Date(2026, 12, 15, hh, mm, 0, 0, time.UTC)
}

func start(id string, t time.Time, min int) Action {
	return Action{Name: ActionName(id, RoleStart), At: t, MinSize: min}
}

func end(id string, t time.Time, min int) Action {
	return Action{Name: ActionName(id, RoleEnd), At: t, MinSize: min}
}

func intp(v int) *int { return &v }

func formatActions(as []Action) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "\n\t%s at %s min %d", a.Name, a.At.Format(time.RFC3339), a.MinSize)
	}
	if b.Len() == 0 {
		return " (none)"
	}
	return b.String()
}

func equalActions(a, b []Action) bool {
	return slices.EqualFunc(a, b, func(x, y Action) bool {
		return x.Name == y.Name && x.At.Equal(y.At) && x.MinSize == y.MinSize
	})
}

func formatMin(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// checkPlan fails the test unless got equals want.
func checkPlan(t *testing.T, got, want MirrorPlan) {
	t.Helper()
	if !equalActions(got.Want, want.Want) {
		t.Errorf("Want:%s\nwant:%s", formatActions(got.Want), formatActions(want.Want))
	}
	if got.Base != want.Base {
		t.Errorf("Base = %d, want %d", got.Base, want.Base)
	}
	if formatMin(got.SetMin) != formatMin(want.SetMin) {
		t.Errorf("SetMin = %s, want %s", formatMin(got.SetMin), formatMin(want.SetMin))
	}
}

func TestMirror(t *testing.T) {
	// a holds 5 from 10:00 to 12:00; b holds 8 from 11:00 to 13:00; the
	// group's own MinSize is 2 and its MaxSize 10.
	a := MirrorBoost{ID: "a", Reached: at(10, 0), End: at(12, 0), Floor: 5}
	b := MirrorBoost{ID: "b", Reached: at(11, 0), End: at(13, 0), Floor: 8}
	// inner sits inside long: long holds 5 from 10:00 to 14:00, inner 8
	// from 11:00 to 12:00.
	long := MirrorBoost{ID: "long", Reached: at(10, 0), End: at(14, 0), Floor: 5}
	inner := MirrorBoost{ID: "inner", Reached: at(11, 0), End: at(12, 0), Floor: 8}
	with := func(m MirrorBoost, edit func(*MirrorBoost)) MirrorBoost {
		edit(&m)
		return m
	}
	tests := []struct {
		name string
		in   MirrorInput
		want MirrorPlan
	}{
		{
			name: "no boost, nothing on the group",
			in:   MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10},
			want: MirrorPlan{Base: 2},
		},
		{
			name: "one boost before its lead",
			in:   MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10, Boosts: []MirrorBoost{a}},
			want: MirrorPlan{Base: 2, Want: []Action{start("a", at(10, 0), 5), end("a", at(12, 0), 2)}},
		},
		{
			name: "one boost before its lead, actions in place",
			in: MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{start("a", at(10, 0), 5), end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2, Want: []Action{start("a", at(10, 0), 5), end("a", at(12, 0), 2)}},
		},
		{
			name: "one boost during, its start action ran",
			in: MirrorInput{Now: at(11, 0), MinSize: 5, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2, Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "one boost during, its start action did not run",
			in: MirrorInput{Now: at(11, 0), MinSize: 2, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2, SetMin: intp(5), Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "one boost at its reach, the start action not yet run",
			in: MirrorInput{Now: at(10, 0), MinSize: 2, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{start("a", at(10, 0), 5), end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2, SetMin: intp(5), Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "one boost after its end, the caller still passing it",
			in:   MirrorInput{Now: at(12, 30), MinSize: 2, MaxSize: 10, Boosts: []MirrorBoost{a}},
			want: MirrorPlan{Base: 2},
		},
		{
			name: "one boost after its end",
			in:   MirrorInput{Now: at(12, 30), MinSize: 2, MaxSize: 10},
			want: MirrorPlan{Base: 2},
		},
		{
			name: "one boost at its end, the end action not yet run",
			in: MirrorInput{Now: at(12, 0), MinSize: 5, MaxSize: 10,
				Existing: []Action{end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2, SetMin: intp(2)},
		},
		{
			name: "two overlapping boosts before either",
			in:   MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10, Boosts: []MirrorBoost{b, a}},
			want: MirrorPlan{Base: 2, Want: []Action{
				start("a", at(10, 0), 5), start("b", at(11, 0), 8), end("a", at(12, 0), 8), end("b", at(13, 0), 2),
			}},
		},
		{
			name: "two overlapping boosts, between the starts",
			in: MirrorInput{Now: at(10, 30), MinSize: 5, MaxSize: 10, Boosts: []MirrorBoost{a, b},
				Existing: []Action{start("b", at(11, 0), 8), end("a", at(12, 0), 8), end("b", at(13, 0), 2)}},
			want: MirrorPlan{Base: 2, Want: []Action{start("b", at(11, 0), 8), end("a", at(12, 0), 8), end("b", at(13, 0), 2)}},
		},
		{
			name: "two overlapping boosts, both holding",
			in: MirrorInput{Now: at(11, 30), MinSize: 8, MaxSize: 10, Boosts: []MirrorBoost{a, b},
				Existing: []Action{end("a", at(12, 0), 8), end("b", at(13, 0), 2)}},
			want: MirrorPlan{Base: 2, Want: []Action{end("a", at(12, 0), 8), end("b", at(13, 0), 2)}},
		},
		{
			name: "two overlapping boosts, after the first ended",
			in: MirrorInput{Now: at(12, 30), MinSize: 8, MaxSize: 10, Boosts: []MirrorBoost{b},
				Existing: []Action{end("b", at(13, 0), 2)}},
			want: MirrorPlan{Base: 2, Want: []Action{end("b", at(13, 0), 2)}},
		},
		{
			name: "nested boosts: the inner end returns to the outer floor",
			in:   MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10, Boosts: []MirrorBoost{long, inner}},
			want: MirrorPlan{Base: 2, Want: []Action{
				start("long", at(10, 0), 5), start("inner", at(11, 0), 8), end("inner", at(12, 0), 5), end("long", at(14, 0), 2),
			}},
		},
		{
			name: "nested boosts, after the inner ended",
			in: MirrorInput{Now: at(12, 30), MinSize: 5, MaxSize: 10, Boosts: []MirrorBoost{long},
				Existing: []Action{end("long", at(14, 0), 2)}},
			want: MirrorPlan{Base: 2, Want: []Action{end("long", at(14, 0), 2)}},
		},
		{
			name: "boost created after its lead started",
			in:   MirrorInput{Now: at(10, 30), MinSize: 2, MaxSize: 10, Boosts: []MirrorBoost{a}},
			want: MirrorPlan{Base: 2, SetMin: intp(5), Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "restart after a late boost was applied",
			in: MirrorInput{Now: at(10, 31), MinSize: 5, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2, Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "second boost created while the first holds",
			in: MirrorInput{Now: at(11, 30), MinSize: 5, MaxSize: 10, Boosts: []MirrorBoost{a, b},
				Existing: []Action{end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2, SetMin: intp(8), Want: []Action{end("a", at(12, 0), 8), end("b", at(13, 0), 2)}},
		},
		{
			name: "cancel before start",
			in: MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10,
				Existing: []Action{start("a", at(10, 0), 5), end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2},
		},
		{
			name: "cancel during: base from the orphan end action, kept until restored",
			in: MirrorInput{Now: at(11, 0), MinSize: 5, MaxSize: 10,
				Existing: []Action{end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2, SetMin: intp(2), Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "cancel during, once restored",
			in: MirrorInput{Now: at(11, 1), MinSize: 2, MaxSize: 10,
				Existing: []Action{end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 2},
		},
		{
			name: "cancel one of two overlapping boosts while both hold",
			in: MirrorInput{Now: at(11, 30), MinSize: 8, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{end("a", at(12, 0), 8), end("b", at(13, 0), 2)}},
			want: MirrorPlan{Base: 2, SetMin: intp(5), Want: []Action{end("a", at(12, 0), 2), end("b", at(13, 0), 2)}},
		},
		{
			name: "cancel one of two overlapping boosts, once restored",
			in: MirrorInput{Now: at(11, 31), MinSize: 5, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{end("a", at(12, 0), 2), end("b", at(13, 0), 2)}},
			want: MirrorPlan{Base: 2, Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "cancel a future boost while another holds",
			in: MirrorInput{Now: at(10, 30), MinSize: 5, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{start("b", at(11, 0), 8), end("a", at(12, 0), 8), end("b", at(13, 0), 2)}},
			want: MirrorPlan{Base: 2, Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "start in the past after rounding down",
			in: MirrorInput{Now: at(9, 59).Add(30 * time.Second), MinSize: 2, MaxSize: 10,
				Boosts: []MirrorBoost{with(a, func(m *MirrorBoost) { m.Reached = at(9, 59).Add(45 * time.Second) })}},
			want: MirrorPlan{Base: 2, SetMin: intp(5), Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "start rounded down to the minute",
			in: MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10,
				Boosts: []MirrorBoost{with(a, func(m *MirrorBoost) { m.Reached = at(9, 59).Add(45 * time.Second) })}},
			want: MirrorPlan{Base: 2, Want: []Action{start("a", at(9, 59), 5), end("a", at(12, 0), 2)}},
		},
		{
			name: "end rounded up to the minute",
			in: MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10,
				Boosts: []MirrorBoost{with(a, func(m *MirrorBoost) { m.End = at(12, 0).Add(10 * time.Second) })}},
			want: MirrorPlan{Base: 2, Want: []Action{start("a", at(10, 0), 5), end("a", at(12, 1), 2)}},
		},
		{
			name: "floor capped at MaxSize",
			in:   MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 4, Boosts: []MirrorBoost{a, b}},
			want: MirrorPlan{Base: 2, Want: []Action{
				start("a", at(10, 0), 4), start("b", at(11, 0), 4), end("a", at(12, 0), 4), end("b", at(13, 0), 2),
			}},
		},
		{
			name: "late boost capped at MaxSize",
			in:   MirrorInput{Now: at(10, 30), MinSize: 2, MaxSize: 4, Boosts: []MirrorBoost{a}},
			want: MirrorPlan{Base: 2, SetMin: intp(4), Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "floor below the base changes nothing",
			in: MirrorInput{Now: at(10, 30), MinSize: 3, MaxSize: 10,
				Boosts: []MirrorBoost{with(a, func(m *MirrorBoost) { m.Floor = 1 })}},
			want: MirrorPlan{Base: 3, Want: []Action{end("a", at(12, 0), 3)}},
		},
		{
			name: "floor raised while the boost holds",
			in: MirrorInput{Now: at(11, 0), MinSize: 5, MaxSize: 10, Existing: []Action{end("a", at(12, 0), 2)},
				Boosts: []MirrorBoost{with(a, func(m *MirrorBoost) { m.Floor = 7 })}},
			want: MirrorPlan{Base: 2, SetMin: intp(7), Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "floor lowered while the boost holds",
			in: MirrorInput{Now: at(11, 0), MinSize: 5, MaxSize: 10, Existing: []Action{end("a", at(12, 0), 2)},
				Boosts: []MirrorBoost{with(a, func(m *MirrorBoost) { m.Floor = 3 })}},
			want: MirrorPlan{Base: 2, SetMin: intp(3), Want: []Action{end("a", at(12, 0), 2)}},
		},
		{
			name: "boost moved before it starts",
			in: MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10,
				Existing: []Action{start("a", at(10, 0), 5), end("a", at(12, 0), 2)},
				Boosts:   []MirrorBoost{with(a, func(m *MirrorBoost) { m.Reached, m.End = at(10, 30), at(13, 0) })}},
			want: MirrorPlan{Base: 2, Want: []Action{start("a", at(10, 30), 5), end("a", at(13, 0), 2)}},
		},
		{
			name: "boost moved later after it began",
			in: MirrorInput{Now: at(10, 30), MinSize: 5, MaxSize: 10, Existing: []Action{end("a", at(12, 0), 2)},
				Boosts: []MirrorBoost{with(a, func(m *MirrorBoost) { m.Reached = at(11, 0) })}},
			want: MirrorPlan{Base: 2, SetMin: intp(2), Want: []Action{start("a", at(11, 0), 5), end("a", at(12, 0), 2)}},
		},
		{
			name: "boost extended while it holds",
			in: MirrorInput{Now: at(11, 0), MinSize: 5, MaxSize: 10, Existing: []Action{end("a", at(12, 0), 2)},
				Boosts: []MirrorBoost{with(a, func(m *MirrorBoost) { m.End = at(15, 0) })}},
			want: MirrorPlan{Base: 2, Want: []Action{end("a", at(15, 0), 2)}},
		},
		{
			name: "operator raises MinSize with no boost",
			in:   MirrorInput{Now: at(9, 0), MinSize: 4, MaxSize: 10},
			want: MirrorPlan{Base: 4},
		},
		{
			name: "operator raises MinSize before a campaign",
			in: MirrorInput{Now: at(9, 0), MinSize: 3, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{start("a", at(10, 0), 5), end("a", at(12, 0), 2)}},
			want: MirrorPlan{Base: 3, Want: []Action{start("a", at(10, 0), 5), end("a", at(12, 0), 3)}},
		},
		{
			name: "operator raises MinSize above a future floor",
			in:   MirrorInput{Now: at(9, 0), MinSize: 7, MaxSize: 10, Boosts: []MirrorBoost{a}},
			want: MirrorPlan{Base: 7, Want: []Action{start("a", at(10, 0), 7), end("a", at(12, 0), 7)}},
		},
		{
			name: "names Headroom did not make are dropped",
			in: MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10,
				Existing: []Action{{Name: ActionPrefix + "a-middle", At: at(11, 0), MinSize: 9}}},
			want: MirrorPlan{Base: 2},
		},
		{
			name: "an end action with unknown MinSize does not give the base",
			in: MirrorInput{Now: at(11, 0), MinSize: 5, MaxSize: 10, Boosts: []MirrorBoost{a},
				Existing: []Action{end("a", at(12, 0), -1)}},
			want: MirrorPlan{Base: 5, Want: []Action{end("a", at(12, 0), 5)}},
		},
		{
			name: "a boost id given twice counts once",
			in: MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10,
				Boosts: []MirrorBoost{a, with(a, func(m *MirrorBoost) { m.Floor = 9 })}},
			want: MirrorPlan{Base: 2, Want: []Action{start("a", at(10, 0), 5), end("a", at(12, 0), 2)}},
		},
		{
			name: "an empty window is ignored",
			in: MirrorInput{Now: at(9, 0), MinSize: 2, MaxSize: 10,
				Boosts: []MirrorBoost{with(a, func(m *MirrorBoost) { m.Reached = m.End })}},
			want: MirrorPlan{Base: 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkPlan(t, Mirror(tc.in), tc.want)
		})
	}
}

// apply returns the group's state after a plan was carried out.
func apply(in MirrorInput, p MirrorPlan) MirrorInput {
	in.Existing = slices.Clone(p.Want)
	if p.SetMin != nil {
		in.MinSize = *p.SetMin
	}
	return in
}

// TestMirrorRestartIdempotent checks that Mirror run again on the state
// its own plan left changes nothing, at every minute of a campaign: what a
// restarted daemon sees.
func TestMirrorRestartIdempotent(t *testing.T) {
	boosts := []MirrorBoost{
		{ID: "a", Reached: at(10, 0), End: at(12, 0), Floor: 5},
		{ID: "b", Reached: at(11, 0), End: at(13, 0), Floor: 8},
		{ID: "c", Reached: at(10, 30).Add(20 * time.Second), End: at(11, 15).Add(5 * time.Second), Floor: 3},
	}
	tests := []struct {
		name   string
		maxSz  int
		boosts []MirrorBoost
	}{
		{name: "one boost", maxSz: 10, boosts: boosts[:1]},
		{name: "overlapping boosts", maxSz: 10, boosts: boosts},
		{name: "capped at MaxSize", maxSz: 6, boosts: boosts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for now := at(9, 0); now.Before(at(14, 0)); now = now.Add(time.Minute) {
				first := MirrorInput{Now: now, MinSize: 2, MaxSize: tc.maxSz, Boosts: tc.boosts}
				p1 := Mirror(first)
				p2 := Mirror(apply(first, p1))
				if !equalActions(p1.Want, p2.Want) || p2.SetMin != nil || p1.Base != p2.Base {
					t.Fatalf("at %s: second Mirror changed the plan:\nfirst:%s SetMin %s\nsecond:%s SetMin %s",
						now.Format(time.Kitchen), formatActions(p1.Want), formatMin(p1.SetMin), formatActions(p2.Want), formatMin(p2.SetMin))
				}
			}
		})
	}
}

// group is a tiny Auto Scaling group for timeline tests: one-time
// scheduled actions fire at their minute and are removed, as AWS does.
type group struct {
	min, max int
	actions  []Action
}

func (g *group) runDue(now time.Time) {
	slices.SortFunc(g.actions, func(a, b Action) int { return a.At.Compare(b.At) })
	kept := g.actions[:0]
	for _, a := range g.actions {
		if a.At.After(now) {
			kept = append(kept, a)
			continue
		}
		g.min = a.MinSize
	}
	g.actions = kept
}

// TestMirrorTimeline runs a campaign minute by minute, with the daemon
// mirroring only in some minutes, and checks the group's MinSize is the
// floor the boosts ask for whether or not the daemon is alive.
func TestMirrorTimeline(t *testing.T) {
	boosts := []MirrorBoost{
		{ID: "a", Reached: at(10, 0), End: at(12, 0), Floor: 5},
		{ID: "b", Reached: at(11, 0), End: at(13, 0), Floor: 8},
		{ID: "inner", Reached: at(11, 10), End: at(11, 20), Floor: 6},
	}
	wantMin := func(now time.Time) int {
		f := 2
		for _, b := range boosts {
			if !now.Before(b.Reached) && now.Before(b.End) {
				f = max(f, b.Floor)
			}
		}
		return f
	}
	tests := []struct {
		name  string
		alive func(now time.Time) bool
	}{
		{name: "daemon alive throughout", alive: func(time.Time) bool { return true }},
		{name: "daemon dies before the campaign", alive: func(now time.Time) bool { return now.Before(at(9, 5)) }},
		{name: "daemon down during the campaign", alive: func(now time.Time) bool {
			return now.Before(at(9, 5)) || !now.Before(at(12, 30))
		}},
		{name: "daemon only every 20 minutes", alive: func(now time.Time) bool { return now.Minute()%20 == 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &group{min: 2, max: 10}
			for now := at(9, 0); now.Before(at(14, 0)); now = now.Add(time.Minute) {
				g.runDue(now)
				if tc.alive(now) {
					var live []MirrorBoost
					for _, b := range boosts {
						if b.End.After(now) {
							live = append(live, b)
						}
					}
					p := Mirror(MirrorInput{Now: now, MinSize: g.min, MaxSize: g.max, Existing: g.actions, Boosts: live})
					g.actions = slices.Clone(p.Want)
					if p.SetMin != nil {
						g.min = *p.SetMin
					}
				}
				if want := wantMin(now); g.min != want && now.After(at(9, 4)) {
					t.Fatalf("at %s: MinSize %d, want %d", now.Format(time.Kitchen), g.min, want)
				}
			}
			if len(g.actions) != 0 {
				t.Fatalf("actions left after the campaign:%s", formatActions(g.actions))
			}
		})
	}
}

func TestActionName(t *testing.T) {
	tests := []struct {
		name             string
		in               string
		wantID, wantRole string
		wantOK           bool
	}{
		{name: "start", in: "headroom-boost-b1-start", wantID: "b1", wantRole: RoleStart, wantOK: true},
		{name: "end", in: "headroom-boost-b1-end", wantID: "b1", wantRole: RoleEnd, wantOK: true},
		{name: "id with hyphens", in: "headroom-boost-black-friday-2026-end", wantID: "black-friday-2026", wantRole: RoleEnd, wantOK: true},
		{name: "foreign action", in: "nightly-scale-in"},
		{name: "prefix only", in: "headroom-boost-"},
		{name: "no id", in: "headroom-boost--start"},
		{name: "role only", in: "headroom-boost-start"},
		{name: "unknown role", in: "headroom-boost-b1-middle"},
		{name: "prefix in another case", in: "Headroom-boost-b1-start"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, role, ok := ParseActionName(tc.in)
			if id != tc.wantID || role != tc.wantRole || ok != tc.wantOK {
				t.Fatalf("ParseActionName(%q) = %q, %q, %v; want %q, %q, %v", tc.in, id, role, ok, tc.wantID, tc.wantRole, tc.wantOK)
			}
			if ok {
				if back := ActionName(id, role); back != tc.in {
					t.Fatalf("ActionName(%q, %q) = %q, want %q", id, role, back, tc.in)
				}
			}
		})
	}
}
