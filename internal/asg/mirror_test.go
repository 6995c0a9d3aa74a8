package asg

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	emulator "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/schedule"
)

func boostAction(id, role string, at time.Time, min int) schedule.Action {
	return schedule.Action{Name: schedule.ActionName(id, role), At: at, MinSize: min}
}

// createGroup creates one group on the emulator.
func (f *fixture) createGroup(t *testing.T, name string, min, desired, max int) {
	t.Helper()
	if err := f.emu.CreateGroup(emulator.GroupSpec{Name: name, Min: min, Max: max, Desired: desired, StartInService: true}); err != nil {
		t.Fatal(err)
	}
}

// putForeign puts a scheduled action Headroom does not own, through the
// SDK as an operator would.
func (f *fixture) putForeign(t *testing.T, group, name string, at time.Time) {
	t.Helper()
	_, err := f.client.PutScheduledUpdateGroupAction(context.Background(), &autoscaling.PutScheduledUpdateGroupActionInput{
		AutoScalingGroupName: aws.String(group),
		ScheduledActionName:  aws.String(name),
		StartTime:            aws.Time(at),
		MinSize:              aws.Int32(1),
	})
	if err != nil {
		t.Fatalf("put foreign action %s: %v", name, err)
	}
}

// allActionNames lists every scheduled action on the group, Headroom's or
// not, sorted.
func (f *fixture) allActionNames(t *testing.T, group string) []string {
	t.Helper()
	out, err := f.client.DescribeScheduledActions(context.Background(), &autoscaling.DescribeScheduledActionsInput{
		AutoScalingGroupName: aws.String(group),
		MaxRecords:           aws.Int32(100),
	})
	if err != nil {
		t.Fatalf("describe scheduled actions: %v", err)
	}
	var names []string
	for _, a := range out.ScheduledUpdateGroupActions {
		names = append(names, aws.ToString(a.ScheduledActionName))
	}
	slices.Sort(names)
	return names
}

func (f *fixture) scheduled(t *testing.T, group string) []schedule.Action {
	t.Helper()
	got, err := f.act.ScheduledActions(context.Background(), group)
	if err != nil {
		t.Fatalf("scheduled actions of %s: %v", group, err)
	}
	return got
}

func formatActions(as []schedule.Action) string {
	if len(as) == 0 {
		return " (none)"
	}
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "\n\t%s at %s min %d", a.Name, a.At.Format(time.RFC3339), a.MinSize)
	}
	return b.String()
}

