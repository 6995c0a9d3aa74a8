package campaign

import (
	"math"
	"testing"
	"time"
)

var start = time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC)

func TestDefaultCurve(t *testing.T) {
	c := DefaultCurve()
	if len(c) != int(Horizon/Bucket) {
		t.Fatalf("len %d, want %d", len(c), int(Horizon/Bucket))
	}
	var firstHour float64
	for _, v := range c[:12] {
		firstHour += v
	}
	if math.Abs(firstHour-0.60) > 1e-9 {
		t.Errorf("first hour %g, want 0.60", firstHour)
	}
	if got := c.Total(); math.Abs(got-0.80) > 1e-9 {
		t.Errorf("total %g, want 0.80", got)
	}
	peak, at := c.Peak()
	if peak != 0.10 || at != 2 {
		t.Errorf("peak %g at bucket %d, want 0.10 at 2 (10-15 min)", peak, at)
	}
	for i := 3; i < len(c); i++ {
		if c[i] > c[i-1] {
			t.Errorf("curve rises after the peak at bucket %d: %g > %g", i, c[i], c[i-1])
		}
	}
	if got := c.Until(EndQuantile); got <= time.Hour || got > Horizon {
		t.Errorf("95%% by %s, want within (1h, %s]", got, Horizon)
	}
}

func TestSize(t *testing.T) {
	def := DefaultCurve()
	flat := Curve{0.5, 0.5}
	for _, tc := range []struct {
		name      string
		in        Input
		peak      float64
		wanted    int
		floor     int
		capped    bool
		until95   string
		messages  float64
		peakAfter string
	}{
		{name: "50k recipients, default curve, 0.3 units per msg/s",
			in:   Input{Audience: 50000, MessagesPerRecipient: 1, Curve: def, UnitsPerMessagePerSecond: 0.3, Max: -1},
			peak: 16.667, wanted: 5, floor: 5, messages: 40000, peakAfter: "10m0s"},
		{name: "two messages per recipient double the peak",
			in:   Input{Audience: 50000, MessagesPerRecipient: 2, Curve: def, UnitsPerMessagePerSecond: 0.3, Max: -1},
			peak: 33.333, wanted: 10, floor: 10, messages: 80000, peakAfter: "10m0s"},
		{name: "zero messages per recipient counts as one",
			in:   Input{Audience: 3000, Curve: flat, UnitsPerMessagePerSecond: 1, Max: -1},
			peak: 5, wanted: 5, floor: 5, messages: 3000, until95: "10m0s", peakAfter: "0s"},
		{name: "a whole product costs no extra unit",
			in:   Input{Audience: 600, MessagesPerRecipient: 1, Curve: flat, UnitsPerMessagePerSecond: 2, Max: -1},
			peak: 1, wanted: 2, floor: 2, messages: 600, peakAfter: "0s"},
		{name: "capped at the group's maximum",
			in:   Input{Audience: 1000000, MessagesPerRecipient: 1, Curve: def, UnitsPerMessagePerSecond: 0.5, Max: 40},
			peak: 333.333, wanted: 167, floor: 40, capped: true, messages: 800000, peakAfter: "10m0s"},
		{name: "a tiny campaign still gets one unit",
			in:   Input{Audience: 1, MessagesPerRecipient: 1, Curve: def, UnitsPerMessagePerSecond: 0.01, Max: 10},
			peak: 0, wanted: 1, floor: 1, messages: 1, peakAfter: "10m0s"},
		{name: "an empty curve gives one unit",
			in:   Input{Audience: 100, MessagesPerRecipient: 1, UnitsPerMessagePerSecond: 1, Max: -1},
			peak: 0, wanted: 1, floor: 1, until95: "5m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Size(tc.in)
			if math.Abs(s.PeakArrivalsPerSecond-tc.peak) > 1e-3 {
				t.Errorf("peak %g msg/s, want %g", s.PeakArrivalsPerSecond, tc.peak)
			}
			if s.Wanted != tc.wanted || s.Floor != tc.floor || s.CappedAtMax != tc.capped {
				t.Errorf("wanted %d floor %d capped %v, want %d %d %v", s.Wanted, s.Floor, s.CappedAtMax, tc.wanted, tc.floor, tc.capped)
			}
			if math.Abs(s.ExpectedMessages-tc.messages) > 0.5 {
				t.Errorf("expected messages %g, want %g", s.ExpectedMessages, tc.messages)
			}
			if tc.until95 != "" && s.Arrivals95 != tc.until95 {
				t.Errorf("arrivals_95 %s, want %s", s.Arrivals95, tc.until95)
			}
			if s.PeakAfter != tc.peakAfter {
				t.Errorf("peak_after %q, want %q", s.PeakAfter, tc.peakAfter)
			}
		})
	}
}

