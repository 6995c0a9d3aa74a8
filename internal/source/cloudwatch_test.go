package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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

	"github.com/headroom-dev/headroom/internal/clock"
	cwemu "github.com/headroom-dev/headroom/internal/emulator/cloudwatch"
)

// cwNow is 10:00:30: thirty seconds into a minute, so the minute 10:00 is
// still filling.
var cwNow = time.Date(2030, 3, 1, 10, 0, 30, 0, time.UTC)

func cwMetric(id, name string, dims ...string) Metric {
	m := Metric{ID: id, Namespace: "App", Name: name, Stat: "Average"}
	for i := 0; i+1 < len(dims); i += 2 {
		m.Dimensions = append(m.Dimensions, Dimension{Name: dims[i], Value: dims[i+1]})
	}
	return m
}

func TestRewriteExpression(t *testing.T) {
	ids := map[string]string{"m1": "q7_m0", "m10": "q7_m1", "abs": "q7_m2", "e": "q7_m3"}
	tests := []struct {
		name, expr, want, wantErr string
	}{
		{"arithmetic", "m1 / m10 * 100", "q7_m0 / q7_m1 * 100", ""},
		{"prefix id is not replaced inside a longer id", "m10+m1", "q7_m1+q7_m0", ""},
		{"exponent is a number, not the id e", "1e3 * e + 2.5E-2", "1e3 * q7_m3 + 2.5E-2", ""},
		{"function name equal to an id stays a function", "ABS(abs) + abs (m1)", "ABS(q7_m2) + abs (q7_m0)", ""},
		{"lists and nesting", "SUM([m1, m10]) / -(m1)", "SUM([q7_m0, q7_m1]) / -(q7_m0)", ""},
		{"strings are kept verbatim", `FILL(m1, 0) + LABEL('m1 "x"')`, `FILL(q7_m0, 0) + LABEL('m1 "x"')`, ""},
		{"unknown id", "m1 + m2", "", `"m2" is not a metric id`},
		{"METRICS sees other queries", "SUM(METRICS())", "", "METRICS cannot be used"},
		{"SEARCH", "SEARCH('{App} Load', 'Average', 60)", "", "SEARCH cannot be used"},
		{"metrics insights", "SELECT AVG(Load) FROM App", "", "metrics insights"},
		{"unterminated string", "m1 + 'abc", "", "unterminated string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rewriteExpression(tc.expr, ids)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBuildQueries(t *testing.T) {
	tests := []struct {
		name       string
		q          MetricQuery
		wantIDs    string // id:returnData, in order
		wantResult string
		wantExpr   string
		wantErr    string
	}{
		{
			name:    "single metric returns its data",
			q:       MetricQuery{Metrics: []Metric{cwMetric("", "Load")}, Period: time.Minute, Points: 3},
			wantIDs: "q4_m0:true", wantResult: "q4_m0",
		},
		{
			name: "expression alone returns data",
			q: MetricQuery{Metrics: []Metric{cwMetric("err", "Errors"), cwMetric("req", "Requests")},
				Expression: "100 * err / req", Period: 5 * time.Minute, Points: 1},
			wantIDs: "q4_m0:false q4_m1:false q4_e:true", wantResult: "q4_e", wantExpr: "100 * q4_m0 / q4_m1",
		},
		{"period not accepted by CloudWatch", MetricQuery{Metrics: []Metric{cwMetric("", "Load")}, Period: 90 * time.Second, Points: 1}, "", "", "", "period 1m30s"},
		{"fractional period", MetricQuery{Metrics: []Metric{cwMetric("", "Load")}, Period: 1500 * time.Millisecond, Points: 1}, "", "", "", "period"},
		{"no points", MetricQuery{Metrics: []Metric{cwMetric("", "Load")}, Period: time.Minute}, "", "", "", "points must be at least 1"},
		{"two metrics without expression", MetricQuery{Metrics: []Metric{cwMetric("a", "A"), cwMetric("b", "B")}, Period: time.Minute, Points: 1}, "", "", "", "exactly one"},
		{"missing stat", MetricQuery{Metrics: []Metric{{Namespace: "App", Name: "A"}}, Period: time.Minute, Points: 1}, "", "", "", "stat are required"},
		{"duplicate ids", MetricQuery{Metrics: []Metric{cwMetric("a", "A"), cwMetric("a", "B")}, Expression: "a", Period: time.Minute, Points: 1}, "", "", "", "used twice"},
		{"too many metrics", MetricQuery{Metrics: make([]Metric, 500), Expression: "1", Period: time.Minute, Points: 1}, "", "", "", "do not fit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries, result, err := buildQueries(4, tc.q)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			var expr string
			for _, e := range entries {
				ids = append(ids, fmt.Sprintf("%s:%t", *e.Id, *e.ReturnData))
				if e.Expression != nil {
					expr = *e.Expression
				} else if got := *e.MetricStat.Period; got != int32(tc.q.Period/time.Second) {
					t.Errorf("%s period = %d", *e.Id, got)
				}
			}
			if strings.Join(ids, " ") != tc.wantIDs || result != tc.wantResult || expr != tc.wantExpr {
				t.Errorf("ids %q result %q expr %q; want %q %q %q", strings.Join(ids, " "), result, expr, tc.wantIDs, tc.wantResult, tc.wantExpr)
			}
		})
	}
}

func cwSingles(n int, period time.Duration, points int) []MetricQuery {
	qs := make([]MetricQuery, n)
	for i := range qs {
		qs[i] = MetricQuery{Key: fmt.Sprintf("k%d", i), Metrics: []Metric{cwMetric("", "Load", "Host", fmt.Sprint(i))}, Period: period, Points: points}
	}
	return qs
}

func TestPlanCalls(t *testing.T) {
	threes := make([]MetricQuery, 400)
	for i := range threes {
		threes[i] = MetricQuery{Key: fmt.Sprintf("t%d", i), Metrics: []Metric{cwMetric("a", "A"), cwMetric("b", "B")}, Expression: "a + b", Period: time.Minute, Points: 2}
	}
	mixed := append(cwSingles(600, time.Minute, 2), cwSingles(10, 5*time.Minute, 3)...)
	for i := 600; i < len(mixed); i++ {
		mixed[i].Key = fmt.Sprintf("five%d", i)
	}
	tests := []struct {
		name      string
		queries   []MetricQuery
		wantCalls []int // entries per call
		wantStart []time.Time
		wantEnd   []time.Time
	}{
		{"4000 single metrics, one period: the lower bound of 8 calls", cwSingles(4000, time.Minute, 1),
			[]int{500, 500, 500, 500, 500, 500, 500, 500}, nil, nil},
		{"expressions never split: 166 queries of 3 entries a call", threes, []int{498, 498, 204},
			[]time.Time{cwNow.Add(-30*time.Second - 7*time.Minute)}, []time.Time{cwNow.Add(-30 * time.Second)}},
		{"periods get their own windows", mixed, []int{500, 100, 10},
			[]time.Time{cwNow.Add(-30*time.Second - 7*time.Minute), cwNow.Add(-30*time.Second - 7*time.Minute), cwNow.Add(-30*time.Second - 40*time.Minute)},
			[]time.Time{cwNow.Add(-30 * time.Second), cwNow.Add(-30 * time.Second), cwNow.Add(-30 * time.Second)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls, failed := planCalls(cwNow, tc.queries)
			if len(failed) != 0 {
				t.Fatalf("failed: %v", failed)
			}
			var sizes []int
			seen := map[string]bool{}
			for i, c := range calls {
				sizes = append(sizes, len(c.input.MetricDataQueries))
				if c.input.ScanBy != types.ScanByTimestampDescending {
					t.Errorf("call %d ScanBy = %s", i, c.input.ScanBy)
				}
				if i < len(tc.wantStart) && (!c.input.StartTime.Equal(tc.wantStart[i]) || !c.input.EndTime.Equal(tc.wantEnd[i])) {
					t.Errorf("call %d window [%v, %v), want [%v, %v)", i, c.input.StartTime, c.input.EndTime, tc.wantStart[i], tc.wantEnd[i])
				}
				for _, q := range c.input.MetricDataQueries {
					if seen[*q.Id] {
						t.Errorf("id %s appears twice", *q.Id)
					}
					seen[*q.Id] = true
				}
				inCall := map[string]bool{}
				for _, q := range c.input.MetricDataQueries {
					inCall[*q.Id] = true
				}
				for _, m := range c.members {
					for _, e := range m.entries {
						if !inCall[*e.Id] {
							t.Errorf("entry %s of %s is not in its member's call", *e.Id, m.key)
						}
					}
				}
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tc.wantCalls) {
				t.Errorf("entries per call = %v, want %v", sizes, tc.wantCalls)
			}
		})
	}
}

func TestAlignDown(t *testing.T) {
	tests := []struct {
		period time.Duration
		want   time.Time
	}{
		{time.Minute, time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC)},
		{10 * time.Second, time.Date(2030, 3, 1, 10, 0, 30, 0, time.UTC)},
		{time.Hour, time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC)},
		// 7 minutes: the epoch-aligned boundary, which Truncate would miss.
		{7 * time.Minute, time.Unix(cwNow.Unix()/420*420, 0).UTC()},
	}
	for _, tc := range tests {
		t.Run(tc.period.String(), func(t *testing.T) {
			if got := alignDown(cwNow, tc.period); !got.Equal(tc.want) {
				t.Errorf("alignDown = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseResults(t *testing.T) {
	end := time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return end.Add(time.Duration(min) * time.Minute) }
	members := []member{
		{key: "a", resultID: "q0_m0", period: time.Minute, points: 2, end: end},
		{key: "b", resultID: "q1_e", period: time.Minute, points: 5, end: end},
		{key: "c", resultID: "q2_m0", period: time.Minute, points: 2, end: end},
		{key: "d", resultID: "q3_m0", period: time.Minute, points: 2, end: end},
		{key: "e", resultID: "q4_m0", period: time.Minute, points: 2, end: end},
	}
	results := []types.MetricDataResult{
		// Page 1.
		{Id: aws.String("q0_m0"), StatusCode: types.StatusCodePartialData, Timestamps: []time.Time{at(0), at(-1)}, Values: []float64{99, 1}},
		{Id: aws.String("q1_e"), StatusCode: types.StatusCodeComplete},
		{Id: aws.String("q2_m0"), StatusCode: types.StatusCodeInternalError, Messages: []types.MessageData{{Code: aws.String("InternalError"), Value: aws.String("boom")}}},
		{Id: aws.String("q3_m0"), StatusCode: types.StatusCodeComplete, Timestamps: []time.Time{at(-1)}, Values: []float64{1, 2}},
		{Id: aws.String("q1_m0"), StatusCode: types.StatusCodeComplete, Timestamps: []time.Time{at(-1)}, Values: []float64{7}},
		// Page 2.
		{Id: aws.String("q0_m0"), StatusCode: types.StatusCodeComplete, Timestamps: []time.Time{at(-3), at(-2)}, Values: []float64{3, 2}},
	}
	got := parseResults(members, results, cwNow)
	tests := []struct {
		key, wantPoints, wantErr string
	}{
		{"a", "09:59=1 09:58=2", ""}, // the partial 10:00 bucket dropped, pages merged, newest first, cut to 2
		{"b", "", ""},                // no data is not an error
		{"c", "", "status InternalError: InternalError: boom"},
		{"d", "", "1 timestamps for 2 values"},
		{"e", "", "no result"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			s := got[tc.key]
			if !s.ReadAt.Equal(cwNow) {
				t.Errorf("ReadAt = %v", s.ReadAt)
			}
			if tc.wantErr != "" {
				if s.Err == nil || !strings.Contains(s.Err.Error(), tc.wantErr) || !strings.Contains(s.Err.Error(), `"`+tc.key+`"`) {
					t.Fatalf("err = %v, want %q naming the key", s.Err, tc.wantErr)
				}
				return
			}
			if s.Err != nil {
				t.Fatal(s.Err)
			}
			if p := cwFormat(s.Points); p != tc.wantPoints {
				t.Errorf("points = %q, want %q", p, tc.wantPoints)
			}
		})
	}
}

func cwFormat(ps []Point) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("%s=%g", p.At.UTC().Format("15:04"), p.Value))
	}
	return strings.Join(parts, " ")
}

