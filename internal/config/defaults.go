package config

import (
	"fmt"
	"time"

	"github.com/headroom-dev/headroom/internal/policy"
)

// Defaults of keys the file leaves out. A key written with an explicit
// value, zero included, keeps that value and is validated as written.
const (
	DefaultInterval = 10 * time.Second
	// DefaultCallTimeout is 4 s: an Auto Scaling, CloudWatch or SQS call
	// answers in tens to hundreds of milliseconds, so 4 s lets a slow one
	// through, and it stays below a third of the default lease TTL (5 s),
	// the margin by which a leader stops acting before its lease could
	// pass to another replica: a write it gave up on cannot outlive it.
	DefaultCallTimeout    = 4 * time.Second
	DefaultListen         = ":9464"
	DefaultSQSConcurrency = 16
	// DefaultHistory keeps a group's latest decision in memory, which is
	// all the daemon reads back (the API's and dashboard's group views);
	// the decision history they show lives in the store. A record with its
	// proposals, inputs and reasons takes over a kilobyte, so 500 a group
	// held over a gigabyte at 2,000 groups once the rings were full.
	DefaultHistory = 1
	// DefaultWarmup is 300 s: when a group has no DefaultInstanceWarmup,
	// EC2 Auto Scaling falls back to its health check grace period, whose
	// console default is 300 s ("Set the health check grace period for an
	// Auto Scaling group", Amazon EC2 Auto Scaling User Guide).
	DefaultWarmup        = 300 * time.Second
	DefaultScaleInWindow = policy.DefaultScaleInWindow
	// DefaultBoostLead covers a typical EC2 launch (a few minutes from
	// RunInstances to InService) until the group's own is measured.
	DefaultBoostLead = 10 * time.Minute
	// DefaultPredictiveQuantile is the forecast quantile of a predictive
	// floor: the need is above it one bucket in ten. The floor only
	// starts capacity early, and the reactive policies still cover a miss,
	// so the 90th percentile buys a launch ahead of most peaks without
	// paying for the rarest ones all day.
	DefaultPredictiveQuantile = 0.9
	// DefaultPeriod is CloudWatch's standard resolution: one datapoint a
	// minute.
	DefaultPeriod    = 60 * time.Second
	DefaultTolerance = policy.DefaultTolerance
	// DefaultTargetUtilization is u for a rate-mode backlog: the latency
	// budget gives the headroom (policy.DefaultTargetUtilization).
	DefaultTargetUtilization = policy.DefaultTargetUtilization
	// The rate mode's constants and the hysteresis bands: the engine's
	// defaults, each explained where the engine declares it.
	DefaultBudget        = policy.DefaultBudget
	DefaultDrainFactor   = policy.DefaultDrain
	DefaultRefillSlack   = policy.DefaultRefillSlack
	DefaultJumpFactor    = policy.DefaultJump
	DefaultJumpMemory    = policy.DefaultJumpMemory
	DefaultHysteresis    = policy.DefaultHysteresis
	DefaultConcurrency   = 1
	DefaultFallbackAfter = 6
	// maxAgePeriods and maxAgeCycles size the default max_age: three
	// datapoints of the slowest metric, and never less than three cycles,
	// so one late datapoint or one failed read does not make a group stale.
	maxAgePeriods = 3
	maxAgeCycles  = 3
)

// applyDefaults fills in every key for which present reports false.
// present takes a field path as Problems spell it ("groups[0].warmup").
func (c *Config) applyDefaults(present func(path string) bool) {
	if !present("interval") {
		c.Interval = Duration(DefaultInterval)
	}
	if !present("jitter") {
		c.Jitter = c.Interval / 10
	}
	c.applyLeaseDefaults(present)
	if !present("call_timeout") {
		// Half the interval when that is shorter, and a quarter of the
		// lease TTL when the TTL's third is not above it, so that a short
		// interval or TTL alone is a valid configuration.
		c.CallTimeout = min(Duration(DefaultCallTimeout), c.Interval/2)
		if c.CallTimeout >= c.Lease.TTL/3 {
			c.CallTimeout = c.Lease.TTL / 4
		}
	}
	if !present("listen") {
		c.Listen = DefaultListen
	}
	if !present("sqs_concurrency") {
		c.SQSConcurrency = DefaultSQSConcurrency
	}
	if !present("history") {
		c.History = DefaultHistory
	}
	c.applyStateDefaults(present)
	c.applyAWSDefaults(present)
	for i := range c.Groups {
		c.Groups[i].applyDefaults(fmt.Sprintf("groups[%d]", i), present, c.Interval)
	}
}

