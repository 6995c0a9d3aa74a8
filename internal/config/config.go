// Package config is Headroom's typed configuration: the YAML file decoded
// strictly (unknown keys are errors, reported with their line), defaults
// applied to every key the file leaves out, and every rule checked at once
// so that one run of `headroom validate` shows every problem.
//
// docs/configuration.md describes every key, its default and its rule.
package config

import (
	"fmt"
	"os"

	"github.com/headroom-dev/headroom/internal/campaign"
	"github.com/headroom-dev/headroom/internal/policy"
)

// Config is the whole configuration file.
type Config struct {
	// Region is the AWS region; empty means the SDK's default chain
	// (AWS_REGION, the shared config file, instance metadata).
	Region string `yaml:"region,omitempty"`
	// Interval is the time between two cycles of the control loop.
	Interval Duration `yaml:"interval"`
	// Jitter is the largest random delay added to each cycle so that
	// replicas and fleets do not call AWS in lockstep.
	Jitter Duration `yaml:"jitter"`
	// CallTimeout is the deadline of every AWS call.
	CallTimeout Duration `yaml:"call_timeout"`
	// Listen is the host:port that serves /metrics, /healthz and /readyz.
	Listen string `yaml:"listen"`
	// SQSConcurrency bounds the GetQueueAttributes calls in flight.
	SQSConcurrency int `yaml:"sqs_concurrency"`
	// History is how many decisions are kept per group in memory; the
	// store keeps the decision history that the API shows.
	History int `yaml:"history"`
	// Store is where boosts, overrides, the audit trail and decision
	// history live.
	Store Store `yaml:"store"`
	// API configures the admin API: tokens, TLS and the write rate limit.
	API API `yaml:"api"`
	// Lease configures the leader lease between replicas.
	Lease Lease `yaml:"lease"`
	// AWS configures the budget of Auto Scaling writes and retries.
	AWS AWS `yaml:"aws"`
	// Campaigns configures the queue campaigns are announced on.
	Campaigns Campaigns `yaml:"campaigns,omitempty"`
	Groups    []Group   `yaml:"groups"`
}

// Group is one EC2 Auto Scaling group under management.
type Group struct {
	// Name is Headroom's name for the group (metrics, API, decisions);
	// it defaults to ASG.
	Name string `yaml:"name"`
	// ASG is the EC2 Auto Scaling group's name: the shorthand for
	// Target{Kind: asg, Name: ASG}, and set from Target.Name for an asg
	// target.
	ASG string `yaml:"asg"`
	// Target is what the group scales (docs/targets.md); absent, the
	// Auto Scaling group ASG names.
	Target Target `yaml:"target,omitempty"`
	// AWS is the account and region of the group's AWS calls; absent, the
	// daemon's own.
	AWS GroupAWS `yaml:"aws,omitempty"`
	// Min and Max are Headroom's bounds, intersected each cycle with the
	// group's own MinSize and MaxSize.
	Min int `yaml:"min"`
	Max int `yaml:"max"`
	// Warmup is how long an instance counts as warming after it is
	// InService; warming instances are not serving.
	Warmup Duration `yaml:"warmup"`
	// BoostLead is how long before a boost's window its floor must be
	// reached while no launch time of the group has been measured yet;
	// once one has, the lead is the measured launch-to-InService p90 plus
	// the warmup and one interval.
	BoostLead Duration `yaml:"boost_lead"`
	// RaiseWarmPool lets Headroom raise the group's warm pool MinSize
	// before a boost whose scale-out the pool cannot give warm, and put it
	// back afterwards (docs/operations.md, group features). Default true.
	RaiseWarmPool bool `yaml:"raise_warm_pool"`
	// ScaleInWindow is the stabilization window for scale-in.
	ScaleInWindow Duration `yaml:"scale_in_window"`
	// MaxAge is how old an observation may be before it is stale.
	MaxAge Duration `yaml:"max_age"`
	// MaxScaleOutStep and MaxScaleInStep bound the change per cycle:
	// an instance count ("3") or a percentage of current capacity ("50%").
	// Empty means no limit.
	MaxScaleOutStep RateLimit `yaml:"max_scale_out_step,omitempty"`
	MaxScaleInStep  RateLimit `yaml:"max_scale_in_step,omitempty"`
	// FallbackCapacity, when > 0, is applied after FallbackAfter
	// consecutive cycles without fresh input; never below current.
	FallbackCapacity int `yaml:"fallback_capacity,omitempty"`
	FallbackAfter    int `yaml:"fallback_after,omitempty"`
	// Hysteresis holds a rate-mode backlog proposal at current capacity
	// when it is within these bands of it.
	Hysteresis Hysteresis `yaml:"hysteresis"`
	// Predictive turns on the predictive floor: a forecast of the
	// group's need from its own demand history. Nil (the block absent)
	// means off.
	Predictive *Predictive `yaml:"predictive,omitempty"`
	Policies   []Policy    `yaml:"policies"`
}

