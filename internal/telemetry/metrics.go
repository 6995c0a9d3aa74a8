// Package telemetry defines every Prometheus metric Headroom exports (all
// in this one file, so the list is the documentation) and sets up slog.
package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds Headroom's metrics on a registry of its own, so that two
// controllers in one test process do not collide.
type Metrics struct {
	Registry *prometheus.Registry

	// GroupCapacity is a group's capacity by state: desired (the group's
	// DesiredCapacity), decided (this cycle's decision), min and max (the
	// effective bounds), asg_min and asg_max (the group's own MinSize and
	// MaxSize), serving, pending, warming.
	GroupCapacity *GaugeFamily
	// PolicyProposal is each policy's proposal; absent (NaN) when the
	// policy proposed nothing.
	PolicyProposal *GaugeFamily
	// ObservationAge is the age of each policy input.
	ObservationAge *GaugeFamily
	// ScalingActions counts SetDesiredCapacity calls by direction and result.
	ScalingActions *prometheus.CounterVec
	// DecisionsSkipped counts decisions not acted on, by reason.
	DecisionsSkipped *prometheus.CounterVec
	// GroupErrors counts cycles in which a group could not be decided.
	GroupErrors *prometheus.CounterVec
	// AWSCalls counts AWS calls by service, operation and error code
	// ("OK" on success).
	AWSCalls *prometheus.CounterVec
	// AWSErrors counts failed attempts of AWS calls by service, operation
	// and error code: every attempt the retryer makes, so a throttled call
	// that succeeded on its third attempt counts two.
	AWSErrors *prometheus.CounterVec
	// AWSCallDuration is the latency of AWS calls, retries included.
	AWSCallDuration *prometheus.HistogramVec
	// CycleDuration is the time one cycle takes.
	CycleDuration prometheus.Histogram
	// Leader is 1 while this replica may act.
	Leader prometheus.Gauge
	// LeaseRenewals counts acquire and renew attempts of the leader lease
	// by result: ok, conflict (another replica holds the lease, or its
	// item changed under this one), error (the store failed).
	LeaseRenewals *prometheus.CounterVec
	// LeaseTransitions counts this replica's changes of role, by the role
	// entered: leader or follower.
	LeaseTransitions *prometheus.CounterVec
	// LeaseCallDuration is the latency of the lease's store calls, by
	// operation: acquire (while following), renew (while leading),
	// release. The failover bound holds only while these stay below a
	// third of the lease TTL.
	LeaseCallDuration *prometheus.HistogramVec
	// LeaseRenewalsLost counts terms this replica lost, by reason:
	// conflict (another holder has the lease), edited (the lease changed
	// under its holder), late (a renewal answered after the margin
	// deadline), expired (no renewal succeeded before it).
	LeaseRenewalsLost *prometheus.CounterVec
	// IdempotentReplays counts API responses replayed from an earlier
	// request with the same Idempotency-Key, which wrote nothing.
	IdempotentReplays prometheus.Counter
	// CampaignMessages counts messages of the campaigns queue by result:
	// created (stored, deleted), rejected (refused for good: logged and
	// deleted), retry (not stored: left on the queue).
	CampaignMessages *prometheus.CounterVec
}

// NewMetrics creates the metrics on a new registry, with the Go and process
// collectors. The three families with a series per group are GaugeFamily,
// which costs a fifth of a GaugeVec's memory per series.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		GroupCapacity: NewGaugeFamily(prometheus.GaugeOpts{
			Name: "headroom_group_capacity_instances",
			Help: "Capacity of a managed group by state: desired, decided, min, max (effective bounds), asg_min, asg_max, serving, pending, warming.",
		}, []string{"group", "state"}),
		PolicyProposal: NewGaugeFamily(prometheus.GaugeOpts{
			Name: "headroom_policy_proposal_instances",
			Help: "Capacity each policy proposed in the last cycle (NaN when it proposed nothing).",
		}, []string{"group", "policy"}),
		ObservationAge: NewGaugeFamily(prometheus.GaugeOpts{
			Name: "headroom_observation_age_seconds",
			Help: "Age of each policy input at decision time.",
		}, []string{"group", "policy", "input"}),
		ScalingActions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_scaling_actions_total",
			Help: "SetDesiredCapacity calls by direction (out, in) and result (ok, error).",
		}, []string{"group", "direction", "result"}),
		DecisionsSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_decisions_skipped_total",
			Help: "Decisions that differed from desired capacity but were not acted on, by reason.",
		}, []string{"group", "reason"}),
		GroupErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_group_errors_total",
			Help: "Cycles in which a group could not be decided, by reason.",
		}, []string{"group", "reason"}),
		AWSCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_aws_calls_total",
			Help: "AWS API calls by service, operation and error code (OK on success).",
		}, []string{"service", "operation", "code"}),
		AWSErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_aws_errors_total",
			Help: "Failed attempts of AWS API calls (each retry counts) by service, operation and error code.",
		}, []string{"service", "operation", "code"}),
		AWSCallDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "headroom_aws_call_duration_seconds",
			Help:    "Latency of AWS API calls, retries included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"service", "operation"}),
		CycleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "headroom_cycle_duration_seconds",
			Help:    "Duration of one control cycle over all groups.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2, 5, 10, 30},
		}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "headroom_leader",
			Help: "1 while this replica holds the right to act, else 0.",
		}),
		LeaseRenewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_lease_renewals_total",
			Help: "Leader lease acquire and renew attempts by result (ok, conflict, error).",
		}, []string{"result"}),
		LeaseTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_lease_transitions_total",
			Help: "Changes of this replica's role, by the role entered (leader, follower).",
		}, []string{"to"}),
		LeaseCallDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "headroom_lease_call_duration_seconds",
			Help:    "Latency of the leader lease's store calls by operation (acquire, renew, release).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		LeaseRenewalsLost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_lease_renewals_lost_total",
			Help: "Terms this replica lost, by reason (conflict, edited, late, expired).",
		}, []string{"reason"}),
		IdempotentReplays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "headroom_idempotent_replays_total",
			Help: "Admin API writes answered from an earlier request with the same Idempotency-Key (nothing written).",
		}),
		CampaignMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_campaign_messages_total",
			Help: "Messages of the campaigns queue by result (created, rejected: refused and deleted, retry: left on the queue).",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(
		m.GroupCapacity, m.PolicyProposal, m.ObservationAge, m.ScalingActions,
		m.DecisionsSkipped, m.GroupErrors, m.AWSCalls, m.AWSErrors, m.AWSCallDuration,
		m.CycleDuration, m.Leader, m.LeaseRenewals, m.LeaseTransitions,
		m.LeaseCallDuration, m.LeaseRenewalsLost, m.IdempotentReplays, m.CampaignMessages,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// ObserveCall records one AWS call; it makes Metrics an awsapi.Observer.
func (m *Metrics) ObserveCall(service, operation, code string, took time.Duration) {
	if code == "" {
		code = "OK"
	}
	m.AWSCalls.WithLabelValues(service, operation, code).Inc()
	m.AWSCallDuration.WithLabelValues(service, operation).Observe(took.Seconds())
}

// ObserveAttemptError records one failed attempt of an AWS call; it makes
// Metrics an awsapi.AttemptObserver.
func (m *Metrics) ObserveAttemptError(service, operation, code string) {
	m.AWSErrors.WithLabelValues(service, operation, code).Inc()
}
