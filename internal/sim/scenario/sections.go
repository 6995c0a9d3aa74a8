package scenario

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-dev/headroom/internal/campaign"
)

// Defaults of the workers and monitoring sections.
const (
	defaultServiceTime = time.Second
	defaultWarmup      = 60 * time.Second
	// defaultPublishDelay is how long after its period a datapoint of
	// AWS/SQS, AWS/EC2 or AWS/AutoScaling becomes visible. CloudWatch
	// documents no such delay for these namespaces; one minute is
	// assumed, and a scenario can say otherwise.
	defaultPublishDelay = 60 * time.Second
)

// defaultLaunchTime is the launch time of workers that name none: the
// time from a launch request to InService, median 90 s, p90 150 s.
var defaultLaunchTime = LogNormal(90*time.Second, 150*time.Second)

// defaultStartTime is the start time of an ECS service's tasks when the
// file names none: the time from a task's creation to RUNNING, median
// 30 s (the ECS emulator's own default, a Fargate task's image pull and
// container start), p90 50 s.
var defaultStartTime = LogNormal(30*time.Second, 50*time.Second)

// instanceOnly are the workers keys that describe EC2 instances, which an
// ECS service's workers do not have.
var instanceOnly = []string{"launch_time", "detailed_monitoring", "instance_types", "warm_pool", "warm_resume"}

// defaultScheduledActionDelay is how late an EC2 Auto Scaling scheduled
// action starts when the file does not say. The scheduled-scaling guide
// names no bound; a uniform delay of up to a minute is assumed.
var defaultScheduledActionDelay = Uniform(0, 60*time.Second)

func (p *parser) workers(root *object) {
	o := p.r.mapping(root.node("workers"), "workers")
	if o == nil {
		return
	}
	defer o.finish()
	w := &p.s.Workers
	w.Target = TargetASG
	if v, ok := o.str("target"); ok {
		switch v {
		case TargetASG, TargetECSService:
			w.Target = v
		default:
			p.r.add("workers.target", o.vals["target"].Line, "must be %s or %s, got %q", TargetASG, TargetECSService, v)
		}
	}
	if w.Target == TargetECSService {
		p.serviceWorkers(o)
		return
	}
	if o.has("start_time") {
		p.r.add("workers.start_time", o.vals["start_time"].Line, "an ECS task's start time: only with target: %s (an Auto Scaling group's instances take launch_time)", TargetECSService)
	}
	o.allow("start_time")
	p.commonWorkers(o, "launch_time", defaultLaunchTime)
	w.DetailedMonitoring = true
	if v, ok := o.boolean("detailed_monitoring"); ok {
		w.DetailedMonitoring = v
	}
	p.instanceTypes(o)
	p.warmPool(o)
	if o.has("warm_resume") {
		w.WarmResume = p.dist(o, "warm_resume", Dist{})
		w.WarmResumeSet = true
	} else {
		o.allow("warm_resume")
	}
}

// serviceWorkers reads the workers of an ECS service: start_time instead
// of launch_time, and none of the keys that describe EC2 instances.
func (p *parser) serviceWorkers(o *object) {
	for _, k := range instanceOnly {
		if o.has(k) {
			p.r.add(o.sub(k), o.vals[k].Line, "describes EC2 instances; an ECS service's tasks (target: %s) take start_time", TargetECSService)
		}
		o.allow(k)
	}
	// A task's start time plays the part of an instance's launch time
	// everywhere the simulator uses one: the world's draws, the oracle,
	// the reaction lookahead, the boost lead.
	p.commonWorkers(o, "start_time", defaultStartTime)
	// ECS publishes a service's metrics per minute (AWS/ECS
	// CPUUtilization, "Amazon ECS CloudWatch metrics").
	p.s.Workers.DetailedMonitoring = true
}

