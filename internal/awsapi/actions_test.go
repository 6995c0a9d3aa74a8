package awsapi

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestIAMPolicyGrantsExactlyTheActions keeps deploy/iam-policy.json equal to
// the set of actions the code calls: nothing missing, nothing extra.
func TestIAMPolicyGrantsExactlyTheActions(t *testing.T) {
	data, err := os.ReadFile("../../deploy/iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Effect string
			Action []string
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("deploy/iam-policy.json: %v", err)
	}
	var granted []string
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			t.Fatalf("unexpected effect %q", st.Effect)
		}
		granted = append(granted, st.Action...)
	}
	slices.Sort(granted)
	want := slices.Clone(Actions)
	slices.Sort(want)
	if !slices.Equal(granted, want) {
		t.Fatalf("deploy/iam-policy.json grants %v, the code calls %v", granted, want)
	}
}

func TestAction(t *testing.T) {
	tests := []struct{ service, op, want string }{
		{"Auto Scaling", "SetDesiredCapacity", "autoscaling:SetDesiredCapacity"},
		{"CloudWatch", "GetMetricData", "cloudwatch:GetMetricData"},
		{"SQS", "GetQueueAttributes", "sqs:GetQueueAttributes"},
		{"ECS", "UpdateService", "ecs:UpdateService"},
		{"Application Auto Scaling", "PutScheduledAction", "application-autoscaling:PutScheduledAction"},
		{"STS", "AssumeRole", "sts:AssumeRole"},
		{"Unknown", "Op", "Unknown:Op"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := Action(tc.service, tc.op); got != tc.want {
				t.Fatalf("Action(%q, %q) = %q, want %q", tc.service, tc.op, got, tc.want)
			}
		})
	}
}
