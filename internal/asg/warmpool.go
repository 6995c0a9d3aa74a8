package asg

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/headroom-dev/headroom/internal/target"
)

// Warm pools ("Warm pools for Amazon EC2 Auto Scaling", EC2 Auto Scaling
// User Guide): pre-initialised instances beside a group that a scale-out
// takes before it launches new ones ("a warm start"). Their instances are
// not in the group's Instances and "do not count toward the desired
// capacity"; DescribeWarmPool lists them, in the lifecycle states
// Warmed:Pending (and :Wait, :Proceed), Warmed:Stopped, Warmed:Running,
// Warmed:Hibernated and Warmed:Terminating (and :Wait, :Proceed).

// warmPoolConcurrency bounds concurrent DescribeWarmPool calls in one
// Describe: Auto Scaling's describe calls share the account's request
// rate, and a fleet with hundreds of pools must not burst it.
const warmPoolConcurrency = 8

// warmPoolRecords is DescribeWarmPool's largest MaxRecords ("The maximum
// value is 50", API_DescribeWarmPool): the fewest calls per pool.
const warmPoolRecords = 50

// WarmPool is a group's warm pool as one Describe read it: target.WarmPool.
type WarmPool = target.WarmPool

// warmSeen is where an instance was at the last Describe of its group
// that read the warm pool.
type warmSeen struct {
	// state is the pool state the instance was resting in, "" when it
	// was still entering the pool.
	state string
}

// warmConfig returns the group's warm pool as DescribeAutoScalingGroups
// shows it, nil when it has none.
func warmConfig(g types.AutoScalingGroup) *WarmPool {
	c := g.WarmPoolConfiguration
	if c == nil {
		return nil
	}
	w := &WarmPool{PoolState: string(c.PoolState), Status: string(c.Status), MinSize: int(aws.ToInt32(c.MinSize)), MaxPreparedCapacity: -1}
	if c.MaxGroupPreparedCapacity != nil {
		w.MaxPreparedCapacity = int(*c.MaxGroupPreparedCapacity)
	}
	if c.InstanceReusePolicy != nil {
		w.ReuseOnScaleIn = aws.Bool(aws.ToBool(c.InstanceReusePolicy.ReuseOnScaleIn))
	}
	if w.PoolState == "" {
		w.PoolState = string(types.WarmPoolStateStopped)
	}
	return w
}

// describeWarmPools reads the warm pool of every group in out that has
// one, warmPoolConcurrency at a time, and fills in its WarmPool. A failed
// read does not fail the Describe: it is the pool's Error, and the
// group's launches that cycle are not classified (see recordWarm).
func (a *Actuator) describeWarmPools(ctx context.Context, out map[string]Group) {
	type result struct {
		name      string
		instances []types.Instance
		cfg       *types.WarmPoolConfiguration
		err       error
	}
	var names []string
	for name, g := range out {
		if g.WarmPool != nil {
			names = append(names, name)
		}
	}
	results := make([]result, len(names))
	sem := make(chan struct{}, warmPoolConcurrency)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := result{name: name}
			r.instances, r.cfg, r.err = a.describeWarmPool(ctx, name)
			results[i] = r
		}()
	}
	wg.Wait()

	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range results {
		g := out[r.name]
		w := *g.WarmPool
		if r.err != nil {
			w = WarmPool{PoolState: w.PoolState, Status: w.Status, MinSize: w.MinSize, MaxPreparedCapacity: w.MaxPreparedCapacity,
				ReuseOnScaleIn: w.ReuseOnScaleIn, Error: r.err.Error()}
			// The pool is unknown: launches that begin before the next
			// good read cannot be told warm from cold.
			delete(a.warm, r.name)
		} else {
			if r.cfg != nil {
				cfg := warmConfig(types.AutoScalingGroup{WarmPoolConfiguration: r.cfg})
				cfg.Error = ""
				w = *cfg
			}
			seen := make(map[string]warmSeen, len(r.instances))
			for _, in := range r.instances {
				wt := 1
				if in.WeightedCapacity != nil {
					if v, err := parseWeight(*in.WeightedCapacity); err == nil {
						wt = v
					}
				}
				state := string(in.LifecycleState)
				switch {
				case strings.HasPrefix(state, "Warmed:Pending"):
					w.Entering += wt
					w.EnteringInstances++
					seen[aws.ToString(in.InstanceId)] = warmSeen{}
				case strings.HasPrefix(state, "Warmed:Terminating"):
					w.Leaving += wt
					w.LeavingInstances++
				case state == string(types.LifecycleStateWarmedStopped), state == string(types.LifecycleStateWarmedRunning),
					state == string(types.LifecycleStateWarmedHibernated):
					w.Ready += wt
					w.ReadyInstances++
					seen[aws.ToString(in.InstanceId)] = warmSeen{state: strings.TrimPrefix(state, "Warmed:")}
				}
			}
			a.warm[r.name] = seen
		}
		samples := a.warmLaunches[r.name][w.PoolState]
		w.WarmLaunchSamples, w.WarmLaunchP90 = len(samples), p90(samples)
		g.WarmPool = &w
		out[r.name] = g
	}
	// A group whose pool is gone has no warm instances to remember.
	for name := range out {
		if out[name].WarmPool == nil {
			delete(a.warm, name)
			a.warmKnown[name] = true
		} else {
			a.warmKnown[name] = out[name].WarmPool.Error == ""
		}
	}
}

