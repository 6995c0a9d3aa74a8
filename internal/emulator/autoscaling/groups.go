package autoscaling

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// namesPerDescribeDefault is how many AutoScalingGroupNames one
// DescribeAutoScalingGroups call takes by default; the API reference says
// the limit rises with MaxRecords (up to 100). AWS answers more with
// "The number of group names that may be passed in is limited to 50".
const namesPerDescribeDefault = 50

// createInput is what creating a group takes, from the API or Go.
type createInput struct {
	name                   string
	min, max               int
	desired                *int
	defaultCooldown        *int
	defaultInstanceWarmup  *int
	healthCheckGracePeriod *int
	healthCheckType        string
	launchConfiguration    string
	launchTemplate         *launchTemplate
	availabilityZones      []string
	vpcZoneIdentifier      string
	terminationPolicies    []string
	protectNew             bool
	protectNewSet          bool
	tags                   []tag
	inService              bool
	mixed                  *mixedPolicy
	capacityType           string
	launchOrder            []string
	hooks                  map[string]*lifecycleHook
	hookDelay              time.Duration
	replace                replaceSettings
}

func notFound(name string) *apiError {
	return validationf("AutoScalingGroup name not found - AutoScalingGroup %s not found", name)
}

func (s *Service) lookup(p params) (*group, *apiError) {
	name, err := p.name("AutoScalingGroupName")
	if err != nil {
		return nil, err
	}
	g, ok := s.groups[name]
	if !ok {
		return nil, notFound(name)
	}
	return g, nil
}

func (s *Service) createAutoScalingGroup(p params, now time.Time) (any, *apiError) {
	var in createInput
	var err *apiError
	if in.name, err = p.name("AutoScalingGroupName"); err != nil {
		return nil, err
	}
	minP, err := p.int("MinSize", maxCapacity)
	if err != nil {
		return nil, err
	}
	maxP, err := p.int("MaxSize", maxCapacity)
	if err != nil {
		return nil, err
	}
	if minP == nil {
		return nil, validationf("1 validation error detected: Value null at 'minSize' failed to satisfy constraint: Member must not be null")
	}
	if maxP == nil {
		return nil, validationf("1 validation error detected: Value null at 'maxSize' failed to satisfy constraint: Member must not be null")
	}
	in.min, in.max = *minP, *maxP
	if in.desired, err = p.int("DesiredCapacity", maxCapacity); err != nil {
		return nil, err
	}
	if err := readSettings(p, &in); err != nil {
		return nil, err
	}
	if in.tags, err = readTags(p); err != nil {
		return nil, err
	}
	return nil, s.create(in, now)
}

// readSettings reads the optional settings shared by create and update.
func readSettings(p params, in *createInput) *apiError {
	var err *apiError
	if in.defaultCooldown, err = p.int("DefaultCooldown", math.MaxInt32); err != nil {
		return err
	}
	if in.defaultInstanceWarmup, err = p.int("DefaultInstanceWarmup", math.MaxInt32); err != nil {
		return err
	}
	if in.healthCheckGracePeriod, err = p.int("HealthCheckGracePeriod", math.MaxInt32); err != nil {
		return err
	}
	texts := map[string]*string{
		"HealthCheckType":         &in.healthCheckType,
		"LaunchConfigurationName": &in.launchConfiguration,
		"VPCZoneIdentifier":       &in.vpcZoneIdentifier,
	}
	for key, dst := range texts {
		if v, ok := p.str(key); ok {
			if !xmlText(v) {
				return validationf("Invalid value for parameter %s", key)
			}
			*dst = v
		}
	}
	lt := launchTemplate{}
	ltKeys := map[string]*string{
		"LaunchTemplate.LaunchTemplateId":   &lt.id,
		"LaunchTemplate.LaunchTemplateName": &lt.name,
		"LaunchTemplate.Version":            &lt.version,
	}
	hasLT := false
	for key, dst := range ltKeys {
		if v, ok := p.str(key); ok {
			if !xmlText(v) {
				return validationf("Invalid value for parameter %s", key)
			}
			*dst, hasLT = v, true
		}
	}
	if hasLT {
		in.launchTemplate = &lt
	}
	lists := map[string]*[]string{
		"AvailabilityZones":   &in.availabilityZones,
		"TerminationPolicies": &in.terminationPolicies,
	}
	for key, dst := range lists {
		if vs, ok := p.list(key); ok {
			for _, v := range vs {
				if !xmlText(v) {
					return validationf("Invalid value for parameter %s", key)
				}
			}
			*dst = vs
		}
	}
	protect, err := p.bool("NewInstancesProtectedFromScaleIn")
	if err != nil {
		return err
	}
	if protect != nil {
		in.protectNew, in.protectNewSet = *protect, true
	}
	if in.mixed, err = readMixedPolicy(p); err != nil {
		return err
	}
	if hasLT && in.mixed != nil {
		return validationf("Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.")
	}
	if err := readReplaceSettings(p, &in.replace); err != nil {
		return err
	}
	if v, ok := p.str("DesiredCapacityType"); ok {
		if v == "" {
			return validationf("1 validation error detected: Value '' at 'desiredCapacityType' failed to satisfy constraint: Member must have length greater than or equal to 1")
		}
		in.capacityType = v
	}
	return nil
}

