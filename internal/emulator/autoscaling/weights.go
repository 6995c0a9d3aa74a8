package autoscaling

import (
	"strconv"
	"strings"
)

// Capacity in units: a group with a MixedInstancesPolicy whose overrides
// carry WeightedCapacity, or with DesiredCapacityType vcpu or memory-mib,
// counts MinSize, MaxSize and DesiredCapacity in units, and each instance
// counts its weight toward them. The rules below follow "Configure an Auto
// Scaling group to use instance weights" (Amazon EC2 Auto Scaling User
// Guide) and the LaunchTemplateOverrides API reference:
//   - AWS launches instances until the desired capacity is totally
//     fulfilled, even if that overshoots it (by less than the weight of the
//     last instance launched, so by less than the largest weight);
//   - current capacity is at desired or above it, so a scale-in terminates
//     an instance only while what remains still covers desired;
//   - WeightedCapacity is 1-999, and given for one override it must be
//     given for all of them;
//   - instances of a type removed from the overrides keep their last weight.

// Desired capacity types (the DesiredCapacityType parameter).
const (
	CapacityUnits     = "units"
	CapacityVCPU      = "vcpu"
	CapacityMemoryMiB = "memory-mib"
)

// maxWeight is the largest WeightedCapacity AWS accepts ("Value must be in
// the range of 1-999", LaunchTemplateOverrides).
const maxWeight = 999

// defaultInstanceType is the type of instances of a group without a mixed
// instances policy: the emulator models no launch template contents.
const defaultInstanceType = "m5.large"

// instanceSizes are vCPUs and memory (MiB) of the instance types the
// emulator knows, from the EC2 instance type pages. AWS supports
// DesiredCapacityType vcpu and memory-mib with attribute-based instance
// type selection, where EC2 picks the types; the emulator does not model
// InstanceRequirements and takes the types from the overrides instead,
// weighting each by this table. A type missing here cannot be used in such
// a group.
var instanceSizes = map[string]struct{ vcpu, mib int }{
	"t3.micro":    {2, 1024},
	"t3.small":    {2, 2048},
	"t3.medium":   {2, 4096},
	"t3.large":    {2, 8192},
	"m5.large":    {2, 8192},
	"m5.xlarge":   {4, 16384},
	"m5.2xlarge":  {8, 32768},
	"m5.4xlarge":  {16, 65536},
	"m6i.large":   {2, 8192},
	"m6i.xlarge":  {4, 16384},
	"m6i.2xlarge": {8, 32768},
	"c5.large":    {2, 4096},
	"c5.xlarge":   {4, 8192},
	"c5.2xlarge":  {8, 16384},
	"c5.4xlarge":  {16, 32768},
	"r5.large":    {2, 16384},
	"r5.xlarge":   {4, 32768},
	"r5.2xlarge":  {8, 65536},
}

// mixedPolicy is a group's MixedInstancesPolicy: the request's structure,
// echoed as given, and the overrides the emulator launches from.
type mixedPolicy struct {
	raw       *tree
	overrides []override
}

type override struct {
	instanceType string
	weight       int // 0 when the override gives no WeightedCapacity
}

// weighted reports whether the overrides carry weights.
func (m *mixedPolicy) weighted() bool {
	return m != nil && len(m.overrides) > 0 && m.overrides[0].weight > 0
}

// readMixedPolicy reads MixedInstancesPolicy, if given.
func readMixedPolicy(p params) (*mixedPolicy, *apiError) {
	raw, err := readTree(p, "MixedInstancesPolicy")
	if err != nil || raw == nil {
		return nil, err
	}
	m := &mixedPolicy{raw: raw}
	const pre = "MixedInstancesPolicy.LaunchTemplate.Overrides"
	withWeight := 0
	seen := map[string]bool{}
	for _, o := range p.structs(pre) {
		typ, _ := p.str(o + ".InstanceType")
		if typ == "" {
			return nil, validationf("Each override in the mixed instances policy must specify an InstanceType (the emulator does not model InstanceRequirements)")
		}
		if seen[typ] {
			return nil, validationf("Duplicate instance type %s in the launch template overrides", typ)
		}
		seen[typ] = true
		ov := override{instanceType: typ}
		if w, ok := p.str(o + ".WeightedCapacity"); ok {
			n, convErr := strconv.Atoi(strings.TrimSpace(w))
			if convErr != nil || n < 1 || n > maxWeight {
				return nil, validationf("1 validation error detected: Value '%s' at 'mixedInstancesPolicy.launchTemplate.overrides.member.weightedCapacity' failed to satisfy constraint: Member must be an integer between 1 and %d", w, maxWeight)
			}
			ov.weight = n
			withWeight++
		}
		m.overrides = append(m.overrides, ov)
	}
	if withWeight > 0 && withWeight < len(m.overrides) {
		return nil, validationf("If you specify a value for WeightedCapacity for one instance type, you must specify a value for WeightedCapacity for all of them.")
	}
	return m, nil
}

