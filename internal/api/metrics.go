package api

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the API's own figures on /metrics, next to the control
// loop's: what is asked of it, how fast it answers, and what it refuses.
type metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	authFailures *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
}

// requestBuckets cover a read served from memory (well under a
// millisecond) to a write stalled on the store (seconds).
var requestBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// newMetrics registers the API's metrics on reg. A registry that already
// holds them (the API rebuilt on a configuration reload) keeps its
// series, which go on counting.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern (/v1/boosts/{id}; \"unmatched\" for no route) and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "headroom_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route pattern and status code.",
			Buckets: requestBuckets,
		}, []string{"method", "route", "status"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_auth_failures_total",
			Help: "Failed authentications: a missing or unknown bearer token (via=\"api\"), a failed dashboard login (via=\"dashboard\").",
		}, []string{"via"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headroom_http_rate_limited_total",
			Help: "Requests refused with 429, by limit: a token's writes (limit=\"write\"), failed authentications from one address (limit=\"auth\").",
		}, []string{"limit"}),
	}
	m.authFailures.WithLabelValues("api")
	m.authFailures.WithLabelValues("dashboard")
	m.rateLimited.WithLabelValues("write")
	m.rateLimited.WithLabelValues("auth")
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.authFailures, err = register(reg, m.authFailures); err != nil {
		return nil, err
	}
	if m.rateLimited, err = register(reg, m.rateLimited); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector reg already holds under
// its name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var dup prometheus.AlreadyRegisteredError
	if errors.As(err, &dup) {
		if existing, ok := dup.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
