package cloudwatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/headroom-dev/headroom/internal/clock"
)

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// newClient returns a real SDK client talking to h over HTTP.
func newClient(t *testing.T, h http.Handler, opts ...func(*cloudwatch.Options)) *cloudwatch.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Source: "test"}, nil
		}),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 2
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}
	return cloudwatch.NewFromConfig(cfg, append([]func(*cloudwatch.Options){func(o *cloudwatch.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	}}, opts...)...)
}

func newService(t *testing.T) (*Service, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	return New(clk), clk
}

func dims(kv ...string) []types.Dimension {
	var out []types.Dimension
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Dimension{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func statQuery(id, name, stat string, period int32, d ...string) types.MetricDataQuery {
	return types.MetricDataQuery{
		Id: aws.String(id),
		MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String(name), Dimensions: dims(d...)},
			Period: aws.Int32(period),
			Stat:   aws.String(stat),
		},
	}
}

func exprQuery(id, expr string) types.MetricDataQuery {
	return types.MetricDataQuery{Id: aws.String(id), Expression: aws.String(expr)}
}

func hidden(q types.MetricDataQuery) types.MetricDataQuery {
	q.ReturnData = aws.Bool(false)
	return q
}

// getAll runs GetMetricData, following NextToken, and merges results by id.
func getAll(t *testing.T, c *cloudwatch.Client, in *cloudwatch.GetMetricDataInput) (map[string]types.MetricDataResult, int) {
	t.Helper()
	out := map[string]types.MetricDataResult{}
	pages := 0
	p := cloudwatch.NewGetMetricDataPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetMetricData page %d: %v", pages+1, err)
		}
		pages++
		for _, r := range page.MetricDataResults {
			prev := out[*r.Id]
			prev.Id, prev.Label, prev.StatusCode, prev.Messages = r.Id, r.Label, r.StatusCode, r.Messages
			prev.Timestamps = append(prev.Timestamps, r.Timestamps...)
			prev.Values = append(prev.Values, r.Values...)
			out[*r.Id] = prev
		}
	}
	return out, pages
}

func TestPutAndGetStatistics(t *testing.T) {
	svc, _ := newService(t)
	c := newClient(t, svc)
	ctx := context.Background()
	base := t0.Add(-10 * time.Minute) // 11:50, minute-aligned
	_, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("App"),
		MetricData: []types.MetricDatum{
			{MetricName: aws.String("Latency"), Dimensions: dims("Svc", "a"), Timestamp: aws.Time(base.Add(5 * time.Second)), Value: aws.Float64(10)},
			{MetricName: aws.String("Latency"), Dimensions: dims("Svc", "a"), Timestamp: aws.Time(base.Add(20 * time.Second)),
				Values: []float64{1, 2, 3, 4}, Counts: []float64{1, 1, 1, 7}},
			{MetricName: aws.String("Latency"), Dimensions: dims("Svc", "a"), Timestamp: aws.Time(base.Add(70 * time.Second)),
				StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(20), Minimum: aws.Float64(2), Maximum: aws.Float64(8)}},
			// Another dimension set is another metric.
			{MetricName: aws.String("Latency"), Dimensions: dims("Svc", "b"), Timestamp: aws.Time(base.Add(5 * time.Second)), Value: aws.Float64(1000)},
		},
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	tests := []struct {
		stat string
		want []float64 // oldest first: bucket 11:50, bucket 11:51
	}{
		{"SampleCount", []float64{11, 4}},
		{"Sum", []float64{10 + 1 + 2 + 3 + 28, 20}},
		{"Average", []float64{44.0 / 11, 5}},
		{"Minimum", []float64{1, 2}},
		{"Maximum", []float64{10, 8}},
		{"p50", []float64{4}}, // the statistic set of 11:51 has no raw values
		{"p0", []float64{1}},
		{"p100", []float64{10}},
	}
	for _, tc := range tests {
		t.Run(tc.stat, func(t *testing.T) {
			res, _ := getAll(t, c, &cloudwatch.GetMetricDataInput{
				StartTime:         aws.Time(base),
				EndTime:           aws.Time(base.Add(5 * time.Minute)),
				ScanBy:            types.ScanByTimestampAscending,
				MetricDataQueries: []types.MetricDataQuery{statQuery("m1", "Latency", tc.stat, 60, "Svc", "a")},
			})
			r := res["m1"]
			if r.StatusCode != types.StatusCodeComplete {
				t.Errorf("status = %s, want Complete", r.StatusCode)
			}
			if fmt.Sprint(r.Values) != fmt.Sprint(tc.want) {
				t.Errorf("values = %v, want %v", r.Values, tc.want)
			}
			if len(r.Timestamps) > 0 && !r.Timestamps[0].Equal(base) {
				t.Errorf("first timestamp = %v, want %v", r.Timestamps[0], base)
			}
		})
	}
}

