// Package baseline holds the scaling policies Headroom is compared with in
// the simulator: EC2 Auto Scaling target tracking and step scaling, EC2
// Auto Scaling predictive scaling beside target tracking, the Kubernetes
// Horizontal Pod Autoscaler fed by KEDA's SQS scaler, a static
// group sized for the peak, and an oracle that knows the future.
//
// Each baseline decides the group's desired capacity from what it could
// really see at one step of the world: the Auto Scaling group's counts, the
// SQS queue read directly (as KEDA does), and CloudWatch datapoints only
// once they are published (as AWS's own alarms see them). They emulate the
// documented behaviour of the systems they stand for; where the documents
// are silent, the comment at that place says which behaviour was chosen,
// and it is the one most favourable to the baseline.
//
// Sources, cited again where each rule is applied:
//   - Amazon EC2 Auto Scaling User Guide: "Target tracking scaling policies",
//     "Step and simple scaling policies", "Set the default instance warmup
//     for an Auto Scaling group", "Scaling based on Amazon SQS".
//   - Amazon CloudWatch User Guide: "Using Amazon CloudWatch alarms" (alarm
//     evaluation, missing data, Auto Scaling actions repeated every period).
//   - Kubernetes documentation "Horizontal Pod Autoscaling" and the
//     controller source pkg/controller/podautoscaler (horizontal.go,
//     replica_calculator.go).
//   - KEDA documentation "AWS SQS Queue" scaler.
package baseline

import "time"

// Tick is what a baseline can see at one step of the world; the world calls
// Decide every second of virtual time.
type Tick struct {
	// Now is the virtual time of the step; the first Tick's Now is the run
	// start.
	Now time.Time
	// Desired, Min and Max are the Auto Scaling group's DesiredCapacity,
	// MinSize and MaxSize. Min may be raised by a scheduled action during a
	// campaign.
	Desired, Min, Max int
	// InService counts InService instances, warming ones included.
	InService int
	// Serving counts InService instances past the warmup.
	Serving int
	// Pending counts instances launched but not yet InService.
	Pending int
	// Queue is the SQS queue read directly with GetQueueAttributes.
	Queue Queue
	// Metrics reads CloudWatch as AWS's own alarms see it: only datapoints
	// already published.
	Metrics Metrics
}

// Queue is one GetQueueAttributes read of the SQS queue.
type Queue struct {
	// Visible is ApproximateNumberOfMessages, InFlight is
	// ApproximateNumberOfMessagesNotVisible.
	Visible, InFlight int
	// OldestAge is the age of the oldest waiting message.
	OldestAge time.Duration
}

// Datapoint is one published CloudWatch datapoint; At is the start of its
// period.
type Datapoint struct {
	At    time.Time
	Value float64
}

// Metrics reads published datapoints.
type Metrics interface {
	// Last returns up to n of the most recent published datapoints of the
	// metric, oldest first. Periods with no datapoint (not published yet,
	// or withheld during an outage) are simply absent, so callers must
	// check At to see whether the last n periods are all there.
	Last(metric string, n int) []Datapoint
}

// Metric names the world publishes (1-minute periods unless said
// otherwise).
const (
	// MetricSQSVisible is AWS/SQS ApproximateNumberOfMessagesVisible
	// (Maximum over the minute).
	MetricSQSVisible = "sqs_visible"
	// MetricSQSAge is AWS/SQS ApproximateAgeOfOldestMessage in seconds.
	MetricSQSAge = "sqs_age"
	// MetricCPU is AWS/EC2 CPUUtilization, the Average over the group, in
	// 1- or 5-minute periods.
	MetricCPU = "ec2_cpu"
	// MetricInService is AWS/AutoScaling GroupInServiceInstances.
	MetricInService = "asg_in_service"
	// MetricSQSSent is AWS/SQS NumberOfMessagesSent (Sum over the minute):
	// the messages that arrived on the queue.
	MetricSQSSent = "sqs_sent"
)

// Names of the alarm metrics target tracking and step scaling can use.
const (
	// BacklogPerInstance is AWS's SQS recipe computed with metric math:
	// sqs_visible / asg_in_service, per period.
	BacklogPerInstance = "backlog_per_instance"
	// CPU is the group's average CPU utilization (ec2_cpu).
	CPU = "cpu"
)

// Policy is one baseline.
type Policy interface {
	// Name names the baseline in scorecards and charts.
	Name() string
	// Decide returns the desired capacity the baseline wants set now, and
	// false when it leaves the group as it is. The caller clamps to [Min,
	// Max] and records a scaling action only when desired changes.
	Decide(t Tick) (int, bool)
}

// Names of the baselines.
const (
	NameTargetTracking = "aws-target-tracking"
	NameStep           = "aws-step"
	NameHPA            = "hpa"
	NameStatic         = "static-peak"
	NameOracle         = "oracle"
	NamePredictive     = "aws-predictive"
)