// series returns points every Bucket from from for n buckets with
// arrivals f(i) and need 0.5 x arrivals.
func series(from time.Time, n int, campaign bool, f func(i int) float64) []Point {
	out := make([]Point, n)
	for i := range out {
		a := f(i)
		out[i] = Point{At: from.Add(time.Duration(i) * Bucket), Arrivals: a, NeedUnits: a / 2, Campaign: campaign}
	}
	return out
}

func TestLearn(t *testing.T) {
	// An earlier campaign of 6,000 recipients over a baseline of 2 msg/s:
	// 10 msg/s more in its first bucket (3,000 messages = half), 5 in its
	// second (a quarter).
	before := series(start.Add(-time.Hour), 12, false, func(int) float64 { return 2 })
	during := series(start, 48, true, func(i int) float64 {
		switch i {
		case 0:
			return 12
		case 1:
			return 7
		}
		return 2
	})
	hist := append(append([]Point{}, before...), during...)
	now := start.Add(5 * time.Hour)
	for _, tc := range []struct {
		name    string
		earlier []Earlier
		history []Point
		now     time.Time
		n       int
		first   []float64
	}{
		{name: "one campaign", earlier: []Earlier{{Start: start, Audience: 6000, MessagesPerRecipient: 1}},
			history: hist, now: now, n: 1, first: []float64{0.5, 0.25, 0}},
		{name: "messages per recipient divide", earlier: []Earlier{{Start: start, Audience: 3000, MessagesPerRecipient: 2}},
			history: hist, now: now, n: 1, first: []float64{0.5, 0.25, 0}},
		{name: "a start off the bucket grid uses the bucket holding it", earlier: []Earlier{{Start: start.Add(90 * time.Second), Audience: 6000, MessagesPerRecipient: 1}},
			history: hist, now: now, n: 1, first: []float64{0.5, 0.25, 0}},
		{name: "two campaigns average", earlier: []Earlier{{Start: start, Audience: 6000, MessagesPerRecipient: 1}, {Start: start, Audience: 12000, MessagesPerRecipient: 1}},
			history: hist, now: now, n: 2, first: []float64{0.375, 0.1875, 0}},
		{name: "a campaign whose first hour has not ended is not learned from", earlier: []Earlier{{Start: start, Audience: 6000, MessagesPerRecipient: 1}},
			history: hist, now: start.Add(30 * time.Minute), n: 0},
		{name: "a campaign without history is not learned from", earlier: []Earlier{{Start: start, Audience: 6000, MessagesPerRecipient: 1}},
			history: before, now: now, n: 0},
		{name: "no audience, nothing learned", earlier: []Earlier{{Start: start, Audience: 0, MessagesPerRecipient: 1}},
			history: hist, now: now, n: 0},
		{name: "without a baseline all arrivals count", earlier: []Earlier{{Start: start, Audience: 6000, MessagesPerRecipient: 1}},
			history: during, now: now, n: 1, first: []float64{0.6, 0.35, 0.1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n := Learn(tc.earlier, tc.history, tc.now)
			if n != tc.n {
				t.Fatalf("learned from %d, want %d", n, tc.n)
			}
			if n == 0 {
				if c != nil {
					t.Errorf("curve %v, want nil", c)
				}
				return
			}
			for i, want := range tc.first {
				if math.Abs(c[i]-want) > 1e-9 {
					t.Errorf("curve[%d] = %g, want %g", i, c[i], want)
				}
			}
		})
	}
}

