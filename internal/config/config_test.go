package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/source"
)

const examplePath = "../../docs/examples/headroom.yaml"

// valid is a configuration that uses every kind of policy and both ways
// of naming a metric; the rule tests break it one key at a time.
const valid = `
interval: 10s
groups:
  - name: workers
    asg: workers-prod
    min: 2
    max: 20
    policies:
      - name: cpu
        target_tracking:
          metric:
            namespace: AWS/EC2
            name: CPUUtilization
            dimensions: {AutoScalingGroupName: workers-prod}
            stat: Average
          target: 60
      - name: queue
        backlog:
          acceptable_latency: 60s
          queues:
            - queue: jobs
              seconds_per_message: 0.5
      - name: errors
        step:
          metric: {namespace: App, name: Errors, stat: Sum}
          threshold: 80
          comparison: GreaterThanOrEqualToThreshold
          evaluation_periods: 3
          datapoints_to_alarm: 2
          adjustment_type: ChangeInCapacity
          steps:
            - {lower: 0, upper: 20, adjustment: 1}
            - {lower: 20, adjustment: 3}
  - name: api
    asg: api-prod
    min: 1
    max: 10
    policies:
      - name: rps
        target_tracking:
          queries:
            - id: requests
              metric: {namespace: AWS/ApplicationELB, name: RequestCount, stat: Sum}
            - id: healthy
              metric: {namespace: AWS/ApplicationELB, name: HealthyHostCount, stat: Average}
          expression: "requests / healthy / 60"
          target: 50
      - name: backlog
        backlog:
          mode: per_instance
          queues:
            - queue: https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo
              target_per_instance: 100
      - name: idle
        step:
          metric: {namespace: App, name: Busy, stat: p90}
          threshold: 20
          comparison: LessThanThreshold
          evaluation_periods: 5
          adjustment_type: PercentChangeInCapacity
          min_adjustment_magnitude: 1
          steps:
            - {upper: -10, adjustment: -20}
            - {lower: -10, upper: 0, adjustment: -10}
`

