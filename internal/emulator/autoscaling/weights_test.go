package autoscaling

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// weighted is the mixed instances policy of the weight tests: weights 1,
// 2 and 4, and an instances distribution that is only echoed.
func weighted(weights ...string) *types.MixedInstancesPolicy {
	typesOf := []string{"c5.large", "c5.xlarge", "c5.2xlarge"}
	var ov []types.LaunchTemplateOverrides
	for i, w := range weights {
		o := types.LaunchTemplateOverrides{InstanceType: aws.String(typesOf[i])}
		if w != "" {
			o.WeightedCapacity = aws.String(w)
		}
		ov = append(ov, o)
	}
	return &types.MixedInstancesPolicy{
		InstancesDistribution: &types.InstancesDistribution{
			OnDemandBaseCapacity:                aws.Int32(2),
			OnDemandPercentageAboveBaseCapacity: aws.Int32(50),
			SpotAllocationStrategy:              aws.String("price-capacity-optimized"),
		},
		LaunchTemplate: &types.LaunchTemplate{
			LaunchTemplateSpecification: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web-lt"), Version: aws.String("$Latest")},
			Overrides:                   ov,
		},
	}
}

func (f *fixture) describe(t *testing.T, name string) types.AutoScalingGroup {
	t.Helper()
	out, err := f.client.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		t.Fatalf("describe %s: %v", name, err)
	}
	if len(out.AutoScalingGroups) != 1 {
		t.Fatalf("describe %s: %d groups", name, len(out.AutoScalingGroups))
	}
	return out.AutoScalingGroups[0]
}

// units sums the WeightedCapacity of the instances that count toward
// desired capacity, as a reader of the API computes it; largest is the
// largest weight seen.
func units(t *testing.T, g types.AutoScalingGroup) (sum, largest int) {
	t.Helper()
	for _, in := range g.Instances {
		if in.LifecycleState == types.LifecycleStateTerminating {
			continue
		}
		w, err := strconv.Atoi(aws.ToString(in.WeightedCapacity))
		if err != nil {
			t.Fatalf("instance %s WeightedCapacity %q: %v", aws.ToString(in.InstanceId), aws.ToString(in.WeightedCapacity), err)
		}
		sum += w
		largest = max(largest, w)
	}
	return sum, largest
}

func TestWeightedGroupFillsDesiredInUnits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("mixed"),
		MinSize:              aws.Int32(0),
		MaxSize:              aws.Int32(100),
		DesiredCapacity:      aws.Int32(9),
		DesiredCapacityType:  aws.String("units"),
		MixedInstancesPolicy: weighted("1", "2", "4"),
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	g := f.describe(t, "mixed")
	if aws.ToString(g.DesiredCapacityType) != "units" {
		t.Errorf("DesiredCapacityType = %q, want units", aws.ToString(g.DesiredCapacityType))
	}
	mp := g.MixedInstancesPolicy
	if mp == nil || mp.LaunchTemplate == nil || len(mp.LaunchTemplate.Overrides) != 3 {
		t.Fatalf("MixedInstancesPolicy = %+v", mp)
	}
	for i, want := range []struct{ typ, w string }{{"c5.large", "1"}, {"c5.xlarge", "2"}, {"c5.2xlarge", "4"}} {
		o := mp.LaunchTemplate.Overrides[i]
		if aws.ToString(o.InstanceType) != want.typ || aws.ToString(o.WeightedCapacity) != want.w {
			t.Errorf("override %d = %s/%s, want %s/%s", i, aws.ToString(o.InstanceType), aws.ToString(o.WeightedCapacity), want.typ, want.w)
		}
	}
	if lt := mp.LaunchTemplate.LaunchTemplateSpecification; lt == nil || aws.ToString(lt.LaunchTemplateName) != "web-lt" {
		t.Errorf("LaunchTemplateSpecification = %+v", lt)
	}
	if d := mp.InstancesDistribution; d == nil || aws.ToInt32(d.OnDemandBaseCapacity) != 2 || aws.ToInt32(d.OnDemandPercentageAboveBaseCapacity) != 50 ||
		aws.ToString(d.SpotAllocationStrategy) != "price-capacity-optimized" {
		t.Errorf("InstancesDistribution = %+v", d)
	}
	weightOf := map[string]string{"c5.large": "1", "c5.xlarge": "2", "c5.2xlarge": "4"}
	for _, in := range g.Instances {
		typ := aws.ToString(in.InstanceType)
		if weightOf[typ] == "" || aws.ToString(in.WeightedCapacity) != weightOf[typ] {
			t.Errorf("instance %s: type %q weight %q", aws.ToString(in.InstanceId), typ, aws.ToString(in.WeightedCapacity))
		}
		if in.LaunchTemplate == nil || aws.ToString(in.LaunchTemplate.LaunchTemplateName) != "web-lt" {
			t.Errorf("instance %s LaunchTemplate = %+v", aws.ToString(in.InstanceId), in.LaunchTemplate)
		}
	}
	// 1+2+4+1 = 8 < 9, so a fifth instance (weight 2) makes 10: one unit
	// over desired, less than the largest weight.
	if sum, _ := units(t, g); sum != 10 || len(g.Instances) != 5 {
		t.Errorf("%d instances with %d units, want 5 with 10", len(g.Instances), sum)
	}

	for _, desired := range []int32{3, 17, 1, 30, 0, 12} {
		if _, err := f.client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("mixed"), DesiredCapacity: aws.Int32(desired)}); err != nil {
			t.Fatalf("set desired %d: %v", desired, err)
		}
		g := f.describe(t, "mixed")
		sum, largest := units(t, g)
		if sum < int(desired) || (desired > 0 && sum-int(desired) >= largest) || (desired == 0 && sum != 0) {
			t.Errorf("desired %d: %d units (largest weight %d), want at least desired and less than desired + largest weight", desired, sum, largest)
		}
		if aws.ToInt32(g.DesiredCapacity) != desired {
			t.Errorf("DesiredCapacity = %d, want %d", aws.ToInt32(g.DesiredCapacity), desired)
		}
	}
	view := f.group(t, "mixed")
	if got := view.Units(StatePending) + view.Units(StateInService); got < 12 || got >= 16 {
		t.Errorf("view units = %d, want 12..15", got)
	}
	if len(view.InstanceTypes) != 3 || view.InstanceTypes[2] != (WeightedType{Type: "c5.2xlarge", Weight: 4}) {
		t.Errorf("view InstanceTypes = %+v", view.InstanceTypes)
	}
}

