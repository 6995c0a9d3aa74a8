package emulator_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	asgsdk "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	sqssdk "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator"
)

var start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// appID is the application id the test clients put in their user agent.
const appID = "headroom-emulator-test"

// clients are the three SDK clients, built from the emulator's AWSConfig.
type clients struct {
	asg *asgsdk.Client
	cw  *cwsdk.Client
	sqs *sqssdk.Client
}

func newClients(t *testing.T, s *emulator.Server) clients {
	t.Helper()
	cfg := s.AWSConfig()
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != s.URL() {
		t.Fatalf("AWSConfig BaseEndpoint = %v, want %q", cfg.BaseEndpoint, s.URL())
	}
	return clients{
		asg: asgsdk.NewFromConfig(cfg, func(o *asgsdk.Options) { o.AppID = appID }),
		cw:  cwsdk.NewFromConfig(cfg, func(o *cwsdk.Options) { o.AppID = appID }),
		sqs: sqssdk.NewFromConfig(cfg, func(o *sqssdk.Options) { o.AppID = appID }),
	}
}

func startServer(t *testing.T) (*emulator.Server, *clock.Fake, clients) {
	t.Helper()
	clk := clock.NewFake(start)
	s := emulator.StartTest(t, clk)
	return s, clk, newClients(t, s)
}

// call is one SDK call the tests make per service; each succeeds against an
// empty emulator.
type call struct {
	service   string
	operation string
	do        func(context.Context, clients) error
}

var (
	describeGroups = call{emulator.ServiceAutoScaling, "DescribeAutoScalingGroups", func(ctx context.Context, c clients) error {
		_, err := c.asg.DescribeAutoScalingGroups(ctx, &asgsdk.DescribeAutoScalingGroupsInput{})
		return err
	}}
	listMetrics = call{emulator.ServiceCloudWatch, "ListMetrics", func(ctx context.Context, c clients) error {
		_, err := c.cw.ListMetrics(ctx, &cwsdk.ListMetricsInput{Namespace: aws.String("Headroom/Test")})
		return err
	}}
	putMetricData = call{emulator.ServiceCloudWatch, "PutMetricData", func(ctx context.Context, c clients) error {
		_, err := c.cw.PutMetricData(ctx, &cwsdk.PutMetricDataInput{
			Namespace:  aws.String("Headroom/Test"),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("Backlog"), Value: aws.Float64(3), Timestamp: aws.Time(start)}},
		})
		return err
	}}
	listQueues = call{emulator.ServiceSQS, "ListQueues", func(ctx context.Context, c clients) error {
		_, err := c.sqs.ListQueues(ctx, &sqssdk.ListQueuesInput{})
		return err
	}}
	createQueue = call{emulator.ServiceSQS, "CreateQueue", func(ctx context.Context, c clients) error {
		_, err := c.sqs.CreateQueue(ctx, &sqssdk.CreateQueueInput{QueueName: aws.String("work")})
		return err
	}}
)

func TestRoutesEachService(t *testing.T) {
	for _, tc := range []call{describeGroups, listMetrics, putMetricData, listQueues, createQueue} {
		t.Run(tc.service+"/"+tc.operation, func(t *testing.T) {
			s, _, c := startServer(t)
			if err := tc.do(t.Context(), c); err != nil {
				t.Fatalf("%s %s: %v", tc.service, tc.operation, err)
			}
			if got := s.Count(tc.service, tc.operation); got != 1 {
				t.Errorf("Count(%q, %q) = %d, want 1", tc.service, tc.operation, got)
			}
			for _, other := range []string{emulator.ServiceAutoScaling, emulator.ServiceCloudWatch, emulator.ServiceSQS} {
				if other == tc.service {
					continue
				}
				if got := s.Count(other, ""); got != 0 {
					t.Errorf("Count(%q, \"\") = %d after a %s call, want 0", other, got, tc.service)
				}
			}
			calls := s.Calls()
			if len(calls) != 1 {
				t.Fatalf("Calls() has %d calls, want 1: %+v", len(calls), calls)
			}
			got := calls[0]
			if got.Service != tc.service || got.Operation != tc.operation || got.Status != http.StatusOK || !got.At.Equal(start) {
				t.Errorf("Calls()[0] = %+v, want %s %s status 200 at %v", got, tc.service, tc.operation, start)
			}
		})
	}
}