// commonWorkers reads the workers keys of every target kind, the launch
// time from launchKey.
func (p *parser) commonWorkers(o *object, launchKey string, launchDefault Dist) {
	w := &p.s.Workers
	o.require("per_instance_rate", "max")
	w.PerInstanceRate, _ = o.number("per_instance_rate", positive, atMost(maxRate, "messages per second"))
	w.ServiceTime = defaultServiceTime
	if d, ok := o.duration("service_time", positive, noLongerThan(time.Hour)); ok {
		w.ServiceTime = d
	}
	w.LaunchTime = p.dist(o, launchKey, launchDefault)
	w.Warmup = defaultWarmup
	if d, ok := o.duration("warmup", nonNegative, noLongerThan(24*time.Hour)); ok {
		w.Warmup = d
	}
	var minOK, maxOK bool
	w.Min, minOK = o.integer("min", nonNegative, atMost(maxInstances, "instances the simulator models"))
	w.Max, maxOK = o.integer("max", positive, atMost(maxInstances, "instances the simulator models"))
	if minOK && maxOK && w.Min > w.Max {
		p.r.add("workers.min", o.vals["min"].Line, "must not be above max (%d), got %d", w.Max, w.Min)
	}
	if v, ok := o.integer("initial", nonNegative); ok && v > 0 {
		switch {
		case maxOK && v > w.Max:
			p.r.add("workers.initial", o.vals["initial"].Line, "must not be above max (%d), got %d", w.Max, v)
		case v < w.Min:
			p.r.add("workers.initial", o.vals["initial"].Line, "must not be below min (%d), got %d", w.Min, v)
		}
		w.Initial = v
	}
}

// maxWeight is the largest WeightedCapacity AWS accepts
// (API_LaunchTemplateOverrides: 1 to 999).
const maxWeight = 999

// instanceTypes reads workers.instance_types: [{type, weight}], at most
// 40 types (the most overrides a mixed instances policy takes), each type
// once.
func (p *parser) instanceTypes(o *object) {
	items := o.list("instance_types")
	if o.has("instance_types") && len(items) == 0 && o.vals["instance_types"].Kind == yaml.SequenceNode {
		p.r.add(o.sub("instance_types"), o.vals["instance_types"].Line, "needs at least one type, or leave it out")
	}
	if len(items) > 40 {
		p.r.add(o.sub("instance_types"), o.vals["instance_types"].Line, "at most 40 types (AWS's limit on overrides), got %d", len(items))
		return
	}
	seen := map[string]int{}
	for i, n := range items {
		path := fmt.Sprintf("%s[%d]", o.sub("instance_types"), i)
		m := p.r.mapping(n, path)
		if m == nil {
			continue
		}
		m.require("type", "weight")
		t, tok := m.str("type")
		w, wok := m.integer("weight", positive, atMost(maxWeight, "the largest weight AWS accepts"))
		m.finish()
		if tok {
			if line, dup := seen[t]; dup {
				p.r.add(path+".type", n.Line, "type %q is listed twice (first on line %d)", t, line)
			}
			seen[t] = n.Line
		}
		if tok && wok {
			p.s.Workers.InstanceTypes = append(p.s.Workers.InstanceTypes, InstanceType{Type: t, Weight: w})
		}
	}
}

// warmPool reads workers.warm_pool: {min_size, max_group_prepared_capacity,
// pool_state}, with PutWarmPool's defaults (min_size 0, the group's max,
// Stopped).
func (p *parser) warmPool(o *object) {
	n := o.node("warm_pool")
	if n == nil {
		return
	}
	m := p.r.mapping(n, o.sub("warm_pool"))
	if m == nil {
		return
	}
	defer m.finish()
	wp := &WarmPool{PoolState: "Stopped"}
	if v, ok := m.integer("min_size", nonNegative, atMost(maxInstances, "instances the simulator models")); ok {
		wp.MinSize = v
	}
	if v, ok := m.integer("max_group_prepared_capacity", nonNegative, atMost(maxInstances, "instances the simulator models")); ok {
		wp.MaxGroupPreparedCapacity = v
	}
	if v, ok := m.str("pool_state"); ok {
		switch v {
		case "Stopped", "Running", "Hibernated":
			wp.PoolState = v
		default:
			p.r.add(m.sub("pool_state"), m.vals["pool_state"].Line, "must be Stopped, Running or Hibernated, got %q", v)
		}
	}
	if wp.MaxGroupPreparedCapacity > 0 && wp.MinSize > wp.MaxGroupPreparedCapacity {
		p.r.add(m.sub("min_size"), m.vals["min_size"].Line, "must not be above max_group_prepared_capacity (%d), got %d", wp.MaxGroupPreparedCapacity, wp.MinSize)
	}
	p.s.Workers.WarmPool = wp
}

var componentKinds = []string{"constant", "step", "ramp", "spike", "sinusoid", "noise", "burst", "trace"}