func TestBucketsAlignToEpochAndWindow(t *testing.T) {
	svc, _ := newService(t)
	c := newClient(t, svc)
	// One datapoint every 10 s from 11:40:00 to 11:59:50, value = minute.
	for at := t0.Add(-20 * time.Minute); at.Before(t0); at = at.Add(10 * time.Second) {
		svc.Put("App", "Load", map[string]string{"Svc": "a"}, at, float64(at.Minute()))
	}
	tests := []struct {
		name       string
		start, end time.Time
		period     int32
		wantFirst  time.Time // newest bucket
		wantPoints int
		wantCounts float64 // SampleCount of every bucket
	}{
		{"aligned minute", t0.Add(-5 * time.Minute), t0, 60, t0.Add(-time.Minute), 5, 6},
		{"unaligned window includes overlapping buckets", t0.Add(-5*time.Minute + 30*time.Second), t0.Add(-30 * time.Second), 60, t0.Add(-time.Minute), 5, 6},
		{"five-minute period", t0.Add(-15 * time.Minute), t0, 300, t0.Add(-5 * time.Minute), 3, 30},
		{"end excludes the bucket starting at end", t0.Add(-3 * time.Minute), t0.Add(-time.Minute), 60, t0.Add(-2 * time.Minute), 2, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := getAll(t, c, &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(tc.start), EndTime: aws.Time(tc.end),
				MetricDataQueries: []types.MetricDataQuery{statQuery("n", "Load", "SampleCount", tc.period, "Svc", "a")},
			})
			r := res["n"]
			if len(r.Values) != tc.wantPoints {
				t.Fatalf("points = %d (%v at %v), want %d", len(r.Values), r.Values, r.Timestamps, tc.wantPoints)
			}
			if !r.Timestamps[0].Equal(tc.wantFirst) {
				t.Errorf("newest timestamp = %v, want %v (descending is the default scan)", r.Timestamps[0].UTC(), tc.wantFirst)
			}
			for i, v := range r.Values {
				if v != tc.wantCounts {
					t.Errorf("bucket %v count = %v, want %v", r.Timestamps[i].UTC(), v, tc.wantCounts)
				}
				if i > 0 && !r.Timestamps[i].Before(r.Timestamps[i-1]) {
					t.Errorf("timestamps not descending: %v", r.Timestamps)
				}
			}
		})
	}
}

func TestExpressions(t *testing.T) {
	svc, _ := newService(t)
	c := newClient(t, svc)
	m := func(min int) time.Time { return t0.Add(time.Duration(min-10) * time.Minute) }
	// errors: minutes 0..3; requests: minutes 1..4 with a zero at 2.
	for i, v := range []float64{1, 2, 3, 4} {
		svc.Put("App", "Errors", nil, m(i), v)
	}
	for i, v := range []float64{10, 0, 40, 40} {
		svc.Put("App", "Requests", nil, m(i+1), v)
	}
	start, end := m(0), m(10)
	tests := []struct {
		name     string
		expr     string
		want     string // ascending "minute:value" pairs
		messages int
	}{
		{"division aligns on timestamps and drops division by zero", "100 * e / r", "1:20 3:10", 1},
		{"missing on either side gives no point", "e + r", "1:12 2:3 3:44", 0},
		{"precedence and parentheses", "(e + 1) * 2 - r / 10", "1:5 2:8 3:6", 0},
		{"unary minus and power", "-e ^ 2 + 100", "0:99 1:96 2:91 3:84", 0},
		{"constant scale", "e * 0.5e1", "0:5 1:10 2:15 3:20", 0},
		{"expression of an expression", "half * 2", "0:1 1:2 2:3 3:4", 0},
		{"sum over a list takes every timestamp", "SUM([e, r])", "0:1 1:12 2:3 3:44 4:40", 0},
		{"max of one series is a scalar at every period", "MAX(e) + 0 * 1", "0:4 1:4 2:4 3:4 4:4 5:4 6:4 7:4 8:4 9:4", 0},
		{"abs", "ABS(0 - e)", "0:1 1:2 2:3 3:4", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := getAll(t, c, &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(start), EndTime: aws.Time(end), ScanBy: types.ScanByTimestampAscending,
				MetricDataQueries: []types.MetricDataQuery{
					hidden(statQuery("e", "Errors", "Sum", 60)),
					hidden(statQuery("r", "Requests", "Sum", 60)),
					hidden(exprQuery("half", "e / 2")),
					exprQuery("x", tc.expr),
				},
			})
			if len(res) != 1 {
				t.Fatalf("results for %d ids, want only the expression", len(res))
			}
			r := res["x"]
			var got []string
			for i, ts := range r.Timestamps {
				got = append(got, fmt.Sprintf("%d:%g", int(ts.Sub(start)/time.Minute), r.Values[i]))
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tc.want)
			}
			if len(r.Messages) != tc.messages {
				t.Errorf("messages = %d (%v), want %d", len(r.Messages), r.Messages, tc.messages)
			}
			if *r.Label != "x" {
				t.Errorf("label = %q, want the id", *r.Label)
			}
		})
	}
}

