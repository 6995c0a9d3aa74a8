package policy

import "time"

// Kind names a policy type as it appears in config and decisions.
type Kind string

// Policy kinds.
const (
	KindTargetTracking Kind = "target_tracking"
	KindBacklog        Kind = "backlog"
	KindStep           Kind = "step"
)

// Group is everything the engine needs to know about one managed group
// that does not change from cycle to cycle.
type Group struct {
	Name string
	// Min and Max are the configured bounds; they are intersected with the
	// Auto Scaling group's own MinSize/MaxSize given in Input. Max zero (or
	// less) means no configured maximum: the group's MaxSize applies.
	Min, Max int
	// ScaleInWindow is the stabilization window: scale-in goes only to the
	// highest recommendation seen within it. Zero or negative means
	// DefaultScaleInWindow.
	ScaleInWindow time.Duration
	// MaxAge is how old an observation may be before it is stale: an
	// observation is stale when Input.Now - At > MaxAge. Zero (or negative)
	// means observations never go stale.
	MaxAge time.Duration
	// MaxScaleOutStep and MaxScaleInStep bound the change per cycle; the zero
	// value means no limit.
	MaxScaleOutStep, MaxScaleInStep RateLimit
	// FallbackCapacity, when > 0, is applied after FallbackAfter consecutive
	// cycles in which no policy proposed a capacity; never below current.
	// FallbackAfter below 1 counts as 1.
	FallbackCapacity int
	FallbackAfter    int
	// HysteresisIn and HysteresisOut are the bands, as fractions of
	// current, inside which a rate-mode backlog proposal holds at current
	// (RuleHysteresisIn, RuleHysteresisOut); zero means DefaultHysteresis.
	HysteresisIn, HysteresisOut float64
	Policies                    []Policy
}

// DefaultHysteresis is each hysteresis band when none is configured: a
// proposal within 10% of current is noise of the arrival estimate, not
// a change of work worth an action (and a scale-out inside it is taken
// only when no queue is over its budget, so it never delays a surge).
const DefaultHysteresis = 0.10

// DefaultScaleInWindow is the stabilization window when none is configured.
const DefaultScaleInWindow = 300 * time.Second

// DefaultTolerance is the target-tracking dead band when none is configured.
const DefaultTolerance = 0.10

// RateLimit bounds the change of capacity in one cycle. The zero value means
// no limit. With Percent, Value is a percentage of current capacity (at
// least one instance).
type RateLimit struct {
	Value   float64
	Percent bool
}

// Policy is one named rule of a group. Exactly one of the kind fields is set.
type Policy struct {
	Name           string
	TargetTracking *TargetTracking
	Backlog        *Backlog
	Step           *Step
}

// Kind reports which kind of policy p is.
func (p Policy) Kind() Kind {
	switch {
	case p.TargetTracking != nil:
		return KindTargetTracking
	case p.Backlog != nil:
		return KindBacklog
	case p.Step != nil:
		return KindStep
	}
	return ""
}

// TargetTracking keeps a utilization-style metric at Target:
// proposal = ceil(serving * value / target), or current inside the band.
type TargetTracking struct {
	Target float64
	// Tolerance is the dead band as a fraction of Target (0.1 = 10%); zero
	// means DefaultTolerance.
	Tolerance float64
}

// BacklogMode selects how a backlog policy turns queue depth into capacity.
type BacklogMode string

// Backlog modes.
const (
	ModeRate        BacklogMode = "rate"
	ModePerInstance BacklogMode = "per_instance"
)

// Backlog sizes the group to its queues' work; docs/policies.md#backlog
// has the maths.
type Backlog struct {
	Mode   BacklogMode // zero means ModeRate
	Queues []Queue
}

// Queue is one queue of a backlog policy; Name is the key of its reading in
// PolicyInput.Queues.
type Queue struct {
	Name string
	// SecondsPerMessage is s: the time one instance slot spends on a message.
	SecondsPerMessage float64
	// TargetPerInstance is the per_instance mode's acceptable backlog per
	// instance; when zero it is AcceptableLatency / SecondsPerMessage.
	TargetPerInstance float64
	// Concurrency is c: messages one unit works on at once (default 1).
	Concurrency float64
	// AcceptableLatency is L: how long a message may wait.
	AcceptableLatency time.Duration
	// TargetUtilization is u (default DefaultTargetUtilization).
	TargetUtilization float64
	// Budget (theta), Drain (eta), RefillSlack (kappa), Jump (J),
	// Smoothing (tau) and JumpMemory are rate mode's constants; zero means
	// the Default* of each (docs/policies.md#rate-mode-default), and for
	// Smoothing the
	// acceptable latency.
	Budget, Drain, RefillSlack, Jump float64
	Smoothing, JumpMemory            time.Duration
	// CountInFlight counts in-flight messages (F) in per_instance mode;
	// rate mode always reads them, as the queue's throughput.
	// CountDelayed adds delayed messages to the visible backlog (B).
	CountInFlight bool
	CountDelayed  bool
}