func TestCountAndResetCounts(t *testing.T) {
	s, _, c := startServer(t)
	ctx := t.Context()
	for _, tc := range []call{describeGroups, describeGroups, listMetrics, putMetricData, putMetricData, putMetricData, listQueues} {
		if err := tc.do(ctx, c); err != nil {
			t.Fatalf("%s %s: %v", tc.service, tc.operation, err)
		}
	}

	counts := []struct {
		name      string
		service   string
		operation string
		want      int
	}{
		{"one operation", emulator.ServiceAutoScaling, "DescribeAutoScalingGroups", 2},
		{"another operation", emulator.ServiceCloudWatch, "PutMetricData", 3},
		{"all operations of a service", emulator.ServiceCloudWatch, "", 4},
		{"sqs", emulator.ServiceSQS, "", 1},
		{"operation never called", emulator.ServiceSQS, "CreateQueue", 0},
		{"operation of another service", emulator.ServiceAutoScaling, "ListQueues", 0},
		{"unknown service", "EC2", "", 0},
	}
	for _, tc := range counts {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Count(tc.service, tc.operation); got != tc.want {
				t.Errorf("Count(%q, %q) = %d, want %d", tc.service, tc.operation, got, tc.want)
			}
		})
	}

	s.ResetCounts()
	t.Run("after reset", func(t *testing.T) {
		for _, svc := range []string{emulator.ServiceAutoScaling, emulator.ServiceCloudWatch, emulator.ServiceSQS} {
			if got := s.Count(svc, ""); got != 0 {
				t.Errorf("Count(%q, \"\") = %d after ResetCounts, want 0", svc, got)
			}
		}
		if got := len(s.Calls()); got != 7 {
			t.Errorf("Calls() has %d calls after ResetCounts, want the 7 kept", got)
		}
		if err := listQueues.do(ctx, c); err != nil {
			t.Fatal(err)
		}
		if got := s.Count(emulator.ServiceSQS, "ListQueues"); got != 1 {
			t.Errorf("Count after reset and one call = %d, want 1", got)
		}
	})
}

func TestCallsRecordUserAgent(t *testing.T) {
	s, _, c := startServer(t)
	ctx := t.Context()
	for _, tc := range []call{describeGroups, listMetrics, listQueues} {
		if err := tc.do(ctx, c); err != nil {
			t.Fatalf("%s %s: %v", tc.service, tc.operation, err)
		}
	}
	calls := s.Calls()
	if len(calls) != 3 {
		t.Fatalf("Calls() has %d calls, want 3", len(calls))
	}
	for _, got := range calls {
		t.Run(got.Service, func(t *testing.T) {
			if !strings.Contains(got.UserAgent, "app/"+appID) {
				t.Errorf("user agent %q does not carry app/%s", got.UserAgent, appID)
			}
		})
	}
}

// apiCode returns the AWS error code of err, failing the test when err is
// not an API error.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not a smithy.APIError", err, err)
	}
	return ae.ErrorCode()
}