// sameActions compares action sets regardless of order.
func sameActions(a, b []schedule.Action) bool {
	key := func(as []schedule.Action) []string {
		out := make([]string, len(as))
		for i, x := range as {
			out[i] = fmt.Sprintf("%s|%d|%d", x.Name, x.At.Unix(), x.MinSize)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

func TestReconcile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.createGroup(t, "web", 2, 2, 10)
	f.putForeign(t, "web", "nightly-scale-in", t0.Add(5*time.Hour))
	startAt, endAt := t0.Add(time.Hour), t0.Add(3*time.Hour)
	steps := []struct {
		name        string
		stale       []schedule.Action // listed as existing but not on the group
		want        []schedule.Action
		wantPut     int
		wantDeleted int
	}{
		{
			name:    "actions created",
			want:    []schedule.Action{boostAction("a", "start", startAt, 5), boostAction("a", "end", endAt, 2)},
			wantPut: 2,
		},
		{
			name: "second reconcile changes nothing",
			want: []schedule.Action{boostAction("a", "start", startAt, 5), boostAction("a", "end", endAt, 2)},
		},
		{
			name:    "MinSize changed",
			want:    []schedule.Action{boostAction("a", "start", startAt, 6), boostAction("a", "end", endAt, 2)},
			wantPut: 1,
		},
		{
			name:    "time changed",
			want:    []schedule.Action{boostAction("a", "start", startAt, 6), boostAction("a", "end", endAt.Add(time.Hour), 2)},
			wantPut: 1,
		},
		{
			name: "second boost added, first removed",
			want: []schedule.Action{
				boostAction("b", "start", startAt.Add(30*time.Minute), 4), boostAction("b", "end", endAt, 2),
			},
			wantPut:     2,
			wantDeleted: 2,
		},
		{
			name:  "an action already gone is not an error",
			stale: []schedule.Action{boostAction("ran", "start", t0.Add(time.Minute), 3)},
			want: []schedule.Action{
				boostAction("b", "start", startAt.Add(30*time.Minute), 4), boostAction("b", "end", endAt, 2),
			},
		},
		{
			name:        "all removed",
			wantDeleted: 2,
		},
		{
			name: "nothing to do",
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.counter.reset()
			existing := append(f.scheduled(t, "web"), st.stale...)
			put, deleted, err := f.act.Reconcile(ctx, "web", existing, st.want)
			if err != nil {
				t.Fatalf("reconcile: %v", err)
			}
			if put != st.wantPut || deleted != st.wantDeleted {
				t.Errorf("put %d, deleted %d; want %d, %d", put, deleted, st.wantPut, st.wantDeleted)
			}
			if calls := f.counter.count("PutScheduledUpdateGroupAction"); calls != st.wantPut {
				t.Errorf("PutScheduledUpdateGroupAction calls = %d, want %d", calls, st.wantPut)
			}
			if got := f.scheduled(t, "web"); !sameActions(got, st.want) {
				t.Errorf("actions on the group:%s\nwant:%s", formatActions(got), formatActions(st.want))
			}
			if names := f.allActionNames(t, "web"); !slices.Contains(names, "nightly-scale-in") {
				t.Errorf("foreign action gone: %v", names)
			}
		})
	}
}

func TestScheduledActionsFollowsNextToken(t *testing.T) {
	f := newFixture(t)
	f.createGroup(t, "web", 2, 2, 10)
	var want []schedule.Action
	for i := range 7 {
		want = append(want, boostAction(fmt.Sprintf("b%d", i), "end", t0.Add(time.Duration(i+1)*time.Hour), 2))
	}
	if _, _, err := f.act.Reconcile(context.Background(), "web", nil, want); err != nil {
		t.Fatal(err)
	}
	f.putForeign(t, "web", "aaa-operator", t0.Add(time.Hour))
	f.putForeign(t, "web", "zzz-operator", t0.Add(time.Hour))
	f.emu.SetPageSize(3)
	f.counter.reset()
	got := f.scheduled(t, "web")
	if !sameActions(got, want) {
		t.Errorf("ScheduledActions:%s\nwant:%s", formatActions(got), formatActions(want))
	}
	// Nine actions, three a page.
	if calls := f.counter.count("DescribeScheduledActions"); calls != 3 {
		t.Errorf("DescribeScheduledActions calls = %d, want 3", calls)
	}
}

func TestReconcileErrors(t *testing.T) {
	ctx := context.Background()
	later := t0.Add(time.Hour)
	tests := []struct {
		name        string
		group       string
		existing    []schedule.Action
		want        []schedule.Action
		wantPut     int
		wantDeleted int
		wantErr     []string
		wantOnGroup []string
	}{
		{
			name:  "a start in the past fails alone",
			group: "web",
			want: []schedule.Action{
				boostAction("a", "start", t0.Add(-time.Minute), 5), boostAction("a", "end", later, 2),
			},
			wantPut:     1,
			wantErr:     []string{`put scheduled action "headroom-boost-a-start" on group "web"`, "Given start time is in the past"},
			wantOnGroup: []string{"headroom-boost-a-end", "nightly"},
		},
		{
			name:        "a foreign name is refused",
			group:       "web",
			want:        []schedule.Action{{Name: "nightly", At: later, MinSize: 9}},
			wantErr:     []string{`put scheduled action "nightly" on group "web": name lacks the prefix`},
			wantOnGroup: []string{"nightly"},
		},
		{
			name:        "a foreign existing action is not deleted",
			group:       "web",
			existing:    []schedule.Action{{Name: "nightly", At: later, MinSize: 1}},
			wantOnGroup: []string{"nightly"},
		},
		{
			name:        "a negative MinSize is refused",
			group:       "web",
			want:        []schedule.Action{boostAction("a", "end", later, -1)},
			wantErr:     []string{"MinSize -1 out of range"},
			wantOnGroup: []string{"nightly"},
		},
		{
			name:     "unknown group",
			group:    "ghost",
			existing: []schedule.Action{boostAction("a", "end", later, 2)},
			want:     []schedule.Action{boostAction("b", "end", later, 2)},
			wantErr: []string{
				`put scheduled action "headroom-boost-b-end" on group "ghost"`,
				`delete scheduled action "headroom-boost-a-end" of group "ghost"`,
				"AutoScalingGroup name not found",
			},
			wantOnGroup: []string{"nightly"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.createGroup(t, "web", 2, 2, 10)
			f.putForeign(t, "web", "nightly", later)
			f.counter.reset()
			put, deleted, err := f.act.Reconcile(ctx, tc.group, tc.existing, tc.want)
			if put != tc.wantPut || deleted != tc.wantDeleted {
				t.Errorf("put %d, deleted %d; want %d, %d", put, deleted, tc.wantPut, tc.wantDeleted)
			}
			if len(tc.wantErr) == 0 && err != nil {
				t.Fatalf("reconcile: %v", err)
			}
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want it to contain %q", err, w)
				}
			}
			if got := f.allActionNames(t, "web"); !slices.Equal(got, tc.wantOnGroup) {
				t.Errorf("actions on web: %v, want %v", got, tc.wantOnGroup)
			}
		})
	}
}

