package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	asgsdk "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/headroom-dev/headroom/internal/emulator"
)

func TestThrottleIsThrottlingToTheStandardRetryer(t *testing.T) {
	tests := []struct {
		name     string
		call     call
		wantCode string
	}{
		{"auto scaling", describeGroups, "Throttling"},
		{"cloudwatch", listMetrics, "Throttling"},
		{"sqs", listQueues, "RequestThrottled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, c := startServer(t)
			s.AddFault(emulator.Throttle(tc.call.service, tc.call.operation, 1, time.Time{}, time.Time{}))
			err := tc.call.do(t.Context(), c)
			if err == nil {
				t.Fatal("call succeeded, want throttling")
			}
			if got := apiCode(t, err); got != tc.wantCode {
				t.Errorf("ErrorCode() = %q, want %q", got, tc.wantCode)
			}
			if _, ok := retry.DefaultThrottleErrorCodes[tc.wantCode]; !ok {
				t.Errorf("%s is not in retry.DefaultThrottleErrorCodes", tc.wantCode)
			}
			if got := (retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}).IsErrorThrottle(err); got != aws.TrueTernary {
				t.Errorf("the standard retryer does not see %v as throttling", err)
			}
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Errorf("error %v: want HTTP 400", err)
			}
			calls := s.Calls()
			if len(calls) != 1 || calls[0].Fault != tc.wantCode {
				t.Errorf("Calls() = %+v, want one call with Fault %q", calls, tc.wantCode)
			}
		})
	}
}

// hits makes n calls and returns which failed.
func hits(t *testing.T, c clients, n int) []bool {
	t.Helper()
	out := make([]bool, n)
	for i := range out {
		out[i] = describeGroups.do(t.Context(), c) != nil
	}
	return out
}

func TestFaultRate(t *testing.T) {
	const n = 400
	tests := []struct {
		name   string
		rate   float64
		lo, hi int
	}{
		{"zero means every call", 0, n, n},
		{"one means every call", 1, n, n},
		{"a tenth", 0.1, 20, 60},
		{"a third", 0.3, 85, 155},
		{"nine tenths", 0.9, 340, 390},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, c := startServer(t)
			s.SetFaultSeed(7)
			s.AddFault(emulator.Throttle(emulator.ServiceAutoScaling, "", tc.rate, time.Time{}, time.Time{}))
			got := 0
			for _, h := range hits(t, c, n) {
				if h {
					got++
				}
			}
			if got < tc.lo || got > tc.hi {
				t.Errorf("rate %v hit %d of %d calls, want %d..%d", tc.rate, got, n, tc.lo, tc.hi)
			}
		})
	}
}

func TestFaultRateRepeatsWithTheSeed(t *testing.T) {
	run := func(seed int64) []bool {
		s, _, c := startServer(t)
		s.SetFaultSeed(seed)
		s.AddFault(emulator.Throttle(emulator.ServiceAutoScaling, "DescribeAutoScalingGroups", 0.5, time.Time{}, time.Time{}))
		return hits(t, c, 64)
	}
	a, b, other := run(42), run(42), run(43)
	same := func(x, y []bool) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Errorf("seed 42 gave %v then %v, want the same draws", a, b)
	}
	if same(a, other) {
		t.Errorf("seeds 42 and 43 gave the same 64 draws %v", a)
	}
}

