// Package emulator is one HTTP server that speaks the wire protocols of
// EC2 Auto Scaling (awsQuery), CloudWatch (Smithy RPC v2 CBOR) and SQS (AWS
// JSON 1.0) to the real SDK clients, on an injected clock. Tests start it
// in-process on a loopback port; `headroom emulator` runs it by hand.
//
// On top of the three services it injects faults per service and operation
// (AWS error codes, 5xx, latency, blackouts) and keeps a record of every
// call, so that tests can count calls and attribute writes.
package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/emulator/cloudwatch"
	"github.com/headroom-dev/headroom/internal/emulator/sqs"
)

// Service names as the emulator labels calls and faults. They match the
// SDK's service ids so that metrics and records read alike.
const (
	ServiceAutoScaling = "Auto Scaling"
	ServiceCloudWatch  = "CloudWatch"
	ServiceSQS         = "SQS"
)

// Region is the region the emulator pretends to be.
const Region = "us-east-1"

// maxBody bounds a request body; the largest legitimate one is a gzipped
// PutMetricData of 1 MB.
const maxBody = 4 << 20

// maxCalls bounds the call record; older calls are dropped first.
const maxCalls = 200_000

// cloudWatchPrefix is the RPC v2 CBOR path of CloudWatch operations.
const cloudWatchPrefix = "/service/GraniteServiceVersion20100801/operation/"

// Fault makes matching calls fail or slow down. Zero fields match anything:
// an empty Operation matches every operation of the service; zero From and
// Until match any time on the emulator's clock.
type Fault struct {
	Service   string
	Operation string
	// Status and Code make the call fail with that HTTP status and AWS error
	// code in the service's own error format; Status 0 with a Code means 400.
	Status  int
	Code    string
	Message string
	// Latency delays the answer (in real time: it models a slow network).
	Latency time.Duration
	// From and Until bound the fault on the emulator's clock.
	From, Until time.Time
	// Times, when > 0, is how many calls the fault hits before it is spent.
	Times int
}

// Call is one request the emulator answered.
type Call struct {
	At        time.Time
	Service   string
	Operation string
	UserAgent string
	Status    int
}

// Server is the emulator. Its exported services can also be driven from Go
// (a simulator launches load and reads queue ages through them).
type Server struct {
	AutoScaling *autoscaling.Service
	CloudWatch  *cloudwatch.Service
	SQS         *sqs.Service

	clk clock.Clock

	mu     sync.Mutex
	faults []*Fault
	calls  []Call
	counts map[string]int
	url    string
	srv    *http.Server
}

// New returns an emulator on clk; call Start to listen.
func New(clk clock.Clock) *Server {
	s := &Server{clk: clk, counts: map[string]int{}}
	s.AutoScaling = autoscaling.New(clk)
	s.CloudWatch = cloudwatch.New(clk)
	s.SQS = sqs.New(clk, s.URL)
	return s
}

// Start listens on addr (for example "127.0.0.1:0") and serves in the
// background. It returns the base URL.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("emulator: listen %s: %w", addr, err)
	}
	s.mu.Lock()
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	srv := s.srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return s.URL(), nil
}

// Close stops the server.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// URL is the base URL the server listens on ("" before Start).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// AWSConfig returns an aws.Config whose clients talk to this emulator, with
// static credentials and few retries, for tests and the demo.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEMULATOR", "emulator-secret", ""),
		BaseEndpoint: aws.String(s.URL()),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		Retryer:      func() aws.Retryer { return Retryer() },
	}
}

// Retryer retries nothing but the SDK's own closed-connection race, so
// that a test sees every fault it injects exactly once.
//
// The race: the SDK closes a request's body as soon as the response
// arrives, while net/http's write loop may still be reading that body for
// its end; the transport then closes the connection under the response
// being read, and the read fails with net.ErrClosed. The standard retryer
// retries that error by default (aws-sdk-go-v2 issue 2737, pull 2949); a
// retryer with one attempt turns it into a spurious failure.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 2
		o.RateLimiter = ratelimit.None
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if errors.Is(err, net.ErrClosed) {
				return aws.TrueTernary
			}
			return aws.FalseTernary
		})}
	})
}

