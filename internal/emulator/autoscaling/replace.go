package autoscaling

import (
	"fmt"
	"time"
)

// Replacements AWS makes on its own while desired capacity stays put:
//
//   - Capacity rebalancing (CapacityRebalance): when a Spot instance
//     receives an EC2 instance rebalance recommendation, AWS launches a
//     replacement first and terminates the old instance once the new one
//     is InService ("After launching a new instance, it then terminates
//     an old instance", API_CreateAutoScalingGroup; the User Guide's
//     "Capacity Rebalancing": the old instance is terminated after the new
//     one passes its health checks, and the group may exceed its maximum
//     by up to 10% meanwhile). The emulator has no Spot market: a test
//     sends the recommendation with RebalanceRecommendation. The group's
//     MaxSize does not stop the replacement.
//   - Maximum instance lifetime (MaxInstanceLifetime, seconds, 0 or at
//     least 86,400): an InService instance that reaches it is terminated,
//     and the replacement launches while it terminates (AWS's default:
//     "Amazon EC2 Auto Scaling creates a new scaling activity for
//     terminating the instance and then terminates it. While the instance
//     is terminating, another scaling activity launches a new instance",
//     "Replace Auto Scaling instances based on maximum instance
//     lifetime"). Instances protected from scale-in are not replaced, as
//     that page advises. Every expired instance is replaced at once; AWS
//     usually paces them one at a time.
//
// The activities' causes follow the form of AWS's ("At <time> an instance
// was ...") but are the emulator's wording.

// minInstanceLifetime is the least MaxInstanceLifetime AWS accepts
// besides 0 ("the value must be either 0 or a number equal to or greater
// than 86,400 seconds (1 day)", API_CreateAutoScalingGroup).
const minInstanceLifetime = 86400

// replaceSettings are a group's settings for replacements.
type replaceSettings struct {
	capacityRebalance *bool
	lifetime          *int // MaxInstanceLifetime in seconds; nil or 0 is none
}

// readReplaceSettings reads CapacityRebalance and MaxInstanceLifetime
// of CreateAutoScalingGroup and UpdateAutoScalingGroup.
func readReplaceSettings(p params, in *replaceSettings) *apiError {
	rebalance, err := p.bool("CapacityRebalance")
	if err != nil {
		return err
	}
	in.capacityRebalance = rebalance
	lifetime, err := p.int("MaxInstanceLifetime", 1<<31-1)
	if err != nil {
		return err
	}
	if lifetime != nil && *lifetime != 0 && *lifetime < minInstanceLifetime {
		return validationf("The maximum instance lifetime must be equal to 0 or between %d and %d seconds.", minInstanceLifetime, 1<<31-1)
	}
	in.lifetime = lifetime
	return nil
}

func applyReplaceSettings(g *group, in replaceSettings) {
	if in.capacityRebalance != nil {
		g.replace.capacityRebalance = in.capacityRebalance
	}
	if in.lifetime != nil {
		g.replace.lifetime = in.lifetime
	}
}

func describeReplace(g *group, x *xmlGroup) {
	x.CapacityRebalance = g.replace.capacityRebalance != nil && *g.replace.capacityRebalance
	if l := g.replace.lifetime; l != nil && *l > 0 {
		x.MaxInstanceLifetime = l
	}
}

// lifetime is the group's MaxInstanceLifetime, 0 when none.
func (g *group) lifetime() time.Duration {
	if l := g.replace.lifetime; l != nil {
		return time.Duration(*l) * time.Second
	}
	return 0
}

// expiresAt is when an InService instance reaches the group's maximum
// lifetime; ok is false when it never does.
func (g *group) expiresAt(in *instance) (time.Time, bool) {
	life := g.lifetime()
	if life <= 0 || in.state != StateInService || in.retiring || in.protected {
		return time.Time{}, false
	}
	since := in.inServiceAt
	if since.IsZero() {
		since = in.launchedAt
	}
	return since.Add(life), true
}

