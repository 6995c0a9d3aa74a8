package autoscaling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// policyInputs are one policy of each type, as an operator would put them.
func policyInputs(group string) []*autoscaling.PutScalingPolicyInput {
	return []*autoscaling.PutScalingPolicyInput{
		{
			AutoScalingGroupName: aws.String(group), PolicyName: aws.String("cpu50"), PolicyType: aws.String(PolicyTargetTracking),
			EstimatedInstanceWarmup: aws.Int32(120),
			TargetTrackingConfiguration: &types.TargetTrackingConfiguration{
				TargetValue:                   aws.Float64(50),
				DisableScaleIn:                aws.Bool(true),
				PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeASGAverageCPUUtilization},
			},
		},
		{
			AutoScalingGroupName: aws.String(group), PolicyName: aws.String("queue-steps"), PolicyType: aws.String(PolicyStep),
			AdjustmentType: aws.String("ChangeInCapacity"), MetricAggregationType: aws.String("Average"), EstimatedInstanceWarmup: aws.Int32(60),
			StepAdjustments: []types.StepAdjustment{
				{MetricIntervalLowerBound: aws.Float64(0), MetricIntervalUpperBound: aws.Float64(100), ScalingAdjustment: aws.Int32(1)},
				{MetricIntervalLowerBound: aws.Float64(100), ScalingAdjustment: aws.Int32(3)},
			},
		},
		{
			AutoScalingGroupName: aws.String(group), PolicyName: aws.String("add-two"),
			AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(2), Cooldown: aws.Int32(120),
		},
		{
			AutoScalingGroupName: aws.String(group), PolicyName: aws.String("forecast"), PolicyType: aws.String(PolicyPredictive),
			PredictiveScalingConfiguration: &types.PredictiveScalingConfiguration{
				Mode:                 types.PredictiveScalingModeForecastOnly,
				SchedulingBufferTime: aws.Int32(300),
				MetricSpecifications: []types.PredictiveScalingMetricSpecification{{
					TargetValue: aws.Float64(40),
					PredefinedMetricPairSpecification: &types.PredictiveScalingPredefinedMetricPair{
						PredefinedMetricType: types.PredefinedMetricPairTypeASGCPUUtilization,
					},
				}},
			},
		},
	}
}