func (p *parser) load(root *object) {
	items := root.list("load")
	if root.has("load") && len(items) == 0 && root.vals["load"].Kind == yaml.SequenceNode {
		p.r.add("load", root.vals["load"].Line, "needs at least one component")
	}
	if len(items) > maxItems {
		p.r.add("load", root.vals["load"].Line, "at most %d components, got %d", maxItems, len(items))
		return
	}
	for i, item := range items {
		path := fmt.Sprintf("load[%d]", i)
		m := p.r.mapping(item, path)
		if m == nil {
			continue
		}
		if len(m.keys) != 1 {
			p.r.add(path, m.line, "a load component is a one-key mapping such as `constant: {rate: 50}`, got %d keys", len(m.keys))
			continue
		}
		key := m.keys[0]
		cpath := path + "." + key.Value
		if !slices.Contains(componentKinds, key.Value) {
			p.r.add(cpath, key.Line, "unknown load component: want one of %s", strings.Join(componentKinds, ", "))
			continue
		}
		v := m.node(key.Value)
		if v == nil {
			p.r.add(cpath, key.Line, "want a mapping of its settings, got null")
			continue
		}
		o := p.r.mapping(v, cpath)
		if o == nil {
			continue
		}
		before := len(p.r.probs)
		c := p.component(key.Value, o)
		o.finish()
		if c != nil && len(p.r.probs) == before {
			p.s.components = append(p.s.components, c)
		}
	}
}

// component reads one load component's settings.
func (p *parser) component(kind string, o *object) component {
	rate := func(key string) float64 {
		v, _ := o.number(key, nonNegative, atMost(maxRate, "messages per second"))
		return v
	}
	switch kind {
	case "constant":
		o.require("rate")
		return constantLoad{rate: rate("rate")}
	case "step":
		o.require("at", "rate")
		c := stepLoad{rate: rate("rate"), until: forever}
		c.at, _ = p.begin(o, "at")
		if d, ok := p.end(o, "until", c.at, "at", true); ok {
			c.until = d
		}
		return c
	case "ramp":
		o.require("from", "to", "rate")
		c := rampLoad{rate: rate("rate"), until: forever}
		c.from, _ = p.begin(o, "from")
		c.to, _ = p.end(o, "to", c.from, "from", true)
		if d, ok := p.end(o, "until", c.to, "to", false); ok {
			c.until = d
		}
		return c
	case "spike":
		o.require("at", "peak", "decay")
		c := spikeLoad{peak: rate("peak")}
		c.at, _ = p.begin(o, "at")
		c.rise, _ = o.duration("rise", nonNegative, noLongerThan(MaxDuration))
		c.decay, _ = o.duration("decay", positive, noLongerThan(MaxDuration))
		return c
	case "sinusoid":
		o.require("period", "amplitude")
		c := sinusoidLoad{amplitude: rate("amplitude")}
		c.period, _ = o.duration("period", positive, noLongerThan(MaxDuration))
		c.phase, _ = p.offset(o, "phase", 0, false)
		return c
	case "noise":
		o.require("relative")
		c := noiseLoad{correlation: 60 * time.Second}
		c.relative, _ = o.number("relative", nonNegative, atMost(10, "a standard deviation of ten times the rate"))
		if d, ok := o.duration("correlation", nonNegative, noLongerThan(24*time.Hour)); ok {
			c.correlation = d
		}
		return c
	case "burst":
		o.require("at", "messages")
		c := burstLoad{}
		c.at, _ = p.begin(o, "at")
		c.messages, _ = o.integer("messages", positive, atMost(maxMessages, "messages in one burst"))
		return c
	case "trace":
		return p.trace(o)
	}
	return nil
}

func (p *parser) trace(o *object) component {
	o.require("file")
	file, ok := o.str("file")
	var scales []string
	for _, k := range []string{"peak", "scale", "mean"} {
		if o.has(k) {
			scales = append(scales, k)
		}
	}
	if len(scales) > 1 {
		p.r.add(o.sub(scales[1]), o.vals[scales[1]].Line, "set only one of peak, scale and mean (%s is set too)", scales[0])
	}
	peak, peakOK := o.number("peak", positive, atMost(maxRate, "messages per second"))
	mean, meanOK := o.number("mean", positive, atMost(maxRate, "messages per second"))
	scale, scaleOK := o.number("scale", positive)
	if !ok {
		return nil
	}
	line := o.vals["file"].Line
	resolved, data, err := p.read(file)
	if err != nil {
		p.r.add(o.sub("file"), line, "cannot read trace %q (%s): %v", file, resolved, err)
		return nil
	}
	tr, err := parseTrace(resolved, data)
	if err != nil {
		p.r.add(o.sub("file"), line, "%v", err)
		return nil
	}
	c := traceLoad{file: file, rows: tr.rows, cycle: tr.cycle, factor: 1}
	switch {
	case peakOK || meanOK:
		base, target := tr.peak(), peak
		if meanOK {
			base, target = tr.mean(), mean
		}
		if base <= 0 {
			p.r.add(o.sub("file"), line, "trace %s has no arrivals to scale", resolved)
			return nil
		}
		c.factor = target / base
	case scaleOK:
		c.factor = scale
	}
	if top := tr.peak() * c.factor; top > maxRate {
		p.r.add(o.sub("file"), line, "the trace peaks at %g messages per second, more than %g", top, maxRate)
		return nil
	}
	return c
}

