// Package chaos runs Headroom's real controller against the AWS emulator
// under random load, random operator plans and random AWS faults, and
// checks the controller's safety invariants from what reached AWS: the
// emulator's call record and group state, the plan it was given and each
// cycle's record. One seed is one reproducible run.
//
// The invariants (see docs/chaos.md):
//
//  1. bounds: no SetDesiredCapacity outside the group's bounds (the ASG's
//     MinSize/MaxSize, and the configured bounds unless a pin holds), and
//     the group's desired capacity never outside MinSize/MaxSize;
//  2. stale: no SetDesiredCapacity lowering capacity on a cycle whose
//     decision had a stale or missing input or blocked scale-in;
//  3. paused: no write to a group while a pause override is active;
//  4. pin: while a pin within the ASG's bounds is active, the group's
//     desired capacity is the pin after every cycle whose Auto Scaling
//     calls met no fault;
//  5. floor: while a boost is active, desired capacity is at least its floor
//     (capped at max) after every such cycle;
//  6. converged: once every fault has cleared for one interval plus the
//     warmup, every cycle reads fresh inputs and the group's desired
//     capacity is the cycle's decision.
package chaos

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/emulator"
	emuasg "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/source"
)

// Invariant names, as violations carry them.
const (
	InvariantBounds    = "bounds"
	InvariantStale     = "scale_in_on_stale_input"
	InvariantPaused    = "write_while_paused"
	InvariantPin       = "pin_not_held"
	InvariantFloor     = "floor_undercut"
	InvariantConverged = "not_converged"
	InvariantSetup     = "setup"
)

// Interval is the cycle interval of every run: RunOnce every 10 s of fake
// time, the controller's default.
const Interval = 10 * time.Second

// callTimeout is each AWS call's deadline. A hung call costs this much
// real time, so it is short; it is still far above an emulator answer.
const callTimeout = time.Second

// settleTimeout bounds the wait, after each cycle, for the emulator to
// record the calls the cycle gave up on: far above the milliseconds a
// closed connection takes to be seen.
const settleTimeout = 10 * time.Second

// perInstance is the messages per second one serving instance works off.
const perInstance = 10

// metricNamespace and metricName are the target-tracking metric the world
// publishes per group.
const (
	metricNamespace = "AWS/EC2"
	metricName      = "CPUUtilization"
)

// start is the fake clock's start of every run.
var start = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// Options tune a run.
type Options struct {
	// Log receives the controller's log; nil discards it.
	Log *slog.Logger
	// Duration, when > 0, replaces the random run length (10-30 minutes).
	Duration time.Duration
	// NoFaults runs without injected faults (the plan stays).
	NoFaults bool
	// Scaler and Planner, when set, wrap the controller's scaler and
	// planner: a test breaks the controller with them to prove that the
	// checker catches it.
	Scaler  func(controller.Scaler) controller.Scaler
	Planner func(controller.Planner) controller.Planner
}

// Violation is one broken invariant.
type Violation struct {
	Seed      int64
	Invariant string
	Group     string
	// At is the cycle's time and Cycle its number (from 0).
	At     time.Time
	Cycle  int
	Detail string
}

func (v Violation) String() string {
	return fmt.Sprintf("seed %d cycle %d (+%s) group %s: %s: %s", v.Seed, v.Cycle, v.At.Sub(start), v.Group, v.Invariant, v.Detail)
}

// Result sums one or more runs.
type Result struct {
	Runs, Cycles, FaultsInjected int
	// Starved counts the cycles the machine starved (see starved): they
	// restart the convergence clock like a fault, and are not faults the
	// run injected.
	Starved    int
	Violations []Violation
}

// Add adds another result to r.
func (r *Result) Add(o Result) {
	r.Runs += o.Runs
	r.Cycles += o.Cycles
	r.FaultsInjected += o.FaultsInjected
	r.Starved += o.Starved
	r.Violations = append(r.Violations, o.Violations...)
}

