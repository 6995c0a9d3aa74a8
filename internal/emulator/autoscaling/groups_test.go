package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

func TestCreateAndDescribeGroup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"),
		MinSize:              aws.Int32(1),
		MaxSize:              aws.Int32(10),
		DesiredCapacity:      aws.Int32(3),
		DefaultCooldown:      aws.Int32(120),
		LaunchTemplate:       &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web-lt"), Version: aws.String("$Latest")},
		Tags: []types.Tag{
			{Key: aws.String("team"), Value: aws.String("checkout"), PropagateAtLaunch: aws.Bool(true)},
			{Key: aws.String("env"), Value: aws.String("prod")},
		},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	out, err := f.client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web"}})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if len(out.AutoScalingGroups) != 1 {
		t.Fatalf("got %d groups, want 1", len(out.AutoScalingGroups))
	}
	g := out.AutoScalingGroups[0]
	if aws.ToString(g.AutoScalingGroupName) != "web" || aws.ToInt32(g.MinSize) != 1 || aws.ToInt32(g.MaxSize) != 10 || aws.ToInt32(g.DesiredCapacity) != 3 {
		t.Errorf("group = %s min %d max %d desired %d", aws.ToString(g.AutoScalingGroupName), aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize), aws.ToInt32(g.DesiredCapacity))
	}
	if !strings.HasPrefix(aws.ToString(g.AutoScalingGroupARN), "arn:aws:autoscaling:us-east-1:") {
		t.Errorf("ARN = %q", aws.ToString(g.AutoScalingGroupARN))
	}
	if aws.ToInt32(g.DefaultCooldown) != 120 {
		t.Errorf("DefaultCooldown = %d, want 120", aws.ToInt32(g.DefaultCooldown))
	}
	if g.LaunchTemplate == nil || aws.ToString(g.LaunchTemplate.LaunchTemplateName) != "web-lt" {
		t.Errorf("LaunchTemplate = %+v", g.LaunchTemplate)
	}
	if !g.CreatedTime.Equal(t0) {
		t.Errorf("CreatedTime = %v, want %v", g.CreatedTime, t0)
	}
	tags := map[string]string{}
	for _, tg := range g.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		if aws.ToString(tg.ResourceType) != "auto-scaling-group" || aws.ToString(tg.ResourceId) != "web" {
			t.Errorf("tag resource = %s/%s", aws.ToString(tg.ResourceType), aws.ToString(tg.ResourceId))
		}
	}
	if tags["team"] != "checkout" || tags["env"] != "prod" {
		t.Errorf("tags = %v", tags)
	}
	if len(g.Instances) != 3 {
		t.Fatalf("got %d instances, want 3", len(g.Instances))
	}
	for _, in := range g.Instances {
		if in.LifecycleState != types.LifecycleStatePending {
			t.Errorf("instance %s is %s, want Pending", aws.ToString(in.InstanceId), in.LifecycleState)
		}
		if !strings.HasPrefix(aws.ToString(in.InstanceId), "i-") {
			t.Errorf("instance id %q", aws.ToString(in.InstanceId))
		}
	}

	f.clk.Advance(DefaultLaunchTime)
	out, err = f.client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web"}})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	for _, in := range out.AutoScalingGroups[0].Instances {
		if in.LifecycleState != types.LifecycleStateInService {
			t.Errorf("after launch time instance %s is %s, want InService", aws.ToString(in.InstanceId), in.LifecycleState)
		}
	}
	view := f.group(t, "web")
	for _, in := range view.Instances {
		if !in.InServiceAt.Equal(t0.Add(DefaultLaunchTime)) {
			t.Errorf("InServiceAt = %v, want %v", in.InServiceAt, t0.Add(DefaultLaunchTime))
		}
	}

	noInst, err := f.client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{IncludeInstances: aws.Bool(false)})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if n := len(noInst.AutoScalingGroups[0].Instances); n != 0 {
		t.Errorf("IncludeInstances=false returned %d instances", n)
	}
}

func TestCreateErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       autoscaling.CreateAutoScalingGroupInput
		limit    int
		wantCode string
		wantMsg  string
		wantType any
	}{
		{
			name:     "duplicate name",
			in:       autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("taken"), MinSize: aws.Int32(0), MaxSize: aws.Int32(1)},
			wantCode: "AlreadyExists",
			wantType: &types.AlreadyExistsFault{},
		},
		{
			name:     "over the group quota",
			in:       autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("one-too-many"), MinSize: aws.Int32(0), MaxSize: aws.Int32(1)},
			limit:    1,
			wantCode: "LimitExceeded",
			wantType: &types.LimitExceededFault{},
		},
		{
			name:     "min above max",
			in:       autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("bad"), MinSize: aws.Int32(5), MaxSize: aws.Int32(2)},
			wantCode: "ValidationError",
			wantMsg:  "Max bound, 2, must be greater than or equal to min bound, 5",
		},
		{
			name:     "desired outside bounds",
			in:       autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("bad"), MinSize: aws.Int32(4), MaxSize: aws.Int32(10), DesiredCapacity: aws.Int32(2)},
			wantCode: "ValidationError",
			wantMsg:  "Desired capacity:2 must be between the specified min size:4 and max size:10",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.create(t, "taken", 0, 1, 0)
			if tc.limit > 0 {
				f.svc.SetGroupLimit(tc.limit)
			}
			in := tc.in
			_, err := f.client.CreateAutoScalingGroup(context.Background(), &in)
			if err == nil {
				t.Fatal("create succeeded, want an error")
			}
			if got := apiCode(err); got != tc.wantCode {
				t.Errorf("code = %q, want %q (%v)", got, tc.wantCode, err)
			}
			if tc.wantMsg != "" && apiMessage(err) != tc.wantMsg {
				t.Errorf("message = %q, want %q", apiMessage(err), tc.wantMsg)
			}
			switch tc.wantType.(type) {
			case *types.AlreadyExistsFault:
				var e *types.AlreadyExistsFault
				if !errors.As(err, &e) {
					t.Errorf("error %T is not *types.AlreadyExistsFault", err)
				}
			case *types.LimitExceededFault:
				var e *types.LimitExceededFault
				if !errors.As(err, &e) {
					t.Errorf("error %T is not *types.LimitExceededFault", err)
				}
			}
		})
	}
}

func TestSetDesiredCapacity(t *testing.T) {
	tests := []struct {
		name     string
		desired  int32
		honor    bool
		advance  time.Duration
		wantCode string
		wantMsg  string
	}{
		{name: "within bounds", desired: 5},
		{name: "to min", desired: 1},
		{name: "above max", desired: 11, wantCode: "ValidationError", wantMsg: "New SetDesiredCapacity value 11 is above max value 10 for the AutoScalingGroup."},
		{name: "below min", desired: 0, wantCode: "ValidationError", wantMsg: "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup."},
		{name: "honor cooldown while launching", desired: 5, honor: true, wantCode: "ScalingActivityInProgress"},
		{name: "honor cooldown inside the cooldown", desired: 5, honor: true, advance: DefaultLaunchTime + time.Minute, wantCode: "ScalingActivityInProgress"},
		{name: "honor cooldown after the cooldown", desired: 5, honor: true, advance: DefaultLaunchTime + defaultCooldown*time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.create(t, "web", 1, 10, 2)
			f.clk.Advance(tc.advance)
			_, err := f.client.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{
				AutoScalingGroupName: aws.String("web"),
				DesiredCapacity:      aws.Int32(tc.desired),
				HonorCooldown:        aws.Bool(tc.honor),
			})
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("set desired: %v", err)
				}
				g := f.group(t, "web")
				if g.Desired != int(tc.desired) || len(g.Instances) != int(tc.desired) {
					t.Errorf("desired %d with %d instances, want %d", g.Desired, len(g.Instances), tc.desired)
				}
				return
			}
			if got := apiCode(err); got != tc.wantCode {
				t.Fatalf("code = %q, want %q (%v)", got, tc.wantCode, err)
			}
			if tc.wantMsg != "" && apiMessage(err) != tc.wantMsg {
				t.Errorf("message = %q, want %q", apiMessage(err), tc.wantMsg)
			}
			if tc.wantCode == "ScalingActivityInProgress" {
				var fault *types.ScalingActivityInProgressFault
				if !errors.As(err, &fault) {
					t.Errorf("error %T is not *types.ScalingActivityInProgressFault", err)
				}
				if !strings.HasSuffix(apiMessage(err), "is in progress and blocks this action") {
					t.Errorf("message = %q", apiMessage(err))
				}
			}
			if g := f.group(t, "web"); g.Desired != 2 {
				t.Errorf("desired changed to %d by a failed call", g.Desired)
			}
		})
	}
}