func (p *parser) campaigns(root *object) {
	items := root.list("campaigns")
	if len(items) > maxItems {
		p.r.add("campaigns", root.vals["campaigns"].Line, "at most %d campaigns, got %d", maxItems, len(items))
		return
	}
	names := map[string]int{}
	for i, item := range items {
		path := fmt.Sprintf("campaigns[%d]", i)
		o := p.r.mapping(item, path)
		if o == nil {
			continue
		}
		byAudience := o.has("audience")
		if byAudience {
			o.require("name", "start")
		} else {
			o.require("name", "start", "end")
		}
		c := Campaign{Announced: true}
		if v, ok := o.str("name"); ok {
			if first, dup := names[v]; dup {
				p.r.add(o.sub("name"), o.vals["name"].Line, "campaign %q is already campaigns[%d]", v, first)
			}
			names[v] = i
			c.Name = v
		}
		c.Start, _ = p.begin(o, "start")
		if !byAudience || o.has("end") {
			if d, ok := p.end(o, "end", c.Start, "start", true); ok {
				if p.s.Duration > 0 && d > p.s.Duration {
					p.r.add(o.sub("end"), o.vals["end"].Line, "is at %s, after the end of the run (duration %s)", d, p.s.Duration)
				}
				c.End = d
			}
		}
		if !byAudience && o.has("messages_per_recipient") {
			p.r.add(o.sub("messages_per_recipient"), o.vals["messages_per_recipient"].Line, "only a campaign given by its audience has messages per recipient")
			o.allow("messages_per_recipient")
		}
		switch {
		case byAudience:
			for _, k := range []string{"capacity", "expected_rate"} {
				if o.has(k) {
					p.r.add(o.sub(k), o.vals[k].Line, "set audience or %s, not both: a campaign given by its audience is sized from it", k)
					o.allow(k)
				}
			}
			c.Audience, _ = o.integer("audience", positive, atMost(maxAudience, "recipients"))
			c.MessagesPerRecipient = campaign.DefaultMessagesPerRecipient
			if o.has("messages_per_recipient") {
				c.MessagesPerRecipient, _ = o.integer("messages_per_recipient", positive, atMost(maxMessagesPerRecipient, "messages per recipient"))
			}
		case o.has("capacity") && o.has("expected_rate"):
			p.r.add(o.sub("expected_rate"), o.vals["expected_rate"].Line, "set capacity or expected_rate, not both")
			o.allow("capacity", "expected_rate")
		case o.has("capacity"):
			c.Capacity, _ = o.integer("capacity", positive, atMost(maxInstances, "instances the simulator models"))
		case o.has("expected_rate"):
			if v, ok := o.number("expected_rate", positive, atMost(maxRate, "messages per second")); ok && p.s.Workers.PerInstanceRate > 0 {
				c.Capacity = capacityFor(v, p.s.Workers.PerInstanceRate)
			}
		default:
			p.r.add(o.sub("capacity"), o.line, "required (or expected_rate, or audience)")
		}
		if v, ok := o.boolean("announced"); ok {
			c.Announced = v
		}
		o.finish()
		p.s.Campaigns = append(p.s.Campaigns, c)
	}
}

// capacityFor is the instances that complete rate messages per second:
// ceil(rate / perInstance), an exact multiple not rounded up.
func capacityFor(rate, perInstance float64) int {
	return int(math.Ceil(rate/perInstance - 1e-9))
}

var (
	faultKinds   = []string{FaultAPIError, FaultLatency, FaultThrottle, FaultMetricsWithheld}
	services     = []string{ServiceAutoScaling, ServiceCloudWatch, ServiceSQS}
	namespaces   = []string{NamespaceSQS, NamespaceEC2, NamespaceAutoScaling}
	allFaultKeys = []string{"service", "operation", "status", "code", "latency", "hang", "rate", "namespaces", "from", "until"}
)

// maxLatency bounds an injected latency: the SDK's clients give up long
// before.
const maxLatency = 10 * time.Minute

