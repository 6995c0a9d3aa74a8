package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

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
	fleet := emulator.Fleet{Groups: groups}
	if err := fleet.Seed(em, t0); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse([]byte(fleet.Config("127.0.0.1:0")))
	if err != nil {
		b.Fatal(err)
	}
	awsCfg := em.AWSConfig()
	ctx := context.Background()
	clk.Advance(time.Minute)
	actuator := asg.New(autoscaling.NewFromConfig(awsCfg), clk)
	ctrl, err := New(cfg, Deps{
		Groups: actuator, Scaler: actuator,
		Metrics: source.NewCloudWatch(cloudwatch.NewFromConfig(awsCfg)),
		Queues:  source.NewSQS(sqs.NewFromConfig(awsCfg), clk, cfg.SQSConcurrency),
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
