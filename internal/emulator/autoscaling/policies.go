package autoscaling

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Scaling policies are stored and shown as AWS shows them (PutScalingPolicy,
// DescribePolicies, DeletePolicy and the ScalingPolicy shape); they do not
// act: no alarm fires them and no forecast runs. What they are for here is
// that a reader of the group can see that another scaler is attached.
// Nested configurations (StepAdjustments, TargetTrackingConfiguration,
// PredictiveScalingConfiguration) are kept as sent and echoed (tree.go).

// Policy types (the PolicyType parameter).
const (
	PolicySimple         = "SimpleScaling"
	PolicyStep           = "StepScaling"
	PolicyTargetTracking = "TargetTrackingScaling"
	PolicyPredictive     = "PredictiveScaling"
)

const (
	// maxPolicies is AWS's quota of scaling policies per Auto Scaling
	// group ("Scaling policies per Auto Scaling group: 50").
	maxPolicies = 50
	// maxPolicyNames is the documented maximum of PolicyNames per
	// DescribePolicies call.
	maxPolicyNames = 50
	// policiesPageDefault is DescribePolicies' default MaxRecords
	// ("The default value is 50 and the maximum value is 100").
	policiesPageDefault = 50
)

var policyTypes = []string{PolicySimple, PolicyStep, PolicyTargetTracking, PolicyPredictive}

var adjustmentTypes = []string{"ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"}

type scalingPolicy struct {
	name, arn, policyType string
	// scalars are the flat members as sent (AdjustmentType, Cooldown,
	// ...), echoed by name.
	scalars map[string]string
	// nested are the structures and lists, echoed as sent.
	nested  map[string]*tree
	enabled bool
	alarms  []xmlAlarm
}

// policyScalars are the flat members of PutScalingPolicy that the
// ScalingPolicy shape returns.
var policyScalars = []string{"AdjustmentType", "Cooldown", "EstimatedInstanceWarmup", "MetricAggregationType",
	"MinAdjustmentMagnitude", "MinAdjustmentStep", "ScalingAdjustment"}

// policyNested are its structures and lists.
var policyNested = []string{"StepAdjustments", "TargetTrackingConfiguration", "PredictiveScalingConfiguration"}

func (s *Service) putScalingPolicy(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	name, err := p.name("PolicyName")
	if err != nil {
		return nil, err
	}
	typ := PolicySimple
	if v, ok := p.str("PolicyType"); ok {
		typ = v
	}
	if !slices.Contains(policyTypes, typ) {
		return nil, validationf("Invalid policy type %s. Valid policy types are: %s", typ, strings.Join(policyTypes, ", "))
	}
	pol := &scalingPolicy{name: name, policyType: typ, scalars: map[string]string{}, nested: map[string]*tree{}, enabled: true}
	for _, key := range policyScalars {
		if v, ok := p.str(key); ok {
			if !xmlText(v) {
				return nil, validationf("Invalid value for parameter %s", key)
			}
			pol.scalars[key] = v
		}
	}
	for _, key := range policyNested {
		t, err := readTree(p, key)
		if err != nil {
			return nil, err
		}
		if t != nil {
			pol.nested[key] = t
		}
	}
	enabled, err := p.bool("Enabled")
	if err != nil {
		return nil, err
	}
	if enabled != nil {
		pol.enabled = *enabled
	}
	if err := checkPolicy(pol); err != nil {
		return nil, err
	}

	old, exists := g.policies[name]
	if !exists && len(g.policies) >= maxPolicies {
		return nil, &apiError{status: http.StatusBadRequest, code: "LimitExceeded", message: fmt.Sprintf("You have reached your quota of %d scaling policies for Auto Scaling group %s.", maxPolicies, g.name)}
	}
	if exists && old.policyType != typ {
		return nil, validationf("The policy type of %s cannot be changed from %s to %s.", name, old.policyType, typ)
	}
	if exists {
		pol.arn, pol.alarms = old.arn, old.alarms
	} else {
		pol.arn = fmt.Sprintf("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:autoScalingGroupName/%s:policyName/%s", s.region, s.account, uuidFrom(s.nextID()), g.name, name)
		if typ == PolicyTargetTracking {
			// AWS creates and owns two CloudWatch alarms for a target
			// tracking policy and names them so.
			for _, kind := range []string{"AlarmHigh", "AlarmLow"} {
				alarm := fmt.Sprintf("TargetTracking-%s-%s-%s", g.name, kind, uuidFrom(s.nextID()))
				pol.alarms = append(pol.alarms, xmlAlarm{AlarmARN: fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", s.region, s.account, alarm), AlarmName: alarm})
			}
		}
	}
	if g.policies == nil {
		g.policies = map[string]*scalingPolicy{}
	}
	g.policies[name] = pol
	return xmlPutPolicyResult{PolicyARN: pol.arn, Alarms: pol.alarms}, nil
}

// checkPolicy applies the per-type requirements of PutScalingPolicy.
func checkPolicy(pol *scalingPolicy) *apiError {
	need := func(key string) *apiError {
		_, scalar := pol.scalars[key]
		_, nested := pol.nested[key]
		if !scalar && !nested {
			return validationf("%s is required for policy type %s.", key, pol.policyType)
		}
		return nil
	}
	switch pol.policyType {
	case PolicySimple:
		if err := need("ScalingAdjustment"); err != nil {
			return err
		}
		if _, err := strconv.Atoi(pol.scalars["ScalingAdjustment"]); err != nil {
			return validationf("Invalid value '%s' for parameter ScalingAdjustment: expected an integer", pol.scalars["ScalingAdjustment"])
		}
	case PolicyStep:
		if err := need("StepAdjustments"); err != nil {
			return err
		}
	case PolicyTargetTracking:
		if err := need("TargetTrackingConfiguration"); err != nil {
			return err
		}
		if pol.nested["TargetTrackingConfiguration"].child("TargetValue") == nil {
			return validationf("1 validation error detected: Value null at 'targetTrackingConfiguration.targetValue' failed to satisfy constraint: Member must not be null")
		}
	case PolicyPredictive:
		if err := need("PredictiveScalingConfiguration"); err != nil {
			return err
		}
	}
	if pol.policyType == PolicySimple || pol.policyType == PolicyStep {
		if err := need("AdjustmentType"); err != nil {
			return err
		}
		if v := pol.scalars["AdjustmentType"]; !slices.Contains(adjustmentTypes, v) {
			return validationf("Invalid adjustment type %s. Valid adjustment types are: %s", v, strings.Join(adjustmentTypes, ", "))
		}
	}
	return nil
}

type groupPolicy struct {
	g *group
	p *scalingPolicy
}

func (s *Service) describePolicies(p params, now time.Time) (any, *apiError) {
	maxRecords, err := p.maxRecords(policiesPageDefault)
	if err != nil {
		return nil, err
	}
	names, _ := p.list("PolicyNames")
	if len(names) > maxPolicyNames {
		return nil, validationf("1 validation error detected: Value at 'policyNames' failed to satisfy constraint: Member must have length less than or equal to %d", maxPolicyNames)
	}
	types, _ := p.list("PolicyTypes")
	var groups []*group
	if name, ok := p.str("AutoScalingGroupName"); ok {
		g, ok := s.groups[name]
		if !ok {
			return nil, notFound(name)
		}
		groups = append(groups, g)
	} else {
		for _, n := range sortedKeys(s.groups) {
			groups = append(groups, s.groups[n])
		}
	}
	offset := 0
	if tok, ok := p.str("NextToken"); ok {
		v, ok := decodeToken(tok, "pol:")
		n, convErr := strconv.Atoi(v)
		if !ok || convErr != nil || n < 0 {
			return nil, invalidToken(tok)
		}
		offset = n
	}
	var all []groupPolicy
	for _, g := range groups {
		for _, n := range sortedKeys(g.policies) {
			pol := g.policies[n]
			if len(names) > 0 && !slices.Contains(names, pol.name) && !slices.Contains(names, pol.arn) {
				continue
			}
			if len(types) > 0 && !slices.Contains(types, pol.policyType) {
				continue
			}
			all = append(all, groupPolicy{g, pol})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].g.name < all[j].g.name })
	res := xmlPoliciesResult{ScalingPolicies: []xmlPolicy{}}
	offset = min(offset, len(all))
	end := min(offset+s.page(maxRecords), len(all))
	for _, gp := range all[offset:end] {
		res.ScalingPolicies = append(res.ScalingPolicies, xmlPolicyOf(gp.g, gp.p))
	}
	if end < len(all) {
		res.NextToken = encodeToken("pol:", strconv.Itoa(end))
	}
	return res, nil
}

func xmlPolicyOf(g *group, pol *scalingPolicy) xmlPolicy {
	x := xmlPolicy{
		Alarms:               pol.alarms,
		AutoScalingGroupName: g.name,
		Enabled:              pol.enabled,
		PolicyARN:            pol.arn,
		PolicyName:           pol.name,
		PolicyType:           pol.policyType,
	}
	for _, key := range policyScalars {
		if v, ok := pol.scalars[key]; ok {
			x.Members = append(x.Members, xmlMember{name: key, tree: &tree{value: v}})
		}
	}
	for _, key := range policyNested {
		if t, ok := pol.nested[key]; ok {
			x.Members = append(x.Members, xmlMember{name: key, tree: t})
		}
	}
	return x
}

// deletePolicy removes a policy named by name or ARN.
func (s *Service) deletePolicy(p params, now time.Time) (any, *apiError) {
	name, err := p.required("PolicyName")
	if err != nil {
		return nil, err
	}
	for _, g := range s.groups {
		if gn, ok := p.str("AutoScalingGroupName"); ok && gn != g.name {
			continue
		}
		for key, pol := range g.policies {
			if pol.name == name || pol.arn == name {
				delete(g.policies, key)
				return nil, nil
			}
		}
	}
	return nil, validationf("Scaling policy %s not found", name)
}

// PolicyView is one scaling policy of a group.
type PolicyView struct {
	Name, ARN, Type string
	Enabled         bool
}

// Policies returns the group's scaling policies, sorted by name.
func (s *Service) Policies(group string) []PolicyView {
	s.lock()
	defer s.mu.Unlock()
	g, ok := s.groups[group]
	if !ok {
		return nil
	}
	var out []PolicyView
	for _, n := range sortedKeys(g.policies) {
		pol := g.policies[n]
		out = append(out, PolicyView{Name: pol.name, ARN: pol.arn, Type: pol.policyType, Enabled: pol.enabled})
	}
	return out
}

func init() {
	// Registered here so that the scaling policy operations live in one
	// file.
	handlers["PutScalingPolicy"] = (*Service).putScalingPolicy
	handlers["DescribePolicies"] = (*Service).describePolicies
	handlers["DeletePolicy"] = (*Service).deletePolicy
}

type xmlAlarm struct {
	AlarmARN  string
	AlarmName string
}

type xmlPutPolicyResult struct {
	Alarms    []xmlAlarm `xml:"Alarms>member"`
	PolicyARN string
}

type xmlPoliciesResult struct {
	NextToken       string      `xml:",omitempty"`
	ScalingPolicies []xmlPolicy `xml:"ScalingPolicies>member"`
}

type xmlPolicy struct {
	Alarms               []xmlAlarm `xml:"Alarms>member"`
	AutoScalingGroupName string
	Enabled              bool
	PolicyARN            string
	PolicyName           string
	PolicyType           string
	Members              []xmlMember
}

// xmlMember writes one member under its own name.
type xmlMember struct {
	name string
	tree *tree
}

// MarshalXML writes the member as <name>...</name>, whatever element the
// encoder proposes.
func (m xmlMember) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return m.tree.MarshalXML(e, xml.StartElement{Name: xml.Name{Local: m.name}})
}
