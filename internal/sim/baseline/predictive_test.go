package baseline

import (
	"math"
	"strings"
	"testing"
	"time"
)

// loadCW is CloudWatch holding a load metric per minute from start, each
// datapoint published one minute after its period ends, as the world
// publishes NumberOfMessagesSent.
type loadCW struct {
	// perMinute is the load of the minute that starts m minutes into the
	// run.
	perMinute func(m int) float64
	// upTo is the number of minutes published so far.
	upTo   int
	series []Datapoint
}

// Last implements Metrics.
func (c *loadCW) Last(metric string, n int) []Datapoint {
	if metric != MetricSQSSent {
		return nil
	}
	s := c.series
	if n < len(s) {
		s = s[len(s)-n:]
	}
	return s
}

// at publishes every datapoint due by now: minute m at start + m+2 minutes.
func (c *loadCW) at(now time.Time) {
	for {
		due := start.Add(time.Duration(c.upTo+2) * time.Minute)
		if due.After(now) {
			return
		}
		c.series = append(c.series, Datapoint{At: start.Add(time.Duration(c.upTo) * time.Minute), Value: c.perMinute(c.upTo)})
		c.upTo++
	}
}

// rush is a weekday office rhythm in messages per minute: 600 at night,
// 60,000 from 09:00 to 10:00 on weekdays (start is a Tuesday 06:00 UTC).
func rush(m int) float64 {
	t := start.Add(time.Duration(m) * time.Minute)
	if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday && t.Hour() == 9 {
		return 60_000
	}
	return 600
}

// drive runs p over a group of min 2 and max hi every step from offset
// from to offset to (inclusive), publishing load as the world would. It
// returns the desired capacity the group has at each probe offset and the
// predictive minimum in force then (-1 for none). Target tracking sees no
// backlog and never acts, so only the predictive minimum moves the group,
// and nothing scales it back in.
func drive(t *testing.T, p Policy, cw *loadCW, g *Tick, from, to, step time.Duration, probes []time.Duration) (desired, floor map[time.Duration]int) {
	t.Helper()
	desired, floor = map[time.Duration]int{}, map[time.Duration]int{}
	next := 0
	for off := from; off <= to; off += step {
		g.Now = start.Add(off)
		cw.at(g.Now)
		g.Metrics = cw
		if n, ok := p.Decide(*g); ok {
			g.Desired = min(max(n, g.Min), g.Max)
			g.InService, g.Serving = g.Desired, g.Desired
		}
		for next < len(probes) && probes[next] <= off {
			desired[probes[next]] = g.Desired
			floor[probes[next]] = -1
			if n, ok := p.(*predictive).Floor(g.Now); ok {
				floor[probes[next]] = n
			}
			next++
		}
	}
	return desired, floor
}

// steady is a group of 2 serving instances, min 2, max hi.
func steady(hi int) *Tick { return &Tick{Desired: 2, Min: 2, Max: hi, InService: 2, Serving: 2} }

