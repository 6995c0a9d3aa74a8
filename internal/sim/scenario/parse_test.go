package scenario

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// base is the smallest valid scenario; cases append to it from line 6.
const base = `duration: 1h
slo: 2m
workers: {per_instance_rate: 10, max: 20}
load:
  - constant: {rate: 50}
`

// mustParse parses data with testdata as the trace directory.
func mustParse(t *testing.T, data string) *Scenario {
	t.Helper()
	s, err := Parse([]byte(data), "test", "testdata")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func TestParseDefaults(t *testing.T) {
	s := mustParse(t, base)
	half := 300.0
	zero, full := 0.0, 600.0
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", s.Name, "test"},
		{"start", s.Start, time.Date(2026, 12, 15, 6, 0, 0, 0, time.UTC)},
		{"duration", s.Duration, time.Hour},
		{"slo", s.SLO, 2 * time.Minute},
		{"service time", s.Workers.ServiceTime, time.Second},
		{"launch time", s.Workers.LaunchTime, LogNormal(90*time.Second, 150*time.Second)},
		{"warmup", s.Workers.Warmup, time.Minute},
		{"min", s.Workers.Min, 0},
		{"initial", s.Workers.Initial, 0},
		{"detailed monitoring", s.Workers.DetailedMonitoring, true},
		{"monitoring", s.Monitoring, Monitoring{SQSDelay: time.Minute, EC2Delay: time.Minute, ASGDelay: time.Minute}},
		// SLO/2 = 60 s of acceptable latency, 0.1 s per message per instance.
		{"target tracking", s.Baselines.TargetTracking, TargetTracking{
			Metric: MetricBacklogPerInstance, Target: 600,
			ScaleOutDatapoints: 3, ScaleOutPeriods: 3, ScaleInDatapoints: 15, ScaleInPeriods: 15, ScaleInRatio: 0.7,
		}},
		{"step", s.Baselines.Step, Step{
			Threshold: 600, Datapoints: 1, Periods: 1, ScaleInThreshold: 300,
			ScaleInDatapoints: 15, ScaleInPeriods: 15, ScaleInAdjustment: -10,
			Steps: []StepAdjustment{
				{Lower: &zero, Upper: &half, Adjustment: 1, Type: ChangeInCapacity},
				{Lower: &half, Upper: &full, Adjustment: 50, Type: PercentChangeInCapacity},
				{Lower: &full, Adjustment: 100, Type: PercentChangeInCapacity},
			},
		}},
		{"hpa", s.Baselines.HPA, HPA{TargetPerPod: 600, Tolerance: 0.1, Sync: 15 * time.Second, ScaleDownStabilization: 5 * time.Minute}},
		{"scheduled action delay", s.Baselines.ScheduledActionDelay, Uniform(0, time.Minute)},
		{"static capacity", s.Baselines.StaticCapacity, 0},
		{"headroom", s.Headroom, ""},
		{"concurrency", s.Workers.Concurrency(), 10.0},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("got %+v, want %+v", c.got, c.want)
			}
		})
	}
}

