package controller

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/source"
)

// BenchmarkCycle runs whole cycles against the in-process emulator over
// loopback HTTP with the real SDK clients. Each group has two CloudWatch
// queries and one queue. Besides ns/op it reports the AWS calls one cycle
// makes; the CloudWatch and Auto Scaling counts must equal the APIs' lower
// bounds (500 queries per GetMetricData, 100 groups per
// DescribeAutoScalingGroups).
func BenchmarkCycle(b *testing.B) {
	for _, n := range []int{100, 2000} {
		b.Run(fmt.Sprintf("groups=%d", n), func(b *testing.B) {
			benchCycle(b, n)
		})
	}
}

func benchCycle(b *testing.B, groups int) {
	clk := clock.NewFake(t0)
	em := emulator.StartTest(b, clk)
	em.AutoScaling.SetGroupLimit(groups) // AWS's default quota is 500 per Region
	awsCfg := em.AWSConfig()
	ctx := context.Background()
	asgClient := autoscaling.NewFromConfig(awsCfg)
	sqsClient := sqs.NewFromConfig(awsCfg)

	var yaml strings.Builder
	yaml.WriteString("interval: 10s\nsqs_concurrency: 16\ngroups:\n")
	for i := range groups {
		name := fmt.Sprintf("g%04d", i)
		queue := "q-" + name
		if _, err := asgClient.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(name), MinSize: aws.Int32(2), MaxSize: aws.Int32(50), DesiredCapacity: aws.Int32(2),
		}); err != nil {
			b.Fatal(err)
		}
		if _, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue)}); err != nil {
			b.Fatal(err)
		}
		for _, m := range []string{"CPUUtilization", "NetworkIn"} {
			for k := range 5 {
				em.CloudWatch.Put("AWS/EC2", m, map[string]string{"AutoScalingGroupName": name}, t0.Add(-time.Duration(k+1)*time.Minute), 50)
			}
		}
		fmt.Fprintf(&yaml, `  - name: %[1]s
    asg: %[1]s
    min: 2
    max: 50
    warmup: 0s
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, dimensions: {AutoScalingGroupName: %[1]s}, stat: Average}
          target: 50
      - name: net
        target_tracking:
          metric: {namespace: AWS/EC2, name: NetworkIn, dimensions: {AutoScalingGroupName: %[1]s}, stat: Average}
          target: 50
      - name: queue
        backlog:
          acceptable_latency: 60s
          queues:
            - {queue: %[2]s, seconds_per_message: 1}
`, name, queue)
	}
	cfg, err := config.Parse([]byte(yaml.String()))
	if err != nil {
		b.Fatal(err)
	}
	clk.Advance(2 * time.Minute) // let the instances launch
	actuator := asg.New(asgClient, clk)
	ctrl, err := New(cfg, Deps{
		Groups: actuator, Scaler: actuator,
		Metrics: source.NewCloudWatch(cloudwatch.NewFromConfig(awsCfg)),
		Queues:  source.NewSQS(sqsClient, clk, cfg.SQSConcurrency),
		Clock:   clk,
	}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	// One warm-up cycle resolves queue URLs (GetQueueUrl is cached after).
	if _, err := ctrl.RunOnce(ctx, clk.Now()); err != nil {
		b.Fatal(err)
	}
	em.ResetCounts()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		recs, err := ctrl.RunOnce(ctx, clk.Now())
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if r.Error != "" || r.Acted {
				b.Fatalf("%s: error %q acted %v: an idle benchmark group must hold", r.Group, r.Error, r.Acted)
			}
		}
	}
	b.StopTimer()
	per := func(service string) float64 { return float64(em.Count(service, "")) / float64(b.N) }
	b.ReportMetric(per(emulator.ServiceCloudWatch), "cw_calls/cycle")
	b.ReportMetric(per(emulator.ServiceAutoScaling), "asg_calls/cycle")
	b.ReportMetric(per(emulator.ServiceSQS), "sqs_calls/cycle")
}