// AddFault installs a fault and returns a function that removes it.
func (s *Server) AddFault(f Fault) (remove func()) {
	fp := &f
	s.mu.Lock()
	s.faults = append(s.faults, fp)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, x := range s.faults {
			if x == fp {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// Calls returns a copy of the call record, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Count returns how many calls of service and operation were answered since
// the last ResetCounts; an empty operation counts every operation.
func (s *Server) Count(service, operation string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if operation != "" {
		return s.counts[service+"."+operation]
	}
	n := 0
	for k, v := range s.counts {
		if strings.HasPrefix(k, service+".") {
			n += v
		}
	}
	return n
}

// ResetCounts zeroes the call counters (the call record is kept).
func (s *Server) ResetCounts() {
	s.mu.Lock()
	s.counts = map[string]int{}
	s.mu.Unlock()
}

// ServeHTTP routes a request to its service: CloudWatch by its RPC v2 path,
// SQS by its X-Amz-Target header, Auto Scaling by its form Action.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		status := http.StatusBadRequest
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		http.Error(w, "cannot read request body", status)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	service, op := route(r, body)
	var h http.Handler
	var writeError func(http.ResponseWriter, int, string, string)
	switch service {
	case ServiceCloudWatch:
		h, writeError = s.CloudWatch, cloudwatch.WriteError
	case ServiceSQS:
		h, writeError = s.SQS, sqs.WriteError
	default:
		h, writeError = s.AutoScaling, autoscaling.WriteError
	}

	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	if f, ok := s.fault(service, op); ok {
		if f.Latency > 0 {
			t := time.NewTimer(f.Latency)
			select {
			case <-r.Context().Done():
			case <-t.C:
			}
			t.Stop()
		}
		if f.Code != "" || f.Status != 0 {
			status := f.Status
			if status == 0 {
				status = http.StatusBadRequest
			}
			code := f.Code
			if code == "" {
				code = "InternalFailure"
			}
			msg := f.Message
			if msg == "" {
				msg = "injected fault"
			}
			writeError(rec, status, code, msg)
			s.note(service, op, r, rec.status)
			return
		}
	}
	h.ServeHTTP(rec, r)
	s.note(service, op, r, rec.status)
}

// route names the service and operation of a request without consuming it.
func route(r *http.Request, body []byte) (service, op string) {
	if strings.HasPrefix(r.URL.Path, cloudWatchPrefix) {
		return ServiceCloudWatch, strings.TrimPrefix(r.URL.Path, cloudWatchPrefix)
	}
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, "AmazonSQS.") {
		return ServiceSQS, strings.TrimPrefix(t, "AmazonSQS.")
	}
	// awsQuery takes parameters from the query string and, for POST, the
	// form body, the query string first, as the Auto Scaling service reads
	// them; a request it cannot parse has no operation.
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return ServiceAutoScaling, ""
	}
	if a := query.Get("Action"); a != "" {
		return ServiceAutoScaling, a
	}
	if r.Method != http.MethodPost {
		return ServiceAutoScaling, ""
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ServiceAutoScaling, ""
	}
	return ServiceAutoScaling, form.Get("Action")
}

// fault returns the first fault matching this call now, spending one of its
// Times.
func (s *Server) fault(service, op string) (Fault, bool) {
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Service != "" && f.Service != service {
			continue
		}
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if !f.From.IsZero() && now.Before(f.From) {
			continue
		}
		if !f.Until.IsZero() && !now.Before(f.Until) {
			continue
		}
		out := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return out, true
	}
	return Fault{}, false
}

func (s *Server) note(service, op string, r *http.Request, status int) {
	c := Call{At: s.clk.Now(), Service: service, Operation: op, UserAgent: r.Header.Get("User-Agent"), Status: status}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[service+"."+op]++
	if len(s.calls) >= maxCalls {
		s.calls = append(s.calls[:0], s.calls[len(s.calls)/2:]...)
	}
	s.calls = append(s.calls, c)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
