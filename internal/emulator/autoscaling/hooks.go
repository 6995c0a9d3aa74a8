package autoscaling

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// Lifecycle hooks, after "Amazon EC2 Auto Scaling lifecycle hooks" (User
// Guide) and the PutLifecycleHook, CompleteLifecycleAction and
// RecordLifecycleActionHeartbeat API references:
//
//	launch:    Pending -> Pending:Wait -> Pending:Proceed -> InService
//	terminate: Terminating -> Terminating:Wait -> Terminating:Proceed -> Terminated
//
// An instance enters the wait state when the group has a hook for the
// transition, and leaves it once every such hook's action is complete:
// by CompleteLifecycleAction, by the group's own auto-completion (a Go API
// setting that models a bootstrap or drain script), or when the hook's
// heartbeat timeout passes, with the hook's DefaultResult. A heartbeat
// restarts the timeout; no heartbeat extends the wait beyond the global
// timeout. A launch abandoned by any hook terminates the instance and the
// group launches a replacement; a terminating instance is terminated
// whatever the result.

// Wait and proceed states of the lifecycle hooks (types.LifecycleState).
const (
	StatePendingWait        = "Pending:Wait"
	StatePendingProceed     = "Pending:Proceed"
	StateTerminatingWait    = "Terminating:Wait"
	StateTerminatingProceed = "Terminating:Proceed"
)

// Lifecycle transitions a hook attaches to, and the results of an action.
const (
	TransitionLaunching   = "autoscaling:EC2_INSTANCE_LAUNCHING"
	TransitionTerminating = "autoscaling:EC2_INSTANCE_TERMINATING"
	ResultContinue        = "CONTINUE"
	ResultAbandon         = "ABANDON"
)

const (
	// defaultHeartbeat, minHeartbeat and maxHeartbeat are HeartbeatTimeout's
	// default and range in seconds (PutLifecycleHook: "The range is from
	// 30 to 7200 seconds. The default value is 3600 seconds").
	defaultHeartbeat = 3600
	minHeartbeat     = 30
	maxHeartbeat     = 7200
	// maxGlobalTimeout and globalTimeoutFactor: an instance stays in a wait
	// state at most "172800 seconds (48 hours) or 100 times
	// HeartbeatTimeout, whichever is smaller" (LifecycleHook).
	maxGlobalTimeout    = 172800
	globalTimeoutFactor = 100
	// maxHooks is AWS's quota of lifecycle hooks per Auto Scaling group.
	maxHooks = 50
	// activityMidLifecycle is the status of a launch or termination
	// activity while its instance waits on a hook.
	activityMidLifecycle = "MidLifecycleAction"
)

// hookName is the pattern of LifecycleHookName ([A-Za-z0-9\-_\/]+).
var hookName = regexp.MustCompile(`^[A-Za-z0-9\-_/]{1,255}$`)

type lifecycleHook struct {
	name, transition, defaultResult string
	heartbeat                       int // seconds
	notificationTarget, role, meta  string
}

func (h *lifecycleHook) globalTimeout() int {
	return min(maxGlobalTimeout, globalTimeoutFactor*h.heartbeat)
}

// lifecycleAction is one hook's hold on one instance in a wait state.
type lifecycleAction struct {
	hook           *lifecycleHook
	token          string
	deadline       time.Time // heartbeat timeout
	globalDeadline time.Time
	autoAt         time.Time // auto-completion with CONTINUE; zero: none
	result         string    // "" while open
}

func (a *lifecycleAction) due() time.Time {
	t := a.deadline
	if a.globalDeadline.Before(t) {
		t = a.globalDeadline
	}
	if !a.autoAt.IsZero() && a.autoAt.Before(t) {
		t = a.autoAt
	}
	return t
}

// launching reports whether state is a launch state (Pending and its
// hook states).
func launching(state string) bool {
	return state == StatePending || state == StatePendingWait || state == StatePendingProceed
}

// activityOpen reports whether an activity in this status is unfinished.
func activityOpen(status string) bool {
	return status == activityInProgress || status == activityMidLifecycle
}

func (g *group) hasHook(transition string) bool {
	for _, h := range g.hooks {
		if h.transition == transition {
			return true
		}
	}
	return false
}

func (g *group) hooksFor(transition string) []*lifecycleHook {
	if len(g.hooks) == 0 {
		return nil
	}
	var out []*lifecycleHook
	for _, name := range sortedKeys(g.hooks) {
		if h := g.hooks[name]; h.transition == transition {
			out = append(out, h)
		}
	}
	return out
}