// describeWarmPool reads every page of one group's warm pool.
func (a *Actuator) describeWarmPool(ctx context.Context, name string) ([]types.Instance, *types.WarmPoolConfiguration, error) {
	p := autoscaling.NewDescribeWarmPoolPaginator(a.client, &autoscaling.DescribeWarmPoolInput{
		AutoScalingGroupName: aws.String(name),
		MaxRecords:           aws.Int32(warmPoolRecords),
	})
	var (
		instances []types.Instance
		cfg       *types.WarmPoolConfiguration
	)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("describe warm pool of group %q: %w", name, err)
		}
		if page.WarmPoolConfiguration != nil {
			cfg = page.WarmPoolConfiguration
		}
		instances = append(instances, page.Instances...)
	}
	return instances, cfg, nil
}

// Warm start priors: how long a warm start from each pool state is taken
// to last until enough have been measured (the controller uses them until
// minLaunchSamples warm starts from the pool's state are measured). AWS
// publishes no warm start time: its guide says only that a warm pool
// "decrease[s] latency for applications that have exceptionally long boot
// times" by skipping their first-boot initialisation ("Warm pools for
// Amazon EC2 Auto Scaling", Core concepts), while a stopped or hibernated
// instance still has to be started. The priors are set long, so that a
// lead taken from them starts early rather than late.
const (
	// WarmPriorStopped: starting a stopped EBS-backed instance boots its
	// operating system again (tens of seconds); AWS's EC2 Auto Scaling
	// workshop measured 36 s for a warm start from a stopped pool
	// (awslabs/ec2-spot-workshops, "Launch From Warm Pool"). 60 s leaves
	// room for a slower image and the describe interval.
	WarmPriorStopped = 60 * time.Second
	// WarmPriorHibernated: resuming reloads the instance's RAM from its
	// root volume, which takes longer the more memory it has, so it is
	// not assumed faster than a start from Stopped.
	WarmPriorHibernated = 60 * time.Second
	// WarmPriorRunning: the instance is running and initialised; only
	// Auto Scaling's move into the group (and any launch lifecycle hook)
	// remains.
	WarmPriorRunning = 20 * time.Second
)

// WarmPrior returns the warm start prior for a pool state (Stopped when
// the state is unknown: the slowest).
func WarmPrior(poolState string) time.Duration {
	switch poolState {
	case string(types.WarmPoolStateRunning):
		return WarmPriorRunning
	case string(types.WarmPoolStateHibernated):
		return WarmPriorHibernated
	}
	return WarmPriorStopped
}

// launchKind says where a launch came from, as far as the actuator knows:
// "" a cold launch, a pool state ("Stopped", "Running", "Hibernated") a
// warm start from an instance resting in that state, and kindUnknown a
// launch that cannot be told (after a failed DescribeWarmPool, or from an
// instance still entering the pool: neither cold nor a warm start from
// the pool state).
type launchKind = string

const kindUnknown launchKind = "?"

// launchFrom classifies a launch first seen in group at this Describe.
// AWS does not mark an instance as a warm start in
// DescribeAutoScalingGroups, so the actuator detects one as AWS's own
// activity does ("Launching a new EC2 instance from warm pool: i-..."):
// the instance id was in the warm pool at the previous Describe. An id
// not in the pool then is a cold launch, provided that previous read of
// the pool succeeded (or the group had none); a.mu is held.
func (a *Actuator) launchFrom(group, id string) launchKind {
	if s, ok := a.warm[group][id]; ok {
		if s.state == "" {
			return kindUnknown
		}
		return s.state
	}
	if known, ok := a.warmKnown[group]; ok && !known {
		return kindUnknown
	}
	return ""
}

// recordWarm keeps one measured warm start from poolState; a.mu is held.
func (a *Actuator) recordWarm(group, poolState string, d time.Duration) {
	byState := a.warmLaunches[group]
	if byState == nil {
		byState = map[string][]time.Duration{}
		a.warmLaunches[group] = byState
	}
	l := append(byState[poolState], d)
	if len(l) > launchSamples {
		l = l[len(l)-launchSamples:]
	}
	byState[poolState] = l
}

// record keeps one measured launch of the given kind; a.mu is held.
func (a *Actuator) record(group string, kind launchKind, d time.Duration) {
	switch kind {
	case "":
		a.recordLaunch(group, d)
	case kindUnknown:
	default:
		a.recordWarm(group, kind, d)
	}
}

// forgetWarm drops what the actuator remembers of a group's warm pool;
// a.mu is held.
func (a *Actuator) forgetWarm(group string) {
	delete(a.warm, group)
	delete(a.warmKnown, group)
	delete(a.warmLaunches, group)
}