func TestSetDesiredCapacityUnknownGroup(t *testing.T) {
	f := newFixture(t)
	_, err := f.client.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String("ghost"), DesiredCapacity: aws.Int32(1),
	})
	if apiCode(err) != "ValidationError" || apiMessage(err) != "AutoScalingGroup name not found - AutoScalingGroup ghost not found" {
		t.Errorf("err = %v", err)
	}
}

func TestScaleInRemovesPendingFirstThenNewest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 10, 2)
	f.clk.Advance(DefaultLaunchTime)
	f.clk.Advance(time.Second)
	setDesired(t, f, "web", 4) // two more, newer than the first two
	f.clk.Advance(DefaultLaunchTime)
	setDesired(t, f, "web", 6) // two Pending
	before := f.group(t, "web")
	if before.Count(StatePending) != 2 || before.Count(StateInService) != 4 {
		t.Fatalf("before: %d pending %d in service", before.Count(StatePending), before.Count(StateInService))
	}

	setDesired(t, f, "web", 3)
	after := f.group(t, "web")
	want := []string{before.Instances[0].ID, before.Instances[1].ID, before.Instances[2].ID}
	var got []string
	for _, in := range after.Instances {
		got = append(got, in.ID)
		if in.State != StateInService {
			t.Errorf("instance %s is %s after scale-in", in.ID, in.State)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("kept %v, want the oldest three %v", got, want)
	}

	acts, err := f.client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("describe activities: %v", err)
	}
	// 6 launches and 3 terminations, newest first.
	if len(acts.Activities) != 9 {
		t.Fatalf("got %d activities, want 9", len(acts.Activities))
	}
	first := acts.Activities[0]
	if !strings.HasPrefix(aws.ToString(first.Description), "Terminating EC2 instance: ") || first.StatusCode != types.ScalingActivityStatusCodeSuccessful {
		t.Errorf("newest activity = %q %s", aws.ToString(first.Description), first.StatusCode)
	}
	if !strings.Contains(aws.ToString(first.Cause), "a user request explicitly set group desired capacity changing the desired capacity from 6 to 3") {
		t.Errorf("cause = %q", aws.ToString(first.Cause))
	}
}

func setDesired(t *testing.T, f *fixture, name string, n int) {
	t.Helper()
	_, err := f.client.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String(name), DesiredCapacity: aws.Int32(int32(n)), HonorCooldown: aws.Bool(false),
	})
	if err != nil {
		t.Fatalf("set desired %s to %d: %v", name, n, err)
	}
}

func TestTerminatingState(t *testing.T) {
	f := newFixture(t)
	f.svc.SetTerminateTime(30 * time.Second)
	f.create(t, "web", 0, 5, 2)
	f.clk.Advance(DefaultLaunchTime)
	setDesired(t, f, "web", 1)
	g := f.group(t, "web")
	if g.Count(StateTerminating) != 1 || g.Count(StateInService) != 1 {
		t.Fatalf("got %d terminating %d in service, want 1 and 1", g.Count(StateTerminating), g.Count(StateInService))
	}
	f.clk.Advance(30 * time.Second)
	if g := f.group(t, "web"); len(g.Instances) != 1 {
		t.Errorf("got %d instances after termination, want 1", len(g.Instances))
	}
}

