package autoscaling

import "time"

// Scale-in protection, after "Use instance scale-in protection to control
// instance termination" (User Guide) and the SetInstanceProtection API
// reference:
//   - a new instance takes the group's NewInstancesProtectedFromScaleIn;
//     changing the group's setting changes no running instance;
//   - protection "starts when the instance state is InService": a scale-in
//     may still cancel a protected launch, never a protected InService
//     instance;
//   - when only protected instances could satisfy a scale-in, the desired
//     capacity is lowered all the same and the instances keep running ("the
//     Auto Scaling group can't terminate the required number of instances
//     until their instance scale-in protection settings are disabled"):
//     removing the protection lets the group terminate down to desired;
//   - protection does not stop TerminateInstanceInAutoScalingGroup, health
//     replacements or Spot interruptions, none of which the emulator models.

// maxProtectionIDs is the documented maximum of InstanceIds per
// SetInstanceProtection call ("You can specify up to 50 instances").
const maxProtectionIDs = 50

// protectedFromScaleIn reports whether a scale-in must leave in alone.
func protectedFromScaleIn(in *instance) bool {
	return in.protected && in.state == StateInService
}

func (s *Service) setInstanceProtection(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	protect, err := p.bool("ProtectedFromScaleIn")
	if err != nil {
		return nil, err
	}
	if protect == nil {
		return nil, validationf("1 validation error detected: Value null at 'protectedFromScaleIn' failed to satisfy constraint: Member must not be null")
	}
	if ids, _ := p.list("InstanceIds"); len(ids) == 0 {
		return nil, validationf("1 validation error detected: Value null at 'instanceIds' failed to satisfy constraint: Member must not be null")
	}
	ins, err := readInstances(g, p, maxProtectionIDs, "a state that allows protection", func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	for _, in := range ins {
		in.protected = *protect
	}
	// Instances a scale-in could not take may go now.
	s.reconcile(g, now)
	return nil, nil
}

func init() {
	// Registered here so that the protection operation lives in one file.
	handlers["SetInstanceProtection"] = (*Service).setInstanceProtection
}
