package telemetry_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroom-dev/headroom/internal/telemetry"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		name   string
		format string
		level  string
		// wantDebug says whether a debug line is written.
		wantDebug bool
		wantJSON  bool
	}{
		{"json at info", "json", "info", false, true},
		{"json at debug", "json", "debug", true, true},
		{"format is case-insensitive", "JSON", "INFO", false, true},
		{"text at info", "text", "info", false, false},
		{"empty format is text", "", "debug", true, false},
		{"warn suppresses debug", "text", "warn", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := telemetry.NewLogger(&buf, tc.format, tc.level)
			if err != nil {
				t.Fatalf("NewLogger(%q, %q): %v", tc.format, tc.level, err)
			}
			log.Debug("inputs read", "group", "web")
			debug := buf.String()
			if got := debug != ""; got != tc.wantDebug {
				t.Errorf("debug line written = %v, want %v (%q)", got, tc.wantDebug, debug)
			}
			buf.Reset()
			log.Error("decision", "group", "web", "desired", 4)
			line := buf.String()
			if strings.Count(line, "\n") != 1 {
				t.Fatalf("want one line, got %q", line)
			}
			if !tc.wantJSON {
				if !strings.Contains(line, "group=web") || !strings.Contains(line, "desired=4") {
					t.Errorf("text line %q lacks its attributes", line)
				}
				return
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("line %q is not JSON: %v", line, err)
			}
			if rec["msg"] != "decision" || rec["level"] != "ERROR" || rec["group"] != "web" || rec["desired"] != float64(4) {
				t.Errorf("JSON line %v lacks msg, level or attributes", rec)
			}
		})
	}
}

func TestNewLoggerRejects(t *testing.T) {
	tests := []struct {
		name, format, level, wantErr string
	}{
		{"unknown level", "json", "verbose", `log level "verbose"`},
		{"empty level", "json", "", `log level ""`},
		{"unknown format", "xml", "info", `log format "xml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log, err := telemetry.NewLogger(&bytes.Buffer{}, tc.format, tc.level)
			if err == nil {
				t.Fatalf("NewLogger(%q, %q) succeeded", tc.format, tc.level)
			}
			if log != nil {
				t.Error("a logger came back with the error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not name %s", err, tc.wantErr)
			}
		})
	}
}

func TestNewMetricsTwice(t *testing.T) {
	a := telemetry.NewMetrics()
	b := telemetry.NewMetrics()
	if a.Registry == b.Registry {
		t.Fatal("two Metrics share a registry")
	}
	a.Leader.Set(1)
	a.GroupCapacity.WithLabelValues("web", "desired").Set(4)
	a.PolicyProposal.WithLabelValues("web", "cpu").Set(5)
	a.ObservationAge.WithLabelValues("web", "cpu", "CPUUtilization").Set(12)
	a.ScalingActions.WithLabelValues("web", "out", "ok").Inc()
	a.DecisionsSkipped.WithLabelValues("web", "paused").Inc()
	a.GroupErrors.WithLabelValues("web", "describe").Inc()
	a.CycleDuration.Observe(0.2)
	if got := testutil.ToFloat64(b.Leader); got != 0 {
		t.Errorf("second Metrics sees Leader %v set on the first", got)
	}

	families, err := a.Registry.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, want := range []string{
		"headroom_group_capacity_instances",
		"headroom_policy_proposal_instances",
		"headroom_observation_age_seconds",
		"headroom_scaling_actions_total",
		"headroom_decisions_skipped_total",
		"headroom_group_errors_total",
		"headroom_cycle_duration_seconds",
		"headroom_leader",
		"go_goroutines",
	} {
		if !names[want] {
			t.Errorf("registry lacks %s", want)
		}
	}
	if errs, err := testutil.GatherAndLint(a.Registry); err != nil || len(errs) > 0 {
		t.Errorf("metric lint: %v %v", err, errs)
	}
}

func TestObserveCall(t *testing.T) {
	tests := []struct {
		name      string
		code      string
		wantLabel string
	}{
		{"success is OK", "", "OK"},
		{"error code is kept", "Throttling", "Throttling"},
		{"timeout", "Timeout", "Timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := telemetry.NewMetrics()
			m.ObserveCall("Auto Scaling", "DescribeAutoScalingGroups", tc.code, 30*time.Millisecond)
			m.ObserveCall("Auto Scaling", "DescribeAutoScalingGroups", tc.code, 70*time.Millisecond)
			if got := testutil.CollectAndCount(m.AWSCalls); got != 1 {
				t.Errorf("%d call series, want 1 (no series labelled with an empty code)", got)
			}
			if got := testutil.ToFloat64(m.AWSCalls.WithLabelValues("Auto Scaling", "DescribeAutoScalingGroups", tc.wantLabel)); got != 2 {
				t.Errorf("calls labelled %q = %v, want 2", tc.wantLabel, got)
			}
			if tc.wantLabel != tc.code {
				if got := testutil.ToFloat64(m.AWSCalls.WithLabelValues("Auto Scaling", "DescribeAutoScalingGroups", tc.code)); got != 0 {
					t.Errorf("calls labelled %q = %v, want 0", tc.code, got)
				}
			}

			families, err := m.Registry.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, f := range families {
				if f.GetName() != "headroom_aws_call_duration_seconds" {
					continue
				}
				for _, metric := range f.GetMetric() {
					h := metric.GetHistogram()
					found = true
					if h.GetSampleCount() != 2 {
						t.Errorf("histogram count %d, want 2", h.GetSampleCount())
					}
					if sum := h.GetSampleSum(); sum < 0.0999 || sum > 0.1001 {
						t.Errorf("histogram sum %v s, want 0.1 s", sum)
					}
				}
			}
			if !found {
				t.Fatal("no headroom_aws_call_duration_seconds series")
			}
		})
	}
}
