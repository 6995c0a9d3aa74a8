// Package controller runs Headroom's control loop. One cycle reads every
// group, every metric and every queue, decides each group's capacity with
// the pure policy engine and, where the decision differs from the group's
// desired capacity and nothing forbids it, sets the new desired capacity.
//
//	         +----------------------------------------------+
//	         |                   cycle                      |
//	now ---> | describe groups | read metrics | read queues | (concurrently)
//	         +----------------------------------------------+
//	                |  per group: policy.Decide (pure)
//	                v
//	         act (leader only, not paused, not suspended,
//	              no instance refresh) -> record (history,
//	              metrics, a log line when it matters, one
//	              summary line per cycle)
//
// Failures are per group: one group's missing ASG, unreadable queue or
// failed write is recorded for that group and the others carry on.
package controller

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
	"sync/atomic"
	"time"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/source"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/target"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

// Describer reads the managed Auto Scaling groups.
type Describer interface {
	Describe(ctx context.Context, names []string, warmup func(name string) time.Duration) (map[string]asg.Group, error)
}

// Scaler changes a group's desired capacity, after checking that no
// instance refresh is running.
type Scaler interface {
	SetDesired(ctx context.Context, name string, capacity int) error
	RefreshInProgress(ctx context.Context, name string) (bool, error)
}

// MetricReader reads CloudWatch metric queries.
type MetricReader interface {
	Read(ctx context.Context, now time.Time, queries []source.MetricQuery) map[string]source.Series
}

// QueueReader reads SQS queue backlogs.
type QueueReader interface {
	Read(ctx context.Context, queues []string) map[string]source.QueueReading
}

// Planner supplies what operators have planned: the boosts and overrides
// in force. A cycle whose plan cannot be read decides but does not act,
// because it cannot know whether a group is paused or pinned.
type Planner interface {
	Plan(ctx context.Context, now time.Time) (Plan, error)
}

// DecisionRecorder keeps decision history where every replica can read it.
type DecisionRecorder interface {
	AppendDecisions(ctx context.Context, ds []store.Decision, r store.Retention, now time.Time) error
}

// Mirror keeps a group's boosts as EC2 Auto Scaling scheduled actions, so
// that AWS itself holds a campaign's floor if Headroom stops.
type Mirror interface {
	ScheduledActions(ctx context.Context, asgName string) ([]schedule.Action, error)
	Reconcile(ctx context.Context, asgName string, existing, want []schedule.Action) (put, deleted int, err error)
	SetMinSize(ctx context.Context, asgName string, min int) error
}

// Plan is what operators have planned, as of one cycle.
type Plan struct {
	// Boosts are every boost not yet ended; each names its groups.
	Boosts []schedule.Boost
	// Overrides are the active overrides by group name.
	Overrides map[string][]policy.Override
}

var (
	_ Describer    = (*asg.Actuator)(nil)
	_ Scaler       = (*asg.Actuator)(nil)
	_ MetricReader = (*source.CloudWatch)(nil)
	_ QueueReader  = (*source.SQS)(nil)
	_ Mirror       = (*asg.Actuator)(nil)
)

// Deps are the controller's collaborators.
type Deps struct {
	Groups  Describer
	Scaler  Scaler
	Metrics MetricReader
	Queues  QueueReader
	Clock   clock.Clock
	Log     *slog.Logger
	// Telemetry may be nil in tests that do not look at metrics.
	Telemetry *telemetry.Metrics
	// Leader reports whether this replica may act; nil means always.
	Leader func() bool
	// Acting returns the context one write runs under: cancelled when
	// this replica stops leading, its deadline cut to the moment it must
	// stop acting (lease.Elector.Acting). Every Auto Scaling write (the
	// desired capacity, the mirrored scheduled actions and MinSize) runs
	// under it, so that no write outlives the lease. nil: writes run on
	// the cycle's context.
	Acting func(context.Context) (context.Context, context.CancelFunc)
	// Planner supplies boosts and overrides; nil means none.
	Planner Planner
	// Decisions records decision history; nil keeps it in memory only.
	Decisions DecisionRecorder
	// Mirror mirrors boosts into scheduled actions; nil means boosts are
	// enforced by the control loop alone.
	Mirror Mirror
	// Policies reads the groups' own scaling policies, shown as notes
	// and warnings; nil means they are not read.
	Policies PolicyReader
	// Budget paces SetDesiredCapacity calls: a cycle's writes take its
	// tokens in priority order (orderWrites), and a write without one is
	// deferred to the next cycle with SkipRateBudget. nil: no limit.
	Budget WriteBudget
	// BudgetFor, when set, gives each target's budget by its key instead
	// of Budget: one per service, account and region (a nil answer: no
	// limit for that target).
	BudgetFor func(key string) WriteBudget
	// WarmPools raises a warm pool before a boost and restores it after;
	// nil means Headroom never changes a warm pool.
	WarmPools WarmPools
	// History records each group's demand, one point a group every 5
	// minutes, and gives the history the predictive floor is forecast
	// from; nil: no history is recorded and no group has a predictive
	// floor.
	History HistoryStore
}

// Skip reasons: why a decision that differed from the group's desired
// capacity was not acted on.
const (
	SkipDryRun          = "dry_run"
	SkipNotLeader       = "not_leader"
	SkipPaused          = "paused"
	SkipSuspended       = "processes_suspended"
	SkipInstanceRefresh = "instance_refresh"
	SkipRefreshUnknown  = "instance_refresh_unknown"
	SkipPlanUnknown     = "plan_unavailable"
	// SkipTargetBusy: a scale-in the target cannot take now (an ECS
	// deployment in progress, target.Group.NoScaleIn); scale-out is not
	// held.
	SkipTargetBusy = "target_busy"
)

