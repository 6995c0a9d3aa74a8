package ctl

import (
	"bytes"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/internal/apiclient"
)

func TestPrintDecisionQueues(t *testing.T) {
	var b bytes.Buffer
	printDecision(&b, Decision{Group: "workers", Current: 10, Desired: 14, Queues: []apiclient.QueueSizing{{
		Policy: "jobs", Queue: "reward-dispatch", ArrivalsPerSecond: 12.5, Backlog: 4000, ProjectedBacklog: 5200,
		Budget: 1875, Excess: 3325, OnItsWay: 2, LeadSeconds: 180, Rate: 12.5, Drain: 1.5, Floor: 11, Need: 14,
		Term: "drain", SurgeOver: true,
	}}})
	out := b.String()
	for _, want := range []string{"queues:", "ARRIVALS/S", "reward-dispatch", "12.50", "5200", "+3325", "3m0s", "14.00",
		"drain (surge over before new capacity serves)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