// Predictive modes.
const (
	// PredictiveForecastOnly computes the predictive floor and shows it in
	// every decision without applying it.
	PredictiveForecastOnly = "forecast_only"
	// PredictiveFloor applies the predictive floor.
	PredictiveFloor = "floor"
)

// Predictive configures a group's predictive floor
// (docs/configuration.md, predictive).
type Predictive struct {
	// Mode is PredictiveForecastOnly or PredictiveFloor; required.
	Mode string `yaml:"mode"`
	// Lead is how far ahead the floor looks; zero means the group's
	// measured launch lead (launch p90 + warmup + one interval, or
	// boost_lead until launches are measured), computed each cycle.
	Lead Duration `yaml:"lead"`
	// Quantile is the forecast quantile the floor is taken at, in (0, 1).
	Quantile float64 `yaml:"quantile"`
	// MaxFloor caps the floor, in the group's units; zero means no cap
	// but the group's max.
	MaxFloor int `yaml:"max_floor"`
}

// Hysteresis is the pair of bands, as fractions of current capacity,
// inside which a rate-mode backlog proposal does not move the group:
// ScaleIn below current, ScaleOut above it (this one only while no queue
// is over its latency budget).
type Hysteresis struct {
	ScaleIn  float64 `yaml:"scale_in"`
	ScaleOut float64 `yaml:"scale_out"`
}

// Policy is one named rule of a group; exactly one of its kinds is set.
type Policy struct {
	Name           string          `yaml:"name"`
	TargetTracking *TargetTracking `yaml:"target_tracking,omitempty"`
	Backlog        *Backlog        `yaml:"backlog,omitempty"`
	Step           *Step           `yaml:"step,omitempty"`
}

// Kind reports which kind of policy p is, or "" when none is set.
func (p Policy) Kind() policy.Kind {
	switch {
	case p.TargetTracking != nil:
		return policy.KindTargetTracking
	case p.Backlog != nil:
		return policy.KindBacklog
	case p.Step != nil:
		return policy.KindStep
	}
	return ""
}

// MetricSource is the CloudWatch input of a target tracking or step
// policy: one metric, or queries combined by an arithmetic expression.
type MetricSource struct {
	Metric     *Metric `yaml:"metric,omitempty"`
	Queries    []Query `yaml:"queries,omitempty"`
	Expression string  `yaml:"expression,omitempty"`
	// Period is the CloudWatch period of every datapoint the policy reads.
	Period Duration `yaml:"period"`
}

// Metric names one CloudWatch metric statistic.
type Metric struct {
	Namespace  string            `yaml:"namespace"`
	Name       string            `yaml:"name"`
	Dimensions map[string]string `yaml:"dimensions,omitempty"`
	// Stat is Average, Sum, Minimum, Maximum, SampleCount or a
	// percentile pNN(.NN).
	Stat string `yaml:"stat"`
	// Unit is optional; when set, only data published with it is read.
	Unit string `yaml:"unit,omitempty"`
}

// Query is one metric of a metric-math source, named by ID so that the
// expression can refer to it.
type Query struct {
	ID     string  `yaml:"id"`
	Metric *Metric `yaml:"metric"`
}

// TargetTracking keeps a utilization-style metric at Target.
type TargetTracking struct {
	MetricSource `yaml:",inline"`
	Target       float64 `yaml:"target"`
	// Tolerance is the dead band as a fraction of Target.
	Tolerance float64 `yaml:"tolerance"`
}