func TestFaultCodesPerProtocol(t *testing.T) {
	tests := []struct {
		name     string
		fault    emulator.Fault
		call     call
		wantCode string
		// typed checks the SDK's typed error where the model has one.
		typed func(error) bool
		// wantFault is the fault class the SDK reports; FaultUnknown skips
		// the check.
		wantFault smithy.ErrorFault
	}{
		{
			name:      "auto scaling throttling 400 (awsQuery)",
			fault:     emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups", Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"},
			call:      describeGroups,
			wantCode:  "Throttling",
			wantFault: smithy.FaultUnknown,
		},
		{
			name:      "auto scaling code without status is a 400",
			fault:     emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups", Code: "ValidationError"},
			call:      describeGroups,
			wantCode:  "ValidationError",
			wantFault: smithy.FaultUnknown,
		},
		{
			name:     "auto scaling resource contention 500 (awsQuery, typed)",
			fault:    emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups", Status: http.StatusInternalServerError, Code: "ResourceContention"},
			call:     describeGroups,
			wantCode: "ResourceContention",
			typed: func(err error) bool {
				var e *asgtypes.ResourceContentionFault
				return errors.As(err, &e)
			},
			wantFault: smithy.FaultServer,
		},
		{
			name:     "cloudwatch internal service error 500 (rpc v2 cbor)",
			fault:    emulator.Fault{Service: emulator.ServiceCloudWatch, Operation: "ListMetrics", Status: http.StatusInternalServerError, Code: "InternalServiceError"},
			call:     listMetrics,
			wantCode: "InternalServiceError",
			typed: func(err error) bool {
				var e *cwtypes.InternalServiceFault
				return errors.As(err, &e)
			},
			wantFault: smithy.FaultServer,
		},
		{
			name:      "cloudwatch throttling (rpc v2 cbor)",
			fault:     emulator.Fault{Service: emulator.ServiceCloudWatch, Operation: "PutMetricData", Status: http.StatusBadRequest, Code: "Throttling"},
			call:      putMetricData,
			wantCode:  "Throttling",
			wantFault: smithy.FaultUnknown,
		},
		{
			name:     "sqs queue does not exist (json 1.0)",
			fault:    emulator.Fault{Service: emulator.ServiceSQS, Operation: "ListQueues", Status: http.StatusBadRequest, Code: "QueueDoesNotExist"},
			call:     listQueues,
			wantCode: "AWS.SimpleQueueService.NonExistentQueue",
			typed: func(err error) bool {
				var e *sqstypes.QueueDoesNotExist
				return errors.As(err, &e)
			},
			wantFault: smithy.FaultClient,
		},
		{
			name:      "sqs request throttled (json 1.0)",
			fault:     emulator.Fault{Service: emulator.ServiceSQS, Operation: "CreateQueue", Status: http.StatusBadRequest, Code: "RequestThrottled"},
			call:      createQueue,
			wantCode:  "RequestThrottled",
			wantFault: smithy.FaultUnknown,
		},
		{
			name:      "status without code is InternalFailure",
			fault:     emulator.Fault{Service: emulator.ServiceSQS, Status: http.StatusServiceUnavailable},
			call:      listQueues,
			wantCode:  "InternalFailure",
			wantFault: smithy.FaultUnknown,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, c := startServer(t)
			s.AddFault(tc.fault)
			err := tc.call.do(t.Context(), c)
			if err == nil {
				t.Fatal("call succeeded, want the injected error")
			}
			if got := apiCode(t, err); got != tc.wantCode {
				t.Errorf("ErrorCode() = %q, want %q (error %v)", got, tc.wantCode, err)
			}
			if tc.typed != nil && !tc.typed(err) {
				t.Errorf("error %v is not the SDK's typed error for %s", err, tc.wantCode)
			}
			var ae smithy.APIError
			if errors.As(err, &ae) && tc.wantFault != smithy.FaultUnknown && ae.ErrorFault() != tc.wantFault {
				t.Errorf("ErrorFault() = %v, want %v", ae.ErrorFault(), tc.wantFault)
			}
			wantStatus := tc.fault.Status
			if wantStatus == 0 {
				wantStatus = http.StatusBadRequest
			}
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &re) {
				t.Fatalf("error %v carries no HTTP status", err)
			}
			if re.HTTPStatusCode() != wantStatus {
				t.Errorf("HTTP status = %d, want %d", re.HTTPStatusCode(), wantStatus)
			}
			calls := s.Calls()
			if len(calls) != 1 || calls[0].Status != wantStatus || calls[0].Operation != tc.call.operation {
				t.Errorf("Calls() = %+v, want one %s call with status %d", calls, tc.call.operation, wantStatus)
			}
			if got := s.Count(tc.call.service, tc.call.operation); got != 1 {
				t.Errorf("a failed call counts too: Count = %d, want 1", got)
			}
		})
	}
}

