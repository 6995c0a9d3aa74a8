package cloudwatch

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// GetMetricData limits and defaults, from the GetMetricData API reference.
const (
	// maxMetricDataQueries: "A single GetMetricData call can include as
	// many as 500 MetricDataQuery structures."
	maxMetricDataQueries = 500
	// defaultMaxDatapoints: "If you omit this, the default of 100,800 is
	// used."
	defaultMaxDatapoints = 100800
	// maxIDLength is the MetricId length limit of the model.
	maxIDLength = 255
	// highResolutionWindow: high-resolution periods (under 60 s) return no
	// data for a StartTime more than 3 hours ago (MetricStat.Period).
	highResolutionWindow = 3 * time.Hour
)

// Scan orders.
const (
	scanDescending = "TimestampDescending"
	scanAscending  = "TimestampAscending"
)

// Result status codes and message codes as CloudWatch sends them.
const (
	statusComplete      = "Complete"
	statusPartialData   = "PartialData"
	statusInternalError = "InternalError"
	droppedMessage      = "One or more data-points have been dropped due to non-numeric values (NaN, -Infinite, +Infinite)"
)

// query is one validated MetricDataQuery.
type query struct {
	id, label  string
	returnData bool
	// A metric statistic query has a name; an expression query has expr.
	namespace, name string
	dims            []Dimension
	period          int64 // seconds; for expressions 0 when not given
	stat            string
	percentile      float64 // for pNN statistics
	unit            string
	exprSrc         string
	expr            node
}

