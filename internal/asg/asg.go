// Package asg is the actuator: it reads EC2 Auto Scaling groups in as few
// DescribeAutoScalingGroups calls as the API allows, counts their
// instances by lifecycle state (with warmup), sets desired capacity, and
// tells callers whether an instance refresh is under way. It holds the
// concrete SDK client; consumers declare the small interfaces they need.
package asg

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/target"
)

const (
	// maxRecords is the largest MaxRecords DescribeAutoScalingGroups
	// accepts ("The default value is 50 and the maximum value is 100",
	// API_DescribeAutoScalingGroups).
	maxRecords = 100
	// namesPerCall is how many AutoScalingGroupNames one call may carry:
	// "By default, you can only specify up to 50 names. You can optionally
	// increase this limit using the MaxRecords property", so with
	// MaxRecords 100 a call takes 100 names, and N groups need
	// ceil(N/100) calls.
	namesPerCall = maxRecords
)

// Group is one Auto Scaling group as the controller sees it: target.Group.
type Group = target.Group

// Counts are a group's capacity by lifecycle state: target.Counts.
type Counts = target.Counts

// launchSamples is how many launch times are kept per group.
const launchSamples = 32

// Actuator reads and resizes Auto Scaling groups. It is safe for
// concurrent use.
type Actuator struct {
	client *autoscaling.Client
	clk    clock.Clock
	// budget paces the mirror's writes; nil: no limit (SetWriteBudget).
	budget *WriteBudget

	mu sync.Mutex
	// inService maps group -> instance id -> the first time the actuator
	// saw the instance InService. The zero time marks an instance that was
	// already InService the first time the actuator saw its group.
	inService map[string]map[string]time.Time
	// launching maps group -> instance id -> the latest time the instance
	// was known not to be in the group yet (the previous Describe of its
	// group), for instances seen Pending, with where it came from. The
	// zero time marks an instance already Pending the first time the
	// actuator saw its group: its launch time is unknown.
	launching map[string]map[string]launch
	// described is when each group was last described.
	described map[string]time.Time
	// launches holds each group's recent cold launch-to-InService times.
	launches map[string][]time.Duration
	// warmLaunches holds each group's recent warm start times by the
	// pool state the instance left.
	warmLaunches map[string]map[string][]time.Duration
	// warm maps group -> the instances in its warm pool at the last
	// Describe that read the pool; warmKnown is false for a group whose
	// last read of its pool failed.
	warm      map[string]map[string]warmSeen
	warmKnown map[string]bool

	// polMu guards policies apart from mu, so that a policy sweep does
	// not hold up Describe (policies.go).
	polMu    sync.Mutex
	policies policyCache
}

// launch is an instance seen on its way into a group.
type launch struct {
	since time.Time
	kind  launchKind
}

// New returns an actuator that calls AWS through client and reads time
// from clk.
func New(client *autoscaling.Client, clk clock.Clock) *Actuator {
	return &Actuator{
		client:    client,
		clk:       clk,
		inService: map[string]map[string]time.Time{},
		launching: map[string]map[string]launch{},
		described: map[string]time.Time{},
		launches:  map[string][]time.Duration{},

		warmLaunches: map[string]map[string][]time.Duration{},
		warm:         map[string]map[string]warmSeen{},
		warmKnown:    map[string]bool{},
	}
}

