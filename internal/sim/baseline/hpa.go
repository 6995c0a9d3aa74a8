package baseline

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// HPAConfig configures the hpa baseline: a Kubernetes Horizontal Pod
// Autoscaler with its default behaviour, fed by KEDA's aws-sqs-queue scaler
// as an AverageValue external metric. Zero values take the defaults given
// on each field.
type HPAConfig struct {
	// TargetPerPod is KEDA's queueLength: the messages one replica should
	// have. It must be positive.
	TargetPerPod float64
	// Tolerance is the HPA's dead band around a usage ratio of 1 (default
	// 0.1, the controller's --horizontal-pod-autoscaler-tolerance).
	Tolerance float64
	// Sync is the HPA's sync period (default 15s,
	// --horizontal-pod-autoscaler-sync-period).
	Sync time.Duration
	// ScaleDownStabilization is the scale-down stabilization window
	// (default 300s).
	ScaleDownStabilization time.Duration
	// ScaleUpPercent and ScaleUpPods per ScaleUpPeriod limit scale-up; the
	// larger wins (defaults 100%, 4 pods, 15s).
	ScaleUpPercent float64
	ScaleUpPods    int
	ScaleUpPeriod  time.Duration
	// ScaleDownPercent per ScaleDownPeriod limits scale-down (defaults
	// 100%, 15s).
	ScaleDownPercent float64
	ScaleDownPeriod  time.Duration
	// CountInFlight is KEDA's scaleOnInFlight, whose default is true: the
	// queue length is visible plus in-flight messages. Because a Go bool
	// cannot default to true, the zero config counts in-flight messages
	// whatever CountInFlight says; set IgnoreInFlight to count visible
	// messages only.
	CountInFlight  bool
	IgnoreInFlight bool
	// CooldownPeriod is KEDA's cooldownPeriod (default 300s): with MinSize
	// 0, KEDA scales to zero after the queue has been empty this long.
	CooldownPeriod time.Duration
}

// Defaults of HPAConfig, from the Kubernetes "Horizontal Pod Autoscaling"
// page ("Default Behavior", "Algorithm details") and KEDA's ScaledObject
// specification (cooldownPeriod).
const (
	DefaultHPATolerance    = 0.1
	DefaultHPASync         = 15 * time.Second
	DefaultHPAStabilize    = 300 * time.Second
	DefaultHPAScaleUpPct   = 100.0
	DefaultHPAScaleUpPods  = 4
	DefaultHPAPolicyPeriod = 15 * time.Second
	DefaultHPAScaleDownPct = 100.0
	DefaultKEDACooldown    = 300 * time.Second
)

// withDefaults fills the zero fields of c.
func (c HPAConfig) withDefaults() HPAConfig {
	if c.Tolerance == 0 {
		c.Tolerance = DefaultHPATolerance
	}
	if c.Sync == 0 {
		c.Sync = DefaultHPASync
	}
	if c.ScaleDownStabilization == 0 {
		c.ScaleDownStabilization = DefaultHPAStabilize
	}
	if c.ScaleUpPercent == 0 {
		c.ScaleUpPercent = DefaultHPAScaleUpPct
	}
	if c.ScaleUpPods == 0 {
		c.ScaleUpPods = DefaultHPAScaleUpPods
	}
	if c.ScaleUpPeriod == 0 {
		c.ScaleUpPeriod = DefaultHPAPolicyPeriod
	}
	if c.ScaleDownPercent == 0 {
		c.ScaleDownPercent = DefaultHPAScaleDownPct
	}
	if c.ScaleDownPeriod == 0 {
		c.ScaleDownPeriod = DefaultHPAPolicyPeriod
	}
	if c.CooldownPeriod == 0 {
		c.CooldownPeriod = DefaultKEDACooldown
	}
	return c
}