func mustParse(t *testing.T, doc string) *Config {
	t.Helper()
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	if err == nil {
		t.Fatal("got no error, want problems")
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	return ps
}

func ptr[T any](v T) *T { return &v }

func TestExampleParses(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(c.Groups) != 2 {
		t.Fatalf("got %d groups, want 2", len(c.Groups))
	}
	kinds := func(g Group) []policy.Kind {
		var ks []policy.Kind
		for _, p := range g.Policies {
			ks = append(ks, p.Kind())
		}
		return ks
	}
	if got, want := kinds(c.Groups[0]), []policy.Kind{policy.KindBacklog, policy.KindTargetTracking}; !reflect.DeepEqual(got, want) {
		t.Errorf("group 0 kinds = %v, want %v", got, want)
	}
	if got, want := kinds(c.Groups[1]), []policy.Kind{policy.KindTargetTracking, policy.KindStep}; !reflect.DeepEqual(got, want) {
		t.Errorf("group 1 kinds = %v, want %v", got, want)
	}
	if e := c.Groups[1].Policies[0].TargetTracking.Expression; e == "" {
		t.Error("group 1's target tracking has no expression; the example must show metric math")
	}
	// The example writes one limit as a bare number and one as a string.
	p := c.Groups[0].Policy()
	if p.MaxScaleInStep != (policy.RateLimit{Value: 2}) || p.MaxScaleOutStep != (policy.RateLimit{Value: 50, Percent: true}) {
		t.Errorf("rate limits = %+v / %+v", p.MaxScaleOutStep, p.MaxScaleInStep)
	}
}

func TestValidPasses(t *testing.T) {
	c := mustParse(t, valid)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate after Parse: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, `
groups:
  - asg: workers
    max: 5
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}
          target: 60
      - name: queue
        backlog:
          acceptable_latency: 30s
          queues: [{queue: jobs, seconds_per_message: 1}]
      - name: errors
        step:
          metric: {namespace: App, name: Errors, stat: Sum}
          threshold: 1
          comparison: GreaterThanThreshold
          evaluation_periods: 4
          adjustment_type: ChangeInCapacity
          steps: [{lower: 0, adjustment: 1}]
  - asg: only-queues
    max: 5
    fallback_capacity: 2
    policies:
      - name: queue
        backlog:
          mode: per_instance
          queues: [{queue: other, target_per_instance: 10}]
`)
	checks := []struct {
		name      string
		got, want any
	}{
		{"region", c.Region, ""},
		{"interval", c.Interval, Duration(10 * time.Second)},
		{"jitter", c.Jitter, Duration(time.Second)},
		{"call_timeout", c.CallTimeout, Duration(4 * time.Second)},
		{"listen", c.Listen, ":9464"},
		{"sqs_concurrency", c.SQSConcurrency, 16},
		{"history", c.History, 1},
		{"aws.autoscaling_write_rate", c.AWS.AutoScalingWriteRate, Rate("2/s")},
		{"aws.autoscaling_write_burst", c.AWS.AutoScalingWriteBurst, 20},
		{"aws.max_attempts", c.AWS.MaxAttempts, 3},
		{"aws write budget per second", c.AWS.WritesPerSecond(), 2.0},
		{"groups[0].name", c.Groups[0].Name, "workers"},
		{"groups[0].min", c.Groups[0].Min, 0},
		{"groups[0].warmup", c.Groups[0].Warmup, Duration(300 * time.Second)},
		{"groups[0].raise_warm_pool", c.Groups[0].RaiseWarmPool, true},
		{"groups[0].scale_in_window", c.Groups[0].ScaleInWindow, Duration(300 * time.Second)},
		{"groups[0].max_age", c.Groups[0].MaxAge, Duration(180 * time.Second)},
		{"groups[0].max_scale_out_step", c.Groups[0].MaxScaleOutStep, RateLimit("")},
		{"groups[0].fallback_after", c.Groups[0].FallbackAfter, 0},
		{"period", c.Groups[0].Policies[0].TargetTracking.Period, Duration(60 * time.Second)},
		{"tolerance", c.Groups[0].Policies[0].TargetTracking.Tolerance, 0.1},
		{"mode", c.Groups[0].Policies[1].Backlog.Mode, policy.ModeRate},
		{"target_utilization", c.Groups[0].Policies[1].Backlog.TargetUtilization, 1.0},
		{"budget", c.Groups[0].Policies[1].Backlog.Budget, 1.0},
		{"drain_factor", c.Groups[0].Policies[1].Backlog.DrainFactor, 1.0},
		{"refill_slack", c.Groups[0].Policies[1].Backlog.RefillSlack, 0.12},
		{"jump_factor", c.Groups[0].Policies[1].Backlog.JumpFactor, 3.0},
		{"arrival_smoothing", c.Groups[0].Policies[1].Backlog.ArrivalSmoothing, Duration(0)},
		{"jump_memory", c.Groups[0].Policies[1].Backlog.JumpMemory, Duration(15 * time.Minute)},
		{"hysteresis", c.Groups[0].Hysteresis, Hysteresis{ScaleIn: 0.1, ScaleOut: 0.1}},
		{"concurrency", c.Groups[0].Policies[1].Backlog.Queues[0].Concurrency, 1},
		{"count_in_flight", c.Groups[0].Policies[1].Backlog.Queues[0].CountInFlight, true},
		{"count_delayed", c.Groups[0].Policies[1].Backlog.Queues[0].CountDelayed, false},
		{"step period", c.Groups[0].Policies[2].Step.Period, Duration(60 * time.Second)},
		{"datapoints_to_alarm", c.Groups[0].Policies[2].Step.DatapointsToAlarm, 4},
		{"groups[1].max_age (3 x interval without metrics)", c.Groups[1].MaxAge, Duration(30 * time.Second)},
		{"groups[1].fallback_after", c.Groups[1].FallbackAfter, 6},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestDerivedDefaults(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		got  func(*Config) any
		want any
	}{
		{
			name: "call_timeout is half a short interval",
			doc:  "interval: 4s\n" + minimalGroup,
			got:  func(c *Config) any { return c.CallTimeout },
			want: Duration(2 * time.Second),
		},
		{
			name: "call_timeout is a quarter of a short lease TTL",
			doc:  "lease: {ttl: 6s}\n" + minimalGroup,
			got:  func(c *Config) any { return c.CallTimeout },
			want: Duration(1500 * time.Millisecond),
		},
		{
			name: "call_timeout keeps its default under a long lease TTL",
			doc:  "lease: {ttl: 1m}\n" + minimalGroup,
			got:  func(c *Config) any { return c.CallTimeout },
			want: Duration(4 * time.Second),
		},
		{
			name: "jitter is a tenth of interval",
			doc:  "interval: 30s\n" + minimalGroup,
			got:  func(c *Config) any { return c.Jitter },
			want: Duration(3 * time.Second),
		},
		{
			name: "max_age is at least three intervals",
			doc:  "interval: 30s\n" + strings.Replace(minimalGroup, "target: 60", "target: 60\n          period: 10s", 1),
			got:  func(c *Config) any { return c.Groups[0].MaxAge },
			want: Duration(90 * time.Second),
		},
		{
			name: "max_age is three of the longest period",
			doc:  strings.Replace(minimalGroup, "target: 60", "target: 60\n          period: 300s", 1),
			got:  func(c *Config) any { return c.Groups[0].MaxAge },
			want: Duration(900 * time.Second),
		},
		{
			name: "explicit zero jitter stays zero",
			doc:  "jitter: 0s\n" + minimalGroup,
			got:  func(c *Config) any { return c.Jitter },
			want: Duration(0),
		},
		{
			name: "null means the default",
			doc:  "interval: ~\n" + minimalGroup,
			got:  func(c *Config) any { return c.Interval },
			want: Duration(DefaultInterval),
		},
		{
			name: "explicit zero tolerance stays zero",
			doc:  strings.Replace(minimalGroup, "target: 60", "target: 60\n          tolerance: 0", 1),
			got:  func(c *Config) any { return c.Groups[0].Policies[0].TargetTracking.Tolerance },
			want: 0.0,
		},
		{
			name: "explicit zero warmup stays zero",
			doc:  strings.Replace(minimalGroup, "max: 5", "max: 5\n    warmup: 0s", 1),
			got:  func(c *Config) any { return c.Groups[0].Warmup },
			want: Duration(0),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.doc)
			if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

const minimalGroup = `
groups:
  - asg: workers
    max: 5
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}
          target: 60
`

func TestExplicitZeroIsValidated(t *testing.T) {
	// A key written as zero is not replaced by its default: it is checked.
	tests := []struct {
		name, doc, field string
	}{
		{"interval", "interval: 0s\njitter: 0s\ncall_timeout: 1ns\n" + minimalGroup, "interval"},
		{"sqs_concurrency", "sqs_concurrency: 0\n" + minimalGroup, "sqs_concurrency"},
		{"target_utilization", `
groups:
  - asg: w
    max: 5
    policies:
      - name: q
        backlog:
          acceptable_latency: 10s
          target_utilization: 0
          queues: [{queue: jobs, seconds_per_message: 1}]
`, "groups[0].policies[0].backlog.target_utilization"},
		{"scale_in_window", strings.Replace(minimalGroup, "max: 5", "max: 5\n    scale_in_window: 0s", 1), "groups[0].scale_in_window"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Field != tc.field {
				t.Fatalf("got %v, want one problem at %s", ps, tc.field)
			}
		})
	}
}

func TestRaiseWarmPoolFalseKept(t *testing.T) {
	c := mustParse(t, `
groups:
  - asg: w
    max: 5
    raise_warm_pool: false
    policies:
      - name: q
        backlog:
          acceptable_latency: 10s
          queues: [{queue: jobs, seconds_per_message: 1}]
`)
	if c.Groups[0].RaiseWarmPool {
		t.Error("raise_warm_pool: false read as true")
	}
}

func TestPredictive(t *testing.T) {
	const group = `
groups:
  - asg: w
    max: 5
%s    policies:
      - name: q
        backlog:
          acceptable_latency: 10s
          queues: [{queue: jobs, seconds_per_message: 1}]
`
	tests := []struct {
		name  string
		block string
		want  *Predictive
	}{
		{"absent is off", "", nil},
		{"defaults", "    predictive: {mode: floor}\n", &Predictive{Mode: PredictiveFloor, Quantile: DefaultPredictiveQuantile}},
		{"every key", "    predictive: {mode: forecast_only, lead: 20m, quantile: 0.75, max_floor: 4}\n",
			&Predictive{Mode: PredictiveForecastOnly, Lead: Duration(20 * time.Minute), Quantile: 0.75, MaxFloor: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, fmt.Sprintf(group, tc.block))
			if got := c.Groups[0].Predictive; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("predictive = %+v, want %+v", got, tc.want)
			}
		})
	}
	// An explicit zero quantile is refused, not replaced by the default.
	_, err := Parse([]byte(fmt.Sprintf(group, "    predictive: {mode: floor, quantile: 0}\n")))
	if err == nil || !strings.Contains(err.Error(), "groups[0].predictive.quantile: must be in (0,1)") {
		t.Errorf("quantile 0: err = %v, want groups[0].predictive.quantile: must be in (0,1)", err)
	}
}

func TestCountInFlightFalseKept(t *testing.T) {
	c := mustParse(t, `
groups:
  - asg: w
    max: 5
    policies:
      - name: q
        backlog:
          acceptable_latency: 10s
          queues: [{queue: jobs, seconds_per_message: 1, count_in_flight: false, count_delayed: true}]
`)
	q := c.Groups[0].Policies[0].Backlog.Queues[0]
	if q.CountInFlight || !q.CountDelayed {
		t.Errorf("count_in_flight=%v count_delayed=%v, want false true", q.CountInFlight, q.CountDelayed)
	}
}