// replaceNextEvent offers the next instance expiry to consider.
func (g *group) replaceNextEvent(consider func(time.Time)) {
	if g.lifetime() <= 0 {
		return
	}
	for _, in := range g.instances {
		if at, ok := g.expiresAt(in); ok {
			consider(at)
		}
	}
}

// stepReplace carries out the replacements due at t: instances past the
// maximum lifetime are terminated (reconcile then launches their
// replacements), and an instance being rebalanced away is terminated once
// its replacement is InService, or kept if the replacement is gone.
func (s *Service) stepReplace(g *group, t time.Time) {
	expired := false
	for _, in := range g.instances {
		if at, ok := g.expiresAt(in); ok && !at.After(t) {
			s.terminate(g, in, t, fmt.Sprintf("At %s an instance was taken out of service in response to the group's maximum instance lifetime of %d seconds.",
				causeTime(t), int(g.lifetime()/time.Second)))
			expired = true
		}
	}
	for _, in := range g.instances {
		if !in.retiring || in.state != StateInService {
			continue
		}
		switch next := in.replacedBy; {
		case next.state == StateInService:
			s.terminate(g, in, t, fmt.Sprintf("At %s an instance was taken out of service in response to an EC2 instance rebalance recommendation: its replacement %s is InService.",
				causeTime(t), next.id))
		case !launching(next.state):
			// The replacement was cancelled or failed: the old instance
			// stays and counts again.
			in.retiring, in.replacedBy = false, nil
			expired = true
		}
	}
	s.dropGone(g)
	if expired {
		s.reconcile(g, t)
	}
}

// terminate takes one instance out of service at t, as remove does for a
// scale-in victim.
func (s *Service) terminate(g *group, in *instance, t time.Time, cause string) {
	a := &activity{
		description: "Terminating EC2 instance: " + in.id,
		cause:       cause,
		details:     fmt.Sprintf(`{"Availability Zone":"%s"}`, in.az),
		status:      activityInProgress,
		start:       t,
	}
	s.addActivity(g, a)
	in.terminate = a
	in.retiring, in.replacedBy = false, nil
	in.state = StateTerminating
	in.goneAt = t.Add(s.terminateTime)
	if s.startWait(g, in, TransitionTerminating, t) {
		return
	}
	if !in.goneAt.After(t) {
		finish(g, a, activitySuccessful, t)
		in.gone = true
	}
}

// dropGone removes the instances terminate finished at once.
func (s *Service) dropGone(g *group) {
	kept := g.instances[:0]
	for _, in := range g.instances {
		if !in.gone {
			kept = append(kept, in)
		}
	}
	clear(g.instances[len(kept):])
	g.instances = kept
}

// RebalanceRecommendation delivers an EC2 instance rebalance
// recommendation for one InService instance of the group. With capacity
// rebalancing on, the group launches a replacement now and terminates the
// instance once the replacement is InService; desired capacity does not
// change. Without it nothing happens (AWS waits for the interruption),
// and replaced is false.
func (s *Service) RebalanceRecommendation(group, instanceID string) (replaced bool, err error) {
	s.lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	g, ok := s.groups[group]
	if !ok {
		return false, fmt.Errorf("no group %q", group)
	}
	s.advance(g, now)
	var old *instance
	for _, in := range g.instances {
		if in.id == instanceID {
			old = in
		}
	}
	switch {
	case old == nil:
		return false, fmt.Errorf("group %q has no instance %s", group, instanceID)
	case old.state != StateInService || old.retiring:
		return false, fmt.Errorf("instance %s is %s, not InService", instanceID, old.state)
	case g.replace.capacityRebalance == nil || !*g.replace.capacityRebalance:
		return false, nil
	}
	// The old instance stops counting toward desired capacity first, so
	// that the launch is a replacement and reconcile does not take it
	// back.
	old.retiring = true
	active := g.active()
	next := s.launch(g, now, "", active)
	next.launch.cause = fmt.Sprintf("At %s an instance was launched in response to an EC2 instance rebalance recommendation for %s.", causeTime(now), old.id)
	old.replacedBy = next
	s.stepReplace(g, now)
	return true, nil
}