func TestFaultHangHoldsUntilTheClientGivesUp(t *testing.T) {
	s, _, c := startServer(t)
	s.AddFault(emulator.Fault{Service: emulator.ServiceSQS, Operation: "ListQueues", Hang: true})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := listQueues.do(ctx, c)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	// The call is recorded once the server sees the client leave.
	deadline := time.Now().Add(5 * time.Second)
	for {
		calls := s.Calls()
		if len(calls) == 1 {
			if calls[0].Fault != emulator.FaultHang || calls[0].Status != 0 {
				t.Fatalf("Calls()[0] = %+v, want Fault %q and status 0", calls[0], emulator.FaultHang)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hung call was never recorded: %+v", calls)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := createQueue.do(t.Context(), c); err != nil {
		t.Fatalf("another operation hung too: %v", err)
	}
}

func TestBlackoutFailsEveryOperationOfTheService(t *testing.T) {
	s, clk, c := startServer(t)
	s.AddFault(emulator.Blackout(emulator.ServiceCloudWatch, start.Add(time.Minute), start.Add(2*time.Minute)))
	steps := []struct {
		name    string
		advance time.Duration
		call    call
		wantErr bool
	}{
		{"before", 0, listMetrics, false},
		{"inside, ListMetrics", time.Minute, listMetrics, true},
		{"inside, PutMetricData", 0, putMetricData, true},
		{"inside, another service", 0, listQueues, false},
		{"after", time.Minute, listMetrics, false},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		err := st.call.do(t.Context(), c)
		if st.wantErr {
			if err == nil {
				t.Errorf("%s: call succeeded during the blackout", st.name)
				continue
			}
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable {
				t.Errorf("%s: error %v, want HTTP 503", st.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", st.name, err)
		}
	}
}

func TestWithholdMetrics(t *testing.T) {
	s, clk, c := startServer(t)
	s.AddFault(emulator.WithholdMetrics("Headroom/Test", start.Add(time.Minute), start.Add(2*time.Minute)))
	dims := map[string]string{"AutoScalingGroupName": "web"}
	put := func(ns string) {
		t.Helper()
		if _, err := c.cw.PutMetricData(t.Context(), &cwsdk.PutMetricDataInput{
			Namespace: aws.String(ns),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("CPUUtilization"), Value: aws.Float64(1), Timestamp: aws.Time(clk.Now()),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("AutoScalingGroupName"), Value: aws.String("web")}}}},
		}); err != nil {
			t.Fatalf("PutMetricData %s: %v", ns, err)
		}
	}
	count := func(ns string) int {
		t.Helper()
		out, err := c.cw.GetMetricData(t.Context(), &cwsdk.GetMetricDataInput{
			StartTime: aws.Time(start.Add(-time.Hour)), EndTime: aws.Time(start.Add(time.Hour)),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(ns), MetricName: aws.String("CPUUtilization"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("AutoScalingGroupName"), Value: aws.String("web")}}},
				Period: aws.Int32(60), Stat: aws.String("SampleCount")}}},
		})
		if err != nil {
			t.Fatalf("GetMetricData: %v", err)
		}
		n := 0
		for _, v := range out.MetricDataResults[0].Values {
			n += int(v)
		}
		return n
	}

	put("Headroom/Test") // before the window: kept
	if !s.PutMetric("Headroom/Test", "CPUUtilization", dims, clk.Now(), 1) {
		t.Error("PutMetric before the window was withheld")
	}
	clk.Advance(time.Minute)
	put("Headroom/Test") // withheld
	put("Headroom/App")  // another namespace: kept
	if s.PutMetric("Headroom/Test", "CPUUtilization", dims, clk.Now(), 1) {
		t.Error("PutMetric inside the window was stored")
	}
	if !s.PutMetric("AWS/EC2", "CPUUtilization", dims, clk.Now(), 1) {
		t.Error("PutMetric of another namespace inside the window was withheld")
	}
	clk.Advance(time.Minute)
	put("Headroom/Test") // after: kept

	if got := count("Headroom/Test"); got != 3 {
		t.Errorf("Headroom/Test has %d datapoints, want 3 (the one inside the window withheld)", got)
	}
	if got := count("Headroom/App"); got != 1 {
		t.Errorf("Headroom/App has %d datapoints, want 1", got)
	}
	withheld := 0
	for _, call := range s.Calls() {
		if call.Fault == emulator.FaultWithheld {
			withheld++
			if call.Status != http.StatusOK || call.Params["Namespace"] != "Headroom/Test" {
				t.Errorf("withheld call %+v, want status 200 and Namespace Headroom/Test", call)
			}
		}
	}
	if withheld != 1 {
		t.Errorf("%d calls recorded as withheld, want 1", withheld)
	}
}