func TestScalingPolicies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 10, 1)
	f.create(t, "api", 0, 10, 1)
	arns := map[string]string{}
	for _, in := range policyInputs("web") {
		out, err := f.client.PutScalingPolicy(ctx, in)
		if err != nil {
			t.Fatalf("put %s: %v", aws.ToString(in.PolicyName), err)
		}
		arn := aws.ToString(out.PolicyARN)
		if !strings.HasPrefix(arn, "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:") || !strings.HasSuffix(arn, ":autoScalingGroupName/web:policyName/"+aws.ToString(in.PolicyName)) {
			t.Errorf("PolicyARN = %q", arn)
		}
		arns[aws.ToString(in.PolicyName)] = arn
		wantAlarms := 0
		if aws.ToString(in.PolicyType) == PolicyTargetTracking {
			wantAlarms = 2
		}
		if len(out.Alarms) != wantAlarms {
			t.Errorf("%s: %d alarms, want %d", aws.ToString(in.PolicyName), len(out.Alarms), wantAlarms)
		}
	}
	if _, err := f.client.PutScalingPolicy(ctx, policyInputs("api")[0]); err != nil {
		t.Fatalf("put on api: %v", err)
	}

	out, err := f.client.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	byName := map[string]types.ScalingPolicy{}
	var names []string
	for _, p := range out.ScalingPolicies {
		byName[aws.ToString(p.PolicyName)] = p
		names = append(names, aws.ToString(p.PolicyName))
		if aws.ToString(p.AutoScalingGroupName) != "web" || !aws.ToBool(p.Enabled) || aws.ToString(p.PolicyARN) != arns[aws.ToString(p.PolicyName)] {
			t.Errorf("policy %s: group %s enabled %v ARN %s", aws.ToString(p.PolicyName), aws.ToString(p.AutoScalingGroupName), aws.ToBool(p.Enabled), aws.ToString(p.PolicyARN))
		}
	}
	if want := []string{"add-two", "cpu50", "forecast", "queue-steps"}; !slices.Equal(names, want) {
		t.Fatalf("policies %v, want %v", names, want)
	}

	tt := byName["cpu50"]
	if aws.ToString(tt.PolicyType) != PolicyTargetTracking || tt.TargetTrackingConfiguration == nil ||
		aws.ToFloat64(tt.TargetTrackingConfiguration.TargetValue) != 50 || !aws.ToBool(tt.TargetTrackingConfiguration.DisableScaleIn) ||
		tt.TargetTrackingConfiguration.PredefinedMetricSpecification == nil ||
		tt.TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType != types.MetricTypeASGAverageCPUUtilization ||
		aws.ToInt32(tt.EstimatedInstanceWarmup) != 120 || len(tt.Alarms) != 2 || !strings.HasPrefix(aws.ToString(tt.Alarms[0].AlarmName), "TargetTracking-web-AlarmHigh-") {
		t.Errorf("target tracking policy = %+v", tt)
	}
	st := byName["queue-steps"]
	if aws.ToString(st.PolicyType) != PolicyStep || aws.ToString(st.AdjustmentType) != "ChangeInCapacity" || aws.ToString(st.MetricAggregationType) != "Average" ||
		len(st.StepAdjustments) != 2 || aws.ToInt32(st.StepAdjustments[1].ScalingAdjustment) != 3 || aws.ToFloat64(st.StepAdjustments[0].MetricIntervalUpperBound) != 100 ||
		st.StepAdjustments[1].MetricIntervalUpperBound != nil {
		t.Errorf("step policy = %+v", st)
	}
	si := byName["add-two"]
	if aws.ToString(si.PolicyType) != PolicySimple || aws.ToInt32(si.ScalingAdjustment) != 2 || aws.ToInt32(si.Cooldown) != 120 {
		t.Errorf("simple policy = %+v (PolicyType defaults to SimpleScaling)", si)
	}
	pr := byName["forecast"]
	if c := pr.PredictiveScalingConfiguration; aws.ToString(pr.PolicyType) != PolicyPredictive || c == nil || c.Mode != types.PredictiveScalingModeForecastOnly ||
		aws.ToInt32(c.SchedulingBufferTime) != 300 || len(c.MetricSpecifications) != 1 || aws.ToFloat64(c.MetricSpecifications[0].TargetValue) != 40 ||
		c.MetricSpecifications[0].PredefinedMetricPairSpecification == nil {
		t.Errorf("predictive policy = %+v", pr)
	}

	// By names and by type.
	out, err = f.client.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String("web"), PolicyNames: []string{"cpu50", arns["add-two"]}})
	if err != nil || len(out.ScalingPolicies) != 2 {
		t.Errorf("by names: %v, %d policies, want 2", err, len(out.ScalingPolicies))
	}
	out, err = f.client.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{PolicyTypes: []string{PolicyTargetTracking}})
	if err != nil || len(out.ScalingPolicies) != 2 {
		t.Errorf("target tracking across groups: %v, %d policies, want 2", err, len(out.ScalingPolicies))
	}

	// Every policy of the account, one a page.
	var all []string
	pages := 0
	pager := autoscaling.NewDescribePoliciesPaginator(f.client, &autoscaling.DescribePoliciesInput{MaxRecords: aws.Int32(1)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("page: %v", err)
		}
		pages++
		for _, p := range page.ScalingPolicies {
			all = append(all, aws.ToString(p.AutoScalingGroupName)+"/"+aws.ToString(p.PolicyName))
		}
	}
	if want := []string{"api/cpu50", "web/add-two", "web/cpu50", "web/forecast", "web/queue-steps"}; !slices.Equal(all, want) || pages != 5 {
		t.Errorf("paginated: %v in %d pages, want %v in 5", all, pages, want)
	}

	// Delete by name and by ARN.
	if _, err := f.client.DeletePolicy(ctx, &autoscaling.DeletePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("add-two")}); err != nil {
		t.Fatalf("delete by name: %v", err)
	}
	if _, err := f.client.DeletePolicy(ctx, &autoscaling.DeletePolicyInput{PolicyName: aws.String(arns["forecast"])}); err != nil {
		t.Fatalf("delete by ARN: %v", err)
	}
	if got := f.svc.Policies("web"); len(got) != 2 || got[0].Name != "cpu50" || got[1].Type != PolicyStep {
		t.Errorf("after deleting two: %+v", got)
	}
	if _, err := f.client.DeletePolicy(ctx, &autoscaling.DeletePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("add-two")}); apiCode(err) != "ValidationError" {
		t.Errorf("deleting a deleted policy: %v, want a ValidationError", err)
	}
}

func TestScalingPolicyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   autoscaling.PutScalingPolicyInput
		code string
	}{
		{name: "unknown policy type", in: autoscaling.PutScalingPolicyInput{PolicyType: aws.String("Magic")}, code: "ValidationError"},
		{name: "step without steps", in: autoscaling.PutScalingPolicyInput{PolicyType: aws.String(PolicyStep), AdjustmentType: aws.String("ChangeInCapacity")}, code: "ValidationError"},
		{name: "simple without adjustment type", in: autoscaling.PutScalingPolicyInput{ScalingAdjustment: aws.Int32(1)}, code: "ValidationError"},
		{name: "unknown adjustment type", in: autoscaling.PutScalingPolicyInput{ScalingAdjustment: aws.Int32(1), AdjustmentType: aws.String("Double")}, code: "ValidationError"},
		{name: "target tracking without configuration", in: autoscaling.PutScalingPolicyInput{PolicyType: aws.String(PolicyTargetTracking)}, code: "ValidationError"},
		{name: "a policy's type cannot change", in: autoscaling.PutScalingPolicyInput{PolicyName: aws.String("taken"), PolicyType: aws.String(PolicyStep),
			AdjustmentType: aws.String("ChangeInCapacity"), StepAdjustments: []types.StepAdjustment{{ScalingAdjustment: aws.Int32(1), MetricIntervalLowerBound: aws.Float64(0)}}}, code: "ValidationError"},
		{name: "unknown group", in: autoscaling.PutScalingPolicyInput{AutoScalingGroupName: aws.String("nope"), ScalingAdjustment: aws.Int32(1), AdjustmentType: aws.String("ChangeInCapacity")}, code: "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.create(t, "web", 0, 10, 1)
			if _, err := f.client.PutScalingPolicy(context.Background(), &autoscaling.PutScalingPolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("taken"),
				AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(1)}); err != nil {
				t.Fatal(err)
			}
			in := tc.in
			if in.AutoScalingGroupName == nil {
				in.AutoScalingGroupName = aws.String("web")
			}
			if in.PolicyName == nil {
				in.PolicyName = aws.String("new")
			}
			_, err := f.client.PutScalingPolicy(context.Background(), &in)
			if apiCode(err) != tc.code {
				t.Errorf("err = %v, want %s", err, tc.code)
			}
		})
	}
	t.Run("over the quota of 50", func(t *testing.T) {
		f := newFixture(t)
		f.create(t, "web", 0, 10, 1)
		for i := range maxPolicies + 1 {
			_, err := f.client.PutScalingPolicy(context.Background(), &autoscaling.PutScalingPolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String(fmt.Sprintf("p%d", i)),
				AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(1)})
			if i < maxPolicies && err != nil {
				t.Fatalf("policy %d: %v", i, err)
			}
			if i == maxPolicies && apiCode(err) != "LimitExceeded" {
				t.Errorf("policy %d: %v, want LimitExceeded", i, err)
			}
		}
	})
}

func TestSuspendedAlarmNotificationAndScheduledActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 10, 1)
	if _, err := f.client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"),
		ScalingProcesses: []string{"AlarmNotification", "ScheduledActions"}}); err != nil {
		t.Fatalf("suspend: %v", err)
	}
	g := f.describe(t, "web")
	var got []string
	for _, p := range g.SuspendedProcesses {
		got = append(got, aws.ToString(p.ProcessName))
		if !strings.HasPrefix(aws.ToString(p.SuspensionReason), "User suspended at ") {
			t.Errorf("%s SuspensionReason = %q", aws.ToString(p.ProcessName), aws.ToString(p.SuspensionReason))
		}
	}
	if want := []string{"AlarmNotification", "ScheduledActions"}; !slices.Equal(got, want) {
		t.Errorf("SuspendedProcesses = %v, want %v", got, want)
	}
	if _, err := f.client.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"AlarmNotification"}}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	g = f.describe(t, "web")
	if len(g.SuspendedProcesses) != 1 || aws.ToString(g.SuspendedProcesses[0].ProcessName) != "ScheduledActions" {
		t.Errorf("after resuming AlarmNotification: %+v", g.SuspendedProcesses)
	}
}