// groupSpec is one random group of a run.
type groupSpec struct {
	name            string
	asgMin, asgMax  int
	cfgMin, cfgMax  int
	initial         int
	warmup          time.Duration
	targetTracking  bool
	perInstanceMode bool
	scaleInWindow   time.Duration
	maxAge          time.Duration
	rates           []ratePhase // arrivals per second on the group's queue
	carry           float64
	effMin, effMax  int // configured bounds intersected with the ASG's
	queue           string
	overrides       []window
	boosts          []schedule.Boost
}

// ratePhase is an arrival rate from a time on.
type ratePhase struct {
	from time.Time
	rate float64
}

// window is an override active during [from, until).
type window struct {
	from, until time.Time
	o           policy.Override
}

func (w window) active(t time.Time) bool { return !t.Before(w.from) && t.Before(w.until) }

// scenario is one run's random world.
type scenario struct {
	duration time.Duration
	launch   time.Duration
	groups   []*groupSpec
	faults   []emulator.Fault
	// quiet is when every fault has cleared for an interval plus the
	// longest warmup; a starved cycle moves it later (see starved).
	quiet time.Time
	// settle is that interval plus the longest warmup.
	settle time.Duration
}

func newScenario(seed int64, o Options) *scenario {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6368616f73))
	sc := &scenario{duration: time.Duration(10+rng.IntN(21)) * time.Minute, launch: time.Duration(10+rng.IntN(51)) * time.Second}
	if o.Duration > 0 {
		sc.duration = o.Duration
	}
	end := start.Add(sc.duration)
	for i := range 1 + rng.IntN(3) {
		g := &groupSpec{name: fmt.Sprintf("g%d", i), queue: fmt.Sprintf("q%d", i)}
		g.asgMin = rng.IntN(3)
		g.asgMax = g.asgMin + 3 + rng.IntN(13)
		g.cfgMin = g.asgMin + rng.IntN(3) - 1
		g.cfgMin = max(g.cfgMin, 0)
		g.cfgMax = g.cfgMin + 1 + rng.IntN(g.asgMax+4-g.cfgMin)
		g.effMin, g.effMax = max(g.cfgMin, g.asgMin), min(g.cfgMax, g.asgMax)
		if g.effMin > g.effMax {
			g.cfgMin, g.effMin = g.asgMin, g.asgMin
		}
		g.initial = g.effMin + rng.IntN(g.effMax-g.effMin+1)
		g.warmup = time.Duration(rng.IntN(4)) * 20 * time.Second
		g.targetTracking = rng.IntN(2) == 0
		g.perInstanceMode = rng.IntN(3) == 0
		g.scaleInWindow = time.Duration(6+rng.IntN(13)) * 10 * time.Second
		g.maxAge = time.Duration(6+rng.IntN(7)) * 10 * time.Second
		for t := start; t.Before(end); t = t.Add(time.Duration(1+rng.IntN(5)) * time.Minute) {
			g.rates = append(g.rates, ratePhase{from: t, rate: rng.Float64() * perInstance * float64(g.effMax) * 0.9})
		}
		// Overrides: pauses and pins in random windows.
		for range rng.IntN(3) {
			from := start.Add(time.Duration(rng.Int64N(int64(sc.duration))))
			w := window{from: from, until: from.Add(time.Duration(1+rng.IntN(5)) * time.Minute)}
			if rng.IntN(2) == 0 {
				w.o = policy.Override{ID: fmt.Sprintf("pause-%s-%d", g.name, len(g.overrides)), Kind: policy.OverridePause}
			} else {
				w.o = policy.Override{ID: fmt.Sprintf("pin-%s-%d", g.name, len(g.overrides)), Kind: policy.OverridePin,
					Capacity: rng.IntN(g.asgMax + 3)}
			}
			g.overrides = append(g.overrides, w)
		}
		for k := range rng.IntN(2) {
			s := start.Add(time.Duration(2+rng.IntN(int(sc.duration/time.Minute))) * time.Minute)
			g.boosts = append(g.boosts, schedule.Boost{
				ID: fmt.Sprintf("boost-%s-%d", g.name, k), Name: "campaign", Groups: []string{g.name},
				Start: s, End: s.Add(time.Duration(1+rng.IntN(5)) * time.Minute),
				MinCapacity: 1 + rng.IntN(g.asgMax+2), Lead: time.Duration(1+rng.IntN(3)) * time.Minute,
			})
		}
		sc.groups = append(sc.groups, g)
	}
	sc.quiet = start
	if !o.NoFaults {
		sc.faults = randomFaults(rng, sc.duration)
	}
	maxWarmup := time.Duration(0)
	for _, g := range sc.groups {
		maxWarmup = max(maxWarmup, g.warmup)
	}
	sc.settle = Interval + maxWarmup
	for _, f := range sc.faults {
		if q := f.Until.Add(sc.settle); q.After(sc.quiet) {
			sc.quiet = q
		}
	}
	return sc
}

