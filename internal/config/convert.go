package config

import (
	"math"

	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/source"
)

// TargetTrackingPoints is how many datapoints a target tracking policy
// asks CloudWatch for. The engine uses only the newest, but asking for two
// periods means one datapoint that CloudWatch has not yet published (or
// lost) leaves the one before it, and max_age alone decides whether that
// one is still fresh enough to act on.
const TargetTrackingPoints = 2

// Policy converts g into the engine's spec. g must be valid.
func (g Group) Policy() policy.Group {
	out := policy.Group{
		Name:             g.Name,
		Min:              g.Min,
		Max:              g.Max,
		ScaleInWindow:    g.ScaleInWindow.Std(),
		MaxAge:           g.MaxAge.Std(),
		FallbackCapacity: g.FallbackCapacity,
		FallbackAfter:    g.FallbackAfter,
		HysteresisIn:     nonzero(g.Hysteresis.ScaleIn),
		HysteresisOut:    nonzero(g.Hysteresis.ScaleOut),
	}
	// Validation has refused a malformed limit; parse errors cannot
	// happen here and would leave the limit off.
	out.MaxScaleOutStep, _ = g.MaxScaleOutStep.Parse()
	out.MaxScaleInStep, _ = g.MaxScaleInStep.Parse()
	for _, p := range g.Policies {
		out.Policies = append(out.Policies, p.policy())
	}
	return out
}

func (p Policy) policy() policy.Policy {
	out := policy.Policy{Name: p.Name}
	switch {
	case p.TargetTracking != nil:
		tol := p.TargetTracking.Tolerance
		if tol == 0 {
			// The engine reads zero as "use the default band", so an
			// explicit zero band is passed as the smallest positive one,
			// which behaves as no band at all.
			tol = math.SmallestNonzeroFloat64
		}
		out.TargetTracking = &policy.TargetTracking{Target: p.TargetTracking.Target, Tolerance: tol}
	case p.Backlog != nil:
		b := p.Backlog
		pb := &policy.Backlog{Mode: b.Mode}
		for _, q := range b.Queues {
			pb.Queues = append(pb.Queues, policy.Queue{
				Name:              q.Name,
				SecondsPerMessage: q.SecondsPerMessage,
				TargetPerInstance: q.TargetPerInstance,
				Concurrency:       float64(q.Concurrency),
				AcceptableLatency: b.AcceptableLatency.Std(),
				TargetUtilization: b.TargetUtilization,
				Budget:            nonzero(b.Budget),
				Drain:             b.DrainFactor,
				RefillSlack:       nonzero(b.RefillSlack),
				Jump:              b.JumpFactor,
				Smoothing:         b.ArrivalSmoothing.Std(),
				JumpMemory:        b.JumpMemory.Std(),
				CountInFlight:     q.CountInFlight,
				CountDelayed:      q.CountDelayed,
			})
		}
		out.Backlog = pb
	case p.Step != nil:
		s := p.Step
		ps := &policy.Step{
			Threshold:              s.Threshold,
			Comparison:             s.Comparison,
			EvaluationPeriods:      s.EvaluationPeriods,
			DatapointsToAlarm:      s.DatapointsToAlarm,
			AdjustmentType:         s.AdjustmentType,
			MinAdjustmentMagnitude: s.MinAdjustmentMagnitude,
		}
		for _, a := range s.Steps {
			ps.Adjustments = append(ps.Adjustments, policy.StepAdjustment{
				LowerBound: copyFloat(a.Lower),
				UpperBound: copyFloat(a.Upper),
				Adjustment: float64(a.Adjustment),
			})
		}
		out.Step = ps
	}
	return out
}

func copyFloat(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := *f
	return &v
}

// MetricQueries returns one query per CloudWatch-backed policy of g, in
// policy order, keyed "group/policy". A target tracking policy asks for
// TargetTrackingPoints datapoints, a step policy for evaluation_periods.
// A single metric gets the id "m1"; queries keep their own ids, which the
// expression uses.
func (g Group) MetricQueries() []source.MetricQuery {
	var out []source.MetricQuery
	for i := range g.Policies {
		p := &g.Policies[i]
		src := p.metricSource()
		if src == nil {
			continue
		}
		q := source.MetricQuery{
			Key:        g.Name + "/" + p.Name,
			Expression: src.Expression,
			Period:     src.Period.Std(),
			Points:     TargetTrackingPoints,
		}
		if p.Step != nil {
			q.Points = p.Step.EvaluationPeriods
		}
		if src.Metric != nil {
			q.Metrics = []source.Metric{src.Metric.source("m1")}
		}
		for _, mq := range src.Queries {
			if mq.Metric != nil {
				q.Metrics = append(q.Metrics, mq.Metric.source(mq.ID))
			}
		}
		out = append(out, q)
	}
	return out
}

func (m *Metric) source(id string) source.Metric {
	out := source.Metric{ID: id, Namespace: m.Namespace, Name: m.Name, Stat: m.Stat, Unit: m.Unit}
	for _, k := range sortedKeys(m.Dimensions) {
		out.Dimensions = append(out.Dimensions, source.Dimension{Name: k, Value: m.Dimensions[k]})
	}
	return out
}

// Queues returns every queue of g's backlog policies, in order of
// appearance, each once.
func (g Group) Queues() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range g.Policies {
		if p.Backlog == nil {
			continue
		}
		for _, q := range p.Backlog.Queues {
			if !seen[q.Name] {
				seen[q.Name] = true
				out = append(out, q.Name)
			}
		}
	}
	return out
}

// nonzero passes an explicit zero to the engine, which reads zero as "use
// the default", as the smallest positive number: it behaves as zero.
func nonzero(x float64) float64 {
	if x == 0 {
		return math.SmallestNonzeroFloat64
	}
	return x
}
