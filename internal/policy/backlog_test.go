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
		// First reading: lambda is the throughput, F = 40 in flight at 0.5 s
		// each, 80 messages/s (Little's law); mu = 2 per unit. B = 300 is
		// far below the budget 80 * 30 = 2400, so the queue refills: need =
		// 40 + (300 - 2400) / (2 * 30) = 5, bounded by the floor 0.88 * 40.
		{name: "rate mode: a queue below its budget refills down to the floor",
			b:     Backlog{Queues: []Queue{rateQ("jobs")}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 300, InFlight: 40}}), want: 36, ok: true,
			reason: `rate: "jobs" 35.2 (floor) -> 36`},
		// B = 4000: E = 1600 above the budget, drained within 30 s: 40 + 26.67.
		{name: "rate mode: a queue above its budget drains the excess",
			b:     Backlog{Queues: []Queue{rateQ("jobs")}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 4000, InFlight: 40}}), want: 67, ok: true,
			reason: `rate: "jobs" 66.67 (drain) -> 67`},
		{name: "rate mode with concurrency 4",
			b: Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 0.5, AcceptableLatency: 30 * time.Second,
				Concurrency: 4}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 4000, InFlight: 40}}), want: 17, ok: true},
		{name: "rate mode with utilization 0.5",
			b: Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 0.5, AcceptableLatency: 30 * time.Second,
				TargetUtilization: 0.5}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 4000, InFlight: 40}}), want: 107, ok: true},
		{name: "rate mode reads in flight as throughput even when not counted",
			b:     Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 0.5, AcceptableLatency: 30 * time.Second}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 4000, InFlight: 40}}), want: 67, ok: true},
		{name: "rate mode: no arrivals, a backlog is drained within L",
			b:     Backlog{Queues: []Queue{rateQ("jobs")}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 300}}), want: 5, ok: true},
		{name: "rate mode sums queues before the ceiling",
			b:     Backlog{Queues: []Queue{rateQ("a"), rateQ("b")}},
			input: queues(map[string]QueueObservation{"a": {Visible: 30}, "b": {Visible: 30}}), want: 1, ok: true,
			reason: `rate: "a" 0.5 (drain) + "b" 0.5 (drain) = 1 -> 1`},
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
		{name: "negative in flight in rate mode",
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
		{name: "budget below zero",
			b: Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 1, AcceptableLatency: time.Minute,
				Budget: -1}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 1}}), reason: "budget must be >= 0"},
		{name: "refill slack of 1",
			b: Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 1, AcceptableLatency: time.Minute,
				RefillSlack: 1}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 1}}), reason: "refill slack must be in [0, 1)"},
		{name: "jump factor of 1",
			b: Backlog{Queues: []Queue{{Name: "jobs", SecondsPerMessage: 1, AcceptableLatency: time.Minute,
				Jump: 1}}},
			input: queues(map[string]QueueObservation{"jobs": {Visible: 1}}), reason: "jump factor must be above 1"},
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