func TestSuspendProcesses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 10, 2)
	f.clk.Advance(DefaultLaunchTime)
	_, err := f.client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{
		AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"Launch", "Terminate"},
	})
	if err != nil {
		t.Fatalf("suspend: %v", err)
	}
	out, err := f.client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web"}})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	var names []string
	for _, p := range out.AutoScalingGroups[0].SuspendedProcesses {
		names = append(names, aws.ToString(p.ProcessName))
		if !strings.HasPrefix(aws.ToString(p.SuspensionReason), "User suspended at ") {
			t.Errorf("reason = %q", aws.ToString(p.SuspensionReason))
		}
	}
	if fmt.Sprint(names) != "[Launch Terminate]" {
		t.Errorf("suspended = %v", names)
	}

	setDesired(t, f, "web", 5)
	f.clk.Advance(DefaultLaunchTime)
	if g := f.group(t, "web"); len(g.Instances) != 2 || g.Desired != 5 {
		t.Errorf("with Launch suspended: %d instances, desired %d; want 2 and 5", len(g.Instances), g.Desired)
	}
	setDesired(t, f, "web", 1)
	if g := f.group(t, "web"); len(g.Instances) != 2 {
		t.Errorf("with Terminate suspended: %d instances, want 2", len(g.Instances))
	}

	_, err = f.client.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"Terminate"}})
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if g := f.group(t, "web"); len(g.Instances) != 1 || fmt.Sprint(g.Suspended) != "[Launch]" {
		t.Errorf("after resuming Terminate: %d instances, suspended %v", len(g.Instances), g.Suspended)
	}
	setDesired(t, f, "web", 3)
	_, err = f.client.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("resume all: %v", err)
	}
	if g := f.group(t, "web"); g.Count(StatePending) != 2 || len(g.Suspended) != 0 {
		t.Errorf("after resuming all: %d pending, suspended %v", g.Count(StatePending), g.Suspended)
	}

	_, err = f.client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"Teleport"}})
	if apiCode(err) != "ValidationError" {
		t.Errorf("unknown process: err = %v, want ValidationError", err)
	}
	_, err = f.client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("suspend all: %v", err)
	}
	if g := f.group(t, "web"); len(g.Suspended) != len(allProcesses) {
		t.Errorf("suspend all: %v", g.Suspended)
	}
}

