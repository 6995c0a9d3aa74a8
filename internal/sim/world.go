// Package sim runs Headroom and its baselines in a simulated world and
// scores them on the same work.
//
// The world lives inside the AWS emulator, on a clock the simulation
// drives one second at a time:
//
//	arrivals (scenario) --> SQS queue (emulator) --> serving instances
//	                                                 (emulator ASG, random
//	                                                 launch time + warmup)
//	                                                 or serving tasks
//	                                                 (emulator ECS service,
//	                                                 random start time +
//	                                                 warmup)
//	            per-period datapoints, published after a delay
//	            --> CloudWatch (emulator) and the baselines' alarm view
//
// Headroom runs as itself: the controller, sources, actuator and engine
// that serve runs, calling the emulator over loopback HTTP with the real
// SDK clients. The baselines emulate AWS's and Kubernetes' own scalers,
// which act inside the service rather than through its API, so they read
// the world's published datapoints directly and set capacity through the
// same SDK.
package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/emulator/ecs"
	"github.com/headroom-dev/headroom/internal/sim/baseline"
	"github.com/headroom-dev/headroom/internal/sim/scenario"
)

// Names of the simulated resources. Workers that are an ECS service are
// the service ServiceName in the cluster ClusterName.
const (
	GroupName   = "sim-workers"
	QueueName   = "sim-queue"
	ClusterName = "sim-cluster"
	ServiceName = GroupName
)

// CloudWatch namespaces and metric names the world publishes, as AWS names
// them.
const (
	nsSQS = "AWS/SQS"
	nsEC2 = "AWS/EC2"
	nsASG = "AWS/AutoScaling"
	nsECS = "AWS/ECS"
)

// Tick is one second of world time.
const Tick = time.Second

// State is the world at one step, as the step left it.
type State struct {
	// Now is the step's time.
	Now time.Time
	// Desired, Min and Max are the group's DesiredCapacity, MinSize and
	// MaxSize; for an ECS service, its desired count and the workers'
	// bounds.
	Desired, Min, Max int
	// InService, Serving (InService past the warmup) and Pending count
	// capacity in the group's units (instances on an unweighted group).
	// For an ECS service they count tasks: RUNNING, RUNNING past the
	// warmup, PENDING. Warm counts the warm pool's instances, in any
	// state.
	InService, Serving, Pending, Warm int
	// Visible and InFlight count queued messages; OldestAge is the age of
	// the oldest visible message.
	Visible, InFlight int
	OldestAge         time.Duration
	// Arrived and Done count the messages that arrived and finished in the
	// step.
	Arrived, Done int
}

// publication is a datapoint waiting for its publication time.
type publication struct {
	due       time.Time
	namespace string
	name      string
	dims      map[string]string
	metric    string // the baselines' name for it
	at        time.Time
	value     float64
}

// World is the simulated system of one run.
type World struct {
	sc    *scenario.Scenario
	em    *emulator.Server
	clk   clock.Clock
	load  scenario.Load
	start time.Time

	concurrency float64 // messages one instance works on at once
	service     int     // seconds one message takes, at least 1
	carry       float64
	nextBurst   int
	// finishing[i % len] counts messages that finish at step i.
	finishing []int
	inFlight  int

	published *Published
	queue     []publication
	cpuPeriod int // seconds per EC2 CPU datapoint
	cpuSum    float64
	cpuN      int
	sent      int // messages that arrived in the current minute
}