// startWait puts in into the wait state of transition at t if the group
// has hooks for it, and reports whether it did.
func (s *Service) startWait(g *group, in *instance, transition string, t time.Time) bool {
	hooks := g.hooksFor(transition)
	if len(hooks) == 0 {
		return false
	}
	in.actions = in.actions[:0]
	for _, h := range hooks {
		a := &lifecycleAction{
			hook:           h,
			token:          uuidFrom(s.nextID()),
			deadline:       t.Add(time.Duration(h.heartbeat) * time.Second),
			globalDeadline: t.Add(time.Duration(h.globalTimeout()) * time.Second),
		}
		if g.hookDelay > 0 {
			a.autoAt = t.Add(g.hookDelay)
		}
		in.actions = append(in.actions, a)
	}
	act := in.launch
	in.state = StatePendingWait
	if transition == TransitionTerminating {
		act = in.terminate
		in.state = StateTerminatingWait
	}
	if act != nil && activityOpen(act.status) {
		act.status = activityMidLifecycle
	}
	return true
}

// waitEvent is when the next action of a waiting instance times out or
// completes on its own.
func (in *instance) waitEvent() (time.Time, bool) {
	var next time.Time
	found := false
	for _, a := range in.actions {
		if a.result != "" {
			continue
		}
		if d := a.due(); !found || d.Before(next) {
			next, found = d, true
		}
	}
	return next, found
}

// instanceEvent is the time of in's next lifecycle event, if any.
func (in *instance) instanceEvent() (time.Time, bool) {
	switch in.state {
	case StatePending:
		return in.readyAt, true
	case StatePendingWait, StateTerminatingWait:
		// An instance leaves the wait state as soon as its last action
		// is resolved, so one is always open here.
		return in.waitEvent()
	case StatePendingProceed:
		return in.proceedAt, true
	case StateTerminating, StateTerminatingProceed:
		return in.goneAt, true
	case StateEnteringStandby:
		return in.standbyAt, true
	}
	return time.Time{}, false
}

// stepInstance makes in's lifecycle transition due at t, if any. It
// reports whether the instance stays in the group and whether the group
// lost capacity it must replace.
func (s *Service) stepInstance(g *group, in *instance, t time.Time) (keep, replace bool) {
	switch in.state {
	case StatePending:
		if in.readyAt.After(t) {
			return true, false
		}
		if !in.fromStandby && s.startWait(g, in, TransitionLaunching, in.readyAt) {
			return true, false
		}
		in.fromStandby = false
		becomeInService(g, in)
	case StateEnteringStandby:
		if !in.standbyAt.After(t) {
			in.state = StateStandby
			finish(g, in.standby, activitySuccessful, in.standbyAt)
		}
	case StatePendingWait, StateTerminatingWait:
		for _, a := range in.actions {
			if a.result != "" || a.due().After(t) {
				continue
			}
			if !a.autoAt.IsZero() && !a.autoAt.After(t) {
				a.result = ResultContinue
			} else {
				a.result = a.hook.defaultResult
			}
		}
		return true, s.settle(g, in, t)
	case StatePendingProceed:
		if !in.proceedAt.After(t) {
			in.readyAt = in.proceedAt
			becomeInService(g, in)
		}
	case StateTerminating, StateTerminatingProceed:
		if !in.goneAt.After(t) {
			finish(g, in.terminate, activitySuccessful, in.goneAt)
			return false, false
		}
	}
	return true, false
}

// settle moves a waiting instance on once every action has a result, and
// reports whether an abandoned launch needs a replacement.
func (s *Service) settle(g *group, in *instance, t time.Time) bool {
	result := ResultContinue
	for _, a := range in.actions {
		switch a.result {
		case "":
			return false
		case ResultAbandon:
			result = ResultAbandon
		}
	}
	in.actions = nil
	if in.state == StateTerminatingWait {
		// Terminating goes on whatever the result.
		in.state = StateTerminatingProceed
		in.goneAt = t.Add(s.terminateTime)
		if in.terminate != nil && in.terminate.status == activityMidLifecycle {
			in.terminate.status = activityInProgress
		}
		return false
	}
	if result == ResultAbandon {
		if in.launch != nil {
			in.launch.statusMessage = "Instance failed to complete user's Lifecycle Action: Lifecycle Action was abandoned: Lifecycle Action Completed with ABANDON Result"
			finish(g, in.launch, activityFailed, t)
		}
		in.state = StateTerminating
		in.goneAt = t.Add(s.terminateTime)
		return true
	}
	in.state = StatePendingProceed
	in.proceedAt = t.Add(s.proceedTime)
	if in.launch != nil && in.launch.status == activityMidLifecycle {
		in.launch.status = activityInProgress
	}
	return false
}