// writeConcurrency bounds concurrent SetDesiredCapacity calls. Auto Scaling
// throttles mutating calls per account, so a big cycle with many changes
// should not burst; a handful in flight keeps 2,000 groups within a cycle.
const writeConcurrency = 8

var nan = math.NaN()

// Record is a decision as the controller made and carried it out.
type Record struct {
	policy.Decision
	// ASG is the Auto Scaling group's name ("" for another kind of
	// target).
	ASG string
	// Kind is the kind of the group's target, Target its name for people
	// (config.Group.TargetString) and Key the controller's key for it
	// (config.Group.TargetKey), which its writes are routed by.
	Kind        target.Kind
	Target, Key string
	// Acted is true when SetDesiredCapacity succeeded this cycle.
	Acted bool
	// Skipped says why a differing decision was not acted on.
	Skipped string
	// Error says why the group could not be decided or the write failed.
	Error string
	// Serving, Pending, Warming, Terminating and Standby are the group's
	// capacity this cycle in its units (instances for a plain group);
	// Instances counts the same in instances. ASGMin and ASGMax are the
	// Auto Scaling group's own MinSize and MaxSize (the decision's Min and
	// Max are the effective bounds).
	Serving, Pending, Warming, Terminating, Standby, ASGMin, ASGMax int
	Instances                                                       asg.Counts
	// Replacing is the part of Pending, in units, that replaces instances
	// AWS is retiring (asg.Group.Replacing).
	Replacing int
	// CapacityType is the group's DesiredCapacityType (units, vcpu,
	// memory-mib); Weighted is true when a unit is not an instance.
	CapacityType string
	Weighted     bool
	// WarmPool is the group's warm pool this cycle, nil when it has none.
	// Expected is how the decision's scale-out is expected to be served
	// (warm from the pool's ready instances, cold by new launches); zero
	// when it does not scale out. WarmLead and ColdLead are how long each
	// kind takes to serve (WarmLead 0 when the pool cannot give warm
	// starts).
	WarmPool           *asg.WarmPool
	Expected           Split
	WarmLead, ColdLead time.Duration
	// RaisedFrom is the pool's MinSize before Headroom raised it for a
	// boost, -1 while Headroom holds no change to the pool.
	RaisedFrom int
	// Predictive is the group's predictive floor this cycle; nil when the
	// group has no predictive block.
	Predictive *Predictive
}

// setCapacity copies the group's capacity, in units and in instances,
// into the record.
func (r *Record) setCapacity(g asg.Group) {
	r.Serving, r.Pending, r.Warming, r.Terminating, r.Standby = g.Serving, g.Pending, g.Warming, g.Terminating, g.Standby
	r.ASGMin, r.ASGMax = g.Min, g.Max
	r.Instances, r.CapacityType, r.Weighted = g.Instances, g.CapacityType, g.Weighted
	r.Replacing = g.Replacing
}

// groupNotes are what the decision should say about the group itself:
// what AWS will do differently from what the number suggests.
func groupNotes(g asg.Group, d policy.Decision) []string {
	var notes []string
	// A replacement launched ahead of the instance it replaces is a
	// swap: it is neither overshoot nor capacity a scale-in must remove.
	launched := g.InService + g.Pending - g.Replacing
	if g.Weighted && launched > g.Desired && launched-g.Desired < g.MaxWeight {
		notes = append(notes, fmt.Sprintf("AWS filled desired capacity %d with whole instances: %d units launched or in service (weights up to %d); the excess is not drift",
			g.Desired, launched, g.MaxWeight))
	}
	if g.Replacing > 0 {
		notes = append(notes, replacingNote(g))
	}
	if g.Standby > 0 {
		notes = append(notes, fmt.Sprintf("%d units (%d instances) in Standby: neither serving nor part of desired capacity", g.Standby, g.Instances.Standby))
	}
	// A scale-in must remove the units above the decision; AWS removes
	// only unprotected ones, lowers desired capacity all the same, and
	// keeps the protected instances serving.
	if excess, free := launched-d.Desired, g.InService-g.Protected+g.Pending-g.Replacing; d.Desired < g.Desired && g.Protected > 0 && excess > free {
		notes = append(notes, fmt.Sprintf("scale-in from %d to %d is blocked in part: %d units (%d instances) are protected from scale-in, so AWS lowers desired capacity but keeps %d units running",
			g.Desired, d.Desired, g.Protected, g.Instances.Protected, excess-free))
	}
	return append(notes, suspendedNotes(g.Suspended)...)
}

// suspendedNotes says, for each suspended process that changes what
// Headroom's actions mean, what it changes; the decision's notes and
// /readyz's warnings both read them.
func suspendedNotes(suspended []string) []string {
	var out []string
	for _, p := range suspended {
		switch p {
		case "ScheduledActions":
			out = append(out, "process ScheduledActions is suspended: the scheduled actions that keep boost floors if Headroom stops will not run")
		case "AlarmNotification":
			out = append(out, "process AlarmNotification is suspended: the group's own alarm-driven policies do not run")
		}
	}
	return out
}

// Options change how the controller acts.
type Options struct {
	// DryRun computes decisions and sends no writes (explain, shadow mode).
	DryRun bool
	// Retention bounds the decision history kept by Deps.Decisions.
	Retention store.Retention
}

