package source

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// MaxQueriesPerCall is GetMetricData's limit: "A single GetMetricData call
// can include as many as 500 MetricDataQuery structures" (GetMetricData API
// reference).
const MaxQueriesPerCall = 500

// LagPeriods is how many periods the read window reaches back beyond the
// datapoints asked for. CloudWatch publishes datapoints with a delay (EC2
// detailed monitoring and most services within a few minutes; see "View
// available metrics" in the CloudWatch User Guide), so the newest complete
// periods may still be empty; reading five more periods still finds Points
// datapoints when the newest ones are late, and costs nothing in calls.
const LagPeriods = 5

// maxPagesPerCall bounds NextToken pagination of one batched call, so that a
// service that keeps returning tokens cannot hold a cycle forever.
const maxPagesPerCall = 100

// maxConcurrentCalls bounds the GetMetricData calls in flight. CloudWatch's
// default GetMetricData quota is 50 transactions per second per region
// (CloudWatch service quotas), far above this.
const maxConcurrentCalls = 4

// getMetricDataAPI is the part of the CloudWatch client CloudWatch uses.
type getMetricDataAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

var _ getMetricDataAPI = (*cloudwatch.Client)(nil)

// CloudWatch reads metric queries with batched GetMetricData calls.
type CloudWatch struct {
	api getMetricDataAPI
}

// NewCloudWatch returns a reader that uses client.
func NewCloudWatch(client *cloudwatch.Client) *CloudWatch {
	return &CloudWatch{api: client}
}

// Read reads every query in as few GetMetricData calls as the API allows:
// at most 500 MetricDataQuery entries per call (a query's metrics and
// expression never split across calls), NextToken pagination followed.
// Results are keyed by MetricQuery.Key; a failure of one call or one query
// sets that Series.Err and does not affect others.
//
// The window of a query with period P ends at now truncated down to P
// (aligned to the Unix epoch, as CloudWatch aligns periods), so the period
// still filling is never read; it starts LagPeriods periods before the
// Points periods asked for. Queries are grouped by period, since a call has
// one window. Each Series holds up to Points complete datapoints, newest
// first, each at the start of its period; a query with no data gets a
// Series with no points and no error. ReadAt is now. Keys must be unique.
func (c *CloudWatch) Read(ctx context.Context, now time.Time, queries []MetricQuery) map[string]Series {
	calls, out := planCalls(now, queries)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxConcurrentCalls)
	for _, cl := range calls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results, err := c.fetch(ctx, cl.input)
			var got map[string]Series
			if err != nil {
				got = failAll(cl.members, now, err)
			} else {
				got = parseResults(cl.members, results, now)
			}
			mu.Lock()
			for k, s := range got {
				out[k] = s
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// fetch runs one batched call, following NextToken, and returns the results
// of every page.
func (c *CloudWatch) fetch(ctx context.Context, in *cloudwatch.GetMetricDataInput) ([]types.MetricDataResult, error) {
	var results []types.MetricDataResult
	page := *in
	for pages := 1; ; pages++ {
		out, err := c.api.GetMetricData(ctx, &page)
		if err != nil {
			return nil, fmt.Errorf("get metric data (page %d): %w", pages, err)
		}
		results = append(results, out.MetricDataResults...)
		if out.NextToken == nil || *out.NextToken == "" {
			return results, nil
		}
		if pages == maxPagesPerCall {
			return nil, fmt.Errorf("get metric data: more than %d pages", maxPagesPerCall)
		}
		page.NextToken = out.NextToken
	}
}

// call is one batched GetMetricData request and the queries it answers.
type call struct {
	input   *cloudwatch.GetMetricDataInput
	members []member
}

// member is one MetricQuery inside a call.
type member struct {
	key string
	// resultID is the rewritten id of the entry whose result is the query's
	// answer (the expression, or the single metric).
	resultID string
	period   time.Duration
	points   int
	// end is the call's EndTime: no datapoint at or after it is complete.
	end     time.Time
	entries []types.MetricDataQuery
}

// planCalls turns queries into the fewest calls: queries are grouped by
// period (one window per call), and each group is packed first-fit
// decreasing by entry count into calls of at most MaxQueriesPerCall
// entries, which is optimal when all queries have the same size. Invalid
// queries do not go into any call; their Series, with Err set, are returned
// in the map.
func planCalls(now time.Time, queries []MetricQuery) ([]call, map[string]Series) {
	failed := make(map[string]Series)
	byPeriod := map[time.Duration][]member{}
	for i, q := range queries {
		entries, resultID, err := buildQueries(i, q)
		if err != nil {
			failed[q.Key] = Series{ReadAt: now, Err: fmt.Errorf("metric query %q: %w", q.Key, err)}
			continue
		}
		byPeriod[q.Period] = append(byPeriod[q.Period], member{
			key: q.Key, resultID: resultID, period: q.Period, points: q.Points, entries: entries,
		})
	}
	periods := slices.Sorted(maps.Keys(byPeriod))
	var calls []call
	for _, period := range periods {
		ms := byPeriod[period]
		sort.SliceStable(ms, func(a, b int) bool { return len(ms[a].entries) > len(ms[b].entries) })
		var bins [][]member
		var sizes []int
		for _, m := range ms {
			placed := false
			for b := range bins {
				if sizes[b]+len(m.entries) <= MaxQueriesPerCall {
					bins[b] = append(bins[b], m)
					sizes[b] += len(m.entries)
					placed = true
					break
				}
			}
			if !placed {
				bins = append(bins, []member{m})
				sizes = append(sizes, len(m.entries))
			}
		}
		start, end := window(now, period, ms)
		for _, bin := range bins {
			in := &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(start),
				EndTime:   aws.Time(end),
				ScanBy:    types.ScanByTimestampDescending,
			}
			for i := range bin {
				bin[i].end = end
				in.MetricDataQueries = append(in.MetricDataQueries, bin[i].entries...)
			}
			calls = append(calls, call{input: in, members: bin})
		}
	}
	return calls, failed
}

