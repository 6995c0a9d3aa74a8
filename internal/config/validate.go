package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/policy"
)

// Limits the validator enforces. Each cites where it comes from; the ones
// without an AWS source keep numbers in a range where the arithmetic and
// the operator's intent stay sane.
const (
	minInterval = time.Second
	// maxInterval: a control loop slower than an hour is a cron job.
	maxInterval       = time.Hour
	maxSQSConcurrency = 256
	maxHistory        = 100_000
	// maxCapacity: far above any group Headroom is meant for, and low
	// enough that percentages of it stay exact in float64.
	maxCapacity = 10_000
	// maxWindow bounds warmup, scale_in_window and max_age.
	maxWindow = 24 * time.Hour
	// maxPeriod: a metric slower than a day cannot steer a loop that runs
	// every few seconds.
	maxPeriod = 24 * time.Hour
	// Alarm evaluation range: Period x EvaluationPeriods may not exceed
	// one day for periods under an hour, and seven days otherwise
	// (PutMetricAlarm, Amazon CloudWatch API Reference).
	maxShortAlarmRange = 24 * time.Hour
	maxLongAlarmRange  = 7 * 24 * time.Hour
	// maxStepAdjustments: "Step adjustments per step scaling policy: 20"
	// (Amazon EC2 Auto Scaling service quotas).
	maxStepAdjustments = 20
	// maxQueryMetrics: an alarm on metric math may retrieve at most 10
	// metrics (PutMetricAlarm, MetricDataQuery); keeping to it lets a step
	// policy be mirrored as a real alarm.
	maxQueryMetrics = 10
	// maxExpression: MetricDataQuery.Expression is at most 2048 characters.
	maxExpression = 2048
	// maxDimensions: a CloudWatch metric has at most 30 dimensions; names
	// are 1-255 and values 1-1024 characters (Dimension, CloudWatch API
	// Reference).
	maxDimensions     = 30
	maxDimensionName  = 255
	maxDimensionValue = 1024
	maxMetricName     = 255
	// maxASGName: AutoScalingGroupName is at most 255 characters.
	maxASGName = 255
	// maxSecondsPerMessage is SQS's longest visibility timeout, 12 hours:
	// a message that takes longer cannot be held by one worker.
	maxSecondsPerMessage = 12 * 60 * 60
	// maxAcceptableLatency is SQS's longest message retention, 14 days:
	// a message waiting longer is deleted by SQS.
	maxAcceptableLatency = 14 * 24 * time.Hour
	// maxQueueName: SQS queue names are 1-80 characters, the ".fifo"
	// suffix of a FIFO queue included.
	maxQueueName = 80
)

var (
	groupNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	policyNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	// queryIDRE is CloudWatch's rule for MetricDataQuery.Id: letters,
	// digits and underscores, starting with a lowercase letter.
	queryIDRE   = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,254}$`)
	queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.fifo)?$`)
	regionRE    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	// percentileRE is CloudWatch's percentile statistic, pNN with up to
	// two decimals.
	percentileRE = regexp.MustCompile(`^p(\d{1,3})(\.\d{1,2})?$`)
)

// statistics are CloudWatch's basic statistics; percentiles are checked
// by percentileRE.
var statistics = []string{"Average", "Sum", "Minimum", "Maximum", "SampleCount"}

// units are CloudWatch's StandardUnit values.
var units = []string{
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
	"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
	"Count/Second", "None",
}

var (
	comparisons     = []policy.Comparison{policy.GreaterThanOrEqual, policy.GreaterThan, policy.LessThan, policy.LessThanOrEqual}
	adjustmentTypes = []policy.AdjustmentType{policy.ChangeInCapacity, policy.ExactCapacity, policy.PercentChangeInCapacity}
)

// Validate checks every rule and returns every problem at once as
// Problems, in document order, or nil. It checks c as it is: Parse has
// already applied the defaults.
func (c *Config) Validate() error {
	if ps := c.problems(); len(ps) > 0 {
		return ps
	}
	return nil
}

