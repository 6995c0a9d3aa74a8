package controller

import (
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/policy"
)

func TestGroupNotes(t *testing.T) {
	tests := []struct {
		name    string
		g       asg.Group
		decided int
		want    []string // substrings, one note each, in order
	}{
		{name: "plain group, nothing to say", g: asg.Group{Desired: 4, InService: 4}, decided: 4},
		{
			name:    "weighted overshoot below the largest weight",
			g:       asg.Group{Desired: 10, InService: 12, Weighted: true, MaxWeight: 4},
			decided: 10,
			want:    []string{"AWS filled desired capacity 10 with whole instances: 12 units"},
		},
		{
			name:    "an excess as large as the largest weight is not overshoot",
			g:       asg.Group{Desired: 8, InService: 12, Weighted: true, MaxWeight: 4},
			decided: 8,
		},
		{
			name:    "standby",
			g:       asg.Group{Desired: 4, InService: 4, Standby: 2, Instances: asg.Counts{Standby: 1}},
			decided: 4,
			want:    []string{"2 units (1 instances) in Standby"},
		},
		{
			name:    "scale-in that protection blocks in part",
			g:       asg.Group{Desired: 6, InService: 6, Protected: 5, Instances: asg.Counts{InService: 6, Protected: 5}},
			decided: 2,
			want:    []string{"scale-in from 6 to 2 is blocked in part: 5 units (5 instances) are protected from scale-in, so AWS lowers desired capacity but keeps 3 units running"},
		},
		{
			name:    "scale-in that unprotected instances cover",
			g:       asg.Group{Desired: 6, InService: 6, Protected: 2, Instances: asg.Counts{InService: 6, Protected: 2}},
			decided: 4,
		},
		{
			name: "a capacity rebalancing replacement is a swap",
			g: asg.Group{Desired: 4, InService: 4, Pending: 1, Replacing: 1, Instances: asg.Counts{InService: 4, Pending: 1, Replacing: 1},
				Replacements: asg.Replacements{CapacityRebalance: true}},
			decided: 4,
			want:    []string{"1 units (1 instances) Pending above desired capacity 4 replace instances AWS is retiring; AWS launches a replacement before it terminates the instance it replaces: capacity rebalancing is on. A swap, not a scale-out"},
		},
		{
			name:    "a weighted replacement is not overshoot",
			g:       asg.Group{Desired: 10, InService: 10, Pending: 2, Replacing: 2, Weighted: true, MaxWeight: 4, Instances: asg.Counts{Replacing: 1}},
			decided: 10,
			want:    []string{"2 units (1 instances) Pending above desired capacity 10 replace instances AWS is retiring; AWS launches a replacement before it terminates the instance it replaces (capacity rebalancing"},
		},
		{
			name:    "suspended processes that matter",
			g:       asg.Group{Desired: 1, InService: 1, Suspended: []string{"AZRebalance", "ScheduledActions", "AlarmNotification"}},
			decided: 1,
			want:    []string{"ScheduledActions is suspended", "AlarmNotification is suspended"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := groupNotes(tc.g, policy.Decision{Desired: tc.decided})
			if len(got) != len(tc.want) {
				t.Fatalf("notes %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("note %d %q, want it to say %q", i, got[i], w)
				}
			}
		})
	}
}