func TestUpdateAutoScalingGroup(t *testing.T) {
	tests := []struct {
		name              string
		min, max, desired *int32
		wantMin, wantMax  int
		wantDesired       int
		wantMsg           string
	}{
		{name: "min above desired raises desired", min: aws.Int32(5), wantMin: 5, wantMax: 10, wantDesired: 5},
		{name: "max below desired lowers desired", max: aws.Int32(2), wantMin: 1, wantMax: 2, wantDesired: 2},
		{name: "explicit desired", desired: aws.Int32(7), wantMin: 1, wantMax: 10, wantDesired: 7},
		{name: "min above max", min: aws.Int32(11), wantMsg: "Max bound, 10, must be greater than or equal to min bound, 11"},
		{name: "desired outside new bounds", max: aws.Int32(4), desired: aws.Int32(6), wantMsg: "Desired capacity:6 must be between the specified min size:1 and max size:4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.create(t, "web", 1, 10, 3)
			_, err := f.client.UpdateAutoScalingGroup(context.Background(), &autoscaling.UpdateAutoScalingGroupInput{
				AutoScalingGroupName: aws.String("web"), MinSize: tc.min, MaxSize: tc.max, DesiredCapacity: tc.desired,
			})
			if tc.wantMsg != "" {
				if apiCode(err) != "ValidationError" || apiMessage(err) != tc.wantMsg {
					t.Fatalf("err = %v, want ValidationError %q", err, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			g := f.group(t, "web")
			if g.Min != tc.wantMin || g.Max != tc.wantMax || g.Desired != tc.wantDesired {
				t.Errorf("got min %d max %d desired %d, want %d %d %d", g.Min, g.Max, g.Desired, tc.wantMin, tc.wantMax, tc.wantDesired)
			}
			if len(g.Instances) != tc.wantDesired {
				t.Errorf("got %d instances, want %d", len(g.Instances), tc.wantDesired)
			}
		})
	}
}

func TestDeleteAutoScalingGroup(t *testing.T) {
	tests := []struct {
		name     string
		desired  int
		advance  time.Duration
		force    bool
		wantCode string
	}{
		{name: "empty group", desired: 0},
		{name: "instances launching", desired: 2, wantCode: "ScalingActivityInProgress"},
		{name: "instances in service", desired: 2, advance: DefaultLaunchTime, wantCode: "ResourceInUse"},
		{name: "force", desired: 2, force: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.create(t, "web", 0, 5, tc.desired)
			f.clk.Advance(tc.advance)
			_, err := f.client.DeleteAutoScalingGroup(context.Background(), &autoscaling.DeleteAutoScalingGroupInput{
				AutoScalingGroupName: aws.String("web"), ForceDelete: aws.Bool(tc.force),
			})
			if got := apiCode(err); got != tc.wantCode {
				t.Fatalf("code = %q, want %q (%v)", got, tc.wantCode, err)
			}
			if tc.wantCode == "ResourceInUse" {
				var fault *types.ResourceInUseFault
				if !errors.As(err, &fault) {
					t.Errorf("error %T is not *types.ResourceInUseFault", err)
				}
			}
			_, exists := f.svc.Group("web")
			if exists != (tc.wantCode != "") {
				t.Errorf("group exists = %v after delete", exists)
			}
		})
	}
}

func TestDescribePaging(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var all []string
	for i := range 120 {
		name := fmt.Sprintf("g%03d", i)
		all = append(all, name)
		if err := f.svc.CreateGroup(GroupSpec{Name: name, Min: 0, Max: 2, Desired: 1}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("all groups in pages of 50", func(t *testing.T) {
		var got []string
		pages := 0
		p := autoscaling.NewDescribeAutoScalingGroupsPaginator(f.client, &autoscaling.DescribeAutoScalingGroupsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("page: %v", err)
			}
			pages++
			for _, g := range out.AutoScalingGroups {
				got = append(got, aws.ToString(g.AutoScalingGroupName))
			}
		}
		if pages != 3 {
			t.Errorf("pages = %d, want 3", pages)
		}
		if fmt.Sprint(got) != fmt.Sprint(all) {
			t.Errorf("got %d groups, want all %d in order", len(got), len(all))
		}
	})

	tests := []struct {
		name       string
		names      int
		maxRecords *int32
		token      *string
		wantGroups int
		wantCode   string
		wantMsg    string
	}{
		{name: "50 names by default", names: 50, wantGroups: 50},
		{name: "51 names by default", names: 51, wantCode: "ValidationError", wantMsg: "The number of group names that may be passed in is limited to 50"},
		{name: "100 names with MaxRecords 100", names: 100, maxRecords: aws.Int32(100), wantGroups: 100},
		{name: "101 names with MaxRecords 100", names: 101, maxRecords: aws.Int32(100), wantCode: "ValidationError", wantMsg: "The number of group names that may be passed in is limited to 100"},
		{name: "MaxRecords above 100", maxRecords: aws.Int32(101), wantCode: "ValidationError"},
		{name: "MaxRecords 0", maxRecords: aws.Int32(0), wantCode: "ValidationError"},
		{name: "garbage token", token: aws.String("!!not-a-token"), wantCode: "InvalidNextToken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
				AutoScalingGroupNames: all[:tc.names], MaxRecords: tc.maxRecords, NextToken: tc.token,
			})
			if tc.wantCode != "" {
				if apiCode(err) != tc.wantCode {
					t.Fatalf("err = %v, want %s", err, tc.wantCode)
				}
				if tc.wantMsg != "" && apiMessage(err) != tc.wantMsg {
					t.Errorf("message = %q, want %q", apiMessage(err), tc.wantMsg)
				}
				if tc.wantCode == "InvalidNextToken" {
					var fault *types.InvalidNextToken
					if !errors.As(err, &fault) {
						t.Errorf("error %T is not *types.InvalidNextToken", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("describe: %v", err)
			}
			if len(out.AutoScalingGroups) != tc.wantGroups || out.NextToken != nil {
				t.Errorf("got %d groups, token %v; want %d and none", len(out.AutoScalingGroups), out.NextToken, tc.wantGroups)
			}
		})
	}

	t.Run("short pages", func(t *testing.T) {
		f.svc.SetPageSize(7)
		defer f.svc.SetPageSize(0)
		pages, groups := 0, 0
		p := autoscaling.NewDescribeAutoScalingGroupsPaginator(f.client, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(100)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("page: %v", err)
			}
			pages++
			groups += len(out.AutoScalingGroups)
		}
		if pages != 18 || groups != 120 {
			t.Errorf("got %d groups in %d pages, want 120 in 18", groups, pages)
		}
	})

	t.Run("unknown names are left out", func(t *testing.T) {
		out, err := f.client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"g001", "nope", "g001"}})
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		if len(out.AutoScalingGroups) != 1 || aws.ToString(out.AutoScalingGroups[0].AutoScalingGroupName) != "g001" {
			t.Errorf("got %d groups", len(out.AutoScalingGroups))
		}
	})
}

