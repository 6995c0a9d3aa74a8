package autoscaling

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// GroupSpec creates a group through the Go API.
type GroupSpec struct {
	Name     string
	Min, Max int
	Desired  int
	Tags     map[string]string
	// StartInService puts the first instances InService at once instead
	// of Pending, and the first warm pool instances in the pool state,
	// for a world that is already running.
	StartInService bool
	// WarmPool, when set, gives the group a warm pool at creation.
	WarmPool *WarmPoolSpec
	// InstanceTypes, when set, give the group a mixed instances policy
	// with these types as launch template overrides, each with its
	// WeightedCapacity (Weight 0 on every type: no weights, one unit an
	// instance). Min, Max and Desired are then in units.
	InstanceTypes []WeightedType
	// CapacityType is the DesiredCapacityType (CapacityUnits,
	// CapacityVCPU, CapacityMemoryMiB); "" leaves it unset.
	CapacityType string
	// LaunchOrder is the cycle of instance types launches follow; empty:
	// the InstanceTypes in turn.
	LaunchOrder []string
	// LifecycleHooks are put on the group before its first launch.
	LifecycleHooks []HookSpec
	// HookCompleteAfter, when positive, completes every lifecycle action
	// with CONTINUE that long after the instance enters the wait state,
	// as a bootstrap (or drain) script calling CompleteLifecycleAction
	// would; a launch then takes the launch time plus this delay. Zero
	// leaves actions to CompleteLifecycleAction and the hooks' timeouts.
	HookCompleteAfter time.Duration
}

// HookSpec is a lifecycle hook given through the Go API.
type HookSpec struct {
	Name string
	// Transition is TransitionLaunching or TransitionTerminating.
	Transition string
	// HeartbeatTimeout is 30 s to 2 h; zero means AWS's default, 1 h.
	HeartbeatTimeout time.Duration
	// DefaultResult is ResultContinue or ResultAbandon; "" means AWS's
	// default, ABANDON.
	DefaultResult string
}

// WeightedType is one instance type of a mixed instances policy and the
// units one instance of it counts toward desired capacity.
type WeightedType struct {
	Type   string
	Weight int
}

// GroupView is a snapshot of one group.
type GroupView struct {
	Name, ARN         string
	Min, Max, Desired int
	// Instances are in launch order.
	Instances []InstanceView
	// Suspended lists suspended processes, sorted.
	Suspended []string
	Tags      map[string]string
	// RefreshInProgress reports an unfinished instance refresh.
	RefreshInProgress bool
	// WarmPool is the group's warm pool, nil without one. Its instances
	// are never in Instances.
	WarmPool *WarmPoolView
	// CapacityType is the DesiredCapacityType, "" when never set.
	CapacityType string
	// ProtectNew is NewInstancesProtectedFromScaleIn.
	ProtectNew bool
	// InstanceTypes are the overrides of the mixed instances policy with
	// the weight an instance of each type has now.
	InstanceTypes []WeightedType
}

// InstanceView is one instance of a group.
type InstanceView struct {
	ID string
	// State is StatePending, StateInService or StateTerminating.
	State      string
	LaunchedAt time.Time
	// InServiceAt is when the instance became InService; zero while Pending.
	InServiceAt time.Time
	// Warm reports an instance taken from the warm pool (a warm start)
	// rather than launched cold.
	Warm bool
	// InstanceType is the EC2 instance type; Weight the units the
	// instance counts toward desired capacity (1 in a group without
	// weights).
	InstanceType string
	Weight       int
	// Protected is ProtectedFromScaleIn.
	Protected bool
}

// Count returns how many instances are in state.
func (g GroupView) Count(state string) int {
	n := 0
	for _, in := range g.Instances {
		if in.State == state {
			n++
		}
	}
	return n
}

// Units returns the units of the instances in state.
func (g GroupView) Units(state string) int {
	n := 0
	for _, in := range g.Instances {
		if in.State == state {
			n += in.Weight
		}
	}
	return n
}

// InService returns how many instances are InService.
func (g GroupView) InService() int { return g.Count(StateInService) }

// Pending returns how many instances are Pending.
func (g GroupView) Pending() int { return g.Count(StatePending) }

// ActivityView is one scaling activity.
type ActivityView struct {
	ID          string
	Description string
	Cause       string
	Status      string
	Start, End  time.Time
}

