package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/campaign"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/sim/baseline"
	"github.com/headroom-dev/headroom/internal/sim/scenario"
	"github.com/headroom-dev/headroom/internal/sim/score"
	"github.com/headroom-dev/headroom/internal/store/memory"
	"github.com/headroom-dev/headroom/internal/target"
)

// Policy names.
const (
	// Headroom runs the daemon with the scenario's headroom config as
	// given.
	Headroom = "headroom"
	// HeadroomReactive runs the daemon with the same config less any
	// predictive block (WithoutPredictive): what Headroom does on its
	// reactive policies alone.
	HeadroomReactive = "headroom-reactive"
	TargetTracking   = "aws-target-tracking"
	Predictive       = "aws-predictive"
	Step             = "aws-step"
	HPA              = "hpa"
	StaticPeak       = "static-peak"
	Oracle           = "oracle"
)

// Policies lists every policy in the order reports show them.
var Policies = []string{Headroom, HeadroomReactive, TargetTracking, Predictive, Step, HPA, StaticPeak, Oracle}

// Applies reports why policy cannot run on the scenario, or nil when it
// can. On workers that are an ECS service, Headroom (which scales a
// service through its ECS target), static-peak and the oracle (which only
// set a desired count) run; the AWS baselines model EC2 Auto Scaling's
// policies and hpa a Kubernetes scaler, so they do not. AWS's own scaler
// of a service, Application Auto Scaling target tracking, raises its
// alarms as target tracking on a group does, but paces itself with
// scale-out and scale-in cooldowns instead of an instance warmup
// (TargetTrackingScalingPolicyConfiguration, ScaleOutCooldown and
// ScaleInCooldown), reads a task count from AWS/ECS or Container
// Insights, and takes campaigns as Application Auto Scaling scheduled
// actions: none of which the baselines model yet, so it is not run.
func Applies(sc *scenario.Scenario, policy string) error {
	if !sc.Workers.Service() || slices.Contains(servicePolicies, policy) {
		return nil
	}
	what := "an EC2 Auto Scaling policy"
	if policy == HPA {
		what = "a Kubernetes scaler"
	}
	return fmt.Errorf("policy %q models %s and scenario %q's workers are an ECS service (workers.target: %s): on a service the simulator runs %s",
		policy, what, sc.Name, scenario.TargetECSService, strings.Join(servicePolicies, ", "))
}

// servicePolicies are the policies that run on an ECS service.
var servicePolicies = []string{Headroom, HeadroomReactive, StaticPeak, Oracle}

// PoliciesFor lists the policies that run on the scenario (Applies), in
// the order of Policies: what "all" means for it.
func PoliciesFor(sc *scenario.Scenario) []string {
	var out []string
	for _, p := range Policies {
		if Applies(sc, p) == nil {
			out = append(out, p)
		}
	}
	return out
}

// demandSmoothing is the trailing window the demand figure averages the
// arrival rate over: per-second noise is not demand a scaler should chase.
const demandSmoothing = time.Minute

// Run is one policy's run of a scenario.
type Run struct {
	Policy  string
	Samples []score.Sample
	Actions []score.Action
	Result  score.Result
}

// Report is every requested policy's run of one scenario.
type Report struct {
	Scenario string         `json:"scenario"`
	Seed     uint64         `json:"seed"`
	Results  []score.Result `json:"results"`
	// Warnings say when the figures cannot tell the policies apart (see
	// Warnings); empty, not null, when there are none.
	Warnings []string `json:"warnings"`
	// Runs are the runs behind Results, in the same order.
	Runs []*Run `json:"-"`
	// ForecastError is how well the predictive floor's forecast predicts
	// this seed's demand (DemandForecastError); absent for runs shorter
	// than two days.
	ForecastError *ForecastError `json:"forecast_error,omitempty"`
}

// Summary is one scenario run with several seeds: each seed's report and
// the mean of their results.
type Summary struct {
	Scenario string   `json:"scenario"`
	Seeds    []uint64 `json:"seeds"`
	// PerSeed holds each seed's report, in the order of Seeds.
	PerSeed []*Report `json:"per_seed"`
	// Mean is every policy's mean over the seeds (score.Mean).
	Mean []score.Result `json:"mean"`
	// Warnings are the seeds' warnings, each once; one that not every
	// seed gave names its seeds.
	Warnings []string `json:"warnings"`
}