// Describe reads the named groups in ceil(len(unique names)/100) calls
// (plus any NextToken pages the service returns). Groups that do not exist
// are absent from the map; that is not an error, and the caller reports
// them per group. warmup gives each group's instance warmup; nil means
// none.
//
// A page that fails blinds only its own groups: Describe carries on with
// the other pages and returns the groups it read together with a
// *PageError naming the groups no page answered for. Such a group is
// unknown, not gone: what the actuator remembers of it (first-InService
// times, launch measurements) is kept for the next cycle.
//
// DescribeAutoScalingGroups does not say when an instance became
// InService, so the actuator remembers the first time it saw each instance
// InService and counts it as warming until warmup has passed since then.
// An instance that is already InService the first time the actuator sees
// its group counts as serving at once: after a restart, warmup is not
// applied again to instances that were running before it. Instances that
// leave the group are forgotten.
func (a *Actuator) Describe(ctx context.Context, names []string, warmup func(name string) time.Duration) (map[string]Group, error) {
	unique := make([]string, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			unique = append(unique, n)
		}
	}
	now := a.clk.Now()
	out := make(map[string]Group, len(unique))
	var pageErr *PageError
	for chunk := range slices.Chunk(unique, namesPerCall) {
		p := autoscaling.NewDescribeAutoScalingGroupsPaginator(a.client, &autoscaling.DescribeAutoScalingGroupsInput{
			AutoScalingGroupNames: chunk,
			MaxRecords:            aws.Int32(maxRecords),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				// Without this page's NextToken the rest of the chunk cannot
				// be read either: every group of the chunk not read yet is
				// blind this cycle.
				var blind []string
				for _, n := range chunk {
					if _, ok := out[n]; !ok {
						blind = append(blind, n)
					}
				}
				if pageErr == nil {
					pageErr = &PageError{}
				}
				pageErr.Groups = append(pageErr.Groups, blind...)
				pageErr.Errs = append(pageErr.Errs, fmt.Errorf("describe groups %s: %w", nameList(blind), err))
				break
			}
			for _, g := range page.AutoScalingGroups {
				name := aws.ToString(g.AutoScalingGroupName)
				if !seen[name] {
					continue
				}
				var w time.Duration
				if warmup != nil {
					w = warmup(name)
				}
				out[name] = a.convert(g, now, w)
			}
		}
	}
	blind := map[string]bool{}
	if pageErr != nil {
		for _, n := range pageErr.Groups {
			blind[n] = true
		}
	}
	a.describeWarmPools(ctx, out)
	a.mu.Lock()
	for _, n := range unique {
		if _, ok := out[n]; !ok && !blind[n] {
			delete(a.inService, n)
			delete(a.launching, n)
			delete(a.described, n)
			delete(a.launches, n)
			a.forgetWarm(n)
		}
	}
	a.mu.Unlock()
	if pageErr != nil {
		return out, pageErr
	}
	return out, nil
}

// PageError is Describe's error when some DescribeAutoScalingGroups pages
// failed: target.PageError.
type PageError = target.PageError

// nameList names a batch of groups in an error without listing a hundred.
func nameList(names []string) string {
	switch len(names) {
	case 0:
		return "(none)"
	case 1:
		return fmt.Sprintf("%q", names[0])
	}
	return fmt.Sprintf("%q and %d more", names[0], len(names)-1)
}

