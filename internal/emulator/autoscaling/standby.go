package autoscaling

import (
	"fmt"
	"time"
)

// Standby, after "Temporarily remove instances from your Auto Scaling
// group" (User Guide) and the EnterStandby and ExitStandby API references:
//   - only InService instances enter Standby, going through
//     EnteringStandby; an instance on standby stays in the group (and is
//     billed) but counts neither toward desired capacity nor as a scale-in
//     candidate;
//   - with ShouldDecrementDesiredCapacity the desired capacity drops by
//     the instances' units, which must leave it at or above MinSize;
//     without it the group launches replacements;
//   - ExitStandby puts the instances back through Pending to InService and
//     raises desired capacity by their units. When the group did not
//     decrement, that leaves more capacity than it had; AWS then "applies
//     the termination policy in effect to reduce the size of the group",
//     which the emulator models by capping desired at MaxSize and
//     terminating what exceeds it.
// The emulator runs no lifecycle hook for standby moves.

// Standby states (types.LifecycleState).
const (
	StateEnteringStandby = "EnteringStandby"
	StateStandby         = "Standby"
)

// counted reports whether an instance in state counts toward desired
// capacity: launching or InService; not leaving, not on standby.
func counted(state string) bool { return launching(state) || state == StateInService }

// maxStandbyIDs is the documented maximum of InstanceIds per EnterStandby
// or ExitStandby call ("You can specify up to 20 instances").
const maxStandbyIDs = 20

type xmlActivitiesOnly struct {
	Activities []xmlActivity `xml:"Activities>member"`
}

// readInstances returns the group's instances named by InstanceIds, each
// in one of the states ok allows.
func readInstances(g *group, p params, limit int, want string, ok func(string) bool) ([]*instance, *apiError) {
	ids, _ := p.list("InstanceIds")
	if len(ids) > limit {
		return nil, validationf("1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to %d", limit)
	}
	var out []*instance
	for _, id := range ids {
		in := g.instance(id)
		if in == nil {
			return nil, validationf("The instance %s is not part of Auto Scaling group %s.", id, g.name)
		}
		if !ok(in.state) {
			return nil, validationf("The instance %s is not in %s.", id, want)
		}
		out = append(out, in)
	}
	return out, nil
}

func (g *group) instance(id string) *instance {
	for _, in := range g.instances {
		if in.id == id {
			return in
		}
	}
	return nil
}

func (s *Service) enterStandby(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	decrement, err := p.bool("ShouldDecrementDesiredCapacity")
	if err != nil {
		return nil, err
	}
	if decrement == nil {
		return nil, validationf("1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null")
	}
	ins, err := readInstances(g, p, maxStandbyIDs, StateInService, isInService)
	if err != nil {
		return nil, err
	}
	units := 0
	for _, in := range ins {
		units += in.weight
	}
	if *decrement && g.desired-units < g.min {
		return nil, validationf("AutoScalingGroup %s has min-size=%d, max-size=%d, and desired-size=%d. To place into standby %d instances, please update the AutoScalingGroup sizes appropriately.",
			g.name, g.min, g.max, g.desired, len(ins))
	}
	for _, in := range ins {
		msg := fmt.Sprintf("At %s instance %s was moved to standby in response to a user request", causeTime(now), in.id)
		if *decrement {
			msg += fmt.Sprintf(", shrinking the capacity from %d to %d.", g.desired, g.desired-in.weight)
			g.desired -= in.weight
		} else {
			msg += "."
		}
		a := &activity{description: "Moving EC2 instance to Standby: " + in.id, cause: msg, details: fmt.Sprintf(`{"Availability Zone":"%s"}`, in.az),
			status: activityInProgress, start: now}
		s.addActivity(g, a)
		in.standby = a
		in.state = StateEnteringStandby
		in.standbyAt = now.Add(s.standbyTime)
	}
	s.reconcile(g, now)
	s.advance(g, now)
	res := xmlActivitiesOnly{Activities: []xmlActivity{}}
	for _, in := range ins {
		res.Activities = append(res.Activities, xmlActivityOf(g, in.standby))
	}
	return res, nil
}

func (s *Service) exitStandby(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	ins, err := readInstances(g, p, maxStandbyIDs, StateStandby, func(st string) bool { return st == StateStandby })
	if err != nil {
		return nil, err
	}
	res := xmlActivitiesOnly{Activities: []xmlActivity{}}
	for _, in := range ins {
		next := min(g.desired+in.weight, g.max)
		a := &activity{description: "Moving EC2 instance out of Standby: " + in.id,
			cause: fmt.Sprintf("At %s instance %s was moved out of standby in response to a user request, increasing the capacity from %d to %d.",
				causeTime(now), in.id, g.desired, next),
			details: fmt.Sprintf(`{"Availability Zone":"%s"}`, in.az), status: activityInProgress, start: now}
		s.addActivity(g, a)
		g.desired = next
		in.launch = a
		in.state = StatePending
		in.readyAt = now.Add(s.standbyTime)
		in.inServiceAt = time.Time{}
		in.fromStandby = true
		res.Activities = append(res.Activities, xmlActivityOf(g, a))
	}
	s.reconcile(g, now)
	return res, nil
}

// SetStandbyTime sets how long an instance stays EnteringStandby, and
// Pending on its way out of Standby. AWS documents no duration for
// either (it covers load balancer deregistration and registration, which
// the emulator does not model), so the default is zero.
func (s *Service) SetStandbyTime(d time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	s.standbyTime = d
}

func init() {
	// Registered here so that the standby operations live in one file.
	handlers["EnterStandby"] = (*Service).enterStandby
	handlers["ExitStandby"] = (*Service).exitStandby
}