func (c *Config) problems() Problems {
	var ps problems
	if c.Region != "" && (len(c.Region) > 64 || !regionRE.MatchString(c.Region)) {
		ps.add("region", fmt.Sprintf("%q is not an AWS region name such as \"eu-west-1\"", c.Region))
	}
	// jitter and call_timeout are compared with interval only when it is
	// valid itself, so that one mistake is reported once.
	intervalOK := true
	switch {
	case c.Interval < Duration(minInterval):
		ps.add("interval", fmt.Sprintf("must be at least %s", minInterval))
		intervalOK = false
	case c.Interval > Duration(maxInterval):
		ps.add("interval", fmt.Sprintf("must be at most %s", maxInterval))
		intervalOK = false
	}
	switch {
	case c.Jitter < 0:
		ps.add("jitter", "must be >= 0")
	case intervalOK && c.Jitter >= c.Interval:
		ps.add("jitter", fmt.Sprintf("must be shorter than interval (%s)", c.Interval))
	}
	switch {
	case c.CallTimeout <= 0:
		ps.add("call_timeout", "must be > 0")
	case intervalOK && c.CallTimeout >= c.Interval:
		ps.add("call_timeout", fmt.Sprintf("must be shorter than interval (%s) so that a slow call cannot hold up the next cycle", c.Interval))
	}
	if err := checkListen(c.Listen); err != "" {
		ps.add("listen", err)
	}
	if c.SQSConcurrency < 1 || c.SQSConcurrency > maxSQSConcurrency {
		ps.add("sqs_concurrency", fmt.Sprintf("must be between 1 and %d", maxSQSConcurrency))
	}
	if c.History < 1 || c.History > maxHistory {
		ps.add("history", fmt.Sprintf("must be between 1 and %d", maxHistory))
	}
	c.checkState(&ps)
	c.checkLease(&ps)
	c.checkAWS(&ps)
	c.checkCampaigns(&ps)
	if len(c.Groups) == 0 {
		ps.add("groups", "at least one group is required")
	}
	names := map[string]int{}
	targets := map[string]int{}
	// A bare queue name is resolved in the account and region of the
	// group that reads it, so one name in two accounts is two queues that
	// the controller, keyed by queue, would read as one.
	type queueUse struct {
		group   int
		account string
	}
	bareQueues := map[string]queueUse{}
	for i, g := range c.Groups {
		path := fmt.Sprintf("groups[%d]", i)
		g.check(&ps, path)
		if j, ok := names[g.Name]; ok && g.Name != "" {
			ps.add(path+".name", fmt.Sprintf("%q is already the name of groups[%d]", g.Name, j))
		} else {
			names[g.Name] = i
		}
		for _, q := range g.Queues() {
			if strings.Contains(q, "://") {
				continue
			}
			acct := g.AWS.Account()
			if acct.Region == "" {
				acct.Region = c.Region
			}
			if u, ok := bareQueues[q]; !ok {
				bareQueues[q] = queueUse{i, acct.Key()}
			} else if u.account != acct.Key() {
				ps.add(path+".aws", fmt.Sprintf("queue %q is also named by groups[%d], in another account or region: name it by its URL in one of them", q, u.group))
			}
		}
		if key := g.targetIdentity(c.Region); g.TargetID() != "" {
			if j, ok := targets[key]; ok {
				field := ".target"
				if g.Target == (Target{}) {
					field = ".asg"
				}
				ps.add(path+field, fmt.Sprintf("%q is already managed by groups[%d]", g.TargetString(), j))
			} else {
				targets[key] = i
			}
		}
	}
	return ps.list
}

func checkListen(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not host:port (such as \":9464\" or \"127.0.0.1:9464\")", addr)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Sprintf("%q is not a host name or IP address", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("port %q must be a number from 0 to 65535", port)
	}
	return ""
}

