package score

import (
	"math"
	"time"
)

// OraclePolicy is the policy name SetOracle measures every cost against.
const OraclePolicy = "oracle"

// Sample is the state of the world at one step.
type Sample struct {
	// Demand is the instances needed, independent of the policy (see Demand).
	Demand int
	// Supply is the serving instances: InService and past the warmup.
	Supply int
	// Billed is the instances being paid for. It should count the Auto
	// Scaling lifecycle states Pending, InService and Terminating: "you are
	// billed for instances as soon as they are launched, including the time
	// that they are not yet in service" (Amazon EC2 Auto Scaling instance
	// lifecycle), and an instance in Terminating (draining, lifecycle hooks)
	// is still an EC2 instance in the running state, which is billed until
	// it reaches shutting-down (Amazon EC2 instance state changes).
	Billed int
	// Desired is the group's desired capacity.
	Desired int
	// BacklogAge is the age of the oldest waiting message.
	BacklogAge time.Duration
}

// Action is one scaling call that changed desired capacity.
type Action struct {
	// At is the offset of the call from the run start.
	At       time.Duration
	From, To int
}

// Input is one policy's run of one scenario.
type Input struct {
	Policy string
	// Step is the time between samples; each sample stands for one step.
	Step time.Duration
	// SLO is the oldest acceptable age of a waiting message.
	SLO     time.Duration
	Samples []Sample
	Actions []Action
}

// Result is one policy's scorecard. The JSON names are a public contract.
type Result struct {
	Policy                     string   `json:"policy"`
	InstanceHours              float64  `json:"instance_hours"`
	OracleCostRatio            *float64 `json:"oracle_cost_ratio"` // null until SetOracle fills it
	UnderProvisioningAccuracy  float64  `json:"under_provisioning_accuracy"`
	OverProvisioningAccuracy   float64  `json:"over_provisioning_accuracy"`
	UnderProvisioningTimeshare float64  `json:"under_provisioning_timeshare"`
	OverProvisioningTimeshare  float64  `json:"over_provisioning_timeshare"`
	Jitter                     float64  `json:"jitter"`
	SLOViolationMinutes        float64  `json:"slo_violation_minutes"`
	MaxBacklogAgeSeconds       float64  `json:"max_backlog_age_seconds"`
	ScalingActions             int      `json:"scaling_actions"`
	ReactionSeconds            *float64 `json:"reaction_seconds"` // null without a demand step or a scale-out after it
}

// Compute scores one run. Figures that are per unit of time (instance hours,
// jitter, SLO violation minutes) are zero when Step is not positive, since
// the samples then stand for no time; the means and shares need no Step. An
// empty run scores zero everywhere.
func Compute(in Input) Result {
	r := Result{Policy: in.Policy, ScalingActions: len(in.Actions)}
	n := len(in.Samples)
	if n == 0 {
		return r
	}
	step := max(in.Step, 0)

	var billed, under, over, underN, overN, supplyChanges, demandChanges, violations int64
	var maxAge time.Duration
	for i, s := range in.Samples {
		billed += int64(s.Billed)
		switch {
		case s.Supply < s.Demand:
			under += int64(s.Demand - s.Supply)
			underN++
		case s.Supply > s.Demand:
			over += int64(s.Supply - s.Demand)
			overN++
		}
		if i > 0 {
			prev := in.Samples[i-1]
			if s.Supply != prev.Supply {
				supplyChanges++
			}
			if s.Demand != prev.Demand {
				demandChanges++
			}
		}
		if s.BacklogAge > in.SLO {
			violations++
		}
		maxAge = max(maxAge, s.BacklogAge)
	}

	fn := float64(n)
	r.InstanceHours = float64(billed) * step.Hours()
	r.UnderProvisioningAccuracy = float64(under) / fn
	r.OverProvisioningAccuracy = float64(over) / fn
	r.UnderProvisioningTimeshare = float64(underN) / fn
	r.OverProvisioningTimeshare = float64(overN) / fn
	if runHours := fn * step.Hours(); runHours > 0 {
		r.Jitter = float64(supplyChanges-demandChanges) / runHours
	}
	r.SLOViolationMinutes = float64(violations) * step.Minutes()
	r.MaxBacklogAgeSeconds = maxAge.Seconds()
	r.ReactionSeconds = reaction(in)
	return r
}

// reaction returns the seconds from the first demand step to the first
// scale-out call at or after it, or nil when either is missing.
func reaction(in Input) *float64 {
	demand := make([]int, len(in.Samples))
	for i, s := range in.Samples {
		demand[i] = s.Demand
	}
	idx, ok := FirstStep(demand)
	if !ok {
		return nil
	}
	stepAt := time.Duration(idx) * max(in.Step, 0)
	found := false
	var first time.Duration
	// The earliest qualifying call, whatever order the caller recorded them in.
	for _, a := range in.Actions {
		if a.To <= a.From || a.At < stepAt {
			continue
		}
		if !found || a.At < first {
			first, found = a.At, true
		}
	}
	if !found {
		return nil
	}
	v := (first - stepAt).Seconds()
	return &v
}

// SetOracle fills OracleCostRatio of every result with its InstanceHours
// divided by the oracle's (the first result whose Policy is OraclePolicy;
// the oracle's own ratio is 1). Without an oracle result the results are
// left as they are. When the oracle used no instance hours a ratio is not
// defined, so every ratio is set to nil (JSON null) rather than infinity,
// which JSON cannot carry.
func SetOracle(results []Result) {
	oracle := -1
	for i, r := range results {
		if r.Policy == OraclePolicy {
			oracle = i
			break
		}
	}
	if oracle < 0 {
		return
	}
	base := results[oracle].InstanceHours
	for i := range results {
		if !(base > 0) || math.IsInf(base, 0) {
			results[i].OracleCostRatio = nil
			continue
		}
		v := results[i].InstanceHours / base
		if i == oracle {
			v = 1
		}
		results[i].OracleCostRatio = &v
	}
}
