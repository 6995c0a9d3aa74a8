package controller

import (
	"context"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/source"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

// world is the end-to-end test's little world on the emulator's fake clock:
// messages arrive on a queue, serving instances work them off, and the
// group's CPU utilization is published to CloudWatch.
type world struct {
	t           *testing.T
	clk         *clock.Fake
	em          *emulator.Server
	ctrl        *Controller
	arrivals    float64 // messages per second
	perInstance float64 // messages per second one instance handles
	carry       float64
}

const e2eConfig = `
interval: 10s
call_timeout: 2s
groups:
  - name: workers
    asg: workers
    min: 1
    max: 12
    warmup: 0s
    scale_in_window: 120s
    max_age: 120s
    policies:
      - name: queue
        backlog:
          mode: rate
          acceptable_latency: 60s
          queues:
            - queue: jobs
              seconds_per_message: 0.1
      - name: cpu
        target_tracking:
          metric:
            namespace: AWS/EC2
            name: CPUUtilization
            dimensions: {AutoScalingGroupName: workers}
            stat: Average
          period: 10s
          target: 70
`

const e2eAppID = "headroom-e2e"

func newWorld(t *testing.T) *world {
	t.Helper()
	clk := clock.NewFake(t0)
	em := emulator.StartTest(t, clk)
	em.AutoScaling.SetLaunchTime(30 * time.Second)
	awsCfg := em.AWSConfig()
	awsapi.Instrument(&awsCfg, nil, 2*time.Second)
	ctx := context.Background()
	asgClient := autoscaling.NewFromConfig(awsCfg)
	if _, err := asgClient.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("workers"), MinSize: aws.Int32(1), MaxSize: aws.Int32(12), DesiredCapacity: aws.Int32(1),
	}); err != nil {
		t.Fatalf("create group: %v", err)
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	if _, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")}); err != nil {
		t.Fatalf("create queue: %v", err)
	}
	cfg, err := config.Parse([]byte(e2eConfig))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	// The controller's clients carry an app id in their user agent, so its
	// calls can be told from the test's own set-up calls.
	ctrlCfg := awsCfg.Copy()
	ctrlCfg.AppID = e2eAppID
	actuator := asg.New(autoscaling.NewFromConfig(ctrlCfg), clk)
	ctrl, err := New(cfg, Deps{
		Groups: actuator, Scaler: actuator, Policies: actuator,
		Metrics:   source.NewCloudWatch(cloudwatch.NewFromConfig(ctrlCfg)),
		Queues:    source.NewSQS(sqs.NewFromConfig(ctrlCfg), clk, 4),
		Clock:     clk,
		Telemetry: telemetry.NewMetrics(),
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, clk: clk, em: em, ctrl: ctrl, perInstance: 10}
	// Let the first instance launch.
	w.clk.Advance(time.Minute)
	return w
}

// step moves the world by one 10 s interval, runs one cycle and checks the
// bounds invariant.
func (w *world) step() Record {
	w.t.Helper()
	for range 10 {
		w.clk.Advance(time.Second)
		w.carry += w.arrivals
		n := int(math.Floor(w.carry))
		w.carry -= float64(n)
		if n > 0 {
			if err := w.em.SQS.Enqueue("jobs", n); err != nil {
				w.t.Fatal(err)
			}
		}
		g, _ := w.em.AutoScaling.Group("workers")
		serving := g.InService()
		capacity := float64(serving) * w.perInstance
		done := w.em.SQS.Consume("jobs", int(capacity))
		cpu := 100.0
		if capacity > 0 {
			cpu = 100 * float64(done) / capacity
		}
		w.em.CloudWatch.Put("AWS/EC2", "CPUUtilization", map[string]string{"AutoScalingGroupName": "workers"}, w.clk.Now(), cpu)
	}
	recs, err := w.ctrl.RunOnce(context.Background(), w.clk.Now())
	if err != nil {
		w.t.Fatalf("cycle at %s: %v", w.clk.Now().Sub(t0), err)
	}
	g, _ := w.em.AutoScaling.Group("workers")
	w.t.Logf("t=%-6s desired=%-2d serving=%-2d %s", w.clk.Now().Sub(t0), g.Desired, recs[0].Serving, recs[0].Reason)
	if d := g.Desired; d < 1 || d > 12 {
		w.t.Fatalf("desired capacity %d left the bounds [1, 12]", d)
	}
	return recs[0]
}