func (g *Group) check(ps *problems, path string) {
	g.checkTarget(ps, path)
	if g.Name == "" {
		if g.defaultName() != "" {
			ps.add(path+".name", "must not be empty")
		}
	} else if !groupNameRE.MatchString(g.Name) {
		ps.add(path+".name", fmt.Sprintf("%q must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit; set name when asg has other characters", g.Name))
	}
	if g.Min < 0 {
		ps.add(path+".min", "must be >= 0")
	}
	switch {
	case g.Max < 1:
		ps.add(path+".max", "required, at least 1")
	case g.Max > maxCapacity:
		ps.add(path+".max", fmt.Sprintf("must be at most %d", maxCapacity))
	case g.Min > g.Max:
		ps.add(path+".max", fmt.Sprintf("must be >= min (%d)", g.Min))
	}
	checkWindow(ps, path+".warmup", g.Warmup, true)
	checkWindow(ps, path+".boost_lead", g.BoostLead, true)
	// The engine reads a zero window as its 300 s default, so zero is
	// refused rather than silently changed.
	checkWindow(ps, path+".scale_in_window", g.ScaleInWindow, false)
	checkWindow(ps, path+".max_age", g.MaxAge, false)
	if longest := g.longestPeriod(); g.MaxAge > 0 && longest > 0 && g.MaxAge <= longest {
		ps.add(path+".max_age", fmt.Sprintf("must be longer than the longest metric period of the group (%s): a datapoint is a period old when it is complete", longest))
	}
	if _, err := g.MaxScaleOutStep.Parse(); err != nil {
		ps.add(path+".max_scale_out_step", err.Error())
	}
	if r, err := g.MaxScaleInStep.Parse(); err != nil {
		ps.add(path+".max_scale_in_step", err.Error())
	} else if r.Percent && r.Value > 100 {
		ps.add(path+".max_scale_in_step", "a percentage must be at most 100%")
	}
	checkBand(ps, path+".hysteresis.scale_in", g.Hysteresis.ScaleIn)
	checkBand(ps, path+".hysteresis.scale_out", g.Hysteresis.ScaleOut)
	switch {
	case g.FallbackCapacity < 0:
		ps.add(path+".fallback_capacity", "must be >= 0")
	case g.FallbackCapacity > 0 && (g.FallbackCapacity < g.Min || g.FallbackCapacity > g.Max):
		ps.add(path+".fallback_capacity", fmt.Sprintf("must be within min and max [%d, %d]", g.Min, g.Max))
	}
	switch {
	case g.FallbackAfter < 0:
		ps.add(path+".fallback_after", "must be >= 0")
	case g.FallbackCapacity > 0 && g.FallbackAfter < 1:
		ps.add(path+".fallback_after", "must be at least 1 cycle when fallback_capacity is set")
	case g.FallbackCapacity == 0 && g.FallbackAfter > 0:
		ps.add(path+".fallback_after", "only applies with fallback_capacity")
	}
	if g.Predictive != nil {
		g.Predictive.check(ps, path+".predictive", g.Max)
	}
	if len(g.Policies) == 0 {
		ps.add(path+".policies", "at least one policy is required")
	}
	names := map[string]int{}
	for i, p := range g.Policies {
		pp := fmt.Sprintf("%s.policies[%d]", path, i)
		if j, ok := names[p.Name]; ok && p.Name != "" {
			ps.add(pp+".name", fmt.Sprintf("%q is already the name of policies[%d]", p.Name, j))
		} else {
			names[p.Name] = i
		}
		p.check(ps, pp)
	}
}