// faultOps are the operations the controller calls, by service; "" is every
// operation.
var faultOps = map[string][]string{
	emulator.ServiceAutoScaling: {"", "DescribeAutoScalingGroups", "SetDesiredCapacity", "DescribeInstanceRefreshes"},
	emulator.ServiceCloudWatch:  {"", "GetMetricData"},
	emulator.ServiceSQS:         {"", "GetQueueAttributes", "GetQueueUrl"},
}

var faultServices = []string{emulator.ServiceAutoScaling, emulator.ServiceCloudWatch, emulator.ServiceSQS}

// randomFaults draws up to five faults in windows that end at least three
// minutes before the run does, so that recovery is observed.
func randomFaults(rng *rand.Rand, d time.Duration) []emulator.Fault {
	var out []emulator.Fault
	last := d - 3*time.Minute
	for range rng.IntN(6) {
		from := start.Add(time.Minute + time.Duration(rng.Int64N(int64(last-time.Minute))))
		until := from.Add(time.Duration(3+rng.IntN(22)) * 10 * time.Second)
		if until.After(start.Add(last)) {
			until = start.Add(last)
		}
		svc := faultServices[rng.IntN(len(faultServices))]
		ops := faultOps[svc]
		op := ops[rng.IntN(len(ops))]
		rate := 0.1 + 0.9*rng.Float64()
		var f emulator.Fault
		switch rng.IntN(5) {
		case 0:
			f = emulator.Throttle(svc, op, rate, from, until)
		case 1:
			status, code := http.StatusInternalServerError, "InternalFailure"
			if svc == emulator.ServiceCloudWatch {
				code = "InternalServiceError"
			}
			f = emulator.Fault{Service: svc, Operation: op, Status: status, Code: code, Rate: rate, From: from, Until: until}
		case 2:
			// A hang costs a call timeout of real time: short windows, low rates.
			if until.After(from.Add(time.Minute)) {
				until = from.Add(time.Minute)
			}
			f = emulator.Fault{Service: svc, Operation: op, Hang: true, Rate: 0.1 + 0.3*rng.Float64(), From: from, Until: until}
		case 3:
			f = emulator.Blackout(svc, from, until)
		default:
			f = emulator.WithholdMetrics(metricNamespace, from, until)
		}
		out = append(out, f)
	}
	return out
}

func (g *groupSpec) rate(t time.Time) float64 {
	r := 0.0
	for _, p := range g.rates {
		if !t.Before(p.from) {
			r = p.rate
		}
	}
	return r
}

// active returns the group's overrides at t.
func (g *groupSpec) active(t time.Time) (out []policy.Override) {
	for _, w := range g.overrides {
		if w.active(t) {
			out = append(out, w.o)
		}
	}
	return out
}

func (g *groupSpec) paused(t time.Time) bool {
	for _, o := range g.active(t) {
		if o.Kind == policy.OverridePause {
			return true
		}
	}
	return false
}