func TestPaginationAndScanOrder(t *testing.T) {
	svc, _ := newService(t)
	c := newClient(t, svc)
	for i := range 30 {
		at := t0.Add(time.Duration(i-30) * time.Minute)
		svc.Put("App", "A", nil, at, float64(i))
		svc.Put("App", "B", nil, at, float64(100+i))
	}
	for _, scan := range []types.ScanBy{types.ScanByTimestampDescending, types.ScanByTimestampAscending} {
		t.Run(string(scan), func(t *testing.T) {
			var pages []*cloudwatch.GetMetricDataOutput
			in := &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0), ScanBy: scan, MaxDatapoints: aws.Int32(7),
				MetricDataQueries: []types.MetricDataQuery{statQuery("a", "A", "Maximum", 60), statQuery("b", "B", "Maximum", 60)},
			}
			p := cloudwatch.NewGetMetricDataPaginator(c, in)
			for p.HasMorePages() {
				out, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, out)
			}
			if len(pages) != 9 { // 60 datapoints, 7 a page
				t.Fatalf("pages = %d, want 9", len(pages))
			}
			got := map[string][]float64{}
			for i, pg := range pages {
				n := 0
				for _, r := range pg.MetricDataResults {
					n += len(r.Values)
					got[*r.Id] = append(got[*r.Id], r.Values...)
					want := types.StatusCodeComplete
					if len(got[*r.Id]) < 30 {
						want = types.StatusCodePartialData
					}
					if r.StatusCode != want {
						t.Errorf("page %d %s status = %s with %d of 30 values read, want %s", i, *r.Id, r.StatusCode, len(got[*r.Id]), want)
					}
				}
				if n > 7 {
					t.Errorf("page %d holds %d datapoints, more than MaxDatapoints", i, n)
				}
			}
			for _, id := range []string{"a", "b"} {
				vs := got[id]
				if len(vs) != 30 {
					t.Fatalf("%s: %d values, want 30", id, len(vs))
				}
				for i := 1; i < len(vs); i++ {
					if (scan == types.ScanByTimestampDescending) != (vs[i] < vs[i-1]) {
						t.Fatalf("%s: values out of %s order: %v", id, scan, vs)
					}
				}
			}
		})
	}
}