// Summarize sums up the reports of one scenario with different seeds.
func Summarize(reps []*Report) *Summary {
	sum := &Summary{Warnings: []string{}}
	seedsOf := map[string][]string{}
	var order []string
	results := make([][]score.Result, len(reps))
	for i, r := range reps {
		sum.Scenario = r.Scenario
		sum.Seeds = append(sum.Seeds, r.Seed)
		sum.PerSeed = append(sum.PerSeed, r)
		results[i] = r.Results
		for _, w := range r.Warnings {
			if _, ok := seedsOf[w]; !ok {
				order = append(order, w)
			}
			seedsOf[w] = append(seedsOf[w], fmt.Sprint(r.Seed))
		}
	}
	sum.Mean = score.Mean(results)
	for _, w := range order {
		switch seeds := seedsOf[w]; {
		case len(seeds) == len(reps):
			sum.Warnings = append(sum.Warnings, w)
		case len(seeds) == 1:
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s (seed %s)", w, seeds[0]))
		default:
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s (seeds %s)", w, strings.Join(seeds, ", ")))
		}
	}
	return sum
}

// Warnings returns what makes a run's figures unable to tell its policies
// apart, from the demand of the run and every policy's run of it:
//
//   - the demand never exceeds the group's min: every policy can serve the
//     load at min, so the figures differ by little more than chance (a
//     trace or a rate scaled too small, or a min set too high);
//   - otherwise, every policy that scales (all but static-peak) kept the
//     group's desired capacity at its min in every step.
func Warnings(sc *scenario.Scenario, demand []int, runs []*Run) []string {
	out := []string{}
	lo := sc.Workers.Min
	if len(demand) > 0 && slices.Max(demand) <= lo {
		return append(out, fmt.Sprintf("demand never exceeds the group's min of %d instances (peak %d): every policy can serve the load at min and the figures differ by little more than chance; scale the load up or lower workers.min", lo, slices.Max(demand)))
	}
	scaling := 0
	for _, r := range runs {
		if r.Policy == StaticPeak {
			continue
		}
		scaling++
		for _, s := range r.Samples {
			if s.Desired != lo {
				return out
			}
		}
	}
	if scaling > 0 {
		out = append(out, fmt.Sprintf("every policy kept the group at its min of %d instances for the whole run: the figures differ by little more than chance; scale the load up or lower workers.min", lo))
	}
	return out
}

// Options tune a comparison.
type Options struct {
	// Seed makes the run reproducible: the same seed gives the same
	// numbers.
	Seed uint64
	// Parallel bounds how many policies run at once; 0 means 2.
	Parallel int
	// Log receives Headroom's decision log; nil discards it.
	Log *slog.Logger
}