// pin returns the active pin's capacity; several pins: the last one given,
// as the engine applies them in order.
func (g *groupSpec) pin(t time.Time) (int, bool) {
	capacity, ok := 0, false
	for _, o := range g.active(t) {
		if o.Kind == policy.OverridePin {
			capacity, ok = o.Capacity, true
		}
	}
	return capacity, ok
}

// floor returns the highest active boost floor at t.
func (g *groupSpec) floor(t time.Time) (int, bool) {
	best, any := 0, false
	for _, b := range g.boosts {
		if f, ok := b.FloorAt(t, b.Lead, 0); ok {
			best, any = max(best, f), true
		}
	}
	return best, any
}

// plan is the fake Planner: the scenario's overrides and boosts.
type plan struct{ sc *scenario }

func (p plan) Plan(_ context.Context, now time.Time) (controller.Plan, error) {
	out := controller.Plan{Overrides: map[string][]policy.Override{}}
	for _, g := range p.sc.groups {
		if os := g.active(now); len(os) > 0 {
			out.Overrides[g.name] = os
		}
		for _, b := range g.boosts {
			if now.Before(b.End) {
				out.Boosts = append(out.Boosts, b)
			}
		}
	}
	return out, nil
}

func (sc *scenario) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, "interval: %s\njitter: 0s\ncall_timeout: %s\ngroups:\n", Interval, callTimeout)
	for _, g := range sc.groups {
		mode := "rate"
		if g.perInstanceMode {
			mode = "per_instance"
		}
		fmt.Fprintf(&b, `  - name: %[1]s
    asg: %[1]s
    min: %[2]d
    max: %[3]d
    warmup: %[4]s
    scale_in_window: %[5]s
    max_age: %[6]s
    policies:
      - name: queue
        backlog:
          mode: %[7]s
          acceptable_latency: 30s
          queues:
            - queue: %[8]s
              seconds_per_message: 0.1
`, g.name, g.cfgMin, g.cfgMax, g.warmup, g.scaleInWindow, g.maxAge, mode, g.queue)
		if g.targetTracking {
			fmt.Fprintf(&b, `      - name: cpu
        target_tracking:
          metric:
            namespace: %s
            name: %s
            dimensions: {AutoScalingGroupName: %s}
            stat: Average
          period: 10s
          target: 70
`, metricNamespace, metricName, g.name)
		}
	}
	return b.String()
}

// Retryer is the production retry policy (awsapi: the standard retryer, 3
// attempts, its retry quota) without the wait between attempts: the world
// runs on a fake clock, where a real backoff would only slow the run down.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = awsapi.DefaultMaxAttempts
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