// mergeMixedPolicy applies an update's MixedInstancesPolicy to the
// group's: each top-level member the update gives (LaunchTemplate,
// InstancesDistribution) replaces the stored one; LaunchTemplate.Overrides
// given alone replace only the overrides.
func mergeMixedPolicy(old, upd *mixedPolicy) *mixedPolicy {
	if old == nil {
		return upd
	}
	raw := &tree{children: map[string]*tree{}}
	for k, v := range old.raw.children {
		raw.children[k] = v
	}
	overrides := old.overrides
	for k, v := range upd.raw.children {
		if k != "LaunchTemplate" || old.raw.children["LaunchTemplate"] == nil {
			raw.children[k] = v
			if k == "LaunchTemplate" {
				overrides = upd.overrides
			}
			continue
		}
		lt := &tree{children: map[string]*tree{}}
		for kk, vv := range old.raw.children["LaunchTemplate"].children {
			lt.children[kk] = vv
		}
		for kk, vv := range v.children {
			lt.children[kk] = vv
		}
		raw.children["LaunchTemplate"] = lt
		if v.children["Overrides"] != nil {
			overrides = upd.overrides
		}
	}
	return &mixedPolicy{raw: raw, overrides: overrides}
}

// checkCapacityType validates a DesiredCapacityType against the group's
// overrides: vcpu and memory-mib need every type in instanceSizes.
func checkCapacityType(typ string, m *mixedPolicy) *apiError {
	switch typ {
	case "", CapacityUnits:
		return nil
	case CapacityVCPU, CapacityMemoryMiB:
		if m == nil || len(m.overrides) == 0 {
			return validationf("DesiredCapacityType %s requires a mixed instances policy with instance types", typ)
		}
		for _, o := range m.overrides {
			if _, ok := instanceSizes[o.instanceType]; !ok {
				return validationf("Instance type %s has no known vCPU and memory size for DesiredCapacityType %s", o.instanceType, typ)
			}
		}
		return nil
	}
	return validationf("1 validation error detected: Value '%s' at 'desiredCapacityType' failed to satisfy constraint: Member must satisfy enum value set: [units, vcpu, memory-mib]", typ)
}

// usesWeights reports whether the group counts capacity in weighted units
// and so reports each instance's WeightedCapacity.
func (g *group) usesWeights() bool {
	return g.mixed.weighted() || g.capacityType == CapacityVCPU || g.capacityType == CapacityMemoryMiB
}

// weightOf returns the units one instance of typ brings to g.
func (g *group) weightOf(typ string) int {
	switch g.capacityType {
	case CapacityVCPU:
		return instanceSizes[typ].vcpu
	case CapacityMemoryMiB:
		return instanceSizes[typ].mib
	}
	if g.mixed.weighted() {
		for _, o := range g.mixed.overrides {
			if o.instanceType == typ {
				return o.weight
			}
		}
	}
	return 1
}

// nextInstanceType picks the type of the next launch: the launch order
// the group was given, else its overrides in turn (AWS's allocation
// strategy decides in reality; rotating keeps every type in use, which is
// what a test of mixed weights needs), else the default type.
func (g *group) nextInstanceType() string {
	var typ string
	switch {
	case len(g.launchOrder) > 0:
		typ = g.launchOrder[g.launches%len(g.launchOrder)]
	case g.mixed != nil && len(g.mixed.overrides) > 0:
		typ = g.mixed.overrides[g.launches%len(g.mixed.overrides)].instanceType
	default:
		return defaultInstanceType
	}
	g.launches++
	return typ
}

// reweigh gives the group's instances the weights of its current
// overrides; instances of a type no longer listed keep their last weight.
func (g *group) reweigh() {
	for _, in := range g.instances {
		if g.knowsType(in.instanceType) {
			in.weight = g.weightOf(in.instanceType)
		}
	}
}

func (g *group) knowsType(typ string) bool {
	switch g.capacityType {
	case CapacityVCPU, CapacityMemoryMiB:
		_, ok := instanceSizes[typ]
		return ok
	}
	if g.mixed == nil || len(g.mixed.overrides) == 0 {
		return typ == defaultInstanceType
	}
	for _, o := range g.mixed.overrides {
		if o.instanceType == typ {
			return true
		}
	}
	return false
}

// weightText is an instance's WeightedCapacity as the API reports it (a
// string), or "" for a group without weights.
func (g *group) weightText(in *instance) string {
	if !g.usesWeights() {
		return ""
	}
	return strconv.Itoa(in.weight)
}

// launchTemplate is the launch template instances of a mixed group
// report: the policy's LaunchTemplateSpecification.
func (m *mixedPolicy) launchTemplate() *xmlLaunchTemplate {
	spec := m.raw.child("LaunchTemplate.LaunchTemplateSpecification")
	if spec == nil {
		return nil
	}
	lt := &xmlLaunchTemplate{}
	if c := spec.children["LaunchTemplateId"]; c != nil {
		lt.LaunchTemplateId = c.value
	}
	if c := spec.children["LaunchTemplateName"]; c != nil {
		lt.LaunchTemplateName = c.value
	}
	if c := spec.children["Version"]; c != nil {
		lt.Version = c.value
	}
	return lt
}

// activeInstances counts the instances that are not leaving.
func (g *group) activeInstances() int {
	n := 0
	for _, in := range g.instances {
		if counted(in.state) {
			n++
		}
	}
	return n
}
