package target

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Group is one target as the controller sees it, in its units. For an
// Auto Scaling group units are the group's capacity units; for an ECS
// service, tasks; for a Kubernetes workload, replicas. The fields that
// only an Auto Scaling group has (weights, warm pools, replacements,
// suspended processes) stay zero for the other kinds.
type Group struct {
	// Kind is what the target is; "" is read as KindASG.
	Kind Kind
	// Name is the target's own name (an Auto Scaling group's name, an
	// ECS service's name, a workload's name); ARN its ARN where it has
	// one.
	Name string
	ARN  string
	// Conflict names another controller that changes the target's
	// capacity (an Application Auto Scaling policy on an ECS service, a
	// HorizontalPodAutoscaler or KEDA ScaledObject on a workload): two
	// controllers fight, so Headroom refuses to act on the target while
	// it is there. "" when there is none. An Auto Scaling group's own
	// policies are not a conflict: they are shown as notes (Policies).
	Conflict string
	// NoScaleIn says why the target may not be scaled in now (an ECS
	// deployment in progress), "" when it may. Scale-out stays allowed.
	NoScaleIn string
	// Min, Max and Desired are the group's MinSize, MaxSize and
	// DesiredCapacity, in the group's units.
	Min, Max, Desired int
	// InService, Pending, Warming, Serving, Terminating and Standby are
	// in the group's units, as Desired is: the sum of the instances'
	// weights (see Counts, whose fields they are). Instances holds the
	// same counts in instances.
	InService, Pending, Warming, Serving, Terminating, Standby, Protected int
	Instances                                                             Counts
	// Weighted is true when the group's capacity is not a count of
	// instances: a mixed instances policy whose launch template overrides
	// carry WeightedCapacity, or a DesiredCapacityType of vcpu or
	// memory-mib. CapacityType is DesiredCapacityType ("units" when AWS
	// leaves it out).
	Weighted     bool
	CapacityType string
	// MaxWeight is the largest weight among the overrides and the
	// instances (1 for an unweighted group): AWS fills a desired capacity
	// with whole instances, so it may overshoot desired by up to
	// MaxWeight-1 units, and that is not drift.
	MaxWeight int
	// Unreadable says why the group's units cannot be counted (an
	// instance of a weighted group without a readable WeightedCapacity);
	// "" when they can. Nothing may act on a group whose units are not
	// known: a count of instances read as units can order a scale-in by
	// half.
	Unreadable string
	// Suspended lists the group's suspended process names.
	Suspended []string
	// LaunchOrTerminateSuspended is true when Launch or Terminate is
	// suspended, so that a new desired capacity would not take effect.
	LaunchOrTerminateSuspended bool
	Tags                       map[string]string
	// LaunchP90 is the 90th percentile of the launch-to-InService times
	// the actuator has measured for this group (at most the last
	// launchSamples), 0 while LaunchSamples is 0.
	LaunchP90     time.Duration
	LaunchSamples int
	// Replacing is the part of Pending, in units, that replaces instances
	// AWS is retiring (launch before terminate: capacity rebalancing and
	// the like), not capacity added: see replacing in replace.go.
	// Instances.Replacing counts the same in instances.
	Replacing int
	// Replacements are the group's settings under which AWS replaces
	// instances on its own.
	Replacements Replacements
	// WarmPool is the group's warm pool, nil when it has none. Its
	// instances are in none of the counts above. LaunchP90 and
	// LaunchSamples measure cold launches only; the pool's warm starts are
	// measured apart (WarmPool.WarmLaunchP90).
	WarmPool *WarmPool
}

// Counts are a group's capacity by lifecycle state, in units or in
// instances. InService counts InService instances; Warming those of them
// still inside the warmup; Serving = InService - Warming. Pending counts
// the states of an instance on its way in: Pending, Pending:Wait and
// Pending:Proceed (a launch lifecycle hook's wait is part of the launch),
// and the root volume replacement states (the instance comes back).
// Terminating counts the states of an instance on its way out:
// Terminating, Terminating:Wait, Terminating:Proceed, Detaching and
// Quarantined. Protected counts the InService instances protected from
// scale-in. Standby counts Standby and EnteringStandby: such an
// instance neither serves nor counts toward desired capacity (AWS
// replaces it, or lowered desired when it entered Standby). Warm pool
// instances (Warmed:*) are not in a group's instances; if one appears
// there it counts nowhere.
type Counts struct {
	InService, Pending, Warming, Serving, Terminating, Standby, Protected int
	// Replacing counts the Pending instances that replace instances AWS
	// is retiring (Group.Replacing).
	Replacing int
}

