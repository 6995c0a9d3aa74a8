package policy

// Rule names, as they appear in Change.Rule. They are stable: dashboards,
// alerts and the explain command match on them.
const (
	// RuleStabilization: scale-in limited to the highest recommendation of
	// the scale-in window.
	RuleStabilization = "stabilization"
	// RuleStartup: no scale-in until one full window has been observed since
	// the state started (after a restart).
	RuleStartup = "startup"
	// RuleNoScaleIn: no scale-in because a policy proposed nothing.
	RuleNoScaleIn = "no_scale_in"
	// RuleHysteresisIn: a rate-mode backlog proposal within the scale-in
	// band below current holds at current.
	RuleHysteresisIn = "hysteresis.in"
	// RuleHysteresisOut: a rate-mode backlog proposal within the scale-out
	// band above current holds at current, while no queue is over its
	// budget.
	RuleHysteresisOut = "hysteresis.out"
	// RuleFallback: the fallback capacity after consecutive failed cycles.
	RuleFallback = "fallback"
	// RuleFloor: raised to the highest floor (normally a boost).
	RuleFloor = "floor"
	// RulePredictive: raised to the predictive floor (Input.Predictive).
	RulePredictive = "predictive"
	// RuleBoundsMin and RuleBoundsMax: limited to the effective bounds.
	RuleBoundsMin = "bounds.min"
	RuleBoundsMax = "bounds.max"
	// RulePin: set by a pin override. It is recorded whenever a pin holds,
	// even when the number already was the pinned value, because the pin is
	// then what decided it.
	RulePin = "pin"
	// RuleRateScaleOut and RuleRateScaleIn: limited by the per-cycle step.
	RuleRateScaleOut = "rate.scale_out"
	RuleRateScaleIn  = "rate.scale_in"
)