// Validate reports every problem of c after defaults, each naming the
// field.
func (c HPAConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if !(c.TargetPerPod > 0) || !finite(c.TargetPerPod) {
		errs = append(errs, fmt.Errorf("target_per_pod: %v must be a positive number", c.TargetPerPod))
	}
	if !(c.Tolerance >= 0) || !finite(c.Tolerance) {
		errs = append(errs, fmt.Errorf("tolerance: %v must be a number >= 0", c.Tolerance))
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"sync", c.Sync}, {"scale_up_period", c.ScaleUpPeriod}, {"scale_down_period", c.ScaleDownPeriod}} {
		if d.v < time.Second {
			errs = append(errs, fmt.Errorf("%s: %v must be at least 1s", d.field, d.v))
		}
	}
	if c.ScaleDownStabilization < 0 {
		errs = append(errs, fmt.Errorf("scale_down_stabilization: %v must not be negative", c.ScaleDownStabilization))
	}
	if c.CooldownPeriod < 0 {
		errs = append(errs, fmt.Errorf("cooldown_period: %v must not be negative", c.CooldownPeriod))
	}
	if !(c.ScaleUpPercent > 0) || !finite(c.ScaleUpPercent) {
		errs = append(errs, fmt.Errorf("scale_up_percent: %v must be a positive number", c.ScaleUpPercent))
	}
	if c.ScaleUpPods < 0 {
		errs = append(errs, fmt.Errorf("scale_up_pods: %d must not be negative", c.ScaleUpPods))
	}
	if !(c.ScaleDownPercent > 0 && c.ScaleDownPercent <= 100) {
		errs = append(errs, fmt.Errorf("scale_down_percent: %v must be in (0, 100]", c.ScaleDownPercent))
	}
	return errors.Join(errs...)
}

// recommendation is one sync's unstabilized desired replicas.
type recommendation struct {
	at       time.Time
	replicas int
}

// scaleEvent is one change of replicas made by the HPA; change is
// positive for both directions, as the controller stores it.
type scaleEvent struct {
	at     time.Time
	change int
}

// hpa is the hpa baseline.
type hpa struct {
	c               HPAConfig
	invalid         bool
	started         bool
	next            time.Time
	lastActive      time.Time
	recommendations []recommendation
	ups, downs      []scaleEvent
}

// NewHPA returns the "hpa" baseline. An invalid configuration (see
// Validate) yields a policy that never acts.
//
// What it models:
//   - KEDA's aws-sqs-queue scaler reads the queue directly: "actual
//     messages" = ApproximateNumberOfMessages + NotVisible unless
//     scaleOnInFlight is false (KEDA docs, "AWS SQS Queue"). The external
//     metric has an AverageValue target of queueLength.
//   - Every Sync the HPA computes, for an AverageValue external metric,
//     usageRatio = metric / (target x currentReplicas); outside the
//     tolerance the proposal is ceil(metric / target), inside it is
//     currentReplicas (replica_calculator.go,
//     GetExternalPerPodMetricReplicas). currentReplicas is the group's
//     DesiredCapacity, the scale subresource's replicas.
//   - The default behaviour (horizontal.go,
//     normalizeDesiredReplicasWithBehaviors): scale-up not stabilized and
//     limited per 15 s to the larger of +100% and +4 pods counted from the
//     replicas at the period's start; scale-down to the highest
//     recommendation of the last 300 s, limited to -100% per 15 s.
//   - KEDA activates the workload from zero when the queue is not empty
//     and, with MinSize 0, scales it to zero after CooldownPeriod of empty
//     queue; the HPA's minReplicas is then 1. KEDA checks activity every
//     pollingInterval (30 s); here it is checked at each sync, the choice
//     more favourable to the baseline.
func NewHPA(c HPAConfig) Policy {
	err := c.Validate()
	return &hpa{c: c.withDefaults(), invalid: err != nil}
}

// Name implements Policy.
func (p *hpa) Name() string { return NameHPA }