// NewWorld builds the world of a scenario inside em, whose clock clk the
// caller advances. It creates the group or the ECS service (with initial
// instances or tasks already serving) and the queue, and draws launch
// times (a service's task start times) from the scenario's distribution,
// one stream per seed, so that every policy's k-th instance or task takes
// as long to launch.
func NewWorld(sc *scenario.Scenario, em *emulator.Server, clk clock.Clock, load scenario.Load, initial int, seed uint64) (*World, error) {
	launches := launchStream(seed)
	draw := func() time.Duration { return sc.Workers.LaunchTime.Sample(launches) }
	w := &World{
		sc:        sc,
		em:        em,
		clk:       clk,
		load:      load,
		start:     clk.Now(),
		published: NewPublished(),
		cpuPeriod: 60,
	}
	if !sc.Workers.DetailedMonitoring {
		// Basic monitoring: EC2 sends metrics every 5 minutes ("List the
		// available CloudWatch metrics for your instances", EC2 User Guide).
		w.cpuPeriod = 300
	}
	w.service, w.concurrency = work(sc)
	w.finishing = make([]int, w.service+1)
	if sc.Workers.Service() {
		// The initial tasks take the first draws, as a group's initial
		// instances do (the emulator launches them): the oracle counts
		// the k-th launch from them (baseline.OracleInput.Launch).
		for range initial {
			draw()
		}
		em.ECS.SetStartTimeFunc(func(string, string) time.Duration { return draw() })
		if err := em.ECS.CreateService(ClusterName, ServiceName, ecs.ServiceOptions{Desired: initial, Running: true}); err != nil {
			return nil, err
		}
	} else if err := createGroup(sc, em, initial, seed, draw); err != nil {
		return nil, err
	}
	// Messages live as long as the run: SQS allows up to 14 days.
	if _, err := em.SQS.CreateQueue(QueueName, map[string]string{"MessageRetentionPeriod": "1209600"}); err != nil {
		return nil, err
	}
	// The emulator draws which calls a fault with a rate hits from the
	// run's seed, so every policy of a run meets the same faults.
	em.SetFaultSeed(int64(seed))
	for _, f := range sc.Faults {
		if f.Kind == scenario.FaultMetricsWithheld {
			continue
		}
		ef := emulator.Fault{
			Service:   emulatorService(f.Service),
			Operation: f.Operation,
			Status:    f.Status,
			Code:      f.Code,
			Latency:   f.Latency,
			Hang:      f.Hang,
			Rate:      f.Rate,
			From:      w.start.Add(f.From),
			Until:     w.start.Add(f.Until),
		}
		switch {
		case f.Kind == scenario.FaultThrottle:
			ef = emulator.Throttle(ef.Service, f.Operation, f.Rate, ef.From, ef.Until)
		case f.Kind == scenario.FaultAPIError && ef.Code == "" && ef.Status == 0:
			ef.Status, ef.Code = 500, "InternalFailure"
		}
		em.AddFault(ef)
	}
	return w, nil
}

// createGroup creates the Auto Scaling group of the workers, its initial
// instances InService, each launch taking draw().
func createGroup(sc *scenario.Scenario, em *emulator.Server, initial int, seed uint64, draw func() time.Duration) error {
	em.AutoScaling.SetLaunchTimeFunc(func(string) time.Duration { return draw() })
	spec := autoscaling.GroupSpec{
		Name: GroupName, Min: sc.Workers.Min, Max: sc.Workers.Max, Desired: initial, StartInService: true,
	}
	for _, t := range sc.Workers.InstanceTypes {
		spec.InstanceTypes = append(spec.InstanceTypes, autoscaling.WeightedType{Type: t.Type, Weight: t.Weight})
	}
	if wp := sc.Workers.WarmPool; wp != nil {
		spec.WarmPool = &autoscaling.WarmPoolSpec{MinSize: wp.MinSize, PoolState: wp.PoolState}
		if wp.MaxGroupPreparedCapacity > 0 {
			spec.WarmPool.MaxGroupPreparedCapacity = &wp.MaxGroupPreparedCapacity
		}
		if sc.Workers.WarmResumeSet {
			starts := warmStream(seed)
			em.AutoScaling.SetWarmStartTimeFunc(func(string, string) time.Duration { return sc.Workers.WarmResume.Sample(starts) })
		}
	}
	return em.AutoScaling.CreateGroup(spec)
}

// work returns the steps one message takes (its service time, at least
// one) and how many messages one serving instance works on at once.
func work(sc *scenario.Scenario) (service int, concurrency float64) {
	st := sc.Workers.ServiceTime
	if st <= 0 {
		st = time.Second
	}
	service = max(1, int(math.Round(st.Seconds())))
	return service, sc.Workers.PerInstanceRate * float64(service)
}

// launchStream is the random stream the k-th launch of a run draws its
// launch time from, the same for every policy of the run.
func launchStream(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// warmStream is the warm start times' own stream, so that a warm pool
// leaves the cold launches' draws as they were.
func warmStream(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 2)) }

// emulatorService maps a scenario's service name to the emulator's.
func emulatorService(s string) string {
	switch s {
	case "autoscaling":
		return emulator.ServiceAutoScaling
	case "cloudwatch":
		return emulator.ServiceCloudWatch
	case "sqs":
		return emulator.ServiceSQS
	}
	return s
}

// Published is the CloudWatch datapoints the world has published, as the
// baselines (AWS's own alarms) read them.
func (w *World) Published() *Published { return w.published }

