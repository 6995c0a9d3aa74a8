package autoscaling

import (
	"fmt"
	"sort"
	"time"
)

// Lifecycle states of the instances the emulator models (a subset of
// types.LifecycleState).
const (
	StatePending     = "Pending"
	StateInService   = "InService"
	StateTerminating = "Terminating"
)

// Scaling activity status codes used here (types.ScalingActivityStatusCode).
const (
	activityInProgress = "InProgress"
	activitySuccessful = "Successful"
	activityFailed     = "Failed"
	activityCancelled  = "Cancelled"
)

// Scaling processes, as listed for SuspendProcesses.
const (
	ProcessLaunch           = "Launch"
	ProcessTerminate        = "Terminate"
	ProcessScheduledActions = "ScheduledActions"
	ProcessInstanceRefresh  = "InstanceRefresh"
)

// allProcesses are the process names SuspendProcesses accepts; an empty
// list suspends or resumes all of them.
var allProcesses = []string{
	"AZRebalance", "AddToLoadBalancer", "AlarmNotification", "HealthCheck",
	ProcessInstanceRefresh, ProcessLaunch, "ReplaceUnhealthy", ProcessScheduledActions, ProcessTerminate,
}

const (
	// defaultCooldown is AWS's default DefaultCooldown, in seconds.
	defaultCooldown = 300
	// maxActivities is the activity history kept per group (up to twice
	// as many between trims). AWS keeps six weeks of activities; a long
	// simulation would otherwise grow without bound.
	maxActivities = 5000
	// maxRefreshes bounds the instance refresh history kept per group.
	maxRefreshes = 50
	// maxTags is AWS's quota of tags per Auto Scaling group.
	maxTags = 50
)

// availabilityZones are assigned to instances in turn.
var availabilityZones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

type group struct {
	name, arn              string
	created                time.Time
	min, max, desired      int
	defaultCooldown        int
	defaultInstanceWarmup  *int
	healthCheckGracePeriod int
	healthCheckType        string
	launchConfiguration    string
	launchTemplate         *launchTemplate
	availabilityZones      []string
	vpcZoneIdentifier      string
	terminationPolicies    []string
	protectNew             bool
	tags                   map[string]tag
	suspended              map[string]string // process -> reason
	instances              []*instance       // in launch order
	activities             []*activity       // oldest first
	actions                map[string]*scheduledAction
	refreshes              []*refresh // oldest first
	warm                   *warmPool  // nil without a warm pool
	lastActivityEnd        time.Time
	// mixed is the MixedInstancesPolicy, nil without one; capacityType
	// the DesiredCapacityType as given ("" when never set). See weights.go.
	mixed        *mixedPolicy
	capacityType string
	// launchOrder, when set through the Go API, is the cycle of instance
	// types launches follow; launches counts launches to walk it.
	launchOrder []string
	launches    int
	// hooks are the lifecycle hooks by name; hookDelay, when positive,
	// completes every hook action with CONTINUE that long after it
	// starts (hooks.go).
	hooks     map[string]*lifecycleHook
	hookDelay time.Duration
	// policies are the scaling policies by name (policies.go).
	policies map[string]*scalingPolicy
	// replace holds CapacityRebalance and MaxInstanceLifetime
	// (replace.go).
	replace replaceSettings
	// due is the group's next event after the last advance (hasDue
	// false: none); advanceForRead trusts it while Service.duesKnown.
	due    time.Time
	hasDue bool
	// cause says why desired last changed; the next launches and
	// terminations quote it in their activities, as AWS does.
	cause string
}

type launchTemplate struct{ id, name, version string }

type tag struct {
	key, value string
	propagate  bool
}

type instance struct {
	id           string
	az           string
	state        string
	instanceType string
	weight       int // units the instance counts toward desired capacity
	launchedAt   time.Time
	readyAt      time.Time // when Pending ends
	inServiceAt  time.Time
	goneAt       time.Time // when Terminating ends
	launch       *activity
	terminate    *activity
	// actions are the lifecycle hook actions of a wait state; proceedAt
	// is when Pending:Proceed ends (hooks.go).
	actions   []*lifecycleAction
	proceedAt time.Time
	// standby is the activity of entering Standby, done at standbyAt;
	// fromStandby marks a Pending instance on its way out of Standby,
	// which runs no launching hook (standby.go).
	standby     *activity
	standbyAt   time.Time
	fromStandby bool
	warm        bool // it came from the warm pool
	// protected is the instance's ProtectedFromScaleIn.
	protected bool
	// retiring marks an InService instance that a replacement launched
	// ahead of its termination (replacedBy) will take over from; it no
	// longer counts toward desired capacity. gone marks an instance
	// terminated at once, to be dropped (replace.go).
	retiring   bool
	replacedBy *instance
	gone       bool
}