func (w *world) desired() int {
	g, _ := w.em.AutoScaling.Group("workers")
	return g.Desired
}

func TestEndToEndScalesWithTheQueue(t *testing.T) {
	w := newWorld(t)

	// A surge: 80 msg/s against 10 msg/s per instance needs 8 instances at
	// full use, 10 at the default 80% target utilization; the group's max is 12.
	w.arrivals = 80
	peak := 0
	for i := range 30 {
		r := w.step()
		peak = max(peak, w.desired())
		if i == 0 && !r.Acted {
			t.Fatalf("first cycle of the surge did not act: %+v", r.Decision)
		}
	}
	if peak < 10 {
		t.Fatalf("peak desired capacity %d during a surge that needs 10", peak)
	}

	// The surge ends and CloudWatch starts failing: the queue drains, but
	// with the CPU policy's input missing the group must not scale in.
	w.arrivals = 0
	remove := w.em.AddFault(emulator.Fault{Service: emulator.ServiceCloudWatch, Operation: "GetMetricData",
		Status: http.StatusInternalServerError, Code: "InternalServiceError"})
	held := w.desired()
	for range 30 {
		r := w.step()
		if w.desired() < held {
			t.Fatalf("scaled in from %d to %d while CloudWatch failed: %s", held, w.desired(), r.Reason)
		}
		if r.ScaleInBlocked == "" {
			t.Fatalf("scale-in not blocked while CloudWatch failed: %+v", r.Decision)
		}
	}

	// CloudWatch is back: the group scales in, but not before the scale-in
	// window has seen only low recommendations.
	remove()
	var firstIn time.Time
	back := w.clk.Now()
	for range 40 {
		before := w.desired()
		w.step()
		if w.desired() < before && firstIn.IsZero() {
			firstIn = w.clk.Now()
		}
	}
	if firstIn.IsZero() {
		t.Fatalf("never scaled in after the queue drained (desired %d)", w.desired())
	}
	if waited := firstIn.Sub(back); waited < 120*time.Second {
		t.Fatalf("scaled in %s after inputs came back, before the 120 s window", waited)
	}
	if got := w.desired(); got != 1 {
		t.Fatalf("desired %d after a long idle period, want the minimum 1", got)
	}
	checkActions(t, w.em)
}

// checkActions fails when the controller called an AWS action that is not
// in awsapi.Actions, the set the IAM policy grants.
func checkActions(t *testing.T, em *emulator.Server) {
	t.Helper()
	allowed := map[string]bool{}
	for _, a := range awsapi.Actions {
		allowed[a] = true
	}
	seen := map[string]bool{}
	for _, c := range em.Calls() {
		if !strings.Contains(c.UserAgent, "app/"+e2eAppID) {
			continue
		}
		a := awsapi.Action(c.Service, c.Operation)
		seen[a] = true
		if !allowed[a] {
			t.Errorf("the controller called %s, which awsapi.Actions (and so the IAM policy) does not grant", a)
		}
	}
	for _, want := range []string{"autoscaling:DescribeAutoScalingGroups", "autoscaling:SetDesiredCapacity", "cloudwatch:GetMetricData", "sqs:GetQueueAttributes"} {
		if !seen[want] {
			t.Errorf("the controller never called %s: the user agent filter is broken", want)
		}
	}
}

