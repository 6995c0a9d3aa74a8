package asg

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

const (
	// PoliciesEvery is how often the actuator reads the scaling policies
	// of the account. Policies change rarely (an operator or a deployment
	// attaches one), and DescribePolicies without a group name pages over
	// every policy of the account and region, so a read every cycle would
	// spend the Describe budget of the whole account on an answer that
	// almost never changes. Five minutes is short against the life of a
	// policy and long against a 10 s cycle: 1 sweep in 30 cycles.
	PoliciesEvery = 5 * time.Minute
	// policiesRetry is how soon a failed sweep is tried again: sooner
	// than PoliciesEvery, because until a sweep succeeds the last known
	// answer (or none) is shown, but not every cycle, so that a
	// throttled account is not asked again at once.
	policiesRetry = time.Minute
	// policiesPage is DescribePolicies' largest MaxRecords ("The default
	// value is 50 and the maximum value is 100", API_DescribePolicies).
	policiesPage = 100
)

// Policy is one EC2 Auto Scaling scaling policy attached to a group:
// another controller that may change the group's desired capacity.
type Policy struct {
	Name string
	// Type is the PolicyType: TargetTrackingScaling, StepScaling,
	// SimpleScaling or PredictiveScaling.
	Type string
	// Enabled is the policy's Enabled ("true" when AWS leaves it out).
	Enabled bool
	// Mode is a predictive policy's mode: ForecastAndScale or
	// ForecastOnly (AWS's default when none is given); "" for the other
	// types.
	Mode string
}

// Idle says why the policy cannot change the group's capacity, or ""
// when it can: a disabled policy does not run ("Enabled: Indicates
// whether the policy is enabled (true) or disabled (false)",
// API_ScalingPolicy), a predictive policy in ForecastOnly mode only
// forecasts and never scales (its Mode "Defaults to ForecastOnly if not
// specified", API_PredictiveScalingConfiguration), and alarm-driven
// policies (target tracking, step, simple) do not run while the group's
// AlarmNotification process is suspended.
func (p Policy) Idle(suspended []string) string {
	switch {
	case !p.Enabled:
		return "disabled"
	case p.Type == PolicyPredictive && p.Mode != string(types.PredictiveScalingModeForecastAndScale):
		return "ForecastOnly"
	case p.Type != PolicyPredictive && slices.Contains(suspended, "AlarmNotification"):
		return "AlarmNotification suspended"
	}
	return ""
}

// Scaling policy types (the PolicyType of API_ScalingPolicy).
const (
	PolicyTargetTracking = "TargetTrackingScaling"
	PolicyStep           = "StepScaling"
	PolicySimple         = "SimpleScaling"
	PolicyPredictive     = "PredictiveScaling"
)

// Policies are the scaling policies of the managed groups as last read.
type Policies struct {
	// ByGroup holds each named group's policies, sorted by name; a group
	// without policies is absent.
	ByGroup map[string][]Policy
	// ReadAt is when they were read; zero while no sweep has succeeded.
	ReadAt time.Time
	// Err is why the latest sweep failed, nil when it succeeded: ByGroup
	// is then the answer of the sweep at ReadAt.
	Err error
}

// policyCache is what the actuator keeps between sweeps.
type policyCache struct {
	last   Policies
	next   time.Time // when the next sweep is due
	groups string    // the names the last sweep was filtered to
}

// Policies returns the scaling policies attached to the named groups.
// It reads them with one paginated DescribePolicies sweep without a group
// name (every policy of the account and region, 100 a page), at most every
// PoliciesEvery, and answers from its cache in between; a sweep is also
// due when the set of names changes. A failed sweep keeps the last known
// answer, says why in Err, and is tried again after a minute: a cycle must
// not fail because an advisory read did.
func (a *Actuator) Policies(ctx context.Context, names []string) Policies {
	key := strings.Join(sortedUnique(names), "\x00")
	now := a.clk.Now()
	a.polMu.Lock()
	defer a.polMu.Unlock()
	c := &a.policies
	if c.groups == key && now.Before(c.next) {
		return c.last
	}
	byGroup, err := a.sweepPolicies(ctx, names)
	if err != nil {
		c.last.Err = err
		c.next = now.Add(policiesRetry)
		if c.groups != key {
			// The last answer was for other groups: keep only theirs.
			c.last.ByGroup = filterGroups(c.last.ByGroup, names)
		}
		return c.last
	}
	c.last = Policies{ByGroup: byGroup, ReadAt: now}
	c.groups = key
	c.next = now.Add(PoliciesEvery)
	return c.last
}

// sweepPolicies reads every policy of the account and keeps those of the
// named groups.
func (a *Actuator) sweepPolicies(ctx context.Context, names []string) (map[string][]Policy, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]Policy{}
	p := autoscaling.NewDescribePoliciesPaginator(a.client, &autoscaling.DescribePoliciesInput{
		MaxRecords: aws.Int32(policiesPage),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe scaling policies: %w", err)
		}
		for _, sp := range page.ScalingPolicies {
			group := aws.ToString(sp.AutoScalingGroupName)
			if !want[group] {
				continue
			}
			out[group] = append(out[group], policyOf(sp))
		}
	}
	for _, ps := range out {
		slices.SortFunc(ps, func(x, y Policy) int { return strings.Compare(x.Name, y.Name) })
	}
	return out, nil
}

// policyOf reads one ScalingPolicy.
func policyOf(sp types.ScalingPolicy) Policy {
	p := Policy{
		Name:    aws.ToString(sp.PolicyName),
		Type:    aws.ToString(sp.PolicyType),
		Enabled: sp.Enabled == nil || *sp.Enabled,
	}
	if p.Type == "" {
		// "If the policy type is null, the value is treated as
		// SimpleScaling" (API_PutScalingPolicy, PolicyType).
		p.Type = PolicySimple
	}
	if p.Type == PolicyPredictive {
		p.Mode = string(types.PredictiveScalingModeForecastOnly)
		if c := sp.PredictiveScalingConfiguration; c != nil && c.Mode != "" {
			p.Mode = string(c.Mode)
		}
	}
	return p
}

func sortedUnique(names []string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return slices.Compact(s)
}

func filterGroups(m map[string][]Policy, names []string) map[string][]Policy {
	out := map[string][]Policy{}
	for _, n := range names {
		if ps, ok := m[n]; ok {
			out[n] = ps
		}
	}
	return out
}