// cwCounter counts GetMetricData requests and can fail chosen ones.
type cwCounter struct {
	h     http.Handler
	mu    sync.Mutex
	calls int
	// fail, when set, answers a request whose body contains it with an
	// InvalidParameterValue error.
	fail string
}

func (c *cwCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	if strings.HasSuffix(r.URL.Path, "/GetMetricData") {
		c.calls++
	}
	fail := c.fail != "" && bytes.Contains(body, []byte(c.fail))
	c.mu.Unlock()
	if fail {
		cwemu.WriteError(w, http.StatusBadRequest, "InvalidParameterValue", "injected")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c.h.ServeHTTP(w, r)
}

func (c *cwCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

type cwFixture struct {
	emu     *cwemu.Service
	clk     *clock.Fake
	counter *cwCounter
	reader  *CloudWatch
}

func newCWFixture(tb testing.TB) *cwFixture {
	tb.Helper()
	clk := clock.NewFake(cwNow)
	emu := cwemu.New(clk)
	counter := &cwCounter{h: emu}
	srv := httptest.NewServer(counter)
	tb.Cleanup(srv.Close)
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
	client := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return &cwFixture{emu: emu, clk: clk, counter: counter, reader: NewCloudWatch(client)}
}

// putMinutes publishes value(i, minute) for host i at every 10 s of the
// last n minutes before now, including the minute still filling.
func (f *cwFixture) putMinutes(name string, hosts, n int, value func(host int, minute time.Time) float64) {
	now := f.clk.Now()
	start := now.Truncate(time.Minute).Add(-time.Duration(n) * time.Minute)
	for i := range hosts {
		for at := start; !at.After(now); at = at.Add(10 * time.Second) {
			f.emu.Put("App", name, map[string]string{"Host": fmt.Sprint(i)}, at, value(i, at.Truncate(time.Minute)))
		}
	}
}

func TestReadWire4000QueriesIn8Calls(t *testing.T) {
	f := newCWFixture(t)
	f.putMinutes("Load", 4000, 3, func(host int, minute time.Time) float64 { return float64(host*100 + minute.Minute()) })
	got := f.reader.Read(context.Background(), cwNow, cwSingles(4000, time.Minute, 2))
	if n := f.counter.count(); n != 8 {
		t.Errorf("GetMetricData calls = %d, want 8", n)
	}
	if len(got) != 4000 {
		t.Fatalf("series = %d, want 4000", len(got))
	}
	for _, i := range []int{0, 499, 500, 2718, 3999} {
		s := got[fmt.Sprintf("k%d", i)]
		// 10:00 is still filling: the newest complete minutes are 09:59 and 09:58.
		want := fmt.Sprintf("09:59=%d 09:58=%d", i*100+59, i*100+58)
		if s.Err != nil || cwFormat(s.Points) != want {
			t.Errorf("k%d = %q (err %v), want %q", i, cwFormat(s.Points), s.Err, want)
		}
	}
}

func TestReadWireExpressionAndMissing(t *testing.T) {
	f := newCWFixture(t)
	f.putMinutes("Errors", 1, 10, func(_ int, m time.Time) float64 { return float64(m.Minute() % 7) })
	f.putMinutes("Requests", 1, 10, func(int, time.Time) float64 { return 50 })
	queries := []MetricQuery{
		{Key: "error_rate", Metrics: []Metric{
			{ID: "err", Namespace: "App", Name: "Errors", Stat: "Sum", Dimensions: []Dimension{{"Host", "0"}}},
			{ID: "req", Namespace: "App", Name: "Requests", Stat: "Sum", Dimensions: []Dimension{{"Host", "0"}}},
		}, Expression: "100 * err / req", Period: time.Minute, Points: 3},
		{Key: "absent", Metrics: []Metric{cwMetric("", "NoSuchMetric")}, Period: time.Minute, Points: 3},
		{Key: "five_minutes", Metrics: []Metric{{Namespace: "App", Name: "Requests", Stat: "SampleCount", Dimensions: []Dimension{{"Host", "0"}}}}, Period: 5 * time.Minute, Points: 1},
	}
	got := f.reader.Read(context.Background(), cwNow, queries)
	// Each minute has 6 datapoints: Sum(Errors) = 6*(minute%7), Sum(Requests) = 300.
	if s := got["error_rate"]; s.Err != nil || cwFormat(s.Points) != "09:59=6 09:58=4 09:57=2" {
		t.Errorf("error_rate = %q (err %v)", cwFormat(s.Points), s.Err)
	}
	if s := got["absent"]; s.Err != nil || len(s.Points) != 0 {
		t.Errorf("absent = %+v, want no points and no error", s)
	}
	// 09:55-10:00 is complete; 10:00-10:05 is filling.
	if s := got["five_minutes"]; s.Err != nil || cwFormat(s.Points) != "09:55=30" {
		t.Errorf("five_minutes = %q (err %v)", cwFormat(s.Points), s.Err)
	}
	if n := f.counter.count(); n != 2 {
		t.Errorf("calls = %d, want 2 (one per period)", n)
	}
}

func TestReadWirePagination(t *testing.T) {
	f := newCWFixture(t)
	// 500 metrics x (205 + 5 lag) one-minute periods = 105,000 datapoints:
	// more than GetMetricData's default page of 100,800.
	const points = 205
	for i := range 500 {
		for m := 1; m <= points+LagPeriods; m++ {
			at := cwNow.Truncate(time.Minute).Add(-time.Duration(m) * time.Minute)
			f.emu.Put("App", "Load", map[string]string{"Host": fmt.Sprint(i)}, at, float64(m))
		}
	}
	got := f.reader.Read(context.Background(), cwNow, cwSingles(500, time.Minute, points))
	if n := f.counter.count(); n != 2 {
		t.Errorf("GetMetricData calls = %d, want 2 pages of one batched call", n)
	}
	for _, k := range []string{"k0", "k250", "k499"} {
		s := got[k]
		if s.Err != nil || len(s.Points) != points || s.Points[0].Value != 1 || s.Points[points-1].Value != points {
			t.Errorf("%s: %d points (err %v), first %v", k, len(s.Points), s.Err, s.Points[:min(1, len(s.Points))])
		}
	}
}

func TestReadWireErrorIsolation(t *testing.T) {
	f := newCWFixture(t)
	f.putMinutes("Load", 1000, 2, func(int, time.Time) float64 { return 1 })
	f.counter.fail = "q0_m0" // the first call of 500 queries fails
	f.emu.SetMetricFault("App", "Load", map[string]string{"Host": "700"}, true)
	got := f.reader.Read(context.Background(), cwNow, cwSingles(1000, time.Minute, 1))
	var failedCall, failedQuery, ok int
	for i := range 1000 {
		s := got[fmt.Sprintf("k%d", i)]
		switch {
		case s.Err != nil && strings.Contains(s.Err.Error(), "InvalidParameterValue"):
			failedCall++
		case s.Err != nil && strings.Contains(s.Err.Error(), "InternalError"):
			failedQuery++
			if i != 700 {
				t.Errorf("k%d failed as a query: %v", i, s.Err)
			}
		case s.Err == nil && len(s.Points) == 1:
			ok++
		default:
			t.Errorf("k%d: %+v", i, s)
		}
	}
	if failedCall != 500 || failedQuery != 1 || ok != 499 {
		t.Errorf("failed with the call %d, failed alone %d, ok %d; want 500, 1, 499", failedCall, failedQuery, ok)
	}
	var apiErr interface{ ErrorCode() string }
	for i := range 1000 {
		if s := got[fmt.Sprintf("k%d", i)]; s.Err != nil && strings.Contains(s.Err.Error(), "InvalidParameterValue") {
			if !errors.As(s.Err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterValue" {
				t.Errorf("k%d: the call's error is not wrapped with %%w: %v", i, s.Err)
			}
			break
		}
	}
}

func TestReadWirePublicationDelay(t *testing.T) {
	f := newCWFixture(t)
	f.emu.SetVisibleDelay(150 * time.Second)
	f.putMinutes("Load", 1, 10, func(_ int, m time.Time) float64 { return float64(m.Minute()) })
	got := f.reader.Read(context.Background(), cwNow, cwSingles(1, time.Minute, 3))
	// At 10:00:30 datapoints up to 09:58:00 are visible: 09:59 is empty and
	// 09:58 holds one of its six datapoints (an average still), and the lag
	// window still yields three points.
	if s := got["k0"]; s.Err != nil || cwFormat(s.Points) != "09:58=58 09:57=57 09:56=56" {
		t.Errorf("k0 = %q (err %v)", cwFormat(s.Points), s.Err)
	}
}

func TestReadInvalidQueryDoesNotBreakTheBatch(t *testing.T) {
	f := newCWFixture(t)
	f.putMinutes("Load", 2, 2, func(int, time.Time) float64 { return 1 })
	queries := cwSingles(2, time.Minute, 1)
	queries = append(queries, MetricQuery{Key: "bad", Metrics: []Metric{cwMetric("a", "Load")}, Expression: "a + b", Period: time.Minute, Points: 1})
	got := f.reader.Read(context.Background(), cwNow, queries)
	if got["bad"].Err == nil || got["k0"].Err != nil || got["k1"].Err != nil || len(got["k1"].Points) != 1 {
		t.Errorf("got %+v", got)
	}
	if n := f.counter.count(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

func BenchmarkRead(b *testing.B) {
	f := newCWFixture(b)
	f.putMinutes("Load", 4000, 3, func(host int, _ time.Time) float64 { return float64(host) })
	queries := cwSingles(4000, time.Minute, 2)
	b.ResetTimer()
	for b.Loop() {
		got := f.reader.Read(context.Background(), cwNow, queries)
		if len(got) != 4000 || got["k1"].Err != nil {
			b.Fatalf("read: %d series, k1 %+v", len(got), got["k1"])
		}
	}
}
