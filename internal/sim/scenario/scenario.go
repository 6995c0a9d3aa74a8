// Package scenario reads simulation scenarios: the workload a group of
// queue workers faces (arrival rates, bursts, real traces), the workers
// themselves (throughput, launch time, warmup, bounds), the campaigns an
// operator knows about, the faults injected into AWS, CloudWatch's
// publication delays and the settings of every baseline policy.
//
// A scenario is a strict YAML file (docs/scenarios.md describes every
// key); Parse reports every problem as "field.path: line N: reason" and
// returns nothing half-parsed. Parse fills every default, so a Scenario
// holds concrete values except where a zero is documented to mean
// "derive from demand" (Workers.Initial, Baselines.StaticCapacity) or
// "derive the default configuration" (Headroom).
//
// Load turns a scenario into the arrivals of one run, deterministic for a
// seed.
package scenario

import (
	"time"
)

// Scenario is one validated simulation scenario.
type Scenario struct {
	Name, Description string
	// Start is the wall time of offset 0, in the scenario's zone.
	Start time.Time
	// Duration is the run length: whole seconds, > 0, at most MaxDuration.
	Duration time.Duration
	Workers  Workers
	// SLO is the maximum acceptable age of the oldest waiting message.
	SLO        time.Duration
	Campaigns  []Campaign
	Faults     []Fault
	Monitoring Monitoring
	Baselines  Baselines
	// Headroom is the optional `headroom:` block re-encoded as YAML text: a
	// Headroom config group mapping without name/asg/min/max (policies,
	// warmup, scale_in_window, ...) plus optional top-level `interval`.
	// Empty means "derive the default". Validated by the consumer.
	Headroom string

	// components are the load components in file order.
	components []component
}

// MaxDuration is the longest run a scenario may ask for: two weeks, so
// that a weekly rhythm is seen once as history and once again as what a
// forecast of it must meet. Two weeks of one-second steps are 1,209,600
// samples per policy, which the world and the scorecard still hold
// comfortably in memory.
const MaxDuration = 14 * 24 * time.Hour

// Workers' target kinds: what the workers are.
const (
	// TargetASG is an EC2 Auto Scaling group of instances (the default).
	TargetASG = "asg"
	// TargetECSService is an ECS service of tasks.
	TargetECSService = "ecs_service"
)

// Workers describes the workers, an Auto Scaling group's instances or an
// ECS service's tasks, and the work one of them does. For a service,
// "instance" below reads "task".
type Workers struct {
	// Target is TargetASG (default) or TargetECSService.
	Target string
	// PerInstanceRate is the messages per second one serving instance
	// completes (> 0).
	PerInstanceRate float64
	// ServiceTime is the time to process one message (default 1s); an
	// instance works on PerInstanceRate*ServiceTime messages at once.
	ServiceTime time.Duration
	// LaunchTime is the time from a launch request to InService; for an
	// ECS service, from a task's creation to RUNNING (the file's
	// start_time).
	LaunchTime Dist
	// Warmup is the time from InService to serving (default 60s).
	Warmup time.Duration
	// Min and Max are the group bounds (0 <= Min <= Max, Max > 0).
	Min, Max int
	// Initial is the starting capacity; 0 means derive it (the consumer
	// uses demand at offset 0, clamped to the bounds).
	Initial int
	// DetailedMonitoring is true (the default) when EC2 publishes instance
	// metrics per minute, false for basic monitoring's five minutes.
	DetailedMonitoring bool
	// InstanceTypes, when set, makes the group weighted: a mixed
	// instances policy whose launch template overrides carry these
	// weights. Min, Max, Initial and PerInstanceRate are then per unit
	// (an instance of weight 4 serves 4 * PerInstanceRate).
	InstanceTypes []InstanceType
	// WarmPool, when set, gives the group a warm pool.
	WarmPool *WarmPool
	// WarmResume, when WarmResumeSet, is the time a warm pool instance
	// takes from leaving the pool to InService, whatever its pool state;
	// otherwise the emulator's defaults per pool state apply (see
	// docs/emulator.md: a stopped instance starts in tens of seconds, as
	// the image and the application were set up when it was warmed).
	WarmResume    Dist
	WarmResumeSet bool
}