func TestPagesAreStableWhileDataArrives(t *testing.T) {
	svc, clk := newService(t)
	c := newClient(t, svc)
	for i := range 10 {
		svc.Put("App", "A", nil, t0.Add(time.Duration(i-10)*time.Minute), float64(i))
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0.Add(time.Hour)), MaxDatapoints: aws.Int32(4),
		MetricDataQueries: []types.MetricDataQuery{statQuery("a", "A", "Maximum", 60)},
	}
	first, err := c.GetMetricData(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	svc.Put("App", "A", nil, clk.Now(), 99)
	in.NextToken = first.NextToken
	second, err := c.GetMetricData(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(first.MetricDataResults[0].Values, second.MetricDataResults[0].Values)
	if want := "[9 8 7 6] [5 4 3 2]"; got != want {
		t.Errorf("pages = %s, want %s: the datapoint published after the first page must not shift the second", got, want)
	}
}

func TestVisibleDelay(t *testing.T) {
	svc, clk := newService(t)
	c := newClient(t, svc)
	svc.SetVisibleDelay(2 * time.Minute)
	svc.Put("App", "A", nil, t0.Add(-30*time.Second), 1)
	svc.Put("App", "A", nil, t0.Add(-90*time.Second), 2)
	svc.Put("App", "A", nil, t0.Add(-150*time.Second), 3) // already 2.5 min old: visible at once
	read := func() int {
		res, _ := getAll(t, c, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0.Add(time.Hour)),
			MetricDataQueries: []types.MetricDataQuery{statQuery("a", "A", "SampleCount", 60)},
		})
		return len(res["a"].Values)
	}
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{
		{0, 1},                // only the datapoint of 11:57:30
		{29 * time.Second, 1}, // 11:58:30 becomes visible at 12:00:30
		{time.Second, 2},      // now it has
		{59 * time.Second, 2}, // 11:59:30 becomes visible at 12:01:30
		{time.Second, 3},
	} {
		clk.Advance(step.advance)
		if n := read(); n != step.want {
			t.Errorf("at %s: %d points, want %d", clk.Now().Format("15:04:05"), n, step.want)
		}
	}
}

func TestMetricFault(t *testing.T) {
	svc, _ := newService(t)
	c := newClient(t, svc)
	svc.Put("App", "A", map[string]string{"K": "v"}, t0.Add(-time.Minute), 1)
	svc.Put("App", "B", nil, t0.Add(-time.Minute), 1)
	svc.SetMetricFault("App", "A", map[string]string{"K": "v"}, true)
	res, _ := getAll(t, c, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0),
		MetricDataQueries: []types.MetricDataQuery{
			statQuery("a", "A", "Sum", 60, "K", "v"), statQuery("b", "B", "Sum", 60), exprQuery("e", "a + b"),
		},
	})
	for id, want := range map[string]types.StatusCode{"a": types.StatusCodeInternalError, "e": types.StatusCodeInternalError, "b": types.StatusCodeComplete} {
		if res[id].StatusCode != want {
			t.Errorf("%s status = %s, want %s", id, res[id].StatusCode, want)
		}
	}
	if len(res["a"].Messages) == 0 || len(res["b"].Values) != 1 {
		t.Errorf("a messages = %v, b values = %v", res["a"].Messages, res["b"].Values)
	}
	svc.SetMetricFault("App", "A", map[string]string{"K": "v"}, false)
	res, _ = getAll(t, c, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0),
		MetricDataQueries: []types.MetricDataQuery{statQuery("a", "A", "Sum", 60, "K", "v")},
	})
	if res["a"].StatusCode != types.StatusCodeComplete {
		t.Errorf("after clearing: status %s", res["a"].StatusCode)
	}
}

func TestNoDataIsCompleteAndEmpty(t *testing.T) {
	svc, _ := newService(t)
	c := newClient(t, svc)
	res, pages := getAll(t, c, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0),
		MetricDataQueries: []types.MetricDataQuery{statQuery("a", "Nothing", "Average", 60)},
	})
	if pages != 1 || res["a"].StatusCode != types.StatusCodeComplete || len(res["a"].Values) != 0 {
		t.Errorf("pages %d, result %+v", pages, res["a"])
	}
}

