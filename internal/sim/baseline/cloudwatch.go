package baseline

import (
	"math"
	"time"
)

// reading is one period of an alarm's metric, computed from published
// datapoints.
type reading struct {
	at time.Time
	// value is what the alarm compares with its threshold.
	value float64
	// load is, for backlog per instance, the visible messages of the
	// period (the numerator of the metric math); for cpu, the value.
	load float64
}

// read returns the alarm metric over the last n published periods, oldest
// first, appended to buf[:0]. For BacklogPerInstance it is the metric math
// of AWS's SQS recipe ("Scaling based on Amazon SQS", EC2 Auto Scaling User
// Guide):
// ApproximateNumberOfMessagesVisible divided by GroupInServiceInstances of
// the same period. A period lacking either datapoint has no result, as
// metric math yields none. Non-finite values count as missing.
func read(buf []reading, m Metrics, metric string, n int) []reading {
	out := buf[:0]
	if m == nil || n <= 0 {
		return out
	}
	if metric == CPU {
		pts := m.Last(MetricCPU, n)
		for _, p := range pts {
			if finite(p.Value) {
				out = append(out, reading{at: p.At, value: p.Value, load: p.Value})
			}
		}
		return out
	}
	vis := m.Last(MetricSQSVisible, n)
	fleet := m.Last(MetricInService, n)
	j := 0
	for _, v := range vis {
		for j < len(fleet) && fleet[j].At.Before(v.At) {
			j++
		}
		if j == len(fleet) {
			break
		}
		if !fleet[j].At.Equal(v.At) || !finite(v.Value) || !finite(fleet[j].Value) {
			continue
		}
		out = append(out, reading{at: v.At, value: perInstance(v.Value, fleet[j].Value), load: v.Value})
	}
	return out
}

// perInstance is visible / inService. The documents do not say what the
// alarm sees when the group has no InService instance; the choice most
// favourable to the baseline is taken: a backlog with no instance breaches
// every threshold (+Inf), and an empty queue is 0.
func perInstance(visible, inService float64) float64 {
	if inService > 0 {
		return visible / inService
	}
	if visible > 0 {
		return math.Inf(1)
	}
	return 0
}

// alarmState is a CloudWatch alarm state.
type alarmState int

// The three alarm states; a new alarm starts in INSUFFICIENT_DATA.
const (
	insufficientData alarmState = iota
	stateOK
	stateAlarm
)

// String names s as CloudWatch does.
func (s alarmState) String() string {
	switch s {
	case stateOK:
		return "OK"
	case stateAlarm:
		return "ALARM"
	}
	return "INSUFFICIENT_DATA"
}

// alarm is a CloudWatch metric alarm with TreatMissingData "missing", the
// default for alarms (PutMetricAlarm API reference) and what target
// tracking's alarms use: "A target tracking scaling policy does not scale
// in your Auto Scaling group when the specified metric has insufficient
// data" (EC2 Auto Scaling User Guide, "Target tracking scaling policies").
type alarm struct {
	threshold float64
	// above alarms on value > threshold (>= with orEqual); otherwise on
	// value < threshold (<= with orEqual).
	above, orEqual bool
	// datapoints of periods must breach: M out of N.
	datapoints, periods int
	state               alarmState
	// lastInvoke is when the alarm last invoked its scaling policy.
	lastInvoke time.Time
}

// breaches reports whether v is on the alarm side of the threshold.
func (a *alarm) breaches(v float64) bool {
	switch {
	case a.above && a.orEqual:
		return v >= a.threshold
	case a.above:
		return v > a.threshold
	case a.orEqual:
		return v <= a.threshold
	}
	return v < a.threshold
}

// rangeLen is the evaluation range: how many periods back CloudWatch looks
// for datapoints. "Using Amazon CloudWatch alarms" gives no formula, only
// its worked example, where 3 evaluation periods have an evaluation range
// of 5; N + 2 is used for every N.
func (a *alarm) rangeLen() int { return a.periods + 2 }

// window lays out the evaluation range ending before the period that
// starts at cur: rangeLen slots of one period each, oldest first, holding
// the reading of that period or nil when it is missing.
func (a *alarm) window(rs []reading, cur time.Time, period time.Duration) []*reading {
	n := a.rangeLen()
	w := make([]*reading, n)
	start := cur.Add(-time.Duration(n) * period)
	for i := range rs {
		if rs[i].at.Before(start) || !rs[i].at.Before(cur) {
			continue
		}
		w[int(rs[i].at.Sub(start)/period)] = &rs[i]
	}
	return w
}