func (p *Predictive) check(ps *problems, path string, groupMax int) {
	switch p.Mode {
	case PredictiveForecastOnly, PredictiveFloor:
	case "":
		ps.add(path+".mode", fmt.Sprintf("required: %q or %q", PredictiveForecastOnly, PredictiveFloor))
	default:
		ps.add(path+".mode", fmt.Sprintf("%q must be %q or %q", p.Mode, PredictiveForecastOnly, PredictiveFloor))
	}
	checkWindow(ps, path+".lead", p.Lead, true)
	if !(p.Quantile > 0 && p.Quantile < 1) {
		ps.add(path+".quantile", "must be in (0,1)")
	}
	switch {
	case p.MaxFloor < 0:
		ps.add(path+".max_floor", "must be >= 0 (0: no cap but the group's max)")
	case groupMax > 0 && p.MaxFloor > groupMax:
		ps.add(path+".max_floor", fmt.Sprintf("must be at most max (%d)", groupMax))
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func checkWindow(ps *problems, field string, d Duration, zeroOK bool) {
	switch {
	case d < 0 || (d == 0 && !zeroOK):
		if zeroOK {
			ps.add(field, "must be >= 0")
		} else {
			ps.add(field, "must be > 0")
		}
	case d > Duration(maxWindow):
		ps.add(field, fmt.Sprintf("must be at most %s", maxWindow))
	}
}

// longestPeriod is the longest valid metric period among the group's
// policies, or 0.
func (g *Group) longestPeriod() Duration {
	var longest Duration
	for i := range g.Policies {
		if src := g.Policies[i].metricSource(); src != nil && src.Period <= Duration(maxPeriod) {
			longest = max(longest, src.Period)
		}
	}
	return longest
}

func (p *Policy) check(ps *problems, path string) {
	if !policyNameRE.MatchString(p.Name) {
		if p.Name == "" {
			ps.add(path+".name", "required")
		} else {
			ps.add(path+".name", fmt.Sprintf("%q must be 1 to 64 of a-z, 0-9, '_' and '-'", p.Name))
		}
	}
	kinds := 0
	for _, set := range []bool{p.TargetTracking != nil, p.Backlog != nil, p.Step != nil} {
		if set {
			kinds++
		}
	}
	switch kinds {
	case 0:
		ps.add(path, "one of target_tracking, backlog or step is required")
		return
	case 1:
	default:
		ps.add(path, "give exactly one of target_tracking, backlog or step")
		return
	}
	switch {
	case p.TargetTracking != nil:
		p.TargetTracking.check(ps, path+".target_tracking")
	case p.Backlog != nil:
		p.Backlog.check(ps, path+".backlog")
	case p.Step != nil:
		p.Step.check(ps, path+".step")
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func (t *TargetTracking) check(ps *problems, path string) {
	t.MetricSource.check(ps, path)
	if !finite(t.Target) || t.Target <= 0 {
		ps.add(path+".target", "must be > 0")
	}
	if !finite(t.Tolerance) || t.Tolerance < 0 || t.Tolerance >= 1 {
		ps.add(path+".tolerance", "must be >= 0 and < 1 (a fraction of target: 0.1 is 10%)")
	}
}

func (b *Backlog) check(ps *problems, path string) {
	switch b.Mode {
	case policy.ModeRate, policy.ModePerInstance:
	default:
		ps.add(path+".mode", fmt.Sprintf("%q must be %q or %q", b.Mode, policy.ModeRate, policy.ModePerInstance))
	}
	switch {
	case b.AcceptableLatency < 0 || (b.AcceptableLatency == 0 && b.Mode == policy.ModeRate):
		ps.add(path+".acceptable_latency", "must be > 0: how long a message may wait")
	case b.AcceptableLatency > Duration(maxAcceptableLatency):
		ps.add(path+".acceptable_latency", fmt.Sprintf("must be at most %s, SQS's longest message retention", maxAcceptableLatency))
	}
	if !finite(b.TargetUtilization) || b.TargetUtilization <= 0 || b.TargetUtilization > 1 {
		ps.add(path+".target_utilization", "must be > 0 and <= 1")
	}
	if !finite(b.Budget) || b.Budget < 0 || b.Budget > 1 {
		ps.add(path+".budget", "must be >= 0 and <= 1 (a share of the acceptable latency the standing backlog may use)")
	}
	if !finite(b.DrainFactor) || b.DrainFactor <= 0 || b.DrainFactor > 100 {
		ps.add(path+".drain_factor", "must be > 0 and at most 100 (the excess is drained within drain_factor x acceptable_latency)")
	}
	if !finite(b.RefillSlack) || b.RefillSlack < 0 || b.RefillSlack >= 1 {
		ps.add(path+".refill_slack", "must be >= 0 and < 1 (a fraction of the arrival rate)")
	}
	if !finite(b.JumpFactor) || b.JumpFactor <= 1 || b.JumpFactor > 1000 {
		ps.add(path+".jump_factor", "must be > 1 and at most 1000 (a multiple of the smoothed arrival rate)")
	}
	if b.ArrivalSmoothing < 0 || b.ArrivalSmoothing > Duration(time.Hour) {
		ps.add(path+".arrival_smoothing", "must be >= 0 (0: the acceptable latency) and at most 1h")
	}
	if b.JumpMemory <= 0 || b.JumpMemory > Duration(24*time.Hour) {
		ps.add(path+".jump_memory", "must be > 0 and at most 24h")
	}
	if len(b.Queues) == 0 {
		ps.add(path+".queues", "at least one queue is required")
	}
	seen := map[string]int{}
	for i, q := range b.Queues {
		qp := fmt.Sprintf("%s.queues[%d]", path, i)
		if j, ok := seen[q.Name]; ok && q.Name != "" {
			ps.add(qp+".queue", fmt.Sprintf("%q is already queues[%d] of this policy", q.Name, j))
		} else {
			seen[q.Name] = i
		}
		q.check(ps, qp, b)
	}
}

func (q *Queue) check(ps *problems, path string, b *Backlog) {
	if err := checkQueue(q.Name); err != "" {
		ps.add(path+".queue", err)
	}
	spm := q.SecondsPerMessage
	if !finite(spm) || spm < 0 || spm > maxSecondsPerMessage {
		ps.add(path+".seconds_per_message", fmt.Sprintf("must be > 0 and at most %d (SQS's longest visibility timeout)", maxSecondsPerMessage))
		spm = 0
	}
	if !finite(q.TargetPerInstance) || q.TargetPerInstance < 0 {
		ps.add(path+".target_per_instance", "must be > 0")
	}
	if q.Concurrency < 1 {
		ps.add(path+".concurrency", "must be at least 1 message per instance")
	}
	switch b.Mode {
	case policy.ModeRate:
		if q.SecondsPerMessage == 0 {
			ps.add(path+".seconds_per_message", "required in rate mode, > 0")
		}
		if q.TargetPerInstance != 0 {
			ps.add(path+".target_per_instance", "only applies in per_instance mode")
		}
	case policy.ModePerInstance:
		if q.TargetPerInstance == 0 && (spm == 0 || b.AcceptableLatency <= 0) {
			ps.add(path+".target_per_instance", "required in per_instance mode, > 0; or give seconds_per_message with the policy's acceptable_latency")
		}
	}
}

// checkQueue accepts an SQS queue name or queue URL.
func checkQueue(s string) string {
	if s == "" {
		return "required: the queue's name or URL"
	}
	name := s
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Sprintf("%q is not a queue URL such as https://sqs.eu-west-1.amazonaws.com/123456789012/name", s)
		}
		name = u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	}
	if len(name) > maxQueueName || !queueNameRE.MatchString(name) {
		return fmt.Sprintf("%q is not an SQS queue name: 1 to %d letters, digits, '-' and '_', with \".fifo\" at the end of a FIFO queue", name, maxQueueName)
	}
	return ""
}

func (s *Step) check(ps *problems, path string) {
	s.MetricSource.check(ps, path)
	if !finite(s.Threshold) {
		ps.add(path+".threshold", "must be a finite number")
	}
	if !slices.Contains(comparisons, s.Comparison) {
		ps.add(path+".comparison", fmt.Sprintf("%q must be one of %s", s.Comparison, quoteAll(comparisons)))
	}
	if s.EvaluationPeriods < 1 {
		ps.add(path+".evaluation_periods", "must be at least 1")
	} else if p := s.Period; p > 0 && p <= Duration(maxPeriod) {
		limit := maxLongAlarmRange
		if p < Duration(time.Hour) {
			limit = maxShortAlarmRange
		}
		if float64(p)*float64(s.EvaluationPeriods) > float64(limit) {
			ps.add(path+".evaluation_periods", fmt.Sprintf("period x evaluation_periods must be at most %s (CloudWatch's alarm evaluation range)", limit))
		}
	}
	// Checked only against a valid evaluation_periods: its default is
	// evaluation_periods, and one mistake is reported once.
	if s.EvaluationPeriods >= 1 && (s.DatapointsToAlarm < 1 || s.DatapointsToAlarm > s.EvaluationPeriods) {
		ps.add(path+".datapoints_to_alarm", fmt.Sprintf("must be between 1 and evaluation_periods (%d)", s.EvaluationPeriods))
	}
	if !slices.Contains(adjustmentTypes, s.AdjustmentType) {
		ps.add(path+".adjustment_type", fmt.Sprintf("%q must be one of %s", s.AdjustmentType, quoteAll(adjustmentTypes)))
	}
	switch {
	case s.MinAdjustmentMagnitude < 0:
		ps.add(path+".min_adjustment_magnitude", "must be >= 0")
	case s.MinAdjustmentMagnitude > 0 && s.AdjustmentType != policy.PercentChangeInCapacity:
		ps.add(path+".min_adjustment_magnitude", "only applies with adjustment_type PercentChangeInCapacity")
	}
	s.checkSteps(ps, path)
}

// checkSteps applies EC2 Auto Scaling's rules for step adjustments
// (StepAdjustment, Amazon EC2 Auto Scaling API Reference): ranges neither
// overlap nor leave a gap; at most one step omits its lower bound and at
// most one its upper bound; no step omits both. Bounds are relative to the
// threshold, and the alarm only fires on one side of it, so every step
// lies on that side: at or above it for the GreaterThan comparisons, at or
// below it for the LessThan ones. Together the steps cover that whole
// side, from the threshold to infinity.
func (s *Step) checkSteps(ps *problems, path string) {
	sp := path + ".steps"
	if len(s.Steps) == 0 {
		ps.add(sp, "at least one step adjustment is required")
		return
	}
	if len(s.Steps) > maxStepAdjustments {
		ps.add(sp, fmt.Sprintf("at most %d step adjustments (EC2 Auto Scaling quota)", maxStepAdjustments))
	}
	above := s.Comparison == policy.GreaterThan || s.Comparison == policy.GreaterThanOrEqual
	below := s.Comparison == policy.LessThan || s.Comparison == policy.LessThanOrEqual
	before := len(ps.list)
	var noLower, noUpper int
	for i, a := range s.Steps {
		ap := fmt.Sprintf("%s[%d]", sp, i)
		if a.Lower != nil && !finite(*a.Lower) {
			ps.add(ap+".lower", "must be a finite number")
			continue
		}
		if a.Upper != nil && !finite(*a.Upper) {
			ps.add(ap+".upper", "must be a finite number")
			continue
		}
		if a.Lower == nil {
			noLower++
		}
		if a.Upper == nil {
			noUpper++
		}
		switch {
		case a.Lower == nil && a.Upper == nil:
			ps.add(ap, "lower and upper can't both be omitted")
			continue
		case a.Lower != nil && a.Upper != nil && *a.Lower >= *a.Upper:
			ps.add(ap+".upper", fmt.Sprintf("must be greater than lower (%g)", *a.Lower))
		}
		if above && (a.Lower == nil || *a.Lower < 0) {
			ps.add(ap+".lower", fmt.Sprintf("must be >= 0: with %s the alarm fires at or above the threshold, so every step lies above it", s.Comparison))
		}
		if below && (a.Upper == nil || *a.Upper > 0) {
			ps.add(ap+".upper", fmt.Sprintf("must be <= 0: with %s the alarm fires at or below the threshold, so every step lies below it", s.Comparison))
		}
		if s.AdjustmentType == policy.ExactCapacity && a.Adjustment < 0 {
			ps.add(ap+".adjustment", "must be >= 0 with ExactCapacity")
		}
		lo, hi := -maxCapacity, maxCapacity
		if s.AdjustmentType == policy.PercentChangeInCapacity {
			// Removing more than 100% would remove more than the group.
			lo, hi = -100, 100*maxCapacity
		}
		if a.Adjustment < lo || a.Adjustment > hi {
			ps.add(ap+".adjustment", fmt.Sprintf("must be between %d and %d", lo, hi))
		}
	}
	if noLower > 1 {
		ps.add(sp, "at most one step may omit lower")
	}
	if noUpper > 1 {
		ps.add(sp, "at most one step may omit upper")
	}
	if len(ps.list) > before || !(above || below) {
		// Ordering only makes sense once each step is sound on its own.
		return
	}
	order := make([]int, len(s.Steps))
	for i := range order {
		order[i] = i
	}
	lower := func(i int) float64 {
		if l := s.Steps[i].Lower; l != nil {
			return *l
		}
		return math.Inf(-1)
	}
	upper := func(i int) float64 {
		if u := s.Steps[i].Upper; u != nil {
			return *u
		}
		return math.Inf(1)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch la, lb := lower(a), lower(b); {
		case la < lb:
			return -1
		case la > lb:
			return 1
		}
		return 0
	})
	for k := 1; k < len(order); k++ {
		a, b := order[k-1], order[k]
		switch ua, lb := upper(a), lower(b); {
		case ua > lb:
			ps.add(fmt.Sprintf("%s[%d]", sp, b), fmt.Sprintf("overlaps steps[%d]", a))
		case ua < lb:
			ps.add(fmt.Sprintf("%s[%d]", sp, b), fmt.Sprintf("leaves a gap after steps[%d]: from %g to %g no step applies", a, ua, lb))
		}
	}
	first, last := order[0], order[len(order)-1]
	if above && lower(first) != 0 {
		ps.add(fmt.Sprintf("%s[%d].lower", sp, first), "the lowest step must start at 0, the threshold, where the alarm fires")
	}
	if above && s.Steps[last].Upper != nil {
		ps.add(fmt.Sprintf("%s[%d].upper", sp, last), "the highest step must omit upper, so that every breach has a step")
	}
	if below && upper(last) != 0 {
		ps.add(fmt.Sprintf("%s[%d].upper", sp, last), "the highest step must end at 0, the threshold, where the alarm fires")
	}
	if below && s.Steps[first].Lower != nil {
		ps.add(fmt.Sprintf("%s[%d].lower", sp, first), "the lowest step must omit lower, so that every breach has a step")
	}
}

func quoteAll[T ~string](vs []T) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(string(v))
	}
	return strings.Join(q, ", ")
}