// Step moves the world through step i (the clock must read start + i
// seconds): messages finish and arrive, serving instances take work,
// datapoints of periods that ended are queued for publication, and those
// due are published.
func (w *World) Step(i int) (State, error) {
	now := w.clk.Now()
	st := State{Now: now}

	// Work finishing now leaves the queue.
	slot := i % len(w.finishing)
	if n := w.finishing[slot]; n > 0 {
		st.Done = w.em.SQS.Release(QueueName, n)
		w.inFlight -= n
		w.finishing[slot] = 0
	}

	// Arrivals.
	if i < len(w.load.Rates) {
		w.carry += w.load.Rates[i]
	}
	arrived := int(math.Floor(w.carry))
	w.carry -= float64(arrived)
	for w.nextBurst < len(w.load.Bursts) && w.load.Bursts[w.nextBurst].At <= time.Duration(i)*Tick {
		arrived += w.load.Bursts[w.nextBurst].Messages
		w.nextBurst++
	}
	if arrived > 0 {
		if err := w.em.SQS.Enqueue(QueueName, arrived); err != nil {
			return st, fmt.Errorf("step %d: %w", i, err)
		}
	}
	st.Arrived = arrived
	w.sent += arrived

	if w.sc.Workers.Service() {
		if err := w.countTasks(&st); err != nil {
			return st, fmt.Errorf("step %d: %w", i, err)
		}
	} else if err := w.countInstances(&st); err != nil {
		return st, fmt.Errorf("step %d: %w", i, err)
	}

	// Serving instances take work up to their concurrency; a message taken
	// now finishes service seconds later.
	slots := int(math.Floor(float64(st.Serving)*w.concurrency)) - w.inFlight
	if slots > 0 {
		took := w.em.SQS.Hold(QueueName, slots)
		w.inFlight += took
		w.finishing[(i+w.service)%len(w.finishing)] += took
	}
	visible, inFlight, _, oldest, _ := w.em.SQS.Stats(QueueName)
	st.Visible, st.InFlight, st.OldestAge = visible, inFlight, oldest

	// CPU: the share of the group's InService slots that are busy, as the
	// average over the group's instances (warming instances count: they
	// are InService and report CPU).
	if st.InService > 0 {
		busy := min(1, float64(w.inFlight)/(float64(st.InService)*w.concurrency))
		w.cpuSum += 100 * busy
		w.cpuN++
	}

	// Periods that end with this step.
	end := i + 1
	if end%60 == 0 {
		periodStart := now.Add(-59 * Tick)
		q := map[string]string{"QueueName": QueueName}
		a := map[string]string{"AutoScalingGroupName": GroupName}
		w.schedule(nsSQS, "ApproximateNumberOfMessagesVisible", q, baseline.MetricSQSVisible, periodStart, float64(visible), w.sc.Monitoring.SQSDelay)
		w.schedule(nsSQS, "ApproximateAgeOfOldestMessage", q, baseline.MetricSQSAge, periodStart, oldest.Seconds(), w.sc.Monitoring.SQSDelay)
		w.schedule(nsSQS, "NumberOfMessagesSent", q, baseline.MetricSQSSent, periodStart, float64(w.sent), w.sc.Monitoring.SQSDelay)
		w.sent = 0
		// A weighted group's in-service figure is its capacity in units,
		// GroupInServiceCapacity, which AWS publishes beside the instance
		// count for exactly such groups (Amazon CloudWatch metrics for
		// Amazon EC2 Auto Scaling).
		inService := "GroupInServiceInstances"
		if len(w.sc.Workers.InstanceTypes) > 0 {
			inService = "GroupInServiceCapacity"
		}
		// An ECS service has no Auto Scaling group metrics.
		if !w.sc.Workers.Service() {
			w.schedule(nsASG, inService, a, baseline.MetricInService, periodStart, float64(st.InService), w.sc.Monitoring.ASGDelay)
		}
	}
	if end%w.cpuPeriod == 0 {
		if w.cpuN > 0 {
			periodStart := now.Add(-time.Duration(w.cpuPeriod-1) * Tick)
			ns, dims := nsEC2, map[string]string{"AutoScalingGroupName": GroupName}
			if w.sc.Workers.Service() {
				// A service's CPU is AWS/ECS CPUUtilization by cluster
				// and service, per minute ("Amazon ECS CloudWatch
				// metrics"); its delay is taken to be EC2's.
				ns, dims = nsECS, map[string]string{"ClusterName": ClusterName, "ServiceName": ServiceName}
			}
			w.schedule(ns, "CPUUtilization", dims, baseline.MetricCPU, periodStart, w.cpuSum/float64(w.cpuN), w.sc.Monitoring.EC2Delay)
		}
		w.cpuSum, w.cpuN = 0, 0
	}
	w.publishDue(now)
	return st, nil
}

