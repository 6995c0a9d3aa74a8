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
	// Warm is the instances in the group's warm pool (any Warmed:*
	// state). They are counted apart from Billed: a stopped or
	// hibernated warm instance is billed for its volumes (and, while
	// hibernated, its RAM on disk), not as a running instance, and a
	// running one is billed as an instance, so the cost of a warm pool
	// depends on its state and is reported on its own line rather than
	// priced here.
	Warm int
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
	SLO time.Duration
	// Lookahead is how long before the first demand step a scale-out may
	// come and still count as the reaction to it (see reaction); a
	// policy that knows the future scales out up to a launch time, a
	// warmup and an SLO ahead.
	Lookahead time.Duration
	Samples   []Sample
	Actions   []Action
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
	ReactionSeconds            *float64 `json:"reaction_seconds"`         // null without a demand step or a scale-out for it; negative ahead of it
	ServingReactionSeconds     *float64 `json:"serving_reaction_seconds"` // null without a demand step or serving capacity that covers it
	WarmInstanceHours          float64  `json:"warm_instance_hours"`      // warm pool instance time, apart from instance_hours
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

	var billed, warm, under, over, underN, overN, supplyChanges, demandChanges, violations int64
	var maxAge time.Duration
	for i, s := range in.Samples {
		billed += int64(s.Billed)
		warm += int64(s.Warm)
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
	r.WarmInstanceHours = float64(warm) * step.Hours()
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
	r.ServingReactionSeconds = servingReaction(in)
	return r
}

// firstStep is the sample index of the first demand step.
func firstStep(in Input) (int, bool) {
	demand := make([]int, len(in.Samples))
	for i, s := range in.Samples {
		demand[i] = s.Demand
	}
	return FirstStep(demand)
}

// reaction returns the seconds from the first demand step to the scale-out
// that answered it, negative when it came first, or nil without a step or
// such a scale-out.
//
// When desired capacity at the step has already made the step itself
// (reached the level that defines it: double the starting demand, and at
// least two instances more), the group was scaled out for the step ahead
// of it: the reaction is the step at which desired capacity last rose to
// that level, within Lookahead before the step (a sample's Desired shows
// the calls of the step before it). That rise may come from a call or
// from a scheduled action; either way it is when the capacity was asked
// for. In every other case (short of that level at the step, or above it
// for the whole lookahead) it is the first scale-out call at or after the
// step. So a scale-out that leaves the group short of the step, such as a
// reactive policy's answer to noise, is not the reaction to it.
func reaction(in Input) *float64 {
	idx, ok := firstStep(in)
	if !ok {
		return nil
	}
	step := max(in.Step, 0)
	stepAt := time.Duration(idx) * step
	level := stepLevel([]int{in.Samples[0].Demand})
	if step > 0 && in.Samples[idx].Desired >= level {
		lo := max(idx-int(max(in.Lookahead, 0)/step), 0)
		for i := idx; i > lo; i-- {
			if in.Samples[i-1].Desired < level {
				// Sample i is the first to cover the demand: asked for
				// at step i-1.
				v := (time.Duration(i-1-idx) * step).Seconds()
				return &v
			}
		}
	}
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

// servingReaction returns the seconds from the first demand step to the
// first sample at or after it whose serving capacity covers its demand
// (0 when the step itself is covered), or nil without a step or such a
// sample.
func servingReaction(in Input) *float64 {
	idx, ok := firstStep(in)
	if !ok {
		return nil
	}
	for i := idx; i < len(in.Samples); i++ {
		if s := in.Samples[i]; s.Supply >= s.Demand {
			v := (time.Duration(i-idx) * max(in.Step, 0)).Seconds()
			return &v
		}
	}
	return nil
}

// Mean returns the mean of several runs' results, one slice per run (a
// seed), with a result per policy in the order the policies first appear.
// Every figure is the mean over the runs that have the policy; a figure
// that can be null is the mean over the runs where it is not, and null
// when it is null in all of them. The mean oracle_cost_ratio is the mean
// of each run's ratio, and the mean scaling_actions is rounded to a whole
// number of calls.
func Mean(runs [][]Result) []Result {
	type acc struct {
		sum                         Result
		n                           int
		actions                     float64
		ratio, reaction, serving    float64
		ratioN, reactionN, servingN int
	}
	var order []string
	accs := map[string]*acc{}
	for _, run := range runs {
		for _, r := range run {
			a := accs[r.Policy]
			if a == nil {
				a = &acc{}
				accs[r.Policy] = a
				order = append(order, r.Policy)
			}
			a.n++
			a.sum.InstanceHours += r.InstanceHours
			a.sum.WarmInstanceHours += r.WarmInstanceHours
			a.sum.UnderProvisioningAccuracy += r.UnderProvisioningAccuracy
			a.sum.OverProvisioningAccuracy += r.OverProvisioningAccuracy
			a.sum.UnderProvisioningTimeshare += r.UnderProvisioningTimeshare
			a.sum.OverProvisioningTimeshare += r.OverProvisioningTimeshare
			a.sum.Jitter += r.Jitter
			a.sum.SLOViolationMinutes += r.SLOViolationMinutes
			a.sum.MaxBacklogAgeSeconds += r.MaxBacklogAgeSeconds
			a.actions += float64(r.ScalingActions)
			if r.OracleCostRatio != nil {
				a.ratio += *r.OracleCostRatio
				a.ratioN++
			}
			if r.ReactionSeconds != nil {
				a.reaction += *r.ReactionSeconds
				a.reactionN++
			}
			if r.ServingReactionSeconds != nil {
				a.serving += *r.ServingReactionSeconds
				a.servingN++
			}
		}
	}
	mean := func(sum float64, n int) *float64 {
		if n == 0 {
			return nil
		}
		v := sum / float64(n)
		return &v
	}
	out := make([]Result, 0, len(order))
	for _, p := range order {
		a := accs[p]
		n := float64(a.n)
		out = append(out, Result{
			Policy:                     p,
			InstanceHours:              a.sum.InstanceHours / n,
			WarmInstanceHours:          a.sum.WarmInstanceHours / n,
			OracleCostRatio:            mean(a.ratio, a.ratioN),
			UnderProvisioningAccuracy:  a.sum.UnderProvisioningAccuracy / n,
			OverProvisioningAccuracy:   a.sum.OverProvisioningAccuracy / n,
			UnderProvisioningTimeshare: a.sum.UnderProvisioningTimeshare / n,
			OverProvisioningTimeshare:  a.sum.OverProvisioningTimeshare / n,
			Jitter:                     a.sum.Jitter / n,
			SLOViolationMinutes:        a.sum.SLOViolationMinutes / n,
			MaxBacklogAgeSeconds:       a.sum.MaxBacklogAgeSeconds / n,
			ScalingActions:             int(math.Round(a.actions / n)),
			ReactionSeconds:            mean(a.reaction, a.reactionN),
			ServingReactionSeconds:     mean(a.serving, a.servingN),
		})
	}
	return out
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