// InstanceType is one launch template override of a weighted group.
type InstanceType struct {
	Type   string
	Weight int
}

// WarmPool is a group's warm pool, as PutWarmPool configures it.
type WarmPool struct {
	// MinSize is the fewest instances the pool keeps.
	MinSize int
	// MaxGroupPreparedCapacity bounds the group's desired capacity plus
	// the pool; 0 means the group's max (AWS's default).
	MaxGroupPreparedCapacity int
	// PoolState is Stopped, Running or Hibernated.
	PoolState string
}

// Service reports whether the workers are an ECS service.
func (w Workers) Service() bool { return w.Target == TargetECSService }

// Concurrency is how many messages one instance works on at once:
// PerInstanceRate * ServiceTime, at least 1.
func (w Workers) Concurrency() float64 {
	return max(1, w.PerInstanceRate*w.ServiceTime.Seconds())
}

// Campaign is a known (announced) or unannounced event, as an operator
// would describe it: by the capacity it needs, or by its audience.
type Campaign struct {
	Name string
	// Start and End are offsets from the scenario's Start. End is 0 for a
	// campaign given by its audience without an end: the sizing sets it.
	Start, End time.Duration
	// Capacity is the expected instances needed at peak: from `capacity:`
	// or ceil(`expected_rate:` / PerInstanceRate); 0 for a campaign given
	// by its audience.
	Capacity int
	// Audience is the recipients of a campaign given by its audience
	// (`audience:`), 0 otherwise; MessagesPerRecipient is how many
	// messages each response makes (`messages_per_recipient:`, default
	// campaign.DefaultMessagesPerRecipient). The simulation sizes such a
	// campaign as the campaign intake (POST /v1/campaigns) does.
	Audience             int
	MessagesPerRecipient int
	// Announced is true (the default) when the campaign is given to the
	// policies that take campaigns; unannounced campaigns are given to no
	// policy and only document what the load does.
	Announced bool
}

// Fault kinds.
const (
	FaultAPIError        = "api_error"
	FaultLatency         = "latency"
	FaultThrottle        = "throttle"
	FaultMetricsWithheld = "metrics_withheld"
)

// Fault services, as the scenario file names them.
const (
	ServiceAutoScaling = "autoscaling"
	ServiceCloudWatch  = "cloudwatch"
	ServiceSQS         = "sqs"
)

// CloudWatch namespaces a metrics_withheld fault can name.
const (
	NamespaceSQS         = "AWS/SQS"
	NamespaceEC2         = "AWS/EC2"
	NamespaceAutoScaling = "AWS/AutoScaling"
)

// Fault is injected during [From, Until).
type Fault struct {
	// Kind is FaultAPIError, FaultLatency, FaultThrottle or
	// FaultMetricsWithheld. A throttle fault is an api_error with the
	// service's own throttling code and status 400.
	Kind string
	// Service is ServiceAutoScaling, ServiceCloudWatch or ServiceSQS for
	// api_error, latency and throttle; "" for metrics_withheld.
	Service string
	// Operation is the API operation, e.g. "GetMetricData"; "" means every
	// operation of the service.
	Operation string
	// From and Until are offsets from the scenario's Start.
	From, Until time.Duration
	// Status is the HTTP status of an api_error (500 by default, or the
	// status AWS uses for Code).
	Status int
	// Code is the AWS error code of an api_error, e.g.
	// "InternalServiceError" or "Throttling".
	Code string
	// Latency is the added delay of a latency fault.
	Latency time.Duration
	// Hang, on a latency fault, holds each call until the client gives up
	// (Headroom's call_timeout).
	Hang bool
	// Rate is the fraction of matching calls an api_error, latency or
	// throttle fault hits, in (0, 1]; 0 means every call.
	Rate float64
	// Namespaces are the CloudWatch namespaces whose datapoints a
	// metrics_withheld fault holds back; empty means all of them.
	Namespaces []string
}

// Active reports whether the fault applies at offset t.
func (f Fault) Active(t time.Duration) bool { return t >= f.From && t < f.Until }