func (m *MetricSource) check(ps *problems, path string) {
	hasQueries := len(m.Queries) > 0 || m.Expression != ""
	switch {
	case m.Metric == nil && !hasQueries:
		ps.add(path+".metric", "required: give metric, or queries with expression")
	case m.Metric != nil && hasQueries:
		ps.add(path+".metric", "give either metric or queries with expression, not both")
	}
	if m.Metric != nil {
		m.Metric.check(ps, path+".metric")
	}
	if hasQueries {
		m.checkQueries(ps, path)
	}
	checkPeriod(ps, path+".period", m.Period)
}

func (m *MetricSource) checkQueries(ps *problems, path string) {
	if len(m.Queries) == 0 {
		if m.Metric == nil {
			ps.add(path+".queries", "required with expression")
		}
		return
	}
	if len(m.Queries) > maxQueryMetrics {
		ps.add(path+".queries", fmt.Sprintf("at most %d metrics (CloudWatch's limit for an alarm on metric math)", maxQueryMetrics))
	}
	// ids holds the first query of each id, valid or not, so that a bad
	// id is reported once, where it is declared, not again where it is
	// used.
	ids := map[string]int{}
	for i, q := range m.Queries {
		qp := fmt.Sprintf("%s.queries[%d]", path, i)
		j, dup := ids[q.ID]
		switch {
		case q.ID == "":
			ps.add(qp+".id", "required")
		case !queryIDRE.MatchString(q.ID):
			ps.add(qp+".id", fmt.Sprintf("%q must start with a lowercase letter and hold only letters, digits and '_' (CloudWatch's rule)", q.ID))
		case dup:
			ps.add(qp+".id", fmt.Sprintf("%q is already the id of queries[%d]", q.ID, j))
		}
		if !dup && q.ID != "" {
			ids[q.ID] = i
		}
		if q.Metric == nil {
			ps.add(qp+".metric", "required")
		} else {
			q.Metric.check(ps, qp+".metric")
		}
	}
	ep := path + ".expression"
	switch {
	case m.Expression == "":
		ps.add(ep, "required with queries")
		return
	case len(m.Expression) > maxExpression:
		ps.add(ep, fmt.Sprintf("must be at most %d characters", maxExpression))
		return
	}
	refs, err := parseExpression(m.Expression)
	if err != nil {
		ps.add(ep, err.Error())
		return
	}
	used := map[string]bool{}
	for _, id := range refs {
		if used[id] {
			continue
		}
		used[id] = true
		if _, ok := ids[id]; !ok {
			ps.add(ep, fmt.Sprintf("%q is not the id of any of the queries", id))
		}
	}
	for i, q := range m.Queries {
		if j, ok := ids[q.ID]; ok && j == i && !used[q.ID] && queryIDRE.MatchString(q.ID) {
			ps.add(fmt.Sprintf("%s.queries[%d].id", path, i), fmt.Sprintf("%q is not used by the expression", q.ID))
		}
	}
}

