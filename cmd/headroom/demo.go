package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

// The demo's world: one group of reward-dispatch workers reading one queue.
// Each serving instance handles demoPerInstance messages a second; the
// queue receives demoBaseRate a second with a campaign burst of
// demoBurstRate for demoBurstLength every demoPeriod.
const (
	demoASG         = "reward-workers"
	demoQueue       = "reward-dispatch"
	demoPerInstance = 20.0
	demoBaseRate    = 30.0
	demoBurstRate   = 300.0
	demoBurstLength = 90 * time.Second
	demoPeriod      = 6 * time.Minute
	demoFirstBurst  = 45 * time.Second
	demoLaunchTime  = 20 * time.Second
)

// demoConfig is the config the demo runs; it is parsed and validated like
// any file.
const demoConfig = `
interval: 2s
jitter: 200ms
call_timeout: 1500ms
listen: %q
groups:
  - name: reward-workers
    asg: reward-workers
    min: 1
    max: 30
    warmup: 5s
    scale_in_window: 60s
    max_age: 30s
    policies:
      - name: queue
        backlog:
          mode: rate
          acceptable_latency: 20s
          target_utilization: 0.8
          queues:
            - queue: reward-dispatch
              seconds_per_message: 0.25
              concurrency: 5
      - name: cpu
        target_tracking:
          metric:
            namespace: AWS/EC2
            name: CPUUtilization
            dimensions: {AutoScalingGroupName: reward-workers}
            stat: Average
          period: 10s
          target: 70
`

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	listen := fs.String("listen", "127.0.0.1:9464", "address for /metrics, /healthz and /readyz")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	var lf logFlags
	fs.StringVar(&lf.format, "log-format", "text", "log format: json or text")
	fs.StringVar(&lf.level, "log-level", "info", "log level: debug, info, warn, error")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	log, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 2
	}
	cfg, err := config.Parse(fmt.Appendf(nil, demoConfig, *listen))
	if err != nil {
		fmt.Fprintln(stderr, "headroom demo: built-in config:", err)
		return 1
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	clk := clock.Real()
	em := emulator.New(clk)
	em.AutoScaling.SetLaunchTime(demoLaunchTime)
	url, err := em.Start("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 1
	}
	defer em.Close()

	m := telemetry.NewMetrics()
	awsCfg := em.AWSConfig()
	awsapi.Instrument(&awsCfg, m, cfg.CallTimeout.Std())
	if err := demoSetup(ctx, awsCfg); err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Headroom demo: AWS emulator on %s; metrics on http://%s/metrics\n", url, *listen)
	fmt.Fprintf(stdout, "Group %q reads queue %q: %g msg/s, with a burst of %g msg/s for %s every %s; each instance handles %g msg/s and launches in %s.\n",
		demoASG, demoQueue, demoBaseRate, demoBurstRate, demoBurstLength, demoPeriod, demoPerInstance, demoLaunchTime)
	fmt.Fprintln(stdout, "Every decision is one log line. Ctrl-C stops.")

	go demoWorld(ctx, em, clk, log)
	if err := serve(ctx, cfg, awsCfg, clk, log, m); err != nil {
		fmt.Fprintln(stderr, "headroom demo:", err)
		return 1
	}
	return 0
}

// demoSetup creates the demo's group and queue through the real SDK.
func demoSetup(ctx context.Context, cfg aws.Config) error {
	_, err := autoscaling.NewFromConfig(cfg).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(demoASG),
		MinSize:              aws.Int32(1),
		MaxSize:              aws.Int32(30),
		DesiredCapacity:      aws.Int32(1),
	})
	if err != nil {
		return fmt.Errorf("create group %q: %w", demoASG, err)
	}
	if _, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(demoQueue)}); err != nil {
		return fmt.Errorf("create queue %q: %w", demoQueue, err)
	}
	return nil
}

// demoRate is the arrival rate at elapsed time t.
func demoRate(t time.Duration) float64 {
	if t < demoFirstBurst {
		return demoBaseRate
	}
	if (t-demoFirstBurst)%demoPeriod < demoBurstLength {
		return demoBurstRate
	}
	return demoBaseRate
}

// demoWorld moves the demo's world once a second: messages arrive, serving
// instances work them off, and EC2 CPU utilization is published.
func demoWorld(ctx context.Context, em *emulator.Server, clk clock.Clock, log interface {
	Info(string, ...any)
}) {
	start := clk.Now()
	tick := clk.NewTicker(time.Second)
	defer tick.Stop()
	var carry float64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.Chan():
			rate := demoRate(now.Sub(start))
			carry += rate
			n := int(math.Floor(carry))
			carry -= float64(n)
			if err := em.SQS.Enqueue(demoQueue, n); err != nil {
				log.Info("demo load stopped", "err", err)
				return
			}
			serving := 0
			if g, ok := em.AutoScaling.Group(demoASG); ok {
				serving = g.InService()
			}
			capacity := float64(serving) * demoPerInstance
			done := em.SQS.Consume(demoQueue, int(capacity))
			cpu := 100.0
			if capacity > 0 {
				cpu = math.Min(100, 100*float64(done)/capacity)
			}
			em.CloudWatch.Put("AWS/EC2", "CPUUtilization", map[string]string{"AutoScalingGroupName": demoASG}, now, cpu)
		}
	}
}