// WarmPool is a group's warm pool as one Describe read it. Its counts are
// in the group's units (instances on a plain group: a group with a warm
// pool cannot have a mixed instances policy, so each instance weighs 1
// unless AWS says otherwise) and, in the *Instances fields, in instances.
// No warm instance is ever serving or pending in the group.
type WarmPool struct {
	// PoolState is the state the pool keeps its instances in: Stopped,
	// Running or Hibernated.
	PoolState string
	// Status is "PendingDelete" while the pool is being deleted, else "".
	Status string
	// MinSize is the pool's MinSize (0 when not set).
	MinSize int
	// MaxPreparedCapacity is MaxGroupPreparedCapacity, -1 when not set
	// (the group's MaxSize then stands in for it).
	MaxPreparedCapacity int
	// ReuseOnScaleIn is the pool's InstanceReusePolicy, nil when not set.
	ReuseOnScaleIn *bool
	// Ready counts the instances resting in the pool state, ready for a
	// warm start (Warmed:Stopped, Warmed:Running or Warmed:Hibernated).
	// Entering counts those on their way in (Warmed:Pending*), Leaving
	// those on their way out (Warmed:Terminating*).
	Ready, Entering, Leaving                            int
	ReadyInstances, EnteringInstances, LeavingInstances int
	// WarmLaunchP90 is the 90th percentile of the warm starts the actuator
	// has measured for this group from the pool's current PoolState (at
	// most the last launchSamples), 0 while WarmLaunchSamples is 0.
	WarmLaunchP90     time.Duration
	WarmLaunchSamples int
	// Error says why DescribeWarmPool failed this cycle, "" when it did
	// not. The counts are then zero: nothing may be expected warm.
	Error string
}

// Usable reports whether the pool was read this cycle and can give warm
// starts: it is not being deleted.
func (w *WarmPool) Usable() bool {
	return w != nil && w.Error == "" && w.Status == ""
}

// Replacements are the group's settings under which AWS replaces
// instances on its own, launching the new one before it terminates the
// old one (or the reverse), while desired capacity stays where it is.
type Replacements struct {
	// CapacityRebalance is the group's CapacityRebalance: AWS replaces a
	// Spot instance that received a rebalance recommendation, launching
	// the replacement first and terminating the old instance once the new
	// one passes its health checks ("After launching a new instance, it
	// then terminates an old instance", API_CreateAutoScalingGroup,
	// CapacityRebalance; "Capacity Rebalancing" in the EC2 Auto Scaling
	// User Guide).
	CapacityRebalance bool
	// MaxInstanceLifetime is the group's MaxInstanceLifetime, 0 when
	// unset. By default AWS terminates an instance that reaches it and
	// launches the replacement while it terminates; an instance
	// maintenance policy with MaxHealthyPercentage above 100 makes it
	// launch first ("Replace Auto Scaling instances based on maximum
	// instance lifetime", User Guide).
	MaxInstanceLifetime time.Duration
	// LaunchBeforeTerminate is true when the group's instance
	// maintenance policy lets capacity rise above desired during a
	// replacement (MaxHealthyPercentage above 100): max instance
	// lifetime, health check replacements and instance refreshes then
	// launch first.
	LaunchBeforeTerminate bool
}

// PageError is Describe's error when some DescribeAutoScalingGroups pages
// failed: Groups are the groups those pages would have answered for, in
// the order asked, and Errs the pages' errors. The groups Describe
// returns alongside it were read.
type PageError struct {
	Groups []string
	Errs   []error
}

// Error says how many groups no page answered for, and why.
func (e *PageError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%d of the groups not described: %s", len(e.Groups), strings.Join(msgs, "; "))
}

// Unwrap returns the pages' errors, so that errors.Is and errors.As see
// the AWS errors under it.
func (e *PageError) Unwrap() []error { return e.Errs }

// Blind reports whether name is one of the groups no page answered for.
func (e *PageError) Blind(name string) bool { return slices.Contains(e.Groups, name) }

// nameList names a batch of targets in an error without listing a hundred.
func nameList(names []string) string {
	switch len(names) {
	case 0:
		return "(none)"
	case 1:
		return fmt.Sprintf("%q", names[0])
	}
	return fmt.Sprintf("%q and %d more", names[0], len(names)-1)
}