func TestParseEverything(t *testing.T) {
	s := mustParse(t, `name: everything
description: every key set
start: "2026-07-01 08:30"
time_zone: America/New_York
duration: 2h
slo: 3m
workers:
  per_instance_rate: 4
  service_time: 500ms
  launch_time: {distribution: uniform, min: 30s, max: 90s}
  warmup: 2m
  min: 1
  max: 50
  initial: 3
  detailed_monitoring: false
load:
  - constant: {rate: 10}
campaigns:
  - {name: launch, start: "09:00", end: "10:00", expected_rate: 41}
  - {name: quiet, start: 10m, end: 20m, capacity: 7, announced: false}
faults:
  - {kind: api_error, service: autoscaling, operation: SetDesiredCapacity, code: Throttling, from: 5m, until: 6m}
  - {kind: api_error, service: sqs, status: 503, from: 5m, until: 6m}
  - {kind: api_error, service: cloudwatch, from: 5m, until: 6m}
  - {kind: latency, service: cloudwatch, latency: 3s, from: 1h, until: "10:00"}
  - {kind: metrics_withheld, namespaces: [AWS/SQS, AWS/EC2], from: 0s, until: 1m}
  - {kind: throttle, service: sqs, rate: 0.3, from: 1m, until: 2m}
  - {kind: throttle, service: autoscaling, operation: DescribeAutoScalingGroups, from: 1m, until: 2m}
  - {kind: latency, service: sqs, hang: true, rate: 0.5, from: 1m, until: 2m}
  - {kind: api_error, service: cloudwatch, code: Throttling, rate: 1, from: 1m, until: 2m}
monitoring: {sqs_delay: 90s, ec2_delay: 2m, asg_delay: 0s}
baselines:
  target_tracking: {metric: cpu, scale_out_datapoints: 2, scale_in_periods: 10, scale_in_ratio: 0.5}
  step:
    threshold: 100
    periods: 2
    scale_in_threshold: 20
    scale_in_adjustment: -20
    steps:
      - {lower: 50, adjustment: 4}
      - {lower: 0, upper: 50, adjustment: 2, type: ChangeInCapacity}
  hpa: {target_per_pod: 30, tolerance: 0, sync: 30s, scale_down_stabilization: 0s}
  scheduled_action_delay: 20s
  static_capacity: 12
headroom:
  interval: 5s
  warmup: 60s
`)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	fifty, zero := 50.0, 0.0
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", s.Name, "everything"},
		{"description", s.Description, "every key set"},
		{"start", s.Start.String(), time.Date(2026, 7, 1, 8, 30, 0, 0, ny).String()},
		{"workers", s.Workers, Workers{
			Target: TargetASG, PerInstanceRate: 4, ServiceTime: 500 * time.Millisecond, LaunchTime: Uniform(30*time.Second, 90*time.Second),
			Warmup: 2 * time.Minute, Min: 1, Max: 50, Initial: 3, DetailedMonitoring: false,
		}},
		// ceil(41 / 4) = 11.
		{"campaigns", s.Campaigns, []Campaign{
			{Name: "launch", Start: 30 * time.Minute, End: 90 * time.Minute, Capacity: 11, Announced: true},
			{Name: "quiet", Start: 10 * time.Minute, End: 20 * time.Minute, Capacity: 7, Announced: false},
		}},
		{"faults", s.Faults, []Fault{
			{Kind: FaultAPIError, Service: ServiceAutoScaling, Operation: "SetDesiredCapacity", Code: "Throttling", Status: 400, From: 5 * time.Minute, Until: 6 * time.Minute},
			{Kind: FaultAPIError, Service: ServiceSQS, Code: "ServiceUnavailable", Status: 503, From: 5 * time.Minute, Until: 6 * time.Minute},
			{Kind: FaultAPIError, Service: ServiceCloudWatch, Code: "InternalFailure", Status: 500, From: 5 * time.Minute, Until: 6 * time.Minute},
			{Kind: FaultLatency, Service: ServiceCloudWatch, Latency: 3 * time.Second, From: time.Hour, Until: 90 * time.Minute},
			{Kind: FaultMetricsWithheld, Namespaces: []string{NamespaceSQS, NamespaceEC2}, Until: time.Minute},
			{Kind: FaultThrottle, Service: ServiceSQS, Code: "RequestThrottled", Status: 400, Rate: 0.3, From: time.Minute, Until: 2 * time.Minute},
			{Kind: FaultThrottle, Service: ServiceAutoScaling, Operation: "DescribeAutoScalingGroups", Code: "Throttling", Status: 400, From: time.Minute, Until: 2 * time.Minute},
			{Kind: FaultLatency, Service: ServiceSQS, Hang: true, Rate: 0.5, From: time.Minute, Until: 2 * time.Minute},
			{Kind: FaultAPIError, Service: ServiceCloudWatch, Code: "Throttling", Status: 400, Rate: 1, From: time.Minute, Until: 2 * time.Minute},
		}},
		{"monitoring", s.Monitoring, Monitoring{SQSDelay: 90 * time.Second, EC2Delay: 2 * time.Minute}},
		{"target tracking", s.Baselines.TargetTracking, TargetTracking{
			Metric: MetricCPU, Target: 70, ScaleOutDatapoints: 2, ScaleOutPeriods: 3,
			ScaleInDatapoints: 10, ScaleInPeriods: 10, ScaleInRatio: 0.5,
		}},
		{"step", s.Baselines.Step, Step{
			Threshold: 100, Datapoints: 2, Periods: 2, ScaleInThreshold: 20, ScaleInDatapoints: 15, ScaleInPeriods: 15,
			ScaleInAdjustment: -20,
			Steps: []StepAdjustment{
				{Lower: &fifty, Adjustment: 4, Type: ChangeInCapacity},
				{Lower: &zero, Upper: &fifty, Adjustment: 2, Type: ChangeInCapacity},
			},
		}},
		{"hpa", s.Baselines.HPA, HPA{TargetPerPod: 30, Tolerance: 0, Sync: 30 * time.Second, ScaleDownStabilization: 0}},
		{"scheduled action delay", s.Baselines.ScheduledActionDelay, Fixed(20 * time.Second)},
		{"static capacity", s.Baselines.StaticCapacity, 12},
		{"headroom", s.Headroom, "interval: 5s\nwarmup: 60s\n"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("got  %+v\nwant %+v", c.got, c.want)
			}
		})
	}
	t.Run("fault activity", func(t *testing.T) {
		f := s.Faults[0]
		if f.Active(4*time.Minute) || !f.Active(5*time.Minute) || f.Active(6*time.Minute) {
			t.Errorf("Active is not [From, Until): %+v", f)
		}
		w := s.Faults[4]
		if !w.Withholds(NamespaceSQS) || w.Withholds(NamespaceAutoScaling) || s.Faults[0].Withholds(NamespaceSQS) {
			t.Errorf("Withholds wrong for %+v", w)
		}
		if all := (Fault{Kind: FaultMetricsWithheld}); !all.Withholds(NamespaceAutoScaling) {
			t.Error("no namespaces should withhold all")
		}
	})
}