func TestRules(t *testing.T) {
	g0 := "groups[0]"
	tt0 := "groups[0].policies[0].target_tracking"
	bl0 := "groups[0].policies[1].backlog"
	st0 := "groups[0].policies[2].step"
	tt1 := "groups[1].policies[0].target_tracking"
	bl1 := "groups[1].policies[1].backlog"
	st1 := "groups[1].policies[2].step"
	tracking := func(c *Config) *TargetTracking { return c.Groups[0].Policies[0].TargetTracking }
	mathTT := func(c *Config) *TargetTracking { return c.Groups[1].Policies[0].TargetTracking }
	backlog := func(c *Config) *Backlog { return c.Groups[0].Policies[1].Backlog }
	perInstance := func(c *Config) *Backlog { return c.Groups[1].Policies[1].Backlog }
	step := func(c *Config) *Step { return c.Groups[0].Policies[2].Step }
	below := func(c *Config) *Step { return c.Groups[1].Policies[2].Step }
	bounds := func(lower, upper *float64, adj int) StepAdjustment {
		return StepAdjustment{Lower: lower, Upper: upper, Adjustment: adj}
	}
	f := ptr[float64]

	tests := []struct {
		name   string
		mutate func(*Config)
		field  string
		reason string // a part of the reason
	}{
		// The whole file.
		{"at least one group", func(c *Config) { c.Groups = nil }, "groups", "at least one group"},
		{"region syntax", func(c *Config) { c.Region = "EU West" }, "region", "not an AWS region"},
		{"interval too short", func(c *Config) {
			c.Interval = Duration(500 * time.Millisecond)
			c.Jitter, c.CallTimeout = 0, Duration(100*time.Millisecond)
		}, "interval", "at least 1s"},
		{"interval too long", func(c *Config) { c.Interval = Duration(2 * time.Hour) }, "interval", "at most 1h"},
		{"jitter negative", func(c *Config) { c.Jitter = -1 }, "jitter", ">= 0"},
		{"jitter not below interval", func(c *Config) { c.Jitter = c.Interval }, "jitter", "shorter than interval"},
		{"call_timeout zero", func(c *Config) { c.CallTimeout = 0 }, "call_timeout", "> 0"},
		{"aws write rate syntax", func(c *Config) { c.AWS.AutoScalingWriteRate = "2 per second" }, "aws.autoscaling_write_rate", "whole number of writes per s, m or h"},
		{"aws write rate zero", func(c *Config) { c.AWS.AutoScalingWriteRate = "0/s" }, "aws.autoscaling_write_rate", "whole number"},
		{"aws write burst zero", func(c *Config) { c.AWS.AutoScalingWriteBurst = 0 }, "aws.autoscaling_write_burst", "between 1 and 10000"},
		{"aws max attempts zero", func(c *Config) { c.AWS.MaxAttempts = 0 }, "aws.max_attempts", "between 1 and 10"},
		{"call_timeout not below interval", func(c *Config) { c.CallTimeout = Duration(11 * time.Second) }, "call_timeout", "shorter than interval"},
		{"call_timeout not below a third of the lease TTL", func(c *Config) { c.CallTimeout = Duration(5 * time.Second) }, "call_timeout", "below a third of lease.ttl (5s)"},
		{"call_timeout not below a third of a short lease TTL", func(c *Config) {
			c.Lease.TTL, c.CallTimeout = Duration(3*time.Second), Duration(time.Second)
		}, "call_timeout", "below a third of lease.ttl (1s)"},
		{"listen without port", func(c *Config) { c.Listen = "localhost" }, "listen", "host:port"},
		{"listen port out of range", func(c *Config) { c.Listen = ":99999" }, "listen", "0 to 65535"},
		{"listen port not a number", func(c *Config) { c.Listen = "127.0.0.1:http" }, "listen", "0 to 65535"},
		{"sqs_concurrency above 256", func(c *Config) { c.SQSConcurrency = 257 }, "sqs_concurrency", "between 1 and 256"},
		{"sqs_concurrency zero", func(c *Config) { c.SQSConcurrency = 0 }, "sqs_concurrency", "between 1 and 256"},
		{"history zero", func(c *Config) { c.History = 0 }, "history", "between 1"},
		{"unique group names", func(c *Config) { c.Groups[1].Name = "workers" }, "groups[1].name", "already the name of groups[0]"},
		{"unique asg names", func(c *Config) { c.Groups[1].ASG = "workers-prod" }, "groups[1].asg", "already managed by groups[0]"},

		// A group.
		{"asg required", func(c *Config) { c.Groups[0].ASG = "" }, g0 + ".asg", "required"},
		{"asg too long", func(c *Config) { c.Groups[0].ASG = strings.Repeat("a", 256) }, g0 + ".asg", "1 to 255"},
		{"group name characters", func(c *Config) { c.Groups[0].Name = "web/1" }, g0 + ".name", "letters, digits"},
		{"min non-negative", func(c *Config) { c.Groups[0].Min = -1 }, g0 + ".min", ">= 0"},
		{"max required", func(c *Config) { c.Groups[0].Max, c.Groups[0].Min = 0, 0 }, g0 + ".max", "required"},
		{"max at most 10000", func(c *Config) { c.Groups[0].Max = 10001 }, g0 + ".max", "at most 10000"},
		{"min <= max", func(c *Config) { c.Groups[0].Min = 21 }, g0 + ".max", ">= min (21)"},
		{"warmup non-negative", func(c *Config) { c.Groups[0].Warmup = -1 }, g0 + ".warmup", ">= 0"},
		{"warmup at most a day", func(c *Config) { c.Groups[0].Warmup = Duration(25 * time.Hour) }, g0 + ".warmup", "at most 24h"},
		{"scale_in_window positive", func(c *Config) { c.Groups[0].ScaleInWindow = 0 }, g0 + ".scale_in_window", "> 0"},
		{"max_age positive", func(c *Config) { c.Groups[0].MaxAge = 0 }, g0 + ".max_age", "> 0"},
		{"max_age longer than the longest period", func(c *Config) { c.Groups[0].MaxAge = Duration(time.Minute) }, g0 + ".max_age", "longest metric period"},
		{"max_scale_out_step syntax", func(c *Config) { c.Groups[0].MaxScaleOutStep = "lots" }, g0 + ".max_scale_out_step", "positive whole number"},
		{"max_scale_out_step positive", func(c *Config) { c.Groups[0].MaxScaleOutStep = "0" }, g0 + ".max_scale_out_step", "positive"},
		{"max_scale_out_step percent positive", func(c *Config) { c.Groups[0].MaxScaleOutStep = "-5%" }, g0 + ".max_scale_out_step", "percentage"},
		{"max_scale_out_step whole instances", func(c *Config) { c.Groups[0].MaxScaleOutStep = "1.5" }, g0 + ".max_scale_out_step", "whole number"},
		{"max_scale_in_step at most 100%", func(c *Config) { c.Groups[0].MaxScaleInStep = "150%" }, g0 + ".max_scale_in_step", "at most 100%"},
		{"fallback_capacity within bounds", func(c *Config) { c.Groups[0].FallbackCapacity, c.Groups[0].FallbackAfter = 30, 6 }, g0 + ".fallback_capacity", "within min and max"},
		{"fallback_capacity below min", func(c *Config) { c.Groups[0].FallbackCapacity, c.Groups[0].FallbackAfter = 1, 6 }, g0 + ".fallback_capacity", "within min and max"},
		{"fallback_capacity non-negative", func(c *Config) { c.Groups[0].FallbackCapacity = -1 }, g0 + ".fallback_capacity", ">= 0"},
		{"fallback_after at least one", func(c *Config) { c.Groups[0].FallbackCapacity = 5 }, g0 + ".fallback_after", "at least 1"},
		{"fallback_after needs fallback_capacity", func(c *Config) { c.Groups[0].FallbackAfter = 3 }, g0 + ".fallback_after", "only applies"},
		{"at least one policy", func(c *Config) { c.Groups[0].Policies = nil }, g0 + ".policies", "at least one policy"},
		{"unique policy names", func(c *Config) { c.Groups[0].Policies[1].Name = "cpu" }, g0 + ".policies[1].name", "already the name of policies[0]"},
		{"policy name required", func(c *Config) { c.Groups[0].Policies[1].Name = "" }, g0 + ".policies[1].name", "required"},
		{"policy name characters", func(c *Config) { c.Groups[0].Policies[0].Name = "CPU" }, g0 + ".policies[0].name", "a-z"},
		{"a policy kind is required", func(c *Config) { c.Groups[0].Policies[0].TargetTracking = nil }, g0 + ".policies[0]", "one of target_tracking, backlog or step"},
		{"only one policy kind", func(c *Config) { c.Groups[0].Policies[0].Backlog = c.Groups[0].Policies[1].Backlog }, g0 + ".policies[0]", "exactly one"},

		// Target tracking.
		{"target positive", func(c *Config) { tracking(c).Target = 0 }, tt0 + ".target", "> 0"},
		{"target finite", func(c *Config) { tracking(c).Target = math.NaN() }, tt0 + ".target", "> 0"},
		{"tolerance below 1", func(c *Config) { tracking(c).Tolerance = 1 }, tt0 + ".tolerance", "< 1"},
		{"tolerance non-negative", func(c *Config) { tracking(c).Tolerance = -0.1 }, tt0 + ".tolerance", ">= 0"},
		{"metric or queries required", func(c *Config) { tracking(c).Metric = nil }, tt0 + ".metric", "required"},
		{"not both metric and queries", func(c *Config) { mathTT(c).Metric = tracking(c).Metric }, tt1 + ".metric", "not both"},
		{"expression required with queries", func(c *Config) { mathTT(c).Expression = "" }, tt1 + ".expression", "required with queries"},
		{"queries required with expression", func(c *Config) {
			tracking(c).Expression = "m1 * 2"
			tracking(c).Metric = nil
		}, tt0 + ".queries", "required with expression"},
		{"query id rule", func(c *Config) {
			mathTT(c).Queries[0].ID = "Requests"
			mathTT(c).Expression = "Requests / healthy"
		}, tt1 + ".queries[0].id", "lowercase letter"},
		{"query id required", func(c *Config) {
			mathTT(c).Queries[1].ID = ""
			mathTT(c).Expression = "requests"
		}, tt1 + ".queries[1].id", "required"},
		{"query ids unique", func(c *Config) {
			mathTT(c).Queries[1].ID = "requests"
			mathTT(c).Expression = "requests"
		}, tt1 + ".queries[1].id", "already the id of queries[0]"},
		{"query metric required", func(c *Config) { mathTT(c).Queries[0].Metric = nil }, tt1 + ".queries[0].metric", "required"},
		{"expression refers to known ids", func(c *Config) { mathTT(c).Expression = "requests / healthy / instances" }, tt1 + ".expression", `"instances" is not the id`},
		{"every query is used", func(c *Config) { mathTT(c).Expression = "requests / 60" }, tt1 + ".queries[1].id", "not used"},
		{"expression parses", func(c *Config) { mathTT(c).Expression = "requests / (healthy" }, tt1 + ".expression", `missing ")"`},
		{"expression is arithmetic", func(c *Config) { mathTT(c).Expression = "SUM(METRICS())" }, tt1 + ".expression", "functions are not supported"},
		{"expression length", func(c *Config) { mathTT(c).Expression = "requests / healthy" + strings.Repeat(" ", 2048) }, tt1 + ".expression", "at most 2048"},
		{"at most 10 queries", func(c *Config) {
			var ids []string
			for i := range 11 {
				id := "m" + string(rune('a'+i))
				ids = append(ids, id)
				mathTT(c).Queries = append(mathTT(c).Queries, Query{ID: id, Metric: &Metric{Namespace: "N", Name: "M", Stat: "Sum"}})
			}
			mathTT(c).Expression = "requests / healthy + " + strings.Join(ids, " + ")
		}, tt1 + ".queries", "at most 10"},
		{"period rule: 45s", func(c *Config) { tracking(c).Period = Duration(45 * time.Second) }, tt0 + ".period", "multiple of 60s"},
		{"period rule: 90s", func(c *Config) { tracking(c).Period = Duration(90 * time.Second) }, tt0 + ".period", "multiple of 60s"},
		{"period rule: whole seconds", func(c *Config) { tracking(c).Period = Duration(1500 * time.Millisecond) }, tt0 + ".period", "multiple of 60s"},
		{"period rule: positive", func(c *Config) { tracking(c).Period = 0 }, tt0 + ".period", "multiple of 60s"},
		{"period rule: at most a day", func(c *Config) {
			tracking(c).Period = Duration(48 * time.Hour)
			c.Groups[0].MaxAge = Duration(24 * time.Hour)
		}, tt0 + ".period", "at most 24h"},
		{"stat name", func(c *Config) { tracking(c).Metric.Stat = "avg" }, tt0 + ".metric.stat", "must be Average"},
		{"stat required", func(c *Config) { tracking(c).Metric.Stat = "" }, tt0 + ".metric.stat", "required"},
		{"percentile at most 100", func(c *Config) { tracking(c).Metric.Stat = "p101" }, tt0 + ".metric.stat", "p0 to p100"},
		{"percentile two decimals", func(c *Config) { tracking(c).Metric.Stat = "p99.999" }, tt0 + ".metric.stat", "two decimals"},
		{"unit name", func(c *Config) { tracking(c).Metric.Unit = "percent" }, tt0 + ".metric.unit", "not a CloudWatch unit"},
		{"namespace required", func(c *Config) { tracking(c).Metric.Namespace = "" }, tt0 + ".metric.namespace", "required"},
		{"metric name required", func(c *Config) { tracking(c).Metric.Name = "" }, tt0 + ".metric.name", "required"},
		{"dimension value required", func(c *Config) { tracking(c).Metric.Dimensions["AutoScalingGroupName"] = "" }, tt0 + ".metric.dimensions.AutoScalingGroupName", "1 to 1024"},
		{"at most 30 dimensions", func(c *Config) {
			for i := range 31 {
				tracking(c).Metric.Dimensions[strings.Repeat("d", i+2)] = "v"
			}
		}, tt0 + ".metric.dimensions", "at most 30"},

		// Backlog.
		{"mode name", func(c *Config) { backlog(c).Mode = "fast" }, bl0 + ".mode", `must be "rate" or "per_instance"`},
		{"acceptable_latency required in rate mode", func(c *Config) { backlog(c).AcceptableLatency = 0 }, bl0 + ".acceptable_latency", "> 0"},
		{"acceptable_latency positive", func(c *Config) { perInstance(c).AcceptableLatency = -1 }, bl1 + ".acceptable_latency", "> 0"},
		{"acceptable_latency within SQS retention", func(c *Config) { backlog(c).AcceptableLatency = Duration(15 * 24 * time.Hour) }, bl0 + ".acceptable_latency", "retention"},
		{"target_utilization at most 1", func(c *Config) { backlog(c).TargetUtilization = 1.5 }, bl0 + ".target_utilization", "<= 1"},
		{"target_utilization positive", func(c *Config) { backlog(c).TargetUtilization = 0 }, bl0 + ".target_utilization", "> 0"},
		{"budget at most 1", func(c *Config) { backlog(c).Budget = 1.5 }, bl0 + ".budget", "<= 1"},
		{"budget not negative", func(c *Config) { backlog(c).Budget = -0.1 }, bl0 + ".budget", ">= 0"},
		{"drain_factor positive", func(c *Config) { backlog(c).DrainFactor = 0 }, bl0 + ".drain_factor", "> 0"},
		{"refill_slack below 1", func(c *Config) { backlog(c).RefillSlack = 1 }, bl0 + ".refill_slack", "< 1"},
		{"jump_factor above 1", func(c *Config) { backlog(c).JumpFactor = 1 }, bl0 + ".jump_factor", "> 1"},
		{"arrival_smoothing not negative", func(c *Config) { backlog(c).ArrivalSmoothing = -1 }, bl0 + ".arrival_smoothing", ">= 0"},
		{"jump_memory positive", func(c *Config) { backlog(c).JumpMemory = 0 }, bl0 + ".jump_memory", "> 0"},
		{"predictive mode required", func(c *Config) { c.Groups[0].Predictive = &Predictive{Quantile: 0.9} }, "groups[0].predictive.mode", "required"},
		{"predictive mode known", func(c *Config) { c.Groups[0].Predictive = &Predictive{Mode: "on", Quantile: 0.9} }, "groups[0].predictive.mode", `"on" must be`},
		{"predictive quantile below 1", func(c *Config) { c.Groups[0].Predictive = &Predictive{Mode: "floor", Quantile: 1} }, "groups[0].predictive.quantile", "must be in (0,1)"},
		{"predictive quantile above 0", func(c *Config) { c.Groups[0].Predictive = &Predictive{Mode: "floor"} }, "groups[0].predictive.quantile", "must be in (0,1)"},
		{"predictive quantile a number", func(c *Config) { c.Groups[0].Predictive = &Predictive{Mode: "floor", Quantile: math.NaN()} }, "groups[0].predictive.quantile", "must be in (0,1)"},
		{"predictive lead not negative", func(c *Config) { c.Groups[0].Predictive = &Predictive{Mode: "floor", Quantile: 0.9, Lead: -1} }, "groups[0].predictive.lead", ">= 0"},
		{"predictive lead at most a day", func(c *Config) {
			c.Groups[0].Predictive = &Predictive{Mode: "floor", Quantile: 0.9, Lead: Duration(25 * time.Hour)}
		}, "groups[0].predictive.lead", "at most 24h"},
		{"predictive max_floor not negative", func(c *Config) { c.Groups[0].Predictive = &Predictive{Mode: "floor", Quantile: 0.9, MaxFloor: -1} }, "groups[0].predictive.max_floor", ">= 0"},
		{"predictive max_floor within max", func(c *Config) { c.Groups[0].Predictive = &Predictive{Mode: "floor", Quantile: 0.9, MaxFloor: 21} }, "groups[0].predictive.max_floor", "at most max (20)"},
		{"hysteresis below 1", func(c *Config) { c.Groups[0].Hysteresis.ScaleIn = 1 }, "groups[0].hysteresis.scale_in", "< 1"},
		{"hysteresis not negative", func(c *Config) { c.Groups[0].Hysteresis.ScaleOut = -0.1 }, "groups[0].hysteresis.scale_out", ">= 0"},
		{"at least one queue", func(c *Config) { backlog(c).Queues = nil }, bl0 + ".queues", "at least one queue"},
		{"queue required", func(c *Config) { backlog(c).Queues[0].Name = "" }, bl0 + ".queues[0].queue", "required"},
		{"queue name syntax", func(c *Config) { backlog(c).Queues[0].Name = "my queue" }, bl0 + ".queues[0].queue", "not an SQS queue name"},
		{"queue name length", func(c *Config) { backlog(c).Queues[0].Name = strings.Repeat("q", 81) }, bl0 + ".queues[0].queue", "1 to 80"},
		{"queue URL syntax", func(c *Config) { backlog(c).Queues[0].Name = "ftp://example.com/1/jobs" }, bl0 + ".queues[0].queue", "not a queue URL"},
		{"queues unique in a policy", func(c *Config) {
			backlog(c).Queues = append(backlog(c).Queues, backlog(c).Queues[0])
		}, bl0 + ".queues[1].queue", "already queues[0]"},
		{"seconds_per_message required in rate mode", func(c *Config) { backlog(c).Queues[0].SecondsPerMessage = 0 }, bl0 + ".queues[0].seconds_per_message", "required in rate mode"},
		{"seconds_per_message non-negative", func(c *Config) { backlog(c).Queues[0].SecondsPerMessage = -1 }, bl0 + ".queues[0].seconds_per_message", "> 0"},
		{"seconds_per_message within visibility timeout", func(c *Config) { backlog(c).Queues[0].SecondsPerMessage = 50000 }, bl0 + ".queues[0].seconds_per_message", "visibility timeout"},
		{"target_per_instance only in per_instance mode", func(c *Config) { backlog(c).Queues[0].TargetPerInstance = 10 }, bl0 + ".queues[0].target_per_instance", "only applies in per_instance mode"},
		{"target_per_instance non-negative", func(c *Config) { perInstance(c).Queues[0].TargetPerInstance = -1 }, bl1 + ".queues[0].target_per_instance", "> 0"},
		{"per_instance needs a target", func(c *Config) { perInstance(c).Queues[0].TargetPerInstance = 0 }, bl1 + ".queues[0].target_per_instance", "required in per_instance mode"},
		{"per_instance from seconds_per_message needs acceptable_latency", func(c *Config) {
			perInstance(c).Queues[0].TargetPerInstance = 0
			perInstance(c).Queues[0].SecondsPerMessage = 2
		}, bl1 + ".queues[0].target_per_instance", "acceptable_latency"},
		{"concurrency at least 1", func(c *Config) { backlog(c).Queues[0].Concurrency = 0 }, bl0 + ".queues[0].concurrency", "at least 1"},

		// Step.
		{"threshold finite", func(c *Config) { step(c).Threshold = math.Inf(1) }, st0 + ".threshold", "finite"},
		{"comparison name", func(c *Config) { step(c).Comparison = "GreaterThan" }, st0 + ".comparison", "GreaterThanOrEqualToThreshold"},
		{"evaluation_periods at least 1", func(c *Config) { step(c).EvaluationPeriods = 0 }, st0 + ".evaluation_periods", "at least 1"},
		{"alarm range at most a day", func(c *Config) { step(c).EvaluationPeriods = 1441 }, st0 + ".evaluation_periods", "at most 24h"},
		{"alarm range at most a week", func(c *Config) {
			step(c).Period = Duration(2 * time.Hour)
			step(c).EvaluationPeriods = 85
			c.Groups[0].MaxAge = Duration(7 * time.Hour)
		}, st0 + ".evaluation_periods", "at most 168h"},
		{"datapoints_to_alarm <= evaluation_periods", func(c *Config) { step(c).DatapointsToAlarm = 4 }, st0 + ".datapoints_to_alarm", "between 1 and evaluation_periods (3)"},
		{"datapoints_to_alarm at least 1", func(c *Config) { step(c).DatapointsToAlarm = 0 }, st0 + ".datapoints_to_alarm", "between 1"},
		{"adjustment_type name", func(c *Config) { step(c).AdjustmentType = "Exact" }, st0 + ".adjustment_type", "ExactCapacity"},
		{"min_adjustment_magnitude only with percent", func(c *Config) { step(c).MinAdjustmentMagnitude = 2 }, st0 + ".min_adjustment_magnitude", "only applies with adjustment_type PercentChangeInCapacity"},
		{"min_adjustment_magnitude non-negative", func(c *Config) { below(c).MinAdjustmentMagnitude = -1 }, st1 + ".min_adjustment_magnitude", ">= 0"},
		{"steps required", func(c *Config) { step(c).Steps = nil }, st0 + ".steps", "at least one"},
		{"at most 20 steps", func(c *Config) {
			var steps []StepAdjustment
			for i := range 20 {
				steps = append(steps, bounds(f(float64(i)), f(float64(i+1)), 1))
			}
			step(c).Steps = append(steps, bounds(f(20), nil, 2))
		}, st0 + ".steps", "at most 20"},
		{"not both bounds omitted", func(c *Config) { step(c).Steps[1].Lower = nil }, st0 + ".steps[1]", "can't both be omitted"},
		{"lower below upper", func(c *Config) { step(c).Steps[0].Upper = f(0) }, st0 + ".steps[0].upper", "greater than lower"},
		{"above the threshold for GreaterThan", func(c *Config) { step(c).Steps[0].Lower = f(-10) }, st0 + ".steps[0].lower", "above it"},
		{"no omitted lower for GreaterThan", func(c *Config) { step(c).Steps[0].Lower = nil }, st0 + ".steps[0].lower", "above it"},
		{"below the threshold for LessThan", func(c *Config) { below(c).Steps[1].Upper = f(5) }, st1 + ".steps[1].upper", "below it"},
		{"at most one omitted upper", func(c *Config) { step(c).Steps[0].Upper = nil }, st0 + ".steps", "at most one step may omit upper"},
		{"at most one omitted lower", func(c *Config) {
			below(c).Steps[1].Lower = nil
		}, st1 + ".steps", "at most one step may omit lower"},
		{"steps do not overlap", func(c *Config) { step(c).Steps[1].Lower = f(10) }, st0 + ".steps[1]", "overlaps steps[0]"},
		{"steps leave no gap", func(c *Config) { step(c).Steps[1].Lower = f(30) }, st0 + ".steps[1]", "gap"},
		{"steps start at the threshold", func(c *Config) { step(c).Steps[0].Lower = f(5) }, st0 + ".steps[0].lower", "start at 0"},
		{"last step is open above", func(c *Config) { step(c).Steps[1].Upper = f(40) }, st0 + ".steps[1].upper", "omit upper"},
		{"steps end at the threshold below", func(c *Config) { below(c).Steps[1].Upper = f(-5) }, st1 + ".steps[1].upper", "end at 0"},
		{"first step is open below", func(c *Config) { below(c).Steps[0].Lower = f(-50) }, st1 + ".steps[0].lower", "omit lower"},
		{"ExactCapacity is non-negative", func(c *Config) {
			step(c).AdjustmentType = policy.ExactCapacity
			step(c).Steps[0].Adjustment = -1
		}, st0 + ".steps[0].adjustment", ">= 0 with ExactCapacity"},
		{"percent adjustment at least -100", func(c *Config) { below(c).Steps[0].Adjustment = -150 }, st1 + ".steps[0].adjustment", "between -100"},
		{"step bounds finite", func(c *Config) { step(c).Steps[1].Lower = f(math.NaN()) }, st0 + ".steps[1].lower", "finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, valid)
			tc.mutate(c)
			ps := problemsOf(t, c.Validate())
			if len(ps) != 1 {
				t.Fatalf("got %d problems, want exactly one at %s:\n%v", len(ps), tc.field, ps)
			}
			if ps[0].Field != tc.field {
				t.Errorf("field = %q, want %q (%v)", ps[0].Field, tc.field, ps[0])
			}
			if !strings.Contains(ps[0].Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", ps[0].Reason, tc.reason)
			}
		})
	}
}

