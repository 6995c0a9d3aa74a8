package baseline

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// PredictiveConfig configures the aws-predictive baseline. Zero values take
// the defaults given on each field.
type PredictiveConfig struct {
	// LoadMetric is the published metric whose history is forecast: the
	// load metric of the policy's custom metric pair (default
	// MetricSQSSent, the messages sent to the queue per minute, the
	// queue's counterpart of the ALBRequestCount pair's request count).
	LoadMetric string
	// TargetPerInstance is the load one instance is to carry, in the load
	// metric's units per period (messages per minute): the capacity
	// forecast is the load forecast divided by it. It must be positive.
	TargetPerInstance float64
	// SchedulingBufferTime is how long before each hour the hour's
	// forecast capacity becomes the minimum (default
	// DefaultSchedulingBufferTime); less than an hour.
	SchedulingBufferTime time.Duration
	// TargetTracking is the target tracking policy that runs beside the
	// predictive one, as AWS recommends.
	TargetTracking TargetTrackingConfig
}

// Constants of EC2 Auto Scaling predictive scaling. The load metric "must
// have at least 24 hours of data" before the first forecast; predictive
// scaling analyses "metric data from up to the past 14 days", generates "an
// hourly forecast of capacity requirements for the next 48 hours", and
// "the forecast is updated every 6 hours" ("How Application Auto Scaling
// predictive scaling works",
// https://docs.aws.amazon.com/autoscaling/application/userguide/aas-predictive-scaling-how-it-works.html,
// the same rules as the EC2 Auto Scaling User Guide's "Predictive scaling
// for Amazon EC2 Auto Scaling"; GetPredictiveScalingForecast,
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_GetPredictiveScalingForecast.html:
// "A minimum of 24 hours of data is required to create the initial
// forecasts").
const (
	PredictiveMinHistory = 24 * time.Hour
	PredictiveHistory    = 14 * 24 * time.Hour
	PredictiveInterval   = time.Hour
	PredictiveHorizon    = 48 * time.Hour
	PredictiveRefresh    = 6 * time.Hour
)

// DefaultSchedulingBufferTime is AWS's default SchedulingBufferTime: "The
// value must be less than the forecast interval duration of 3600 seconds
// (60 minutes). Defaults to 300 seconds if not specified."
// (PredictiveScalingConfiguration,
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PredictiveScalingConfiguration.html).
const DefaultSchedulingBufferTime = 300 * time.Second

// withDefaults fills the zero fields of c.
func (c PredictiveConfig) withDefaults() PredictiveConfig {
	if c.LoadMetric == "" {
		c.LoadMetric = MetricSQSSent
	}
	if c.SchedulingBufferTime == 0 {
		c.SchedulingBufferTime = DefaultSchedulingBufferTime
	}
	return c
}

// Validate reports every problem of c, each naming its field.
func (c PredictiveConfig) Validate() error {
	var errs []error
	if !(c.TargetPerInstance > 0) || math.IsInf(c.TargetPerInstance, 0) {
		errs = append(errs, fmt.Errorf("target_per_instance: must be a positive number, got %v", c.TargetPerInstance))
	}
	if c.SchedulingBufferTime < 0 || c.SchedulingBufferTime >= PredictiveInterval {
		errs = append(errs, fmt.Errorf("scheduling_buffer_time: must be at least 0 and less than %s, got %s", PredictiveInterval, c.SchedulingBufferTime))
	}
	if err := c.TargetTracking.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("target_tracking: %w", err))
	}
	return errors.Join(errs...)
}

// hourLoad sums the datapoints of one hour of the load metric.
type hourLoad struct {
	sum float64
	n   int
}

// predictive is the aws-predictive baseline.
type predictive struct {
	c       PredictiveConfig
	invalid bool
	tt      Policy
	// hours holds the load history by hour (its start, UTC-aligned).
	hours map[time.Time]*hourLoad
	// first and last are the periods of the oldest and newest datapoint
	// seen; seen is false until one has been.
	first, last time.Time
	seen        bool
	// forecast is the capacity forecast by hour, from the last refresh.
	forecast map[time.Time]int
	// next is when the forecast is next updated; zero before the first
	// Tick.
	next time.Time
}

