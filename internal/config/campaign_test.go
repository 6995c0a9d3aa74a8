package config

import (
	"math"
	"strings"
	"testing"
)

func TestUnitsPerMessage(t *testing.T) {
	backlog := func(u float64, qs ...Queue) Policy {
		return Policy{Name: "jobs", Backlog: &Backlog{TargetUtilization: u, Queues: qs}}
	}
	for _, tc := range []struct {
		name string
		g    Group
		want float64
		ok   bool
	}{
		{"one queue", Group{Policies: []Policy{backlog(1, Queue{Name: "q", SecondsPerMessage: 2, Concurrency: 4})}}, 0.5, true},
		{"utilization below one costs more", Group{Policies: []Policy{backlog(0.8, Queue{Name: "q", SecondsPerMessage: 2, Concurrency: 4})}}, 0.625, true},
		{"the costliest queue", Group{Policies: []Policy{backlog(1, Queue{Name: "a", SecondsPerMessage: 1, Concurrency: 4}, Queue{Name: "b", SecondsPerMessage: 3, Concurrency: 2})}}, 1.5, true},
		{"concurrency left out is one", Group{Policies: []Policy{backlog(1, Queue{Name: "q", SecondsPerMessage: 0.2})}}, 0.2, true},
		{"per_instance by target alone", Group{Policies: []Policy{backlog(1, Queue{Name: "q", TargetPerInstance: 100})}}, 0, false},
		{"no backlog policy", Group{Policies: []Policy{{Name: "cpu", TargetTracking: &TargetTracking{Target: 60}}}}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.g.UnitsPerMessage()
			if ok != tc.ok || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("UnitsPerMessage = %g, %v; want %g, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestCampaignsQueueURL(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		ok        bool
	}{
		{"none", "", true},
		{"an SQS URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/campaigns", true},
		{"an emulator's", "http://127.0.0.1:4566/000000000000/campaigns", true},
		{"a queue name", "campaigns", false},
		{"no path", "https://sqs.eu-west-1.amazonaws.com/", false},
		{"another scheme", "sqs://campaigns", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, valid)
			c.Campaigns.QueueURL = tc.url
			err := c.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "campaigns.queue_url") {
				t.Errorf("problem does not name campaigns.queue_url: %v", err)
			}
		})
	}
	c := mustParse(t, valid+"campaigns:\n  queue_url: https://sqs.eu-west-1.amazonaws.com/123456789012/campaigns\n")
	if c.Campaigns.QueueURL == "" {
		t.Error("campaigns.queue_url not read from YAML")
	}
}