// CreateGroup creates a group as CreateAutoScalingGroup does, with
// DesiredCapacity = spec.Desired. The error carries AWS's code and message.
func (s *Service) CreateGroup(spec GroupSpec) error {
	s.lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	s.advanceAll(now)
	in := createInput{name: spec.Name, min: spec.Min, max: spec.Max, desired: &spec.Desired, inService: spec.StartInService,
		capacityType: spec.CapacityType, launchOrder: spec.LaunchOrder}
	for _, k := range sortedKeys(spec.Tags) {
		in.tags = append(in.tags, tag{key: k, value: spec.Tags[k]})
	}
	if len(spec.InstanceTypes) > 0 {
		// Built as the SDK would send it, so that the same rules apply.
		v := url.Values{
			"MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateName": {spec.Name},
			"MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.Version":            {"$Default"},
		}
		for i, t := range spec.InstanceTypes {
			pre := fmt.Sprintf("MixedInstancesPolicy.LaunchTemplate.Overrides.member.%d.", i+1)
			v.Set(pre+"InstanceType", t.Type)
			if t.Weight != 0 {
				v.Set(pre+"WeightedCapacity", strconv.Itoa(t.Weight))
			}
		}
		mixed, err := readMixedPolicy(params{v})
		if err != nil {
			return fmt.Errorf("create group %q: %w", spec.Name, err)
		}
		in.mixed = mixed
	}
	for _, typ := range spec.LaunchOrder {
		if in.mixed == nil || !slices.ContainsFunc(in.mixed.overrides, func(o override) bool { return o.instanceType == typ }) {
			return fmt.Errorf("create group %q: launch order names %q, which is not one of its instance types", spec.Name, typ)
		}
	}
	hooks, err := hookSpecs(spec.LifecycleHooks)
	if err != nil {
		return fmt.Errorf("create group %q: %w", spec.Name, err)
	}
	in.hooks, in.hookDelay = hooks, spec.HookCompleteAfter
	if err := s.create(in, now); err != nil {
		return fmt.Errorf("create group %q: %w", spec.Name, err)
	}
	if spec.WarmPool != nil {
		if err := s.createWarm(s.groups[spec.Name], *spec.WarmPool, spec.StartInService, now); err != nil {
			delete(s.groups, spec.Name)
			s.names = nil
			return fmt.Errorf("create group %q: warm pool: %w", spec.Name, err)
		}
	}
	return nil
}

// Group returns a snapshot of the named group as of the clock's now.
func (s *Service) Group(name string) (GroupView, bool) {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	g, ok := s.groups[name]
	if !ok {
		return GroupView{}, false
	}
	v := GroupView{
		Name: g.name, ARN: g.arn,
		Min: g.min, Max: g.max, Desired: g.desired,
		Suspended:         sortedKeys(g.suspended),
		Tags:              map[string]string{},
		RefreshInProgress: g.activeRefresh() != nil,
		WarmPool:          warmView(g),
		CapacityType:      g.capacityType,
		ProtectNew:        g.protectNew,
	}
	if g.mixed != nil {
		for _, o := range g.mixed.overrides {
			v.InstanceTypes = append(v.InstanceTypes, WeightedType{Type: o.instanceType, Weight: g.weightOf(o.instanceType)})
		}
	}
	for _, in := range g.instances {
		v.Instances = append(v.Instances, InstanceView{ID: in.id, State: in.state, LaunchedAt: in.launchedAt, InServiceAt: in.inServiceAt,
			Warm: in.warm, InstanceType: in.instanceType, Weight: in.weight, Protected: in.protected})
	}
	for k, t := range g.tags {
		v.Tags[k] = t.value
	}
	return v, true
}

// GroupNames returns the names of all groups, sorted.
func (s *Service) GroupNames() []string {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	return sortedKeys(s.groups)
}

// Activities returns the group's scaling activities, oldest first.
func (s *Service) Activities(name string) []ActivityView {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	g, ok := s.groups[name]
	if !ok {
		return nil
	}
	out := make([]ActivityView, 0, len(g.activities))
	for _, a := range g.activities {
		out = append(out, ActivityView{ID: a.id, Description: a.description, Cause: a.cause, Status: a.status, Start: a.start, End: a.end})
	}
	return out
}

// SetLaunchTime sets how long new instances stay Pending. Instances
// already launching keep their time.
func (s *Service) SetLaunchTime(d time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	s.launchTime = d
}

// SetLaunchTimeFunc overrides the launch time per new instance, e.g. with
// random draws; nil restores the fixed time. f runs under the service's
// lock and must not call the service.
func (s *Service) SetLaunchTimeFunc(f func(group string) time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	s.launchTimeFunc = f
}

// SetTerminateTime sets how long removed instances stay Terminating; zero
// (the default) removes them at once.
func (s *Service) SetTerminateTime(d time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	s.terminateTime = d
}

// SetProceedTime sets how long a launching instance stays Pending:Proceed
// once its lifecycle actions are complete. AWS documents no duration for
// this state (it covers the launch's remaining steps, such as load
// balancer registration), so the default is zero: InService at once.
// A terminating instance stays Terminating:Proceed for the terminate time.
func (s *Service) SetProceedTime(d time.Duration) {
	s.lock()
	defer s.mu.Unlock()
	s.advanceAll(s.clk.Now())
	s.proceedTime = d
}

// SetGroupLimit sets the quota of groups beyond which creating one fails
// with LimitExceeded.
func (s *Service) SetGroupLimit(n int) {
	s.lock()
	defer s.mu.Unlock()
	s.groupLimit = n
}

// SetPageSize makes every Describe operation return at most n items per
// page whatever MaxRecords asks (0 restores MaxRecords). AWS documents that
// "a response can contain fewer items than the value specified by
// MaxRecords, even when more items are available"; this exercises callers'
// NextToken handling.
func (s *Service) SetPageSize(n int) {
	s.lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// page returns the number of items a page holds for maxRecords.
func (s *Service) page(maxRecords int) int {
	if s.pageSize > 0 && s.pageSize < maxRecords {
		return s.pageSize
	}
	return maxRecords
}

// CompleteInstanceRefresh marks the group's unfinished instance refresh
// Successful.
func (s *Service) CompleteInstanceRefresh(name string) error {
	s.lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	s.advanceAll(now)
	g, ok := s.groups[name]
	if !ok {
		return fmt.Errorf("complete instance refresh of group %q: %w", name, notFound(name))
	}
	r := g.activeRefresh()
	if r == nil {
		return fmt.Errorf("complete instance refresh of group %q: no refresh in progress", name)
	}
	r.status, r.percent, r.end = refreshSuccessful, 100, now
	return nil
}