func TestValidCorners(t *testing.T) {
	// Values at the edge of each rule that must pass.
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"high-resolution period", func(c *Config) { c.Groups[0].Policies[0].TargetTracking.Period = Duration(10 * time.Second) }},
		{"20s period", func(c *Config) { c.Groups[0].Policies[0].TargetTracking.Period = Duration(20 * time.Second) }},
		{"5m period", func(c *Config) {
			c.Groups[0].Policies[0].TargetTracking.Period = Duration(5 * time.Minute)
			c.Groups[0].MaxAge = Duration(15 * time.Minute)
		}},
		{"percentile with decimals", func(c *Config) { c.Groups[0].Policies[0].TargetTracking.Metric.Stat = "p99.9" }},
		{"p100", func(c *Config) { c.Groups[0].Policies[0].TargetTracking.Metric.Stat = "p100" }},
		{"SampleCount", func(c *Config) { c.Groups[0].Policies[0].TargetTracking.Metric.Stat = "SampleCount" }},
		{"unit", func(c *Config) { c.Groups[0].Policies[0].TargetTracking.Metric.Unit = "Count/Second" }},
		{"tolerance zero", func(c *Config) { c.Groups[0].Policies[0].TargetTracking.Tolerance = 0 }},
		{"target_utilization one", func(c *Config) { c.Groups[0].Policies[1].Backlog.TargetUtilization = 1 }},
		{"budget, refill_slack, arrival_smoothing and hysteresis zero", func(c *Config) {
			b := c.Groups[0].Policies[1].Backlog
			b.Budget, b.RefillSlack, b.ArrivalSmoothing = 0, 0, 0
			c.Groups[0].Hysteresis = Hysteresis{}
		}},
		{"min equals max", func(c *Config) { c.Groups[0].Min = 20 }},
		{"fallback at max", func(c *Config) { c.Groups[0].FallbackCapacity, c.Groups[0].FallbackAfter = 20, 1 }},
		{"rate limits", func(c *Config) { c.Groups[0].MaxScaleOutStep, c.Groups[0].MaxScaleInStep = "200%", "1" }},
		{"single open step", func(c *Config) {
			c.Groups[0].Policies[2].Step.Steps = []StepAdjustment{{Lower: ptr(0.0), Adjustment: 1}}
		}},
		{"steps out of order", func(c *Config) {
			s := c.Groups[0].Policies[2].Step
			s.Steps[0], s.Steps[1] = s.Steps[1], s.Steps[0]
		}},
		{"per_instance from latency", func(c *Config) {
			b := c.Groups[1].Policies[1].Backlog
			b.AcceptableLatency = Duration(time.Minute)
			b.Queues[0].TargetPerInstance, b.Queues[0].SecondsPerMessage = 0, 2
		}},
		{"listen with IPv6 host", func(c *Config) { c.Listen = "[::1]:9464" }},
		{"expression with numbers and signs", func(c *Config) {
			c.Groups[1].Policies[0].TargetTracking.Expression = "-(requests * 1e3 - 2.5) / (healthy + .5)"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, valid)
			tc.mutate(c)
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestProblemsListsEveryProblem(t *testing.T) {
	doc := `
interval: 10s
jitter: 20s
listen: nowhere
groups:
  - asg: a
    max: 5
    min: 6
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, stat: mean}
          target: -1
  - asg: a
    max: 5
    policies: []
`
	_, err := Parse([]byte(doc))
	ps := problemsOf(t, err)
	want := []string{
		"jitter",
		"listen",
		"groups[0].max",
		"groups[0].policies[0].target_tracking.metric.stat",
		"groups[0].policies[0].target_tracking.target",
		"groups[1].policies",
		"groups[1].name",
		"groups[1].asg",
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Field)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %q\nwant     %q", got, want)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("Error() has %d lines, want %d:\n%s", len(lines), len(want), err)
	}
	if lines[4] != "groups[0].policies[0].target_tracking.target: must be > 0" {
		t.Errorf("line 5 = %q", lines[4])
	}
}

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		want  []Problem // Reason is matched as a prefix
		wantN int       // when > 0, the exact number of problems
	}{
		{
			name: "syntax error has its line",
			doc:  "groups:\n  - asg: a\n    max: [1,\n",
			want: []Problem{{Field: "", Reason: "line "}},
		},
		{
			name: "unknown top-level key",
			doc:  "intervall: 10s\n" + minimalGroup,
			want: []Problem{{Field: "intervall", Reason: "line 1: unknown key"}},
		},
		{
			name: "unknown nested key has its path and line",
			doc: `
groups:
  - asg: workers
    max: 5
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}
          target: 60
          tolerence: 0.2
`,
			want:  []Problem{{Field: "groups[0].policies[0].target_tracking.tolerence", Reason: "line 10: unknown key"}},
			wantN: 1,
		},
		{
			name: "unknown key in a flow mapping",
			doc:  strings.Replace(minimalGroup, "stat: Average}", "stat: Average, period: 60}", 1),
			want: []Problem{{Field: "groups[0].policies[0].target_tracking.metric.period", Reason: "line 8: unknown key"}},
		},
		{
			name:  "wrong type names the field and is not reported again",
			doc:   strings.Replace(minimalGroup, "max: 5", "max: lots", 1),
			want:  []Problem{{Field: "groups[0].max", Reason: "line 4: want a whole number, got a string `lots`"}},
			wantN: 1,
		},
		{
			name:  "a duration without unit",
			doc:   "interval: 10\n" + minimalGroup,
			want:  []Problem{{Field: "interval", Reason: "line 1: `10` is not a duration"}},
			wantN: 1,
		},
		{
			name: "duplicate key",
			doc:  "history: 5\nhistory: 6\n" + minimalGroup,
			want: []Problem{{Field: "history", Reason: "line 2: mapping key"}},
		},
		{
			name:  "two documents",
			doc:   minimalGroup + "---\n" + minimalGroup,
			want:  []Problem{{Reason: "a config file holds one YAML document"}},
			wantN: 1,
		},
		{
			name:  "empty document",
			doc:   "",
			want:  []Problem{{Field: "groups", Reason: "at least one group"}},
			wantN: 1,
		},
		{
			name: "not a mapping",
			doc:  "- a\n- b\n",
			want: []Problem{{Reason: "line 1: want a mapping"}},
		},
		{
			name:  "a mapping where a list belongs",
			doc:   "groups: {a: 1}\n",
			want:  []Problem{{Field: "groups", Reason: "line 1: want a list, got a mapping"}},
			wantN: 1,
		},
		{
			name:  "same value twice on a line is not guessed",
			doc:   strings.Replace(minimalGroup, "max: 5", "max: 5\n    fallback_capacity: x\n    fallback_after: x", 1),
			want:  []Problem{{Field: "groups[0].fallback_capacity", Reason: "line 5: want a whole number"}},
			wantN: 2,
		},
		{
			name:  "a mapping that merges itself",
			doc:   "&a {<<: *a}",
			want:  []Problem{{Reason: "anchor 'a' value contains itself"}},
			wantN: 1,
		},
		{
			name:  "a group that merges itself",
			doc:   "groups: [&a {<<: *a, asg: x}]",
			want:  []Problem{{Reason: "anchor 'a' value contains itself"}},
			wantN: 1,
		},
		{
			name: "several decode problems at once",
			doc:  "intervall: 10s\nhistory: many\n" + strings.Replace(minimalGroup, "target: 60", "target: high\n          colour: red", 1),
			want: []Problem{
				{Field: "intervall", Reason: "line 1: unknown key"},
				{Field: "groups[0].policies[0].target_tracking.colour", Reason: "line 12: unknown key"},
				{Field: "history", Reason: "line 2: want a whole number"},
				{Field: "groups[0].policies[0].target_tracking.target", Reason: "line 11: want a number"},
			},
			wantN: 4,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			ps := problemsOf(t, err)
			if tc.wantN > 0 && len(ps) != tc.wantN {
				t.Errorf("got %d problems, want %d:\n%v", len(ps), tc.wantN, ps)
			}
			for _, w := range tc.want {
				found := false
				for _, p := range ps {
					if p.Field == w.Field && strings.HasPrefix(p.Reason, w.Reason) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing problem %q: %q...; got:\n%v", w.Field, w.Reason, ps)
				}
			}
		})
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	c := mustParse(t, `
groups:
  - &base
    asg: a
    min: 1
    max: 5
    policies:
      - name: cpu
        target_tracking:
          metric: &cpu {namespace: AWS/EC2, name: CPUUtilization, stat: Average}
          target: 60
  - <<: *base
    asg: b
    max: 8
  - asg: c
    max: 3
    policies:
      - name: cpu
        step:
          metric: *cpu
          threshold: 90
          comparison: GreaterThanThreshold
          evaluation_periods: 2
          adjustment_type: ChangeInCapacity
          steps: [{lower: 0, adjustment: 1}]
`)
	g := c.Groups[1]
	if g.Name != "b" || g.Max != 8 || g.Min != 1 || len(g.Policies) != 1 || g.Policies[0].TargetTracking.Target != 60 {
		t.Errorf("merge not applied: %+v", g)
	}
	if got := c.Groups[2].Policies[0].Step.Metric.Name; got != "CPUUtilization" {
		t.Errorf("alias not applied: metric name %q", got)
	}
}

