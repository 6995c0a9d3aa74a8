// Package policy is Headroom's decision engine. It is pure: a group's spec,
// this cycle's inputs and the state carried from the last cycle go in; a
// decision with every reason, and the next state, come out. It does no I/O,
// reads no clock and writes no logs, so every rule can be table-tested.
//
// The semantics are those of docs/architecture.md (the engine's reference
// semantics), in this order:
// proposals -> combine -> stabilize -> floors -> bounds -> overrides -> rate
// limits -> decision. docs/policies.md explains the maths with worked
// examples. The choices the reference semantics leave open are made here:
//
// # Input
//
//   - current is Input.Current and serving Input.Serving, both taken as at
//     least 0 and at most MaxCapacity.
//   - An observation is stale when Input.Now - At > Group.MaxAge; MaxAge zero
//     means never stale. A step policy is judged by its newest datapoint; the
//     older ones are the alarm's evaluation history.
//   - A policy proposes nothing (Proposal.OK false, with the reason) when its
//     input is absent from Input.Policies, has Missing set, has no datapoints
//     (metric kinds), lacks a reading of one of its queues (backlog), is stale,
//     holds a NaN, infinite or negative number, or when its own config cannot
//     be evaluated (a zero target, a bad comparison, no steps...).
//   - Any policy that proposes nothing blocks scale-in for this cycle
//     (Decision.ScaleInBlocked): we cannot know it would agree. Scale-out stays
//     possible.
//
// # Policies
//
//   - target_tracking reads the newest datapoint. Inside the tolerance band
//     (|value/target - 1| <= tolerance) it proposes current. With no serving
//     instance the metric says nothing about capacity, so it proposes nothing.
//   - backlog per queue counts B = visible (+ delayed when CountDelayed).
//     per_instance adds F = in flight when CountInFlight. Rate mode reads F
//     as throughput and keeps each queue's arrival estimate in
//     State.Arrivals (the last reading, three raw rates, lambda, the recent
//     peak, when the latest surge began); the first reading's rate is the
//     throughput F/s. A queue whose reading is missing or stale makes the
//     whole policy propose nothing and keeps its estimate as it was.
//   - hysteresis holds a rate-mode proposal within its bands of current
//     (RuleHysteresisIn, RuleHysteresisOut); the stabilization history
//     records the proposal before the band.
//   - step evaluates the newest EvaluationPeriods datapoints (fewer when fewer
//     are given); DatapointsToAlarm zero means EvaluationPeriods, as in
//     CloudWatch. Exactly at the threshold, the bounds rule of the alarm's side
//     applies (Greater* comparisons: above; Less*: below). Adjustments apply to
//     serving; the result is kept only when it moves past current in the
//     adjustment's direction (AWS's rule for a scaling activity in progress).
//     Non-integer ChangeInCapacity and ExactCapacity adjustments are truncated
//     toward zero; AWS accepts only integers there.
//
// # Combination and limits
//
//   - The highest OK proposal wins; with none, the group holds at current.
//   - Stabilization keeps every recommendation of the last ScaleInWindow in
//     State.History and never scales in below the highest of them. Until one
//     full window has passed since State.Since (a restart starts a new one),
//     there is no scale-in at all.
//   - Fallback applies when no policy proposed anything for FallbackAfter
//     consecutive cycles (at least 1): max(current, FallbackCapacity).
//   - Effective bounds are [max(Min, ASGMin), min(Max, ASGMax)]; a bounds
//     override replaces Min and/or Max (later overrides win) but never leaves
//     [ASGMin, ASGMax]; if min > max the group's own bounds are used and the
//     decision notes it. The highest floor is capped at the effective max and
//     raises the effective min.
//   - A pin sets exactly its capacity within [ASGMin, ASGMax] and skips rate
//     limits; a pause only marks the decision (Decision.Paused). Several pins:
//     the last one wins.
//   - Rate limits are relative to current and never push the number outside
//     the effective bounds: bounds win when current is outside them. Bounds
//     also win over stabilization and blocked scale-in: a configured max below
//     current scales in.
//
// Every rule that changes the number appends a Change; the Rule* constants
// name them.
package policy
