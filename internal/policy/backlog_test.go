package policy

import (
	"math"
	"testing"
	"time"
)

func TestBacklog(t *testing.T) {
	// rateQ is a rate-mode queue: 0.5 s per message, 30 s acceptable
	// latency, default concurrency and utilization, in-flight counted.
	rateQ := func(name string) Queue {
		return Queue{Name: name, SecondsPerMessage: 0.5, AcceptableLatency: 30 * time.Second, CountInFlight: true}
	}
	cases := []struct {
		name   string
		b      Backlog
		input  PolicyInput
		want   int
		ok     bool
		reason string
	}{
		// "the current ApproximateNumberOfMessages is 1500 and the fleet's
		// running capacity is 10. If the average processing time is 0.1
		// seconds for each message and the longest acceptable latency is 10
		// seconds, then the acceptable backlog per instance is 10 / 0.1, which
		// equals 100 ... your fleet scales out by five instances" -- Amazon EC2
		// Auto Scaling User Guide, "Scaling based on Amazon SQS".
		{name: "aws per_instance example: 1500 messages, 0.1 s, 10 s -> 15",
			b:     Backlog{Mode: ModePerInstance, Queues: []Queue{{Name: "images", SecondsPerMessage: 0.1, AcceptableLatency: 10 * time.Second}}},
			input: queues(map[string]QueueObservation{"images": {Visible: 1500}}), want: 15, ok: true,
			reason: `per_instance: "images" 15 -> 15`},
		{name: "per_instance with a given target per instance",
			b:     Backlog{Mode: ModePerInstance, Queues: []Queue{{Name: "q", TargetPerInstance: 100}}},
			input: queues(map[string]QueueObservation{"q": {Visible: 1500, InFlight: 400}}), want: 15, ok: true},
		{name: "per_instance counts in flight when asked",
			b:     Backlog{Mode: ModePerInstance, Queues: []Queue{{Name: "q", TargetPerInstance: 100, CountInFlight: true}}},
			input: queues(map[string]QueueObservation{"q": {Visible: 1400, InFlight: 100}}), want: 15, ok: true},
		{name: "per_instance counts delayed when asked",
			b:     Backlog{Mode: ModePerInstance, Queues: []Queue{{Name: "q", TargetPerInstance: 100, CountDelayed: true}}},
			input: queues(map[string]QueueObservation{"q": {Visible: 1400, Delayed: 101}}), want: 16, ok: true},
		{name: "per_instance sums before the ceiling",
			b: Backlog{Mode: ModePerInstance, Queues: []Queue{
				{Name: "a", TargetPerInstance: 100}, {Name: "b", TargetPerInstance: 100}}},
			input: queues(map[string]QueueObservation{"a": {Visible: 150}, "b": {Visible: 150}}), want: 3, ok: true,
			reason: `"a" 1.5 + "b" 1.5 = 3 -> 3`},
		{name: "per_instance needs a target",
			b:     Backlog{Mode: ModePerInstance, Queues: []Queue{{Name: "q"}}},
			input: queues(map[string]QueueObservation{"q": {Visible: 10}}), reason: "needs a positive target per instance"},
		// F = 40 in flight at 0.5 s each is 80 messages/s (Little's law), 40
		// busy instances, 50 at 80% utilization; B = 300 waiting is 150
		// instance-seconds, 5 instances to drain within 30 s: 55.
		{name: "rate mode: arrivals at utilization plus drain",
			b:     Backlog{Queues: []Queue{rateQ("jobs")}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 300, InFlight: 40}}), want: 55, ok: true,
			reason: `rate: "jobs" 55 -> 55`},
		{name: "rate mode with concurrency 4",
			b: Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 0.5, AcceptableLatency: 30 * time.Second,
				CountInFlight: true, Concurrency: 4}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 300, InFlight: 40}}), want: 14, ok: true},
		{name: "rate mode with utilization 0.5",
			b: Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 0.5, AcceptableLatency: 30 * time.Second,
				CountInFlight: true, TargetUtilization: 0.5}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 300, InFlight: 40}}), want: 85, ok: true},
		{name: "rate mode ignores in flight unless counted",
			b:     Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 0.5, AcceptableLatency: 30 * time.Second}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 300, InFlight: 40}}), want: 5, ok: true},
		{name: "rate mode sums queues before the ceiling",
			b:     Backlog{Queues: []Queue{rateQ("a"), rateQ("b")}},
			input: queues(map[string]QueueObservation{"a": {Visible: 30}, "b": {Visible: 30}}), want: 1, ok: true,
			reason: `rate: "a" 0.5 + "b" 0.5 = 1 -> 1`},
		{name: "empty queues propose zero",
			b:     Backlog{Queues: []Queue{rateQ("jobs")}},
			input: queues(map[string]QueueObservation{"jobs": {}}), want: 0, ok: true},
		{name: "rate mode needs seconds per message",
			b:     Backlog{Queues: []Queue{{Name: "jobs", AcceptableLatency: time.Minute}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 1}}), reason: "needs positive seconds per message"},
		{name: "utilization above 1",
			b: Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 1, AcceptableLatency: time.Minute,
				TargetUtilization: 1.5}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 1}}), reason: "target utilization must be in (0, 1]"},
		{name: "negative concurrency",
			b: Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 1, AcceptableLatency: time.Minute,
				Concurrency: -1}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 1}}), reason: "concurrency must be positive"},
		{name: "one queue without a reading fails the whole policy",
			b:     Backlog{Queues: []Queue{rateQ("a"), rateQ("b")}},
			input: queues(map[string]QueueObservation{"a": {Visible: 30}}), reason: `queue "b": no reading`},
		{name: "stale queue reading",
			b:      Backlog{Queues: []Queue{rateQ("a")}},
			input:  queues(map[string]QueueObservation{"a": {Visible: 30, At: t0.Add(-5 * time.Minute)}}),
			reason: `queue "a": stale: reading is 5m0s old, max age 2m0s`},
		{name: "NaN visible",
			b:     Backlog{Queues: []Queue{rateQ("a")}},
			input: queues(map[string]QueueObservation{"a": {Visible: math.NaN()}}), reason: `queue "a": visible must be a non-negative number`},
		{name: "negative in flight when counted",
			b:     Backlog{Queues: []Queue{rateQ("a")}},
			input: queues(map[string]QueueObservation{"a": {InFlight: -3}}), reason: "in flight must be"},
		{name: "negative in flight ignored when not counted",
			b:     Backlog{Mode: ModePerInstance, Queues: []Queue{{Name: "a", TargetPerInstance: 10}}},
			input: queues(map[string]QueueObservation{"a": {Visible: 10, InFlight: -3}}), want: 1, ok: true},
		{name: "overflowing counts",
			b:      Backlog{Mode: ModePerInstance, Queues: []Queue{{Name: "a", TargetPerInstance: 10, CountInFlight: true}}},
			input:  queues(map[string]QueueObservation{"a": {Visible: math.MaxFloat64, InFlight: math.MaxFloat64}}),
			reason: "message count must be"},
		{name: "huge backlog is capped",
			b:     Backlog{Mode: ModePerInstance, Queues: []Queue{{Name: "a", TargetPerInstance: 1e-300}}},
			input: queues(map[string]QueueObservation{"a": {Visible: 1e300}}), want: MaxCapacity, ok: true},
		{name: "unknown mode",
			b:     Backlog{Mode: "magic", Queues: []Queue{rateQ("a")}},
			input: queues(map[string]QueueObservation{"a": {}}), reason: `unknown backlog mode "magic"`},
		{name: "no queues",
			b:     Backlog{},
			input: PolicyInput{}, reason: "no queues"},
		{name: "missing input",
			b:     Backlog{Queues: []Queue{rateQ("a")}},
			input: PolicyInput{Missing: "GetQueueAttributes: access denied"}, reason: "access denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			p := Policy{Name: "queue", Backlog: &b}
			got := only(t, p, in(10, 10, map[string]PolicyInput{"queue": tc.input}))
			checkProposal(t, got, tc.want, tc.ok, tc.reason)
		})
	}
}