// checkPeriod applies CloudWatch's rule for a period (MetricStat, Amazon
// CloudWatch API Reference): 1, 5, 10, 20 or 30 seconds for
// high-resolution metrics, otherwise a multiple of 60 seconds.
func checkPeriod(ps *problems, field string, p Duration) {
	d := p.Std()
	ok := d > 0 && d%time.Second == 0 && d <= maxPeriod &&
		(d%time.Minute == 0 || slices.Contains([]time.Duration{1, 5, 10, 20, 30}, d/time.Second))
	if !ok {
		ps.add(field, fmt.Sprintf("%s must be 1s, 5s, 10s, 20s, 30s or a multiple of 60s, at most %s (CloudWatch's periods)", p, maxPeriod))
	}
}

func (m *Metric) check(ps *problems, path string) {
	if m.Namespace == "" {
		ps.add(path+".namespace", "required")
	} else if len(m.Namespace) > maxMetricName || strings.ContainsFunc(m.Namespace, isControl) {
		ps.add(path+".namespace", fmt.Sprintf("must be at most %d printable characters", maxMetricName))
	}
	if m.Name == "" {
		ps.add(path+".name", "required")
	} else if len(m.Name) > maxMetricName || strings.ContainsFunc(m.Name, isControl) {
		ps.add(path+".name", fmt.Sprintf("must be at most %d printable characters", maxMetricName))
	}
	if len(m.Dimensions) > maxDimensions {
		ps.add(path+".dimensions", fmt.Sprintf("at most %d dimensions", maxDimensions))
	}
	for _, k := range sortedKeys(m.Dimensions) {
		v := m.Dimensions[k]
		dp := path + ".dimensions." + k
		switch {
		case k == "" || len(k) > maxDimensionName:
			ps.add(dp, fmt.Sprintf("a dimension name must be 1 to %d characters", maxDimensionName))
		case v == "" || len(v) > maxDimensionValue:
			ps.add(dp, fmt.Sprintf("a dimension value must be 1 to %d characters", maxDimensionValue))
		}
	}
	if err := checkStat(m.Stat); err != "" {
		ps.add(path+".stat", err)
	}
	if m.Unit != "" && !slices.Contains(units, m.Unit) {
		ps.add(path+".unit", fmt.Sprintf("%q is not a CloudWatch unit such as \"Percent\", \"Count\" or \"Seconds\"", m.Unit))
	}
}

func checkStat(s string) string {
	if s == "" {
		return "required: Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p99"
	}
	if slices.Contains(statistics, s) {
		return ""
	}
	if m := percentileRE.FindStringSubmatch(s); m != nil {
		if v, err := strconv.ParseFloat(s[1:], 64); err == nil && v <= 100 {
			return ""
		}
	}
	return fmt.Sprintf("%q must be Average, Sum, Minimum, Maximum, SampleCount or a percentile p0 to p100 with up to two decimals (p99, p99.9)", s)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkBand checks a hysteresis band: a fraction of current capacity.
func checkBand(ps *problems, path string, v float64) {
	if !finite(v) || v < 0 || v >= 1 {
		ps.add(path, "must be >= 0 and < 1 (a fraction of current capacity: 0.1 is 10%)")
	}
}