func TestLoad(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want os.ErrNotExist", err)
		}
	})
	t.Run("problems are errors.As-able and name the file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bad.yaml")
		if err := os.WriteFile(path, []byte("history: 0\n"+minimalGroup), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		ps := problemsOf(t, err)
		if len(ps) != 1 || ps[0].Field != "history" {
			t.Errorf("problems = %v", ps)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name %s", err, path)
		}
	})
}

func TestPolicyConversion(t *testing.T) {
	c := mustParse(t, valid)
	c.Groups[0].MaxScaleOutStep = "50%"
	c.Groups[0].MaxScaleInStep = "2"
	c.Groups[0].FallbackCapacity, c.Groups[0].FallbackAfter = 4, 6
	got := c.Groups[0].Policy()
	want := policy.Group{
		Name:             "workers",
		Min:              2,
		Max:              20,
		ScaleInWindow:    300 * time.Second,
		MaxAge:           180 * time.Second,
		MaxScaleOutStep:  policy.RateLimit{Value: 50, Percent: true},
		MaxScaleInStep:   policy.RateLimit{Value: 2},
		FallbackCapacity: 4,
		FallbackAfter:    6,
		HysteresisIn:     0.1,
		HysteresisOut:    0.1,
		Policies: []policy.Policy{
			{Name: "cpu", TargetTracking: &policy.TargetTracking{Target: 60, Tolerance: 0.1}},
			{Name: "queue", Backlog: &policy.Backlog{Mode: policy.ModeRate, Queues: []policy.Queue{{
				Name:              "jobs",
				SecondsPerMessage: 0.5,
				Concurrency:       1,
				AcceptableLatency: time.Minute,
				TargetUtilization: 1,
				Budget:            1,
				Drain:             1,
				RefillSlack:       0.12,
				Jump:              3,
				JumpMemory:        15 * time.Minute,
				CountInFlight:     true,
			}}}},
			{Name: "errors", Step: &policy.Step{
				Threshold:         80,
				Comparison:        policy.GreaterThanOrEqual,
				EvaluationPeriods: 3,
				DatapointsToAlarm: 2,
				AdjustmentType:    policy.ChangeInCapacity,
				Adjustments: []policy.StepAdjustment{
					{LowerBound: ptr(0.0), UpperBound: ptr(20.0), Adjustment: 1},
					{LowerBound: ptr(20.0), Adjustment: 3},
				},
			}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Policy() =\n%+v\nwant\n%+v", got, want)
	}

	t.Run("bounds are copies", func(t *testing.T) {
		*got.Policies[2].Step.Adjustments[0].UpperBound = 99
		if *c.Groups[0].Policies[2].Step.Steps[0].Upper != 20 {
			t.Error("changing the engine's spec changed the config")
		}
	})
	t.Run("zero tolerance stays a zero band", func(t *testing.T) {
		c := mustParse(t, valid)
		c.Groups[0].Policies[0].TargetTracking.Tolerance = 0
		tol := c.Groups[0].Policy().Policies[0].TargetTracking.Tolerance
		if tol <= 0 || tol > 1e-300 {
			t.Errorf("tolerance = %g, want the smallest positive float", tol)
		}
	})
	t.Run("percent step and latency", func(t *testing.T) {
		p := c.Groups[1].Policy()
		s := p.Policies[2].Step
		if s.AdjustmentType != policy.PercentChangeInCapacity || s.MinAdjustmentMagnitude != 1 || s.DatapointsToAlarm != 5 {
			t.Errorf("step = %+v", s)
		}
		if s.Adjustments[0].LowerBound != nil || *s.Adjustments[0].UpperBound != -10 || s.Adjustments[0].Adjustment != -20 {
			t.Errorf("first adjustment = %+v", s.Adjustments[0])
		}
		q := p.Policies[1].Backlog.Queues[0]
		if p.Policies[1].Backlog.Mode != policy.ModePerInstance || q.TargetPerInstance != 100 {
			t.Errorf("per_instance backlog = %+v", p.Policies[1].Backlog)
		}
	})
}

func TestMetricQueries(t *testing.T) {
	c := mustParse(t, valid)
	tests := []struct {
		name  string
		group Group
		want  []source.MetricQuery
	}{
		{
			name:  "single metrics",
			group: c.Groups[0],
			want: []source.MetricQuery{
				{
					Key: "workers/cpu",
					Metrics: []source.Metric{{
						ID: "m1", Namespace: "AWS/EC2", Name: "CPUUtilization", Stat: "Average",
						Dimensions: []source.Dimension{{Name: "AutoScalingGroupName", Value: "workers-prod"}},
					}},
					Period: time.Minute,
					Points: TargetTrackingPoints,
				},
				{
					Key:     "workers/errors",
					Metrics: []source.Metric{{ID: "m1", Namespace: "App", Name: "Errors", Stat: "Sum"}},
					Period:  time.Minute,
					Points:  3,
				},
			},
		},
		{
			name:  "metric math",
			group: c.Groups[1],
			want: []source.MetricQuery{
				{
					Key: "api/rps",
					Metrics: []source.Metric{
						{ID: "requests", Namespace: "AWS/ApplicationELB", Name: "RequestCount", Stat: "Sum"},
						{ID: "healthy", Namespace: "AWS/ApplicationELB", Name: "HealthyHostCount", Stat: "Average"},
					},
					Expression: "requests / healthy / 60",
					Period:     time.Minute,
					Points:     TargetTrackingPoints,
				},
				{
					Key:     "api/idle",
					Metrics: []source.Metric{{ID: "m1", Namespace: "App", Name: "Busy", Stat: "p90"}},
					Period:  time.Minute,
					Points:  5,
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.group.MetricQueries(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("MetricQueries() =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
	t.Run("dimensions are sorted by name", func(t *testing.T) {
		g := c.Groups[0]
		g.Policies[0].TargetTracking.Metric.Dimensions = map[string]string{"b": "2", "a": "1", "c": "3"}
		got := g.MetricQueries()[0].Metrics[0].Dimensions
		want := []source.Dimension{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}, {Name: "c", Value: "3"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("dimensions = %v, want %v", got, want)
		}
	})
}

func TestQueues(t *testing.T) {
	c := mustParse(t, `
groups:
  - asg: w
    max: 5
    policies:
      - name: a
        backlog:
          acceptable_latency: 10s
          queues:
            - {queue: first, seconds_per_message: 1}
            - {queue: second, seconds_per_message: 1}
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}
          target: 60
      - name: b
        backlog:
          acceptable_latency: 10s
          queues:
            - {queue: second, seconds_per_message: 2}
            - {queue: third, seconds_per_message: 1}
`)
	tests := []struct {
		name  string
		group Group
		want  []string
	}{
		{"in order, each once", c.Groups[0], []string{"first", "second", "third"}},
		{"no backlog policy", Group{Policies: c.Groups[0].Policies[1:2]}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.group.Queues(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Queues() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRateLimitParse(t *testing.T) {
	tests := []struct {
		in      RateLimit
		want    policy.RateLimit
		wantErr bool
	}{
		{"", policy.RateLimit{}, false},
		{"3", policy.RateLimit{Value: 3}, false},
		{"50%", policy.RateLimit{Value: 50, Percent: true}, false},
		{"12.5%", policy.RateLimit{Value: 12.5, Percent: true}, false},
		{"0", policy.RateLimit{}, true},
		{"0%", policy.RateLimit{}, true},
		{"-1", policy.RateLimit{}, true},
		{"1.5", policy.RateLimit{}, true},
		{"NaN%", policy.RateLimit{}, true},
		{"%", policy.RateLimit{}, true},
		{"ten", policy.RateLimit{}, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.in), func(t *testing.T) {
			got, err := tc.in.Parse()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
