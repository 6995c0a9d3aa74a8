package autoscaling

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
)

// FuzzServeHTTP sends arbitrary form bodies to a service that holds a
// group with instances and a scheduled action, then checks that it did not
// panic and answered with one well-formed XML document: a <XResponse> on
// 200 or an <ErrorResponse> otherwise. The clock moves between requests so
// lifecycle and schedule processing run on fuzzed state too.
func FuzzServeHTTP(f *testing.F) {
	seeds := []string{
		"Action=DescribeAutoScalingGroups&Version=2011-01-01",
		"Action=DescribeAutoScalingGroups&Version=2011-01-01&AutoScalingGroupNames.member.1=web&MaxRecords=1&NextToken=YXNnOg",
		"Action=DescribeAutoScalingGroups&Version=2011-01-01&Filters.member.1.Name=tag%3Aenv&Filters.member.1.Values.member.1=prod",
		"Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=new&MinSize=0&MaxSize=3&DesiredCapacity=2&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=UpdateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=web&MinSize=3",
		"Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=web&DesiredCapacity=4&HonorCooldown=true",
		"Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=web&DesiredCapacity=99",
		"Action=DeleteAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=web&ForceDelete=true",
		"Action=SuspendProcesses&Version=2011-01-01&AutoScalingGroupName=web&ScalingProcesses.member.1=Launch",
		"Action=ResumeProcesses&Version=2011-01-01&AutoScalingGroupName=web",
		"Action=PutScheduledUpdateGroupAction&Version=2011-01-01&AutoScalingGroupName=web&ScheduledActionName=s&Recurrence=*%2F5+*+*+*+*&TimeZone=Europe%2FParis&DesiredCapacity=1",
		"Action=PutScheduledUpdateGroupAction&Version=2011-01-01&AutoScalingGroupName=web&ScheduledActionName=s&StartTime=2030-01-01T00%3A00%3A00Z&MinSize=1",
		"Action=DescribeScheduledActions&Version=2011-01-01&AutoScalingGroupName=web",
		"Action=DeleteScheduledAction&Version=2011-01-01&AutoScalingGroupName=web&ScheduledActionName=nightly",
		"Action=DescribeScalingActivities&Version=2011-01-01&AutoScalingGroupName=web&MaxRecords=1",
		"Action=StartInstanceRefresh&Version=2011-01-01&AutoScalingGroupName=web",
		"Action=DescribeInstanceRefreshes&Version=2011-01-01&AutoScalingGroupName=web",
		"Action=CancelInstanceRefresh&Version=2011-01-01&AutoScalingGroupName=web",
		"Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=mixed&MinSize=0&MaxSize=20&DesiredCapacity=7&DesiredCapacityType=units&MixedInstancesPolicy.LaunchTemplate.Overrides.member.1.InstanceType=c5.large&MixedInstancesPolicy.LaunchTemplate.Overrides.member.1.WeightedCapacity=1&MixedInstancesPolicy.LaunchTemplate.Overrides.member.2.InstanceType=c5.2xlarge&MixedInstancesPolicy.LaunchTemplate.Overrides.member.2.WeightedCapacity=4&MixedInstancesPolicy.InstancesDistribution.OnDemandBaseCapacity=1",
		"Action=UpdateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=web&DesiredCapacityType=vcpu&MixedInstancesPolicy.LaunchTemplate.Overrides.member.1.InstanceType=m5.large",
		"Action=PutLifecycleHook&Version=2011-01-01&AutoScalingGroupName=web&LifecycleHookName=boot&LifecycleTransition=autoscaling%3AEC2_INSTANCE_LAUNCHING&HeartbeatTimeout=30&DefaultResult=CONTINUE",
		"Action=PutLifecycleHook&Version=2011-01-01&AutoScalingGroupName=web&LifecycleHookName=drain&LifecycleTransition=autoscaling%3AEC2_INSTANCE_TERMINATING",
		"Action=DescribeLifecycleHooks&Version=2011-01-01&AutoScalingGroupName=web&LifecycleHookNames.member.1=boot",
		"Action=DeleteLifecycleHook&Version=2011-01-01&AutoScalingGroupName=web&LifecycleHookName=boot",
		"Action=CompleteLifecycleAction&Version=2011-01-01&AutoScalingGroupName=web&LifecycleHookName=boot&InstanceId=i-00000000000000002&LifecycleActionResult=ABANDON",
		"Action=RecordLifecycleActionHeartbeat&Version=2011-01-01&AutoScalingGroupName=web&LifecycleHookName=boot&InstanceId=i-00000000000000002",
		"Action=EnterStandby&Version=2011-01-01&AutoScalingGroupName=web&InstanceIds.member.1=i-00000000000000002&ShouldDecrementDesiredCapacity=false",
		"Action=ExitStandby&Version=2011-01-01&AutoScalingGroupName=web&InstanceIds.member.1=i-00000000000000002",
		"Action=SetInstanceProtection&Version=2011-01-01&AutoScalingGroupName=web&InstanceIds.member.1=i-00000000000000002&ProtectedFromScaleIn=true",
		"Action=UpdateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=web&NewInstancesProtectedFromScaleIn=true&DesiredCapacity=1",
		"Action=PutScalingPolicy&Version=2011-01-01&AutoScalingGroupName=web&PolicyName=s&PolicyType=StepScaling&AdjustmentType=ChangeInCapacity&StepAdjustments.member.1.ScalingAdjustment=1&StepAdjustments.member.1.MetricIntervalLowerBound=0",
		"Action=PutScalingPolicy&Version=2011-01-01&AutoScalingGroupName=web&PolicyName=t&PolicyType=TargetTrackingScaling&TargetTrackingConfiguration.TargetValue=50&TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType=ASGAverageCPUUtilization",
		"Action=DescribePolicies&Version=2011-01-01&AutoScalingGroupName=web&MaxRecords=1&PolicyTypes.member.1=StepScaling",
		"Action=DeletePolicy&Version=2011-01-01&AutoScalingGroupName=web&PolicyName=s",
		"Action=Nope&Version=2011-01-01",
		"Action=DescribeAutoScalingGroups&%zz",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		clk := clock.NewFake(t0)
		svc := New(clk)
		if err := svc.CreateGroup(GroupSpec{Name: "web", Min: 1, Max: 5, Desired: 2, Tags: map[string]string{"env": "prod"}}); err != nil {
			t.Fatal(err)
		}
		seed := params{map[string][]string{
			"AutoScalingGroupName": {"web"}, "ScheduledActionName": {"nightly"},
			"Recurrence": {"0 2 * * *"}, "DesiredCapacity": {"3"},
		}}
		if _, err := svc.putScheduledUpdateGroupAction(seed, t0); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			svc.ServeHTTP(rec, req)
			checkXML(t, rec.Code, rec.Body.Bytes())
			clk.Advance(26 * time.Hour)
		}
		svc.Group("web")
	})
}

// checkXML asserts that raw is exactly one well-formed XML element whose
// name fits the status.
func checkXML(t *testing.T, status int, raw []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(raw))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("status %d: malformed XML: %v\n%s", status, err, raw)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				isErr := el.Name.Local == "ErrorResponse"
				if (status == http.StatusOK) == isErr || (!isErr && !strings.HasSuffix(el.Name.Local, "Response")) {
					t.Fatalf("status %d with root <%s>", status, el.Name.Local)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(el)) > 0 {
				t.Fatalf("text outside the root element: %q", el)
			}
		}
	}
	if roots != 1 || depth != 0 {
		t.Fatalf("status %d: %d root elements, depth %d\n%s", status, roots, depth, raw)
	}
}