// Decide implements Policy.
func (p *hpa) Decide(t Tick) (int, bool) {
	if p.invalid {
		return 0, false
	}
	if !p.started {
		p.started, p.next, p.lastActive = true, t.Now, t.Now
	}
	if t.Now.Before(p.next) {
		return 0, false
	}
	for !p.next.After(t.Now) {
		p.next = p.next.Add(p.c.Sync)
	}
	metric := float64(max(t.Queue.Visible, 0))
	if !p.c.IgnoreInFlight {
		metric += float64(max(t.Queue.InFlight, 0))
	}
	if metric > 0 {
		p.lastActive = t.Now
	}
	cur := t.Desired
	if cur <= 0 {
		// KEDA's activation: any message (activationQueueLength 0) scales
		// the workload from zero to its minimum of at least one replica.
		if metric > 0 {
			return max(t.Min, 1), true
		}
		return 0, false
	}
	if t.Min <= 0 && metric == 0 && t.Now.Sub(p.lastActive) >= p.c.CooldownPeriod {
		p.recommendations, p.ups, p.downs = nil, nil, nil
		return 0, true
	}
	lo, hi := max(t.Min, 1), t.Max
	var desired int
	switch {
	case cur > hi:
		desired = hi
	case cur < lo:
		desired = lo
	default:
		desired = p.normalize(t.Now, cur, p.proposal(metric, cur), lo, hi)
	}
	if desired == cur {
		return 0, false
	}
	if desired > cur {
		p.ups = append(p.ups, scaleEvent{at: t.Now, change: desired - cur})
	} else {
		p.downs = append(p.downs, scaleEvent{at: t.Now, change: cur - desired})
	}
	// Events older than the longest policy period no longer count
	// (markScaleEventsOutdated).
	cutoff := t.Now.Add(-max(p.c.ScaleUpPeriod, p.c.ScaleDownPeriod))
	p.ups, p.downs = recent(p.ups, cutoff), recent(p.downs, cutoff)
	return desired, true
}

// recent drops the events at or before cutoff.
func recent(events []scaleEvent, cutoff time.Time) []scaleEvent {
	i := 0
	for i < len(events) && !events[i].at.After(cutoff) {
		i++
	}
	return append(events[:0], events[i:]...)
}

// proposal is the replica calculator's answer for an AverageValue external
// metric.
func (p *hpa) proposal(metric float64, cur int) int {
	ratio := metric / (p.c.TargetPerPod * float64(cur))
	if math.Abs(1-ratio) <= p.c.Tolerance {
		return cur
	}
	return ceilCapacity(metric / p.c.TargetPerPod)
}

// normalize applies the stabilization windows and the rate policies to
// the proposal, as normalizeDesiredReplicasWithBehaviors does.
func (p *hpa) normalize(now time.Time, cur, proposal, lo, hi int) int {
	// stabilizeRecommendationWithBehaviors: the scale-up window is 0, so
	// the up limit is the proposal itself; the down limit is the highest
	// recommendation newer than the window.
	up, down := proposal, proposal
	cutoff := now.Add(-p.c.ScaleDownStabilization)
	kept := p.recommendations[:0]
	for _, r := range p.recommendations {
		if r.at.After(cutoff) {
			down = max(down, r.replicas)
			kept = append(kept, r)
		}
	}
	p.recommendations = append(kept, recommendation{at: now, replicas: proposal})
	stabilized := cur
	if stabilized < up {
		stabilized = up
	}
	if stabilized > down {
		stabilized = down
	}

	// convertDesiredReplicasWithBehaviorRate.
	switch {
	case stabilized > cur:
		start := cur - changes(p.ups, now, p.c.ScaleUpPeriod) + changes(p.downs, now, p.c.ScaleUpPeriod)
		limit := max(start+p.c.ScaleUpPods, ceilCapacity(float64(start)*(1+p.c.ScaleUpPercent/100)))
		limit = max(limit, cur)
		return min(stabilized, hi, limit)
	case stabilized < cur:
		start := cur - changes(p.ups, now, p.c.ScaleDownPeriod) + changes(p.downs, now, p.c.ScaleDownPeriod)
		limit := toCapacity(math.Floor(float64(start) * (1 - p.c.ScaleDownPercent/100)))
		limit = min(limit, cur)
		return max(stabilized, lo, limit)
	}
	return stabilized
}

// changes sums the events newer than period before now
// (getReplicasChangePerPeriod).
func changes(events []scaleEvent, now time.Time, period time.Duration) int {
	cutoff := now.Add(-period)
	n := 0
	for _, e := range events {
		if e.at.After(cutoff) {
			n += e.change
		}
	}
	return n
}