func TestEndToEndUnknownQueueAndGroupAreReportedPerGroup(t *testing.T) {
	w := newWorld(t)
	if err := w.em.SQS.Enqueue("jobs", 100); err != nil {
		t.Fatal(err)
	}
	r := w.step()
	if r.Error != "" {
		t.Fatalf("healthy group reported %q", r.Error)
	}
	// A second config adds a group that does not exist and one whose queue
	// does not exist.
	if _, err := autoscaling.NewFromConfig(w.em.AWSConfig()).CreateAutoScalingGroup(context.Background(), &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("lonely"), MinSize: aws.Int32(1), MaxSize: aws.Int32(3), DesiredCapacity: aws.Int32(2),
	}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(e2eConfig + `
  - name: ghost
    asg: ghost
    min: 1
    max: 3
    policies:
      - name: queue
        backlog:
          acceptable_latency: 60s
          queues:
            - queue: jobs
              seconds_per_message: 1
  - name: lonely
    asg: lonely
    min: 1
    max: 3
    policies:
      - name: queue
        backlog:
          acceptable_latency: 60s
          queues:
            - queue: no-such-queue
              seconds_per_message: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	w.ctrl, err = New(cfg, w.ctrl.deps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := w.ctrl.RunOnce(context.Background(), w.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].Error != "" {
		t.Fatalf("workers affected by ghost: %q", recs[0].Error)
	}
	if want := `auto scaling group "ghost" not found`; recs[1].Error != want {
		t.Fatalf("ghost error = %q, want %q", recs[1].Error, want)
	}
	lonely := recs[2]
	if lonely.Error != "" || len(lonely.Proposals) != 1 || lonely.Proposals[0].OK {
		t.Fatalf("lonely: error %q proposals %+v, want a decision whose queue policy proposed nothing", lonely.Error, lonely.Proposals)
	}
	if lonely.Desired != 2 || lonely.ScaleInBlocked == "" {
		t.Fatalf("lonely: desired %d, scale-in blocked %q; want hold at 2 with scale-in blocked", lonely.Desired, lonely.ScaleInBlocked)
	}
}

// TestEndToEndGuards checks, over the wire, that a group whose Launch
// process is suspended or that runs an instance refresh is not scaled,
// with the reason recorded, and is scaled once the guard lifts.
func TestEndToEndGuards(t *testing.T) {
	tests := []struct {
		name    string
		guard   func(ctx context.Context, c *autoscaling.Client) error
		lift    func(ctx context.Context, w *world, c *autoscaling.Client) error
		skipped string
	}{
		{
			name: "launch suspended",
			guard: func(ctx context.Context, c *autoscaling.Client) error {
				_, err := c.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("workers"), ScalingProcesses: []string{"Launch"}})
				return err
			},
			lift: func(ctx context.Context, _ *world, c *autoscaling.Client) error {
				_, err := c.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String("workers")})
				return err
			},
			skipped: SkipSuspended,
		},
		{
			name: "instance refresh",
			guard: func(ctx context.Context, c *autoscaling.Client) error {
				_, err := c.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("workers")})
				return err
			},
			lift: func(_ context.Context, w *world, _ *autoscaling.Client) error {
				return w.em.AutoScaling.CompleteInstanceRefresh("workers")
			},
			skipped: SkipInstanceRefresh,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			client := autoscaling.NewFromConfig(w.em.AWSConfig())
			if err := tc.guard(ctx, client); err != nil {
				t.Fatal(err)
			}
			if err := w.em.SQS.Enqueue("jobs", 3000); err != nil {
				t.Fatal(err)
			}
			r := w.step()
			if r.Desired <= 1 || r.Acted || r.Skipped != tc.skipped {
				t.Fatalf("decided %d, acted %v, skipped %q; want a scale-out decision skipped for %q", r.Desired, r.Acted, r.Skipped, tc.skipped)
			}
			if got := w.desired(); got != 1 {
				t.Fatalf("desired capacity changed to %d under the guard", got)
			}
			if err := tc.lift(ctx, w, client); err != nil {
				t.Fatal(err)
			}
			if r := w.step(); !r.Acted || w.desired() <= 1 {
				t.Fatalf("not scaled once the guard lifted: acted %v, desired %d, skipped %q, err %q", r.Acted, w.desired(), r.Skipped, r.Error)
			}
		})
	}
}