func TestLearnCost(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history []Point
		cost    float64
		ok      bool
	}{
		{name: "median of need over arrivals", history: series(start, 24, false, func(i int) float64 { return float64(i + 1) }), cost: 0.5, ok: true},
		{name: "campaign buckets are left out", history: series(start, 24, true, func(i int) float64 { return 1 })},
		{name: "fewer than an hour of buckets", history: series(start, MinCostBuckets-1, false, func(int) float64 { return 1 })},
		{name: "idle buckets are left out", history: series(start, 24, false, func(int) float64 { return 0 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cost, ok := LearnCost(tc.history)
			if ok != tc.ok || math.Abs(cost-tc.cost) > 1e-9 {
				t.Errorf("LearnCost = %g, %v; want %g, %v", cost, ok, tc.cost, tc.ok)
			}
		})
	}
}

func TestDefaultCost(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    float64
		c    int
		u    float64
		want float64
		ok   bool
	}{
		{name: "2 s a message, 4 at once, full utilization", s: 2, c: 4, u: 1, want: 0.5, ok: true},
		{name: "utilization below one costs more", s: 1, c: 1, u: 0.5, want: 2, ok: true},
		{name: "no seconds per message", s: 0, c: 1, u: 1},
		{name: "no concurrency", s: 1, c: 0, u: 1},
		{name: "NaN", s: math.NaN(), c: 1, u: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := DefaultCost(tc.s, tc.c, tc.u)
			if ok != tc.ok || got != tc.want {
				t.Errorf("DefaultCost = %g, %v; want %g, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestSizeGroup(t *testing.T) {
	// Twelve buckets outside campaigns at 2 units per message per second.
	var costly []Point
	for i := range MinCostBuckets {
		costly = append(costly, Point{At: start.Add(-time.Duration(i+1) * Bucket), Arrivals: 10, NeedUnits: 20})
	}
	cases := []struct {
		name       string
		g          Group
		ok         bool
		floor      int
		costSource string
		end        time.Duration
	}{
		// 30,000 x 10% / 300 s = 10 msg/s at 0.5 units each.
		// The default curve peaks in its third bucket (10-15 minutes):
		// the floor lasts to its end plus the group's lead.
		{"default curve and cost", Group{Audience: 30000, MessagesPerRecipient: 1, Now: start, DefaultCost: 0.5, Max: -1, Lead: 270 * time.Second},
			true, 5, SourceDefault, 15*time.Minute + 270*time.Second},
		{"learned cost wins", Group{Audience: 30000, MessagesPerRecipient: 1, History: costly, Now: start, DefaultCost: 0.5, Max: -1, Lead: time.Minute},
			true, 20, SourceHistory, 16 * time.Minute},
		{"no lead: one bucket", Group{Audience: 30000, MessagesPerRecipient: 1, Now: start, DefaultCost: 0.5, Max: 3},
			true, 3, SourceDefault, 20 * time.Minute},
		{"no cost", Group{Audience: 30000, MessagesPerRecipient: 1, Now: start, Max: -1}, false, 0, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := SizeGroup(tc.g)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if s.Floor != tc.floor || s.CostSource != tc.costSource || s.Source != SourceDefault {
				t.Errorf("floor %d cost source %q curve source %q, want %d %q %q", s.Floor, s.CostSource, s.Source, tc.floor, tc.costSource, SourceDefault)
			}
			if got := s.End(start).Sub(start); got != tc.end {
				t.Errorf("end after %s, want %s", got, tc.end)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	late := make(Curve, 12)
	late[7] = 0.3
	cases := []struct {
		name string
		c    Curve
		lead time.Duration
		want time.Duration
	}{
		{"peak in the first bucket", Curve{0.5, 0.1}, 4 * time.Minute, 9 * time.Minute},
		{"a later peak holds longer", late, 4 * time.Minute, 44 * time.Minute},
		{"no lead: one bucket", Curve{0.5}, 0, 10 * time.Minute},
		{"an empty curve", Curve{}, 4 * time.Minute, 9 * time.Minute},
	}
	for _, tc := range cases {
		if got := window(tc.c, tc.lead); got != tc.want {
			t.Errorf("%s: window %s, want %s", tc.name, got, tc.want)
		}
	}
}
