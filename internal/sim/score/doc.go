// Package score computes the simulator's scorecard: the figures by which
// Headroom and the baselines are compared after running the same scenario.
//
// docs/performance.md#the-figures defines the figures:
//
//	Demand d(t) = instances needed to serve arrivals within the SLO;
//	supply s(t) = serving instances; run length T.
//	- instance_hours (cost), and the ratio to the oracle's.
//	- under_provisioning_accuracy = mean of max(d-s,0);
//	  over_provisioning_accuracy = mean of max(s-d,0).
//	- under_provisioning_timeshare / over_provisioning_timeshare =
//	  fraction of time with s<d / s>d.
//	- jitter = (supply changes - demand changes) per hour.
//	- slo_violation_minutes = minutes where the oldest message is older
//	  than the SLO; max_backlog_age_seconds.
//	- scaling_actions; reaction_seconds = from the first demand step to
//	  the first scale-out call.
//	- serving_reaction_seconds = from the first demand step to the first
//	  moment serving capacity covers demand.
//	- warm_instance_hours = warm pool instance time, apart from
//	  instance_hours.
//	- Every figure is reported per seed and as the mean.
//
// The world records one Sample per step (normally 1 s), so the run length T
// is len(Samples) * Step and every sample stands for one step of time. In
// terms of samples:
//
//   - instance_hours = sum(Billed * Step) / 1 h. Billed counts what EC2
//     charges for (see Sample.Billed).
//   - warm_instance_hours = sum(Warm * Step) / 1 h: the warm pool's
//     instances in any state, reported apart because a stopped warm
//     instance costs its volumes only (see Sample.Warm).
//   - oracle_cost_ratio = instance_hours / the oracle's instance_hours, set
//     by SetOracle once every policy has run; null until then.
//   - under_provisioning_accuracy = mean over samples of max(Demand-Supply, 0)
//     and over_provisioning_accuracy = mean of max(Supply-Demand, 0), in
//     instances: how far off, on average, in each direction.
//   - under_provisioning_timeshare and over_provisioning_timeshare = the
//     fraction of samples with Supply < Demand and Supply > Demand.
//   - jitter = (changes of Supply - changes of Demand) per hour of T, where a
//     change is a sample whose value differs from the previous sample's.
//     Subtracting the demand's own changes leaves the churn the policy adds;
//     it can be negative for a policy that follows demand coarsely.
//   - slo_violation_minutes = (samples with BacklogAge > SLO) * Step / 1 min,
//     and max_backlog_age_seconds = the largest BacklogAge.
//   - scaling_actions = the number of calls that changed desired capacity.
//   - reaction_seconds = from the first demand step (FirstStep over the
//     samples' Demand) to the scale-out that answered it. When desired
//     capacity at the step has already reached the level that defines the
//     step (double the first sample's demand, and at least two instances
//     more), the policy scaled out for it ahead of time: the reaction is
//     the step at which desired capacity last rose to that level, looking
//     back at most Input.Lookahead, minus the step's offset: negative
//     seconds. Otherwise it is the At of the first Action with To > From
//     at or after the step, minus the step's offset. Null when demand
//     never steps or nothing scales out for it.
//   - serving_reaction_seconds = the offset of the first sample at or after
//     the first demand step whose Supply covers its Demand, minus the
//     step's offset: 0 when serving capacity was there when the step came,
//     null when it never catches up.
//   - Mean averages the results of several seeds, policy by policy.
//
// Demand is the policy-independent need: the arrival rate smoothed by a
// trailing mean, plus each burst spread evenly over the SLO window that
// follows it (a batch must be worked off within the SLO), divided by what one
// instance completes per second and rounded up.
package score