func (p *parser) faults(root *object) {
	items := root.list("faults")
	if len(items) > maxItems {
		p.r.add("faults", root.vals["faults"].Line, "at most %d faults, got %d", maxItems, len(items))
		return
	}
	for i, item := range items {
		path := fmt.Sprintf("faults[%d]", i)
		o := p.r.mapping(item, path)
		if o == nil {
			continue
		}
		o.require("kind", "from", "until")
		var f Fault
		kind, ok := o.str("kind")
		switch {
		case !ok:
			o.allow(allFaultKeys...)
		case !slices.Contains(faultKinds, kind):
			p.r.add(o.sub("kind"), o.vals["kind"].Line, "unknown fault kind %q: want one of %s", kind, strings.Join(faultKinds, ", "))
			o.allow(allFaultKeys...)
		default:
			f.Kind = kind
			p.faultDetails(o, &f)
		}
		f.From, _ = p.begin(o, "from")
		f.Until, _ = p.end(o, "until", f.From, "from", true)
		o.finish()
		p.s.Faults = append(p.s.Faults, f)
	}
}

func (p *parser) faultDetails(o *object, f *Fault) {
	if f.Kind == FaultMetricsWithheld {
		seen := map[string]bool{}
		for j, n := range o.list("namespaces") {
			path := fmt.Sprintf("%s[%d]", o.sub("namespaces"), j)
			n = p.r.resolve(n)
			if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || !slices.Contains(namespaces, n.Value) {
				p.r.add(path, n.Line, "want one of %s, got %s", strings.Join(namespaces, ", "), describe(n))
				continue
			}
			if !seen[n.Value] {
				f.Namespaces = append(f.Namespaces, n.Value)
			}
			seen[n.Value] = true
		}
		return
	}
	o.require("service")
	if v, ok := o.str("service"); ok {
		if slices.Contains(services, v) {
			f.Service = v
		} else {
			p.r.add(o.sub("service"), o.vals["service"].Line, "unknown service %q: want one of %s", v, strings.Join(services, ", "))
		}
	}
	if v, ok := o.str("operation"); ok {
		if operationName.MatchString(v) {
			f.Operation = v
		} else {
			p.r.add(o.sub("operation"), o.vals["operation"].Line, "want an API operation name such as \"GetMetricData\", got %q", v)
		}
	}
	if v, ok := o.number("rate", positive, between(0, 1)); ok {
		f.Rate = v
	}
	switch f.Kind {
	case FaultThrottle:
		f.Status, f.Code = 400, throttleCode(f.Service)
		return
	case FaultLatency:
		hang, _ := o.boolean("hang")
		f.Hang = hang
		if !hang {
			o.require("latency")
		}
		f.Latency, _ = o.duration("latency", positive, noLongerThan(maxLatency))
		return
	}
	statusOK := false
	f.Status, statusOK = o.integer("status", between(400, 599))
	if v, ok := o.str("code"); ok {
		if errorCode.MatchString(v) {
			f.Code = v
		} else {
			p.r.add(o.sub("code"), o.vals["code"].Line, "want an AWS error code such as \"Throttling\", got %q", v)
		}
	}
	switch {
	case !statusOK && f.Code == "":
		f.Status, f.Code = defaultStatus, "InternalFailure"
	case !statusOK:
		f.Status = defaultStatus
		if s, ok := codeStatus[f.Code]; ok {
			f.Status = s
		}
	case f.Code == "" && f.Status == 503:
		f.Code = "ServiceUnavailable"
	case f.Code == "" && f.Status >= 500:
		f.Code = "InternalFailure"
	case f.Code == "":
		p.r.add(o.sub("code"), o.line, "required with a 4xx status (e.g. Throttling)")
	}
}

// throttleCode is the error code each service throttles with: Throttling
// for EC2 Auto Scaling and CloudWatch (awsQuery codes, "Rate exceeded"),
// RequestThrottled for SQS (the SQS API reference).
func throttleCode(service string) string {
	if service == ServiceSQS {
		return "RequestThrottled"
	}
	return "Throttling"
}

func (p *parser) monitoring(root *object) {
	m := &p.s.Monitoring
	m.SQSDelay, m.EC2Delay, m.ASGDelay = defaultPublishDelay, defaultPublishDelay, defaultPublishDelay
	o := p.r.mapping(root.node("monitoring"), "monitoring")
	if o == nil {
		return
	}
	defer o.finish()
	for _, f := range []struct {
		key string
		dst *time.Duration
	}{{"sqs_delay", &m.SQSDelay}, {"ec2_delay", &m.EC2Delay}, {"asg_delay", &m.ASGDelay}} {
		if d, ok := o.duration(f.key, nonNegative, noLongerThan(time.Hour)); ok {
			*f.dst = d
		}
	}
}

