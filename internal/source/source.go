// Package source reads observations: CloudWatch GetMetricData for every
// metric query of every group in as few calls as the API allows, and SQS
// GetQueueAttributes per queue with bounded concurrency. Each result carries
// the time it describes and the time it was read.
package source

import "time"

// Dimension is one CloudWatch metric dimension.
type Dimension struct {
	Name, Value string
}

// Metric is one CloudWatch metric statistic. ID names it inside its query
// so that an expression can refer to it.
type Metric struct {
	ID         string
	Namespace  string
	Name       string
	Dimensions []Dimension
	Stat       string
	Unit       string
}

// MetricQuery is one logical metric a policy reads: a single metric, or a
// metric-math expression over the query's own metrics. Key is the caller's
// name for it; results come back under the same key.
type MetricQuery struct {
	Key        string
	Metrics    []Metric
	Expression string
	Period     time.Duration
	// Points is how many complete datapoints the caller wants (newest first).
	Points int
}

// Point is one datapoint: the start of the period it describes, and its value.
type Point struct {
	At    time.Time
	Value float64
}

// Series is the result of one MetricQuery.
type Series struct {
	// Points holds complete datapoints, newest first.
	Points []Point
	ReadAt time.Time
	Err    error
}

// QueueReading is one GetQueueAttributes answer.
type QueueReading struct {
	Visible, InFlight, Delayed float64
	// At is the time the reading describes (SQS reports approximate values
	// as of the call) and ReadAt the time the answer arrived.
	At, ReadAt time.Time
	Err        error
}
