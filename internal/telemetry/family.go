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
// such as "desired") among all the series that carry it, keeps the series
// of one first label value (one group) in a short list, and allocates
// series in blocks. Series are never deleted, as with a GaugeVec that
// nobody deletes from. It supports up to maxFamilyLabels labels.
type GaugeFamily struct {
	desc  *prometheus.Desc
	names []*string // label names in the order WithLabelValues takes them
	// order lists label positions by name, the order in which a series'
	// pairs are written (the exposition wants them sorted by name); at[i]
	// is where label i sits in that order.
	order, at []int

	mu    sync.RWMutex
	rows  map[string][]*FamilyGauge // by the first label's value
	pairs []map[string]*dto.LabelPair
	free  []FamilyGauge // the rest of the block series are taken from
}

// maxFamilyLabels is the most labels a GaugeFamily takes.
const maxFamilyLabels = 4

// familyBlock is how many series are allocated at once.
const familyBlock = 256

// NewGaugeFamily returns a gauge family; opts and labels are as for
// prometheus.NewGaugeVec. It panics with no labels or more than
// maxFamilyLabels.
func NewGaugeFamily(opts prometheus.GaugeOpts, labels []string) *GaugeFamily {
	if len(labels) == 0 || len(labels) > maxFamilyLabels {
		panic("telemetry: a GaugeFamily takes 1 to 4 labels")
	}
	name := prometheus.BuildFQName(opts.Namespace, opts.Subsystem, opts.Name)
	f := &GaugeFamily{
		desc:  prometheus.NewDesc(name, opts.Help, labels, opts.ConstLabels),
		rows:  map[string][]*FamilyGauge{},
		pairs: make([]map[string]*dto.LabelPair, len(labels)),
		at:    make([]int, len(labels)),
	}
	for i, l := range labels {
		f.names = append(f.names, proto.String(l))
		f.order = append(f.order, i)
		f.pairs[i] = map[string]*dto.LabelPair{}
	}
	slices.SortStableFunc(f.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	for j, i := range f.order {
		f.at[i] = j
	}
	return f
}

// WithLabelValues returns the series with these label values (one per
// label, in the order the family was created with), creating it at zero.
// It panics on a wrong number of values, as prometheus.GaugeVec does.
func (f *GaugeFamily) WithLabelValues(values ...string) *FamilyGauge {
	if len(values) != len(f.names) {
		panic("telemetry: " + f.desc.String() + ": wrong number of label values")
	}
	f.mu.RLock()
	g := f.find(values)
	f.mu.RUnlock()
	if g != nil {
		return g
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if g = f.find(values); g != nil {
		return g
	}
	if len(f.free) == 0 {
		f.free = make([]FamilyGauge, familyBlock)
	}
	g, f.free = &f.free[0], f.free[1:]
	g.desc, g.n = f.desc, uint8(len(values))
	for i, v := range values {
		p := f.pairs[i][v]
		if p == nil {
			p = &dto.LabelPair{Name: f.names[i], Value: proto.String(v)}
			f.pairs[i][v] = p
		}
		g.labels[f.at[i]] = p
	}
	f.rows[values[0]] = append(f.rows[values[0]], g)
	return g
}

// find returns the series with these values, or nil; f.mu is held.
func (f *GaugeFamily) find(values []string) *FamilyGauge {
	for _, g := range f.rows[values[0]] {
		match := true
		for i := 1; i < len(values) && match; i++ {
			match = g.labels[f.at[i]].GetValue() == values[i]
		}
		if match {
			return g
		}
	}
	return nil
}

// Describe implements prometheus.Collector.
func (f *GaugeFamily) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }

// Collect implements prometheus.Collector.
func (f *GaugeFamily) Collect(ch chan<- prometheus.Metric) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, row := range f.rows {
		for _, g := range row {
			ch <- g
		}
	}
}

// FamilyGauge is one series of a GaugeFamily. It is a prometheus.Metric
// and a prometheus.Collector of itself, so testutil.ToFloat64 reads it.
type FamilyGauge struct {
	desc *prometheus.Desc
	// labels are the series' label pairs in name order, each shared with
	// the family's other series of that value; n of them are set.
	labels [maxFamilyLabels]*dto.LabelPair
	n      uint8
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
	m.Label = g.labels[:g.n:g.n]
	m.Gauge = &dto.Gauge{Value: proto.Float64(math.Float64frombits(g.bits.Load()))}
	return nil
}

// Describe implements prometheus.Collector.
func (g *FamilyGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *FamilyGauge) Collect(ch chan<- prometheus.Metric) { ch <- g }