func TestDescribeFilters(t *testing.T) {
	f := newFixture(t)
	specs := []GroupSpec{
		{Name: "a", Max: 1, Tags: map[string]string{"env": "prod", "team": "x"}},
		{Name: "b", Max: 1, Tags: map[string]string{"env": "dev"}},
		{Name: "c", Max: 1, Tags: map[string]string{"owner": "prod"}},
	}
	for _, s := range specs {
		if err := f.svc.CreateGroup(s); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		filters []types.Filter
		want    string
	}{
		{name: "tag key and value", filters: []types.Filter{{Name: aws.String("tag:env"), Values: []string{"prod", "dev"}}}, want: "[a b]"},
		{name: "tag-key", filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{"team", "owner"}}}, want: "[a c]"},
		{name: "tag-value", filters: []types.Filter{{Name: aws.String("tag-value"), Values: []string{"prod"}}}, want: "[a c]"},
		{name: "filters AND together", filters: []types.Filter{
			{Name: aws.String("tag-value"), Values: []string{"prod"}},
			{Name: aws.String("tag-key"), Values: []string{"env"}},
		}, want: "[a]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.client.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{Filters: tc.filters})
			if err != nil {
				t.Fatalf("describe: %v", err)
			}
			var got []string
			for _, g := range out.AutoScalingGroups {
				got = append(got, aws.ToString(g.AutoScalingGroupName))
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("got %v, want %s", got, tc.want)
			}
		})
	}
	_, err := f.client.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{
		Filters: []types.Filter{{Name: aws.String("instance-type"), Values: []string{"m5.large"}}},
	})
	if apiCode(err) != "ValidationError" {
		t.Errorf("unknown filter: err = %v, want ValidationError", err)
	}
}

func TestLaunchTimes(t *testing.T) {
	f := newFixture(t)
	f.svc.SetLaunchTime(90 * time.Second)
	f.create(t, "slow", 0, 5, 1)
	f.clk.Advance(89 * time.Second)
	if g := f.group(t, "slow"); g.Count(StatePending) != 1 {
		t.Fatalf("at 89 s: %d pending, want 1", g.Count(StatePending))
	}
	f.clk.Advance(time.Second)
	if g := f.group(t, "slow"); g.Count(StateInService) != 1 {
		t.Fatalf("at 90 s: %d in service, want 1", g.Count(StateInService))
	}

	f.svc.SetLaunchTimeFunc(func(group string) time.Duration {
		if group == "fast" {
			return 10 * time.Second
		}
		return 5 * time.Minute
	})
	f.create(t, "fast", 0, 5, 1)
	setDesired(t, f, "slow", 2)
	f.clk.Advance(10 * time.Second)
	if g := f.group(t, "fast"); g.Count(StateInService) != 1 {
		t.Errorf("fast: %d in service after 10 s, want 1", g.Count(StateInService))
	}
	if g := f.group(t, "slow"); g.Count(StatePending) != 1 {
		t.Errorf("slow: %d pending after 10 s, want 1", g.Count(StatePending))
	}
	acts := f.svc.Activities("fast")
	if len(acts) != 1 || acts[0].Status != activitySuccessful || !acts[0].End.Equal(t0.Add(100*time.Second)) {
		t.Errorf("fast activities = %+v", acts)
	}
}

