package appautoscaling

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// epoch is a timestamp as AWS JSON writes and reads it by default:
// seconds since the epoch, with a fraction.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(e).UnixMilli())/1000, 'f', 3, 64)), nil
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp %s: %w", b, err)
	}
	sec, frac := math.Modf(f)
	*e = epoch(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

type targetRef struct {
	ServiceNamespace  string `json:"ServiceNamespace"`
	ResourceID        string `json:"ResourceId"`
	ScalableDimension string `json:"ScalableDimension"`
}

func (r targetRef) key() key { return key{r.ServiceNamespace, r.ResourceID, r.ScalableDimension} }

// check validates a reference to one scalable target. Only ECS services
// are emulated: namespace ecs, dimension ecs:service:DesiredCount,
// resource service/CLUSTER/SERVICE.
func (r targetRef) check() *apiError {
	switch {
	case r.ServiceNamespace == "":
		return validation("ServiceNamespace is required")
	case r.ResourceID == "":
		return validation("ResourceId is required")
	case r.ScalableDimension == "":
		return validation("ScalableDimension is required")
	case r.ServiceNamespace != "ecs" || r.ScalableDimension != "ecs:service:DesiredCount":
		return validation("Unsupported service namespace or scalable dimension: %s, %s", r.ServiceNamespace, r.ScalableDimension)
	case !strings.HasPrefix(r.ResourceID, "service/") || strings.Count(r.ResourceID, "/") != 2:
		return validation("Unsupported resource ID %s: ECS resource IDs have the form service/CLUSTER/SERVICE", r.ResourceID)
	}
	return nil
}

func (s *Service) arn(kind, id string) string {
	return fmt.Sprintf("arn:aws:application-autoscaling:%s:%s:%s/%s", s.region, s.account, kind, id)
}

type registerInput struct {
	targetRef
	MinCapacity    *int            `json:"MinCapacity"`
	MaxCapacity    *int            `json:"MaxCapacity"`
	RoleARN        string          `json:"RoleARN"`
	SuspendedState json.RawMessage `json:"SuspendedState"`
}

func (s *Service) registerScalableTarget(body []byte) (any, *apiError) {
	var in registerInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if e := in.check(); e != nil {
		return nil, e
	}
	for name, v := range map[string]*int{"MinCapacity": in.MinCapacity, "MaxCapacity": in.MaxCapacity} {
		if v != nil && *v < 0 {
			return nil, validation("%s must be at least 0, got %d", name, *v)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := in.key()
	t := s.targets[k]
	if t == nil {
		if in.MinCapacity == nil || in.MaxCapacity == nil {
			// "When you register a new scalable target, you must specify
			// values for the minimum and maximum capacity."
			return nil, validation("MinCapacity and MaxCapacity are required when registering a new scalable target")
		}
		if _, ok := s.res.DesiredCount(in.ResourceID); !ok {
			return nil, validation("ECS service doesn't exist: %s", in.ResourceID)
		}
		t = &target{key: k, created: s.clk.Now(), arn: s.arn("scalable-target", s.nextID())}
	}
	lo, hi := t.min, t.max
	if in.MinCapacity != nil {
		lo = *in.MinCapacity
	}
	if in.MaxCapacity != nil {
		hi = *in.MaxCapacity
	}
	if lo > hi {
		return nil, validation("Minimum capacity cannot be greater than maximum capacity")
	}
	t.min, t.max = lo, hi
	if in.RoleARN != "" {
		t.roleARN = in.RoleARN
	}
	if in.SuspendedState != nil {
		t.suspend = in.SuspendedState
	}
	s.targets[k] = t
	s.clamp(t)
	return map[string]string{"ScalableTargetARN": t.arn}, nil
}

type targetOut struct {
	targetRef
	MinCapacity       int             `json:"MinCapacity"`
	MaxCapacity       int             `json:"MaxCapacity"`
	RoleARN           string          `json:"RoleARN"`
	CreationTime      epoch           `json:"CreationTime"`
	SuspendedState    json.RawMessage `json:"SuspendedState,omitempty"`
	ScalableTargetARN string          `json:"ScalableTargetARN"`
}

type pageInput struct {
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

// page returns the window [start, end) of n items a request asks for and
// the NextToken after it.
func (p pageInput) page(n, def int) (start, end int, next string, e *apiError) {
	size := def
	if p.MaxResults != nil {
		size = *p.MaxResults
		if size < 1 || size > def {
			return 0, 0, "", validation("MaxResults must be between 1 and %d", def)
		}
	}
	if p.NextToken != "" {
		v, err := strconv.Atoi(p.NextToken)
		if err != nil || v < 0 {
			return 0, 0, "", validation("Invalid NextToken")
		}
		start = v
	}
	start = min(start, n)
	end = min(start+size, n)
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

type describeTargetsInput struct {
	pageInput
	ServiceNamespace  string   `json:"ServiceNamespace"`
	ResourceIDs       []string `json:"ResourceIds"`
	ScalableDimension string   `json:"ScalableDimension"`
}

// sortedKeys lists keys in resource order, for stable pages.
func sortedKeys[V any](m map[key]V, keep func(key) bool) []key {
	var ks []key
	for k := range m {
		if keep(k) {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, func(a, b key) int {
		return strings.Compare(a.ns+"\x00"+a.resource+"\x00"+a.dim, b.ns+"\x00"+b.resource+"\x00"+b.dim)
	})
	return ks
}

func (s *Service) describeScalableTargets(body []byte) (any, *apiError) {
	var in describeTargetsInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if in.ServiceNamespace == "" {
		return nil, validation("ServiceNamespace is required")
	}
	if in.ScalableDimension != "" && len(in.ResourceIDs) == 0 {
		return nil, validation("If you specify a scalable dimension, you must also specify a resource ID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ks := sortedKeys(s.targets, func(k key) bool {
		return k.ns == in.ServiceNamespace && (len(in.ResourceIDs) == 0 || slices.Contains(in.ResourceIDs, k.resource)) &&
			(in.ScalableDimension == "" || k.dim == in.ScalableDimension)
	})
	start, end, next, e := in.page(len(ks), targetsPage)
	if e != nil {
		return nil, e
	}
	out := struct {
		ScalableTargets []targetOut `json:"ScalableTargets"`
		NextToken       string      `json:"NextToken,omitempty"`
	}{ScalableTargets: []targetOut{}, NextToken: next}
	for _, k := range ks[start:end] {
		t := s.targets[k]
		out.ScalableTargets = append(out.ScalableTargets, targetOut{targetRef: targetRef{k.ns, k.resource, k.dim},
			MinCapacity: t.min, MaxCapacity: t.max, RoleARN: t.roleARN, CreationTime: epoch(t.created),
			SuspendedState: t.suspend, ScalableTargetARN: t.arn})
	}
	return out, nil
}

func (s *Service) deregisterScalableTarget(body []byte) (any, *apiError) {
	var in targetRef
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if e := in.check(); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := in.key()
	if s.targets[k] == nil {
		return nil, notFound("No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s", k.ns, k.resource, k.dim)
	}
	delete(s.targets, k)
	delete(s.policies, k)
	delete(s.actions, k)
	return struct{}{}, nil
}

type putPolicyInput struct {
	targetRef
	PolicyName                               string          `json:"PolicyName"`
	PolicyType                               string          `json:"PolicyType"`
	StepScalingPolicyConfiguration           json.RawMessage `json:"StepScalingPolicyConfiguration"`
	TargetTrackingScalingPolicyConfiguration json.RawMessage `json:"TargetTrackingScalingPolicyConfiguration"`
}

func (s *Service) putScalingPolicy(body []byte) (any, *apiError) {
	var in putPolicyInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if in.PolicyName == "" {
		return nil, validation("PolicyName is required")
	}
	if e := in.check(); e != nil {
		return nil, e
	}
	typ := in.PolicyType
	if typ == "" {
		// "The policy type. This parameter is required if you are
		// creating a scaling policy": StepScaling is the default
		// (API_PutScalingPolicy, PolicyType).
		typ = "StepScaling"
	}
	if typ != "StepScaling" && typ != "TargetTrackingScaling" && typ != "PredictiveScaling" {
		return nil, validation("Unsupported policy type %s", typ)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := in.key()
	if s.targets[k] == nil {
		return nil, notFound("No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s", k.ns, k.resource, k.dim)
	}
	m := s.policies[k]
	if m == nil {
		m = map[string]*policy{}
		s.policies[k] = m
	}
	p := m[in.PolicyName]
	if p == nil {
		p = &policy{name: in.PolicyName, created: s.clk.Now(),
			arn: fmt.Sprintf("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/ecs/%s:policyName/%s", s.region, s.account, s.nextID(), k.resource, in.PolicyName)}
		m[in.PolicyName] = p
	}
	p.typ, p.step, p.tracking = typ, in.StepScalingPolicyConfiguration, in.TargetTrackingScalingPolicyConfiguration
	return map[string]any{"PolicyARN": p.arn, "Alarms": []any{}}, nil
}

type filterInput struct {
	pageInput
	ServiceNamespace  string `json:"ServiceNamespace"`
	ResourceID        string `json:"ResourceId"`
	ScalableDimension string `json:"ScalableDimension"`
}

func (f filterInput) match(k key) bool {
	return k.ns == f.ServiceNamespace && (f.ResourceID == "" || k.resource == f.ResourceID) &&
		(f.ScalableDimension == "" || k.dim == f.ScalableDimension)
}

func (f filterInput) check() *apiError {
	if f.ServiceNamespace == "" {
		return validation("ServiceNamespace is required")
	}
	if f.ScalableDimension != "" && f.ResourceID == "" {
		return validation("If you specify a scalable dimension, you must also specify a resource ID")
	}
	return nil
}

type policyOut struct {
	targetRef
	PolicyARN                                string          `json:"PolicyARN"`
	PolicyName                               string          `json:"PolicyName"`
	PolicyType                               string          `json:"PolicyType"`
	StepScalingPolicyConfiguration           json.RawMessage `json:"StepScalingPolicyConfiguration,omitempty"`
	TargetTrackingScalingPolicyConfiguration json.RawMessage `json:"TargetTrackingScalingPolicyConfiguration,omitempty"`
	Alarms                                   []any           `json:"Alarms"`
	CreationTime                             epoch           `json:"CreationTime"`
}

func (s *Service) describeScalingPolicies(body []byte) (any, *apiError) {
	var in struct {
		filterInput
		PolicyNames []string `json:"PolicyNames"`
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if e := in.check(); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []policyOut
	for _, k := range sortedKeys(s.policies, in.match) {
		m := s.policies[k]
		for _, name := range slices.Sorted(maps.Keys(m)) {
			if len(in.PolicyNames) > 0 && !slices.Contains(in.PolicyNames, name) {
				continue
			}
			p := m[name]
			all = append(all, policyOut{targetRef: targetRef{k.ns, k.resource, k.dim}, PolicyARN: p.arn, PolicyName: p.name,
				PolicyType: p.typ, StepScalingPolicyConfiguration: p.step, TargetTrackingScalingPolicyConfiguration: p.tracking,
				Alarms: []any{}, CreationTime: epoch(p.created)})
		}
	}
	start, end, next, e := in.page(len(all), policiesPage)
	if e != nil {
		return nil, e
	}
	return struct {
		ScalingPolicies []policyOut `json:"ScalingPolicies"`
		NextToken       string      `json:"NextToken,omitempty"`
	}{append([]policyOut{}, all[start:end]...), next}, nil
}

func (s *Service) deleteScalingPolicy(body []byte) (any, *apiError) {
	var in struct {
		targetRef
		PolicyName string `json:"PolicyName"`
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if e := in.check(); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := in.key()
	if s.policies[k][in.PolicyName] == nil {
		return nil, notFound("No scaling policy found for service namespace: %s, resource ID: %s, scalable dimension: %s, policy name: %s", k.ns, k.resource, k.dim, in.PolicyName)
	}
	delete(s.policies[k], in.PolicyName)
	return struct{}{}, nil
}

type capacityAction struct {
	MinCapacity *int `json:"MinCapacity,omitempty"`
	MaxCapacity *int `json:"MaxCapacity,omitempty"`
}

type putActionInput struct {
	targetRef
	ScheduledActionName  string          `json:"ScheduledActionName"`
	Schedule             string          `json:"Schedule"`
	Timezone             string          `json:"Timezone"`
	StartTime            *epoch          `json:"StartTime"`
	EndTime              *epoch          `json:"EndTime"`
	ScalableTargetAction *capacityAction `json:"ScalableTargetAction"`
}

// AtLayout is the time inside an at() schedule: "at(yyyy-mm-ddThh:mm:ss)"
// (API_PutScheduledAction, Schedule), in the action's Timezone (UTC when
// it has none).
const AtLayout = "2006-01-02T15:04:05"

// parseAt reads an at() schedule; ok is false for rate() and cron().
func parseAt(schedule, tz string) (time.Time, bool, *apiError) {
	inner, found := strings.CutPrefix(schedule, "at(")
	if !found {
		if strings.HasPrefix(schedule, "rate(") || strings.HasPrefix(schedule, "cron(") {
			return time.Time{}, false, nil
		}
		return time.Time{}, false, validation("Schedule must be at(), rate() or cron(): %q", schedule)
	}
	inner, found = strings.CutSuffix(inner, ")")
	if !found {
		return time.Time{}, false, validation("Schedule %q: missing )", schedule)
	}
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return time.Time{}, false, validation("Timezone %q: %v", tz, err)
		}
		loc = l
	}
	t, err := time.ParseInLocation(AtLayout, inner, loc)
	if err != nil {
		return time.Time{}, false, validation("Schedule %q: the time must be yyyy-mm-ddThh:mm:ss", schedule)
	}
	return t, true, nil
}

func (s *Service) putScheduledAction(body []byte) (any, *apiError) {
	var in putActionInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if in.ScheduledActionName == "" {
		return nil, validation("ScheduledActionName is required")
	}
	if e := in.check(); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := in.key()
	t := s.targets[k]
	if t == nil {
		return nil, notFound("No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s", k.ns, k.resource, k.dim)
	}
	m := s.actions[k]
	a := m[in.ScheduledActionName]
	if a == nil && in.Schedule == "" {
		return nil, validation("Schedule is required when creating a scheduled action")
	}
	if a == nil {
		a = &action{name: in.ScheduledActionName, created: s.clk.Now(),
			arn: fmt.Sprintf("arn:aws:autoscaling:%s:%s:scheduledAction:%s:resource/ecs/%s:scheduledActionName/%s", s.region, s.account, s.nextID(), k.resource, in.ScheduledActionName)}
	}
	// An update keeps what it does not name.
	next := *a
	if in.Schedule != "" {
		next.schedule = in.Schedule
	}
	if in.Timezone != "" {
		next.timezone = in.Timezone
	}
	if in.StartTime != nil {
		st := time.Time(*in.StartTime)
		next.start = &st
	}
	if in.EndTime != nil {
		et := time.Time(*in.EndTime)
		next.end = &et
	}
	if c := in.ScalableTargetAction; c != nil {
		if c.MinCapacity != nil {
			next.min = c.MinCapacity
		}
		if c.MaxCapacity != nil {
			next.max = c.MaxCapacity
		}
	}
	for name, v := range map[string]*int{"MinCapacity": next.min, "MaxCapacity": next.max} {
		if v != nil && *v < 0 {
			return nil, validation("ScalableTargetAction %s must be at least 0, got %d", name, *v)
		}
	}
	if next.min == nil && next.max == nil {
		return nil, validation("ScalableTargetAction must specify MinCapacity or MaxCapacity")
	}
	if next.min != nil && next.max != nil && *next.min > *next.max {
		return nil, validation("Minimum capacity cannot be greater than maximum capacity")
	}
	at, isAt, e := parseAt(next.schedule, next.timezone)
	if e != nil {
		return nil, e
	}
	next.at, next.done = time.Time{}, false
	if isAt {
		next.at = at
	}
	*a = next
	if m == nil {
		m = map[string]*action{}
		s.actions[k] = m
	}
	m[a.name] = a
	return struct{}{}, nil
}

type actionOut struct {
	targetRef
	ScheduledActionName  string          `json:"ScheduledActionName"`
	ScheduledActionARN   string          `json:"ScheduledActionARN"`
	Schedule             string          `json:"Schedule"`
	Timezone             string          `json:"Timezone,omitempty"`
	StartTime            *epoch          `json:"StartTime,omitempty"`
	EndTime              *epoch          `json:"EndTime,omitempty"`
	ScalableTargetAction *capacityAction `json:"ScalableTargetAction,omitempty"`
	CreationTime         epoch           `json:"CreationTime"`
}

func (s *Service) describeScheduledActions(body []byte) (any, *apiError) {
	var in struct {
		filterInput
		ScheduledActionNames []string `json:"ScheduledActionNames"`
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if e := in.check(); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []actionOut
	for _, k := range sortedKeys(s.actions, in.match) {
		m := s.actions[k]
		for _, name := range slices.Sorted(maps.Keys(m)) {
			if len(in.ScheduledActionNames) > 0 && !slices.Contains(in.ScheduledActionNames, name) {
				continue
			}
			a := m[name]
			o := actionOut{targetRef: targetRef{k.ns, k.resource, k.dim}, ScheduledActionName: a.name, ScheduledActionARN: a.arn,
				Schedule: a.schedule, Timezone: a.timezone, ScalableTargetAction: &capacityAction{a.min, a.max}, CreationTime: epoch(a.created)}
			if a.start != nil {
				o.StartTime = (*epoch)(a.start)
			}
			if a.end != nil {
				o.EndTime = (*epoch)(a.end)
			}
			all = append(all, o)
		}
	}
	start, end, next, e := in.page(len(all), actionsPage)
	if e != nil {
		return nil, e
	}
	return struct {
		ScheduledActions []actionOut `json:"ScheduledActions"`
		NextToken        string      `json:"NextToken,omitempty"`
	}{append([]actionOut{}, all[start:end]...), next}, nil
}

func (s *Service) deleteScheduledAction(body []byte) (any, *apiError) {
	var in struct {
		targetRef
		ScheduledActionName string `json:"ScheduledActionName"`
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if e := in.check(); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := in.key()
	if s.actions[k][in.ScheduledActionName] == nil {
		return nil, notFound("No scheduled action found for service namespace: %s, resource ID: %s, scalable dimension: %s, scheduled action name: %s", k.ns, k.resource, k.dim, in.ScheduledActionName)
	}
	delete(s.actions[k], in.ScheduledActionName)
	return struct{}{}, nil
}

// SetAccount makes the service's ARNs name account and region: the scope
// it serves. Call it before the first request.
func (s *Service) SetAccount(account, region string) { s.account, s.region = account, region }
