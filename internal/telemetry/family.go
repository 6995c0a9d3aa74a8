package telemetry

import (
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// GaugeFamily is a gauge with variable labels, like prometheus.GaugeVec,
// kept compactly for families with a series per group: 2,000 groups give
// some 30,000 series, and a GaugeVec spends about half a kilobyte on each
// (its label values, their label pairs, a hash entry). A GaugeFamily
// shares one label pair per distinct label value (a group's name, a state
// such as "desired") among all series that carry it, and keeps a series as
// its value and the list of those pairs. Series are never deleted, as with
// a GaugeVec that nobody deletes from.
type GaugeFamily struct {
	desc  *prometheus.Desc
	names []string // label names in the order WithLabelValues takes them
	// order lists label positions by name, the order in which a series'
	// pairs are written (the exposition wants them sorted by name).
	order []int

	mu     sync.RWMutex
	series map[string]*FamilyGauge // by label values joined with labelSep
	pairs  []map[string]*dto.LabelPair
}

// labelSep joins label values into a series key; Prometheus label values
// are UTF-8, which never contains the byte 0xff.
const labelSep = "\xff"

// NewGaugeFamily returns a gauge family; opts and labels are as for
// prometheus.NewGaugeVec.
func NewGaugeFamily(opts prometheus.GaugeOpts, labels []string) *GaugeFamily {
	name := prometheus.BuildFQName(opts.Namespace, opts.Subsystem, opts.Name)
	f := &GaugeFamily{
		desc:   prometheus.NewDesc(name, opts.Help, labels, opts.ConstLabels),
		names:  slices.Clone(labels),
		series: map[string]*FamilyGauge{},
		pairs:  make([]map[string]*dto.LabelPair, len(labels)),
	}
	for i := range labels {
		f.order = append(f.order, i)
		f.pairs[i] = map[string]*dto.LabelPair{}
	}
	slices.SortStableFunc(f.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return f
}

// WithLabelValues returns the series with these label values (one per
// label, in the order the family was created with), creating it at zero.
// It panics on a wrong number of values, as prometheus.GaugeVec does.
func (f *GaugeFamily) WithLabelValues(values ...string) *FamilyGauge {
	if len(values) != len(f.names) {
		panic("telemetry: " + f.desc.String() + ": wrong number of label values")
	}
	key := strings.Join(values, labelSep)
	f.mu.RLock()
	g := f.series[key]
	f.mu.RUnlock()
	if g != nil {
		return g
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if g = f.series[key]; g != nil {
		return g
	}
	g = &FamilyGauge{desc: f.desc, labels: make([]*dto.LabelPair, len(values))}
	for j, i := range f.order {
		p := f.pairs[i][values[i]]
		if p == nil {
			p = &dto.LabelPair{Name: proto.String(f.names[i]), Value: proto.String(values[i])}
			f.pairs[i][values[i]] = p
		}
		g.labels[j] = p
	}
	f.series[key] = g
	return g
}

// Describe implements prometheus.Collector.
func (f *GaugeFamily) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }

// Collect implements prometheus.Collector.
func (f *GaugeFamily) Collect(ch chan<- prometheus.Metric) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, g := range f.series {
		ch <- g
	}
}

// FamilyGauge is one series of a GaugeFamily. It is a prometheus.Metric
// and a prometheus.Collector of itself, so testutil.ToFloat64 reads it.
type FamilyGauge struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair // shared with the family's other series
	bits   atomic.Uint64
}

var (
	_ prometheus.Metric    = (*FamilyGauge)(nil)
	_ prometheus.Collector = (*FamilyGauge)(nil)
	_ prometheus.Collector = (*GaugeFamily)(nil)
)

// Set sets the gauge to v.
func (g *FamilyGauge) Set(v float64) { g.bits.Store(math.Float64bits(v)) }

// Desc implements prometheus.Metric.
func (g *FamilyGauge) Desc() *prometheus.Desc { return g.desc }

// Write implements prometheus.Metric.
func (g *FamilyGauge) Write(m *dto.Metric) error {
	m.Label = g.labels
	m.Gauge = &dto.Gauge{Value: proto.Float64(math.Float64frombits(g.bits.Load()))}
	return nil
}

// Describe implements prometheus.Collector.
func (g *FamilyGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *FamilyGauge) Collect(ch chan<- prometheus.Metric) { ch <- g }