func TestWeightsChangeOnUpdate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("mixed"), MinSize: aws.Int32(0), MaxSize: aws.Int32(100), DesiredCapacity: aws.Int32(14),
		MixedInstancesPolicy: weighted("1", "2", "4"),
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	// Doubling every weight doubles the units of the running instances;
	// AWS then terminates down to desired in the new units.
	_, err = f.client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("mixed"),
		MixedInstancesPolicy: &types.MixedInstancesPolicy{LaunchTemplate: &types.LaunchTemplate{Overrides: weighted("2", "4", "8").LaunchTemplate.Overrides}},
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	g := f.describe(t, "mixed")
	sum, largest := units(t, g)
	if sum < 14 || sum-14 >= largest {
		t.Errorf("after doubling the weights: %d units, want 14..%d", sum, 14+largest-1)
	}
	if mp := g.MixedInstancesPolicy; mp == nil || mp.InstancesDistribution == nil || mp.LaunchTemplate.LaunchTemplateSpecification == nil {
		t.Errorf("an update of the overrides alone lost the rest of the policy: %+v", mp)
	}
	for _, in := range g.Instances {
		if aws.ToString(in.InstanceType) == "c5.2xlarge" && aws.ToString(in.WeightedCapacity) != "8" {
			t.Errorf("c5.2xlarge weight = %s, want 8", aws.ToString(in.WeightedCapacity))
		}
	}
}

func TestCapacityTypeVCPU(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mp := weighted("", "", "")
	_, err := f.client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("cores"), MinSize: aws.Int32(0), MaxSize: aws.Int32(64), DesiredCapacity: aws.Int32(20),
		DesiredCapacityType: aws.String("vcpu"), MixedInstancesPolicy: mp,
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	g := f.describe(t, "cores")
	if aws.ToString(g.DesiredCapacityType) != "vcpu" {
		t.Errorf("DesiredCapacityType = %q", aws.ToString(g.DesiredCapacityType))
	}
	// c5.large 2, c5.xlarge 4, c5.2xlarge 8 vCPUs: 2+4+8+2+4 = 20.
	if sum, _ := units(t, g); sum != 20 || len(g.Instances) != 5 {
		t.Errorf("%d instances with %d vCPUs, want 5 with 20", len(g.Instances), sum)
	}
	// A plain launch template would leave vcpu without instance types.
	_, err = f.client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("cores"), LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("plain")},
	})
	if apiCode(err) != "ValidationError" {
		t.Errorf("replacing the mixed policy of a vcpu group with a launch template: %v, want a ValidationError", err)
	}
	if g := f.describe(t, "cores"); g.MixedInstancesPolicy == nil || g.LaunchTemplate != nil {
		t.Errorf("a refused update changed the group: %+v / %+v", g.MixedInstancesPolicy, g.LaunchTemplate)
	}
}

func TestUpdateToMixedInstancesPolicy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(0), MaxSize: aws.Int32(20), DesiredCapacity: aws.Int32(2),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("plain")},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The running m5.large instances are not among the new types: they
	// keep their weight of 1, and desired 6 is filled with the new ones.
	_, err = f.client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(6), MixedInstancesPolicy: weighted("1", "2", "4"),
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	g := f.describe(t, "web")
	if g.LaunchTemplate != nil || g.MixedInstancesPolicy == nil {
		t.Errorf("LaunchTemplate %+v, MixedInstancesPolicy %+v: want the policy only", g.LaunchTemplate, g.MixedInstancesPolicy)
	}
	// 1 + 1 (old) + 1 + 2 (new) = 5 < 6, + 4 = 9.
	if sum, _ := units(t, g); sum != 9 || len(g.Instances) != 5 {
		t.Errorf("%d instances with %d units, want 5 with 9", len(g.Instances), sum)
	}
}

