package policy

import (
	"strings"
	"testing"
	"time"
)

// t0 is the "now" of most tests.
var t0 = time.Date(2025, 11, 28, 9, 0, 0, 0, time.UTC)

// settled is a state whose first window is long over and whose history is
// empty, so that only the rule under test limits scale-in.
func settled() State { return State{Since: t0.Add(-time.Hour)} }

func fp(f float64) *float64 { return &f }
func ip(i int) *int         { return &i }

// metric is a one-datapoint input describing t0 - age.
func metric(v float64, age time.Duration) PolicyInput {
	return PolicyInput{Metric: []Observation{{Value: v, At: t0.Add(-age), ReadAt: t0}}}
}

// series is a metric input, newest first, one minute apart, the newest
// describing t0 - 1m.
func series(vs ...float64) PolicyInput {
	pi := PolicyInput{}
	for i, v := range vs {
		at := t0.Add(-time.Duration(i+1) * time.Minute)
		pi.Metric = append(pi.Metric, Observation{Value: v, At: at, ReadAt: t0})
	}
	return pi
}

// queues is a backlog input with fresh readings.
func queues(rs map[string]QueueObservation) PolicyInput {
	for k, r := range rs {
		if r.At.IsZero() {
			r.At, r.ReadAt = t0, t0
		}
		rs[k] = r
	}
	return PolicyInput{Queues: rs}
}

// in is an input at t0 for a group with the given capacities and hard bounds
// [0, 100].
func in(current, serving int, policies map[string]PolicyInput) Input {
	return Input{Now: t0, Current: current, Serving: serving, ASGMin: 0, ASGMax: 100, Policies: policies}
}

func tt(name string, target float64) Policy {
	return Policy{Name: name, TargetTracking: &TargetTracking{Target: target}}
}

// only decides for a one-policy group and returns its proposal.
func only(t *testing.T, p Policy, input Input) Proposal {
	t.Helper()
	d, _ := Decide(Group{Name: "g", MaxAge: 2 * time.Minute, Policies: []Policy{p}}, input, settled())
	if len(d.Proposals) != 1 {
		t.Fatalf("got %d proposals, want 1", len(d.Proposals))
	}
	return d.Proposals[0]
}

// checkProposal compares a proposal with the wanted capacity, OK and a
// fragment of its reason.
func checkProposal(t *testing.T, got Proposal, want int, wantOK bool, reason string) {
	t.Helper()
	if got.OK != wantOK {
		t.Errorf("OK = %v, want %v (reason %q)", got.OK, wantOK, got.Reason)
	}
	if wantOK && got.Capacity != want {
		t.Errorf("capacity = %d, want %d (reason %q)", got.Capacity, want, got.Reason)
	}
	if !strings.Contains(got.Reason, reason) {
		t.Errorf("reason = %q, want it to contain %q", got.Reason, reason)
	}
	if got.Reason == "" {
		t.Error("empty reason")
	}
}

// rules lists the rules of a decision's changes.
func rules(d Decision) []string {
	var rs []string
	for _, c := range d.Changes {
		rs = append(rs, c.Rule)
	}
	return rs
}