func TestBacklogGrowth(t *testing.T) {
	q := Queue{Name: "jobs", SecondsPerMessage: 1, AcceptableLatency: 100 * time.Second}
	g := Group{Name: "g", MaxAge: time.Minute, Policies: []Policy{{Name: "p", Backlog: &Backlog{Queues: []Queue{q}}}}}
	at := func(visible float64, when time.Time) Input {
		return Input{Now: when, Current: 10, Serving: 10, ASGMax: 1000, Policies: map[string]PolicyInput{
			"p": {Queues: map[string]QueueObservation{"jobs": {Visible: visible, At: when, ReadAt: when}}}}}
	}
	alpha := 1 - math.Exp(-10.0/30) // 10 s between readings, time constant 30 s

	st := settled()
	d, st := Decide(g, at(100, t0), st)
	// First reading: no growth. need = 100 * 1 / (1 * 100) = 1.
	if got := d.Proposals[0].Capacity; got != 1 {
		t.Fatalf("first reading proposes %d, want 1", got)
	}
	gr, ok := st.Growth["p/jobs"]
	if !ok || gr.PerSecond != 0 || gr.Last != 100 || !gr.LastAt.Equal(t0) {
		t.Fatalf("growth after first reading = %+v (present %v), want Last 100 at t0, no growth", gr, ok)
	}

	t.Run("growing backlog adds smoothed growth", func(t *testing.T) {
		d, st := Decide(g, at(400, t0.Add(10*time.Second)), st)
		want := alpha * 30 // raw growth 300 messages in 10 s
		if got := st.Growth["p/jobs"].PerSecond; math.Abs(got-want) > 1e-9 {
			t.Fatalf("PerSecond = %v, want %v", got, want)
		}
		// need = growth * 1 / 0.8 + 400 * 1 / 100 = 10.63 + 4
		wantCap := int(math.Ceil(want/0.8 + 4))
		if got := d.Proposals[0].Capacity; got != wantCap {
			t.Errorf("capacity = %d, want %d (%s)", got, wantCap, d.Proposals[0].Reason)
		}
	})
	t.Run("shrinking backlog adds nothing but is remembered", func(t *testing.T) {
		d, st := Decide(g, at(50, t0.Add(10*time.Second)), st)
		if got := st.Growth["p/jobs"].PerSecond; got >= 0 {
			t.Fatalf("PerSecond = %v, want negative", got)
		}
		if got := d.Proposals[0].Capacity; got != 1 {
			t.Errorf("capacity = %d, want 1 (backlog term only)", got)
		}
	})
	t.Run("a reading no newer than the last changes nothing", func(t *testing.T) {
		_, next := Decide(g, at(900, t0), st)
		if got := next.Growth["p/jobs"]; got != st.Growth["p/jobs"] {
			t.Errorf("growth = %+v, want unchanged %+v", got, st.Growth["p/jobs"])
		}
	})
	t.Run("growth survives a missing reading", func(t *testing.T) {
		miss := at(0, t0.Add(10*time.Second))
		miss.Policies["p"] = PolicyInput{Missing: "throttled"}
		_, next := Decide(g, miss, st)
		if got := next.Growth["p/jobs"]; got != st.Growth["p/jobs"] {
			t.Errorf("growth = %+v, want carried over %+v", got, st.Growth["p/jobs"])
		}
	})
	t.Run("growth survives a stale reading", func(t *testing.T) {
		stale := at(900, t0)
		stale.Now = t0.Add(5 * time.Minute)
		_, next := Decide(g, stale, st)
		if got := next.Growth["p/jobs"]; got != st.Growth["p/jobs"] {
			t.Errorf("growth = %+v, want carried over %+v", got, st.Growth["p/jobs"])
		}
	})
	t.Run("growth of removed queues is dropped", func(t *testing.T) {
		g2 := g
		g2.Policies = []Policy{tt("cpu", 50)}
		_, next := Decide(g2, Input{Now: t0, ASGMax: 10}, st)
		if len(next.Growth) != 0 {
			t.Errorf("growth = %v, want none", next.Growth)
		}
	})
	t.Run("garbage state is ignored", func(t *testing.T) {
		bad := settled()
		bad.Growth = map[string]Growth{"p/jobs": {Last: math.NaN(), LastAt: t0, PerSecond: math.Inf(1)}}
		d, next := Decide(g, at(100, t0.Add(10*time.Second)), bad)
		if got := d.Proposals[0].Capacity; got != 1 {
			t.Errorf("capacity = %d, want 1", got)
		}
		if got := next.Growth["p/jobs"].PerSecond; got != 0 {
			t.Errorf("PerSecond = %v, want 0", got)
		}
	})
	t.Run("the caller's state is not modified", func(t *testing.T) {
		before := st.Growth["p/jobs"]
		Decide(g, at(5000, t0.Add(20*time.Second)), st)
		if st.Growth["p/jobs"] != before {
			t.Errorf("caller's growth changed to %+v", st.Growth["p/jobs"])
		}
	})
}