// Compare runs each policy on the scenario and scores them. The oracle
// always runs, because every cost ratio is relative to it; it is reported
// only when asked for.
func Compare(ctx context.Context, sc *scenario.Scenario, policies []string, opts Options) (*Report, error) {
	for _, p := range policies {
		if !slices.Contains(Policies, p) {
			return nil, fmt.Errorf("unknown policy %q (want one of %s)", p, strings.Join(Policies, ", "))
		}
		if err := Applies(sc, p); err != nil {
			return nil, err
		}
	}
	run := slices.Clone(policies)
	if !slices.Contains(run, Oracle) {
		run = append(run, Oracle)
	}
	par := opts.Parallel
	if par <= 0 {
		par = 2
	}
	// A scenario whose headroom config has no predictive block gives
	// headroom-reactive the very config headroom runs, and a run is
	// deterministic for its config, world and seed: the same run, which
	// is the slowest of all (Headroom calls the emulator over HTTP every
	// cycle), is simulated once.
	same := slices.Contains(run, Headroom) && WithoutPredictive(sc) == sc
	runs := make([]*Run, len(run))
	errs := make([]error, len(run))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, p := range run {
		if p == HeadroomReactive && same {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			runs[i], errs[i] = Simulate(ctx, sc, p, opts)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if same {
		h := runs[slices.Index(run, Headroom)]
		for i, p := range run {
			if p == HeadroomReactive {
				r := *h
				r.Policy, r.Result.Policy = HeadroomReactive, HeadroomReactive
				runs[i] = &r
			}
		}
	}
	results := make([]score.Result, len(runs))
	for i, r := range runs {
		results[i] = r.Result
	}
	score.SetOracle(results)
	demand := Demand(sc, sc.Load(opts.Seed))
	rep := &Report{Scenario: sc.Name, Seed: opts.Seed, Warnings: Warnings(sc, demand, runs), ForecastError: DemandForecastError(sc, demand)}
	for i, p := range run {
		runs[i].Result = results[i]
		if slices.Contains(policies, p) {
			rep.Results = append(rep.Results, results[i])
			rep.Runs = append(rep.Runs, runs[i])
		}
	}
	return rep, nil
}

// Demand is the scenario's demand per second: the instances needed to
// serve its arrivals within the SLO, the same for every policy.
func Demand(sc *scenario.Scenario, load scenario.Load) []int {
	bursts := make([]score.Burst, len(load.Bursts))
	for i, b := range load.Bursts {
		bursts[i] = score.Burst{At: b.At, Messages: b.Messages}
	}
	return score.Demand(load.Rates, bursts, sc.Workers.PerInstanceRate, sc.SLO, demandSmoothing)
}

// Arrivals is the messages that arrive in each of the first steps of the
// run, exactly as the world enqueues them: each second's rate accumulates
// and its whole part arrives, and a burst arrives in the step it falls in.
func Arrivals(load scenario.Load, steps int) []int {
	out := make([]int, steps)
	var carry float64
	next := 0
	for i := range out {
		if i < len(load.Rates) {
			carry += load.Rates[i]
		}
		n := int(math.Floor(carry))
		carry -= float64(n)
		for next < len(load.Bursts) && load.Bursts[next].At <= time.Duration(i)*Tick {
			n += load.Bursts[next].Messages
			next++
		}
		out[i] = n
	}
	return out
}

// OraclePlan is the oracle's plan for a run of the scenario with seed: it
// knows the run's arrivals and the launch time the world will draw for
// every launch (see baseline.PlanOracle).
func OraclePlan(sc *scenario.Scenario, seed uint64) baseline.OraclePlan {
	steps := int(sc.Duration / Tick)
	service, conc := work(sc)
	stream := launchStream(seed)
	var draws []time.Duration
	return baseline.PlanOracle(baseline.OracleInput{
		Step:        Tick,
		Arrivals:    Arrivals(sc.Load(seed), steps),
		Concurrency: conc,
		Service:     service,
		SLO:         sc.SLO,
		Warmup:      sc.Workers.Warmup,
		Launch: func(k int) time.Duration {
			for len(draws) <= k {
				draws = append(draws, sc.Workers.LaunchTime.Sample(stream))
			}
			return draws[k]
		},
		Weight: weights(sc),
		Min:    sc.Workers.Min,
		Max:    sc.Workers.Max,
	})
}

// weights returns the units of the k-th instance the world launches: a
// weighted group launches its instance types in turn (the emulator's
// rule); nil for a group without weights.
func weights(sc *scenario.Scenario) func(k int) int {
	types := sc.Workers.InstanceTypes
	if len(types) == 0 {
		return nil
	}
	return func(k int) int { return types[k%len(types)].Weight }
}

// actor is what decides capacity in a run.
type actor interface {
	// step runs at step i, after the world moved, and returns the scaling
	// actions it took.
	step(ctx context.Context, i int, st State) ([]score.Action, error)
}

// Simulate runs one policy on the scenario.
func Simulate(ctx context.Context, sc *scenario.Scenario, policy string, opts Options) (*Run, error) {
	if err := Applies(sc, policy); err != nil {
		return nil, err
	}
	load := sc.Load(opts.Seed)
	demand := Demand(sc, load)
	steps := int(sc.Duration / Tick)
	if len(demand) < steps {
		return nil, fmt.Errorf("scenario %q: demand covers %d of %d seconds", sc.Name, len(demand), steps)
	}

	campaigns, err := Campaigns(sc)
	if err != nil {
		return nil, err
	}
	initial := InitialCapacity(sc, policy, demand)
	var plan baseline.OraclePlan
	if policy == Oracle {
		plan = OraclePlan(sc, opts.Seed)
		initial = plan.Initial
	}

	clk := clock.NewFake(sc.Start)
	em := emulator.New(clk)
	if _, err := em.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	defer em.Close()
	world, err := NewWorld(sc, em, clk, load, initial, opts.Seed)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w", sc.Name, err)
	}
	awsCfg := em.AWSConfig()
	awsapi.Instrument(&awsCfg, nil, 5*time.Second)
	var w writer = groupWriter{autoscaling.NewFromConfig(awsCfg)}
	if sc.Workers.Service() {
		w = serviceWriter{ecs.NewFromConfig(awsCfg)}
	}

	var a actor
	switch policy {
	case Headroom, HeadroomReactive:
		h, err := newHeadroomActor(sc, policy, campaignPlan(sc, campaigns), awsCfg, clk, opts.Log)
		if err != nil {
			return nil, err
		}
		a = h
	default:
		p, err := newBaseline(sc, policy, demand, plan)
		if err != nil {
			return nil, err
		}
		b := &baselineActor{policy: p, writer: w, published: world.Published(), start: sc.Start}
		if policy != StaticPeak && policy != Oracle {
			b.campaigns = scheduledActions(sc, campaigns, opts.Seed)
		}
		a = b
	}

	run := &Run{Policy: policy, Samples: make([]score.Sample, steps)}
	for i := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if i > 0 {
			clk.Advance(Tick)
		}
		st, err := world.Step(i)
		if err != nil {
			return nil, err
		}
		run.Samples[i] = score.Sample{
			Demand:     demand[i],
			Supply:     st.Serving,
			Billed:     st.InService + st.Pending,
			Warm:       st.Warm,
			Desired:    st.Desired,
			BacklogAge: st.OldestAge,
		}
		acts, err := a.step(ctx, i, st)
		if err != nil {
			return nil, fmt.Errorf("%s at %s: %w", policy, time.Duration(i)*Tick, err)
		}
		run.Actions = append(run.Actions, acts...)
	}
	run.Result = score.Compute(score.Input{
		Policy: policy, Step: Tick, SLO: sc.SLO, Lookahead: ReactionLookahead(sc),
		Samples: run.Samples, Actions: run.Actions,
	})
	return run, nil
}

