// Package cloudwatch is a wire-level Amazon CloudWatch emulator: an
// http.Handler that the real aws-sdk-go-v2 CloudWatch client talks to over
// the Smithy RPC v2 CBOR protocol. It implements PutMetricData,
// GetMetricData (metric statistics and arithmetic metric math, epoch-aligned
// period buckets, pagination) and ListMetrics, and a Go API for simulators
// and tests to publish datapoints and delay their visibility.
//
// Time comes from the injected clock. Datapoints older than Retention (of
// emulator time) are dropped, which bounds memory.
package cloudwatch

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/headroom-dev/headroom/internal/clock"
)

// Retention is how long the emulator keeps a datapoint, measured from its
// timestamp in emulator time. CloudWatch keeps 60-second data for 15 days
// (GetMetricData API reference, "Amazon CloudWatch retains metric data as
// follows"), and PutMetricData accepts timestamps up to two weeks old, so
// nothing a client may still publish or read at one-minute resolution is
// dropped early.
const Retention = 15 * 24 * time.Hour

// sweepEvery is how often (in emulator time) every series is trimmed to
// Retention; series that are written are also trimmed on every write.
const sweepEvery = time.Hour

// PathPrefix is the path under which the rpcv2Cbor protocol addresses
// CloudWatch operations: /service/<service shape name>/operation/<Op>.
const PathPrefix = "/service/GraniteServiceVersion20100801/operation/"

// maxRequestBytes bounds a request body, compressed or not. 500 queries of
// 30 dimensions of 255-character names and values stay below it.
const maxRequestBytes = 8 << 20

// maxPutMetricDataBytes is PutMetricData's request limit: "Each
// PutMetricData request is limited to 1 MB in size for HTTP POST requests"
// (PutMetricData API reference). It applies after decompression here.
const maxPutMetricDataBytes = 1 << 20

// Service is the emulated CloudWatch of one account and region. It is safe
// for concurrent use.
type Service struct {
	clk clock.Clock

	mu           sync.RWMutex
	series       map[string]*series
	visibleDelay time.Duration
	faults       map[string]bool // metric id -> answer InternalError
	lastSweep    time.Time

	callsMu sync.Mutex
	calls   map[string]int
	reqSeq  atomic.Uint64
}

// New returns an empty emulator that reads time from clk.
func New(clk clock.Clock) *Service {
	return &Service{
		clk:       clk,
		series:    map[string]*series{},
		faults:    map[string]bool{},
		calls:     map[string]int{},
		lastSweep: clk.Now(),
	}
}

// Dimension is one metric dimension.
type Dimension struct {
	Name, Value string
}

// sample is one PutMetricData datum after normalization. Times are Unix
// nanoseconds.
type sample struct {
	at, seen             int64
	count, sum, min, max float64
	unit                 string
	// dist holds the raw values with their counts when they are known
	// beyond min == max (a Values/Counts datum); percentiles need them.
	dist []weighted
}

type weighted struct {
	value, count float64
}

// series is one metric: a namespace, a name and an exact set of dimensions.
// samples are sorted by at.
type series struct {
	namespace, name string
	dims            []Dimension // sorted by name
	samples         []sample
}

func metricID(namespace, name string, dims []Dimension) string {
	var b strings.Builder
	b.WriteString(namespace)
	b.WriteByte(0)
	b.WriteString(name)
	for _, d := range dims {
		b.WriteByte(0)
		b.WriteString(d.Name)
		b.WriteByte('=')
		b.WriteString(d.Value)
	}
	return b.String()
}

func sortedDims(dims []Dimension) []Dimension {
	out := slices.Clone(dims)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Put publishes one datapoint, as PutMetricData with a single Value does,
// without the API's validation. at is the datapoint's timestamp.
func (s *Service) Put(namespace, name string, dims map[string]string, at time.Time, value float64) {
	ds := make([]Dimension, 0, len(dims))
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		ds = append(ds, Dimension{Name: k, Value: dims[k]})
	}
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.insert(namespace, name, ds, sample{
		at: at.UnixNano(), seen: now.UnixNano(),
		count: 1, sum: value, min: value, max: value, unit: "None",
	}, now)
}

// SetVisibleDelay models CloudWatch's publication delay: a datapoint becomes
// visible to GetMetricData only d after its timestamp (and never before it
// was published). Zero (the default) makes datapoints visible at once.
// ListMetrics is not affected.
func (s *Service) SetVisibleDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.visibleDelay = d
}

// SetMetricFault makes GetMetricData answer every query on the metric
// (namespace, name, dims) — and every expression using it — with
// StatusCode InternalError, as CloudWatch does when it cannot read one
// metric; fail=false clears it.
func (s *Service) SetMetricFault(namespace, name string, dims map[string]string, fail bool) {
	ds := make([]Dimension, 0, len(dims))
	for k, v := range dims {
		ds = append(ds, Dimension{Name: k, Value: v})
	}
	id := metricID(namespace, name, sortedDims(ds))
	s.mu.Lock()
	defer s.mu.Unlock()
	if fail {
		s.faults[id] = true
	} else {
		delete(s.faults, id)
	}
}