// Withholds reports whether a metrics_withheld fault holds back the
// datapoints of namespace.
func (f Fault) Withholds(namespace string) bool {
	if f.Kind != FaultMetricsWithheld {
		return false
	}
	if len(f.Namespaces) == 0 {
		return true
	}
	for _, n := range f.Namespaces {
		if n == namespace {
			return true
		}
	}
	return false
}

// Monitoring holds CloudWatch's publication delays.
type Monitoring struct {
	// SQSDelay, EC2Delay and ASGDelay are how long after its period ends
	// each per-period datapoint is published (defaults: 60s each).
	SQSDelay, EC2Delay, ASGDelay time.Duration
}

// Baselines holds the settings each baseline runs with. Parse fills every
// default, documented on each field; StaticCapacity 0 still means "peak
// demand", which only the consumer knows.
type Baselines struct {
	TargetTracking TargetTracking
	Step           Step
	HPA            HPA
	// ScheduledActionDelay is how late an EC2 Auto Scaling scheduled
	// action starts (default uniform 0s..60s).
	ScheduledActionDelay Dist
	// StaticCapacity is static-peak's capacity; 0 means peak demand.
	StaticCapacity int
}

// Target-tracking metrics.
const (
	MetricBacklogPerInstance = "backlog_per_instance"
	MetricCPU                = "cpu"
)

// TargetTracking configures the aws-target-tracking baseline.
type TargetTracking struct {
	// Metric is MetricBacklogPerInstance (default; AWS's SQS recipe) or
	// MetricCPU.
	Metric string
	// Target defaults, for backlog per instance, to the acceptable
	// latency (SLO/2) divided by the seconds one instance spends per
	// message (1/PerInstanceRate); for cpu, to 70 (percent).
	Target float64
	// ScaleOutDatapoints of ScaleOutPeriods (default 3 of 3).
	ScaleOutDatapoints, ScaleOutPeriods int
	// ScaleInDatapoints of ScaleInPeriods (default 15 of 15).
	ScaleInDatapoints, ScaleInPeriods int
	// ScaleInRatio puts the scale-in threshold at ratio*Target (default
	// 0.7).
	ScaleInRatio float64
}

// Step configures the aws-step baseline, on backlog per instance.
type Step struct {
	// Threshold defaults to the backlog-per-instance target (target
	// tracking's, when it tracks backlog; otherwise the derived one).
	Threshold float64
	// Datapoints of Periods of the scale-out alarm (default 1 of 1).
	Datapoints, Periods int
	// ScaleInThreshold defaults to 0.5*Threshold.
	ScaleInThreshold float64
	// ScaleInDatapoints of ScaleInPeriods (default 15 of 15).
	ScaleInDatapoints, ScaleInPeriods int
	// Steps default to: [0, 0.5*Threshold) above the threshold: +1
	// instance; [0.5*Threshold, Threshold): +50% (PercentChangeInCapacity);
	// Threshold and above: +100%.
	Steps []StepAdjustment
	// ScaleInAdjustment is the scale-in step in percent (default -10).
	ScaleInAdjustment int
}

// Step adjustment types, as EC2 Auto Scaling names them.
const (
	ChangeInCapacity        = "ChangeInCapacity"
	PercentChangeInCapacity = "PercentChangeInCapacity"
	ExactCapacity           = "ExactCapacity"
)

// StepAdjustment is one step of a step scaling policy. Lower and Upper are
// relative to the alarm threshold, as AWS's MetricIntervalLowerBound and
// MetricIntervalUpperBound are; nil is unbounded.
type StepAdjustment struct {
	Lower, Upper *float64
	Adjustment   float64
	// Type is ChangeInCapacity, PercentChangeInCapacity or ExactCapacity.
	Type string
}

// HPA configures the hpa baseline (Kubernetes HPA driven by KEDA's
// aws-sqs-queue scaler).
type HPA struct {
	// TargetPerPod is KEDA's queueLength target per replica; defaults to
	// the backlog-per-instance target.
	TargetPerPod float64
	// Tolerance defaults to 0.1.
	Tolerance float64
	// Sync defaults to 15s.
	Sync time.Duration
	// ScaleDownStabilization defaults to 300s.
	ScaleDownStabilization time.Duration
}