// ReactionLookahead is how long before the first demand step a scale-out
// still counts as the reaction to it (score.Input.Lookahead): the longest
// a policy that knows the future orders ahead, a launch time (its 99th
// percentile) and a warmup before the capacity is needed, plus the SLO by
// which a standing queue may delay that need.
func ReactionLookahead(sc *scenario.Scenario) time.Duration {
	return sc.Workers.LaunchTime.Quantile(0.99) + sc.Workers.Warmup + sc.SLO
}

// InitialCapacity is where each policy starts: the scenario's initial
// capacity, or else the demand at the start (what a group that had been
// running would have), and the peak for static-peak; always within the
// workers' bounds. The oracle starts where its plan says (OraclePlan),
// which Simulate uses instead.
func InitialCapacity(sc *scenario.Scenario, policy string, demand []int) int {
	n := sc.Workers.Initial
	if n == 0 && len(demand) > 0 {
		n = demand[0]
	}
	if policy == StaticPeak {
		n = staticCapacity(sc, demand)
	}
	return min(max(n, sc.Workers.Min), sc.Workers.Max)
}

func staticCapacity(sc *scenario.Scenario, demand []int) int {
	if sc.Baselines.StaticCapacity > 0 {
		return sc.Baselines.StaticCapacity
	}
	return slices.Max(demand)
}

