package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// TestReadyzWarnsOfOtherPolicies attaches a target tracking policy and a
// disabled simple policy to the group serve manages: once the policy
// sweep that follows runs (every five minutes), /readyz warns of the
// target tracking policy and not of the disabled one, and the group's
// decision names both.
func TestReadyzWarnsOfOtherPolicies(t *testing.T) {
	d := newCampaignDay(t)
	ctx := context.Background()
	if _, err := d.asg.PutScalingPolicy(ctx, &autoscaling.PutScalingPolicyInput{
		AutoScalingGroupName: aws.String("workers"), PolicyName: aws.String("cpu50"), PolicyType: aws.String("TargetTrackingScaling"),
		TargetTrackingConfiguration: &types.TargetTrackingConfiguration{TargetValue: aws.Float64(50),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeASGAverageCPUUtilization}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.asg.PutScalingPolicy(ctx, &autoscaling.PutScalingPolicyInput{
		AutoScalingGroupName: aws.String("workers"), PolicyName: aws.String("add-one"), Enabled: aws.Bool(false),
		AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	if body := d.readyz(); strings.Contains(body, "cpu50") {
		t.Fatalf("the policy is warned of before a sweep could have seen it:\n%s", body)
	}
	d.cycles(30) // five minutes of 10 s cycles: the next sweep
	body := d.readyz()
	if !strings.Contains(body, "\nwarning: group workers: other scaling policies attached to the group can change its desired capacity too") ||
		!strings.Contains(body, "cpu50 (TargetTrackingScaling)") {
		t.Errorf("/readyz does not warn of the target tracking policy:\n%s", body)
	}
	if strings.Contains(body, "add-one") {
		t.Errorf("/readyz warns of a disabled policy:\n%s", body)
	}
	var group struct {
		Decision struct {
			Notes []string `json:"notes"`
		} `json:"decision"`
	}
	if code := d.get("/v1/groups/workers", viewerToken, &group); code != http.StatusOK {
		t.Fatalf("GET group: %d", code)
	}
	notes := strings.Join(group.Decision.Notes, "\n")
	if !strings.Contains(notes, "cpu50 (TargetTrackingScaling)") || !strings.Contains(notes, "add-one (SimpleScaling, disabled)") {
		t.Errorf("the decision's notes:\n%s", notes)
	}
}

// readyz returns serve's /readyz body.
func (d *campaignDay) readyz() string {
	d.t.Helper()
	resp, err := http.Get("http://" + d.addr + "/readyz")
	if err != nil {
		d.t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