func (a *Actuator) convert(g types.AutoScalingGroup, now time.Time, warmup time.Duration) Group {
	out := Group{
		Name:         aws.ToString(g.AutoScalingGroupName),
		ARN:          aws.ToString(g.AutoScalingGroupARN),
		Min:          int(aws.ToInt32(g.MinSize)),
		Max:          int(aws.ToInt32(g.MaxSize)),
		Desired:      int(aws.ToInt32(g.DesiredCapacity)),
		Tags:         make(map[string]string, len(g.Tags)),
		CapacityType: aws.ToString(g.DesiredCapacityType),
		MaxWeight:    1,
		WarmPool:     warmConfig(g),
	}
	if out.CapacityType == "" {
		out.CapacityType = CapacityUnits
	}
	for _, t := range g.Tags {
		out.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	for _, p := range g.SuspendedProcesses {
		name := aws.ToString(p.ProcessName)
		out.Suspended = append(out.Suspended, name)
		if name == "Launch" || name == "Terminate" {
			out.LaunchOrTerminateSuspended = true
		}
	}
	out.Weighted, out.MaxWeight, out.Unreadable = overrideWeights(g, out.CapacityType)

	a.mu.Lock()
	defer a.mu.Unlock()
	prev, known := a.inService[out.Name]
	prevLaunching := a.launching[out.Name]
	lastSeen := a.described[out.Name]
	next := make(map[string]time.Time, len(g.Instances))
	var launching map[string]launch // most groups have nothing pending
	var pendingWeights []int
	for _, in := range g.Instances {
		id := aws.ToString(in.InstanceId)
		w, why := instanceWeight(in, out.Weighted)
		if why != "" && out.Unreadable == "" {
			out.Unreadable = why
		}
		out.MaxWeight = max(out.MaxWeight, w)
		switch in.LifecycleState {
		case types.LifecycleStatePending, types.LifecycleStatePendingWait, types.LifecycleStatePendingProceed,
			types.LifecycleStateReplacingRootVolume, types.LifecycleStateReplacingRootVolumeWait,
			types.LifecycleStateReplacingRootVolumeProceed, types.LifecycleStateRootVolumeReplaced:
			out.Pending += w
			out.Instances.Pending++
			if !strings.HasPrefix(string(in.LifecycleState), "Pending") {
				break // a replaced root volume is not a launch: no launch time
			}
			pendingWeights = append(pendingWeights, w)
			l, ok := prevLaunching[id]
			if !ok && known {
				l = launch{since: lastSeen, kind: a.launchFrom(out.Name, id)}
			}
			if launching == nil {
				launching = map[string]launch{}
			}
			launching[id] = l
		case types.LifecycleStateTerminating, types.LifecycleStateTerminatingWait, types.LifecycleStateTerminatingProceed,
			types.LifecycleStateDetaching, types.LifecycleStateQuarantined:
			out.Terminating += w
			out.Instances.Terminating++
		case types.LifecycleStateStandby, types.LifecycleStateEnteringStandby:
			out.Standby += w
			out.Instances.Standby++
		case types.LifecycleStateInService:
			out.InService += w
			out.Instances.InService++
			if aws.ToBool(in.ProtectedFromScaleIn) {
				out.Protected += w
				out.Instances.Protected++
			}
			first, ok := prev[id]
			if !ok && known {
				first = now
				if l, ok := prevLaunching[id]; ok && !l.since.IsZero() {
					a.record(out.Name, l.kind, now.Sub(l.since))
				} else if !ok {
					// Never seen Pending: a warm start short enough to
					// fall between two Describes is still measured, from
					// the Describe that last saw it in the pool.
					if kind := a.launchFrom(out.Name, id); kind != "" && kind != kindUnknown {
						a.record(out.Name, kind, now.Sub(lastSeen))
					}
				}
			}
			next[id] = first
			if !first.IsZero() && now.Sub(first) < warmup {
				out.Warming += w
				out.Instances.Warming++
			}
		}
	}
	a.inService[out.Name] = next
	a.launching[out.Name] = launching
	a.described[out.Name] = now
	out.Serving = out.InService - out.Warming
	out.Instances.Serving = out.Instances.InService - out.Instances.Warming
	out.Replacements = replacementsOf(g)
	out.Replacing, out.Instances.Replacing = replacing(out.InService, out.Pending, out.Desired, out.MaxWeight,
		slices.Contains(out.Suspended, "Terminate"), pendingWeights)
	out.LaunchSamples = len(a.launches[out.Name])
	out.LaunchP90 = p90(a.launches[out.Name])
	return out
}

// Capacity types, as DesiredCapacityType spells them
// (API_CreateAutoScalingGroup: "units | vcpu | memory-mib"; "By default,
// Amazon EC2 Auto Scaling specifies units, which translates into number
// of instances").
const (
	CapacityUnits  = "units"
	CapacityVCPU   = "vcpu"
	CapacityMemory = "memory-mib"
)

// maxWeight is the largest WeightedCapacity AWS accepts
// (API_LaunchTemplateOverrides: "Valid Range: Minimum value of 1. Maximum
// value of 999", as a string).
const maxWeight = 999

// overrideWeights reads whether the group is weighted, and the largest
// weight of its launch template overrides. A group is weighted when its
// capacity type is vcpu or memory-mib (each instance then weighs its
// vCPUs or MiB) or when any override carries a WeightedCapacity: AWS then
// counts every instance by its type's weight ("If you specify a value for
// WeightedCapacity for one instance type, you must specify a value for
// all of them").
func overrideWeights(g types.AutoScalingGroup, capacityType string) (weighted bool, largest int, unreadable string) {
	largest = 1
	switch capacityType {
	case CapacityUnits:
	case CapacityVCPU, CapacityMemory:
		weighted = true
	default:
		return true, largest, fmt.Sprintf("DesiredCapacityType %q is not one Headroom can count (units, vcpu, memory-mib)", capacityType)
	}
	mip := g.MixedInstancesPolicy
	if mip == nil || mip.LaunchTemplate == nil {
		return weighted, largest, ""
	}
	for _, o := range mip.LaunchTemplate.Overrides {
		if o.WeightedCapacity == nil {
			continue
		}
		weighted = true
		w, err := parseWeight(*o.WeightedCapacity)
		if err != nil {
			return true, largest, fmt.Sprintf("launch template override %s: WeightedCapacity %s", aws.ToString(o.InstanceType), err)
		}
		largest = max(largest, w)
	}
	return weighted, largest, ""
}

// instanceWeight is the units one instance counts for: its
// WeightedCapacity when AWS gives one, else 1 on an unweighted group. On a
// weighted group an instance without a readable weight makes the group's
// units unknown: why says so, naming the instance.
func instanceWeight(in types.Instance, weighted bool) (w int, why string) {
	if in.WeightedCapacity == nil {
		if weighted {
			return 1, fmt.Sprintf("instance %s (%s) of a weighted group has no WeightedCapacity", aws.ToString(in.InstanceId), aws.ToString(in.InstanceType))
		}
		return 1, ""
	}
	w, err := parseWeight(*in.WeightedCapacity)
	if err != nil {
		return 1, fmt.Sprintf("instance %s (%s): WeightedCapacity %s", aws.ToString(in.InstanceId), aws.ToString(in.InstanceType), err)
	}
	return w, ""
}

func parseWeight(s string) (int, error) {
	w, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || w < 1 || w > maxWeight {
		return 0, fmt.Errorf("%q is not a whole number from 1 to %d", s, maxWeight)
	}
	return w, nil
}

// recordLaunch keeps one measured launch time. The measurement runs from
// the Describe before the instance first appeared to the first Describe
// that saw it InService, so it errs long by up to two describe intervals:
// a lead computed from it starts early rather than late.
func (a *Actuator) recordLaunch(group string, d time.Duration) {
	l := append(a.launches[group], d)
	if len(l) > launchSamples {
		l = l[len(l)-launchSamples:]
	}
	a.launches[group] = l
}

// p90 is the nearest-rank 90th percentile of ds, 0 when ds is empty.
func p90(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*9+9)/10-1]
}