// evaluate sets the alarm state from the evaluation range w (oldest first)
// and reports whether it changed. It follows "How alarm state is evaluated
// when data is missing" (Amazon CloudWatch User Guide) for
// TreatMissingData "missing":
//   - no datapoint in the range: INSUFFICIENT_DATA;
//   - at least N datapoints: the N most recent ones decide (M breaching:
//     ALARM, else OK), gaps between them notwithstanding;
//   - fewer than N: M breaching ones still mean ALARM; any non-breaching
//     one means OK; when all are breaching but fewer than M, the alarm
//     avoids a premature transition and stays as it is, unless the oldest
//     breaching datapoint among the last N periods is at least M periods
//     old ("Avoiding premature transitions to alarm state").
//
// The rules reproduce every row of the page's two example tables.
func (a *alarm) evaluate(w []*reading) bool {
	prev := a.state
	a.state = a.decide(w)
	return a.state != prev
}

func (a *alarm) decide(w []*reading) alarmState {
	var real []*reading
	for _, r := range w {
		if r != nil {
			real = append(real, r)
		}
	}
	if len(real) == 0 {
		return insufficientData
	}
	if len(real) >= a.periods {
		breaching := 0
		for _, r := range real[len(real)-a.periods:] {
			if a.breaches(r.value) {
				breaching++
			}
		}
		if breaching >= a.datapoints {
			return stateAlarm
		}
		return stateOK
	}
	breaching := 0
	for _, r := range real {
		if a.breaches(r.value) {
			breaching++
		}
	}
	switch {
	case breaching >= a.datapoints:
		return stateAlarm
	case breaching < len(real):
		return stateOK
	}
	// All present datapoints breach, but too few of them.
	last := w[max(len(w)-a.periods, 0):]
	for i, r := range last {
		if r != nil {
			if age := len(last) - i; age >= a.datapoints {
				return stateAlarm
			}
			break
		}
	}
	return a.state
}

// invoke reports whether the alarm invokes its scaling policy now: when it
// has just gone into ALARM, and then once every period while it stays
// there ("For Amazon EC2 Auto Scaling actions, the alarm continues to
// invoke the action for every period that the alarm remains in the new
// state", "Using Amazon CloudWatch alarms").
func (a *alarm) invoke(now time.Time, changed bool, period time.Duration) bool {
	if a.state != stateAlarm {
		return false
	}
	if changed || a.lastInvoke.IsZero() || now.Sub(a.lastInvoke) >= period {
		a.lastInvoke = now
		return true
	}
	return false
}

// newest is the most recent reading of an evaluation range, or nil.
func newest(w []*reading) *reading {
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] != nil {
			return w[i]
		}
	}
	return nil
}

// cadence says when alarms evaluate: at every period boundary, so that an
// outage ages the evaluation range, and whenever a new datapoint is
// published, so that the alarm reacts at the moment its data arrives.
// Periods are aligned on the run start (the first Tick), as the world's
// datapoints are. The evaluation range ends with the last complete period,
// so with a publication delay of one period its newest slot is still
// missing at each evaluation; the N + 2 range leaves room for that, as it
// is meant to. One consequence, straight from the documented rules: after
// a gap in the data, N - 1 breaching datapoints followed by the unpublished
// slot satisfy the premature-alarm rule.
type cadence struct {
	period time.Duration
	anchor time.Time
	// started is false until the first Tick has set the anchor.
	started bool
	// cur is the period start at the last evaluation; seen is the newest
	// datapoint then.
	cur, seen time.Time
}

// current is the start of the period now falls in.
func (c *cadence) current(now time.Time) time.Time {
	d := now.Sub(c.anchor)
	k := d / c.period
	if d < 0 && d%c.period != 0 {
		k--
	}
	return c.anchor.Add(k * c.period)
}

// due reports whether alarms evaluate at now, given the newest reading.
func (c *cadence) due(now time.Time, rs []reading) bool {
	if !c.started {
		c.started, c.anchor = true, now
	}
	var seen time.Time
	if len(rs) > 0 {
		seen = rs[len(rs)-1].at
	}
	cur := c.current(now)
	if cur.Equal(c.cur) && seen.Equal(c.seen) {
		return false
	}
	c.cur, c.seen = cur, seen
	return true
}