type groupRun struct {
	cfg config.Group
	// key is the group's target key (config.Group.TargetKey): what the
	// describe answers and the writes are routed by.
	key     string
	spec    policy.Group
	periods map[string]time.Duration // metric query key -> period
	state   policy.State
	history []Record // ring, oldest first after trimming
	// boosts holds what the controller remembers of each boost by id.
	boosts map[string]boostState
	// last is the group as last described; described is false until it
	// has been.
	last      asg.Group
	described bool
	// recorded is what persist keeps of the last decision written to
	// Deps.Decisions.
	recorded *recorded
	// mirrored is true while the group carries Headroom's scheduled
	// actions (or may: until the first sweep).
	mirrored bool
	// deferred is how many cycles in a row the group's write was deferred
	// for the write budget.
	deferred int
	// demand sums the samples of the history bucket in progress; pred
	// caches the history and forecast of the predictive floor.
	demand demand
	pred   predictor
}

// boostState is a boost as one group has seen it.
type boostState struct {
	// baseline is the group's desired capacity in the last cycle before the
	// boost began: a multiplier applies to it.
	baseline int
	// begun is when the boost began for this group; zero until it has. A
	// boost that has begun stays begun even if a later, shorter measured
	// lead would start it later: a floor must not drop and come back.
	begun time.Time
}

// Controller runs cycles over the configured groups. It is safe for
// concurrent reads of its history while a cycle runs.
type Controller struct {
	cfg     *config.Config
	deps    Deps
	opts    Options
	queries []source.MetricQuery
	queues  []string
	names   []string
	// mixed is true when a group's target is not an Auto Scaling group:
	// messages then speak of targets.
	mixed   bool
	groups  []*groupRun
	byName  map[string]*groupRun
	warmups map[string]time.Duration // by ASG name

	mu         sync.Mutex // guards group state, history and the fields below
	lastRun    time.Time  // when the last cycle ran (controller clock)
	lastErr    error      // the last cycle's error
	planErr    error      // why the last cycle could not read its plan
	lastSeries map[string]source.Series
	lastQueues map[string]source.QueueReading
	lastPlan   Plan
	// policies are the groups' scaling policies as last read; policiesRead
	// is false while no PolicyReader is configured.
	policies     asg.Policies
	policiesRead bool
	// views is what Views and View answer: published at the end of New
	// and of every cycle's record phase.
	views atomic.Pointer[views]
	// finished holds the ended history buckets the next flushHistory
	// writes.
	finished []store.HistoryPoint
}