func TestGetMetricDataValidation(t *testing.T) {
	svc, _ := newService(t)
	c := newClient(t, svc)
	many := make([]types.MetricDataQuery, 501)
	for i := range many {
		many[i] = statQuery(fmt.Sprintf("m%d", i), "A", "Sum", 60)
	}
	tests := []struct {
		name     string
		queries  []types.MetricDataQuery
		start    time.Time
		wantCode string
	}{
		{"501 queries", many, t0.Add(-time.Hour), "ValidationError"},
		{"id starts with upper case", []types.MetricDataQuery{statQuery("M1", "A", "Sum", 60)}, t0.Add(-time.Hour), "ValidationError"},
		{"id with a dash", []types.MetricDataQuery{statQuery("m-1", "A", "Sum", 60)}, t0.Add(-time.Hour), "ValidationError"},
		{"duplicate ids", []types.MetricDataQuery{statQuery("m", "A", "Sum", 60), statQuery("m", "B", "Sum", 60)}, t0.Add(-time.Hour), "ValidationError"},
		{"bad statistic", []types.MetricDataQuery{statQuery("m", "A", "Median", 60)}, t0.Add(-time.Hour), "ValidationError"},
		{"bad period", []types.MetricDataQuery{statQuery("m", "A", "Sum", 90)}, t0.Add(-time.Hour), "ValidationError"},
		{"syntax error", []types.MetricDataQuery{exprQuery("e", "1 +")}, t0.Add(-time.Hour), "ValidationError"},
		{"unknown id", []types.MetricDataQuery{exprQuery("e", "m9 * 2")}, t0.Add(-time.Hour), "ValidationError"},
		{"cycle", []types.MetricDataQuery{exprQuery("e", "f + 1"), exprQuery("f", "e + 1")}, t0.Add(-time.Hour), "ValidationError"},
		{"both stat and expression", []types.MetricDataQuery{{Id: aws.String("m"), Expression: aws.String("1"), MetricStat: statQuery("m", "A", "Sum", 60).MetricStat}}, t0.Add(-time.Hour), "ValidationError"},
		{"start not before end", []types.MetricDataQuery{statQuery("m", "A", "Sum", 60)}, t0, "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(tc.start), EndTime: aws.Time(t0), MetricDataQueries: tc.queries,
			})
			var ve *types.ValidationException
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *types.ValidationException", err)
			}
			if ve.ErrorCode() != tc.wantCode {
				t.Errorf("code = %s, want %s", ve.ErrorCode(), tc.wantCode)
			}
		})
	}
	if got := svc.Stats().Calls["GetMetricData"]; got != len(tests) {
		t.Errorf("GetMetricData calls = %d, want %d (client errors are not retried)", got, len(tests))
	}
}

func TestPutMetricDataValidation(t *testing.T) {
	svc, _ := newService(t)
	c := newClient(t, svc)
	datum := func(f func(*types.MetricDatum)) []types.MetricDatum {
		d := types.MetricDatum{MetricName: aws.String("A"), Value: aws.Float64(1)}
		f(&d)
		return []types.MetricDatum{d}
	}
	tooMany := make([]types.MetricDatum, 1001)
	for i := range tooMany {
		tooMany[i] = types.MetricDatum{MetricName: aws.String("A"), Value: aws.Float64(1)}
	}
	var ipv *types.InvalidParameterValueException
	var ipc *types.InvalidParameterCombinationException
	var mp *types.MissingRequiredParameterException
	tests := []struct {
		name   string
		ns     string
		data   []types.MetricDatum
		target any
		code   string
	}{
		{"1001 metrics", "App", tooMany, &ipv, "InvalidParameterValue"},
		{"AWS namespace", "AWS/EC2", datum(func(*types.MetricDatum) {}), &ipv, "InvalidParameterValue"},
		{"value and values", "App", datum(func(d *types.MetricDatum) { d.Values = []float64{1} }), &ipc, "InvalidParameterCombination"},
		{"counts do not match values", "App", datum(func(d *types.MetricDatum) { d.Value = nil; d.Values = []float64{1, 2}; d.Counts = []float64{1} }), &ipv, "InvalidParameterValue"},
		{"timestamp three weeks old", "App", datum(func(d *types.MetricDatum) { d.Timestamp = aws.Time(t0.Add(-21 * 24 * time.Hour)) }), &ipv, "InvalidParameterValue"},
		{"timestamp three hours ahead", "App", datum(func(d *types.MetricDatum) { d.Timestamp = aws.Time(t0.Add(3 * time.Hour)) }), &ipv, "InvalidParameterValue"},
		{"storage resolution 30", "App", datum(func(d *types.MetricDatum) { d.StorageResolution = aws.Int32(30) }), &ipv, "InvalidParameterValue"},
		{"value too large", "App", datum(func(d *types.MetricDatum) { d.Value = aws.Float64(math.Pow(2, 400)) }), &ipv, "InvalidParameterValue"},
		{"dimension without value", "App", datum(func(d *types.MetricDatum) {
			d.Dimensions = []types.Dimension{{Name: aws.String("K"), Value: aws.String("")}}
		}), &mp, "MissingParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(tc.ns), MetricData: tc.data})
			if !errors.As(err, tc.target) {
				t.Fatalf("err = %v (%T), want %T", err, err, tc.target)
			}
			var ae smithy.APIError
			if errors.As(err, &ae); ae.ErrorCode() != tc.code {
				t.Errorf("code = %s, want %s", ae.ErrorCode(), tc.code)
			}
		})
	}
	if st := svc.Stats(); st.Datapoints != 0 {
		t.Errorf("rejected requests stored %d datapoints", st.Datapoints)
	}
}