func TestSetMinSize(t *testing.T) {
	tests := []struct {
		name                 string
		group                string
		min                  int
		wantMin, wantDesired int
		wantErr              string
	}{
		{name: "raise above desired raises desired", group: "web", min: 5, wantMin: 5, wantDesired: 5},
		{name: "raise below desired keeps desired", group: "web", min: 2, wantMin: 2, wantDesired: 3},
		{name: "lower keeps desired", group: "web", min: 0, wantMin: 0, wantDesired: 3},
		{name: "above MaxSize", group: "web", min: 11, wantMin: 1, wantDesired: 3, wantErr: "Max bound, 10, must be greater than or equal to min bound, 11"},
		{name: "negative", group: "web", min: -1, wantMin: 1, wantDesired: 3, wantErr: `set MinSize of group "web" to -1: out of range`},
		{name: "unknown group", group: "ghost", min: 1, wantMin: 1, wantDesired: 3, wantErr: `set MinSize of group "ghost" to 1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.createGroup(t, "web", 1, 3, 10)
			err := f.act.SetMinSize(context.Background(), tc.group, tc.min)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("set MinSize: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
			g, _ := f.emu.Group("web")
			if g.Min != tc.wantMin || g.Desired != tc.wantDesired {
				t.Fatalf("MinSize %d, desired %d; want %d, %d", g.Min, g.Desired, tc.wantMin, tc.wantDesired)
			}
		})
	}
}

// mirror runs one pass of the boost mirror for one group the way the
// controller does: read the group and its actions, plan, put the actions,
// then set MinSize.
func (f *fixture) mirror(t *testing.T, group string, boosts []schedule.MirrorBoost) schedule.MirrorPlan {
	t.Helper()
	ctx := context.Background()
	g := f.describeOne(t, group, 0)
	now := f.clk.Now()
	var live []schedule.MirrorBoost
	for _, b := range boosts {
		if b.End.After(now) {
			live = append(live, b)
		}
	}
	existing := f.scheduled(t, group)
	plan := schedule.Mirror(schedule.MirrorInput{Now: now, MinSize: g.Min, MaxSize: g.Max, Existing: existing, Boosts: live})
	if _, _, err := f.act.Reconcile(ctx, group, existing, plan.Want); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	if plan.SetMin != nil {
		if err := f.act.SetMinSize(ctx, group, *plan.SetMin); err != nil {
			t.Fatalf("set MinSize: %v", err)
		}
	}
	return plan
}

// TestMirrorSurvivesTheDaemon mirrors boosts into the emulator and then
// lets the emulator's clock run with no daemon: the scheduled actions
// alone raise MinSize (and desired with it) and restore it.
func TestMirrorSurvivesTheDaemon(t *testing.T) {
	f := newFixture(t)
	f.createGroup(t, "web", 2, 2, 10)
	f.putForeign(t, "web", "nightly", t0.Add(24*time.Hour))
	boosts := []schedule.MirrorBoost{
		{ID: "launch", Reached: t0.Add(10 * time.Minute), End: t0.Add(30 * time.Minute), Floor: 5},
		{ID: "promo", Reached: t0.Add(20 * time.Minute), End: t0.Add(40 * time.Minute), Floor: 7},
	}
	f.mirror(t, "web", boosts)
	if got := len(f.scheduled(t, "web")); got != 4 {
		t.Fatalf("%d Headroom actions on the group, want 4", got)
	}
	f.counter.reset()
	if plan := f.mirror(t, "web", boosts); plan.SetMin != nil {
		t.Fatalf("second mirror sets MinSize to %d", *plan.SetMin)
	}
	if n := f.counter.count("PutScheduledUpdateGroupAction") + f.counter.count("DeleteScheduledAction") + f.counter.count("UpdateAutoScalingGroup"); n != 0 {
		t.Fatalf("second mirror made %d writes, want 0", n)
	}
	steps := []struct {
		name                 string
		at                   time.Duration
		wantMin, wantDesired int
	}{
		{name: "before the first boost", at: 9 * time.Minute, wantMin: 2, wantDesired: 2},
		{name: "first boost reached", at: 10 * time.Minute, wantMin: 5, wantDesired: 5},
		{name: "second boost reached", at: 20 * time.Minute, wantMin: 7, wantDesired: 7},
		{name: "first boost ended, second holds", at: 30 * time.Minute, wantMin: 7, wantDesired: 7},
		// Lowering MinSize leaves desired alone: scaling in is the
		// controller's decision, not the schedule's.
		{name: "second boost ended", at: 40 * time.Minute, wantMin: 2, wantDesired: 7},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.clk.Advance(t0.Add(st.at).Sub(f.clk.Now()))
			g, ok := f.emu.Group("web")
			if !ok {
				t.Fatal("group gone")
			}
			if g.Min != st.wantMin || g.Desired != st.wantDesired {
				t.Fatalf("MinSize %d, desired %d; want %d, %d", g.Min, g.Desired, st.wantMin, st.wantDesired)
			}
		})
	}
	if got := f.allActionNames(t, "web"); !slices.Equal(got, []string{"nightly"}) {
		t.Fatalf("actions left: %v, want only the foreign one", got)
	}
	// The daemon comes back after the campaign: nothing to do.
	f.counter.reset()
	f.mirror(t, "web", boosts)
	if n := f.counter.count("PutScheduledUpdateGroupAction") + f.counter.count("DeleteScheduledAction") + f.counter.count("UpdateAutoScalingGroup"); n != 0 {
		t.Fatalf("mirror after the campaign made %d writes, want 0", n)
	}
}

func TestMirrorLateAndCancelled(t *testing.T) {
	boost := schedule.MirrorBoost{ID: "flash", Reached: t0.Add(-5 * time.Minute), End: t0.Add(time.Hour), Floor: 6}
	steps := []struct {
		name                 string
		advance              time.Duration
		boosts               []schedule.MirrorBoost
		wantSetMin           int // -1: none
		wantMin, wantDesired int
		wantActions          []string
	}{
		{name: "boost created after its lead started", boosts: []schedule.MirrorBoost{boost},
			wantSetMin: 6, wantMin: 6, wantDesired: 6, wantActions: []string{"headroom-boost-flash-end", "nightly"}},
		{name: "restart changes nothing", advance: time.Minute, boosts: []schedule.MirrorBoost{boost},
			wantSetMin: -1, wantMin: 6, wantDesired: 6, wantActions: []string{"headroom-boost-flash-end", "nightly"}},
		{name: "cancelled during its window", advance: 10 * time.Minute,
			wantSetMin: 2, wantMin: 2, wantDesired: 6, wantActions: []string{"headroom-boost-flash-end", "nightly"}},
		{name: "the orphan end action goes once MinSize is restored", advance: 10 * time.Second,
			wantSetMin: -1, wantMin: 2, wantDesired: 6, wantActions: []string{"nightly"}},
		{name: "then nothing", advance: time.Hour,
			wantSetMin: -1, wantMin: 2, wantDesired: 6, wantActions: []string{"nightly"}},
	}
	f := newFixture(t)
	f.createGroup(t, "web", 2, 2, 10)
	f.putForeign(t, "web", "nightly", t0.Add(24*time.Hour))
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.clk.Advance(st.advance)
			plan := f.mirror(t, "web", st.boosts)
			got := -1
			if plan.SetMin != nil {
				got = *plan.SetMin
			}
			if got != st.wantSetMin {
				t.Errorf("SetMin %d, want %d", got, st.wantSetMin)
			}
			g, _ := f.emu.Group("web")
			if g.Min != st.wantMin || g.Desired != st.wantDesired {
				t.Errorf("MinSize %d, desired %d; want %d, %d", g.Min, g.Desired, st.wantMin, st.wantDesired)
			}
			if names := f.allActionNames(t, "web"); !slices.Equal(names, st.wantActions) {
				t.Errorf("actions %v, want %v", names, st.wantActions)
			}
		})
	}
}
