package score

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestWriteTable(t *testing.T) {
	tests := []struct {
		name    string
		title   string
		results []Result
		golden  string
	}{
		{
			name:  "every policy, with nulls",
			title: "scenario year-end-campaign",
			results: []Result{
				{
					Policy: "headroom", InstanceHours: 412.3456, OracleCostRatio: ptr(1.0834),
					UnderProvisioningAccuracy: 0.1234, OverProvisioningAccuracy: 2.5,
					UnderProvisioningTimeshare: 0.0123, OverProvisioningTimeshare: 0.6,
					Jitter: 3.25, SLOViolationMinutes: 0, MaxBacklogAgeSeconds: 61.4,
					ScalingActions: 57, ReactionSeconds: ptr(-312), ServingReactionSeconds: ptr(0),
				},
				{
					Policy: "aws-target-tracking", InstanceHours: 530.1, OracleCostRatio: ptr(1.39),
					UnderProvisioningAccuracy: 21.75, OverProvisioningAccuracy: 8.125,
					UnderProvisioningTimeshare: 0.25, OverProvisioningTimeshare: 0.5,
					Jitter: -1.04, SLOViolationMinutes: 48.5, MaxBacklogAgeSeconds: 1432,
					ScalingActions: 9, ReactionSeconds: ptr(241), ServingReactionSeconds: ptr(1180),
				},
				{
					Policy: "static-peak", InstanceHours: 1200, OracleCostRatio: ptr(3.1531),
					OverProvisioningAccuracy: 70, OverProvisioningTimeshare: 1,
				},
				{Policy: "hpa", InstanceHours: 0.004},
				{Policy: "oracle", InstanceHours: 380.57, OracleCostRatio: ptr(1), Jitter: -0.01},
			},
			golden: "table.golden",
		},
		{
			name:   "no results",
			title:  "scenario diurnal, mean of seeds 1, 2, 3",
			golden: "table_empty.golden",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTable(&buf, tc.title, tc.results); err != nil {
				t.Fatalf("WriteTable: %v", err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatalf("update %s: %v", path, err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("table differs from %s:\n%s\nwant:\n%s", path, buf.Bytes(), want)
			}
		})
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteTableError(t *testing.T) {
	err := WriteTable(failingWriter{}, "scenario flash-spike", []Result{{Policy: "hpa"}})
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("err = %v, want it to wrap %v", err, errDiskFull)
	}
	if want := `"scenario flash-spike"`; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("err = %v, want it to name %s", err, want)
	}
}