func TestParseHeadroomBlock(t *testing.T) {
	s := mustParse(t, base+`headroom:
  policies:
    - &p {backlog: {queue: work, seconds_per_message: 0.1}}
    - *p
  scale_in_window: 5m
`)
	var got map[string]any
	if err := yaml.Unmarshal([]byte(s.Headroom), &got); err != nil {
		t.Fatalf("Headroom is not YAML: %v\n%s", err, s.Headroom)
	}
	policies, ok := got["policies"].([]any)
	if !ok || len(policies) != 2 || !reflect.DeepEqual(policies[0], policies[1]) {
		t.Errorf("aliases not expanded: %s", s.Headroom)
	}
	if strings.Contains(s.Headroom, "&") || strings.Contains(s.Headroom, "*") {
		t.Errorf("anchors left in %s", s.Headroom)
	}
}

// TestParseService: the workers of an ECS service read start_time as
// their launch time, with its default when left out.
func TestParseService(t *testing.T) {
	tests := []struct {
		name    string
		workers string
		want    Dist
	}{
		{"given", "{target: ecs_service, per_instance_rate: 10, max: 20, start_time: {distribution: uniform, min: 20s, max: 60s}}", Uniform(20*time.Second, 60*time.Second)},
		{"default", "{target: ecs_service, per_instance_rate: 10, max: 20}", LogNormal(30*time.Second, 50*time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte("duration: 1h\nslo: 2m\nworkers: "+tc.workers+"\nload: [{constant: {rate: 1}}]\n"), "svc", "")
			if err != nil {
				t.Fatal(err)
			}
			w := s.Workers
			if !w.Service() || w.Target != TargetECSService || !reflect.DeepEqual(w.LaunchTime, tc.want) || w.Warmup != defaultWarmup {
				t.Fatalf("workers %+v: want an ECS service starting tasks in %v", w, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // substrings of one problem each
	}{
		{"unknown top-level key", base + "colour: blue\n", []string{"colour: line 6: unknown key"}},
		{"unknown nested key", `duration: 1h
slo: 2m
workers:
  per_instance_rate: 10
  max: 20
  colour: blue
load: [{constant: {rate: 1}}]
`, []string{"workers.colour: line 6: unknown key"}},
		{"duplicate key", base + "duration: 2h\n", []string{"duration: line 6: duplicate key (first set on line 1)"}},
		{"wrong type", `duration: 1h
slo: 2m
workers: {per_instance_rate: 10, max: ten}
load: [{constant: {rate: 1}}]
`, []string{"workers.max: line 3: want a whole number, got a string `ten`"}},
		{"string wanted", base + "name: 42\n", []string{"name: line 6: want a string, got a number `42`"}},
		{"negative rate", base + "  - step: {at: 1m, rate: -5}\n", []string{"load[1].step.rate: line 6: must not be negative, got -5"}},
		{"zero per-instance rate", `duration: 1h
slo: 2m
workers: {per_instance_rate: 0, max: 20}
load: [{constant: {rate: 1}}]
`, []string{"workers.per_instance_rate: line 3: must be greater than 0"}},
		{"min above max", `duration: 1h
slo: 2m
workers: {per_instance_rate: 10, min: 30, max: 20}
load: [{constant: {rate: 1}}]
`, []string{"workers.min: line 3: must not be above max (20), got 30"}},
		{"instance types", `duration: 1h
slo: 2m
workers: {per_instance_rate: 10, max: 20, instance_types: [{type: c5.large, weight: 0}, {type: c5.large, weight: 2}, {weight: 1000, size: big}]}
load: [{constant: {rate: 1}}]
`, []string{"workers.instance_types[0].weight: line 3: must be greater than 0",
			`workers.instance_types[1].type: line 3: type "c5.large" is listed twice`,
			"workers.instance_types[2].type: line 3: required",
			"workers.instance_types[2].weight: line 3: must be at most 999",
			"workers.instance_types[2].size: line 3: unknown key"}},
		{"warm pool", `duration: 1h
slo: 2m
workers: {per_instance_rate: 10, max: 20, warm_pool: {min_size: 9, max_group_prepared_capacity: 5, pool_state: Frozen, size: 3}}
load: [{constant: {rate: 1}}]
`, []string{"workers.warm_pool.pool_state: line 3: must be Stopped, Running or Hibernated",
			"workers.warm_pool.min_size: line 3: must not be above max_group_prepared_capacity (5), got 9",
			"workers.warm_pool.size: line 3: unknown key"}},
		{"unknown target", `duration: 1h
slo: 2m
workers: {target: lambda, per_instance_rate: 10, max: 20}
load: [{constant: {rate: 1}}]
`, []string{`workers.target: line 3: must be asg or ecs_service, got "lambda"`}},
		{"instance keys on a service", `duration: 1h
slo: 2m
workers:
  target: ecs_service
  per_instance_rate: 10
  max: 20
  launch_time: 90s
  warm_pool: {min_size: 1}
  instance_types: [{type: c5.large, weight: 1}]
  detailed_monitoring: false
  warm_resume: 10s
load: [{constant: {rate: 1}}]
`, []string{"workers.launch_time: line 7: describes EC2 instances; an ECS service's tasks (target: ecs_service) take start_time",
			"workers.warm_pool: line 8: describes EC2 instances",
			"workers.instance_types: line 9: describes EC2 instances",
			"workers.detailed_monitoring: line 10: describes EC2 instances",
			"workers.warm_resume: line 11: describes EC2 instances"}},
		{"start time on a group", `duration: 1h
slo: 2m
workers: {per_instance_rate: 10, max: 20, start_time: 30s}
load: [{constant: {rate: 1}}]
`, []string{"workers.start_time: line 3: an ECS task's start time: only with target: ecs_service"}},
		{"bad start time", `duration: 1h
slo: 2m
workers: {target: ecs_service, per_instance_rate: 10, max: 20, start_time: {distribution: uniform, min: 60s, max: 20s}}
load: [{constant: {rate: 1}}]
`, []string{"workers.start_time"}},
		{"initial above max", `duration: 1h
slo: 2m
workers: {per_instance_rate: 10, max: 20, initial: 21}
load: [{constant: {rate: 1}}]
`, []string{"workers.initial: line 3: must not be above max"}},
		{"negative duration", "duration: -1h\nslo: 2m\nworkers: {per_instance_rate: 10, max: 2}\nload: [{constant: {rate: 1}}]\n",
			[]string{"duration: line 1: must be greater than 0"}},
		{"fractional duration", "duration: 1500ms\nslo: 2m\nworkers: {per_instance_rate: 10, max: 2}\nload: [{constant: {rate: 1}}]\n",
			[]string{"duration: line 1: must be a whole number of seconds"}},
		{"too long", "duration: 400h\nslo: 2m\nworkers: {per_instance_rate: 10, max: 2}\nload: [{constant: {rate: 1}}]\n",
			[]string{"duration: line 1: must be at most 336h0m0s"}},
		{"not a duration", base + "monitoring: {sqs_delay: 90}\n", []string{"monitoring.sqs_delay: line 6: `90` is not a duration"}},
		{"required keys", "name: x\n", []string{"duration: line 1: required", "slo: line 1: required", "workers: line 1: required", "load: line 1: required"}},
		{"required nested", base + "campaigns: [{name: a, start: 1m, end: 2m}]\n", []string{"campaigns[0].capacity: line 6: required (or expected_rate, or audience)"}},
		{"campaign end before start", base + "campaigns: [{name: a, start: 30m, end: 20m, capacity: 3}]\n",
			[]string{"campaigns[0].end: line 6: must be after start (30m0s), got 20m0s"}},
		{"campaign outside the run", base + "campaigns: [{name: a, start: 30m, end: 2h, capacity: 3}]\n",
			[]string{"campaigns[0].end: line 6: is at 2h0m0s, after the end of the run"}},
		{"campaign starts after the run", base + "campaigns: [{name: a, start: 1h, end: 2h, capacity: 3}]\n",
			[]string{"campaigns[0].start: line 6: is at 1h0m0s, not inside the run"}},
		{"duplicate campaign", base + "campaigns:\n  - {name: a, start: 1m, end: 2m, capacity: 3}\n  - {name: a, start: 1m, end: 2m, capacity: 3}\n",
			[]string{"campaigns[1].name: line 8: campaign \"a\" is already campaigns[0]"}},
		{"capacity and rate", base + "campaigns: [{name: a, start: 1m, end: 2m, capacity: 3, expected_rate: 5}]\n",
			[]string{"campaigns[0].expected_rate: line 6: set capacity or expected_rate, not both"}},
		{"audience and capacity", base + "campaigns: [{name: a, start: 1m, audience: 1000, capacity: 3}]\n",
			[]string{"campaigns[0].capacity: line 6: set audience or capacity, not both"}},
		{"audience not positive", base + "campaigns: [{name: a, start: 1m, audience: 0}]\n",
			[]string{"campaigns[0].audience: line 6: must be greater than 0"}},
		{"messages per recipient without audience", base + "campaigns: [{name: a, start: 1m, end: 2m, capacity: 3, messages_per_recipient: 2}]\n",
			[]string{"campaigns[0].messages_per_recipient: line 6: only a campaign given by its audience"}},
		{"messages per recipient too many", base + "campaigns: [{name: a, start: 1m, audience: 10, messages_per_recipient: 1001}]\n",
			[]string{"campaigns[0].messages_per_recipient: line 6: must be at most 1000"}},
		{"fault until before from", base + "faults: [{kind: latency, service: sqs, latency: 1s, from: 10m, until: 5m}]\n",
			[]string{"faults[0].until: line 6: must be after from (10m0s), got 5m0s"}},
		{"fault until equal to from", base + "faults: [{kind: latency, service: sqs, latency: 1s, from: 10m, until: 10m}]\n",
			[]string{"faults[0].until: line 6: must be after from"}},
		{"unknown fault kind", base + "faults: [{kind: meteor, from: 1m, until: 2m}]\n",
			[]string{"faults[0].kind: line 6: unknown fault kind \"meteor\""}},
		{"unknown fault service", base + "faults: [{kind: api_error, service: ec2, from: 1m, until: 2m}]\n",
			[]string{"faults[0].service: line 6: unknown service \"ec2\""}},
		{"fault key of another kind", base + "faults: [{kind: metrics_withheld, latency: 2s, from: 1m, until: 2m}]\n",
			[]string{"faults[0].latency: line 6: unknown key"}},
		{"unknown namespace", base + "faults: [{kind: metrics_withheld, namespaces: [AWS/Lambda], from: 1m, until: 2m}]\n",
			[]string{"faults[0].namespaces[0]: line 6: want one of AWS/SQS, AWS/EC2, AWS/AutoScaling"}},
		{"rate zero", base + "faults: [{kind: throttle, service: sqs, rate: 0, from: 1m, until: 2m}]\n",
			[]string{"faults[0].rate: line 6: must be greater than 0, got 0"}},
		{"rate above one", base + "faults: [{kind: api_error, service: sqs, rate: 1.5, from: 1m, until: 2m}]\n",
			[]string{"faults[0].rate: line 6: must be between 0 and 1, got 1.5"}},
		{"rate not a number", base + "faults: [{kind: latency, service: sqs, latency: 1s, rate: often, from: 1m, until: 2m}]\n",
			[]string{"faults[0].rate: line 6: want a number"}},
		{"rate on withheld metrics", base + "faults: [{kind: metrics_withheld, rate: 0.5, from: 1m, until: 2m}]\n",
			[]string{"faults[0].rate: line 6: unknown key"}},
		{"hang on an api error", base + "faults: [{kind: api_error, service: sqs, hang: true, from: 1m, until: 2m}]\n",
			[]string{"faults[0].hang: line 6: unknown key"}},
		{"hang not a bool", base + "faults: [{kind: latency, service: sqs, hang: yes please, from: 1m, until: 2m}]\n",
			[]string{"faults[0].hang: line 6: want true or false"}},
		{"latency without latency or hang", base + "faults: [{kind: latency, service: sqs, from: 1m, until: 2m}]\n",
			[]string{"faults[0].latency: line 6: required"}},
		{"throttle without service", base + "faults: [{kind: throttle, from: 1m, until: 2m}]\n",
			[]string{"faults[0].service: line 6: required"}},
		{"throttle with a code", base + "faults: [{kind: throttle, service: sqs, code: Throttling, from: 1m, until: 2m}]\n",
			[]string{"faults[0].code: line 6: unknown key"}},
		{"client error without code", base + "faults: [{kind: api_error, service: sqs, status: 400, from: 1m, until: 2m}]\n",
			[]string{"faults[0].code: line 6: required with a 4xx status"}},
		{"status out of range", base + "faults: [{kind: api_error, service: sqs, status: 200, from: 1m, until: 2m}]\n",
			[]string{"faults[0].status: line 6: must be between 400 and 599"}},
		{"unknown distribution", `duration: 1h
slo: 2m
workers:
  per_instance_rate: 10
  max: 20
  launch_time: {distribution: gamma, shape: 2}
load: [{constant: {rate: 1}}]
`, []string{"workers.launch_time.distribution: line 6: unknown distribution \"gamma\""}},
		{"lognormal p90 below median", `duration: 1h
slo: 2m
workers:
  per_instance_rate: 10
  max: 20
  launch_time: {distribution: lognormal, median: 90s, p90: 60s}
load: [{constant: {rate: 1}}]
`, []string{"workers.launch_time.p90: line 6: must not be below the median"}},
		{"distribution parameter of another kind", `duration: 1h
slo: 2m
workers:
  per_instance_rate: 10
  max: 20
  launch_time: {distribution: fixed, value: 1m, median: 2m}
load: [{constant: {rate: 1}}]
`, []string{"workers.launch_time.median: line 6: unknown key"}},
		{"bad clock time", base + "  - step: {at: \"25:00\", rate: 5}\n", []string{"load[1].step.at: line 6: `25:00`: want an offset"}},
		{"negative offset", base + "  - burst: {at: -5m, messages: 5}\n", []string{"load[1].burst.at: line 6: `-5m`: an offset must not be negative"}},
		{"date before the start", base + "  - burst: {at: \"2026-12-14 09:00\", messages: 5}\n", []string{"load[1].burst.at: line 6: `2026-12-14 09:00` is before the start of the run"}},
		{"burst after the run", base + "  - burst: {at: 2h, messages: 5}\n", []string{"load[1].burst.at: line 6: is at 2h0m0s, not inside the run"}},
		{"ramp until before to", base + "  - ramp: {from: 1m, to: 5m, rate: 5, until: 2m}\n", []string{"load[1].ramp.until: line 6: must not be before to (5m0s)"}},
		{"unknown load component", base + "  - tsunami: {rate: 5}\n", []string{"load[1].tsunami: line 6: unknown load component"}},
		{"load component with two keys", base + "  - {constant: {rate: 1}, step: {at: 1m, rate: 1}}\n", []string{"load[1]: line 6: a load component is a one-key mapping"}},
		{"load component setting unknown", base + "  - spike: {at: 1m, peak: 5, decay: 1m, height: 3}\n", []string{"load[1].spike.height: line 6: unknown key"}},
		{"load component without settings", base + "  - constant:\n", []string{"load[1].constant: line 6: want a mapping of its settings, got null"}},
		{"empty load", "duration: 1h\nslo: 2m\nworkers: {per_instance_rate: 10, max: 2}\nload: []\n", []string{"load: line 4: needs at least one component"}},
		{"missing trace file", base + "  - trace: {file: nowhere.csv}\n", []string{"load[1].trace.file: line 6: cannot read trace \"nowhere.csv\" (" + filepath.Join("testdata", "nowhere.csv") + ")"}},
		{"malformed trace row", base + "  - trace: {file: bad-row.csv}\n", []string{"load[1].trace.file: line 6: " + filepath.Join("testdata", "bad-row.csv") + ":3: invocations \"abc\" is not a number"}},
		{"two trace scales", base + "  - trace: {file: seconds.csv, peak: 5, mean: 2}\n", []string{"load[1].trace.mean: line 6: set only one of peak, scale and mean"}},
		{"unknown time zone", base + "time_zone: Mars/Olympus\n", []string{"time_zone: line 6: unknown time zone \"Mars/Olympus\""}},
		{"bad start", base + "start: tomorrow\n", []string{"start: line 6: `tomorrow` is not a date and time"}},
		{"reserved headroom key", base + "headroom: {name: web, interval: 5s}\n", []string{"headroom.name: line 6: set by the simulator"}},
		{"headroom not a mapping", base + "headroom: [1, 2]\n", []string{"headroom: line 6: want a mapping, got a list"}},
		{"unknown metric", base + "baselines: {target_tracking: {metric: latency}}\n", []string{"baselines.target_tracking.metric: line 6: unknown metric \"latency\""}},
		{"datapoints above periods", base + "baselines: {target_tracking: {scale_out_datapoints: 4, scale_out_periods: 3}}\n",
			[]string{"baselines.target_tracking.scale_out_datapoints: line 6: must not be above scale_out_periods (3), got 4"}},
		{"too many alarm periods", base + "baselines: {step: {periods: 1441}}\n", []string{"baselines.step.periods: line 6: must be between 1 and 1440"}},
		{"overlapping steps", base + "baselines: {step: {steps: [{lower: 0, upper: 10, adjustment: 1}, {lower: 5, adjustment: 2}]}}\n",
			[]string{"baselines.step.steps: line 6: steps overlap from 5"}},
		{"steps with a gap", base + "baselines: {step: {steps: [{lower: 0, upper: 10, adjustment: 1}, {lower: 20, adjustment: 2}]}}\n",
			[]string{"baselines.step.steps: line 6: steps leave a gap between 10 and 20"}},
		{"unknown adjustment type", base + "baselines: {step: {steps: [{lower: 0, adjustment: 1, type: Double}]}}\n",
			[]string{"baselines.step.steps[0].type: line 6: unknown adjustment type \"Double\""}},
		{"fractional adjustment", base + "baselines: {step: {steps: [{lower: 0, adjustment: 1.5}]}}\n",
			[]string{"baselines.step.steps[0].adjustment: line 6: want a whole number"}},
		{"scale-in threshold above threshold", base + "baselines: {step: {threshold: 10, scale_in_threshold: 10}}\n",
			[]string{"baselines.step.scale_in_threshold: line 6: must be below threshold (10)"}},
		{"not finite", base + "baselines: {hpa: {target_per_pod: .inf}}\n", []string{"baselines.hpa.target_per_pod: line 6: want a finite number"}},
		{"anchored unknown key", "x: &x {rate: 1}\n" + base, []string{"x: line 1: unknown key"}},
		{"merge key in a mapping", base + "monitoring:\n  <<: {sqs_delay: 1m}\n", []string{"monitoring.<<: line 7: merge keys (<<) are not supported"}},
		{"not a mapping", "- 1\n- 2\n", []string{"line 1: want a mapping, got a list"}},
		{"two documents", base + "---\nname: second\n", []string{"a scenario file holds one YAML document"}},
		{"syntax error", "duration: [1h\n", []string{"line 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.doc), "test", "testdata")
			if err == nil {
				t.Fatalf("no error; parsed %+v", s)
			}
			if s != nil {
				t.Errorf("a scenario came back with the error")
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %v is not Problems", err)
			}
			for _, w := range tc.want {
				found := false
				for _, p := range ps {
					if strings.Contains(p.String(), w) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem contains %q; got:\n%v", w, err)
				}
			}
			if !strings.HasPrefix(err.Error(), `scenario "test": `) {
				t.Errorf("error does not name the scenario: %v", err)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`duration: 0s
slo: -1m
workers: {per_instance_rate: -1, max: 0, colour: red}
load:
  - constant: {rate: -1}
  - noise: {relative: -2}
campaigns: [{name: a, start: 1m, end: 30s, capacity: 0}]
`), "many", "testdata")
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %v", err)
	}
	want := []string{
		"duration: line 1", "slo: line 2", "workers.per_instance_rate: line 3", "workers.max: line 3",
		"workers.colour: line 3", "load[0].constant.rate: line 5", "load[1].noise.relative: line 6",
		"campaigns[0].end: line 7", "campaigns[0].capacity: line 7",
	}
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(ps), len(want), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].Line < ps[i-1].Line {
			t.Errorf("problems out of line order: %v before %v", ps[i-1], ps[i])
		}
	}
	if ps[0] != (Problem{Field: "duration", Line: 1, Reason: "must be greater than 0, got 0s"}) {
		t.Errorf("first problem = %#v", ps[0])
	}
}

func TestParseExpectedRate(t *testing.T) {
	tests := []struct {
		name string
		rate string
		want int
	}{
		{"exact multiple is not rounded up", "100", 10},
		{"a little more needs one more", "100.5", 11},
		{"less than one instance", "0.5", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, base+"campaigns: [{name: a, start: 1m, end: 2m, expected_rate: "+tc.rate+"}]\n")
			if got := s.Campaigns[0].Capacity; got != tc.want {
				t.Errorf("capacity = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestParseAudience(t *testing.T) {
	tests := []struct {
		name     string
		campaign string
		want     Campaign
	}{
		{"default messages per recipient, no end", "{name: a, start: 1m, audience: 5000}",
			Campaign{Name: "a", Start: time.Minute, Audience: 5000, MessagesPerRecipient: 1, Announced: true}},
		{"every key", "{name: a, start: 1m, end: 20m, audience: 5000, messages_per_recipient: 3, announced: false}",
			Campaign{Name: "a", Start: time.Minute, End: 20 * time.Minute, Audience: 5000, MessagesPerRecipient: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, base+"campaigns: ["+tc.campaign+"]\n")
			if got := s.Campaigns[0]; got != tc.want {
				t.Errorf("campaign = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseTargetDerivation(t *testing.T) {
	tests := []struct {
		name                          string
		baselines                     string
		wantTT, wantStep, wantHPA     float64
		wantScaleIn                   float64
		wantStepUpperOfTheFirstBucket float64
	}{
		// SLO 2m: 60 s acceptable latency / 0.1 s per message = 600.
		{"derived from the SLO", "", 600, 600, 600, 300, 300},
		{"explicit target flows to step and hpa", "baselines: {target_tracking: {target: 200}}\n", 200, 200, 200, 100, 100},
		{"cpu keeps the backlog derivation for the others", "baselines: {target_tracking: {metric: cpu}}\n", 70, 600, 600, 300, 300},
		{"each set apart", "baselines: {target_tracking: {target: 50}, step: {threshold: 80}, hpa: {target_per_pod: 20}}\n", 50, 80, 20, 40, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mustParse(t, base+tc.baselines).Baselines
			if b.TargetTracking.Target != tc.wantTT || b.Step.Threshold != tc.wantStep || b.HPA.TargetPerPod != tc.wantHPA {
				t.Errorf("targets = %g, %g, %g; want %g, %g, %g",
					b.TargetTracking.Target, b.Step.Threshold, b.HPA.TargetPerPod, tc.wantTT, tc.wantStep, tc.wantHPA)
			}
			if b.Step.ScaleInThreshold != tc.wantScaleIn {
				t.Errorf("scale-in threshold = %g, want %g", b.Step.ScaleInThreshold, tc.wantScaleIn)
			}
			if got := *b.Step.Steps[0].Upper; got != tc.wantStepUpperOfTheFirstBucket {
				t.Errorf("first step's upper bound = %g, want %g", got, tc.wantStepUpperOfTheFirstBucket)
			}
		})
	}
}

func TestClockTimes(t *testing.T) {
	tests := []struct {
		name  string
		start string
		zone  string
		point string
		want  time.Duration
	}{
		{"later the same day", "2026-12-15 06:00", "", `"09:00"`, 3 * time.Hour},
		{"at the start", "2026-12-15 06:00", "", `"06:00"`, 0},
		{"earlier means the next day", "2026-12-15 06:00", "", `"05:00"`, 23 * time.Hour},
		{"seconds", "2026-12-15 06:00", "", `"06:00:30"`, 30 * time.Second},
		// Europe/Berlin moves to summer time at 02:00 on 29 March 2026:
		// 22:00 CET to 09:00 CEST is eleven hours on the wall, ten elapsed.
		{"across a daylight-saving change", "2026-03-28 22:00", "Europe/Berlin", `"09:00"`, 10 * time.Hour},
		{"a local date and time", "2026-03-28 22:00", "Europe/Berlin", `"2026-03-29 03:30"`, 4*time.Hour + 30*time.Minute},
		{"RFC 3339 in another zone", "2026-12-15 06:00", "Asia/Tokyo", `"2026-12-14T22:00:00Z"`, time.Hour},
		{"an offset", "2026-12-15 06:00", "Asia/Tokyo", `90m`, 90 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := "start: \"" + tc.start + "\"\n"
			if tc.zone != "" {
				doc += "time_zone: " + tc.zone + "\n"
			}
			doc += "duration: 48h\nslo: 2m\nworkers: {per_instance_rate: 10, max: 2}\n" +
				"load: [{burst: {at: " + tc.point + ", messages: 1}}]\n"
			s := mustParse(t, doc)
			if got := s.Load(1).Bursts[0].At; got != tc.want {
				t.Errorf("offset = %s, want %s", got, tc.want)
			}
			if tc.zone != "" && s.Start.Location().String() != tc.zone {
				t.Errorf("start zone = %s, want %s", s.Start.Location(), tc.zone)
			}
		})
	}
}

func TestEndPointsResolveAfterTheirStart(t *testing.T) {
	s := mustParse(t, `start: "2026-12-15 06:00"
duration: 48h
slo: 2m
workers: {per_instance_rate: 10, max: 2}
load:
  - step: {at: "09:00", rate: 5, until: "09:00"}
campaigns:
  - {name: overnight, start: "22:00", end: "02:00", capacity: 1}
`)
	c := s.Campaigns[0]
	if c.Start != 16*time.Hour || c.End != 20*time.Hour {
		t.Errorf("overnight campaign = %s..%s, want 16h..20h", c.Start, c.End)
	}
	rates := s.Load(1).Rates
	at := int((3 * time.Hour).Seconds())
	if rates[at] != 5 || rates[at+86399] != 5 || rates[at+86400] != 0 {
		t.Errorf("step 09:00..09:00 should last a day: %g %g %g", rates[at], rates[at+86399], rates[at+86400])
	}
}

func TestLoadFileResolvesTracesNextToTheFile(t *testing.T) {
	s, err := LoadFile(filepath.Join("testdata", "traced.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "traced" {
		t.Errorf("name = %q", s.Name)
	}
	if got := s.Load(0).Rates[0]; math.Abs(got-20) > 1e-9 {
		t.Errorf("rate at 0 = %g, want 20 (10/s scaled to a peak of 40)", got)
	}
	if _, err := LoadFile(filepath.Join("testdata", "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseAliasBomb(t *testing.T) {
	doc := base + `headroom:
  a: &a [x, x, x, x, x, x, x, x, x, x]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
`
	_, err := Parse([]byte(doc), "bomb", "testdata")
	if err == nil || !strings.Contains(err.Error(), "headroom: line 7: expands to too many values") {
		t.Errorf("error = %v", err)
	}
}

func TestParseUnquotedTimestampStart(t *testing.T) {
	s := mustParse(t, base+"start: 2026-12-15T08:00:00Z\ntime_zone: Asia/Tokyo\n")
	if got := s.Start.Format(time.RFC3339); got != "2026-12-15T17:00:00+09:00" {
		t.Errorf("start = %s, want 17:00 in Tokyo", got)
	}
}

// TestDocsExampleParses keeps the example at the end of docs/scenarios.md
// a valid scenario.
func TestDocsExampleParses(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "scenarios.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.LastIndex(text, "```yaml\n")
	if i < 0 {
		t.Fatal("no yaml example in docs/scenarios.md")
	}
	example, _, ok := strings.Cut(text[i+len("```yaml\n"):], "```")
	if !ok {
		t.Fatal("unterminated example")
	}
	s := mustParse(t, example)
	if s.Name != "lunch-rush" || s.Campaigns[0].Capacity != 40 || s.Baselines.TargetTracking.ScaleOutPeriods != 3 {
		t.Errorf("example parsed as %+v", s)
	}
}

func TestParseWeightsAndWarmPool(t *testing.T) {
	s, err := Parse([]byte(`duration: 1h
slo: 2m
workers:
  per_instance_rate: 10
  max: 40
  instance_types: [{type: c5.large, weight: 1}, {type: c5.xlarge, weight: 2}, {type: c5.2xlarge, weight: 4}]
  warm_pool: {min_size: 2}
  warm_resume: 15s
load: [{constant: {rate: 1}}]
`), "test", "testdata")
	if err != nil {
		t.Fatal(err)
	}
	w := s.Workers
	want := []InstanceType{{"c5.large", 1}, {"c5.xlarge", 2}, {"c5.2xlarge", 4}}
	if !slices.Equal(w.InstanceTypes, want) {
		t.Errorf("instance types %v, want %v", w.InstanceTypes, want)
	}
	if w.WarmPool == nil || *w.WarmPool != (WarmPool{MinSize: 2, PoolState: "Stopped"}) {
		t.Errorf("warm pool %+v, want min 2, Stopped, prepared capacity left to the group's max", w.WarmPool)
	}
	if !w.WarmResumeSet || w.WarmResume.String() != "fixed(15s)" {
		t.Errorf("warm resume %v (set %v), want fixed(15s)", w.WarmResume, w.WarmResumeSet)
	}
}