// Defaults of the baselines that do not depend on the rest of the file.
var defaultBaselines = Baselines{
	TargetTracking: TargetTracking{
		Metric:             MetricBacklogPerInstance,
		ScaleOutDatapoints: 3, ScaleOutPeriods: 3,
		ScaleInDatapoints: 15, ScaleInPeriods: 15,
		ScaleInRatio: 0.7,
	},
	Step: Step{
		Datapoints: 1, Periods: 1,
		ScaleInDatapoints: 15, ScaleInPeriods: 15,
		ScaleInAdjustment: -10,
	},
	// Kubernetes' documented HPA defaults: --horizontal-pod-autoscaler-
	// tolerance 0.1, --horizontal-pod-autoscaler-sync-period 15s, and a
	// scale-down stabilization window of 300 s.
	HPA: HPA{
		Tolerance:              0.1,
		Sync:                   15 * time.Second,
		ScaleDownStabilization: 300 * time.Second,
	},
}

func (p *parser) baselines(root *object) {
	b := &p.s.Baselines
	*b = defaultBaselines
	b.ScheduledActionDelay = defaultScheduledActionDelay
	if o := p.r.mapping(root.node("baselines"), "baselines"); o != nil {
		if tt := p.r.mapping(o.node("target_tracking"), "baselines.target_tracking"); tt != nil {
			p.targetTracking(tt)
			tt.finish()
		}
		if st := p.r.mapping(o.node("step"), "baselines.step"); st != nil {
			p.step(st)
			st.finish()
		}
		if h := p.r.mapping(o.node("hpa"), "baselines.hpa"); h != nil {
			p.hpa(h)
			h.finish()
		}
		b.ScheduledActionDelay = p.dist(o, "scheduled_action_delay", defaultScheduledActionDelay)
		b.StaticCapacity, _ = o.integer("static_capacity", nonNegative, atMost(maxInstances, "instances the simulator models"))
		o.finish()
	}
	p.derivedBaselines()
}

// alarmPeriods reads a datapoints-of-periods pair over *dp and *periods,
// which hold the defaults. As with CloudWatch's DatapointsToAlarm, leaving
// out the datapoints means all of the periods; leaving out the periods
// keeps the default unless the datapoints need more.
func (p *parser) alarmPeriods(o *object, dpKey, periodsKey string, dp, periods *int) {
	n, pOK := o.integer(periodsKey, between(1, maxAlarmPeriods))
	if pOK {
		*periods, *dp = n, n
	}
	d, dOK := o.integer(dpKey, between(1, maxAlarmPeriods))
	if !dOK {
		return
	}
	*dp = d
	switch {
	case d <= *periods:
	case o.has(periodsKey):
		if pOK {
			p.r.add(o.sub(dpKey), o.vals[dpKey].Line, "must not be above %s (%d), got %d", periodsKey, *periods, d)
		}
	default:
		*periods = d
	}
}

func (p *parser) targetTracking(o *object) {
	t := &p.s.Baselines.TargetTracking
	if v, ok := o.str("metric"); ok {
		if v == MetricBacklogPerInstance || v == MetricCPU {
			t.Metric = v
		} else {
			p.r.add(o.sub("metric"), o.vals["metric"].Line, "unknown metric %q: want %s or %s", v, MetricBacklogPerInstance, MetricCPU)
		}
	}
	t.Target, _ = o.number("target", positive)
	if t.Metric == MetricCPU && t.Target > 100 {
		p.r.add(o.sub("target"), o.vals["target"].Line, "a CPU target is a percentage, at most 100, got %g", t.Target)
	}
	p.alarmPeriods(o, "scale_out_datapoints", "scale_out_periods", &t.ScaleOutDatapoints, &t.ScaleOutPeriods)
	p.alarmPeriods(o, "scale_in_datapoints", "scale_in_periods", &t.ScaleInDatapoints, &t.ScaleInPeriods)
	if v, ok := o.number("scale_in_ratio", positive, atMost(1, "the scale-in threshold lies below the target")); ok {
		t.ScaleInRatio = v
	}
}