// newBaseline builds a baseline from the scenario's settings; plan is the
// oracle's.
func newBaseline(sc *scenario.Scenario, policy string, demand []int, plan baseline.OraclePlan) (baseline.Policy, error) {
	b := sc.Baselines
	switch policy {
	case TargetTracking:
		return baseline.NewTargetTracking(targetTrackingConfig(sc)), nil
	case Step:
		s := b.Step
		c := baseline.StepConfig{
			Threshold:         s.Threshold,
			Datapoints:        s.Datapoints,
			Periods:           s.Periods,
			ScaleInThreshold:  s.ScaleInThreshold,
			ScaleInDatapoints: s.ScaleInDatapoints,
			ScaleInPeriods:    s.ScaleInPeriods,
			Warmup:            sc.Workers.Warmup,
		}
		if c.Threshold == 0 {
			c.Threshold = targetTrackingTarget(sc)
		}
		if s.ScaleInAdjustment != 0 {
			c.ScaleInAdjustmentPercent = float64(s.ScaleInAdjustment)
		}
		for _, a := range s.Steps {
			c.Steps = append(c.Steps, baseline.StepAdjustment{Lower: a.Lower, Upper: a.Upper, Adjustment: a.Adjustment, Type: a.Type})
		}
		return baseline.NewStep(c), nil
	case HPA:
		h := b.HPA
		target := h.TargetPerPod
		if target == 0 {
			target = targetTrackingTarget(sc)
		}
		return baseline.NewHPA(baseline.HPAConfig{
			TargetPerPod:           target,
			Tolerance:              h.Tolerance,
			Sync:                   h.Sync,
			ScaleDownStabilization: h.ScaleDownStabilization,
		}), nil
	case Predictive:
		return baseline.NewPredictive(baseline.PredictiveConfig{
			LoadMetric:        baseline.MetricSQSSent,
			TargetPerInstance: predictiveTarget(sc),
			TargetTracking:    targetTrackingConfig(sc),
		}), nil
	case StaticPeak:
		return baseline.NewStatic(staticCapacity(sc, demand)), nil
	case Oracle:
		return baseline.NewOracle(plan, Tick), nil
	}
	return nil, fmt.Errorf("unknown policy %q", policy)
}

// targetTrackingConfig is the aws-target-tracking baseline's config, which
// aws-predictive runs beside its forecast too.
func targetTrackingConfig(sc *scenario.Scenario) baseline.TargetTrackingConfig {
	tt := sc.Baselines.TargetTracking
	return baseline.TargetTrackingConfig{
		Metric:             tt.Metric,
		Target:             targetTrackingTarget(sc),
		ScaleOutDatapoints: tt.ScaleOutDatapoints,
		ScaleOutPeriods:    tt.ScaleOutPeriods,
		ScaleInDatapoints:  tt.ScaleInDatapoints,
		ScaleInPeriods:     tt.ScaleInPeriods,
		ScaleInRatio:       tt.ScaleInRatio,
		Warmup:             sc.Workers.Warmup,
		Period:             alarmPeriod(sc, tt.Metric),
	}
}

// predictiveTarget is aws-predictive's target per instance, in messages
// sent per minute: what one instance completes in a minute. The capacity
// forecast is then the instances that keep up with the forecast arrivals,
// the same work-conserving target the oracle holds the group to; an
// hourly mean already smooths away the peaks within the hour, which
// target tracking is there to meet.
func predictiveTarget(sc *scenario.Scenario) float64 {
	return sc.Workers.PerInstanceRate * time.Minute.Seconds()
}

// alarmPeriod is the period of an alarm on metric: a minute, or five for
// CPU without detailed monitoring, since EC2 then publishes every five.
func alarmPeriod(sc *scenario.Scenario, metric string) time.Duration {
	if metric == baseline.CPU && !sc.Workers.DetailedMonitoring {
		return 5 * time.Minute
	}
	return time.Minute
}

// targetTrackingTarget is the target tracking target: the scenario's, or
// AWS's SQS recipe with the same acceptable latency Headroom is given:
// acceptable backlog per instance = acceptable latency / the time an
// instance spends per message ("Scaling policy based on Amazon SQS",
// Amazon EC2 Auto Scaling User Guide).
func targetTrackingTarget(sc *scenario.Scenario) float64 {
	tt := sc.Baselines.TargetTracking
	if tt.Target > 0 {
		return tt.Target
	}
	if tt.Metric == "cpu" {
		return 70
	}
	return acceptableLatency(sc).Seconds() * sc.Workers.PerInstanceRate
}

// acceptableLatency is the latency every queue-based policy is configured
// with: half the SLO, leaving the other half for a surge to be met.
func acceptableLatency(sc *scenario.Scenario) time.Duration { return sc.SLO / 2 }

// campaignAction is a scheduled change of MinSize.
type campaignAction struct {
	at  int // step
	min int
}

