package awsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/awsapi"
)

func TestErrorCode(t *testing.T) {
	opErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"generic API error", &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}, "Throttling"},
		{"typed API error", &sqstypes.QueueDoesNotExist{Message: aws.String("gone")}, "QueueDoesNotExist"},
		{"wrapped API error", fmt.Errorf("describe group %q: %w", "web", &smithy.OperationError{
			ServiceID: "Auto Scaling", OperationName: "DescribeAutoScalingGroups",
			Err: &smithy.GenericAPIError{Code: "ResourceContention"},
		}), "ResourceContention"},
		{"API error without a code", &smithy.GenericAPIError{Message: "no code"}, "Unknown"},
		{"deadline", context.DeadlineExceeded, "Timeout"},
		{"wrapped deadline", fmt.Errorf("get queue attributes: %w", context.DeadlineExceeded), "Timeout"},
		{"canceled", context.Canceled, "Canceled"},
		{"wrapped canceled", fmt.Errorf("list metrics: %w", context.Canceled), "Canceled"},
		{"net op error", opErr, "NetworkError"},
		{"wrapped net op error", fmt.Errorf("send: %w", opErr), "NetworkError"},
		{"net timeout", &net.DNSError{Err: "i/o timeout", Name: "sqs.us-east-1.amazonaws.com", IsTimeout: true}, "Timeout"},
		{"anything else", errors.New("boom"), "Unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := awsapi.ErrorCode(tc.err); got != tc.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// observation is one ObserveCall.
type observation struct {
	service, operation, code string
	took                     time.Duration
}

// recorder is an Observer that keeps what it sees.
type recorder struct {
	mu  sync.Mutex
	got []observation
}

func (r *recorder) ObserveCall(service, operation, code string, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, observation{service, operation, code, took})
}

func (r *recorder) observations() []observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]observation(nil), r.got...)
}

const queueURL = "http://127.0.0.1/000000000000/work"

// sqsServer answers GetQueueAttributes in AWS JSON 1.0: attributes for the
// queue "work", QueueDoesNotExist for any other. It counts requests.
type sqsServer struct {
	mu        sync.Mutex
	requests  int
	userAgent string
}

func (s *sqsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.userAgent = r.Header.Get("User-Agent")
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if got := r.Header.Get("X-Amz-Target"); got != "AmazonSQS.GetQueueAttributes" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazon.coral.service#UnknownOperationException","message":"unexpected target `+got+`"}`)
		return
	}
	var in struct{ QueueUrl string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazon.coral.service#SerializationException"}`)
		return
	}
	if in.QueueUrl != queueURL {
		// SQS is awsQueryCompatible: the SDK reports the legacy code from
		// this header.
		w.Header().Set("X-Amzn-Query-Error", "AWS.SimpleQueueService.NonExistentQueue;Sender")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}`)
		return
	}
	_, _ = io.WriteString(w, `{"Attributes":{"ApproximateNumberOfMessages":"7"}}`)
}

func (s *sqsServer) count() (requests int, lastUserAgent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.userAgent
}

// testConfig is an aws.Config for a local test server.
func testConfig(url string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	}
}

func getAttributes(ctx context.Context, c *sqs.Client, queue string) (*sqs.GetQueueAttributesOutput, error) {
	return c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(queue),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
}

func TestInstrumentObservesCalls(t *testing.T) {
	tests := []struct {
		name     string
		queue    string
		wantErr  bool
		wantCode string
	}{
		{"success", queueURL, false, ""},
		{"error response", "http://127.0.0.1/000000000000/missing", true, "AWS.SimpleQueueService.NonExistentQueue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&sqsServer{})
			t.Cleanup(srv.Close)
			cfg := testConfig(srv.URL)
			rec := &recorder{}
			awsapi.Instrument(&cfg, rec, 0)
			c := sqs.NewFromConfig(cfg)

			out, err := getAttributes(t.Context(), c, tc.queue)
			if tc.wantErr != (err != nil) {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if err == nil && out.Attributes["ApproximateNumberOfMessages"] != "7" {
				t.Errorf("attributes %v, want ApproximateNumberOfMessages 7", out.Attributes)
			}
			got := rec.observations()
			if len(got) != 1 {
				t.Fatalf("%d observations, want 1: %+v", len(got), got)
			}
			o := got[0]
			if o.service != "SQS" || o.operation != "GetQueueAttributes" || o.code != tc.wantCode {
				t.Errorf("observed (%q, %q, %q), want (SQS, GetQueueAttributes, %q)", o.service, o.operation, o.code, tc.wantCode)
			}
			if o.took <= 0 {
				t.Errorf("observed duration %v, want > 0", o.took)
			}
		})
	}
}

func TestInstrumentOneObservationPerLogicalCall(t *testing.T) {
	// A server that always throttles; the retryer makes three attempts and
	// the observer must see one call, not three.
	var mu sync.Mutex
	attempts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Query-Error", "RequestThrottled;Sender")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"}`)
	}))
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			// No backoff, so that the test does not wait on it.
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	cfg.RetryMaxAttempts = 0
	rec := &recorder{}
	awsapi.Instrument(&cfg, rec, 0)

	if _, err := getAttributes(t.Context(), sqs.NewFromConfig(cfg), queueURL); err == nil {
		t.Fatal("call succeeded, want RequestThrottled")
	}
	mu.Lock()
	sent := attempts
	mu.Unlock()
	if sent != 3 {
		t.Fatalf("server saw %d attempts, want 3", sent)
	}
	got := rec.observations()
	if len(got) != 1 || got[0].code != "RequestThrottled" {
		t.Errorf("observations %+v, want one with code RequestThrottled", got)
	}
}

func TestInstrumentCallTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	cfg := testConfig(srv.URL)
	rec := &recorder{}
	awsapi.Instrument(&cfg, rec, 100*time.Millisecond)
	c := sqs.NewFromConfig(cfg)

	done := make(chan error, 1)
	go func() {
		_, err := getAttributes(context.Background(), c, queueURL)
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("call to a server that never answers did not return")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	got := rec.observations()
	if len(got) != 1 || got[0].code != "Timeout" {
		t.Errorf("observations %+v, want one with code Timeout", got)
	}
}

// isolateEnv clears every setting the SDK's default chain reads, so that
// the machine running the test cannot leak a region, profile, endpoint or
// credentials into it.
func isolateEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_SDK_UA_APP_ID",
	} {
		t.Setenv(k, "") // restores the value after the test
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestLoadWithoutRegion(t *testing.T) {
	isolateEnv(t)
	_, err := awsapi.Load(t.Context(), awsapi.Options{})
	if err == nil {
		t.Fatal("Load succeeded without a region")
	}
	if !strings.Contains(err.Error(), "no region") {
		t.Errorf("error %q does not say no region", err)
	}
}

func TestLoadHonoursEndpointURL(t *testing.T) {
	tests := []struct {
		name string
		env  string
	}{
		{"all services", "AWS_ENDPOINT_URL"},
		{"per service", "AWS_ENDPOINT_URL_SQS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isolateEnv(t)
			fake := &sqsServer{}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			t.Setenv(tc.env, srv.URL)
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")

			rec := &recorder{}
			cfg, err := awsapi.Load(t.Context(), awsapi.Options{Region: "eu-west-1", Observer: rec, AppID: "replica-a", MaxAttempts: 1})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.Region != "eu-west-1" {
				t.Errorf("region %q, want eu-west-1", cfg.Region)
			}
			out, err := getAttributes(t.Context(), sqs.NewFromConfig(cfg), queueURL)
			if err != nil {
				t.Fatalf("GetQueueAttributes through %s: %v", tc.env, err)
			}
			if out.Attributes["ApproximateNumberOfMessages"] != "7" {
				t.Errorf("attributes %v, want ApproximateNumberOfMessages 7", out.Attributes)
			}
			n, ua := fake.count()
			if n != 1 {
				t.Errorf("test server saw %d requests, want 1", n)
			}
			if !strings.Contains(ua, "app/replica-a") {
				t.Errorf("user agent %q does not carry the AppID", ua)
			}
			if got := rec.observations(); len(got) != 1 || got[0].code != "" {
				t.Errorf("observations %+v, want one success", got)
			}
		})
	}
}

func TestInstrumentTwiceReplaces(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"Attributes":{}}`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	first, second := &countingObserver{}, &countingObserver{}
	awsapi.Instrument(&cfg, first, 0)
	awsapi.Instrument(&cfg, second, 0)
	_, err := sqs.NewFromConfig(cfg).GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(srv.URL + "/1/q")})
	if err != nil {
		t.Fatalf("call failed after instrumenting twice: %v", err)
	}
	if first.n.Load() != 0 || second.n.Load() != 1 {
		t.Fatalf("observers saw %d and %d calls, want 0 and 1", first.n.Load(), second.n.Load())
	}
}

type countingObserver struct{ n atomic.Int32 }

func (c *countingObserver) ObserveCall(string, string, string, time.Duration) { c.n.Add(1) }