// recorder wraps a handler and remembers request headers per operation.
type recorder struct {
	h       http.Handler
	mu      sync.Mutex
	headers []http.Header
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	r.h.ServeHTTP(w, req)
}

func TestGzipPutMetricData(t *testing.T) {
	svc, _ := newService(t)
	rec := &recorder{h: svc}
	c := newClient(t, rec, func(o *cloudwatch.Options) { o.RequestMinCompressSizeBytes = 1 })
	data := make([]types.MetricDatum, 200)
	for i := range data {
		data[i] = types.MetricDatum{MetricName: aws.String("A"), Dimensions: dims("I", fmt.Sprint(i)), Value: aws.Float64(float64(i))}
	}
	if _, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: data}); err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	if got := rec.headers[0].Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip (the test must exercise compression)", got)
	}
	if st := svc.Stats(); st.Series != 200 || st.Datapoints != 200 {
		t.Errorf("stats = %+v, want 200 series and datapoints", st)
	}
}

func TestListMetrics(t *testing.T) {
	svc, _ := newService(t)
	c := newClient(t, svc)
	for i := range 1200 {
		svc.Put("App", "Load", map[string]string{"Host": fmt.Sprintf("h%04d", i), "Tier": []string{"web", "db"}[i%2]}, t0, 1)
	}
	svc.Put("App", "Other", nil, t0, 1)
	svc.Put("Else", "Load", nil, t0, 1)
	tests := []struct {
		name string
		in   cloudwatch.ListMetricsInput
		want int
	}{
		{"all", cloudwatch.ListMetricsInput{}, 1202},
		{"namespace", cloudwatch.ListMetricsInput{Namespace: aws.String("App")}, 1201},
		{"name", cloudwatch.ListMetricsInput{MetricName: aws.String("Load")}, 1201},
		{"dimension value", cloudwatch.ListMetricsInput{Namespace: aws.String("App"), Dimensions: []types.DimensionFilter{{Name: aws.String("Tier"), Value: aws.String("db")}}}, 600},
		{"dimension name only", cloudwatch.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Host")}}}, 1200},
		{"exact host", cloudwatch.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Host"), Value: aws.String("h0007")}}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := cloudwatch.NewListMetricsPaginator(c, &tc.in)
			seen := map[string]bool{}
			for p.HasMorePages() {
				out, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Metrics) > 500 {
					t.Errorf("page of %d metrics, more than 500", len(out.Metrics))
				}
				for _, m := range out.Metrics {
					key := *m.Namespace + "/" + *m.MetricName
					for _, d := range m.Dimensions {
						key += "/" + *d.Name + "=" + *d.Value
					}
					seen[key] = true
				}
			}
			if len(seen) != tc.want {
				t.Errorf("metrics = %d, want %d", len(seen), tc.want)
			}
		})
	}
	_, err := c.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{NextToken: aws.String("garbage")})
	var bad *types.InvalidNextToken
	if !errors.As(err, &bad) {
		t.Errorf("bad token: err = %v, want *types.InvalidNextToken", err)
	}
}

func TestRetention(t *testing.T) {
	svc, clk := newService(t)
	svc.Put("App", "Old", nil, t0, 1)
	svc.Put("App", "Young", nil, t0.Add(10*24*time.Hour), 1)
	clk.Advance(Retention + 2*time.Hour)
	svc.Put("App", "Now", nil, clk.Now(), 1) // writes sweep expired series
	if st := svc.Stats(); st.Series != 2 || st.Datapoints != 2 {
		t.Errorf("stats = %+v, want the expired series dropped", st)
	}
}

func TestWriteErrorReachesTheSDK(t *testing.T) {
	tests := []struct {
		name, code string
		status     int
		wantCode   string
		retryable  bool
	}{
		{"throttling", "Throttling", 400, "Throttling", true},
		{"throttling by shape name", "ThrottlingException", 400, "Throttling", true},
		{"modelled error", "InvalidParameterValue", 400, "InvalidParameterValue", false},
		{"internal fault", "InternalServiceError", 500, "InternalServiceError", true},
		{"unmodelled code", "ServiceUnavailable", 503, "ServiceUnavailable", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			c := newClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				WriteError(w, tc.status, tc.code, "injected")
			}))
			_, err := c.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{})
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an API error", err)
			}
			if ae.ErrorCode() != tc.wantCode || ae.ErrorMessage() != "injected" {
				t.Errorf("code, message = %s, %q; want %s, injected", ae.ErrorCode(), ae.ErrorMessage(), tc.wantCode)
			}
			if wantCalls := map[bool]int{true: 2, false: 1}[tc.retryable]; calls != wantCalls {
				t.Errorf("attempts = %d, want %d", calls, wantCalls)
			}
		})
	}
}