// scheduledActions turns the announced campaigns (as Campaigns sized
// them) into the EC2 Auto Scaling scheduled actions their users would
// configure: MinSize raised to the campaign's expected capacity at its
// start and restored at its end. Each starts late by a draw from the
// scenario's delay distribution.
func scheduledActions(sc *scenario.Scenario, campaigns []scenario.Campaign, seed uint64) []campaignAction {
	r := rand.New(rand.NewPCG(seed, 2))
	var out []campaignAction
	for _, c := range campaigns {
		if !c.Announced {
			continue
		}
		late := func() int { return int(sc.Baselines.ScheduledActionDelay.Sample(r) / Tick) }
		out = append(out,
			campaignAction{at: int(c.Start/Tick) + late(), min: min(c.Capacity, sc.Workers.Max)},
			campaignAction{at: int(c.End/Tick) + late(), min: sc.Workers.Min})
	}
	slices.SortStableFunc(out, func(a, b campaignAction) int { return a.at - b.at })
	return out
}

// writer sets the workers' capacity as a baseline does, through the
// service's API.
type writer interface {
	// setDesired sets the desired capacity.
	setDesired(ctx context.Context, n int) error
	// setMin sets the lower bound and, when desired is not nil, the
	// desired capacity with it: a scheduled action.
	setMin(ctx context.Context, min int, desired *int) error
}

// groupWriter writes to the Auto Scaling group.
type groupWriter struct{ client *autoscaling.Client }

func (g groupWriter) setDesired(ctx context.Context, n int) error {
	_, err := g.client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String(GroupName), DesiredCapacity: aws.Int32(int32(n)), HonorCooldown: aws.Bool(false),
	})
	return err
}

func (g groupWriter) setMin(ctx context.Context, min int, desired *int) error {
	in := &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(GroupName), MinSize: aws.Int32(int32(min))}
	if desired != nil {
		in.DesiredCapacity = aws.Int32(int32(*desired))
	}
	_, err := g.client.UpdateAutoScalingGroup(ctx, in)
	return err
}

// serviceWriter writes to the ECS service: UpdateService with a desired
// count. A service has no MinSize of its own; the baselines that take
// campaigns as scheduled actions do not run on one (Applies).
type serviceWriter struct{ client *ecs.Client }

func (s serviceWriter) setDesired(ctx context.Context, n int) error {
	_, err := s.client.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(ClusterName), Service: aws.String(ServiceName), DesiredCount: aws.Int32(int32(n)),
	})
	return err
}

func (s serviceWriter) setMin(context.Context, int, *int) error {
	return fmt.Errorf("service %s/%s: no scheduled actions on an ECS service", ClusterName, ServiceName)
}

// baselineActor runs a baseline policy each step.
type baselineActor struct {
	policy    baseline.Policy
	writer    writer
	published *Published
	start     time.Time
	campaigns []campaignAction
	next      int
}

func (b *baselineActor) step(ctx context.Context, i int, st State) ([]score.Action, error) {
	for b.next < len(b.campaigns) && b.campaigns[b.next].at <= i {
		c := b.campaigns[b.next]
		b.next++
		var desired *int
		if c.min > st.Desired {
			// Raising MinSize above DesiredCapacity raises the desired
			// capacity with it.
			desired = &c.min
			st.Desired = c.min
		}
		if err := b.writer.setMin(ctx, c.min, desired); err != nil {
			return nil, fmt.Errorf("scheduled action: %w", err)
		}
		st.Min = c.min
	}
	want, ok := b.policy.Decide(baseline.Tick{
		Now: st.Now, Desired: st.Desired, Min: st.Min, Max: st.Max,
		InService: st.InService, Serving: st.Serving, Pending: st.Pending,
		Queue:   baseline.Queue{Visible: st.Visible, InFlight: st.InFlight, OldestAge: st.OldestAge},
		Metrics: b.published,
	})
	if !ok {
		return nil, nil
	}
	want = min(max(want, st.Min), st.Max)
	if want == st.Desired {
		return nil, nil
	}
	if err := b.writer.setDesired(ctx, want); err != nil {
		return nil, err
	}
	return []score.Action{{At: time.Duration(i) * Tick, From: st.Desired, To: want}}, nil
}

// headroomActor runs Headroom's own controller every interval.
type headroomActor struct {
	ctrl     *controller.Controller
	interval int
}