// NewPredictive returns the "aws-predictive" baseline: an EC2 Auto Scaling
// predictive scaling policy in ForecastAndScale mode with
// MaxCapacityBreachBehavior HonorMaxCapacity, beside a target tracking
// policy (NewTargetTracking), the combination AWS recommends so that load
// the forecast missed is still met. An invalid configuration (see
// Validate) yields a policy that never acts.
//
// What it models (sources on the constants above and below):
//   - History: the load metric's published datapoints, averaged per clock
//     hour, over the last PredictiveHistory (14 days).
//   - Forecast: none until the history spans PredictiveMinHistory (24
//     hours); from then on, checked each hour until the first forecast and
//     updated every PredictiveRefresh (6 hours), an hourly load forecast for
//     the next PredictiveHorizon (48 hours). AWS does not publish its
//     model; the baseline uses a seasonal mean, the simplest model that
//     learns a weekly rhythm: an hour's load is the mean of the same hour
//     of the week in the history when the history holds it, otherwise the
//     mean of the same hour of the day over the days it holds. Like AWS's,
//     it cannot tell a one-off campaign from the rhythm: a spike in the
//     history comes back a week later.
//   - Capacity forecast: ceil(load forecast / TargetPerInstance) per hour,
//     the load metric divided by the scaling metric's target value, as a
//     metric pair such as ALBRequestCount defines it
//     (PredictiveScalingMetricSpecification,
//     https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PredictiveScalingMetricSpecification.html).
//   - ForecastAndScale: SchedulingBufferTime before each hour starts, the
//     group's minimum becomes that hour's capacity forecast, capped at the
//     group's maximum (HonorMaxCapacity: "Amazon EC2 Auto Scaling can't
//     increase the maximum capacity of the group when the forecast
//     capacity is close to or exceeds the maximum capacity",
//     PredictiveScalingConfiguration,
//     https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PredictiveScalingConfiguration.html).
//     Raising the minimum above the desired capacity raises the desired
//     capacity with it. When the forecast falls, predictive scaling "will
//     not scale in to remove capacity": the minimum falls and target
//     tracking scales in.
//   - Combined: desired = max(predictive minimum, target tracking's
//     decision); target tracking runs every Tick against the raised
//     minimum.
func NewPredictive(c PredictiveConfig) Policy {
	err := c.Validate()
	c = c.withDefaults()
	return &predictive{
		c:        c,
		invalid:  err != nil,
		tt:       NewTargetTracking(c.TargetTracking),
		hours:    map[time.Time]*hourLoad{},
		forecast: map[time.Time]int{},
	}
}

// Name implements Policy.
func (p *predictive) Name() string { return NamePredictive }

// Decide implements Policy.
func (p *predictive) Decide(t Tick) (int, bool) {
	if p.invalid {
		return 0, false
	}
	p.observe(t.Metrics)
	p.refresh(t.Now)
	floor, ok := p.Floor(t.Now)
	if !ok {
		return p.tt.Decide(t)
	}
	floor = min(floor, t.Max) // HonorMaxCapacity
	raised := false
	if floor > t.Min {
		t.Min = floor
		if floor > t.Desired {
			t.Desired, raised = floor, true
		}
	}
	if want, ok := p.tt.Decide(t); ok {
		return max(want, t.Min), true
	}
	if raised {
		return t.Desired, true
	}
	return 0, false
}

// Floor returns the predictive minimum in force at now: the capacity
// forecast of the hour that starts within SchedulingBufferTime of now (or
// has started), and false when there is no forecast for it.
func (p *predictive) Floor(now time.Time) (int, bool) {
	n, ok := p.forecast[now.Add(p.c.SchedulingBufferTime).Truncate(PredictiveInterval)]
	return n, ok
}

// observe adds the load datapoints published since the last Tick to the
// history.
func (p *predictive) observe(m Metrics) {
	if m == nil {
		return
	}
	// A Tick sees at most a few new datapoints (one per minute and
	// metric); 16 covers a publication backlog after an outage of the
	// same length.
	for _, d := range m.Last(p.c.LoadMetric, 16) {
		if p.seen && !d.At.After(p.last) {
			continue
		}
		if !p.seen {
			p.first, p.seen = d.At, true
		}
		p.last = d.At
		h := d.At.Truncate(PredictiveInterval)
		l := p.hours[h]
		if l == nil {
			l = &hourLoad{}
			p.hours[h] = l
		}
		l.sum += d.Value
		l.n++
	}
}

// refresh updates the forecast when it is due.
func (p *predictive) refresh(now time.Time) {
	if p.next.IsZero() {
		p.next = now
	}
	if now.Before(p.next) {
		return
	}
	if !p.seen || p.last.Add(time.Minute).Sub(p.first) < PredictiveMinHistory {
		// Not enough data yet: look again at the next hour.
		p.next = now.Truncate(PredictiveInterval).Add(PredictiveInterval)
		return
	}
	p.next = now.Add(PredictiveRefresh)
	oldest := now.Add(-PredictiveHistory)
	for h := range p.hours {
		if h.Before(oldest.Truncate(PredictiveInterval)) {
			delete(p.hours, h)
		}
	}
	clear(p.forecast)
	from := now.Truncate(PredictiveInterval)
	for h := from; h.Before(from.Add(PredictiveHorizon)); h = h.Add(PredictiveInterval) {
		if load, ok := p.loadForecast(h, from, oldest); ok {
			p.forecast[h] = int(math.Ceil(load/p.c.TargetPerInstance - 1e-9))
		}
	}
}

// loadForecast is the load forecast of hour h from the complete hours of
// the history in [oldest, before): the mean of the same hour of the week,
// or else of the same hour of the day.
func (p *predictive) loadForecast(h, before, oldest time.Time) (float64, bool) {
	for _, season := range []time.Duration{7 * 24 * time.Hour, 24 * time.Hour} {
		sum, n := 0.0, 0
		for past := h.Add(-season); !past.Before(oldest.Truncate(PredictiveInterval)); past = past.Add(-season) {
			if !past.Before(before) {
				continue
			}
			if l := p.hours[past]; l != nil && l.n > 0 {
				sum += l.sum / float64(l.n)
				n++
			}
		}
		if n > 0 {
			return sum / float64(n), true
		}
	}
	return 0, false
}