// Run runs one random scenario drawn from seed and returns what the checker
// found.
func Run(seed int64, o Options) Result {
	res := Result{Runs: 1}
	setup := func(err error) Result {
		res.Violations = append(res.Violations, Violation{Seed: seed, Invariant: InvariantSetup, At: start, Detail: err.Error()})
		return res
	}
	sc := newScenario(seed, o)
	clk := clock.NewFake(start)
	em := emulator.New(clk)
	if _, err := em.Start("127.0.0.1:0"); err != nil {
		return setup(err)
	}
	defer em.Close()
	em.SetFaultSeed(seed)
	em.AutoScaling.SetLaunchTime(sc.launch)
	for _, g := range sc.groups {
		if err := em.AutoScaling.CreateGroup(emuasg.GroupSpec{Name: g.name, Min: g.asgMin, Max: g.asgMax, Desired: g.initial, StartInService: true}); err != nil {
			return setup(fmt.Errorf("group %s: %w", g.name, err))
		}
		if _, err := em.SQS.CreateQueue(g.queue, nil); err != nil {
			return setup(fmt.Errorf("queue %s: %w", g.queue, err))
		}
	}
	cfg, err := config.Parse([]byte(sc.config()))
	if err != nil {
		return setup(fmt.Errorf("config: %w", err))
	}
	awsCfg := em.AWSConfig()
	awsCfg.Retryer = Retryer
	awsapi.Instrument(&awsCfg, nil, cfg.CallTimeout.Std())
	actuator := asg.New(autoscaling.NewFromConfig(awsCfg), clk)
	var scaler controller.Scaler = actuator
	if o.Scaler != nil {
		scaler = o.Scaler(scaler)
	}
	var planner controller.Planner = plan{sc}
	if o.Planner != nil {
		planner = o.Planner(planner)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctrl, err := controller.New(cfg, controller.Deps{
		Groups: actuator, Scaler: scaler,
		Metrics: source.NewCloudWatch(cloudwatch.NewFromConfig(awsCfg)),
		Queues:  source.NewSQS(sqs.NewFromConfig(awsCfg), clk, 4),
		Clock:   clk, Log: log, Planner: planner,
	}, controller.Options{})
	if err != nil {
		return setup(err)
	}
	for _, f := range sc.faults {
		em.AddFault(f)
	}

	ck := &checker{seed: seed, sc: sc, em: em}
	ctx := context.Background()
	end := start.Add(sc.duration)
	withheld := 0
	for cycle := 0; clk.Now().Before(end); cycle++ {
		// One interval of world, a second at a time.
		for range int(Interval / time.Second) {
			clk.Advance(time.Second)
			now := clk.Now()
			for _, g := range sc.groups {
				g.carry += g.rate(now)
				n := int(math.Floor(g.carry))
				g.carry -= float64(n)
				if n > 0 {
					if err := em.SQS.Enqueue(g.queue, n); err != nil {
						return setup(err)
					}
				}
				v, _ := em.AutoScaling.Group(g.name)
				capacity := float64(serving(v, now, g.warmup)) * perInstance
				done := em.SQS.Consume(g.queue, int(capacity))
				cpu := 100.0
				if capacity > 0 {
					cpu = 100 * float64(done) / capacity
				}
				if !em.PutMetric(metricNamespace, metricName, map[string]string{"AutoScalingGroupName": g.name}, now, cpu) {
					withheld++
				}
			}
		}
		now := clk.Now()
		before := ck.snapshot()
		mark := em.Mark()
		began := time.Now()
		recs, err := ctrl.RunOnce(ctx, now)
		took := time.Since(began)
		if err != nil {
			recs = nil
		}
		// A call the controller gave up on (a hang past its deadline) is
		// recorded when the emulator sees the connection close, which can
		// be after RunOnce returns: without settling, it would land in the
		// next cycle's calls and be checked against that cycle's decision.
		if !em.Settle(settleTimeout) {
			return setup(fmt.Errorf("cycle %d: the emulator still had requests open %s after the cycle", cycle, settleTimeout))
		}
		calls := em.CallsSince(mark)
		hungry := starved(took, calls)
		if hungry {
			res.Starved++
			ck.starved(now)
		}
		ck.check(cycle, now, before, recs, calls, hungry)
		res.Cycles++
	}
	ck.checkStarvation(res.Cycles, res.Starved)
	for _, c := range em.Calls() {
		if c.Fault != "" {
			res.FaultsInjected++
		}
	}
	res.FaultsInjected += withheld
	res.Violations = append(res.Violations, ck.violations...)
	return res
}

// starved reports whether the machine, not the run, made a cycle's call
// miss its deadline: the cycle took at least one call timeout of real time
// and none of its calls met an injected hang or latency. The emulator
// answers in microseconds, so only a starved CPU (a soak sharing its cores
// with other work) makes a call without such a fault wait a second. Such
// a cycle is an unplanned fault: the convergence clock restarts from it.
func starved(took time.Duration, calls []emulator.Call) bool {
	if took < callTimeout {
		return false
	}
	for _, c := range calls {
		if c.Fault == emulator.FaultHang || c.Fault == emulator.FaultLatency {
			return false
		}
	}
	return true
}

// serving counts a group's InService instances past warmup at now.
func serving(v emuasg.GroupView, now time.Time, warmup time.Duration) int {
	n := 0
	for _, in := range v.Instances {
		if in.State == emuasg.StateInService && !now.Before(in.InServiceAt.Add(warmup)) {
			n++
		}
	}
	return n
}