// Comparison is a step policy alarm's comparison operator, spelled as AWS
// spells it.
type Comparison string

// Comparisons.
const (
	GreaterThanOrEqual Comparison = "GreaterThanOrEqualToThreshold"
	GreaterThan        Comparison = "GreaterThanThreshold"
	LessThan           Comparison = "LessThanThreshold"
	LessThanOrEqual    Comparison = "LessThanOrEqualToThreshold"
)

// AdjustmentType is how a step adjustment changes capacity, as AWS spells it.
type AdjustmentType string

// Adjustment types.
const (
	ChangeInCapacity        AdjustmentType = "ChangeInCapacity"
	ExactCapacity           AdjustmentType = "ExactCapacity"
	PercentChangeInCapacity AdjustmentType = "PercentChangeInCapacity"
)

// Step is an alarm on a metric with step adjustments, as EC2 Auto Scaling
// step scaling defines it.
type Step struct {
	Threshold              float64
	Comparison             Comparison
	EvaluationPeriods      int
	DatapointsToAlarm      int
	AdjustmentType         AdjustmentType
	MinAdjustmentMagnitude int
	Adjustments            []StepAdjustment
}

// StepAdjustment applies when (metric - threshold) falls inside its bounds.
// Nil bounds are infinite. Above the threshold the lower bound is inclusive
// and the upper exclusive; below it, the reverse.
type StepAdjustment struct {
	LowerBound, UpperBound *float64
	Adjustment             float64
}

// Observation is one metric datapoint: the time it describes (At) and the
// time Headroom read it (ReadAt).
type Observation struct {
	Value  float64
	At     time.Time
	ReadAt time.Time
}

// QueueObservation is one GetQueueAttributes reading.
type QueueObservation struct {
	Visible, InFlight, Delayed float64
	At, ReadAt                 time.Time
}

// PolicyInput is one policy's input for this cycle. Missing, when not
// empty, says why the input could not be read (the policy then proposes
// nothing).
type PolicyInput struct {
	// Metric holds datapoints newest first: target_tracking uses the first,
	// step uses up to EvaluationPeriods.
	Metric []Observation
	// Queues holds readings by Queue.Name for backlog policies.
	Queues  map[string]QueueObservation
	Missing string
}

// Floor is a capacity floor, normally from an active boost.
type Floor struct {
	Name     string
	Capacity int
}

// OverrideKind is the kind of an operator's override.
type OverrideKind string

// Override kinds.
const (
	OverridePin    OverrideKind = "pin"
	OverridePause  OverrideKind = "pause"
	OverrideBounds OverrideKind = "bounds"
)

// Override is an active operator instruction on the group.
type Override struct {
	ID       string
	Kind     OverrideKind
	Capacity int  // pin
	Min, Max *int // bounds
	Reason   string
}

// Input is what the engine sees of a group in one cycle.
type Input struct {
	Now time.Time
	// Current is the group's DesiredCapacity; Serving its InService
	// instances past warmup; Pending and Warming are for the record.
	Current, Serving, Pending, Warming int
	// Lead is T: how long capacity ordered now takes to serve (the group's
	// measured launch p90 plus warmup, or the configured lead until
	// measured). Rate mode projects each queue's backlog to then.
	Lead time.Duration
	// ASGMin and ASGMax are the Auto Scaling group's own MinSize/MaxSize:
	// the hard bounds no decision may leave.
	ASGMin, ASGMax int
	// Policies holds each policy's input by policy name.
	Policies map[string]PolicyInput
	Floors   []Floor
	// Predictive is the predictive floor in units, from a forecast of the
	// group's need one lead ahead; zero or less means none. It ranks below
	// boosts and overrides: the highest of it and Floors raises the
	// number, bounds (overrides included) cap it, and a pin replaces it.
	// The decision shows it as its own rule, RulePredictive.
	Predictive int
	Overrides  []Override
}

// State is what the engine carries from one cycle of a group to the next.
// The zero value is a fresh start (after a restart). Decide never modifies
// the State it is given: it returns a new one.
type State struct {
	// Since is the first cycle this state has seen; no scale-in until one
	// full window has passed since.
	Since time.Time
	// History holds this window's recommendations for stabilization,
	// oldest first. A cycle in which scale-in was blocked because a policy
	// proposed nothing records at least current.
	History []Recommendation
	// Arrivals holds each rate-mode queue's arrival estimate.
	Arrivals []Arrival
	// Failed counts consecutive cycles in which no policy proposed a
	// capacity (Proposal.OK false for all of them).
	Failed int
}