func (g *Group) applyDefaults(path string, present func(string) bool, interval Duration) {
	has := func(key string) bool { return present(path + "." + key) }
	g.applyTargetDefaults()
	if !has("name") {
		g.Name = g.defaultName()
	}
	if !has("warmup") {
		g.Warmup = Duration(DefaultWarmup)
	}
	if !has("boost_lead") {
		g.BoostLead = Duration(DefaultBoostLead)
	}
	if !has("raise_warm_pool") {
		// On: a campaign's scale-out served from warm instances serves in
		// seconds rather than minutes, and Headroom only ever raises a
		// pool that is too small, changes only its MinSize and puts it
		// back. Off for a pool another tool owns (Terraform would see the
		// raise as drift).
		g.RaiseWarmPool = true
	}
	if !has("scale_in_window") {
		g.ScaleInWindow = Duration(DefaultScaleInWindow)
	}
	if !has("hysteresis.scale_in") {
		g.Hysteresis.ScaleIn = DefaultHysteresis
	}
	if !has("hysteresis.scale_out") {
		g.Hysteresis.ScaleOut = DefaultHysteresis
	}
	if g.Predictive != nil && !has("predictive.quantile") {
		g.Predictive.Quantile = DefaultPredictiveQuantile
	}
	if g.FallbackCapacity > 0 && !has("fallback_after") {
		g.FallbackAfter = DefaultFallbackAfter
	}
	for i := range g.Policies {
		g.Policies[i].applyDefaults(fmt.Sprintf("%s.policies[%d]", path, i), present)
	}
	if !has("max_age") {
		g.MaxAge = g.defaultMaxAge(interval)
	}
}

// defaultMaxAge is three times the longest metric period of the group's
// policies, and at least three cycles.
func (g *Group) defaultMaxAge(interval Duration) Duration {
	age := maxAgeCycles * min(max(interval, 0), Duration(maxInterval))
	for _, p := range g.Policies {
		if src := p.metricSource(); src != nil && src.Period > 0 && src.Period <= Duration(maxPeriod) {
			age = max(age, maxAgePeriods*src.Period)
		}
	}
	return age
}

func (p *Policy) applyDefaults(path string, present func(string) bool) {
	switch {
	case p.TargetTracking != nil:
		path += ".target_tracking"
		t := p.TargetTracking
		t.MetricSource.applyDefaults(path, present)
		if !present(path + ".tolerance") {
			t.Tolerance = DefaultTolerance
		}
	case p.Backlog != nil:
		path += ".backlog"
		b := p.Backlog
		if !present(path + ".mode") {
			b.Mode = policy.ModeRate
		}
		if !present(path + ".target_utilization") {
			b.TargetUtilization = DefaultTargetUtilization
		}
		if !present(path + ".budget") {
			b.Budget = DefaultBudget
		}
		if !present(path + ".drain_factor") {
			b.DrainFactor = DefaultDrainFactor
		}
		if !present(path + ".refill_slack") {
			b.RefillSlack = DefaultRefillSlack
		}
		if !present(path + ".jump_factor") {
			b.JumpFactor = DefaultJumpFactor
		}
		if !present(path + ".jump_memory") {
			b.JumpMemory = Duration(DefaultJumpMemory)
		}
		for i := range b.Queues {
			q := &b.Queues[i]
			qp := fmt.Sprintf("%s.queues[%d]", path, i)
			if !present(qp + ".concurrency") {
				q.Concurrency = DefaultConcurrency
			}
			if !present(qp + ".count_in_flight") {
				q.CountInFlight = true
			}
		}
	case p.Step != nil:
		path += ".step"
		s := p.Step
		s.MetricSource.applyDefaults(path, present)
		if !present(path + ".datapoints_to_alarm") {
			s.DatapointsToAlarm = s.EvaluationPeriods
		}
	}
}

func (m *MetricSource) applyDefaults(path string, present func(string) bool) {
	if !present(path + ".period") {
		m.Period = Duration(DefaultPeriod)
	}
}

// metricSource returns the policy's CloudWatch source, or nil for a
// backlog policy.
func (p *Policy) metricSource() *MetricSource {
	switch {
	case p.TargetTracking != nil:
		return &p.TargetTracking.MetricSource
	case p.Step != nil:
		return &p.Step.MetricSource
	}
	return nil
}
