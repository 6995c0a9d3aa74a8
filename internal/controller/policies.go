package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/asg"
)

// PolicyReader reads the EC2 Auto Scaling scaling policies attached to
// the managed groups: other controllers of the same desired capacity. It
// answers from a cache between its own sweeps and never fails a cycle: a
// failed read keeps the last known answer and says why.
type PolicyReader interface {
	Policies(ctx context.Context, names []string) asg.Policies
}

var _ PolicyReader = (*asg.Actuator)(nil)

// policyNotes are what a decision says about the group's own scaling
// policies. acting names each policy that can change desired capacity
// (enabled; a predictive policy in ForecastAndScale mode; an alarm-driven
// one while AlarmNotification runs): with Headroom it makes two
// controllers of one number, each undoing the other's changes. It is also
// a /readyz warning. idle names the policies attached but unable to act
// now (disabled, ForecastOnly, alarms suspended), as information only: an
// operator who enables one starts the fight, so the decision says they
// are there, but they are no warning.
func policyNotes(pols []asg.Policy, suspended []string) (acting, idle string) {
	var act, rest []string
	for _, p := range pols {
		if why := p.Idle(suspended); why != "" {
			rest = append(rest, fmt.Sprintf("%s (%s, %s)", p.Name, p.Type, why))
			continue
		}
		act = append(act, fmt.Sprintf("%s (%s)", p.Name, p.Type))
	}
	if len(act) > 0 {
		acting = "other scaling policies attached to the group can change its desired capacity too, and two controllers of one group undo each other's changes: " +
			strings.Join(act, ", ") + "; delete or disable them, or let Headroom alone size the group"
	}
	if len(rest) > 0 {
		idle = "scaling policies attached to the group that cannot change its capacity now: " + strings.Join(rest, ", ")
	}
	return acting, idle
}

// readPolicies reads the groups' scaling policies when a reader is
// configured.
func (c *Controller) readPolicies(ctx context.Context) (asg.Policies, bool) {
	if c.deps.Policies == nil {
		return asg.Policies{}, false
	}
	return c.deps.Policies.Policies(ctx, c.names), true
}

// policyWarning is the /readyz line for a failed policy sweep, "" when
// the last one succeeded.
func policyWarning(p asg.Policies) string {
	if p.Err == nil {
		return ""
	}
	if p.ReadAt.IsZero() {
		return fmt.Sprintf("scaling policies of the groups could not be read, so other controllers of them are not known: %v", p.Err)
	}
	return fmt.Sprintf("scaling policies of the groups could not be read; showing those read at %s: %v", p.ReadAt.UTC().Format(time.RFC3339), p.Err)
}

// appendNonEmpty appends the strings that are not empty.
func appendNonEmpty(list []string, s ...string) []string {
	for _, v := range s {
		if v != "" {
			list = append(list, v)
		}
	}
	return list
}

// replacingNote says that Pending capacity above desired replaces
// instances AWS is retiring, and names the group settings that do that.
func replacingNote(g asg.Group) string {
	var why []string
	if g.Replacements.CapacityRebalance {
		why = append(why, "capacity rebalancing is on")
	}
	if g.Replacements.MaxInstanceLifetime > 0 && g.Replacements.LaunchBeforeTerminate {
		why = append(why, fmt.Sprintf("max instance lifetime %s with launch before terminate", g.Replacements.MaxInstanceLifetime))
	}
	cause := "AWS launches a replacement before it terminates the instance it replaces (capacity rebalancing, an instance refresh or Availability Zone rebalancing)"
	if len(why) > 0 {
		cause = "AWS launches a replacement before it terminates the instance it replaces: " + strings.Join(why, ", ")
	}
	return fmt.Sprintf("%d units (%d instances) Pending above desired capacity %d replace instances AWS is retiring; %s. A swap, not a scale-out: not counted as capacity on its way",
		g.Replacing, g.Instances.Replacing, g.Desired, cause)
}