// New builds a controller for a validated config.
func New(cfg *config.Config, deps Deps, opts Options) (*Controller, error) {
	if deps.Groups == nil || deps.Scaler == nil || deps.Metrics == nil || deps.Queues == nil {
		return nil, errors.New("controller: groups, scaler, metrics and queues readers are required")
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real()
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	c := &Controller{cfg: cfg, deps: deps, opts: opts, byName: map[string]*groupRun{}, warmups: map[string]time.Duration{}}
	seenQueue := map[string]bool{}
	for _, g := range cfg.Groups {
		gr := &groupRun{cfg: g, spec: g.Policy(), periods: map[string]time.Duration{}, boosts: map[string]boostState{}, mirrored: true}
		for _, q := range g.MetricQueries() {
			gr.periods[q.Key] = q.Period
			c.queries = append(c.queries, q)
		}
		for _, q := range g.Queues() {
			if !seenQueue[q] {
				seenQueue[q] = true
				c.queues = append(c.queues, q)
			}
		}
		c.groups = append(c.groups, gr)
		c.byName[g.Name] = gr
		gr.key = g.TargetKey()
		c.names = append(c.names, gr.key)
		c.warmups[gr.key] = g.Warmup.Std()
		if g.Kind() != target.KindASG {
			c.mixed = true
		}
	}
	c.mu.Lock()
	c.publishLocked()
	c.mu.Unlock()
	return c, nil
}

// Run runs cycles until ctx ends: one every interval plus a random jitter,
// measured start to start; a cycle that overruns is followed at once by the
// next.
func (c *Controller) Run(ctx context.Context) error {
	for {
		start := c.deps.Clock.Now()
		if _, err := c.RunOnce(ctx, start); err != nil && ctx.Err() == nil {
			c.deps.Log.Warn("cycle failed", "err", err)
		}
		wait := c.cfg.Interval.Std() - c.deps.Clock.Since(start)
		if c.cfg.Jitter.Std() > 0 {
			wait += time.Duration(rand.Int64N(int64(c.cfg.Jitter.Std())))
		}
		if wait < 0 {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.deps.Clock.After(wait):
		}
	}
}

// RunOnce runs one cycle at time now and returns this cycle's records, one
// per group, in config order. It returns an error only when the cycle as a
// whole could not run (the groups could not be described); per-group
// problems are in the records.
func (c *Controller) RunOnce(ctx context.Context, now time.Time) (records []Record, err error) {
	start := time.Now()
	calls := &slowest{}
	defer func() {
		took := time.Since(start)
		if c.deps.Telemetry != nil {
			c.deps.Telemetry.CycleDuration.Observe(took.Seconds())
		}
		c.summarize(records, took, calls, err)
	}()
	// A cycle never blocks the next forever: every AWS call has its own
	// deadline (awsapi's CallTimeout); this caps the whole read phase too.
	readCtx, cancel := context.WithTimeout(ctx, c.readDeadline())
	defer cancel()

	var (
		wg      sync.WaitGroup
		groups  map[string]asg.Group
		descErr error
		series  map[string]source.Series
		queues  map[string]source.QueueReading
		plan    Plan
		planErr error
		pols    asg.Policies
		polsOK  bool
	)
	wg.Add(6)
	go func() {
		defer wg.Done()
		if c.deps.History != nil {
			defer calls.time("read_history", time.Now())
			c.refreshForecasts(readCtx, now)
		}
	}()
	go func() {
		defer wg.Done()
		if c.deps.Policies != nil {
			defer calls.time("read_policies", time.Now())
		}
		pols, polsOK = c.readPolicies(readCtx)
	}()
	go func() {
		defer wg.Done()
		if c.deps.Planner != nil {
			defer calls.time("read_plan", time.Now())
			plan, planErr = c.deps.Planner.Plan(readCtx, now)
		}
	}()
	go func() {
		defer wg.Done()
		defer calls.time("describe_groups", time.Now())
		groups, descErr = c.deps.Groups.Describe(readCtx, c.names, c.warmup)
	}()
	go func() {
		defer wg.Done()
		if len(c.queries) > 0 {
			defer calls.time("read_metrics", time.Now())
			series = c.deps.Metrics.Read(readCtx, now, c.queries)
		}
	}()
	go func() {
		defer wg.Done()
		if len(c.queues) > 0 {
			defer calls.time("read_queues", time.Now())
			queues = c.deps.Queues.Read(readCtx, c.queues)
		}
	}()
	wg.Wait()

	records = make([]Record, len(c.groups))
	// A failed page of DescribeAutoScalingGroups blinds only its groups:
	// they are recorded as failed and the others are decided as usual.
	// Only when nothing could be read does the cycle fail as a whole.
	var blind map[string]string
	if pe, ok := errors.AsType[*asg.PageError](descErr); ok && len(pe.Groups) < len(c.names) {
		blind = make(map[string]string, len(pe.Groups))
		for _, n := range pe.Groups {
			blind[n] = pe.Error()
		}
		descErr = nil
	}
	if descErr != nil {
		for i, gr := range c.groups {
			records[i] = gr.record(policy.Decision{Group: gr.cfg.Name, At: now})
			records[i].Error = fmt.Sprintf("%s: %v", c.describeWhat(), descErr)
			c.countError(gr.cfg.Name, "describe")
		}
		// One failure for all groups: the cycle's error says it once
		// (Run logs it) instead of a line per group.
		c.record(records, false)
		err := fmt.Errorf("%s: %w", c.describeWhat(), descErr)
		c.mu.Lock()
		c.lastRun, c.lastErr = now, err
		c.mu.Unlock()
		return records, err
	}

	var writes []pendingWrite
	// Which boosts select which group, found once a cycle outside the
	// lock: each group then looks only at its own boosts.
	selected := c.selections(plan.Boosts, groups)
	c.mu.Lock()
	c.lastSeries, c.lastQueues = series, queues
	c.policies, c.policiesRead = pols, polsOK
	c.planErr = planErr
	if planErr == nil {
		c.lastPlan = plan
	}
	for i, gr := range c.groups {
		if why, ok := blind[gr.key]; ok {
			// Unknown is not gone: no decision, no write, and nothing of
			// the group's state changes until a page answers for it.
			records[i] = gr.record(policy.Decision{Group: gr.cfg.Name, At: now})
			records[i].Error = c.describeWhat() + ": " + why
			c.countError(gr.cfg.Name, "describe")
			continue
		}
		g, ok := groups[gr.key]
		if ok {
			gr.last, gr.described = g, true
		}
		if !ok {
			records[i] = gr.record(policy.Decision{Group: gr.cfg.Name, At: now})
			records[i].Error = notFound(gr.cfg)
			c.countError(gr.cfg.Name, "group_not_found")
			continue
		}
		if g.Unreadable != "" {
			// Never guess a group's units: instances read as units can
			// order a scale-in by half.
			records[i] = gr.record(policy.Decision{Group: gr.cfg.Name, At: now, Current: g.Desired})
			records[i].Error = "cannot count the group's capacity in units, so Headroom does not act on it: " + g.Unreadable
			records[i].setCapacity(g)
			c.countError(gr.cfg.Name, "units_unknown")
			continue
		}
		if g.Conflict != "" {
			// Two controllers on one target fight: Headroom refuses to
			// be the second.
			records[i] = gr.record(policy.Decision{Group: gr.cfg.Name, At: now, Current: g.Desired})
			records[i].Error = conflictError(g.Conflict)
			records[i].setCapacity(g)
			c.countError(gr.cfg.Name, "conflict")
			continue
		}
		in := c.input(gr, g, now, series, queues)
		in.Floors = c.floors(gr, g, now, selected[gr.cfg.Name])
		in.Overrides = plan.Overrides[gr.cfg.Name]
		pred := c.predictive(gr, g, now)
		if pred != nil && pred.Applied {
			in.Predictive = pred.Floor
		}
		d, st := c.decide(gr, g, in, gr.state)
		gr.state = st
		c.sample(gr, d, len(in.Floors) > 0, now)
		if pred != nil && pred.Floor == 0 {
			d.Notes = append(d.Notes, "no predictive floor: "+pred.Reason)
		}
		floor := 0
		for _, f := range in.Floors {
			floor = max(floor, f.Capacity)
		}
		d.Notes = append(d.Notes, groupNotes(g, d)...)
		acting, idle := policyNotes(pols.ByGroup[gr.key], g.Suspended)
		d.Notes = appendNonEmpty(d.Notes, acting, idle)
		d.Notes = append(d.Notes, warmNotes(g, d)...)
		records[i] = gr.record(d)
		records[i].Predictive = pred
		records[i].setCapacity(g)
		records[i].setWarm(c, gr, g)
		if d.Desired == g.Desired {
			continue
		}
		switch {
		case c.opts.DryRun:
			records[i].Skipped = SkipDryRun
		case !c.leading():
			records[i].Skipped = SkipNotLeader
		case planErr != nil:
			records[i].Skipped = SkipPlanUnknown
			records[i].Error = fmt.Sprintf("read plan: %v", planErr)
		case d.Paused:
			records[i].Skipped = SkipPaused
		case g.LaunchOrTerminateSuspended:
			records[i].Skipped = SkipSuspended
		case d.Desired < g.Desired && g.NoScaleIn != "":
			records[i].Skipped = SkipTargetBusy
			records[i].Notes = append(records[i].Notes, "scale-in held: "+g.NoScaleIn)
		default:
			writes = append(writes, pendingWrite{index: i, deferred: gr.deferred, current: g.Desired, desired: d.Desired, floor: floor})
		}
	}
	c.mu.Unlock()

	c.act(ctx, records, c.budget(now, records, writes), calls)
	c.mu.Lock()
	for i, gr := range c.groups {
		if records[i].Skipped == SkipRateBudget {
			gr.deferred++
		} else if records[i].Skipped != "" || records[i].Error == "" {
			// Acted, or nothing to write, or held back for another
			// reason: no longer waiting for the budget. A write that
			// failed keeps its place.
			gr.deferred = 0
		}
	}
	c.mu.Unlock()
	if !c.opts.DryRun && planErr == nil && c.leading() {
		began := time.Now()
		c.mirror(ctx, now, groups, selected)
		calls.time("mirror", began)
		began = time.Now()
		c.prepareWarmPools(ctx, now, groups, selected)
		calls.time("warm_pools", began)
	}
	c.record(records, true)
	began := time.Now()
	c.persist(ctx, records, now)
	calls.time("record_decisions", began)
	began = time.Now()
	c.flushHistory(ctx, now)
	calls.time("record_history", began)
	c.mu.Lock()
	c.lastRun, c.lastErr = now, nil
	c.mu.Unlock()
	return records, nil
}

// Ready reports whether the controller is working: a cycle has run within
// three intervals of now and could describe the groups.
func (c *Controller) Ready(now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.lastRun.IsZero():
		return errors.New("no cycle has completed yet")
	case c.lastErr != nil:
		return fmt.Errorf("last cycle failed: %w", c.lastErr)
	case c.planErr != nil:
		// Decisions are still computed, but none is acted on: a replica
		// that cannot read the store cannot know what is paused or pinned.
		return fmt.Errorf("last cycle could not read boosts and overrides: %w", c.planErr)
	case now.Sub(c.lastRun) > 3*c.cfg.Interval.Std():
		return fmt.Errorf("last cycle ran %s ago", now.Sub(c.lastRun).Round(time.Second))
	}
	return nil
}