func (p *parser) step(o *object) {
	s := &p.s.Baselines.Step
	s.Threshold, _ = o.number("threshold", positive)
	p.alarmPeriods(o, "datapoints", "periods", &s.Datapoints, &s.Periods)
	s.ScaleInThreshold, _ = o.number("scale_in_threshold", positive)
	if s.Threshold > 0 && s.ScaleInThreshold >= s.Threshold {
		p.r.add(o.sub("scale_in_threshold"), o.vals["scale_in_threshold"].Line,
			"must be below threshold (%g), got %g", s.Threshold, s.ScaleInThreshold)
	}
	p.alarmPeriods(o, "scale_in_datapoints", "scale_in_periods", &s.ScaleInDatapoints, &s.ScaleInPeriods)
	if v, ok := o.integer("scale_in_adjustment", between(-100, -1)); ok {
		s.ScaleInAdjustment = v
	}
	items := o.list("steps")
	if o.has("steps") && len(items) == 0 && o.vals["steps"].Kind == yaml.SequenceNode {
		p.r.add(o.sub("steps"), o.vals["steps"].Line, "needs at least one step (or leave it out for the default)")
	}
	if len(items) > maxItems {
		p.r.add(o.sub("steps"), o.vals["steps"].Line, "at most %d steps, got %d", maxItems, len(items))
		return
	}
	before := len(p.r.probs)
	for i, item := range items {
		m := p.r.mapping(item, fmt.Sprintf("%s[%d]", o.sub("steps"), i))
		if m == nil {
			continue
		}
		s.Steps = append(s.Steps, p.stepAdjustment(m))
		m.finish()
	}
	if len(p.r.probs) == before && len(s.Steps) > 0 {
		p.checkSteps(o.sub("steps"), o.vals["steps"].Line, s.Steps)
	}
}

func (p *parser) stepAdjustment(m *object) StepAdjustment {
	a := StepAdjustment{Type: ChangeInCapacity}
	if v, ok := m.number("lower"); ok {
		a.Lower = &v
	}
	if v, ok := m.number("upper"); ok {
		a.Upper = &v
	}
	switch {
	case !m.has("lower") && !m.has("upper"):
		p.r.add(m.path, m.line, "set lower, upper or both: a step cannot be unbounded on both sides")
	case a.Lower != nil && a.Upper != nil && *a.Lower >= *a.Upper:
		p.r.add(m.sub("upper"), m.vals["upper"].Line, "must be above lower (%g), got %g", *a.Lower, *a.Upper)
	}
	m.require("adjustment")
	// ScalingAdjustment is an integer in the API (StepAdjustment, EC2
	// Auto Scaling API reference).
	if v, ok := m.integer("adjustment", between(-maxInstances, maxInstances)); ok {
		a.Adjustment = float64(v)
	}
	if v, ok := m.str("type"); ok {
		switch v {
		case ChangeInCapacity, PercentChangeInCapacity, ExactCapacity:
			a.Type = v
		default:
			p.r.add(m.sub("type"), m.vals["type"].Line, "unknown adjustment type %q: want %s, %s or %s",
				v, ChangeInCapacity, PercentChangeInCapacity, ExactCapacity)
		}
	}
	if a.Type == ExactCapacity && a.Adjustment < 0 {
		p.r.add(m.sub("adjustment"), m.vals["adjustment"].Line, "an ExactCapacity adjustment must not be negative")
	}
	return a
}

// checkSteps applies the rules of the EC2 Auto Scaling API reference's
// StepAdjustment: ranges neither overlap nor leave a gap; at most one
// step is unbounded below and at most one above.
func (p *parser) checkSteps(path string, line int, steps []StepAdjustment) {
	lo := func(a StepAdjustment) float64 {
		if a.Lower == nil {
			return math.Inf(-1)
		}
		return *a.Lower
	}
	hi := func(a StepAdjustment) float64 {
		if a.Upper == nil {
			return math.Inf(1)
		}
		return *a.Upper
	}
	sorted := slices.Clone(steps)
	slices.SortStableFunc(sorted, func(a, b StepAdjustment) int {
		switch {
		case lo(a) < lo(b):
			return -1
		case lo(a) > lo(b):
			return 1
		}
		return 0
	})
	for i := 1; i < len(sorted); i++ {
		prev, cur := sorted[i-1], sorted[i]
		switch {
		case hi(prev) > lo(cur):
			p.r.add(path, line, "steps overlap from %g: the ranges of step adjustments can neither overlap nor leave a gap", lo(cur))
			return
		case hi(prev) < lo(cur):
			p.r.add(path, line, "steps leave a gap between %g and %g: the ranges of step adjustments can neither overlap nor leave a gap", hi(prev), lo(cur))
			return
		}
	}
	if last := sorted[len(sorted)-1]; last.Upper != nil {
		p.r.add(path, line, "the highest step must have no upper bound, so that every breach has a step")
	}
}