// countInstances counts the group's capacity into st.
func (w *World) countInstances(st *State) error {
	now := st.Now
	g, ok := w.em.AutoScaling.Group(GroupName)
	if !ok {
		return fmt.Errorf("group %q is gone", GroupName)
	}
	st.Desired, st.Min, st.Max = g.Desired, g.Min, g.Max
	warmup := w.sc.Workers.Warmup
	// Counts are in the group's units: an instance of weight 4 is 4 units
	// of capacity, serves 4 units' work and costs about 4 units (EC2
	// prices a family's sizes in proportion to their vCPUs).
	for _, in := range g.Instances {
		u := max(in.Weight, 1)
		switch in.State {
		case autoscaling.StatePending:
			st.Pending += u
		case autoscaling.StateInService:
			st.InService += u
			// Instances the group started with were warm before the run,
			// and an instance from the warm pool did its warmup while it
			// was warmed (its launch hook ran the application's start):
			// both serve once InService.
			if !now.Before(in.InServiceAt.Add(warmup)) || in.InServiceAt.Equal(w.start) || in.Warm {
				st.Serving += u
			}
		}
	}
	if g.WarmPool != nil {
		st.Warm = len(g.WarmPool.Instances)
	}
	return nil
}

// countTasks counts the ECS service's tasks into st: PENDING tasks are
// pending, RUNNING ones in service, and serving once RUNNING for the
// warmup; tasks the service had at the start of the run were warm before
// it and serve at once. A stopping task counts nowhere, as ECS takes it
// out of the running count at once.
func (w *World) countTasks(st *State) error {
	desired, _, _, ok := w.em.ECS.Counts(ClusterName, ServiceName)
	tasks, ok2 := w.em.ECS.Tasks(ClusterName, ServiceName)
	if !ok || !ok2 {
		return fmt.Errorf("service %s/%s is gone", ClusterName, ServiceName)
	}
	st.Desired, st.Min, st.Max = desired, w.sc.Workers.Min, w.sc.Workers.Max
	warmup := w.sc.Workers.Warmup
	for _, t := range tasks {
		switch t.State {
		case ecs.TaskPending:
			st.Pending++
		case ecs.TaskRunning:
			st.InService++
			if !st.Now.Before(t.RunningAt.Add(warmup)) || t.RunningAt.Equal(w.start) {
				st.Serving++
			}
		}
	}
	return nil
}

// schedule queues one datapoint for publication delay after its period
// ends, unless a metrics_withheld fault covers its period.
func (w *World) schedule(namespace, name string, dims map[string]string, metric string, at time.Time, value float64, delay time.Duration) {
	for _, f := range w.sc.Faults {
		if f.Kind != "metrics_withheld" {
			continue
		}
		off := at.Sub(w.start)
		if off < f.From || off >= f.Until {
			continue
		}
		if len(f.Namespaces) == 0 {
			return
		}
		for _, ns := range f.Namespaces {
			if ns == namespace {
				return
			}
		}
	}
	period := 60 * Tick
	if namespace == nsEC2 {
		period = time.Duration(w.cpuPeriod) * Tick
	}
	w.queue = append(w.queue, publication{
		due: at.Add(period).Add(delay), namespace: namespace, name: name, dims: dims,
		metric: metric, at: at, value: value,
	})
}

// publishDue publishes every queued datapoint whose time has come, to the
// emulator's CloudWatch and to the baselines' view alike.
func (w *World) publishDue(now time.Time) {
	kept := w.queue[:0]
	for _, p := range w.queue {
		if p.due.After(now) {
			kept = append(kept, p)
			continue
		}
		w.em.CloudWatch.Put(p.namespace, p.name, p.dims, p.at, p.value)
		w.published.add(p.metric, baseline.Datapoint{At: p.at, Value: p.value})
	}
	w.queue = kept
}

// Published holds published datapoints per metric, in time order.
type Published struct {
	series map[string][]baseline.Datapoint
}

var _ baseline.Metrics = (*Published)(nil)

// NewPublished returns an empty store.
func NewPublished() *Published {
	return &Published{series: map[string][]baseline.Datapoint{}}
}

func (p *Published) add(metric string, d baseline.Datapoint) {
	s := p.series[metric]
	// Datapoints are published in period order per metric; keep it so even
	// if two delays ever cross.
	i := len(s)
	for i > 0 && s[i-1].At.After(d.At) {
		i--
	}
	s = append(s, baseline.Datapoint{})
	copy(s[i+1:], s[i:])
	s[i] = d
	p.series[metric] = s
}

// Last returns up to n of the most recent datapoints of metric, oldest
// first.
func (p *Published) Last(metric string, n int) []baseline.Datapoint {
	s := p.series[metric]
	if n < len(s) {
		s = s[len(s)-n:]
	}
	return s
}