func newHeadroomActor(sc *scenario.Scenario, policy string, planner controller.Planner, awsCfg aws.Config, clk clock.Clock, log *slog.Logger) (*headroomActor, error) {
	if policy == HeadroomReactive {
		sc = WithoutPredictive(sc)
	}
	cfg, err := HeadroomConfig(sc)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Headroom's own call deadline, as serve sets it.
	awsapi.Instrument(&awsCfg, nil, cfg.CallTimeout.Std())
	ctrl, err := controller.NewAWS(cfg, awsCfg, controller.Deps{Clock: clk, Log: log, Planner: planner, History: memory.NewHistory()}, controller.Options{})
	if err != nil {
		return nil, err
	}
	return &headroomActor{ctrl: ctrl, interval: max(1, int(cfg.Interval.Std()/Tick))}, nil
}

func (h *headroomActor) step(ctx context.Context, i int, st State) ([]score.Action, error) {
	if i%h.interval != 0 {
		return nil, nil
	}
	recs, err := h.ctrl.RunOnce(ctx, st.Now)
	if err != nil {
		// A failed cycle is part of the run (an outage the scenario
		// injects); the controller carries on next cycle, as serve does.
		return nil, nil
	}
	var out []score.Action
	for _, r := range recs {
		if r.Acted {
			out = append(out, score.Action{At: time.Duration(i) * Tick, From: r.Current, To: r.Desired})
		}
	}
	return out, nil
}

// staticPlan is a plan that never changes, or an error that never does.
type staticPlan struct {
	plan controller.Plan
	err  error
}

func (p staticPlan) Plan(context.Context, time.Time) (controller.Plan, error) {
	return p.plan, p.err
}

// CampaignPlan gives Headroom the announced campaigns as boosts, the way an
// operator would schedule them: the campaign's window with its expected
// capacity as the floor, a campaign given by its audience sized as
// Campaigns sizes it. A campaign that cannot be sized makes every Plan
// fail with the reason.
func CampaignPlan(sc *scenario.Scenario) controller.Planner {
	cs, err := Campaigns(sc)
	if err != nil {
		return staticPlan{err: err}
	}
	return campaignPlan(sc, cs)
}

func campaignPlan(sc *scenario.Scenario, campaigns []scenario.Campaign) controller.Planner {
	var p staticPlan
	for i, c := range campaigns {
		if !c.Announced {
			continue
		}
		p.plan.Boosts = append(p.plan.Boosts, schedule.Boost{
			ID:          fmt.Sprintf("campaign-%d", i),
			Name:        c.Name,
			Groups:      []string{headroomGroup},
			Start:       sc.Start.Add(c.Start),
			End:         sc.Start.Add(c.End),
			MinCapacity: c.Capacity,
		})
	}
	return p
}

// WithoutPredictive returns sc with its headroom config stripped of any
// `predictive` block, the scenario headroom-reactive runs: headroom runs
// the scenario's config as given, headroom-reactive the same config less
// its predictive floor, so that the two differ by that floor alone. A
// scenario without a headroom block, or whose block has no predictive key,
// is returned as it is; a block that is not valid YAML is too, for
// HeadroomConfig to report. A block left empty stays an (empty) block, not
// the default config, as it would for headroom.
func WithoutPredictive(sc *scenario.Scenario) *scenario.Scenario {
	if strings.TrimSpace(sc.Headroom) == "" {
		return sc
	}
	var block map[string]any
	if err := yaml.Unmarshal([]byte(sc.Headroom), &block); err != nil {
		return sc
	}
	if _, ok := block[predictiveKey]; !ok {
		return sc
	}
	delete(block, predictiveKey)
	text, err := yaml.Marshal(block)
	if err != nil {
		return sc
	}
	out := *sc
	out.Headroom = string(text)
	return &out
}

// predictiveKey is the group key of Headroom's predictive floor.
const predictiveKey = "predictive"

