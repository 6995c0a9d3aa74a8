package asg

import (
	"cmp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/headroom-dev/headroom/internal/target"
)

// Replacements are the group's settings under which AWS replaces
// instances on its own: target.Replacements.
type Replacements = target.Replacements

// replacementsOf reads a group's replacement settings.
func replacementsOf(g types.AutoScalingGroup) Replacements {
	r := Replacements{
		CapacityRebalance:   aws.ToBool(g.CapacityRebalance),
		MaxInstanceLifetime: time.Duration(aws.ToInt32(g.MaxInstanceLifetime)) * time.Second,
	}
	if p := g.InstanceMaintenancePolicy; p != nil && aws.ToInt32(p.MaxHealthyPercentage) > 100 {
		r.LaunchBeforeTerminate = true
	}
	return r
}

// replacing returns how much of a group's Pending capacity replaces
// instances AWS is retiring rather than adds capacity, in units and in
// instances. AWS launches such a replacement before it terminates the old
// instance (capacity rebalancing; max instance lifetime, an instance
// refresh or a health check replacement under a launch-before-terminate
// maintenance policy; Availability Zone rebalancing), and desired capacity
// does not move: for a while InService + Pending exceeds desired
// capacity. That excess, while it is Pending, is the replacement: a swap
// that nets to zero once the old instance terminates, not a scale-out.
//
// What whole instances of a weighted group overshoot (less than the
// largest weight) is a launch that fills desired capacity, not a
// replacement. With Terminate suspended the excess is a scale-in AWS
// cannot carry out, not a replacement. A replacement launched after the
// old instance began terminating (AWS's default for max instance
// lifetime and instance refresh) fills desired capacity back up: it is
// capacity on its way to desired, as any launch is, and is not counted
// here.
//
// pending is the group's Pending units (root volume replacements
// included: they return to capacity within desired); pendingWeights are
// the weights of the launching instances only, and only they can be
// replacements. The instance count is the fewest of them, heaviest first,
// whose weights cover the replacing units.
func replacing(inService, pending, desired, maxWeight int, terminateSuspended bool, pendingWeights []int) (units, instances int) {
	if pending == 0 || terminateSuspended {
		return 0, 0
	}
	excess := inService + pending - desired
	if excess < max(maxWeight, 1) {
		return 0, 0
	}
	launching := 0
	for _, w := range pendingWeights {
		launching += w
	}
	units = min(launching, excess)
	ws := slices.Clone(pendingWeights)
	slices.SortFunc(ws, func(a, b int) int { return cmp.Compare(b, a) })
	covered := 0
	for _, w := range ws {
		if covered >= units {
			break
		}
		covered += w
		instances++
	}
	return units, instances
}