// post sends a raw request to the emulator.
func post(t *testing.T, h http.Handler, op string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, PathPrefix+op, bytes.NewReader(body))
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	req.Header.Set("Content-Type", "application/cbor")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestRawWire(t *testing.T) {
	svc, _ := newService(t)
	put := cbor.Encode(cbor.Map{"Namespace": cbor.String("App"), "MetricData": cbor.List{cbor.Map{"MetricName": cbor.String("A"), "Value": cbor.Float64(1)}}})
	tests := []struct {
		name     string
		op       string
		body     []byte
		hdr      map[string]string
		status   int
		wantType string
	}{
		{"put answers an empty body", "PutMetricData", put, nil, 200, ""},
		{"truncated CBOR", "GetMetricData", put[:len(put)-3], nil, 400, "com.amazon.coral.service#SerializationException"},
		{"not a map", "ListMetrics", cbor.Encode(cbor.List{}), nil, 400, "com.amazon.coral.service#SerializationException"},
		{"wrong member type", "ListMetrics", cbor.Encode(cbor.Map{"Namespace": cbor.Uint(3)}), nil, 400, "com.amazon.coral.service#SerializationException"},
		{"bad gzip", "PutMetricData", []byte("not gzip"), map[string]string{"Content-Encoding": "gzip"}, 400, "com.amazon.coral.service#SerializationException"},
		{"missing protocol header", "ListMetrics", nil, map[string]string{"Smithy-Protocol": "rpc-v1"}, 400, "com.amazon.coral.service#SerializationException"},
		{"unknown operation", "DescribeAlarms", nil, nil, 404, "com.amazon.coral.service#UnknownOperationException"},
		{"missing namespace", "PutMetricData", cbor.Encode(cbor.Map{}), nil, 400, "com.amazonaws.cloudwatch#MissingRequiredParameterException"},
		{"empty body lists", "ListMetrics", nil, nil, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := post(t, svc, tc.op, tc.body, tc.hdr)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %x", w.Code, tc.status, w.Body.Bytes())
			}
			body, _ := io.ReadAll(w.Body)
			if tc.op == "PutMetricData" && tc.status == 200 {
				if len(body) != 0 {
					t.Errorf("PutMetricData body = %x, want empty", body)
				}
				return
			}
			v, err := cbor.Decode(body)
			if err != nil {
				t.Fatalf("body is not CBOR: %v", err)
			}
			m, _ := v.(cbor.Map)
			if tc.wantType == "" {
				return
			}
			if got, _ := m["__type"].(cbor.String); string(got) != tc.wantType {
				t.Errorf("__type = %q, want %q", got, tc.wantType)
			}
			if w.Header().Get("X-Amzn-Query-Error") == "" {
				t.Error("no X-Amzn-Query-Error header")
			}
		})
	}
}

func clockAt(t *testing.T) *clock.Fake {
	t.Helper()
	return clock.NewFake(t0)
}

func TestConcurrentUse(t *testing.T) {
	svc, clk := newService(t)
	c := newClient(t, svc)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 200 {
				svc.Put("App", "A", map[string]string{"W": fmt.Sprint(w)}, t0.Add(-time.Duration(i)*time.Second), 1)
			}
		}()
		go func() {
			defer wg.Done()
			for range 5 {
				_, err := c.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
					StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0),
					MetricDataQueries: []types.MetricDataQuery{statQuery("a", "A", "Sum", 60, "W", fmt.Sprint(w))},
				})
				if err != nil {
					t.Error(err)
				}
				_, _ = c.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{})
			}
		}()
	}
	wg.Wait()
	clk.Advance(time.Minute)
	if st := svc.Stats(); st.Datapoints != 800 || st.Calls["GetMetricData"] != 20 || st.Calls["ListMetrics"] != 20 {
		t.Errorf("stats = %+v", st)
	}
}