type activity struct {
	id, description, cause, details string
	status, statusMessage           string
	progress                        int
	start, end                      time.Time
}

func (g *group) isSuspended(process string) bool {
	_, ok := g.suspended[process]
	return ok
}

// active sums the units of the instances that count toward capacity:
// launching (Pending and its hook states) and InService, not leaving and
// not on standby. Each instance is one unit in a group without weights.
func (g *group) active() int {
	n := 0
	for _, in := range g.instances {
		if counted(in.state) && !in.retiring {
			n += in.weight
		}
	}
	return n
}

// inProgress returns an activity still in progress, if any.
func (g *group) inProgress() *activity {
	for i := len(g.activities) - 1; i >= 0; i-- {
		if activityOpen(g.activities[i].status) {
			return g.activities[i]
		}
	}
	return nil
}

// activeRefresh returns the refresh that is not finished, if any.
func (g *group) activeRefresh() *refresh {
	for _, r := range g.refreshes {
		if refreshActive(r.status) {
			return r
		}
	}
	return nil
}

func (s *Service) addActivity(g *group, a *activity) {
	a.id = uuidFrom(s.nextID())
	g.activities = append(g.activities, a)
	// Trim in batches so that recording stays amortised O(1).
	if len(g.activities) >= 2*maxActivities {
		g.activities = append([]*activity(nil), g.activities[len(g.activities)-maxActivities:]...)
	}
	if !a.end.IsZero() && a.end.After(g.lastActivityEnd) {
		g.lastActivityEnd = a.end
	}
}

func finish(g *group, a *activity, status string, t time.Time) {
	if a == nil || !activityOpen(a.status) {
		return
	}
	a.status, a.progress, a.end = status, 100, t
	if t.After(g.lastActivityEnd) {
		g.lastActivityEnd = t
	}
}

func (s *Service) launchTimeFor(name string) time.Duration {
	d := s.launchTime
	if s.launchTimeFunc != nil {
		d = s.launchTimeFunc(name)
	}
	if d < 0 {
		return 0
	}
	return d
}

// reconcile launches or removes instances at time t until the group's
// active units reach its desired capacity, unless Launch or Terminate is
// suspended, taking instances from the warm pool before launching cold
// ones, and then brings the warm pool to its size. With weights the
// launches may overshoot desired by less than the last instance's weight,
// and a scale-in stops before what remains would fall below desired
// (weights.go).
func (s *Service) reconcile(g *group, t time.Time) {
	cause := g.cause
	g.cause = ""
	active := g.active()
	if active < g.desired {
		// The overshoot of the last launch stays: AWS fills desired
		// "even if this results in an overage". A later reconciliation
		// (a resumed Terminate, a protection lifted) may still remove an
		// instance whose units what remains can spare.
		for active < g.desired && !g.isSuspended(ProcessLaunch) {
			if in := s.takeWarm(g, t, cause, active); in != nil {
				active += in.weight
				continue
			}
			active += s.launch(g, t, cause, active).weight
		}
		s.fillWarm(g, t)
		return
	}
	if active > g.desired && !g.isSuspended(ProcessTerminate) {
		s.remove(g, t, cause, active)
	}
	s.fillWarm(g, t)
}

func (s *Service) launch(g *group, t time.Time, cause string, active int) *instance {
	n := s.nextID()
	in := &instance{
		id:         fmt.Sprintf("i-%017x", n),
		az:         availabilityZones[int(n%uint64(len(availabilityZones)))],
		state:      StatePending,
		launchedAt: t,
		readyAt:    t.Add(s.launchTimeFor(g.name)),
	}
	in.protected = g.protectNew
	in.instanceType = g.nextInstanceType()
	in.weight = g.weightOf(in.instanceType)
	a := &activity{
		description: "Launching a new EC2 instance: " + in.id,
		cause: joinCause(cause, fmt.Sprintf("At %s an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.",
			causeTime(t), active, active+in.weight)),
		details: fmt.Sprintf(`{"Availability Zone":"%s"}`, in.az),
		status:  activityInProgress,
		start:   t,
	}
	s.addActivity(g, a)
	in.launch = a
	g.instances = append(g.instances, in)
	if !in.readyAt.After(t) && !g.hasHook(TransitionLaunching) {
		becomeInService(g, in)
	}
	return in
}

func isInService(state string) bool { return state == StateInService }

func becomeInService(g *group, in *instance) {
	in.state = StateInService
	in.inServiceAt = in.readyAt
	finish(g, in.launch, activitySuccessful, in.readyAt)
}

