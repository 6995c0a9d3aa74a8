package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/policy"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (run go test -update if the change is intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestPrintRecord(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		rec  controller.Record
	}{
		{name: "explain_scale_out.golden", rec: controller.Record{
			ASG: "reward-workers-prod", Serving: 8, Pending: 2, Warming: 1, ASGMin: 0, ASGMax: 100,
			Decision: policy.Decision{
				Group: "reward-workers", At: at, Current: 11, Desired: 20, Min: 2, Max: 40,
				Proposals: []policy.Proposal{
					{Policy: "queue", Kind: policy.KindBacklog, Capacity: 24, OK: true, Reason: "rate 180.0/s, backlog 5400 over 2 queues"},
					{Policy: "cpu", Kind: policy.KindTargetTracking, OK: false, Reason: "stale: newest datapoint is 6m0s old (max_age 3m0s)"},
				},
				Changes: []policy.Change{{Rule: policy.RuleRateScaleOut, From: 24, To: 20, Reason: "at most +9 per cycle"}},
				Inputs: []policy.InputAge{
					{Policy: "queue", Name: "reward-dispatch.visible", Value: 5400, Age: 2 * time.Second},
					{Policy: "cpu", Name: "CPUUtilization", Value: 91.5, Age: 6 * time.Minute, Stale: true},
				},
				Queues: []policy.QueueDetail{{Policy: "queue", Queue: "reward-dispatch", Lambda: 180, Backlog: 5400,
					Projected: 9000, Budget: 7200, Excess: 1800, OnItsWay: 3, Lead: 3 * time.Minute,
					Rate: 18, Drain: 6, Floor: 15.84, Need: 24, Term: policy.TermDrain}},
				ScaleInBlocked: `no fresh input from "cpu"`,
				Reason:         `scale out 11 -> 20: backlog "queue" wants 24 (rate.scale_out)`,
			},
			Skipped: controller.SkipDryRun,
		}},
		{name: "explain_not_found.golden", rec: controller.Record{
			ASG:      "ghost",
			Decision: policy.Decision{Group: "ghost", At: at},
			Error:    `auto scaling group "ghost" not found`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			printRecord(&b, tc.rec)
			golden(t, tc.name, b.Bytes())
		})
	}
}