// maxStabilization is the longest HPA stabilization window Kubernetes
// accepts (HPAScalingRules.stabilizationWindowSeconds: at most 3600).
const maxStabilization = time.Hour

func (p *parser) hpa(o *object) {
	h := &p.s.Baselines.HPA
	h.TargetPerPod, _ = o.number("target_per_pod", positive)
	if v, ok := o.number("tolerance", nonNegative, atMost(0.99, "a tolerance of 100% never scales")); ok {
		h.Tolerance = v
	}
	if d, ok := o.duration("sync", positive, noLongerThan(time.Hour)); ok {
		h.Sync = d
	}
	if d, ok := o.duration("scale_down_stabilization", nonNegative, noLongerThan(maxStabilization)); ok {
		h.ScaleDownStabilization = d
	}
}

// derivedBaselines fills the baseline settings that follow from the SLO
// and the workers, where the file left them out.
func (p *parser) derivedBaselines() {
	s := p.s
	b := &s.Baselines
	// AWS's SQS recipe: the acceptable backlog per instance is the
	// acceptable latency divided by the time one instance spends per
	// message ("Scaling policy based on Amazon SQS", EC2 Auto Scaling User
	// Guide). Half the SLO is the acceptable latency, leaving the other
	// half for the alarm and the launch.
	backlog := (s.SLO / 2).Seconds() * s.Workers.PerInstanceRate
	t := &b.TargetTracking
	if t.Target == 0 {
		t.Target = backlog
		if t.Metric == MetricCPU {
			t.Target = 70
		}
	}
	if t.Metric == MetricBacklogPerInstance {
		backlog = t.Target
	}
	st := &b.Step
	if st.Threshold == 0 {
		st.Threshold = backlog
	}
	if st.ScaleInThreshold == 0 {
		st.ScaleInThreshold = 0.5 * st.Threshold
	}
	if len(st.Steps) == 0 {
		st.Steps = DefaultSteps(st.Threshold)
	}
	if b.HPA.TargetPerPod == 0 {
		b.HPA.TargetPerPod = backlog
	}
}

// DefaultSteps are the step adjustments of the aws-step baseline for a
// threshold: a breach below half the threshold adds one instance, one
// below the threshold adds 50%, anything more doubles the group.
func DefaultSteps(threshold float64) []StepAdjustment {
	zero, half, full := 0.0, 0.5*threshold, threshold
	return []StepAdjustment{
		{Lower: &zero, Upper: &half, Adjustment: 1, Type: ChangeInCapacity},
		{Lower: &half, Upper: &full, Adjustment: 50, Type: PercentChangeInCapacity},
		{Lower: &full, Adjustment: 100, Type: PercentChangeInCapacity},
	}
}

// headroomReserved are the keys of a Headroom group the simulator sets
// itself, from the workers section.
var headroomReserved = []string{"name", "asg", "target", "min", "max"}

func (p *parser) headroom(root *object) {
	n := root.node("headroom")
	if n == nil {
		return
	}
	o := p.r.mapping(n, "headroom")
	if o == nil {
		return
	}
	for _, k := range o.keys {
		if slices.Contains(headroomReserved, k.Value) {
			p.r.add(o.sub(k.Value), k.Line, "set by the simulator from the workers section; leave it out")
		}
	}
	budget := maxVisits
	out, ok := expand(n, &budget)
	if !ok {
		p.r.add("headroom", n.Line, "expands to too many values (aliases?)")
		return
	}
	text, err := yaml.Marshal(out)
	if err != nil {
		p.r.add("headroom", n.Line, "cannot re-encode: %v", err)
		return
	}
	p.s.Headroom = string(text)
}

// expand copies n with every alias replaced by a copy of what it stands
// for and no anchors left, so that the block reads alone; budget bounds
// the nodes copied.
func expand(n *yaml.Node, budget *int) (*yaml.Node, bool) {
	*budget--
	if *budget < 0 {
		return nil, false
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, false
		}
		return expand(n.Alias, budget)
	}
	c := *n
	c.Anchor = ""
	c.Content = nil
	for _, child := range n.Content {
		cc, ok := expand(child, budget)
		if !ok {
			return nil, false
		}
		c.Content = append(c.Content, cc)
	}
	return &c, true
}