// Backlog sizes the group to the work waiting in its queues.
type Backlog struct {
	Mode policy.BacklogMode `yaml:"mode"`
	// AcceptableLatency is L: how long a message may wait.
	AcceptableLatency Duration `yaml:"acceptable_latency,omitempty"`
	// TargetUtilization is u: the share of unit time spent working.
	TargetUtilization float64 `yaml:"target_utilization"`
	// Budget is theta: the standing backlog allowed, as a share of L's
	// worth of arrivals (rate mode).
	Budget float64 `yaml:"budget"`
	// DrainFactor is eta: an excess above the budget is drained within
	// eta * L (rate mode).
	DrainFactor float64 `yaml:"drain_factor"`
	// RefillSlack is kappa: below its budget, a queue may be served at as
	// little as (1 - kappa) of its arrival rate (rate mode).
	RefillSlack float64 `yaml:"refill_slack"`
	// JumpFactor is J: a filtered arrival rate above J times the smoothed
	// one is taken at once (rate mode).
	JumpFactor float64 `yaml:"jump_factor"`
	// ArrivalSmoothing is tau, the time constant of the arrival rate's
	// moving average (rate mode); zero or left out means AcceptableLatency.
	ArrivalSmoothing Duration `yaml:"arrival_smoothing"`
	// JumpMemory is how long a rate is remembered when judging a jump: a
	// jump must also be JumpFactor above the recent peak (rate mode).
	JumpMemory Duration `yaml:"jump_memory"`
	Queues     []Queue  `yaml:"queues"`
}

// Queue is one SQS queue of a backlog policy.
type Queue struct {
	// Name is the queue's name or URL.
	Name string `yaml:"queue"`
	// SecondsPerMessage is s: the time one instance slot spends on one
	// message.
	SecondsPerMessage float64 `yaml:"seconds_per_message,omitempty"`
	// TargetPerInstance is the per_instance mode's acceptable backlog per
	// instance.
	TargetPerInstance float64 `yaml:"target_per_instance,omitempty"`
	// Concurrency is c: messages one instance works on at once.
	Concurrency   int  `yaml:"concurrency"`
	CountInFlight bool `yaml:"count_in_flight"`
	CountDelayed  bool `yaml:"count_delayed"`
}

// Step is an alarm with step adjustments, as EC2 Auto Scaling step
// scaling defines it.
type Step struct {
	MetricSource           `yaml:",inline"`
	Threshold              float64               `yaml:"threshold"`
	Comparison             policy.Comparison     `yaml:"comparison"`
	EvaluationPeriods      int                   `yaml:"evaluation_periods"`
	DatapointsToAlarm      int                   `yaml:"datapoints_to_alarm"`
	AdjustmentType         policy.AdjustmentType `yaml:"adjustment_type"`
	MinAdjustmentMagnitude int                   `yaml:"min_adjustment_magnitude,omitempty"`
	Steps                  []StepAdjustment      `yaml:"steps"`
}

// StepAdjustment applies Adjustment when (metric - threshold) lies within
// [Lower, Upper) above the threshold or (Lower, Upper] below it. A nil
// bound is infinite.
type StepAdjustment struct {
	Lower      *float64 `yaml:"lower"`
	Upper      *float64 `yaml:"upper"`
	Adjustment int      `yaml:"adjustment"`
}

// Load reads the file at path and parses it with Parse.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config %q: %w", path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config %q: %w", path, err)
	}
	return c, nil
}

// Parse decodes data strictly, applies the defaults of every key the
// document leaves out, and validates the result. Its error is Problems:
// YAML syntax errors, unknown keys and type errors with their line, then
// every rule the configuration breaks.
func Parse(data []byte) (*Config, error) {
	var c Config
	d, probs := decode(data, &c)
	if d == nil {
		return nil, probs
	}
	// A key whose value failed to decode gets its default, so that
	// the one mistake is not reported again through the keys derived
	// from it.
	c.applyDefaults(func(p string) bool { return d.present.has(p) && !d.covers(p) })
	for _, p := range c.problems() {
		if !d.covers(p.Field) {
			probs = append(probs, p)
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return &c, nil
}

// UnitsPerMessage returns the capacity units one message per second keeps
// busy on the group, from its backlog queues: seconds_per_message /
// (concurrency x target_utilization) (campaign.DefaultCost), the highest
// over its queues, since a campaign's messages may land on any of them
// and the costliest must not be short. ok is false when no backlog queue
// gives seconds_per_message (per_instance queues given by
// target_per_instance alone do not say what a message costs). A
// campaign's floor uses it until the group's history measures the cost.
func (g Group) UnitsPerMessage() (float64, bool) {
	best, found := 0.0, false
	for _, p := range g.Policies {
		if p.Backlog == nil {
			continue
		}
		u := p.Backlog.TargetUtilization
		if u <= 0 {
			u = DefaultTargetUtilization
		}
		for _, q := range p.Backlog.Queues {
			c := q.Concurrency
			if c <= 0 {
				c = DefaultConcurrency
			}
			if v, ok := campaign.DefaultCost(q.SecondsPerMessage, c, u); ok && v > best {
				best, found = v, true
			}
		}
	}
	return best, found
}