// Campaigns returns the scenario's campaigns with each one given by its
// audience sized as the campaign intake (POST /v1/campaigns) sizes it, by
// the same function (campaign.SizeGroup): announced at the run's start on
// a group with no history and no earlier campaign, so with the default
// response curve and the cost per message of Headroom's config for the
// run (config.Group.UnitsPerMessage), capped at the workers' max. The
// floor becomes the campaign's Capacity and, when it gives no end, the end
// of its expected arrivals (campaign.Sizing.End) its End. Every policy
// that takes campaigns gets the sized ones: Headroom as boosts, the AWS
// baselines as the scheduled actions an operator would copy from the
// sizing.
func Campaigns(sc *scenario.Scenario) ([]scenario.Campaign, error) {
	out := slices.Clone(sc.Campaigns)
	var cfg *config.Config
	for i, c := range out {
		if c.Audience == 0 {
			continue
		}
		if cfg == nil {
			var err error
			if cfg, err = HeadroomConfig(sc); err != nil {
				return nil, err
			}
		}
		// No backlog queue to default from: cost 0, which SizeGroup
		// refuses, as the API does.
		cost, _ := cfg.Groups[0].UnitsPerMessage()
		sz, ok := campaign.SizeGroup(campaign.Group{Audience: c.Audience, MessagesPerRecipient: c.MessagesPerRecipient,
			Now: sc.Start, DefaultCost: cost, Max: sc.Workers.Max, Lead: cfg.Groups[0].BoostLead.Std()})
		if !ok {
			return nil, fmt.Errorf("scenario %q: campaigns[%d] (%q): the headroom group has no backlog queue with seconds_per_message to size a campaign given by its audience from", sc.Name, i, c.Name)
		}
		out[i].Capacity = sz.Floor
		if c.End == 0 {
			out[i].End = sz.End(sc.Start.Add(c.Start)).Sub(sc.Start)
		}
	}
	return out, nil
}

// headroomGroup is Headroom's name for the simulated group.
const headroomGroup = "workers"

// HeadroomConfig is the config Headroom runs a scenario with: by default
// a backlog policy on the queue with the same acceptable latency the
// baselines get, and over it each key of the scenario's `headroom` block
// (a block's `policies` replace the default policy; a block of
// `predictive` alone keeps it). The default boost
// lead is what an operator who knows the group's launch times would set:
// their p90 plus the warmup and one interval (Headroom measures it itself
// once instances have launched). Workers that are an ECS service are the
// group's target (`target: {kind: ecs_service, cluster, service}`)
// instead of an Auto Scaling group.
func HeadroomConfig(sc *scenario.Scenario) (*config.Config, error) {
	conc := max(1, int(math.Round(sc.Workers.PerInstanceRate*sc.Workers.ServiceTime.Seconds())))
	spm := float64(conc) / sc.Workers.PerInstanceRate
	top := map[string]any{"interval": "10s"}
	group := map[string]any{
		"policies": []any{map[string]any{
			"name": "queue",
			"backlog": map[string]any{
				"mode":               "rate",
				"acceptable_latency": acceptableLatency(sc).String(),
				"queues": []any{map[string]any{
					"queue":               QueueName,
					"seconds_per_message": spm,
					"concurrency":         conc,
				}},
			},
		}},
	}
	if strings.TrimSpace(sc.Headroom) != "" {
		var block map[string]any
		if err := yaml.Unmarshal([]byte(sc.Headroom), &block); err != nil {
			return nil, fmt.Errorf("scenario %q: headroom: %w", sc.Name, err)
		}
		for k, v := range block {
			switch k {
			case "interval", "jitter", "call_timeout":
				top[k] = v
			case "name", "asg", "target", "min", "max":
				return nil, fmt.Errorf("scenario %q: headroom.%s: set by the scenario (workers), not here", sc.Name, k)
			default:
				group[k] = v
			}
		}
	}
	group["name"] = headroomGroup
	if sc.Workers.Service() {
		group["target"] = map[string]any{"kind": string(target.KindECSService), "cluster": ClusterName, "service": ServiceName}
	} else {
		group["asg"] = GroupName
	}
	group["min"], group["max"] = sc.Workers.Min, sc.Workers.Max
	if _, ok := group["warmup"]; !ok {
		group["warmup"] = sc.Workers.Warmup.String()
	}
	if _, ok := group["boost_lead"]; !ok {
		iv, err := time.ParseDuration(fmt.Sprint(top["interval"]))
		if err != nil {
			return nil, fmt.Errorf("scenario %q: headroom.interval: %w", sc.Name, err)
		}
		lead := sc.Workers.LaunchTime.Quantile(0.9) + sc.Workers.Warmup + iv
		group["boost_lead"] = lead.Round(time.Second).String()
	}
	top["groups"] = []any{group}
	text, err := yaml.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: headroom config: %w", sc.Name, err)
	}
	cfg, err := config.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: headroom config: %w", sc.Name, err)
	}
	return cfg, nil
}
