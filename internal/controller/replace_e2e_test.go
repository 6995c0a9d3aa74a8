package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
)

// TestCapacityRebalanceIsASwap runs the controller NewAWS builds against
// the emulator while a Spot instance of a group with capacity rebalancing
// is replaced: the Pending replacement is recorded as replacing, noted as
// a swap, not passed to the engine as capacity on its way, and the
// decision holds.
func TestCapacityRebalanceIsASwap(t *testing.T) {
	clk := clock.NewFake(t0)
	em := emulator.StartTest(t, clk)
	em.AutoScaling.SetLaunchTime(time.Minute)
	awsCfg := em.AWSConfig()
	ctx := context.Background()
	if _, err := autoscaling.NewFromConfig(awsCfg).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(1), MaxSize: aws.Int32(10), DesiredCapacity: aws.Int32(3),
		CapacityRebalance: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(awsCfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(strings.Replace(policiesConfig[:strings.Index(policiesConfig, "  - name: batch")], "min: 1", "min: 3", 1)))
	if err != nil {
		t.Fatal(err)
	}
	ctrl, err := NewAWS(cfg, awsCfg, Deps{Clock: clk}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, err := ctrl.RunOnce(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	g, _ := em.AutoScaling.Group("web")
	if _, err := em.AutoScaling.RebalanceRecommendation("web", g.Instances[0].ID); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	records, err := ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := records[0]
	if r.Pending != 1 || r.Replacing != 1 || r.Instances.Replacing != 1 || r.Current != 3 || r.Desired != 3 || r.Acted {
		t.Errorf("during the replacement: pending %d replacing %d (%d instances), current %d decided %d acted %v",
			r.Pending, r.Replacing, r.Instances.Replacing, r.Current, r.Desired, r.Acted)
	}
	if n := strings.Join(r.Notes, "\n"); !strings.Contains(n, "1 units (1 instances) Pending above desired capacity 3 replace instances AWS is retiring") ||
		!strings.Contains(n, "capacity rebalancing is on") {
		t.Errorf("notes:\n%s", n)
	}
	if d := Doc(r); d.Replacing != 1 || d.Instances.Replacing != 1 {
		t.Errorf("doc replacing %d (%d instances)", d.Replacing, d.Instances.Replacing)
	}
	clk.Advance(time.Minute)
	records, err = ctrl.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := records[0]; r.Replacing != 0 || r.Pending != 0 || r.Acted || strings.Contains(strings.Join(r.Notes, "\n"), "retiring") {
		t.Errorf("after the replacement: pending %d replacing %d acted %v notes %q", r.Pending, r.Replacing, r.Acted, r.Notes)
	}
}