func TestPlainGroupHasNoWeights(t *testing.T) {
	f := newFixture(t)
	f.create(t, "plain", 0, 5, 2)
	g := f.describe(t, "plain")
	if g.MixedInstancesPolicy != nil || g.DesiredCapacityType != nil {
		t.Errorf("plain group reports MixedInstancesPolicy %+v, DesiredCapacityType %v", g.MixedInstancesPolicy, g.DesiredCapacityType)
	}
	for _, in := range g.Instances {
		if in.WeightedCapacity != nil || aws.ToString(in.InstanceType) != defaultInstanceType {
			t.Errorf("instance %s: type %s weight %v", aws.ToString(in.InstanceId), aws.ToString(in.InstanceType), in.WeightedCapacity)
		}
	}
	if v := f.group(t, "plain"); v.Units(StatePending) != 2 {
		t.Errorf("view units = %d, want 2 (one an instance)", v.Units(StatePending))
	}
}

func TestWeightErrors(t *testing.T) {
	tests := []struct {
		name string
		in   autoscaling.CreateAutoScalingGroupInput
	}{
		{name: "weights on some overrides only", in: autoscaling.CreateAutoScalingGroupInput{MixedInstancesPolicy: weighted("1", "", "4")}},
		{name: "weight zero", in: autoscaling.CreateAutoScalingGroupInput{MixedInstancesPolicy: weighted("0", "2", "4")}},
		{name: "weight above 999", in: autoscaling.CreateAutoScalingGroupInput{MixedInstancesPolicy: weighted("1000", "2", "4")}},
		{name: "unknown capacity type", in: autoscaling.CreateAutoScalingGroupInput{DesiredCapacityType: aws.String("cores"), MixedInstancesPolicy: weighted("1", "2", "4")}},
		{name: "vcpu without instance types", in: autoscaling.CreateAutoScalingGroupInput{DesiredCapacityType: aws.String("vcpu")}},
		{name: "launch template beside a mixed policy", in: autoscaling.CreateAutoScalingGroupInput{
			MixedInstancesPolicy: weighted("1", "2", "4"),
			LaunchTemplate:       &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("lt")},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			in := tc.in
			in.AutoScalingGroupName, in.MinSize, in.MaxSize = aws.String("bad"), aws.Int32(0), aws.Int32(10)
			_, err := f.client.CreateAutoScalingGroup(context.Background(), &in)
			if apiCode(err) != "ValidationError" {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			if _, ok := f.svc.Group("bad"); ok {
				t.Error("the group was created anyway")
			}
		})
	}
}

func TestGroupSpecWeights(t *testing.T) {
	f := newFixture(t)
	err := f.svc.CreateGroup(GroupSpec{
		Name: "sim", Min: 0, Max: 40, Desired: 8, StartInService: true,
		InstanceTypes: []WeightedType{{"m5.large", 1}, {"m5.xlarge", 2}, {"m5.2xlarge", 4}},
		LaunchOrder:   []string{"m5.2xlarge", "m5.large"},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	v := f.group(t, "sim")
	// 4+1+4 = 9 >= 8.
	var got []string
	for _, in := range v.Instances {
		got = append(got, in.InstanceType+"/"+strconv.Itoa(in.Weight))
	}
	if want := "[m5.2xlarge/4 m5.large/1 m5.2xlarge/4]"; v.Units(StateInService) != 9 || fmtList(got) != want {
		t.Errorf("instances %v (%d units), want %s (9 units)", got, v.Units(StateInService), want)
	}
	if err := f.svc.CreateGroup(GroupSpec{Name: "bad", Max: 4, InstanceTypes: []WeightedType{{"m5.large", 1}}, LaunchOrder: []string{"c5.large"}}); err == nil {
		t.Error("a launch order naming an unknown type was accepted")
	}
	if err := f.svc.CreateGroup(GroupSpec{Name: "bad", Max: 4, InstanceTypes: []WeightedType{{"m5.large", 1}, {"m5.xlarge", 0}}}); err == nil {
		t.Error("weights on some types only were accepted")
	}
}

func fmtList(s []string) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out + "]"
}

func TestMixedPolicyParameterNames(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"MixedInstancesPolicy.InstancesDistribution.OnDemandBaseCapacity", true},
		{"MixedInstancesPolicy.LaunchTemplate.Overrides.member.12.InstanceType", true},
		{"MixedInstancesPolicy.LaunchTemplate.Overrides.member.x.InstanceType", false},
		{"MixedInstancesPolicy.1abc", false},
		{"MixedInstancesPolicy.a-b", false},
		{"MixedInstancesPolicy..x", false},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			_, err := readTree(params{map[string][]string{tc.key: {"v"}}}, "MixedInstancesPolicy")
			if (err == nil) != tc.want {
				t.Errorf("readTree: %v, want accepted %v", err, tc.want)
			}
		})
	}
}
