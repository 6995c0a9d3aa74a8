package autoscaling

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Warm pools ("Warm pools for Amazon EC2 Auto Scaling", EC2 Auto Scaling
// User Guide; API_PutWarmPool, API_DescribeWarmPool, API_DeleteWarmPool).
//
// A warm pool sits beside its group: its instances are never in the
// group's Instances list and do not count toward desired capacity. The
// pool is kept at its size (warmSize): new instances enter it in
// Warmed:Pending for the launch time (then Warmed:Pending:Wait and
// Warmed:Pending:Proceed when SetWarmLaunchHookWait stands in for a launch
// hook), then rest in the pool state. A scale-out takes instances from the
// pool before it launches any cold one (a "warm start"); the instance is
// Pending in the group for the pool state's warm start time and then
// InService. The pool then refills. With ReuseOnScaleIn, a scale-in
// returns instances to the pool instead of terminating them.

// Lifecycle states of warm pool instances (types.LifecycleState).
const (
	StateWarmedPending     = "Warmed:Pending"
	StateWarmedWait        = "Warmed:Pending:Wait"
	StateWarmedProceed     = "Warmed:Pending:Proceed"
	StateWarmedStopped     = "Warmed:Stopped"
	StateWarmedRunning     = "Warmed:Running"
	StateWarmedHibernated  = "Warmed:Hibernated"
	StateWarmedTerminating = "Warmed:Terminating"
)

// Pool states a warm pool keeps its instances in (types.WarmPoolState).
const (
	PoolStateStopped    = "Stopped"
	PoolStateRunning    = "Running"
	PoolStateHibernated = "Hibernated"
)

// warmPoolPendingDelete is the only WarmPoolStatus (types.WarmPoolStatus):
// the pool is being deleted and waits for its instances to terminate.
const warmPoolPendingDelete = "PendingDelete"

// Default warm start times: how long an instance taken from the warm pool
// stays Pending before it is InService.
const (
	// DefaultWarmStartStopped: starting a stopped EBS-backed instance boots
	// its operating system again, which takes tens of seconds, but skips
	// the first-boot initialisation the warm pool exists to avoid. AWS's
	// EC2 Auto Scaling workshop measured a warm start of 36 s from a
	// stopped pool ("Launching a new EC2 instance from warm pool: ...
	// Duration: 36s", awslabs/ec2-spot-workshops, "Launch From Warm
	// Pool"); the emulator takes a round 30 s.
	DefaultWarmStartStopped = 30 * time.Second
	// DefaultWarmStartHibernated: resuming from hibernation starts the
	// instance as from Stopped but restores memory from the root volume
	// instead of booting, so it is faster than a start from Stopped; AWS
	// publishes no figure, and 20 s keeps it between Running and Stopped.
	DefaultWarmStartHibernated = 20 * time.Second
	// DefaultWarmStartRunning: the instance is already running and
	// initialised; only Auto Scaling's own move into the group remains,
	// which takes seconds.
	DefaultWarmStartRunning = 5 * time.Second
)

// maxWarmPoolRecords is DescribeWarmPool's documented maximum MaxRecords
// ("The maximum value is 50", API_DescribeWarmPool), also its default
// here: AWS does not document one.
const maxWarmPoolRecords = 50

type warmPool struct {
	minSize int
	// maxPrepared is MaxGroupPreparedCapacity; -1 when unset, and the
	// group's MaxSize stands in for it.
	maxPrepared int
	poolState   string
	reuse       bool
	// reuseSet records that an InstanceReusePolicy was given, so that it
	// is described back only then.
	reuseSet bool
	deleting bool
	// instances are in the order they entered the pool.
	instances []*warmInstance
}

type warmInstance struct {
	id, az     string
	state      string
	launchedAt time.Time
	// hooked instances enter the pool through Warmed:Pending until
	// pendingEnd, Warmed:Pending:Wait until waitEnd and
	// Warmed:Pending:Proceed until readyAt; the others are Warmed:Pending
	// until readyAt.
	hooked              bool
	pendingEnd, waitEnd time.Time
	readyAt             time.Time // when the instance rests in the pool state
	goneAt              time.Time // when Warmed:Terminating ends
	launch              *activity
	terminate           *activity
}

// entering reports an instance still on its way into the pool state.
func (in *warmInstance) entering() bool {
	return in.state == StateWarmedPending || in.state == StateWarmedWait || in.state == StateWarmedProceed
}

// resting reports an instance in the pool state, ready for a warm start.
func (in *warmInstance) resting() bool {
	return !in.entering() && in.state != StateWarmedTerminating
}

// initialised is when an entering instance has finished its launch and
// its launch hook: taken into the group then, it needs no start.
func (in *warmInstance) initialised() time.Time {
	if in.hooked {
		return in.waitEnd
	}
	return in.readyAt
}

// nextChange is when an entering instance next changes state.
func (in *warmInstance) nextChange() time.Time {
	switch {
	case !in.hooked:
		return in.readyAt
	case in.state == StateWarmedPending:
		return in.pendingEnd
	case in.state == StateWarmedWait:
		return in.waitEnd
	default:
		return in.readyAt
	}
}

// enter schedules an instance's way into the pool state: from "from",
// through a launch hook's wait when one is set, then the move into the
// pool state, which takes move.
func (s *Service) enter(in *warmInstance, from time.Time, move time.Duration) {
	in.state = StateWarmedPending
	in.pendingEnd = from
	in.hooked = s.warmHookWait > 0
	if !in.hooked {
		in.waitEnd = from
		in.readyAt = from.Add(move)
		return
	}
	in.waitEnd = from.Add(s.warmHookWait)
	in.readyAt = in.waitEnd.Add(move)
}

// WarmPoolSpec configures a warm pool through the Go API, as PutWarmPool
// does.
type WarmPoolSpec struct {
	MinSize int
	// MaxGroupPreparedCapacity caps the group's instances plus the pool's;
	// nil uses the group's MaxSize, as AWS does when it is not set.
	MaxGroupPreparedCapacity *int
	// PoolState is PoolStateStopped (the default when empty),
	// PoolStateRunning or PoolStateHibernated.
	PoolState      string
	ReuseOnScaleIn bool
}

// WarmPoolView is a snapshot of a group's warm pool.
type WarmPoolView struct {
	MinSize int
	// MaxGroupPreparedCapacity is -1 when not set.
	MaxGroupPreparedCapacity int
	PoolState                string
	ReuseOnScaleIn           bool
	// PendingDelete reports a pool deleted with ForceDelete whose
	// instances are still terminating.
	PendingDelete bool
	// Size is the number of instances the pool is kept at now.
	Size int
	// Instances are in the order they entered the pool.
	Instances []WarmInstanceView
}

// WarmInstanceView is one instance of a warm pool.
type WarmInstanceView struct {
	ID string
	// State is one of the StateWarmed* states. An instance entering the
	// pool (Warmed:Pending, Warmed:Pending:Wait, Warmed:Pending:Proceed),
	// a Warmed:Running one and a Warmed:Terminating one run and are billed
	// as running; a Warmed:Stopped or Warmed:Hibernated one costs only its
	// volumes.
	State      string
	LaunchedAt time.Time
}

// Count returns how many instances of the pool are in state.
func (w WarmPoolView) Count(state string) int {
	n := 0
	for _, in := range w.Instances {
		if in.State == state {
			n++
		}
	}
	return n
}

// Running returns how many of the pool's instances are running, and so
// billed as running instances: those entering the pool, Warmed:Running and
// Warmed:Terminating ones.
func (w WarmPoolView) Running() int {
	return len(w.Instances) - w.Parked()
}

// Parked returns how many of the pool's instances are Warmed:Stopped or
// Warmed:Hibernated: "With stopped instances, you pay only for the volumes
// that you use and the Elastic IP addresses attached to the instances"
// (Warm pools for Amazon EC2 Auto Scaling, "Warm pool instance state").
func (w WarmPoolView) Parked() int {
	return w.Count(StateWarmedStopped) + w.Count(StateWarmedHibernated)
}

// warmStateFor maps a pool state to the lifecycle state of the instances
// resting in it.
func warmStateFor(poolState string) string {
	switch poolState {
	case PoolStateRunning:
		return StateWarmedRunning
	case PoolStateHibernated:
		return StateWarmedHibernated
	default:
		return StateWarmedStopped
	}
}

// warmSize is the number of instances the pool is kept at: "the
// difference between the MaxGroupPreparedCapacity and the desired
// capacity" (the group's MaxSize when MaxGroupPreparedCapacity is not
// set), never below 0, and never below MinSize ("If the desired capacity
// of the Auto Scaling group is higher than the MaxGroupPreparedCapacity,
// the capacity of the warm pool is 0, unless you specify a value for
// MinSize", API_PutWarmPool). A pool being deleted is kept at 0.
func (g *group) warmSize() int {
	w := g.warm
	if w == nil || w.deleting {
		return 0
	}
	prepared := g.max
	if w.maxPrepared >= 0 {
		prepared = w.maxPrepared
	}
	return max(w.minSize, prepared-g.desired, 0)
}

// warmCount counts the pool's instances that are not terminating.
func (w *warmPool) warmCount() int {
	n := 0
	for _, in := range w.instances {
		if in.state != StateWarmedTerminating {
			n++
		}
	}
	return n
}

func (s *Service) warmStartTimeFor(group, poolState string) time.Duration {
	d, ok := s.warmStart[poolState]
	if !ok {
		d = DefaultWarmStartStopped
	}
	if s.warmStartFunc != nil {
		d = s.warmStartFunc(group, poolState)
	}
	return max(d, 0)
}

// fillWarm launches instances into the pool or terminates its surplus
// until it holds warmSize instances, unless Launch or Terminate is
// suspended.
func (s *Service) fillWarm(g *group, t time.Time) {
	w := g.warm
	if w == nil {
		return
	}
	n, size := w.warmCount(), g.warmSize()
	for ; n < size && !g.isSuspended(ProcessLaunch); n++ {
		s.launchWarm(g, t)
	}
	if n > size && !g.isSuspended(ProcessTerminate) {
		s.removeWarm(g, t, n-size)
	}
}

func (s *Service) launchWarm(g *group, t time.Time) {
	n := s.nextID()
	in := &warmInstance{
		id:         fmt.Sprintf("i-%017x", n),
		az:         availabilityZones[int(n%uint64(len(availabilityZones)))],
		launchedAt: t,
	}
	// Without a hook the launch time covers the move into the pool state
	// ("Warmed:Pending" then the pool state, Warm pools for Amazon EC2 Auto
	// Scaling); behind a hook, the move follows the hook's wait.
	move := time.Duration(0)
	if s.warmHookWait > 0 {
		move = s.warmStartTimeFor(g.name, g.warm.poolState)
	}
	s.enter(in, t.Add(s.launchTimeFor(g.name)), move)
	a := &activity{
		// The description AWS writes for a launch into the pool, as its
		// published walkthroughs show it.
		description: "Launching a new EC2 instance into warm pool: " + in.id,
		cause:       fmt.Sprintf("At %s an instance was launched into the warm pool in response to a difference between the warm pool's size and its number of instances.", causeTime(t)),
		details:     fmt.Sprintf(`{"Availability Zone":"%s"}`, in.az),
		status:      activityInProgress,
		start:       t,
	}
	s.addActivity(g, a)
	in.launch = a
	g.warm.instances = append(g.warm.instances, in)
	stepEntering(g, in, t)
}

// stepEntering moves an entering instance through the states whose end
// has come by t.
func stepEntering(g *group, in *warmInstance, t time.Time) {
	for in.entering() && !in.nextChange().After(t) {
		switch {
		case in.hooked && in.state == StateWarmedPending:
			in.state = StateWarmedWait
		case in.hooked && in.state == StateWarmedWait:
			in.state = StateWarmedProceed
		default:
			warmed(g, in)
		}
	}
}

// warmed ends an instance's Warmed:Pending: it rests in the pool state.
func warmed(g *group, in *warmInstance) {
	in.state = warmStateFor(g.warm.poolState)
	finish(g, in.launch, activitySuccessful, in.readyAt)
}

// removeWarm terminates k instances of the pool: the newest Warmed:Pending
// ones first (they have cost the least so far), then the newest warmed
// ones.
func (s *Service) removeWarm(g *group, t time.Time, k int) {
	var victims []*warmInstance
	for _, pending := range []bool{true, false} {
		for i := len(g.warm.instances) - 1; i >= 0 && len(victims) < k; i-- {
			in := g.warm.instances[i]
			if in.state != StateWarmedTerminating && in.entering() == pending {
				victims = append(victims, in)
			}
		}
	}
	for _, in := range victims {
		s.terminateWarm(g, in, t)
	}
	s.dropGoneWarm(g, t)
}

func (s *Service) terminateWarm(g *group, in *warmInstance, t time.Time) {
	if in.entering() {
		finish(g, in.launch, activityCancelled, t)
	}
	a := &activity{
		description: "Terminating EC2 instance: " + in.id,
		cause:       fmt.Sprintf("At %s an instance was taken out of the warm pool in response to a difference between the warm pool's size and its number of instances.", causeTime(t)),
		details:     fmt.Sprintf(`{"Availability Zone":"%s"}`, in.az),
		status:      activityInProgress,
		start:       t,
	}
	s.addActivity(g, a)
	in.terminate = a
	in.state = StateWarmedTerminating
	in.goneAt = t.Add(s.terminateTime)
}

// dropGoneWarm removes the instances whose termination has ended by t,
// and the pool itself once a pool being deleted is empty.
func (s *Service) dropGoneWarm(g *group, t time.Time) {
	w := g.warm
	kept := w.instances[:0]
	for _, in := range w.instances {
		if in.state == StateWarmedTerminating && !in.goneAt.After(t) {
			finish(g, in.terminate, activitySuccessful, in.goneAt)
			continue
		}
		kept = append(kept, in)
	}
	clear(w.instances[len(kept):])
	w.instances = kept
	if w.deleting && len(w.instances) == 0 {
		g.warm = nil
	}
}

// takeWarm moves one instance from the pool into the group for a
// scale-out, and returns it, or nil when the pool had none. It takes the instance
// that entered the pool first among those resting in the pool state and,
// when none is, the Warmed:Pending instance that finishes its launch
// first, which then becomes InService when its launch ends: AWS documents
// cold starts only for a depleted pool ("If your warm pool is depleted
// when there is a scale-out event, instances will launch directly into
// the Auto Scaling group", Warm pools for Amazon EC2 Auto Scaling,
// Limitations).
func (s *Service) takeWarm(g *group, t time.Time, cause string, active int) *instance {
	w := g.warm
	if w == nil || w.deleting {
		return nil
	}
	pick := -1
	for i, in := range w.instances {
		if in.resting() {
			pick = i
			break
		}
	}
	if pick < 0 {
		for i, in := range w.instances {
			if in.entering() && (pick < 0 || in.initialised().Before(w.instances[pick].initialised())) {
				pick = i
			}
		}
	}
	if pick < 0 {
		return nil
	}
	wi := w.instances[pick]
	w.instances = slices.Delete(w.instances, pick, pick+1)

	var readyAt time.Time
	if wi.entering() {
		// Still running: InService once its launch and hook are done.
		readyAt = wi.initialised()
		if readyAt.Before(t) {
			readyAt = t
		}
		finish(g, wi.launch, activitySuccessful, t)
	} else {
		readyAt = t.Add(s.warmStartTimeFor(g.name, w.poolState))
	}
	// AWS refuses a warm pool on a group with a mixed instances policy
	// (Warm pools for Amazon EC2 Auto Scaling, Limitations), so a warm
	// instance is of the launch template's type and weighs one unit.
	in := &instance{id: wi.id, az: wi.az, state: StatePending, launchedAt: t, readyAt: readyAt, warm: true}
	in.instanceType = g.nextInstanceType()
	in.weight = g.weightOf(in.instanceType)
	a := &activity{
		// AWS's description of a warm start, as its published
		// walkthroughs show it.
		description: "Launching a new EC2 instance from warm pool: " + in.id,
		cause: joinCause(cause, fmt.Sprintf("At %s an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.",
			causeTime(t), active, active+in.weight)),
		details: fmt.Sprintf(`{"Availability Zone":"%s"}`, in.az),
		status:  activityInProgress,
		start:   t,
	}
	s.addActivity(g, a)
	in.launch = a
	g.instances = append(g.instances, in)
	if !in.readyAt.After(t) {
		becomeInService(g, in)
	}
	return in
}

// returnToWarm puts an instance a scale-in removes back into the pool
// when the pool's InstanceReusePolicy says ReuseOnScaleIn ("Indicates
// whether instances in the Auto Scaling group can be returned to the warm
// pool on scale in", API_PutWarmPool), and reports whether it did. The
// instance is Warmed:Pending while it is brought to the pool state, which
// the emulator takes to last as long as a warm start from that state.
func (s *Service) returnToWarm(g *group, in *instance, t time.Time, cause string, active int) bool {
	w := g.warm
	if w == nil || w.deleting || !w.reuse {
		return false
	}
	wi := &warmInstance{id: in.id, az: in.az, launchedAt: in.launchedAt}
	s.enter(wi, t, s.warmStartTimeFor(g.name, w.poolState))
	a := &activity{
		description: "Moving EC2 instance to warm pool: " + in.id,
		cause: joinCause(cause, fmt.Sprintf("At %s an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from %d to %d.",
			causeTime(t), active, active-1)),
		details: fmt.Sprintf(`{"Availability Zone":"%s"}`, in.az),
		status:  activityInProgress,
		start:   t,
	}
	s.addActivity(g, a)
	wi.launch = a
	w.instances = append(w.instances, wi)
	stepEntering(g, wi, t)
	return true
}

// warmNextEvent offers the pool's next transitions to consider.
func (g *group) warmNextEvent(consider func(time.Time)) {
	if g.warm == nil {
		return
	}
	for _, in := range g.warm.instances {
		switch {
		case in.entering():
			consider(in.nextChange())
		case in.state == StateWarmedTerminating:
			consider(in.goneAt)
		}
	}
}

// stepWarm processes the pool's transitions due at t.
func (s *Service) stepWarm(g *group, t time.Time) {
	if g.warm == nil {
		return
	}
	for _, in := range g.warm.instances {
		stepEntering(g, in, t)
	}
	s.dropGoneWarm(g, t)
}

// warmUpdate is what a PutWarmPool changes: nil members keep the pool's
// current value, or the default for a new pool (MinSize 0,
// MaxGroupPreparedCapacity unset, PoolState Stopped, no reuse). AWS keeps
// a member the request leaves out: Terraform's AWS provider, which sends
// no MinSize of 0, leaves the pool's earlier MinSize in place
// (hashicorp/terraform-provider-aws#44732).
type warmUpdate struct {
	minSize, maxPrepared *int
	poolState            *string
	reuse                *bool
}

// fullUpdate turns a Go API spec into an update of every member.
func fullUpdate(spec WarmPoolSpec) warmUpdate {
	prepared := -1
	if spec.MaxGroupPreparedCapacity != nil {
		prepared = *spec.MaxGroupPreparedCapacity
	}
	return warmUpdate{
		minSize: &spec.MinSize, maxPrepared: &prepared,
		poolState: new(cmp.Or(spec.PoolState, PoolStateStopped)),
		reuse:     &spec.ReuseOnScaleIn,
	}
}

// putWarmPool creates or changes the warm pool of g and brings it to its
// size.
func (s *Service) putWarmPool(g *group, u warmUpdate, t time.Time) *apiError {
	if g.warm != nil && g.warm.deleting {
		// AWS does not document this case; a pool being deleted is not
		// revived half-way.
		return &apiError{status: http.StatusBadRequest, code: "ResourceInUse", message: fmt.Sprintf("The warm pool of AutoScalingGroup %s is being deleted.", g.name)}
	}
	if u.poolState != nil {
		if st := *u.poolState; st != PoolStateStopped && st != PoolStateRunning && st != PoolStateHibernated {
			return validationf("1 validation error detected: Value '%s' at 'poolState' failed to satisfy constraint: Member must satisfy enum value set: [Stopped, Running, Hibernated]", st)
		}
	}
	if u.minSize != nil && (*u.minSize < 0 || *u.minSize > maxCapacity) {
		return validationf("MinSize must be between 0 and %d", maxCapacity)
	}
	if u.maxPrepared != nil && (*u.maxPrepared < -1 || *u.maxPrepared > maxCapacity) {
		return validationf("MaxGroupPreparedCapacity must be between -1 and %d", maxCapacity)
	}
	w := g.warm
	if w == nil {
		w = &warmPool{maxPrepared: -1, poolState: PoolStateStopped}
		g.warm = w
	}
	if u.minSize != nil {
		w.minSize = *u.minSize
	}
	if u.maxPrepared != nil {
		w.maxPrepared = *u.maxPrepared
	}
	if u.reuse != nil {
		w.reuse, w.reuseSet = *u.reuse, true
	}
	if u.poolState != nil && *u.poolState != w.poolState {
		// Instances already resting move to the new state; AWS does not
		// document the transition, so it takes no time here.
		w.poolState = *u.poolState
		for _, in := range w.instances {
			if in.resting() {
				in.state = warmStateFor(w.poolState)
			}
		}
	}
	s.fillWarm(g, t)
	return nil
}

func (s *Service) putWarmPoolAPI(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	var u warmUpdate
	if u.minSize, err = p.int("MinSize", maxCapacity); err != nil {
		return nil, err
	}
	if v, ok := p.str("MaxGroupPreparedCapacity"); ok {
		// The only member of the API that takes -1 ("To remove a value
		// that you previously set, include the property but specify -1
		// for the value", API_PutWarmPool).
		switch v = strings.TrimSpace(v); {
		case v == "-1":
			u.maxPrepared = new(-1)
		case strings.HasPrefix(v, "-"):
			return nil, validationf("1 validation error detected: Value '%s' at 'maxGroupPreparedCapacity' failed to satisfy constraint: Member must have value greater than or equal to -1", v)
		default:
			if u.maxPrepared, err = p.int("MaxGroupPreparedCapacity", maxCapacity); err != nil {
				return nil, err
			}
		}
	}
	if v, ok := p.str("PoolState"); ok {
		u.poolState = &v
	}
	if u.reuse, err = p.bool("InstanceReusePolicy.ReuseOnScaleIn"); err != nil {
		return nil, err
	}
	return nil, s.putWarmPool(g, u, now)
}

func (s *Service) describeWarmPool(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	maxRecords, err := p.maxRecords(maxWarmPoolRecords)
	if err != nil {
		return nil, err
	}
	if maxRecords > maxWarmPoolRecords {
		return nil, validationf("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to %d", maxRecords, maxWarmPoolRecords)
	}
	after := ""
	if tok, ok := p.str("NextToken"); ok {
		if after, ok = decodeToken(tok, "warm:"+g.name+":"); !ok {
			return nil, invalidToken(tok)
		}
	}
	res := xmlWarmPoolResult{Instances: []xmlInstance{}}
	if g.warm == nil {
		// A group without a warm pool answers with no configuration and
		// no instances; Terraform's AWS provider reads a missing
		// WarmPoolConfiguration as "no warm pool".
		return res, nil
	}
	res.WarmPoolConfiguration = warmConfig(g.warm)
	// Pages run in instance id order, which new ids keep increasing, so
	// that a token stays valid while instances come and go.
	ins := slices.Clone(g.warm.instances)
	slices.SortFunc(ins, func(a, b *warmInstance) int { return cmp.Compare(a.id, b.id) })
	for _, in := range ins {
		if after != "" && in.id <= after {
			continue
		}
		if len(res.Instances) == s.page(maxRecords) {
			res.NextToken = encodeToken("warm:"+g.name+":", res.Instances[len(res.Instances)-1].InstanceId)
			break
		}
		res.Instances = append(res.Instances, xmlInstance{
			AvailabilityZone: in.az,
			HealthStatus:     "Healthy",
			InstanceId:       in.id,
			InstanceType:     "m5.large",
			LaunchTemplate:   groupLaunchTemplate(g),
			LifecycleState:   in.state,
		})
	}
	return res, nil
}

func (s *Service) deleteWarmPool(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	force, err := p.bool("ForceDelete")
	if err != nil {
		return nil, err
	}
	return nil, s.deleteWarm(g, force != nil && *force, now)
}

// deleteWarm deletes the pool of g. Without force, a pool that still has
// instances is refused, as AWS refuses it ("If there are instances in the
// warm pool, or if scaling activities are in progress, use ...
// --force-delete", AWS CLI examples for working with warm pools); with
// force, its instances terminate and the pool shows Status PendingDelete
// until the last one is gone.
func (s *Service) deleteWarm(g *group, force bool, t time.Time) *apiError {
	w := g.warm
	if w == nil {
		// The message AWS answers with (matched by Terraform's AWS
		// provider, which treats it as already deleted).
		return validationf("No warm pool found for AutoScalingGroup %s", g.name)
	}
	if !force && len(w.instances) > 0 {
		for _, in := range w.instances {
			if !in.resting() {
				return &apiError{status: http.StatusBadRequest, code: "ScalingActivityInProgress", message: "You cannot delete a warm pool while there are scaling activities in progress for it."}
			}
		}
		return &apiError{status: http.StatusBadRequest, code: "ResourceInUse", message: "You cannot delete a warm pool while there are instances in it."}
	}
	w.deleting = true
	for _, in := range w.instances {
		if in.state != StateWarmedTerminating {
			s.terminateWarm(g, in, t)
		}
	}
	s.dropGoneWarm(g, t)
	return nil
}

func warmConfig(w *warmPool) *xmlWarmPoolConfiguration {
	c := &xmlWarmPoolConfiguration{MinSize: w.minSize, PoolState: w.poolState}
	if w.maxPrepared >= 0 {
		c.MaxGroupPreparedCapacity = new(w.maxPrepared)
	}
	if w.deleting {
		c.Status = warmPoolPendingDelete
	}
	if w.reuseSet {
		c.InstanceReusePolicy = &xmlInstanceReusePolicy{ReuseOnScaleIn: w.reuse}
	}
	return c
}

// describeWarm adds the warm pool's configuration and size to a group's
// description, as DescribeAutoScalingGroups shows them (WarmPoolSize is
// "The current size of the warm pool", API_AutoScalingGroup).
func describeWarm(g *group, x *xmlGroup) {
	if g.warm == nil {
		return
	}
	x.WarmPoolConfiguration = warmConfig(g.warm)
	n := len(g.warm.instances)
	x.WarmPoolSize = &n
}

func groupLaunchTemplate(g *group) *xmlLaunchTemplate {
	if g.launchTemplate == nil {
		return nil
	}
	return &xmlLaunchTemplate{LaunchTemplateId: g.launchTemplate.id, LaunchTemplateName: g.launchTemplate.name, Version: g.launchTemplate.version}
}

// warmView returns the snapshot of the pool of g, or nil.
func warmView(g *group) *WarmPoolView {
	w := g.warm
	if w == nil {
		return nil
	}
	v := &WarmPoolView{
		MinSize: w.minSize, MaxGroupPreparedCapacity: w.maxPrepared,
		PoolState: w.poolState, ReuseOnScaleIn: w.reuse,
		PendingDelete: w.deleting, Size: g.warmSize(),
	}
	for _, in := range w.instances {
		v.Instances = append(v.Instances, WarmInstanceView{ID: in.id, State: in.state, LaunchedAt: in.launchedAt})
	}
	return v
}

// PutWarmPool creates or changes the named group's warm pool as
// PutWarmPool does with every member given: spec replaces the pool's
// whole configuration. The error carries AWS's code and message.
func (s *Service) PutWarmPool(name string, spec WarmPoolSpec) error {
	s.lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	s.advanceAll(now)
	g, ok := s.groups[name]
	if !ok {
		return fmt.Errorf("put warm pool of group %q: %w", name, notFound(name))
	}
	if err := s.putWarmPool(g, fullUpdate(spec), now); err != nil {
		return fmt.Errorf("put warm pool of group %q: %w", name, err)
	}
	return nil
}

// SetWarmStartTime sets how long an instance taken from a warm pool in
// poolState (PoolStateStopped, PoolStateRunning or PoolStateHibernated)
// stays Pending before it is InService. Instances already starting keep
// their time.
func (s *Service) SetWarmStartTime(poolState string, d time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	s.warmStart[poolState] = d
}

// SetWarmStartTimeFunc overrides the warm start time per instance taken
// from a warm pool, e.g. with random draws; nil restores the fixed times.
// f runs under the service's lock and must not call the service.
func (s *Service) SetWarmStartTimeFunc(f func(group, poolState string) time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	s.warmStartFunc = f
}

// createWarm gives a group created through the Go API its warm pool;
// warmed puts the first pool instances in the pool state at once.
func (s *Service) createWarm(g *group, spec WarmPoolSpec, warmedNow bool, t time.Time) *apiError {
	if err := s.putWarmPool(g, fullUpdate(spec), t); err != nil {
		return err
	}
	if warmedNow {
		for _, in := range g.warm.instances {
			if in.entering() {
				in.readyAt = t
				warmed(g, in)
			}
		}
	}
	return nil
}

// SetWarmLaunchHookWait stands in for a launch lifecycle hook
// (autoscaling:EC2_INSTANCE_LAUNCHING) on every group with a warm pool: an
// instance entering a pool waits d in Warmed:Pending:Wait after its launch
// (the hook's action completing after d), then is Warmed:Pending:Proceed
// while it is brought to the pool state, which the emulator takes to last
// as long as a warm start from that state ("Use lifecycle hooks with a
// warm pool", EC2 Auto Scaling User Guide). Zero, the default, is no
// hook: instances go from Warmed:Pending straight to the pool state.
// Instances already entering keep their times.
func (s *Service) SetWarmLaunchHookWait(d time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	s.warmHookWait = max(d, 0)
}