func TestGrowthSmoothingIsPerSecond(t *testing.T) {
	// A steady ramp of 5 messages/s converges to 5/s whatever the cycle
	// interval: the EWMA weight depends on the time between readings.
	for _, every := range []time.Duration{2 * time.Second, 10 * time.Second, 25 * time.Second} {
		t.Run(every.String(), func(t *testing.T) {
			q := Queue{Name: "q", SecondsPerMessage: 1, AcceptableLatency: time.Minute}
			g := Group{Name: "g", Policies: []Policy{{Name: "p", Backlog: &Backlog{Queues: []Queue{q}}}}}
			st := settled()
			var after60 float64
			for now := t0; now.Before(t0.Add(10 * time.Minute)); now = now.Add(every) {
				v := 5 * now.Sub(t0).Seconds()
				_, st = Decide(g, Input{Now: now, ASGMax: 100, Policies: map[string]PolicyInput{
					"p": {Queues: map[string]QueueObservation{"q": {Visible: v, At: now, ReadAt: now}}}}}, st)
				if now.Sub(t0) < 70*time.Second {
					after60 = st.Growth["p/q"].PerSecond
				}
			}
			if got := st.Growth["p/q"].PerSecond; math.Abs(got-5) > 1e-6 {
				t.Errorf("PerSecond = %v after 10 minutes, want 5", got)
			}
			if after60 < 4 || after60 > 5 {
				t.Errorf("PerSecond after about a minute = %v, want between 4 and 5", after60)
			}
		})
	}
}