// Stats is a snapshot of the emulator's counters.
type Stats struct {
	// Calls counts requests per operation name, including failed ones.
	Calls map[string]int
	// Series is the number of distinct metrics held; Datapoints the number
	// of datapoints held across them.
	Series, Datapoints int
}

// Stats returns the emulator's counters.
func (s *Service) Stats() Stats {
	s.callsMu.Lock()
	calls := maps.Clone(s.calls)
	s.callsMu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Calls: calls, Series: len(s.series)}
	for _, sr := range s.series {
		st.Datapoints += len(sr.samples)
	}
	return st
}

// insert adds smp to its series, trimming the series to Retention. The
// caller holds s.mu.
func (s *Service) insert(namespace, name string, dims []Dimension, smp sample, now time.Time) {
	id := metricID(namespace, name, dims)
	sr := s.series[id]
	if sr == nil {
		sr = &series{namespace: namespace, name: name, dims: dims}
		s.series[id] = sr
	}
	n := len(sr.samples)
	if n == 0 || sr.samples[n-1].at <= smp.at {
		sr.samples = append(sr.samples, smp)
	} else {
		i := sort.Search(n, func(i int) bool { return sr.samples[i].at > smp.at })
		sr.samples = slices.Insert(sr.samples, i, smp)
	}
	sr.trim(now.Add(-Retention).UnixNano())
	if len(sr.samples) == 0 {
		delete(s.series, id)
	}
	s.maybeSweep(now)
}

func (sr *series) trim(cutoff int64) {
	i := sort.Search(len(sr.samples), func(i int) bool { return sr.samples[i].at >= cutoff })
	if i > 0 {
		sr.samples = slices.Delete(sr.samples, 0, i)
	}
}

// maybeSweep trims every series once per sweepEvery of emulator time. The
// caller holds s.mu for writing.
func (s *Service) maybeSweep(now time.Time) {
	if now.Sub(s.lastSweep) < sweepEvery {
		return
	}
	s.lastSweep = now
	cutoff := now.Add(-Retention).UnixNano()
	for id, sr := range s.series {
		sr.trim(cutoff)
		if len(sr.samples) == 0 {
			delete(s.series, id)
		}
	}
}

func (s *Service) count(op string) {
	s.callsMu.Lock()
	s.calls[op]++
	s.callsMu.Unlock()
}

// ServeHTTP answers one rpcv2Cbor request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", "cw-"+strconv.FormatUint(s.reqSeq.Add(1), 10))
	op, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	if !ok || r.Method != http.MethodPost || op == "" || strings.Contains(op, "/") {
		WriteError(w, http.StatusNotFound, codeUnknownOperation, fmt.Sprintf("no operation at %s %s", r.Method, r.URL.Path))
		return
	}
	s.count(op)
	var handler func(cbor.Map) (cbor.Map, error)
	switch op {
	case "PutMetricData":
		handler = s.putMetricData
	case "GetMetricData":
		handler = s.getMetricData
	case "ListMetrics":
		handler = s.listMetrics
	default:
		WriteError(w, http.StatusNotFound, codeUnknownOperation, fmt.Sprintf("operation %s is not implemented", op))
		return
	}
	if p := r.Header.Get("Smithy-Protocol"); p != "rpc-v2-cbor" {
		writeAPIError(w, newError(codeSerialization, "Smithy-Protocol header must be rpc-v2-cbor, got %q", p))
		return
	}
	limit := int64(maxRequestBytes)
	if op == "PutMetricData" {
		limit = maxPutMetricDataBytes
	}
	in, err := readRequest(r, limit)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	out, err := handler(in)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	h := w.Header()
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	if out == nil {
		// An operation without output members answers with an empty body:
		// the SDK cannot decode a CBOR map with keys into a unit output.
		w.WriteHeader(http.StatusOK)
		return
	}
	h.Set("Content-Type", "application/cbor")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(cbor.Encode(out))
}

func writeAPIError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, code: "InternalServiceError", message: err.Error()}
	}
	WriteError(w, ae.status, ae.code, ae.message)
}

// readRequest reads, decompresses and decodes a request body into a map. An
// empty body is an input with no members.
func readRequest(r *http.Request, limit int64) (cbor.Map, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, newError(codeSerialization, "read request body: %v", err)
	}
	if int64(len(raw)) > limit {
		return nil, newError(codeTooLarge, "request body exceeds %d bytes", limit)
	}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, newError(codeSerialization, "gzip request body: %v", err)
		}
		raw, err = io.ReadAll(io.LimitReader(zr, limit+1))
		if err != nil {
			return nil, newError(codeSerialization, "gzip request body: %v", err)
		}
		if int64(len(raw)) > limit {
			return nil, newError(codeTooLarge, "decompressed request body exceeds %d bytes", limit)
		}
	default:
		return nil, newError(codeSerialization, "unsupported Content-Encoding %q", enc)
	}
	if len(raw) == 0 {
		return cbor.Map{}, nil
	}
	v, err := cbor.Decode(raw)
	if err != nil {
		return nil, newError(codeSerialization, "decode CBOR request body: %v", err)
	}
	return asMap(v, "request")
}