func (s *Service) putLifecycleHook(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	name, err := p.required("LifecycleHookName")
	if err != nil {
		return nil, err
	}
	if !hookName.MatchString(name) {
		return nil, validationf("1 validation error detected: Value '%s' at 'lifecycleHookName' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9\\-_\\/]+", name)
	}
	h, exists := g.hooks[name]
	next := lifecycleHook{name: name, heartbeat: defaultHeartbeat, defaultResult: ResultAbandon}
	if exists {
		next = *h
	} else if len(g.hooks) >= maxHooks {
		return nil, &apiError{status: http.StatusBadRequest, code: "LimitExceeded", message: fmt.Sprintf("Cannot add more than %d lifecycle hooks to an Auto Scaling group", maxHooks)}
	}
	if v, ok := p.str("LifecycleTransition"); ok {
		if v != TransitionLaunching && v != TransitionTerminating {
			return nil, validationf("Invalid Lifecycle Transition '%s'. Valid transitions are %s and %s", v, TransitionLaunching, TransitionTerminating)
		}
		next.transition = v
	}
	if next.transition == "" {
		return nil, validationf("A Lifecycle Transition must be specified when creating a Lifecycle Hook")
	}
	if v, ok := p.str("DefaultResult"); ok {
		if v != ResultContinue && v != ResultAbandon {
			return nil, validationf("Valid values for DefaultResult are %s and %s", ResultContinue, ResultAbandon)
		}
		next.defaultResult = v
	}
	hb, err := p.int("HeartbeatTimeout", maxHeartbeat)
	if err != nil {
		return nil, err
	}
	if hb != nil {
		if *hb < minHeartbeat {
			return nil, validationf("Heartbeat timeout must be between %d and %d seconds", minHeartbeat, maxHeartbeat)
		}
		next.heartbeat = *hb
	}
	for key, dst := range map[string]*string{
		"NotificationTargetARN": &next.notificationTarget,
		"RoleARN":               &next.role,
		"NotificationMetadata":  &next.meta,
	} {
		if v, ok := p.str(key); ok {
			if !xmlText(v) {
				return nil, validationf("Invalid value for parameter %s", key)
			}
			*dst = v
		}
	}
	if exists {
		*h = next
	} else {
		g.hooks[name] = &next
	}
	return nil, nil
}

func (s *Service) describeLifecycleHooks(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	names, _ := p.list("LifecycleHookNames")
	res := xmlHooksResult{LifecycleHooks: []xmlHook{}}
	for _, name := range sortedKeys(g.hooks) {
		if len(names) > 0 && !slices.Contains(names, name) {
			continue
		}
		h := g.hooks[name]
		res.LifecycleHooks = append(res.LifecycleHooks, xmlHook{
			AutoScalingGroupName:  g.name,
			DefaultResult:         h.defaultResult,
			GlobalTimeout:         h.globalTimeout(),
			HeartbeatTimeout:      h.heartbeat,
			LifecycleHookName:     h.name,
			LifecycleTransition:   h.transition,
			NotificationMetadata:  h.meta,
			NotificationTargetARN: h.notificationTarget,
			RoleARN:               h.role,
		})
	}
	return res, nil
}

// deleteLifecycleHook removes a hook. Actions it still holds complete
// first, as AWS documents: ABANDON for launching instances, CONTINUE for
// terminating ones.
func (s *Service) deleteLifecycleHook(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	name, err := p.required("LifecycleHookName")
	if err != nil {
		return nil, err
	}
	h, ok := g.hooks[name]
	if !ok {
		return nil, validationf("No Lifecycle Hook found for name %s in group %s", name, g.name)
	}
	delete(g.hooks, name)
	replace := false
	for _, in := range g.instances {
		for _, a := range in.actions {
			if a.hook == h && a.result == "" {
				a.result = ResultContinue
				if in.state == StatePendingWait {
					a.result = ResultAbandon
				}
				if s.settle(g, in, now) {
					replace = true
				}
			}
		}
	}
	if replace {
		s.reconcile(g, now)
	}
	return nil, nil
}