// window returns the read window of a period group: EndTime is now
// truncated down to the period, StartTime is (max Points + LagPeriods)
// periods before it.
func window(now time.Time, period time.Duration, ms []member) (start, end time.Time) {
	points := 1
	for _, m := range ms {
		points = max(points, m.points)
	}
	end = alignDown(now, period)
	return end.Add(-time.Duration(points+LagPeriods) * period), end
}

// alignDown truncates t to a multiple of period since the Unix epoch.
// time.Time.Truncate aligns to the zero time instead, which differs for
// periods such as 7 minutes.
func alignDown(t time.Time, period time.Duration) time.Time {
	ns := t.UnixNano()
	p := int64(period)
	r := ns % p
	if r < 0 {
		r += p
	}
	return time.Unix(0, ns-r).UTC()
}

// validPeriod reports whether CloudWatch accepts period: "1, 5, 10, 20, 30,
// 60, or any multiple of 60" seconds (MetricStat.Period in the CloudWatch
// API reference).
func validPeriod(p time.Duration) bool {
	if p <= 0 || p%time.Second != 0 || p > time.Duration(1<<31-1)*time.Second {
		return false
	}
	switch s := int64(p / time.Second); s {
	case 1, 5, 10, 20, 30:
		return true
	default:
		return s%60 == 0
	}
}

// buildQueries turns query i into its MetricDataQuery entries, with ids
// unique across a batched call ("q<i>_m<j>" for metrics, "q<i>_e" for the
// expression) and the expression rewritten to them. It returns the id of
// the entry that carries the answer.
func buildQueries(i int, q MetricQuery) ([]types.MetricDataQuery, string, error) {
	switch {
	case !validPeriod(q.Period):
		return nil, "", fmt.Errorf("period %s is not one CloudWatch accepts (1, 5, 10, 20, 30 s or a multiple of 60 s)", q.Period)
	case q.Points < 1:
		return nil, "", fmt.Errorf("points must be at least 1, got %d", q.Points)
	case len(q.Metrics) == 0:
		return nil, "", errors.New("no metrics")
	case q.Expression == "" && len(q.Metrics) != 1:
		return nil, "", fmt.Errorf("%d metrics without an expression; exactly one is needed", len(q.Metrics))
	case len(q.Metrics)+1 > MaxQueriesPerCall:
		return nil, "", fmt.Errorf("%d metrics do not fit one GetMetricData call of %d queries", len(q.Metrics), MaxQueriesPerCall)
	}
	period := aws.Int32(int32(q.Period / time.Second))
	ids := make(map[string]string, len(q.Metrics))
	entries := make([]types.MetricDataQuery, 0, len(q.Metrics)+1)
	for j, m := range q.Metrics {
		if m.Namespace == "" || m.Name == "" || m.Stat == "" {
			return nil, "", fmt.Errorf("metric %d (%q): namespace, name and stat are required", j, m.ID)
		}
		id := fmt.Sprintf("q%d_m%d", i, j)
		if m.ID != "" {
			if _, dup := ids[m.ID]; dup {
				return nil, "", fmt.Errorf("metric id %q is used twice", m.ID)
			}
			ids[m.ID] = id
		}
		dims := make([]types.Dimension, len(m.Dimensions))
		for k, d := range m.Dimensions {
			dims[k] = types.Dimension{Name: aws.String(d.Name), Value: aws.String(d.Value)}
		}
		stat := &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String(m.Namespace), MetricName: aws.String(m.Name), Dimensions: dims},
			Period: period,
			Stat:   aws.String(m.Stat),
		}
		if m.Unit != "" {
			stat.Unit = types.StandardUnit(m.Unit)
		}
		entries = append(entries, types.MetricDataQuery{
			Id:         aws.String(id),
			MetricStat: stat,
			ReturnData: aws.Bool(q.Expression == ""),
		})
	}
	if q.Expression == "" {
		return entries, *entries[0].Id, nil
	}
	expr, err := rewriteExpression(q.Expression, ids)
	if err != nil {
		return nil, "", fmt.Errorf("expression %q: %w", q.Expression, err)
	}
	id := fmt.Sprintf("q%d_e", i)
	entries = append(entries, types.MetricDataQuery{Id: aws.String(id), Expression: aws.String(expr), ReturnData: aws.Bool(true)})
	return entries, id, nil
}

