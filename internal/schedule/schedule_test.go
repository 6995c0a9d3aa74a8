package schedule

import (
	"testing"
	"time"
)

var nine = time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC)

func TestFloorAt(t *testing.T) {
	const lead = 4 * time.Minute
	campaign := Boost{Groups: []string{"web"}, Start: nine, End: nine.Add(4 * time.Hour), MinCapacity: 100}
	ramped := campaign
	ramped.Ramp = 10 * time.Minute
	both := campaign
	both.MinCapacity, both.Multiplier = 10, 3
	own := campaign
	own.Lead = 30 * time.Minute
	tests := []struct {
		name       string
		b          Boost
		at         time.Time
		baseline   int
		want       int
		wantActive bool
	}{
		{name: "before the lead", b: campaign, at: nine.Add(-lead - time.Second), baseline: 5},
		{name: "lead starts: floor reached", b: campaign, at: nine.Add(-lead), baseline: 5, want: 100, wantActive: true},
		{name: "in the window", b: campaign, at: nine.Add(2 * time.Hour), baseline: 5, want: 100, wantActive: true},
		{name: "last second of the window", b: campaign, at: nine.Add(4*time.Hour - time.Second), baseline: 5, want: 100, wantActive: true},
		{name: "end is exclusive", b: campaign, at: nine.Add(4 * time.Hour), baseline: 5},
		{name: "ramp begins at the baseline", b: ramped, at: nine.Add(-lead - 10*time.Minute), baseline: 10, want: 10, wantActive: true},
		// Halfway: 10 + ceil(0.5 * 90) = 55.
		{name: "ramp halfway", b: ramped, at: nine.Add(-lead - 5*time.Minute), baseline: 10, want: 55, wantActive: true},
		// A tenth of the way (60 s of 600 s): 10 + ceil(9) = 19.
		{name: "ramp a tenth", b: ramped, at: nine.Add(-lead - 9*time.Minute), baseline: 10, want: 19, wantActive: true},
		{name: "ramp done", b: ramped, at: nine.Add(-lead), baseline: 10, want: 100, wantActive: true},
		{name: "ramp with a baseline above the target holds the target", b: ramped, at: nine.Add(-lead - 5*time.Minute), baseline: 150, want: 100, wantActive: true},
		// max(10, ceil(3 * 7)) = 21.
		{name: "multiplier wins", b: both, at: nine, baseline: 7, want: 21, wantActive: true},
		{name: "minimum wins", b: both, at: nine, baseline: 3, want: 10, wantActive: true},
		{name: "own lead", b: own, at: nine.Add(-29 * time.Minute), baseline: 5, want: 100, wantActive: true},
		{name: "own lead, not yet", b: own, at: nine.Add(-31 * time.Minute), baseline: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, active := tc.b.FloorAt(tc.at, tc.b.LeadOr(lead), tc.baseline)
			if got != tc.want || active != tc.wantActive {
				t.Errorf("FloorAt = %d, %v; want %d, %v", got, active, tc.want, tc.wantActive)
			}
		})
	}
}

func TestTargetRounding(t *testing.T) {
	// 1.5 * 4 = 6 exactly: no rounding up from float error.
	if got := (Boost{Multiplier: 1.5}).Target(4); got != 6 {
		t.Errorf("Target = %d, want 6", got)
	}
	// 1.1 * 3 = 3.3 -> 4.
	if got := (Boost{Multiplier: 1.1}).Target(3); got != 4 {
		t.Errorf("Target = %d, want 4", got)
	}
}

func TestAppliesTo(t *testing.T) {
	b := Boost{Groups: []string{"a", "b"}}
	if !b.AppliesTo("b") || b.AppliesTo("c") {
		t.Errorf("AppliesTo wrong for %v", b.Groups)
	}
}