func TestFaultMatching(t *testing.T) {
	tests := []struct {
		name  string
		fault emulator.Fault
		call  call
		hits  bool
	}{
		{"service and operation", emulator.Fault{Service: emulator.ServiceSQS, Operation: "ListQueues", Code: "RequestThrottled"}, listQueues, true},
		{"other operation of the service", emulator.Fault{Service: emulator.ServiceSQS, Operation: "CreateQueue", Code: "RequestThrottled"}, listQueues, false},
		{"every operation of the service", emulator.Fault{Service: emulator.ServiceCloudWatch, Code: "Throttling"}, listMetrics, true},
		{"other service", emulator.Fault{Service: emulator.ServiceCloudWatch, Code: "Throttling"}, describeGroups, false},
		{"same operation name, other service", emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "ListMetrics", Code: "Throttling"}, listMetrics, false},
		{"every service", emulator.Fault{Code: "Throttling"}, describeGroups, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, c := startServer(t)
			s.AddFault(tc.fault)
			err := tc.call.do(t.Context(), c)
			if tc.hits && err == nil {
				t.Error("call succeeded, want the fault to hit")
			}
			if !tc.hits && err != nil {
				t.Errorf("call failed with %v, want the fault to miss", err)
			}
		})
	}
}

func TestFaultTimes(t *testing.T) {
	s, _, c := startServer(t)
	ctx := t.Context()
	s.AddFault(emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups", Code: "Throttling", Times: 2})
	for i, wantErr := range []bool{true, true, false, false} {
		err := describeGroups.do(ctx, c)
		if wantErr {
			if err == nil {
				t.Fatalf("call %d succeeded, want Throttling", i+1)
			}
			if got := apiCode(t, err); got != "Throttling" {
				t.Fatalf("call %d: code %q, want Throttling", i+1, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("call %d: %v, want success once the fault is spent", i+1, err)
		}
	}
}

func TestFaultWindowOnClock(t *testing.T) {
	s, clk, c := startServer(t)
	ctx := t.Context()
	s.AddFault(emulator.Fault{
		Service: emulator.ServiceSQS,
		Code:    "RequestThrottled",
		From:    start.Add(time.Minute),
		Until:   start.Add(2 * time.Minute),
	})
	steps := []struct {
		name    string
		advance time.Duration
		wantErr bool
	}{
		{"before From", 0, false},
		{"just before From", time.Minute - time.Nanosecond, false},
		{"at From", time.Nanosecond, true},
		{"inside", 30 * time.Second, true},
		{"at Until", 30 * time.Second, false},
		{"after Until", time.Hour, false},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		err := listQueues.do(ctx, c)
		if st.wantErr && err == nil {
			t.Errorf("%s (%v): call succeeded, want RequestThrottled", st.name, clk.Now().Sub(start))
		}
		if !st.wantErr && err != nil {
			t.Errorf("%s (%v): call failed: %v", st.name, clk.Now().Sub(start), err)
		}
	}
}

func TestFaultLatencyHitsClientDeadline(t *testing.T) {
	s, _, c := startServer(t)
	s.AddFault(emulator.Fault{Service: emulator.ServiceSQS, Operation: "ListQueues", Latency: time.Hour})

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err := listQueues.do(ctx, c)
	if err == nil {
		t.Fatal("call succeeded, want a deadline error")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v is not context.DeadlineExceeded", err)
	}

	// Another operation of the service is not slowed.
	if err := createQueue.do(t.Context(), c); err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
}

func TestRemoveAndClearFaults(t *testing.T) {
	s, _, c := startServer(t)
	ctx := t.Context()

	removeSQS := s.AddFault(emulator.Fault{Service: emulator.ServiceSQS, Code: "RequestThrottled"})
	removeCW := s.AddFault(emulator.Fault{Service: emulator.ServiceCloudWatch, Code: "Throttling"})
	if err := listQueues.do(ctx, c); err == nil {
		t.Fatal("SQS call succeeded with a fault installed")
	}

	removeSQS()
	if err := listQueues.do(ctx, c); err != nil {
		t.Fatalf("SQS call after remove: %v", err)
	}
	if err := listMetrics.do(ctx, c); err == nil {
		t.Fatal("removing the SQS fault removed the CloudWatch fault too")
	}
	removeSQS() // a second call is harmless
	if err := listMetrics.do(ctx, c); err == nil {
		t.Fatal("a second remove of the SQS fault removed the CloudWatch fault")
	}

	s.AddFault(emulator.Fault{Service: emulator.ServiceAutoScaling, Code: "Throttling"})
	s.ClearFaults()
	for _, tc := range []call{describeGroups, listMetrics, listQueues} {
		if err := tc.do(ctx, c); err != nil {
			t.Errorf("%s %s after ClearFaults: %v", tc.service, tc.operation, err)
		}
	}
	removeCW() // removing after ClearFaults is harmless
}

func TestRawRequests(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		target     string
		fault      *emulator.Fault
		header     http.Header
		body       []byte
		wantStatus int
		// wantBody lists substrings of the response body.
		wantBody []string
		wantType string
	}{
		{
			name:       "oversized body",
			header:     http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			body:       bytes.Repeat([]byte("a"), 4<<20+1),
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "body that is not a form",
			body:       []byte("%zz not a form"),
			wantStatus: http.StatusNotFound,
			wantBody:   []string{"<ErrorResponse", "<Code>MalformedQueryString</Code>", "<RequestId>"},
			wantType:   "text/xml",
		},
		{
			name:       "JSON without a target",
			header:     http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
			body:       []byte(`{"QueueName":"work"}`),
			wantStatus: http.StatusBadRequest,
			wantBody:   []string{"<ErrorResponse", "<Code>MissingAction</Code>"},
			wantType:   "text/xml",
		},
		{
			name:       "unknown Auto Scaling action",
			header:     http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			body:       []byte("Action=LaunchRockets&Version=2011-01-01"),
			wantStatus: http.StatusBadRequest,
			wantBody:   []string{"<Code>InvalidAction</Code>"},
			wantType:   "text/xml",
		},
		{
			name:       "action in the query string meets its operation's fault",
			method:     http.MethodGet,
			target:     "/?Action=DescribeAutoScalingGroups&Version=2011-01-01",
			fault:      &emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups", Code: "Throttling"},
			wantStatus: http.StatusBadRequest,
			wantBody:   []string{"<Code>Throttling</Code>"},
			wantType:   "text/xml",
		},
		{
			name:       "action in the query string",
			method:     http.MethodGet,
			target:     "/?Action=DescribeAutoScalingGroups&Version=2011-01-01",
			wantStatus: http.StatusOK,
			wantBody:   []string{"<DescribeAutoScalingGroupsResponse"},
			wantType:   "text/xml",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := startServer(t)
			if tc.fault != nil {
				s.AddFault(*tc.fault)
			}
			method, target := tc.method, tc.target
			if method == "" {
				method = http.MethodPost
			}
			if target == "" {
				target = "/"
			}
			req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+target, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d; body %s", resp.StatusCode, tc.wantStatus, body)
			}
			for _, want := range tc.wantBody {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("body %s does not contain %s", body, want)
				}
			}
			if tc.wantType != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) {
				t.Errorf("Content-Type %q, want %s", resp.Header.Get("Content-Type"), tc.wantType)
			}
		})
	}
}