// Warnings lists what an operator should know about the groups as last
// described, one line each, sorted: a group whose units cannot be
// counted, a suspended process that changes what Headroom's actions
// mean (ScheduledActions, AlarmNotification), another scaling policy that
// can change the group's desired capacity, and a failed read of those
// policies. They do not make the replica unready; /readyz shows them
// under its status.
func (c *Controller) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, gr := range c.groups {
		if !gr.described {
			continue
		}
		g := gr.last
		if g.Unreadable != "" {
			out = append(out, fmt.Sprintf("group %s: not acted on: cannot count its capacity in units: %s", gr.cfg.Name, g.Unreadable))
		}
		for _, n := range suspendedNotes(g.Suspended) {
			out = append(out, fmt.Sprintf("group %s: %s", gr.cfg.Name, n))
		}
		if g.Conflict != "" {
			out = append(out, fmt.Sprintf("group %s: not acted on: %s", gr.cfg.Name, conflictError(g.Conflict)))
		}
		if acting, _ := policyNotes(c.policies.ByGroup[gr.key], g.Suspended); acting != "" {
			out = append(out, fmt.Sprintf("group %s: %s", gr.cfg.Name, acting))
		}
	}
	if w := policyWarning(c.policies); w != "" && c.policiesRead {
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}

// readDeadline caps the read phase of a cycle: the interval, but never less
// than a call timeout with room for one retry.
func (c *Controller) readDeadline() time.Duration {
	d := c.cfg.Interval.Std()
	if min := 2 * c.cfg.CallTimeout.Std(); d < min {
		d = min
	}
	if d <= 0 {
		d = 30 * time.Second
	}
	return d
}

func (c *Controller) warmup(asgName string) time.Duration { return c.warmups[asgName] }

