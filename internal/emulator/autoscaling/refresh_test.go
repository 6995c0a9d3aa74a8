package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

func TestInstanceRefresh(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 5, 2)
	status := func() types.InstanceRefreshStatus {
		t.Helper()
		out, err := f.client.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String("web")})
		if err != nil {
			t.Fatalf("describe refreshes: %v", err)
		}
		if len(out.InstanceRefreshes) == 0 {
			return ""
		}
		return out.InstanceRefreshes[0].Status
	}
	if s := status(); s != "" {
		t.Fatalf("status before any refresh = %q", s)
	}
	start, err := f.client.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if aws.ToString(start.InstanceRefreshId) == "" {
		t.Error("no refresh id")
	}
	f.clk.Advance(time.Hour)
	if s := status(); s != types.InstanceRefreshStatusInProgress {
		t.Errorf("status an hour later = %q, want InProgress", s)
	}
	if g := f.group(t, "web"); !g.RefreshInProgress {
		t.Error("GroupView.RefreshInProgress = false")
	}
	_, err = f.client.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("web")})
	var inProgress *types.InstanceRefreshInProgressFault
	if !errors.As(err, &inProgress) {
		t.Errorf("second start: err = %v, want *types.InstanceRefreshInProgressFault", err)
	}
	cancel, err := f.client.CancelInstanceRefresh(ctx, &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if aws.ToString(cancel.InstanceRefreshId) != aws.ToString(start.InstanceRefreshId) {
		t.Errorf("cancelled %s, want %s", aws.ToString(cancel.InstanceRefreshId), aws.ToString(start.InstanceRefreshId))
	}
	if s := status(); s != types.InstanceRefreshStatusCancelled {
		t.Errorf("status after cancel = %q, want Cancelled", s)
	}
	_, err = f.client.CancelInstanceRefresh(ctx, &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String("web")})
	var notFound *types.ActiveInstanceRefreshNotFoundFault
	if !errors.As(err, &notFound) {
		t.Errorf("cancel with none active: err = %v, want *types.ActiveInstanceRefreshNotFoundFault", err)
	}

	if _, err := f.client.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("web")}); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if err := f.svc.CompleteInstanceRefresh("web"); err != nil {
		t.Fatalf("complete: %v", err)
	}
	if s := status(); s != types.InstanceRefreshStatusSuccessful {
		t.Errorf("status after complete = %q, want Successful", s)
	}
	if err := f.svc.CompleteInstanceRefresh("web"); err == nil {
		t.Error("completing with none active succeeded")
	}
	if err := f.svc.CompleteInstanceRefresh("ghost"); err == nil {
		t.Error("completing on an unknown group succeeded")
	}
}

func TestDescribeScalingActivitiesPaging(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.svc.SetLaunchTime(0)
	f.create(t, "web", 0, 200, 0)
	for i := 1; i <= 150; i++ {
		f.clk.Advance(time.Second)
		setDesired(t, f, "web", i)
	}
	var ids []string
	pages := 0
	p := autoscaling.NewDescribeScalingActivitiesPaginator(f.client, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
	var last time.Time
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("page: %v", err)
		}
		pages++
		for _, a := range out.Activities {
			ids = append(ids, aws.ToString(a.ActivityId))
			if !last.IsZero() && aws.ToTime(a.StartTime).After(last) {
				t.Errorf("activities are not newest first")
			}
			last = aws.ToTime(a.StartTime)
			if a.StatusCode != types.ScalingActivityStatusCodeSuccessful {
				t.Errorf("activity %s is %s with zero launch time", aws.ToString(a.ActivityId), a.StatusCode)
			}
		}
	}
	if pages != 2 || len(ids) != 150 {
		t.Errorf("got %d activities in %d pages, want 150 in 2", len(ids), pages)
	}

	out, err := f.client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{ActivityIds: ids[:3]})
	if err != nil {
		t.Fatalf("by id: %v", err)
	}
	if len(out.Activities) != 3 {
		t.Errorf("by id: got %d, want 3", len(out.Activities))
	}
	out, err = f.client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{
		AutoScalingGroupName: aws.String("web"),
		Filters: []types.Filter{
			{Name: aws.String("StartTimeLowerBound"), Values: []string{t0.Add(141 * time.Second).Format(time.RFC3339)}},
			{Name: aws.String("Status"), Values: []string{"Successful"}},
		},
	})
	if err != nil {
		t.Fatalf("filtered: %v", err)
	}
	if len(out.Activities) != 10 {
		t.Errorf("filtered: got %d, want 10", len(out.Activities))
	}
	_, err = f.client.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{NextToken: aws.String("bogus")})
	var bad *types.InvalidNextToken
	if !errors.As(err, &bad) {
		t.Errorf("bad token: err = %v, want *types.InvalidNextToken", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	for i := range 4 {
		f.create(t, fmt.Sprintf("g%d", i), 0, 50, 0)
	}
	done := make(chan error)
	for i := range 4 {
		go func() {
			var err error
			for n := 1; n <= 20 && err == nil; n++ {
				_, err = f.client.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{
					AutoScalingGroupName: aws.String(fmt.Sprintf("g%d", i)), DesiredCapacity: aws.Int32(int32(n)),
				})
				f.svc.Group(fmt.Sprintf("g%d", (i+1)%4))
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	for i := range 4 {
		if g := f.group(t, fmt.Sprintf("g%d", i)); g.Desired != 20 || len(g.Instances) != 20 {
			t.Errorf("g%d: desired %d, %d instances", i, g.Desired, len(g.Instances))
		}
	}
}