func readTags(p params) ([]tag, *apiError) {
	prefixes := p.structs("Tags")
	if len(prefixes) > maxTags {
		return nil, &apiError{status: http.StatusBadRequest, code: "LimitExceeded", message: fmt.Sprintf("The number of tags per Auto Scaling group is limited to %d", maxTags)}
	}
	var tags []tag
	for _, pre := range prefixes {
		k, ok := p.str(pre + ".Key")
		if !ok || k == "" || len(k) > 128 || !xmlText(k) {
			return nil, validationf("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length less than or equal to 128 and greater than or equal to 1", k)
		}
		v, _ := p.str(pre + ".Value")
		if len(v) > 256 || !xmlText(v) {
			return nil, validationf("1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
		}
		prop, err := p.bool(pre + ".PropagateAtLaunch")
		if err != nil {
			return nil, err
		}
		tags = append(tags, tag{key: k, value: v, propagate: prop != nil && *prop})
	}
	return tags, nil
}

// create makes a group and starts its first launches.
func (s *Service) create(in createInput, now time.Time) *apiError {
	if err := checkName("AutoScalingGroupName", in.name); err != nil {
		return err
	}
	if _, ok := s.groups[in.name]; ok {
		return &apiError{status: http.StatusBadRequest, code: "AlreadyExists", message: fmt.Sprintf("AutoScalingGroup by this name already exists - A group with the name %s already exists", in.name)}
	}
	if len(s.groups) >= s.groupLimit {
		return &apiError{status: http.StatusBadRequest, code: "LimitExceeded", message: fmt.Sprintf("You have reached your quota of %d Auto Scaling groups in this Region.", s.groupLimit)}
	}
	if in.min < 0 || in.max > maxCapacity {
		return validationf("MinSize and MaxSize must be between 0 and %d", maxCapacity)
	}
	if in.min > in.max {
		return validationf("Max bound, %d, must be greater than or equal to min bound, %d", in.max, in.min)
	}
	desired := in.min
	if in.desired != nil {
		desired = *in.desired
	}
	if desired < in.min || desired > in.max {
		return validationf("Desired capacity:%d must be between the specified min size:%d and max size:%d", desired, in.min, in.max)
	}
	if err := checkCapacityType(in.capacityType, in.mixed); err != nil {
		return err
	}
	g := &group{
		name:                   in.name,
		arn:                    fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s", s.region, s.account, uuidFrom(s.nextID()), in.name),
		created:                now,
		min:                    in.min,
		max:                    in.max,
		defaultCooldown:        defaultCooldown,
		healthCheckType:        "EC2",
		availabilityZones:      availabilityZones,
		terminationPolicies:    []string{"Default"},
		tags:                   map[string]tag{},
		suspended:              map[string]string{},
		actions:                map[string]*scheduledAction{},
		defaultInstanceWarmup:  in.defaultInstanceWarmup,
		launchConfiguration:    in.launchConfiguration,
		launchTemplate:         in.launchTemplate,
		vpcZoneIdentifier:      in.vpcZoneIdentifier,
		protectNew:             in.protectNew,
		healthCheckGracePeriod: 0,
		mixed:                  in.mixed,
		capacityType:           in.capacityType,
		launchOrder:            in.launchOrder,
		hooks:                  in.hooks,
		hookDelay:              in.hookDelay,
	}
	if g.hooks == nil {
		g.hooks = map[string]*lifecycleHook{}
	}
	applySettings(g, in)
	for _, t := range in.tags {
		g.tags[t.key] = t
	}
	s.groups[g.name] = g
	s.names = nil
	s.setDesired(g, desired, fmt.Sprintf("At %s a user request created an AutoScalingGroup changing the desired capacity from 0 to %d.", causeTime(now), desired), now)
	if in.inService {
		for _, inst := range g.instances {
			if inst.state == StatePending {
				inst.readyAt = now
				becomeInService(g, inst)
			}
		}
	}
	return nil
}

func applySettings(g *group, in createInput) {
	if in.defaultCooldown != nil {
		g.defaultCooldown = *in.defaultCooldown
	}
	if in.defaultInstanceWarmup != nil {
		g.defaultInstanceWarmup = in.defaultInstanceWarmup
	}
	if in.healthCheckGracePeriod != nil {
		g.healthCheckGracePeriod = *in.healthCheckGracePeriod
	}
	if in.healthCheckType != "" {
		g.healthCheckType = in.healthCheckType
	}
	if in.launchConfiguration != "" {
		g.launchConfiguration = in.launchConfiguration
	}
	if in.launchTemplate != nil {
		g.launchTemplate = in.launchTemplate
	}
	if len(in.availabilityZones) > 0 {
		g.availabilityZones = in.availabilityZones
	}
	if in.vpcZoneIdentifier != "" {
		g.vpcZoneIdentifier = in.vpcZoneIdentifier
	}
	if len(in.terminationPolicies) > 0 {
		g.terminationPolicies = in.terminationPolicies
	}
	if in.protectNewSet {
		// New instances only: running ones keep their own setting.
		g.protectNew = in.protectNew
	}
	applyReplaceSettings(g, in.replace)
}

// newBounds applies AWS's rules for a change of MinSize, MaxSize and
// DesiredCapacity (UpdateAutoScalingGroup and scheduled actions): a new
// MinSize above the current desired capacity raises it, a new MaxSize
// below it lowers it, unless DesiredCapacity is given.
func newBounds(g *group, minP, maxP, desiredP *int) (lo, hi, desired int, err *apiError) {
	lo, hi, desired = g.min, g.max, g.desired
	if minP != nil {
		lo = *minP
	}
	if maxP != nil {
		hi = *maxP
	}
	if lo > hi {
		return 0, 0, 0, validationf("Max bound, %d, must be greater than or equal to min bound, %d", hi, lo)
	}
	if desiredP != nil {
		desired = *desiredP
		if desired < lo || desired > hi {
			return 0, 0, 0, validationf("Desired capacity:%d must be between the specified min size:%d and max size:%d", desired, lo, hi)
		}
		return lo, hi, desired, nil
	}
	desired = min(max(desired, lo), hi)
	return lo, hi, desired, nil
}

func (s *Service) updateAutoScalingGroup(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	minP, err := p.int("MinSize", maxCapacity)
	if err != nil {
		return nil, err
	}
	maxP, err := p.int("MaxSize", maxCapacity)
	if err != nil {
		return nil, err
	}
	desiredP, err := p.int("DesiredCapacity", maxCapacity)
	if err != nil {
		return nil, err
	}
	var in createInput
	if err := readSettings(p, &in); err != nil {
		return nil, err
	}
	lo, hi, desired, err := newBounds(g, minP, maxP, desiredP)
	if err != nil {
		return nil, err
	}
	mixed, capacityType := g.mixed, g.capacityType
	if in.mixed != nil {
		mixed = mergeMixedPolicy(g.mixed, in.mixed)
	}
	if in.launchTemplate != nil {
		// A group uses either a launch template or a mixed instances
		// policy; setting one replaces the other.
		mixed = nil
	}
	if in.capacityType != "" {
		capacityType = in.capacityType
	}
	if err := checkCapacityType(capacityType, mixed); err != nil {
		return nil, err
	}
	if in.mixed != nil {
		g.launchTemplate = nil
	}
	g.mixed, g.capacityType = mixed, capacityType
	// New or changed weights apply to running instances at once, and AWS
	// launches or terminates to meet desired in the new units.
	g.reweigh()
	applySettings(g, in)
	g.min, g.max = lo, hi
	old := g.desired
	cause := ""
	if desired != old {
		cause = fmt.Sprintf("At %s a user request update of AutoScalingGroup constraints to min: %d, max: %d, desired: %d changing the desired capacity from %d to %d.",
			causeTime(now), lo, hi, desired, old, desired)
	}
	s.setDesired(g, desired, cause, now)
	return nil, nil
}

func (s *Service) deleteAutoScalingGroup(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	force, err := p.bool("ForceDelete")
	if err != nil {
		return nil, err
	}
	if (force == nil || !*force) && (len(g.instances) > 0 || g.warm != nil && len(g.warm.instances) > 0) {
		if g.inProgress() != nil {
			return nil, &apiError{status: http.StatusBadRequest, code: "ScalingActivityInProgress", message: "You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group."}
		}
		return nil, &apiError{status: http.StatusBadRequest, code: "ResourceInUse", message: "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group."}
	}
	delete(s.groups, g.name)
	s.names = nil
	return nil, nil
}

func (s *Service) describeAutoScalingGroups(p params, now time.Time) (any, *apiError) {
	maxRecords, err := p.maxRecords(50)
	if err != nil {
		return nil, err
	}
	names, hasNames := p.list("AutoScalingGroupNames")
	if limit := max(namesPerDescribeDefault, maxRecords); len(names) > limit {
		return nil, validationf("The number of group names that may be passed in is limited to %d", limit)
	}
	filters, err := readGroupFilters(p)
	if err != nil {
		return nil, err
	}
	include, err := p.bool("IncludeInstances")
	if err != nil {
		return nil, err
	}
	after := ""
	if tok, ok := p.str("NextToken"); ok {
		if after, ok = decodeToken(tok, "asg:"); !ok {
			return nil, invalidToken(tok)
		}
	}

	var candidates []string
	if hasNames && len(names) > 0 {
		seen := map[string]bool{}
		for _, n := range names {
			if _, ok := s.groups[n]; ok && !seen[n] {
				seen[n] = true
				candidates = append(candidates, n)
			}
		}
		sort.Strings(candidates)
	} else {
		candidates = s.sortedNames()
	}
	// Names after the token's, found by halving: a fleet's pages cost
	// what they return, not what precedes them.
	start := 0
	if after != "" {
		start = sort.Search(len(candidates), func(i int) bool { return candidates[i] > after })
	}

	res := xmlDescribeGroupsResult{AutoScalingGroups: []xmlGroup{}}
	for _, n := range candidates[start:] {
		g := s.groups[n]
		if !matchesFilters(g, filters) {
			continue
		}
		if len(res.AutoScalingGroups) == s.page(maxRecords) {
			res.NextToken = encodeToken("asg:", res.AutoScalingGroups[len(res.AutoScalingGroups)-1].AutoScalingGroupName)
			break
		}
		res.AutoScalingGroups = append(res.AutoScalingGroups, describeGroup(g, include == nil || *include))
	}
	return res, nil
}

type groupFilter struct {
	name   string
	values []string
}

// readGroupFilters reads the tag filters DescribeAutoScalingGroups takes:
// tag-key, tag-value and tag:<key>. Filters AND together; a filter's
// values OR together.
func readGroupFilters(p params) ([]groupFilter, *apiError) {
	var out []groupFilter
	for _, pre := range p.structs("Filters") {
		name, _ := p.str(pre + ".Name")
		if name != "tag-key" && name != "tag-value" && !strings.HasPrefix(name, "tag:") {
			return nil, validationf("Filter type %s is not correct. Allowed Filter types are: tag-key tag-value tag:<key>", name)
		}
		values, _ := p.list(pre + ".Values")
		out = append(out, groupFilter{name: name, values: values})
	}
	return out, nil
}

func matchesFilters(g *group, filters []groupFilter) bool {
	for _, f := range filters {
		ok := false
		for _, t := range g.tags {
			switch {
			case f.name == "tag-key":
				ok = slices.Contains(f.values, t.key)
			case f.name == "tag-value":
				ok = slices.Contains(f.values, t.value)
			default:
				ok = t.key == strings.TrimPrefix(f.name, "tag:") && slices.Contains(f.values, t.value)
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func describeGroup(g *group, includeInstances bool) xmlGroup {
	x := xmlGroup{
		AutoScalingGroupARN:              g.arn,
		AutoScalingGroupName:             g.name,
		AvailabilityZones:                g.availabilityZones,
		CreatedTime:                      timestamp(g.created),
		DefaultCooldown:                  g.defaultCooldown,
		DefaultInstanceWarmup:            g.defaultInstanceWarmup,
		DesiredCapacity:                  g.desired,
		HealthCheckGracePeriod:           g.healthCheckGracePeriod,
		HealthCheckType:                  g.healthCheckType,
		Instances:                        []xmlInstance{},
		LaunchConfigurationName:          g.launchConfiguration,
		MaxSize:                          g.max,
		MinSize:                          g.min,
		NewInstancesProtectedFromScaleIn: g.protectNew,
		ServiceLinkedRoleARN:             fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling", arnAccount(g.arn)),
		TerminationPolicies:              g.terminationPolicies,
		VPCZoneIdentifier:                g.vpcZoneIdentifier,
	}
	if g.launchTemplate != nil {
		x.LaunchTemplate = &xmlLaunchTemplate{LaunchTemplateId: g.launchTemplate.id, LaunchTemplateName: g.launchTemplate.name, Version: g.launchTemplate.version}
	}
	instanceLT := x.LaunchTemplate
	if g.mixed != nil {
		x.MixedInstancesPolicy = g.mixed.raw
		instanceLT = g.mixed.launchTemplate()
	}
	x.DesiredCapacityType = g.capacityType
	if includeInstances {
		for _, in := range g.instances {
			x.Instances = append(x.Instances, xmlInstance{
				AvailabilityZone:     in.az,
				HealthStatus:         "Healthy",
				InstanceId:           in.id,
				InstanceType:         in.instanceType,
				LaunchTemplate:       instanceLT,
				LifecycleState:       in.state,
				ProtectedFromScaleIn: in.protected,
				WeightedCapacity:     g.weightText(in),
			})
		}
	}
	describeWarm(g, &x)
	describeReplace(g, &x)
	for _, name := range sortedKeys(g.suspended) {
		x.SuspendedProcesses = append(x.SuspendedProcesses, xmlSuspendedProcess{ProcessName: name, SuspensionReason: g.suspended[name]})
	}
	for _, k := range sortedKeys(g.tags) {
		t := g.tags[k]
		x.Tags = append(x.Tags, xmlTag{Key: t.key, Value: t.value, PropagateAtLaunch: t.propagate, ResourceId: g.name, ResourceType: "auto-scaling-group"})
	}
	return x
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Service) setDesiredCapacity(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	desiredP, err := p.int("DesiredCapacity", math.MaxInt32)
	if err != nil {
		return nil, err
	}
	if desiredP == nil {
		return nil, validationf("1 validation error detected: Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null")
	}
	honor, err := p.bool("HonorCooldown")
	if err != nil {
		return nil, err
	}
	desired := *desiredP
	if desired > g.max {
		return nil, validationf("New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.", desired, g.max)
	}
	if desired < g.min {
		return nil, validationf("New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.", desired, g.min)
	}
	if honor != nil && *honor {
		if a := g.blockingActivity(now); a != nil {
			return nil, &apiError{status: http.StatusBadRequest, code: "ScalingActivityInProgress", message: fmt.Sprintf("Scaling activity %s is in progress and blocks this action", a.id)}
		}
	}
	old := g.desired
	s.setDesired(g, desired, fmt.Sprintf("At %s a user request explicitly set group desired capacity changing the desired capacity from %d to %d.", causeTime(now), old, desired), now)
	return nil, nil
}

// blockingActivity returns the activity that blocks a SetDesiredCapacity
// honoring the cooldown: one in progress, or the last one if the group's
// DefaultCooldown has not passed since it ended.
func (g *group) blockingActivity(now time.Time) *activity {
	if a := g.inProgress(); a != nil {
		return a
	}
	if len(g.activities) == 0 {
		return nil
	}
	if now.Before(g.lastActivityEnd.Add(time.Duration(g.defaultCooldown) * time.Second)) {
		return g.activities[len(g.activities)-1]
	}
	return nil
}

func (s *Service) readProcesses(p params) ([]string, *apiError) {
	procs, _ := p.list("ScalingProcesses")
	if len(procs) == 0 {
		return allProcesses, nil
	}
	for _, pr := range procs {
		if !slices.Contains(allProcesses, pr) {
			return nil, validationf("Process %s is not a valid scaling process. Valid processes are: %s", pr, strings.Join(allProcesses, ", "))
		}
	}
	return procs, nil
}

func (s *Service) suspendProcesses(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	procs, err := s.readProcesses(p)
	if err != nil {
		return nil, err
	}
	for _, pr := range procs {
		if _, ok := g.suspended[pr]; !ok {
			g.suspended[pr] = fmt.Sprintf("User suspended at %s", causeTime(now))
		}
	}
	return nil, nil
}

func (s *Service) resumeProcesses(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	procs, err := s.readProcesses(p)
	if err != nil {
		return nil, err
	}
	for _, pr := range procs {
		delete(g.suspended, pr)
	}
	s.reconcile(g, now)
	return nil, nil
}

// encodeToken and decodeToken make opaque NextToken values; kind keeps a
// token of one operation from being accepted by another.
func encodeToken(kind, v string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + v))
}

func decodeToken(tok, kind string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(raw), kind)
}

func invalidToken(tok string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidNextToken", message: fmt.Sprintf("The token '%s' is invalid.", tok)}
}

// arnAccount is the account field of an ARN
// (arn:partition:service:region:account:resource).
func arnAccount(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 6 {
		return ""
	}
	return f[4]
}