// input assembles the engine's view of one group from this cycle's reads.
func (c *Controller) input(gr *groupRun, g asg.Group, now time.Time, series map[string]source.Series, queues map[string]source.QueueReading) policy.Input {
	in := policy.Input{
		Now:      now,
		Current:  g.Desired,
		Serving:  g.Serving,
		Pending:  g.Pending - g.Replacing,
		Warming:  g.Warming,
		ASGMin:   g.Min,
		ASGMax:   hardMax(gr.cfg, g),
		Lead:     c.capacityLead(gr, g),
		Policies: make(map[string]policy.PolicyInput, len(gr.spec.Policies)),
	}
	for _, p := range gr.spec.Policies {
		var pi policy.PolicyInput
		switch {
		case p.Backlog != nil:
			pi.Queues = make(map[string]policy.QueueObservation, len(p.Backlog.Queues))
			for _, q := range p.Backlog.Queues {
				r, ok := queues[q.Name]
				switch {
				case !ok:
					pi.Missing = fmt.Sprintf("queue %q: not read", q.Name)
				case r.Err != nil:
					pi.Missing = fmt.Sprintf("queue %q: %v", q.Name, r.Err)
				default:
					pi.Queues[q.Name] = policy.QueueObservation{Visible: r.Visible, InFlight: r.InFlight, Delayed: r.Delayed, At: r.At, ReadAt: r.ReadAt}
				}
			}
		default:
			key := gr.cfg.Name + "/" + p.Name
			s, ok := series[key]
			switch {
			case !ok:
				pi.Missing = "metric not read"
			case s.Err != nil:
				pi.Missing = s.Err.Error()
			case len(s.Points) == 0:
				pi.Missing = "no datapoints in the query window"
			default:
				period := gr.periods[key]
				pi.Metric = make([]policy.Observation, len(s.Points))
				for j, pt := range s.Points {
					// A datapoint describes its whole period, so its time is the
					// period's end: that is how old the newest data in it is.
					pi.Metric[j] = policy.Observation{Value: pt.Value, At: pt.At.Add(period), ReadAt: s.ReadAt}
				}
			}
		}
		in.Policies[p.Name] = pi
	}
	return in
}

// minLaunchSamples is how many launches must be measured before their p90
// replaces the configured boost_lead: the p90 of one or two launches says
// little.
const minLaunchSamples = 5

// lead is how long before a boost's window its floor must be reached for
// group g: the measured launch-to-InService p90 plus the warmup and one
// interval, or the configured boost_lead until enough launches are
// measured.
func (c *Controller) lead(gr *groupRun, g asg.Group) time.Duration {
	if g.LaunchSamples < minLaunchSamples {
		return gr.cfg.BoostLead.Std()
	}
	return c.capacityLead(gr, g) + c.cfg.Interval.Std()
}

// capacityLead is T, how long capacity ordered now takes to serve: the
// measured launch-to-InService p90 plus the warmup, or the configured
// boost_lead until enough launches are measured.
func (c *Controller) capacityLead(gr *groupRun, g asg.Group) time.Duration {
	if g.LaunchSamples < minLaunchSamples {
		return gr.cfg.BoostLead.Std()
	}
	return g.LaunchP90 + gr.cfg.Warmup.Std()
}

// floors turns the boosts that apply to a group into the engine's floors.
// A boost's baseline is the group's desired capacity in the last cycle
// before it began; a controller that first sees a boost already running
// takes the current desired capacity.
func (c *Controller) floors(gr *groupRun, g asg.Group, now time.Time, boosts []schedule.Boost) []policy.Floor {
	var out []policy.Floor
	live := map[string]bool{}
	for _, b := range boosts {
		if !b.Selects(gr.cfg.Name, g.Tags) {
			continue
		}
		live[b.ID] = true
		st, seen := gr.boosts[b.ID]
		baseline := st.baseline
		if !seen {
			baseline = g.Desired
		}
		lead := c.boostLead(gr, g, b, baseline)
		if !st.begun.IsZero() && st.begun.Before(b.Begins(lead)) {
			// Keep the lead the boost began with.
			lead = b.Start.Sub(st.begun) - b.Ramp
		}
		if now.Before(b.Begins(lead)) {
			gr.boosts[b.ID] = boostState{baseline: g.Desired}
			continue
		}
		if st.begun.IsZero() {
			if !seen {
				st.baseline = g.Desired
			}
			st.begun = b.Begins(lead)
			gr.boosts[b.ID] = st
		}
		if f, active := b.FloorAt(now, lead, st.baseline); active {
			name := b.Name
			if name == "" {
				name = b.ID
			}
			out = append(out, policy.Floor{Name: "boost " + name, Capacity: f})
		}
	}
	for id := range gr.boosts {
		if !live[id] {
			delete(gr.boosts, id)
		}
	}
	return out
}

// tagPair is one Auto Scaling tag, as a boost's "key=value" selector
// names it.
type tagPair struct{ key, value string }

// selections returns, by group name, the boosts that select each described
// group (one in groups), in the order of boosts: for every group and boost
// what b.Selects(name, tags) answers, found in one pass over the boosts'
// entries with an index of the groups' tags instead of a test of every
// boost against every group (at 2,000 groups and thousands of boosts that
// test cost seconds a cycle).
func (c *Controller) selections(boosts []schedule.Boost, groups map[string]asg.Group) map[string][]schedule.Boost {
	out := map[string][]schedule.Boost{}
	if len(boosts) == 0 {
		return out
	}
	byTag := map[tagPair][]*groupRun{}
	for _, gr := range c.groups {
		g, ok := groups[gr.key]
		if !ok {
			continue
		}
		for k, v := range g.Tags {
			byTag[tagPair{k, v}] = append(byTag[tagPair{k, v}], gr)
		}
	}
	add := func(gr *groupRun, b schedule.Boost) {
		list := out[gr.cfg.Name]
		// A boost's additions to one group are consecutive: once is enough.
		if n := len(list); n > 0 && list[n-1].ID == b.ID {
			return
		}
		out[gr.cfg.Name] = append(list, b)
	}
	for _, b := range boosts {
		for _, e := range b.Groups {
			if gr := c.byName[e]; gr != nil {
				if _, ok := groups[gr.key]; ok {
					add(gr, b)
				}
			}
			if k, v, ok := strings.Cut(e, "="); ok {
				for _, gr := range byTag[tagPair{k, v}] {
					add(gr, b)
				}
			}
		}
	}
	return out
}