// TestDescribesSeeEventsOnTime checks the record of each group's next
// event that lets describes skip idle groups: a launch finishes on time
// whether the group last changed through the API or through the Go API,
// and a describe in between changes nothing.
func TestDescribesSeeEventsOnTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "a", 0, 10, 1)
	f.create(t, "b", 0, 10, 0)
	states := func(name string) map[string]int {
		t.Helper()
		out, err := f.client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
		if err != nil || len(out.AutoScalingGroups) != 1 {
			t.Fatalf("describe %s: %v", name, err)
		}
		got := map[string]int{}
		for _, in := range out.AutoScalingGroups[0].Instances {
			got[string(in.LifecycleState)]++
		}
		return got
	}
	check := func(name string, want map[string]int) {
		t.Helper()
		if got := states(name); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("at +%s %s instances = %v, want %v", f.clk.Now().Sub(t0), name, got, want)
		}
	}

	check("a", map[string]int{"Pending": 1}) // records a's launch, due at +60s
	f.clk.Advance(30 * time.Second)
	check("a", map[string]int{"Pending": 1})
	// A write between two describes: b's launch is due at +90s.
	if _, err := f.client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("b"), DesiredCapacity: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	check("b", map[string]int{"Pending": 2})
	f.clk.Advance(30 * time.Second) // +60s
	check("a", map[string]int{"InService": 1})
	check("b", map[string]int{"Pending": 2})
	f.clk.Advance(30 * time.Second) // +90s
	check("b", map[string]int{"InService": 2})
	// A change through the Go API, without a request to the API.
	if err := f.svc.CreateGroup(GroupSpec{Name: "c", Max: 2, Desired: 1}); err != nil {
		t.Fatal(err)
	}
	check("c", map[string]int{"Pending": 1})
	f.clk.Advance(60 * time.Second) // +150s
	check("c", map[string]int{"InService": 1})
}

// TestPagesAcrossCreatesAndDeletes pages through the groups while groups
// are created and deleted between pages: every group that exists
// throughout shows exactly once, in order.
func TestPagesAcrossCreatesAndDeletes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range 30 {
		f.create(t, fmt.Sprintf("g%02d", i*2), 0, 1, 0)
	}
	f.svc.SetPageSize(7)
	var seen []string
	p := autoscaling.NewDescribeAutoScalingGroupsPaginator(f.client, &autoscaling.DescribeAutoScalingGroupsInput{})
	for page := 0; p.HasMorePages(); page++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		for _, g := range out.AutoScalingGroups {
			seen = append(seen, aws.ToString(g.AutoScalingGroupName))
		}
		switch page {
		case 0: // one group before the cursor and one after it go
			for _, n := range []string{"g02", "g40"} {
				if _, err := f.client.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String(n), ForceDelete: aws.Bool(true)}); err != nil {
					t.Fatal(err)
				}
			}
		case 1: // one comes before the cursor and one after it
			f.create(t, "g03", 0, 1, 0)
			f.create(t, "g41", 0, 1, 0)
		}
	}
	var want []string
	for i := range 30 {
		if n := fmt.Sprintf("g%02d", i*2); n != "g40" {
			want = append(want, n)
		}
		if i*2 == 40 {
			want = append(want, "g41")
		}
	}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("paged\n%v\nwant\n%v", seen, want)
	}
}