// batchUnsafeFunctions see metrics beyond the query's own, which in a call
// batched over many queries would be other queries' metrics (METRICS), or
// are separate queries with limits of their own (SEARCH).
var batchUnsafeFunctions = map[string]bool{"METRICS": true, "SEARCH": true}

// rewriteExpression replaces each metric id in expr with its batched id. It
// tokenizes rather than replacing text: numbers such as 1e3, quoted strings
// and function names stay as they are, and an id that is a prefix of
// another is not touched inside it. An identifier that is neither a
// function call nor one of the query's ids is an error, found here so that
// it cannot fail the whole batched call.
func rewriteExpression(expr string, ids map[string]string) (string, error) {
	if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(expr)), "SELECT") {
		return "", errors.New("metrics insights queries cannot be batched")
	}
	var b strings.Builder
	isIdent := func(c byte, first bool) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
	}
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(expr) {
				return "", fmt.Errorf("unterminated string at position %d", i)
			}
			b.WriteString(expr[i : j+1])
			i = j + 1
		case isDigit(c) || c == '.' && i+1 < len(expr) && isDigit(expr[i+1]):
			j := i
			for j < len(expr) && (isDigit(expr[j]) || expr[j] == '.') {
				j++
			}
			if j < len(expr) && (expr[j] == 'e' || expr[j] == 'E') {
				k := j + 1
				if k < len(expr) && (expr[k] == '+' || expr[k] == '-') {
					k++
				}
				if k < len(expr) && isDigit(expr[k]) {
					for k < len(expr) && isDigit(expr[k]) {
						k++
					}
					j = k
				}
			}
			b.WriteString(expr[i:j])
			i = j
		case isIdent(c, true):
			j := i
			for j < len(expr) && isIdent(expr[j], false) {
				j++
			}
			word := expr[i:j]
			k := j
			for k < len(expr) && (expr[k] == ' ' || expr[k] == '\t') {
				k++
			}
			switch {
			case k < len(expr) && expr[k] == '(':
				if batchUnsafeFunctions[strings.ToUpper(word)] {
					return "", fmt.Errorf("%s cannot be used in a batched read", word)
				}
				b.WriteString(word)
			case ids[word] != "":
				b.WriteString(ids[word])
			default:
				return "", fmt.Errorf("%q is not a metric id of this query", word)
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// parseResults turns the results of every page of one call into a Series
// per member.
func parseResults(members []member, results []types.MetricDataResult, readAt time.Time) map[string]Series {
	type acc struct {
		seen     bool
		points   []Point
		bad      string
		messages []string
	}
	byID := make(map[string]*acc, len(members))
	for _, m := range members {
		byID[m.resultID] = &acc{}
	}
	for _, r := range results {
		a := byID[aws.ToString(r.Id)]
		if a == nil {
			continue // an entry without ReturnData, or a stranger
		}
		a.seen = true
		for _, msg := range r.Messages {
			a.messages = append(a.messages, aws.ToString(msg.Code)+": "+aws.ToString(msg.Value))
		}
		switch r.StatusCode {
		case types.StatusCodeComplete, types.StatusCodePartialData:
		default:
			a.bad = string(r.StatusCode)
		}
		if len(r.Timestamps) != len(r.Values) {
			a.bad = fmt.Sprintf("%d timestamps for %d values", len(r.Timestamps), len(r.Values))
			continue
		}
		for k, ts := range r.Timestamps {
			a.points = append(a.points, Point{At: ts.UTC(), Value: r.Values[k]})
		}
	}
	out := make(map[string]Series, len(members))
	for _, m := range members {
		a := byID[m.resultID]
		s := Series{ReadAt: readAt}
		switch {
		case a.bad != "":
			s.Err = fmt.Errorf("metric query %q: status %s: %s", m.key, a.bad, strings.Join(a.messages, "; "))
		case !a.seen:
			s.Err = fmt.Errorf("metric query %q: no result in the GetMetricData answer", m.key)
		default:
			s.Points = completePoints(a.points, m.end, m.period, m.points)
		}
		out[m.key] = s
	}
	return out
}

// completePoints keeps the datapoints of complete periods (those ending at
// or before end), one per timestamp, newest first, at most n.
func completePoints(ps []Point, end time.Time, period time.Duration, n int) []Point {
	out := make([]Point, 0, min(len(ps), n))
	for _, p := range ps {
		if p.At.Add(period).After(end) {
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].At.After(out[b].At) })
	out = slices.CompactFunc(out, func(a, b Point) bool { return a.At.Equal(b.At) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// failAll gives every member of a failed call the call's error.
func failAll(members []member, readAt time.Time, err error) map[string]Series {
	out := make(map[string]Series, len(members))
	for _, m := range members {
		out[m.key] = Series{ReadAt: readAt, Err: fmt.Errorf("metric query %q: %w", m.key, err)}
	}
	return out
}