// findAction returns the open action of hook on the instance named by
// LifecycleActionToken or InstanceId.
func (s *Service) findAction(g *group, p params, hook string) (*instance, *lifecycleAction, *apiError) {
	token, hasToken := p.str("LifecycleActionToken")
	id, hasID := p.str("InstanceId")
	if !hasToken && !hasID {
		return nil, nil, validationf("Either LifecycleActionToken or InstanceId must be specified")
	}
	for _, in := range g.instances {
		if hasID && in.id != id {
			continue
		}
		for _, a := range in.actions {
			if a.result == "" && a.hook.name == hook && (!hasToken || a.token == token) {
				return in, a, nil
			}
		}
	}
	if hasID {
		return nil, nil, validationf("No active Lifecycle Action found with instance ID %s", id)
	}
	return nil, nil, validationf("No active Lifecycle Action found with token %s", token)
}

func (s *Service) completeLifecycleAction(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	hook, err := p.required("LifecycleHookName")
	if err != nil {
		return nil, err
	}
	result, err := p.required("LifecycleActionResult")
	if err != nil {
		return nil, err
	}
	if result != ResultContinue && result != ResultAbandon {
		return nil, validationf("Valid values for LifecycleActionResult are %s and %s", ResultContinue, ResultAbandon)
	}
	in, a, err := s.findAction(g, p, hook)
	if err != nil {
		return nil, err
	}
	a.result = result
	if s.settle(g, in, now) {
		s.reconcile(g, now)
	}
	return nil, nil
}

func (s *Service) recordLifecycleActionHeartbeat(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	hook, err := p.required("LifecycleHookName")
	if err != nil {
		return nil, err
	}
	_, a, err := s.findAction(g, p, hook)
	if err != nil {
		return nil, err
	}
	a.deadline = now.Add(time.Duration(a.hook.heartbeat) * time.Second)
	return nil, nil
}

// hookSpecs turns the Go API's hooks into the group's.
func hookSpecs(specs []HookSpec) (map[string]*lifecycleHook, error) {
	hooks := map[string]*lifecycleHook{}
	for _, h := range specs {
		hb := int(h.HeartbeatTimeout / time.Second)
		if h.HeartbeatTimeout == 0 {
			hb = defaultHeartbeat
		}
		result := h.DefaultResult
		if result == "" {
			result = ResultAbandon
		}
		switch {
		case !hookName.MatchString(h.Name):
			return nil, fmt.Errorf("lifecycle hook name %q does not match [A-Za-z0-9\\-_\\/]+", h.Name)
		case h.Transition != TransitionLaunching && h.Transition != TransitionTerminating:
			return nil, fmt.Errorf("lifecycle hook %q: transition %q", h.Name, h.Transition)
		case hb < minHeartbeat || hb > maxHeartbeat:
			return nil, fmt.Errorf("lifecycle hook %q: heartbeat timeout %s is outside %d..%d s", h.Name, h.HeartbeatTimeout, minHeartbeat, maxHeartbeat)
		case result != ResultContinue && result != ResultAbandon:
			return nil, fmt.Errorf("lifecycle hook %q: default result %q", h.Name, result)
		}
		hooks[h.Name] = &lifecycleHook{name: h.Name, transition: h.Transition, heartbeat: hb, defaultResult: result}
	}
	return hooks, nil
}

func init() {
	// Registered here rather than in service.go's table so that the
	// lifecycle hook operations live in one file.
	handlers["PutLifecycleHook"] = (*Service).putLifecycleHook
	handlers["DescribeLifecycleHooks"] = (*Service).describeLifecycleHooks
	handlers["DeleteLifecycleHook"] = (*Service).deleteLifecycleHook
	handlers["CompleteLifecycleAction"] = (*Service).completeLifecycleAction
	handlers["RecordLifecycleActionHeartbeat"] = (*Service).recordLifecycleActionHeartbeat
}

type xmlHooksResult struct {
	LifecycleHooks []xmlHook `xml:"LifecycleHooks>member"`
}

type xmlHook struct {
	AutoScalingGroupName  string
	DefaultResult         string
	GlobalTimeout         int
	HeartbeatTimeout      int
	LifecycleHookName     string
	LifecycleTransition   string
	NotificationMetadata  string `xml:",omitempty"`
	NotificationTargetARN string `xml:",omitempty"`
	RoleARN               string `xml:",omitempty"`
}
