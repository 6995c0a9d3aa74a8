package baseline

import (
	"math"
	"strings"
	"testing"
	"time"
)

// slots turns a row of the CloudWatch tables ("0 - X - X", oldest first;
// 0 not breaching, X breaching, - missing) into an evaluation range for an
// alarm above threshold 10.
func slots(t *testing.T, row string) []*reading {
	t.Helper()
	var w []*reading
	for i, f := range strings.Fields(row) {
		at := start.Add(time.Duration(i) * time.Minute)
		switch f {
		case "0":
			w = append(w, &reading{at: at, value: 5})
		case "X":
			w = append(w, &reading{at: at, value: 20})
		case "-":
			w = append(w, nil)
		default:
			t.Fatalf("bad slot %q in %q", f, row)
		}
	}
	return w
}

// TestAlarmMissingData reproduces the two tables of "How alarm state is
// evaluated when data is missing" (Amazon CloudWatch User Guide), column
// MISSING, and the premature-alarm examples of the section after them.
func TestAlarmMissingData(t *testing.T) {
	tests := []struct {
		name   string
		m, n   int
		row    string
		before alarmState
		want   alarmState
	}{
		{"3/3 row 1: three real, one not breaching", 3, 3, "0 - X - X", stateAlarm, stateOK},
		{"3/3 row 2: one real not breaching", 3, 3, "0 - - - -", stateAlarm, stateOK},
		{"3/3 row 3: all missing", 3, 3, "- - - - -", stateAlarm, insufficientData},
		{"3/3 row 4: three most recent real breaching", 3, 3, "0 X X - X", stateOK, stateAlarm},
		{"3/3 row 5: premature alarm rule", 3, 3, "- - X - -", stateOK, stateAlarm},
		{"2/3 row 1", 2, 3, "0 - X - X", stateOK, stateAlarm},
		{"2/3 row 2", 2, 3, "0 0 X 0 X", stateOK, stateAlarm},
		{"2/3 row 3: one breaching, one not", 2, 3, "0 - X - -", stateAlarm, stateOK},
		{"2/3 row 4: one real not breaching", 2, 3, "- - - - 0", stateAlarm, stateOK},
		{"2/3 row 5: premature alarm rule", 2, 3, "- - - X -", stateOK, stateAlarm},
		{"3/3 newest breaching alone stays OK", 3, 3, "- - - - X", stateOK, stateOK},
		{"3/3 newest breaching alone stays insufficient", 3, 3, "- - - - X", insufficientData, insufficientData},
		{"3/3 second newest breaching alone stays as it was", 3, 3, "- - - X -", stateOK, stateOK},
		{"3/3 two breaching after a gap", 3, 3, "- - - X X", insufficientData, insufficientData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := alarm{threshold: 10, above: true, datapoints: tc.m, periods: tc.n, state: tc.before}
			w := slots(t, tc.row)
			if len(w) != a.rangeLen() {
				t.Fatalf("row %q has %d slots, range is %d", tc.row, len(w), a.rangeLen())
			}
			changed := a.evaluate(w)
			if a.state != tc.want {
				t.Errorf("%q: state %v, want %v", tc.row, a.state, tc.want)
			}
			if changed != (tc.before != tc.want) {
				t.Errorf("changed = %v, want %v", changed, tc.before != tc.want)
			}
		})
	}
}

func TestAlarmComparisons(t *testing.T) {
	tests := []struct {
		name           string
		above, orEqual bool
		v              float64
		want           bool
	}{
		{"greater than: equal does not breach", true, false, 10, false},
		{"greater than: above breaches", true, false, 10.5, true},
		{"greater or equal: equal breaches", true, true, 10, true},
		{"less than: equal does not breach", false, false, 10, false},
		{"less than: below breaches", false, false, 9, true},
		{"less or equal: equal breaches", false, true, 10, true},
		{"less or equal: above does not breach", false, true, 11, false},
		{"+Inf breaches an upper alarm", true, false, math.Inf(1), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := alarm{threshold: 10, above: tc.above, orEqual: tc.orEqual}
			if got := a.breaches(tc.v); got != tc.want {
				t.Errorf("breaches(%v) = %v, want %v", tc.v, got, tc.want)
			}
		})
	}
}

// TestAlarmInvoke checks that an alarm in ALARM invokes its policy at the
// transition and then once per period, and never outside ALARM.
func TestAlarmInvoke(t *testing.T) {
	a := alarm{state: stateAlarm}
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	steps := []struct {
		sec     int
		changed bool
		want    bool
	}{
		{0, true, true},
		{30, false, false},
		{59, false, false},
		{60, false, true},
		{61, true, true}, // a new transition invokes at once
		{100, false, false},
		{121, false, true},
	}
	for _, s := range steps {
		if got := a.invoke(at(s.sec), s.changed, time.Minute); got != s.want {
			t.Errorf("second %d (changed %v): invoke = %v, want %v", s.sec, s.changed, got, s.want)
		}
	}
	a.state = stateOK
	if a.invoke(at(500), true, time.Minute) {
		t.Error("an alarm in OK invoked its policy")
	}
}

func TestReadBacklogPerInstance(t *testing.T) {
	cw := newFakeCW()
	cw.periods(MetricSQSVisible, time.Minute, 0, 100, 200, 300, 0, 50)
	cw.periods(MetricInService, time.Minute, 0, 10, missing, 3, 0, 0)
	cw.publish(start.Add(time.Hour))
	got := read(nil, cw, BacklogPerInstance, 10)
	want := []reading{
		{at: start, value: 10, load: 100},
		// minute 1 has no InService datapoint: no metric math result
		{at: start.Add(2 * time.Minute), value: 100, load: 300},
		{at: start.Add(3 * time.Minute), value: 0, load: 0},
		{at: start.Add(4 * time.Minute), value: math.Inf(1), load: 50},
	}
	if len(got) != len(want) {
		t.Fatalf("read %d readings %v, want %v", len(got), got, want)
	}
	for i := range want {
		if !got[i].at.Equal(want[i].at) || got[i].value != want[i].value || got[i].load != want[i].load {
			t.Errorf("reading %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if rs := read(nil, nil, BacklogPerInstance, 5); len(rs) != 0 {
		t.Errorf("read with no metrics = %v, want nothing", rs)
	}
}

func TestCadence(t *testing.T) {
	c := cadence{period: time.Minute}
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	data := func(minute int) []reading { return []reading{{at: start.Add(time.Duration(minute) * time.Minute)}} }
	steps := []struct {
		sec  int
		rs   []reading
		want bool
	}{
		{0, nil, true},        // first tick
		{1, nil, false},       // same period, nothing new
		{60, nil, true},       // period boundary
		{61, data(0), true},   // a datapoint published mid-period
		{62, data(0), false},  // nothing new
		{120, data(0), true},  // boundary
		{120, data(1), true},  // new datapoint at the same second
		{150, data(1), false}, // nothing new
	}
	for _, s := range steps {
		if got := c.due(at(s.sec), s.rs); got != s.want {
			t.Errorf("second %d: due = %v, want %v", s.sec, got, s.want)
		}
	}
}