// leading reports whether this replica may write now.
func (c *Controller) leading() bool { return c.deps.Leader == nil || c.deps.Leader() }

// acting returns the context of one write or one group's mirror writes
// (Deps.Acting); ok is false when this replica may not write now.
func (c *Controller) acting(ctx context.Context) (_ context.Context, _ context.CancelFunc, ok bool) {
	if c.deps.Acting == nil {
		ctx, cancel := context.WithCancel(ctx)
		return ctx, cancel, c.leading()
	}
	wctx, cancel := c.deps.Acting(ctx)
	return wctx, cancel, wctx.Err() == nil && c.leading()
}

// budget orders the cycle's writes (orderWrites) and takes a token of the
// write budget for each in turn; it returns the writes to send, in that
// order, and marks the others deferred.
func (c *Controller) budget(now time.Time, records []Record, writes []pendingWrite) []int {
	orderWrites(writes)
	send := make([]int, 0, len(writes))
	for _, w := range writes {
		if b := c.budgetOf(records[w.index].Key); b == nil || b.Take(now) {
			send = append(send, w.index)
			continue
		}
		r := &records[w.index]
		r.Skipped = SkipRateBudget
		r.Notes = append(r.Notes, deferNote(w.deferred+1))
	}
	return send
}

// act sends the writes of this cycle with bounded concurrency.
func (c *Controller) act(ctx context.Context, records []Record, writes []int, calls *slowest) {
	sem := make(chan struct{}, writeConcurrency)
	var wg sync.WaitGroup
	for _, i := range writes {
		wg.Add(1)
		sem <- struct{}{}
		go func(r *Record) {
			defer func() { <-sem; wg.Done() }()
			// Leadership is checked before every write, not once a cycle:
			// a lease lost mid-cycle stops the writes not yet sent.
			if !c.leading() {
				r.Skipped = SkipNotLeader
				return
			}
			refreshing, err := c.deps.Scaler.RefreshInProgress(ctx, r.Key)
			switch {
			case err != nil:
				// Unknown is not "no": an instance refresh replaces instances on
				// its own schedule, and scaling under it can fight it.
				r.Skipped = SkipRefreshUnknown
				r.Error = err.Error()
				return
			case refreshing:
				r.Skipped = SkipInstanceRefresh
				return
			}
			wctx, cancel, ok := c.acting(ctx)
			defer cancel()
			if !ok {
				r.Skipped = SkipNotLeader
				return
			}
			began := time.Now()
			err = c.deps.Scaler.SetDesired(wctx, r.Key, r.Desired)
			calls.time("set_desired "+r.Target, began)
			if err != nil {
				r.Error = err.Error()
				c.countAction(r, "error")
				return
			}
			r.Acted = true
			c.countAction(r, "ok")
		}(&records[i])
	}
	wg.Wait()
}

func (c *Controller) countAction(r *Record, result string) {
	if c.deps.Telemetry == nil {
		return
	}
	dir := "out"
	if r.Desired < r.Current {
		dir = "in"
	}
	c.deps.Telemetry.ScalingActions.WithLabelValues(r.Group, dir, result).Inc()
}

func (c *Controller) countError(group, reason string) {
	if c.deps.Telemetry != nil {
		c.deps.Telemetry.GroupErrors.WithLabelValues(group, reason).Inc()
	}
}

// record keeps the records in each group's bounded history, updates the
// metrics and, with logEach, logs each decision (see log).
func (c *Controller) record(records []Record, logEach bool) {
	// changed: the group's reason differs from the cycle before's, or
	// there was none.
	changed := make([]bool, len(records))
	c.mu.Lock()
	for i, r := range records {
		gr := c.byName[r.Group]
		if gr == nil {
			continue
		}
		n := len(gr.history)
		changed[i] = n == 0 || gr.history[n-1].Reason != r.Reason
		gr.history = append(gr.history, r)
		if n := len(gr.history) - c.historyLimit(); n > 0 {
			gr.history = append(gr.history[:0], gr.history[n:]...)
		}
	}
	c.publishLocked()
	c.mu.Unlock()
	for i, r := range records {
		c.observe(r)
		if logEach {
			c.log(r, changed[i])
		}
	}
}

func (c *Controller) historyLimit() int {
	if c.cfg.History > 0 {
		return c.cfg.History
	}
	return 500
}

// log writes r's decision line: at info when the decision acts, is
// skipped for a reason, or its reason changed since the cycle before;
// otherwise at debug, so that a fleet holding steady logs one summary line
// a cycle rather than one line a group. Errors are warnings. The decision
// history keeps every decision either way.
func (c *Controller) log(r Record, changed bool) {
	attrs := []any{"group", r.Group, "asg", r.ASG}
	if r.Kind != "" && r.Kind != target.KindASG {
		attrs = []any{"group", r.Group, "kind", string(r.Kind), "target", r.Target}
	}
	if r.Error != "" && len(r.Proposals) == 0 {
		c.deps.Log.Warn("group not decided", append(attrs, "err", r.Error)...)
		return
	}
	attrs = append(attrs, "current", r.Current, "decided", r.Desired, "acted", r.Acted)
	if r.Skipped != "" {
		attrs = append(attrs, "skipped", r.Skipped)
	}
	if r.ScaleInBlocked != "" {
		attrs = append(attrs, "scale_in_blocked", r.ScaleInBlocked)
	}
	attrs = append(attrs, "reason", r.Reason)
	if r.Error != "" {
		c.deps.Log.Warn("decision", append(attrs, "err", r.Error)...)
		return
	}
	level := slog.LevelDebug
	if r.Acted || r.Skipped != "" || changed {
		level = slog.LevelInfo
	}
	c.deps.Log.Log(context.Background(), level, "decision", attrs...)
	if c.deps.Log.Enabled(context.Background(), slog.LevelDebug) {
		for _, in := range r.Inputs {
			c.deps.Log.Debug("input", "group", r.Group, "policy", in.Policy, "input", in.Name,
				"value", in.Value, "age_seconds", in.Age.Seconds(), "stale", in.Stale)
		}
	}
}