func TestCallRecordKeepsWrites(t *testing.T) {
	s, _, c := startServer(t)
	ctx := t.Context()
	if _, err := c.asg.CreateAutoScalingGroup(ctx, &asgsdk.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(1), MaxSize: aws.Int32(9), DesiredCapacity: aws.Int32(2),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.asg.SetDesiredCapacity(ctx, &asgsdk.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(5), HonorCooldown: aws.Bool(false),
	}); err != nil {
		t.Fatal(err)
	}
	remove := s.AddFault(emulator.Throttle(emulator.ServiceAutoScaling, "SetDesiredCapacity", 1, time.Time{}, time.Time{}))
	if _, err := c.asg.SetDesiredCapacity(ctx, &asgsdk.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(7),
	}); err == nil {
		t.Fatal("throttled SetDesiredCapacity succeeded")
	}
	remove()
	if _, err := c.asg.PutScheduledUpdateGroupAction(ctx, &asgsdk.PutScheduledUpdateGroupActionInput{
		AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String("floor"), MinSize: aws.Int32(3),
		StartTime: aws.Time(start.Add(time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	if err := describeGroups.do(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := createQueue.do(ctx, c); err != nil {
		t.Fatal(err)
	}

	calls := s.Calls()
	want := []struct {
		op     string
		status int
		fault  string
		params map[string]string
	}{
		{"CreateAutoScalingGroup", 200, "", map[string]string{"AutoScalingGroupName": "web", "MinSize": "1", "MaxSize": "9", "DesiredCapacity": "2"}},
		{"SetDesiredCapacity", 200, "", map[string]string{"AutoScalingGroupName": "web", "DesiredCapacity": "5", "HonorCooldown": "false"}},
		{"SetDesiredCapacity", 400, "Throttling", map[string]string{"AutoScalingGroupName": "web", "DesiredCapacity": "7"}},
		{"PutScheduledUpdateGroupAction", 200, "", map[string]string{"ScheduledActionName": "floor", "MinSize": "3"}},
		{"DescribeAutoScalingGroups", 200, "", nil},
		{"CreateQueue", 200, "", map[string]string{"QueueName": "work"}},
	}
	if len(calls) != len(want) {
		t.Fatalf("Calls() has %d calls, want %d: %+v", len(calls), len(want), calls)
	}
	for i, w := range want {
		t.Run(w.op, func(t *testing.T) {
			got := calls[i]
			if got.Operation != w.op || got.Status != w.status || got.Fault != w.fault {
				t.Errorf("call %d = %s status %d fault %q, want %s status %d fault %q", i, got.Operation, got.Status, got.Fault, w.op, w.status, w.fault)
			}
			if got.Write() != (w.params != nil) {
				t.Errorf("Write() = %v for %s", got.Write(), got.Operation)
			}
			if w.params == nil && got.Params != nil {
				t.Errorf("a read kept params %v", got.Params)
			}
			for k, v := range w.params {
				if got.Params[k] != v {
					t.Errorf("Params[%q] = %q, want %q (params %v)", k, got.Params[k], v, got.Params)
				}
			}
		})
	}
}

// TestSettleRecordsACallTheClientGaveUpOn: a hung call is recorded only
// once the server sees the client leave, which may be after the client has
// moved on; Settle waits for it, and CallsSince selects calls by arrival,
// so a hung call made before a mark is never counted after it.
func TestSettleRecordsACallTheClientGaveUpOn(t *testing.T) {
	s, _, c := startServer(t)
	s.AddFault(emulator.Fault{Service: emulator.ServiceSQS, Operation: "ListQueues", Hang: true})
	first := s.Mark()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := listQueues.do(ctx, c); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	second := s.Mark()
	if err := createQueue.do(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if !s.Settle(5 * time.Second) {
		t.Fatal("Settle: requests still open after 5s")
	}
	all := s.CallsSince(first)
	if len(all) != 2 || all[0].Operation != "ListQueues" || all[0].Fault != emulator.FaultHang || all[1].Operation != "CreateQueue" {
		t.Fatalf("CallsSince(first) = %+v, want the hung ListQueues then CreateQueue", all)
	}
	if all[0].Seq != first || all[1].Seq != second {
		t.Errorf("Seq %d, %d, want %d, %d (arrival order)", all[0].Seq, all[1].Seq, first, second)
	}
	if later := s.CallsSince(second); len(later) != 1 || later[0].Operation != "CreateQueue" {
		t.Errorf("CallsSince(second) = %+v, want only CreateQueue", later)
	}
}