func TestPredictive(t *testing.T) {
	day := 24 * time.Hour
	// Offsets from start (Tuesday 06:00): Wednesday 09:00 is 27 h in.
	wed0855, wed0854 := day+3*time.Hour-5*time.Minute, day+3*time.Hour-6*time.Minute
	tests := []struct {
		name string
		c    PredictiveConfig
		load func(m int) float64
		hi   int
		// until is how far the run goes; probes are read at these offsets.
		until  time.Duration
		probes []time.Duration
		// want is the desired capacity at each probe, wantFloor the
		// predictive minimum (-1: none); nil is not checked.
		want, wantFloor map[time.Duration]int
	}{
		{
			// Less than 24 h of data: no forecast, so nothing raises the
			// group although the rush is in the history (Tuesday 09:00).
			name:      "under 24 hours of history: no predictive minimum",
			c:         PredictiveConfig{TargetPerInstance: 600},
			load:      rush,
			hi:        200,
			until:     23 * time.Hour,
			probes:    []time.Duration{3*time.Hour + 30*time.Minute, 23 * time.Hour},
			want:      map[time.Duration]int{3*time.Hour + 30*time.Minute: 2, 23 * time.Hour: 2},
			wantFloor: map[time.Duration]int{3*time.Hour + 30*time.Minute: -1, 23 * time.Hour: -1},
		},
		{
			// Tuesday's rush (60,000/min) is in a day of history by
			// Wednesday 07:00: the forecast for Wednesday 09:00 is
			// 60,000 / 600 = 100 instances, set SchedulingBufferTime (300 s)
			// before the hour, at 08:55; back to the night's 1 instance at
			// 09:55 for 10:00. Predictive scaling does not scale in: the
			// group stays at 100 until target tracking scales it in.
			name:      "the rush is forecast: the minimum rises the buffer before the hour",
			c:         PredictiveConfig{TargetPerInstance: 600},
			load:      rush,
			hi:        200,
			until:     day + 4*time.Hour,
			probes:    []time.Duration{wed0854, wed0855, day + 3*time.Hour + 30*time.Minute, day + 4*time.Hour},
			want:      map[time.Duration]int{wed0854: 2, wed0855: 100, day + 3*time.Hour + 30*time.Minute: 100, day + 4*time.Hour: 100},
			wantFloor: map[time.Duration]int{wed0854: 1, wed0855: 100, day + 3*time.Hour + 30*time.Minute: 100, day + 4*time.Hour: 1},
		},
		{
			// A 15-minute buffer moves the rise to 08:45.
			name:  "a longer buffer moves the rise earlier",
			c:     PredictiveConfig{TargetPerInstance: 600, SchedulingBufferTime: 15 * time.Minute},
			load:  rush,
			hi:    200,
			until: day + 3*time.Hour,
			probes: []time.Duration{
				day + 3*time.Hour - 16*time.Minute, day + 3*time.Hour - 15*time.Minute,
			},
			want: map[time.Duration]int{day + 3*time.Hour - 16*time.Minute: 2, day + 3*time.Hour - 15*time.Minute: 100},
		},
		{
			// HonorMaxCapacity: a forecast of 100 on a group of max 40
			// stays at 40.
			name:   "the forecast is capped at the group's max",
			c:      PredictiveConfig{TargetPerInstance: 600},
			load:   rush,
			hi:     40,
			until:  day + 3*time.Hour,
			probes: []time.Duration{day + 3*time.Hour},
			want:   map[time.Duration]int{day + 3*time.Hour: 40},
		},
		{
			// Saturday 09:00 with 11 days of history: the same hour of the
			// week (last Saturday, quiet) wins over the weekday rush of
			// the days before; Monday 09:00 gets the rush back.
			name:      "the same hour of the week once a week of history exists",
			c:         PredictiveConfig{TargetPerInstance: 600},
			load:      rush,
			hi:        200,
			until:     13*day + 3*time.Hour,
			probes:    []time.Duration{11*day + 3*time.Hour, 13*day + 3*time.Hour},
			wantFloor: map[time.Duration]int{11*day + 3*time.Hour: 1, 13*day + 3*time.Hour: 100},
		},
		{
			// An invalid config never acts.
			name:   "invalid config",
			c:      PredictiveConfig{},
			load:   rush,
			hi:     200,
			until:  day + 3*time.Hour,
			probes: []time.Duration{day + 3*time.Hour},
			want:   map[time.Duration]int{day + 3*time.Hour: 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.TargetTracking.Target = 100
			p := NewPredictive(tc.c)
			got, floor := drive(t, p, &loadCW{perMinute: tc.load}, steady(tc.hi), 0, tc.until, time.Minute, tc.probes)
			for _, at := range tc.probes {
				if w, ok := tc.want[at]; ok && got[at] != w {
					t.Errorf("desired at %s = %d, want %d", at, got[at], w)
				}
				if w, ok := tc.wantFloor[at]; ok && floor[at] != w {
					t.Errorf("predictive minimum at %s = %d, want %d", at, floor[at], w)
				}
			}
		})
	}
}

// TestPredictiveBufferToTheSecond checks the switch time at one-second
// steps around Wednesday 08:55.
func TestPredictiveBufferToTheSecond(t *testing.T) {
	day := 24 * time.Hour
	rise := day + 3*time.Hour - DefaultSchedulingBufferTime
	p := NewPredictive(PredictiveConfig{TargetPerInstance: 600, TargetTracking: TargetTrackingConfig{Target: 100}})
	cw := &loadCW{perMinute: rush}
	g := steady(200)
	drive(t, p, cw, g, 0, rise-time.Minute, time.Minute, nil)
	got, _ := drive(t, p, cw, g, rise-2*time.Second, rise+time.Second, time.Second, []time.Duration{rise - time.Second, rise})
	if got[rise-time.Second] != 2 || got[rise] != 100 {
		t.Errorf("desired just before and at %s = %d, %d; want 2, 100", rise, got[rise-time.Second], got[rise])
	}
}

func TestPredictiveValidate(t *testing.T) {
	tests := []struct {
		name string
		c    PredictiveConfig
		want []string
	}{
		{"valid", PredictiveConfig{TargetPerInstance: 600, TargetTracking: TargetTrackingConfig{Target: 100}}, nil},
		{"no target", PredictiveConfig{TargetTracking: TargetTrackingConfig{Target: 100}}, []string{"target_per_instance: must be a positive number, got 0"}},
		{"NaN target", PredictiveConfig{TargetPerInstance: math.NaN(), TargetTracking: TargetTrackingConfig{Target: 100}}, []string{"target_per_instance"}},
		{"buffer of an hour", PredictiveConfig{TargetPerInstance: 1, SchedulingBufferTime: time.Hour, TargetTracking: TargetTrackingConfig{Target: 100}},
			[]string{"scheduling_buffer_time: must be at least 0 and less than 1h0m0s, got 1h0m0s"}},
		{"target tracking invalid", PredictiveConfig{TargetPerInstance: 1}, []string{"target_tracking: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestPredictiveName(t *testing.T) {
	if got := NewPredictive(PredictiveConfig{}).Name(); got != "aws-predictive" {
		t.Errorf("Name() = %q, want aws-predictive", got)
	}
}