// slowest keeps the slowest of one cycle's calls to its collaborators
// (describe, reads, each write, the mirror, the decision history), for the
// cycle's summary line. Safe for concurrent use.
type slowest struct {
	mu   sync.Mutex
	name string
	took time.Duration
}

// time records the call name that began at began.
func (s *slowest) time(name string, began time.Time) {
	took := time.Since(began)
	s.mu.Lock()
	defer s.mu.Unlock()
	if took >= s.took {
		s.name, s.took = name, took
	}
}

// summarize writes the cycle's one info line: how many groups, how many
// acted, were skipped or failed, how long it took and its slowest call.
func (c *Controller) summarize(records []Record, took time.Duration, calls *slowest, err error) {
	acted, skipped, failed := 0, 0, 0
	for _, r := range records {
		switch {
		case r.Acted:
			acted++
		case r.Skipped != "":
			skipped++
		}
		if r.Error != "" {
			failed++
		}
	}
	calls.mu.Lock()
	name, slow := calls.name, calls.took
	calls.mu.Unlock()
	attrs := []any{"groups", len(records), "acted", acted, "skipped", skipped, "errors", failed,
		"duration_seconds", took.Seconds(), "slowest_call", name, "slowest_call_seconds", slow.Seconds()}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	c.deps.Log.Info("cycle", attrs...)
}

func (c *Controller) observe(r Record) {
	m := c.deps.Telemetry
	if m == nil {
		return
	}
	if r.Skipped != "" {
		m.DecisionsSkipped.WithLabelValues(r.Group, r.Skipped).Inc()
	}
	if len(r.Proposals) == 0 && r.Error != "" {
		return
	}
	for state, v := range map[string]int{"desired": r.Current, "decided": r.Desired, "serving": r.Serving,
		"pending": r.Pending, "warming": r.Warming, "min": r.Min, "max": r.Max, "asg_min": r.ASGMin, "asg_max": r.ASGMax} {
		m.GroupCapacity.WithLabelValues(r.Group, state).Set(float64(v))
	}
	for _, p := range r.Proposals {
		v := float64(p.Capacity)
		if !p.OK {
			v = nan
		}
		m.PolicyProposal.WithLabelValues(r.Group, p.Policy).Set(v)
	}
	for _, in := range r.Inputs {
		m.ObservationAge.WithLabelValues(r.Group, in.Policy, in.Name).Set(in.Age.Seconds())
	}
}

// History returns up to limit of a group's most recent records, newest
// last; limit <= 0 means all that are kept.
func (c *Controller) History(group string, limit int) []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	gr := c.byName[group]
	if gr == nil {
		return nil
	}
	h := gr.history
	if limit > 0 && len(h) > limit {
		h = h[len(h)-limit:]
	}
	return append([]Record(nil), h...)
}

// Groups lists the configured group names in config order.
func (c *Controller) Groups() []string {
	out := make([]string, len(c.groups))
	for i, gr := range c.groups {
		out[i] = gr.cfg.Name
	}
	return out
}

// record starts the group's record of decision d, with its target.
func (gr *groupRun) record(d policy.Decision) Record {
	return Record{Decision: d, ASG: gr.cfg.ASG, Kind: gr.cfg.Kind(), Target: gr.cfg.TargetString(), Key: gr.key}
}

// describeWhat names the cycle's describe in errors: Auto Scaling groups,
// as it always has, unless some group's target is of another kind.
func (c *Controller) describeWhat() string {
	if c.mixed {
		return "describe targets"
	}
	return "describe auto scaling groups"
}

// notFound is the error of a group whose target does not exist.
func notFound(g config.Group) string {
	switch g.Kind() {
	case target.KindECSService:
		return fmt.Sprintf("ECS service %q not found", g.TargetString())
	case target.KindKubernetes:
		return fmt.Sprintf("Kubernetes workload %q not found", g.TargetString())
	}
	return fmt.Sprintf("auto scaling group %q not found", g.ASG)
}

// conflictError is the error of a group whose target another controller
// scales.
func conflictError(why string) string {
	return "another controller scales this target, so Headroom does not act on it (remove one of the two): " + why
}

// budgetOf is the write budget of the target key names.
func (c *Controller) budgetOf(key string) WriteBudget {
	if c.deps.BudgetFor != nil {
		return c.deps.BudgetFor(key)
	}
	return c.deps.Budget
}

// hardMax is the ceiling no decision, bounds override or pin may pass:
// the target's own maximum (an Auto Scaling group's MaxSize, a scalable
// target's MaxCapacity), or, for a target without one of its own
// (target.NoMax: a Kubernetes workload, an ECS service without a
// scalable target), the group's configured max.
func hardMax(cfg config.Group, g target.Group) int {
	if g.Max == target.NoMax && cfg.Max > 0 {
		return cfg.Max
	}
	return g.Max
}