type gmdRequest struct {
	queries       []*query
	start, end    time.Time
	scanBy        string
	maxDatapoints int
	token         string
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDLength || id[0] < 'a' || id[0] > 'z' {
		return false
	}
	for i := 1; i < len(id); i++ {
		c := id[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func validPeriod(p int64) bool {
	switch p {
	case 1, 5, 10, 20, 30:
		return true
	}
	return p >= 60 && p%60 == 0
}

// parseStat accepts the statistics the emulator computes: the five simple
// ones and percentiles pNN or pNN.NN.
func parseStat(s string) (float64, bool) {
	switch s {
	case "Average", "Sum", "Minimum", "Maximum", "SampleCount":
		return 0, true
	}
	if len(s) < 2 || s[0] != 'p' {
		return 0, false
	}
	for _, c := range s[1:] {
		if c != '.' && (c < '0' || c > '9') {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s[1:], 64)
	if err != nil || v < 0 || v > 100 {
		return 0, false
	}
	return v, true
}

func parseGetMetricData(in cbor.Map) (*gmdRequest, error) {
	req := &gmdRequest{scanBy: scanDescending, maxDatapoints: defaultMaxDatapoints}
	l, ok, err := getList(in, "MetricDataQueries", "")
	if err != nil {
		return nil, err
	}
	if !ok || len(l) == 0 {
		return nil, newError(codeMissingParameter, "The parameter MetricDataQueries is required.")
	}
	if len(l) > maxMetricDataQueries {
		return nil, newError(codeValidation, "The collection MetricDataQueries must not have a size greater than %d.", maxMetricDataQueries)
	}
	var hasStart, hasEnd bool
	if req.start, hasStart, err = getTime(in, "StartTime", ""); err != nil {
		return nil, err
	}
	if req.end, hasEnd, err = getTime(in, "EndTime", ""); err != nil {
		return nil, err
	}
	if !hasStart {
		return nil, newError(codeMissingParameter, "The parameter StartTime is required.")
	}
	if !hasEnd {
		return nil, newError(codeMissingParameter, "The parameter EndTime is required.")
	}
	if !req.start.Before(req.end) {
		return nil, newError(codeValidation, "The parameter StartTime must be less than the parameter EndTime.")
	}
	if sb, ok, err := getString(in, "ScanBy", ""); err != nil {
		return nil, err
	} else if ok {
		if sb != scanDescending && sb != scanAscending {
			return nil, newError(codeValidation, "The value %s for parameter ScanBy is invalid.", sb)
		}
		req.scanBy = sb
	}
	if n, ok, err := getInt(in, "MaxDatapoints", ""); err != nil {
		return nil, err
	} else if ok {
		if n < 1 || n > math.MaxInt32 {
			return nil, newError(codeValidation, "The value %d for parameter MaxDatapoints is invalid: it must be at least 1.", n)
		}
		req.maxDatapoints = int(n)
	}
	if _, _, err := getMap(in, "LabelOptions", ""); err != nil {
		return nil, err
	}
	if req.token, _, err = getString(in, "NextToken", ""); err != nil {
		return nil, err
	}

	byID := map[string]*query{}
	for i, v := range l {
		q, err := parseQuery(v, member("MetricDataQueries", i))
		if err != nil {
			return nil, err
		}
		if byID[q.id] != nil {
			return nil, newError(codeValidation, "The values for parameter Id in MetricDataQueries are not unique: %s appears more than once.", q.id)
		}
		byID[q.id] = q
		req.queries = append(req.queries, q)
	}
	for _, q := range req.queries {
		if q.expr == nil {
			continue
		}
		for _, r := range refs(q.expr) {
			if byID[r] == nil {
				return nil, newError(codeValidation, "Error in expression %s: unrecognized identifier %s.", q.id, r)
			}
		}
	}
	if id := findCycle(req.queries, byID); id != "" {
		return nil, newError(codeValidation, "Error in expression %s: circular reference.", id)
	}
	return req, nil
}

func parseQuery(v cbor.Value, path string) (*query, error) {
	m, err := asMap(v, path)
	if err != nil {
		return nil, err
	}
	q := &query{returnData: true}
	id, ok, err := getString(m, "Id", path)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, newError(codeMissingParameter, "The parameter %s.Id is required.", path)
	}
	if !validID(id) {
		return nil, newError(codeValidation,
			"The value %s for parameter %s.Id is invalid: it must start with a lowercase letter and contain only letters, numbers and underscores, up to %d characters.", id, path, maxIDLength)
	}
	q.id = id
	if q.label, _, err = getString(m, "Label", path); err != nil {
		return nil, err
	}
	if rd, ok, err := getBool(m, "ReturnData", path); err != nil {
		return nil, err
	} else if ok {
		q.returnData = rd
	}
	if _, _, err := getString(m, "AccountId", path); err != nil {
		return nil, err
	}
	if p, ok, err := getInt(m, "Period", path); err != nil {
		return nil, err
	} else if ok {
		if !validPeriod(p) {
			return nil, newError(codeValidation, "The value %d for parameter %s.Period is invalid: it must be 1, 5, 10, 20, 30 or a multiple of 60.", p, path)
		}
		q.period = p
	}
	ms, hasStat, err := getMap(m, "MetricStat", path)
	if err != nil {
		return nil, err
	}
	expr, hasExpr, err := getString(m, "Expression", path)
	if err != nil {
		return nil, err
	}
	switch {
	case hasStat && hasExpr:
		return nil, newError(codeValidation, "The parameters %[1]s.MetricStat and %[1]s.Expression are mutually exclusive and you have specified both.", path)
	case !hasStat && !hasExpr:
		return nil, newError(codeValidation, "Exactly one of %[1]s.MetricStat and %[1]s.Expression must be specified.", path)
	case hasExpr:
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(expr)), "SELECT") {
			return nil, newError(codeValidation, "Error in expression %s: Metrics Insights queries are not implemented.", id)
		}
		n, err := parseExpression(expr)
		if err != nil {
			return nil, newError(codeValidation, "Error in expression %s: %v.", id, err)
		}
		q.exprSrc, q.expr = expr, n
		if q.label == "" {
			q.label = id
		}
		return q, nil
	}
	return q, parseMetricStat(ms, path+".MetricStat", q)
}

func parseMetricStat(ms cbor.Map, path string, q *query) error {
	metric, ok, err := getMap(ms, "Metric", path)
	if err != nil {
		return err
	}
	if !ok {
		return newError(codeMissingParameter, "The parameter %s.Metric is required.", path)
	}
	mp := path + ".Metric"
	if q.namespace, _, err = getString(metric, "Namespace", mp); err != nil {
		return err
	}
	if q.name, _, err = getString(metric, "MetricName", mp); err != nil {
		return err
	}
	if q.name == "" {
		return newError(codeMissingParameter, "The parameter %s.MetricName is required.", mp)
	}
	if q.dims, err = parseDimensions(metric, mp, true); err != nil {
		return err
	}
	p, ok, err := getInt(ms, "Period", path)
	if err != nil {
		return err
	}
	if !ok {
		return newError(codeMissingParameter, "The parameter %s.Period is required.", path)
	}
	if !validPeriod(p) {
		return newError(codeValidation, "The value %d for parameter %s.Period is invalid: it must be 1, 5, 10, 20, 30 or a multiple of 60.", p, path)
	}
	q.period = p
	stat, ok, err := getString(ms, "Stat", path)
	if err != nil {
		return err
	}
	if !ok {
		return newError(codeMissingParameter, "The parameter %s.Stat is required.", path)
	}
	pct, valid := parseStat(stat)
	if !valid {
		return newError(codeValidation, "The value for parameter %s.Stat is not a valid statistic.", path)
	}
	q.stat, q.percentile = stat, pct
	if u, ok, err := getString(ms, "Unit", path); err != nil {
		return err
	} else if ok {
		if !standardUnits[u] {
			return newError(codeValidation, "The value %s for parameter %s.Unit is invalid.", u, path)
		}
		q.unit = u
	}
	if q.label == "" {
		q.label = q.name
	}
	return nil
}

// findCycle returns the id of an expression that depends on itself, or "".
func findCycle(qs []*query, byID map[string]*query) string {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var visit func(q *query) bool
	visit = func(q *query) bool {
		switch state[q.id] {
		case visiting:
			return true
		case done:
			return false
		}
		state[q.id] = visiting
		if q.expr != nil {
			for _, r := range refs(q.expr) {
				if visit(byID[r]) {
					return true
				}
			}
		}
		state[q.id] = done
		return false
	}
	for _, q := range qs {
		if visit(q) {
			return q.id
		}
	}
	return ""
}

// result is one query's full answer before pagination, in scan order.
type result struct {
	q        *query
	points   []point
	failed   bool
	messages []cbor.Value
}

func (s *Service) getMetricData(in cbor.Map) (cbor.Map, error) {
	req, err := parseGetMetricData(in)
	if err != nil {
		return nil, err
	}
	fp := req.fingerprint()
	offset, asOf := 0, s.clk.Now().UnixNano()
	if req.token != "" {
		if offset, asOf, err = decodeDataToken(req.token, fp); err != nil {
			return nil, err
		}
	}
	results := s.evaluate(req, asOf)

	pageEnd := offset + req.maxDatapoints
	cursor := 0
	out := cbor.List{}
	for _, r := range results {
		lo, hi := cursor, cursor+len(r.points)
		cursor = hi
		a, b := max(lo, offset), min(hi, pageEnd)
		if a >= b && !(len(r.points) == 0 && offset == 0) {
			continue
		}
		var page []point
		if a < b {
			page = r.points[a-lo : b-lo]
		}
		status := statusComplete
		switch {
		case r.failed:
			status = statusInternalError
		case hi > pageEnd:
			status = statusPartialData
		}
		ts := make(cbor.List, len(page))
		vs := make(cbor.List, len(page))
		for i, p := range page {
			ts[i] = timeValue(time.Unix(0, p.at))
			vs[i] = cbor.Float64(p.v)
		}
		res := cbor.Map{
			"Id":         cbor.String(r.q.id),
			"Label":      cbor.String(r.q.label),
			"Timestamps": ts,
			"Values":     vs,
			"StatusCode": cbor.String(status),
		}
		if len(r.messages) > 0 {
			res["Messages"] = cbor.List(r.messages)
		}
		out = append(out, res)
	}
	resp := cbor.Map{"MetricDataResults": out, "Messages": cbor.List{}}
	if cursor > pageEnd {
		resp["NextToken"] = cbor.String(encodeDataToken(pageEnd, asOf, fp))
	}
	return resp, nil
}

// evaluate computes every query (statistics, then expressions in dependency
// order) and returns the results of those with ReturnData, in request
// order, each in scan order.
func (s *Service) evaluate(req *gmdRequest, asOf int64) []*result {
	byID := make(map[string]*result, len(req.queries))
	s.mu.RLock()
	delay := s.visibleDelay
	for _, q := range req.queries {
		if q.expr != nil {
			continue
		}
		r := &result{q: q}
		id := metricID(q.namespace, q.name, q.dims)
		if s.faults[id] {
			r.failed = true
		} else if sr := s.series[id]; sr != nil {
			r.points = sr.aggregate(q, req.start, req.end, asOf, delay)
		}
		byID[q.id] = r
	}
	s.mu.RUnlock()

	defaultPeriod := int64(60)
	for _, q := range req.queries {
		if q.expr == nil {
			defaultPeriod = q.period
			break
		}
	}
	var resolve func(q *query) *result
	resolve = func(q *query) *result {
		if r := byID[q.id]; r != nil {
			return r
		}
		r := &result{q: q}
		byID[q.id] = r
		ids := refs(q.expr)
		deps := make(map[string][]point, len(ids))
		for _, id := range ids {
			d := resolve(findQuery(req.queries, id))
			if d.failed {
				r.failed = true
			}
			deps[id] = d.points
		}
		if r.failed {
			r.messages = append(r.messages, internalErrorMessage())
			return r
		}
		ev := &evaluator{lookup: func(id string) []point { return deps[id] }}
		v, err := ev.eval(q.expr)
		switch {
		case err != nil:
			r.failed = true
			r.messages = append(r.messages, cbor.Map{"Code": cbor.String("ExpressionError"), "Value": cbor.String(err.Error())})
		case v.kind == 's':
			period := q.period
			if period == 0 {
				period = defaultPeriod
			}
			if ev.keep(v.num) {
				r.points = constantSeries(v.num, period, req.start, req.end)
			}
		case v.kind == 't':
			r.points = v.ts
		default:
			r.failed = true
			r.messages = append(r.messages, cbor.Map{"Code": cbor.String("ExpressionError"), "Value": cbor.String("the expression must return a single time series")})
		}
		if ev.dropped {
			r.messages = append(r.messages, cbor.Map{"Code": cbor.String("ArithmeticError"), "Value": cbor.String(droppedMessage)})
		}
		return r
	}
	for _, q := range req.queries {
		if q.expr != nil {
			resolve(q)
		}
	}
	var out []*result
	for _, q := range req.queries {
		r := byID[q.id]
		if !q.returnData {
			continue
		}
		if q.expr == nil && r.failed {
			r.messages = append(r.messages, internalErrorMessage())
		}
		if req.scanBy == scanDescending {
			r.points = reversed(r.points)
		}
		out = append(out, r)
	}
	return out
}

func internalErrorMessage() cbor.Value {
	return cbor.Map{"Code": cbor.String(statusInternalError), "Value": cbor.String("An internal error occurred while retrieving this metric.")}
}

func findQuery(qs []*query, id string) *query {
	for _, q := range qs {
		if q.id == id {
			return q
		}
	}
	return nil
}

func reversed(ps []point) []point {
	out := make([]point, len(ps))
	for i, p := range ps {
		out[len(ps)-1-i] = p
	}
	return out
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// bucketRange returns the first bucket start and the end of the last bucket
// of the period buckets, aligned to the Unix epoch, that overlap
// [start, end).
func bucketRange(period int64, start, end time.Time) (first, last int64) {
	p := period * int64(time.Second)
	first = floorDiv(start.UnixNano(), p) * p
	last = (floorDiv(end.UnixNano()-1, p) + 1) * p
	return first, last
}

// maxConstantPoints bounds the series a constant expression produces to
// the datapoints one GetMetricData call may return by default.
const maxConstantPoints = defaultMaxDatapoints

func constantSeries(v float64, period int64, start, end time.Time) []point {
	first, last := bucketRange(period, start, end)
	p := period * int64(time.Second)
	if (last-first)/p > maxConstantPoints {
		first = last - maxConstantPoints*p
	}
	out := make([]point, 0, (last-first)/p)
	for at := first; at < last; at += p {
		out = append(out, point{at, v})
	}
	return out
}

// aggregate computes q's statistic per period bucket, ascending. A bucket
// holds the datapoints with timestamps in [bucket, bucket+period); only
// buckets overlapping [start, end) are returned, and only datapoints
// visible as of asOf count.
func (sr *series) aggregate(q *query, start, end time.Time, asOf int64, delay time.Duration) []point {
	if q.period < 60 && start.UnixNano() < asOf-int64(highResolutionWindow) {
		return nil
	}
	first, last := bucketRange(q.period, start, end)
	p := q.period * int64(time.Second)
	i := sort.Search(len(sr.samples), func(i int) bool { return sr.samples[i].at >= first })
	var out []point
	var bucket []sample
	flush := func(at int64) {
		if len(bucket) == 0 {
			return
		}
		if v, ok := statistic(q, bucket); ok {
			out = append(out, point{at, v})
		}
		bucket = bucket[:0]
	}
	cur := int64(math.MinInt64)
	for ; i < len(sr.samples) && sr.samples[i].at < last; i++ {
		smp := sr.samples[i]
		if smp.seen > asOf || smp.at+int64(delay) > asOf {
			continue
		}
		if q.unit != "" && smp.unit != q.unit {
			continue
		}
		b := floorDiv(smp.at, p) * p
		if b != cur {
			flush(cur)
			cur = b
		}
		bucket = append(bucket, smp)
	}
	flush(cur)
	return out
}

func statistic(q *query, b []sample) (float64, bool) {
	var count, sum float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range b {
		count += s.count
		sum += s.sum
		lo = math.Min(lo, s.min)
		hi = math.Max(hi, s.max)
	}
	switch q.stat {
	case "SampleCount":
		return count, true
	case "Sum":
		return sum, true
	case "Average":
		return sum / count, true
	case "Minimum":
		return lo, true
	case "Maximum":
		return hi, true
	}
	return percentile(q.percentile, b)
}

// percentile is the nearest-rank percentile of the bucket's raw values. A
// statistic set whose values are not all equal carries no raw values, so,
// as in CloudWatch, a bucket holding one yields no percentile.
func percentile(pct float64, b []sample) (float64, bool) {
	var ws []weighted
	for _, s := range b {
		switch {
		case s.dist != nil:
			ws = append(ws, s.dist...)
		case s.min == s.max:
			ws = append(ws, weighted{s.min, s.count})
		default:
			return 0, false
		}
	}
	if len(ws) == 0 {
		return 0, false
	}
	slices.SortFunc(ws, func(a, b weighted) int {
		switch {
		case a.value < b.value:
			return -1
		case a.value > b.value:
			return 1
		}
		return 0
	})
	var total float64
	for _, w := range ws {
		total += w.count
	}
	rank := math.Ceil(pct / 100 * total)
	var cum float64
	for _, w := range ws {
		cum += w.count
		if cum >= rank {
			return w.value, true
		}
	}
	return ws[len(ws)-1].value, true
}

// fingerprint identifies a request apart from NextToken and MaxDatapoints,
// so that a token is honoured only for the request it was issued for.
func (r *gmdRequest) fingerprint() uint64 {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%d|%d|%s|", r.start.UnixNano(), r.end.UnixNano(), r.scanBy)
	for _, q := range r.queries {
		_, _ = fmt.Fprintf(h, "%s|%t|%s|%s|%v|%d|%s|%s|%s;", q.id, q.returnData, q.namespace, q.name, q.dims, q.period, q.stat, q.unit, q.exprSrc)
	}
	return h.Sum64()
}

const dataTokenPrefix = "gmd1"

// A GetMetricData NextToken carries the offset of the next datapoint, the
// emulator time the first page was computed at (later pages read the data
// as of then, so pages neither repeat nor skip datapoints), and the request
// fingerprint.
func encodeDataToken(offset int, asOf int64, fp uint64) string {
	s := fmt.Sprintf("%s:%d:%d:%x", dataTokenPrefix, offset, asOf, fp)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeDataToken(tok string, fp uint64) (int, int64, error) {
	bad := newError(codeInvalidNextToken, "The NextToken is invalid for this request.")
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, 0, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 4 || parts[0] != dataTokenPrefix {
		return 0, 0, bad
	}
	offset, err1 := strconv.Atoi(parts[1])
	asOf, err2 := strconv.ParseInt(parts[2], 10, 64)
	got, err3 := strconv.ParseUint(parts[3], 16, 64)
	if err1 != nil || err2 != nil || err3 != nil || offset < 0 || got != fp {
		return 0, 0, bad
	}
	return offset, asOf, nil
}