// SetDesired sets the group's desired capacity with HonorCooldown=false:
// the controller has its own stabilization and rate limits, and honoring
// the cooldown would reject the call while any activity is in progress.
func (a *Actuator) SetDesired(ctx context.Context, name string, capacity int) error {
	if capacity < 0 || capacity > math.MaxInt32 {
		return fmt.Errorf("set desired capacity of group %q to %d: out of range", name, capacity)
	}
	_, err := a.client.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String(name),
		DesiredCapacity:      aws.Int32(int32(capacity)),
		HonorCooldown:        aws.Bool(false),
	})
	if err != nil {
		return fmt.Errorf("set desired capacity of group %q to %d: %w", name, capacity, err)
	}
	return nil
}

// RefreshInProgress reports whether the group has an unfinished instance
// refresh. AWS runs one refresh at a time and lists the most recent first,
// so the first page answers. It costs a call, so callers ask only before
// acting.
func (a *Actuator) RefreshInProgress(ctx context.Context, name string) (bool, error) {
	out, err := a.client.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{
		AutoScalingGroupName: aws.String(name),
	})
	if err != nil {
		return false, fmt.Errorf("describe instance refreshes of group %q: %w", name, err)
	}
	for _, r := range out.InstanceRefreshes {
		switch r.Status {
		case types.InstanceRefreshStatusPending, types.InstanceRefreshStatusInProgress,
			types.InstanceRefreshStatusCancelling, types.InstanceRefreshStatusRollbackInProgress,
			types.InstanceRefreshStatusBaking:
			return true, nil
		}
	}
	return false, nil
}

var (
	_ target.Backend   = (*Actuator)(nil)
	_ target.Refresher = (*Actuator)(nil)
	_ target.Mirrorer  = (*Actuator)(nil)
)