// Recommendation is one cycle's combined proposal (raised to current when a
// policy proposed nothing that cycle).
type Recommendation struct {
	At       time.Time
	Capacity int
}

// Arrival is one rate-mode queue's arrival estimate, carried from cycle to
// cycle: the last fresh reading (Backlog = B, InFlight = F, At), the last
// Raws (1 to 3) raw rates, newest last, the smoothed rate Lambda in
// messages per second, Peak, the highest recent rate, decaying with the
// queue's jump memory, and Trend.
type Arrival struct {
	Policy, Queue     string
	Backlog, InFlight float64
	At                time.Time
	Raw               [3]float64
	Raws              int
	Lambda, Peak      float64
	// Trend is +1 after a reading taken at once as a jump, -1 after a
	// fall, 0 after a smoothed one. Surge is when the latest jump began
	// and Base the rate before it.
	Trend int8
	Surge time.Time
	Base  float64
}

// Proposal is one policy's wanted capacity and why. OK is false when the
// policy proposed nothing: missing or stale input, a value that is not a
// usable number, or config it cannot evaluate; Reason says which.
type Proposal struct {
	Policy   string
	Kind     Kind
	Capacity int
	OK       bool
	Reason   string
}

// Change records a rule that changed the number: from what to what, and why.
// Rule is one of the Rule* constants. Changes chain: the first starts at the
// combined proposal, each starts where the previous ended, and the last ends
// at Decision.Desired.
type Change struct {
	Rule   string
	From   int
	To     int
	Reason string
}

// InputAge is one input of the decision, with its value and age. For a
// metric, Name is "metric" and Value the newest datapoint; for a queue, Name
// is the queue's name and Value the messages counted (B, plus F when
// in-flight messages are counted). Age is Input.Now minus the time the
// observation describes.
type InputAge struct {
	Policy string
	Name   string
	Value  float64
	Age    time.Duration
	Stale  bool
}

// Decision is the final capacity for a group in one cycle with every
// proposal, every rule that changed it and the inputs it used.
type Decision struct {
	Group     string
	At        time.Time
	Current   int
	Desired   int
	Proposals []Proposal
	Changes   []Change
	Inputs    []InputAge
	// ScaleInBlocked says why scale-in was not allowed this cycle, if so: a
	// policy proposed nothing, or the first window since a restart is not
	// over. Scale-out stays allowed.
	ScaleInBlocked string
	// Paused is true when a pause override holds: the decision is computed
	// and shown but must not be acted on.
	Paused bool
	// Min and Max are the effective bounds of this cycle: configured bounds
	// intersected with the group's, changed by bounds overrides and raised
	// by the highest floor.
	Min, Max int
	// Queues shows how each rate-mode queue was sized, in policy order.
	Queues []QueueDetail
	// Notes records what is worth knowing but did not change the number: a
	// floor capped at max, empty bounds, an unknown override.
	Notes []string
	// Reason is a one-line summary for logs and listings.
	Reason string
}

// QueueDetail is how rate mode sized one queue
// (docs/policies.md#rate-mode-default): the
// arrival estimate, the backlog now and projected to when capacity ordered
// now would serve, the budget and the excess over it, and the terms of the
// need, in units.
type QueueDetail struct {
	Policy, Queue string
	// Lambda is the arrival estimate, messages per second.
	Lambda float64
	// Backlog is B now; Projected is Bp, B when capacity ordered now would
	// serve, Lead from now.
	Backlog, Projected float64
	// Budget is the standing backlog allowed, theta * lambda * L; Excess is
	// E = Bp - Budget (negative: below the budget).
	Budget, Excess float64
	// OnItsWay is the capacity credited as on its way: this queue's share of
	// current minus serving.
	OnItsWay float64
	// Lead is how far ahead the backlog is projected: T, or the age of a
	// surge younger than T.
	Lead time.Duration
	// Rate is lambda / (mu * u); Drain is E / (mu * eta * L), negative while
	// refilling; Floor is (1 - kappa) * lf / mu, where lf is lambda, or less
	// for a surge younger than Lead's T; Need is what the queue asks for.
	Rate, Drain, Floor, Need float64
	// Term is which term won: TermRate, TermDrain, TermRefill or TermFloor.
	Term string
	// SurgeOver is true when the backlog is above its budget now but is
	// projected within it by the time new capacity could serve.
	SurgeOver bool
}