// remove takes instances out of service until the active units come down
// to desired: the newest Pending ones first, then the newest InService
// ones, skipping any whose weight would take the group below desired and
// any protected from scale-in (protection.go), which may leave the group
// above desired. One pass over the instances keeps a large scale-in
// linear.
func (s *Service) remove(g *group, t time.Time, cause string, active int) {
	var victims []*instance
	left := active
	for _, want := range []func(string) bool{launching, isInService} {
		for i := len(g.instances) - 1; i >= 0 && left > g.desired; i-- {
			if in := g.instances[i]; want(in.state) && !in.retiring && !protectedFromScaleIn(in) && left-in.weight >= g.desired {
				victims = append(victims, in)
				left -= in.weight
			}
		}
	}
	gone := map[*instance]bool{}
	for _, in := range victims {
		if launching(in.state) {
			finish(g, in.launch, activityCancelled, t)
			in.actions = nil
		}
		if s.returnToWarm(g, in, t, cause, active) {
			active--
			gone[in] = true
			continue
		}
		a := &activity{
			description: "Terminating EC2 instance: " + in.id,
			cause: joinCause(cause, fmt.Sprintf("At %s an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from %d to %d.",
				causeTime(t), active, active-in.weight)),
			details: fmt.Sprintf(`{"Availability Zone":"%s"}`, in.az),
			status:  activityInProgress,
			start:   t,
		}
		active -= in.weight
		s.addActivity(g, a)
		in.terminate = a
		in.state = StateTerminating
		in.goneAt = t.Add(s.terminateTime)
		if s.startWait(g, in, TransitionTerminating, t) {
			continue
		}
		if !in.goneAt.After(t) {
			finish(g, a, activitySuccessful, t)
			gone[in] = true
		}
	}
	if len(gone) > 0 {
		kept := g.instances[:0]
		for _, in := range g.instances {
			if !gone[in] {
				kept = append(kept, in)
			}
		}
		clear(g.instances[len(kept):])
		g.instances = kept
	}
}

func joinCause(prefix, s string) string {
	if prefix == "" {
		return s
	}
	return prefix + " " + s
}

func causeTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// advanceAll brings every group up to now. The caller may change any
// group afterwards, so the next read-only request cannot trust the
// groups' recorded next events and recomputes them.
func (s *Service) advanceAll(now time.Time) {
	for _, g := range s.groups {
		s.advance(g, now)
	}
	s.duesKnown = false
}

// advanceForRead brings every group up to now for a request that changes
// nothing. Each group's next event is recorded as it advances, so while
// no request changes a group, a group with nothing due is skipped at the
// cost of one comparison: the describes of a large fleet then cost in
// proportion to the groups they return, not to the groups times the
// requests.
func (s *Service) advanceForRead(now time.Time) {
	if !s.duesKnown {
		for _, g := range s.groups {
			s.advance(g, now)
		}
		s.duesKnown = true
		return
	}
	for _, g := range s.groups {
		if g.hasDue && !g.due.After(now) {
			s.advance(g, now)
		}
	}
}

// advance processes, in time order, every event of g up to now: instances
// finishing their launch or termination and scheduled actions firing.
// Groups are independent, so each advances on its own. Every step consumes
// the events at its time, so the loop ends. It records g's next event
// after now (advanceForRead).
func (s *Service) advance(g *group, now time.Time) {
	for {
		t, ok := g.nextEvent()
		if !ok || t.After(now) {
			g.due, g.hasDue = t, ok
			return
		}
		s.step(g, t)
	}
}

func (g *group) nextEvent() (time.Time, bool) {
	var next time.Time
	found := false
	consider := func(t time.Time) {
		if !found || t.Before(next) {
			next, found = t, true
		}
	}
	for _, in := range g.instances {
		if at, ok := in.instanceEvent(); ok {
			consider(at)
		}
	}
	for _, a := range g.actions {
		if !a.next.IsZero() {
			consider(a.next)
		}
	}
	g.warmNextEvent(consider)
	g.replaceNextEvent(consider)
	return next, found
}

func (s *Service) step(g *group, t time.Time) {
	kept := g.instances[:0]
	replace := false
	for _, in := range g.instances {
		keep, lost := s.stepInstance(g, in, t)
		replace = replace || lost
		if keep {
			kept = append(kept, in)
		}
	}
	clear(g.instances[len(kept):])
	g.instances = kept
	s.stepWarm(g, t)
	s.stepReplace(g, t)
	if replace {
		s.reconcile(g, t)
	}

	var due []*scheduledAction
	for _, a := range g.actions {
		if !a.next.IsZero() && !a.next.After(t) {
			due = append(due, a)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].name < due[j].name })
	for _, a := range due {
		s.fire(g, a, t)
	}
}

// setDesired changes desired capacity with the cause AWS would quote and
// starts the launches or terminations it calls for.
func (s *Service) setDesired(g *group, desired int, cause string, t time.Time) {
	g.desired = desired
	g.cause = cause
	s.reconcile(g, t)
}
