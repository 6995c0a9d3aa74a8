// Package emulator is one HTTP server that speaks the wire protocols of
// EC2 Auto Scaling (awsQuery), CloudWatch (Smithy RPC v2 CBOR), SQS (AWS
// JSON 1.0), ECS and Application Auto Scaling (AWS JSON 1.1) and STS
// (awsQuery) to the real SDK clients, on an injected clock. Tests start it
// in-process on a loopback port; `headroom emulator` runs it by hand.
//
// It holds many accounts and Regions: each request is authenticated by the
// access key of its SigV4 signature and served by the state (a Scope) of
// the key's account in the signature's Region. The base credentials belong
// to DefaultAccount; roles defined with AddRole give, through STS
// AssumeRole, temporary credentials in other accounts.
//
// On top of the services it injects faults per service and operation
// (AWS error codes, 5xx, latency, blackouts) and keeps a record of every
// call, so that tests can count calls and attribute writes.
package emulator

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/appautoscaling"
	"github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/emulator/cloudwatch"
	"github.com/headroom-dev/headroom/internal/emulator/ecs"
	"github.com/headroom-dev/headroom/internal/emulator/sqs"
	"github.com/headroom-dev/headroom/internal/emulator/sts"
)

// Service names as the emulator labels calls and faults. They match the
// SDK's service ids so that metrics and records read alike.
const (
	ServiceAutoScaling = "Auto Scaling"
	ServiceCloudWatch  = "CloudWatch"
	ServiceSQS         = "SQS"
	ServiceECS         = "ECS"
	ServiceAppScaling  = "Application Auto Scaling"
	ServiceSTS         = "STS"
)

// Region is the default Region: the Region of AWSConfig, of the Server's
// own services, and of an unsigned request.
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
	// A latency longer than the client's call timeout is a timeout.
	Latency time.Duration
	// Hang holds the request unanswered until the client gives up (its
	// context ends or it closes the connection) or the server closes: a
	// call timeout, whatever the client's deadline.
	Hang bool
	// Withhold makes CloudWatch accept datapoints and drop them: a
	// PutMetricData call (over the wire, or Server.PutMetric from Go) whose
	// namespace is Namespace ("" for every namespace) succeeds and stores
	// nothing, as when CloudWatch's ingestion falls behind. Withhold faults
	// match PutMetricData only and never fail a call; Service and Operation
	// are ignored. Build one with WithholdMetrics.
	Withhold  bool
	Namespace string
	// From and Until bound the fault on the emulator's clock.
	From, Until time.Time
	// Account and Region, when set, limit the fault to the calls of that
	// account or made in that Region (Call.Account, Call.Region).
	Account, Region string
	// Times, when > 0, is how many calls the fault hits before it is spent.
	Times int
	// Rate, when in (0, 1), is the fraction of matching calls the fault
	// hits; 0 (or 1 and above) means every call. The draw is a function of
	// the server's fault seed (SetFaultSeed), the fault, the call's
	// operation, body and time, so the same run meets the same faults even
	// when its calls arrive concurrently in another order.
	Rate float64

	// seq identifies the fault in rate draws.
	seq uint64
}

// Fault labels of a Call that met a fault without an error code.
const (
	FaultHang     = "Hang"
	FaultLatency  = "Latency"
	FaultWithheld = "Withheld"
)

// Throttle returns a fault that throttles rate of the matching calls of
// service (op "" for every operation) during [from, until), with each
// service's own throttling answer:
//
//   - Auto Scaling: 400 Throttling "Rate exceeded" (awsQuery; "Troubleshoot
//     Amazon EC2 Auto Scaling: API calls throttled").
//   - CloudWatch: 400 Throttling "Rate exceeded" (the awsQuery code, which
//     the RPC v2 CBOR client reads from X-Amzn-Query-Error; CloudWatch
//     knowledge center, "400 ThrottlingException for PutMetricData").
//   - SQS: 400 RequestThrottled (the SQS API reference's error; the JSON
//     1.0 client's ErrorCode() is RequestThrottled).
//   - ECS and Application Auto Scaling: 400 ThrottlingException "Rate
//     exceeded" (AWS JSON 1.1; both APIs' common error).
//
// All these codes are in the SDK's retry.DefaultThrottleErrorCodes, so the
// standard retryer backs off and retries them as throttling.
// RequestLimitExceeded is EC2's code and none of these services uses it.
func Throttle(service, op string, rate float64, from, until time.Time) Fault {
	f := Fault{Service: service, Operation: op, Status: http.StatusBadRequest, Code: "Throttling",
		Message: "Rate exceeded", Rate: rate, From: from, Until: until}
	switch service {
	case ServiceSQS:
		f.Code, f.Message = "RequestThrottled", "The request was denied due to request throttling."
	case ServiceECS, ServiceAppScaling:
		// Both answer throttling with ThrottlingException, which the
		// standard retryer also treats as throttling.
		f.Code = "ThrottlingException"
	}
	return f
}

// Blackout returns a fault that fails every call of service (all
// operations) during [from, until) with 503 ServiceUnavailable, which the
// SDK's standard retryer treats as retryable.
func Blackout(service string, from, until time.Time) Fault {
	return Fault{Service: service, Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
		Message: "Service is unavailable.", From: from, Until: until}
}

// WithholdMetrics returns a fault that drops the CloudWatch datapoints of
// namespace ("" for all) published during [from, until): stale data
// without an error.
func WithholdMetrics(namespace string, from, until time.Time) Fault {
	return Fault{Service: ServiceCloudWatch, Operation: "PutMetricData", Withhold: true, Namespace: namespace, From: from, Until: until}
}

// Call is one request the emulator answered.
type Call struct {
	// Seq numbers calls in the order they arrived, from 1. The record is
	// in the order calls were answered, which differs for a call held
	// open (a hang, a latency fault): CallsSince selects by arrival.
	Seq uint64
	// At is when the request arrived, on the emulator's clock.
	At        time.Time
	Service   string
	Operation string
	UserAgent string
	// Status is the HTTP status of the answer; 0 when the client gave up
	// before an answer (a hang).
	Status int
	// Params holds, for a write (any operation but Describe*, List*, Get*
	// and Receive*), the request's top-level scalar parameters as written,
	// for example DesiredCapacity, MinSize, ScheduledActionName; nil for
	// reads. A failed write keeps its params: Status says it failed.
	Params map[string]string
	// Fault is the injected error code, FaultHang, FaultLatency or
	// FaultWithheld; "" when no fault hit the call.
	Fault string
	// AccessKeyID is the key the request was signed with; Account,
	// Principal and Region are who made it and where: the key's account and
	// principal (BaseUser, or an assumed-role ARN
	// arn:aws:sts::<account>:assumed-role/<role>/<session>) and the Region
	// of the signature. Account and Principal are "" when the key was
	// refused (Status 403).
	AccessKeyID string
	Account     string
	Principal   string
	Region      string
}

// Write reports whether the call was a write, by its operation's name.
func (c Call) Write() bool { return isWrite(c.Operation) }

// Server is the emulator. Its exported services can also be driven from Go
// (a simulator launches load and reads queue ages through them):
// AutoScaling, CloudWatch and SQS are those of DefaultAccount in Region;
// In gives another account's or Region's.
type Server struct {
	AutoScaling *autoscaling.Service
	CloudWatch  *cloudwatch.Service
	SQS         *sqs.Service
	ECS         *ecs.Service
	AppScaling  *appautoscaling.Service
	// STS holds the identities: the base user's key, the roles and the
	// temporary credentials issued.
	STS *sts.Service

	clk clock.Clock

	scopesMu sync.Mutex
	scopes   map[scopeKey]*Scope
	// refuseUnsigned is set by RefuseUnknownKeys.
	refuseUnsigned atomic.Bool

	mu     sync.Mutex
	faults []*Fault
	calls  []Call
	counts map[string]int
	url    string
	srv    *http.Server
	// seed, nextSeq and draws make rate draws repeatable: draws counts
	// identical calls at the current clock time (drawsAt).
	seed    uint64
	nextSeq uint64
	draws   map[drawKey]uint64
	drawsAt time.Time
	// arrived counts requests as they arrive (Call.Seq); inflight is the
	// requests not answered yet, and idle is closed and replaced each time
	// inflight returns to 0.
	arrived  uint64
	inflight int
	idle     chan struct{}
	// done ends hung requests when the server closes.
	done      chan struct{}
	closeOnce sync.Once
}

// New returns an emulator on clk; call Start to listen.
func New(clk clock.Clock) *Server {
	s := &Server{clk: clk, counts: map[string]int{}, seed: 1, draws: map[drawKey]uint64{}, done: make(chan struct{}), idle: make(chan struct{})}
	s.STS = sts.New(clk)
	if err := s.STS.AddUser(BaseAccessKeyID, BaseSecretAccessKey, BaseUser); err != nil {
		panic(err) // constants: cannot fail
	}
	// Clients built before accounts existed sign with keys of their own
	// ("AKIDTEST"); they stay the base user's until RefuseUnknownKeys.
	if err := s.STS.TrustUnknownKeys(BaseUser); err != nil {
		panic(err)
	}
	s.scopes = map[scopeKey]*Scope{}
	def := s.In(DefaultAccount, Region)
	s.AutoScaling, s.CloudWatch, s.SQS = def.AutoScaling, def.CloudWatch, def.SQS
	s.ECS, s.AppScaling = def.ECS, def.AppScaling
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

// Close stops the server; hung requests are let go.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
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
// the base credentials (BaseUser of DefaultAccount) in Region and few
// retries, for tests and the demo.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(BaseAccessKeyID, BaseSecretAccessKey, ""),
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

// SetFaultSeed seeds the draws of faults with a Rate, so that a run with
// the same seed meets the same faults. The default seed is 1.
func (s *Server) SetFaultSeed(seed int64) {
	s.mu.Lock()
	s.seed = uint64(seed)
	s.draws = map[drawKey]uint64{}
	s.mu.Unlock()
}

// AddFault installs a fault and returns a function that removes it.
func (s *Server) AddFault(f Fault) (remove func()) {
	fp := &f
	s.mu.Lock()
	s.nextSeq++
	fp.seq = s.nextSeq
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

// Mark returns the Seq the next call to arrive will get: CallsSince(Mark())
// after a piece of work is the calls that work made.
func (s *Server) Mark() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.arrived + 1
}

// CallsSince returns, in arrival order, the recorded calls that arrived at
// or after mark. A call still unanswered is not in it: Settle first.
func (s *Server) CallsSince(mark uint64) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Seq >= mark {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Call) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// Settle waits until every request that has arrived is answered and
// recorded, or timeout passes; it reports whether they all were. A client
// that gave up on a hung request leaves it open until the server sees the
// connection close, which can be after the client has moved on: a check of
// the calls one piece of work made settles before it reads them.
func (s *Server) Settle(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		s.mu.Lock()
		n, idle := s.inflight, s.idle
		s.mu.Unlock()
		if n == 0 {
			return true
		}
		select {
		case <-idle:
		case <-t.C:
			return false
		}
	}
}

func (s *Server) arrive() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arrived++
	s.inflight++
	return s.arrived
}

func (s *Server) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	if s.inflight == 0 {
		close(s.idle)
		s.idle = make(chan struct{})
	}
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
// SQS, ECS and Application Auto Scaling by their X-Amz-Target headers,
// Auto Scaling by its form Action.
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
	seq := s.arrive()
	defer s.leave()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	c := Call{Seq: seq, At: s.clk.Now(), Service: service, Operation: op, UserAgent: r.Header.Get("User-Agent")}
	if isWrite(op) {
		c.Params = params(service, r, body)
	}

	id, region, authErr := s.authenticate(r)
	c.AccessKeyID, c.Region = id.AccessKeyID, region
	if authErr != nil {
		// A refused key has no account: the error comes from the default
		// scope, whose services write errors as every scope's do.
		s.endpoint(service, DefaultAccount, Region).writeError(rec, http.StatusForbidden, authErr.Code, authErr.Message)
		s.note(c, rec.status)
		return
	}
	c.Account, c.Principal = id.Account, id.ARN
	e := s.endpoint(service, id.Account, region)
	h, writeError := e.Handler, e.writeError
	if service == ServiceSTS {
		r = r.WithContext(sts.WithCaller(r.Context(), id))
	}
	if service == ServiceCloudWatch && op == "PutMetricData" {
		if _, ok := s.fault(service, op, id.Account, region, body, func(f *Fault) bool { return f.Withhold && f.withholds(c.Params["Namespace"]) }); ok {
			// Accepted and dropped: the answer PutMetricData gives on success.
			rec.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
			rec.WriteHeader(http.StatusOK)
			c.Fault = FaultWithheld
			s.note(c, rec.status)
			return
		}
	}
	if f, ok := s.fault(service, op, id.Account, region, body, func(f *Fault) bool { return !f.Withhold }); ok {
		if f.Latency > 0 {
			c.Fault = FaultLatency
			t := time.NewTimer(f.Latency)
			select {
			case <-r.Context().Done():
			case <-s.done:
			case <-t.C:
			}
			t.Stop()
		}
		if f.Hang {
			select {
			case <-r.Context().Done():
			case <-s.done:
			}
			c.Fault = FaultHang
			s.note(c, 0)
			return
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
			c.Fault = code
			s.note(c, rec.status)
			return
		}
	}
	h.ServeHTTP(rec, r)
	s.note(c, rec.status)
}

// route names the service and operation of a request without consuming it.
func route(r *http.Request, body []byte) (service, op string) {
	if strings.HasPrefix(r.URL.Path, cloudWatchPrefix) {
		return ServiceCloudWatch, strings.TrimPrefix(r.URL.Path, cloudWatchPrefix)
	}
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, "AmazonSQS.") {
		return ServiceSQS, strings.TrimPrefix(t, "AmazonSQS.")
	}
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, ecs.TargetPrefix) {
		return ServiceECS, strings.TrimPrefix(t, ecs.TargetPrefix)
	}
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, appautoscaling.TargetPrefix) {
		return ServiceAppScaling, strings.TrimPrefix(t, appautoscaling.TargetPrefix)
	}
	// STS speaks awsQuery as Auto Scaling does; AWS tells them apart by
	// host, the emulator (one host) by the signature's service name.
	if sig, ok := parseAuthorization(r.Header.Get("Authorization")); ok && sig.service == "sts" {
		return ServiceSTS, actionOf(r, body)
	}
	return ServiceAutoScaling, actionOf(r, body)
}

// actionOf is the Action of an awsQuery request. awsQuery takes
// parameters from the query string and, for POST, the form body, the query
// string first, as the Auto Scaling service reads them; a request it cannot
// parse has no operation.
func actionOf(r *http.Request, body []byte) string {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return ""
	}
	if a := query.Get("Action"); a != "" {
		return a
	}
	if r.Method != http.MethodPost {
		return ""
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return form.Get("Action")
}

// drawKey identifies a call for a rate draw: identical calls at the same
// clock time are told apart by their count.
type drawKey struct {
	seq  uint64
	call uint64 // hash of service, operation and body
}

// fault returns the first fault matching this call (of account in region)
// now that also passes accept and, for a fault with a Rate, whose draw
// hits; it spends one of the fault's Times.
func (s *Server) fault(service, op, account, region string, body []byte, accept func(*Fault) bool) (Fault, bool) {
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !now.Equal(s.drawsAt) {
		s.draws, s.drawsAt = map[drawKey]uint64{}, now
	}
	var callHash uint64
	for i, f := range s.faults {
		if !f.Withhold && f.Service != "" && f.Service != service {
			continue
		}
		if !f.Withhold && f.Operation != "" && f.Operation != op {
			continue
		}
		if f.Account != "" && f.Account != account || f.Region != "" && f.Region != region {
			continue
		}
		if !f.From.IsZero() && now.Before(f.From) {
			continue
		}
		if !f.Until.IsZero() && !now.Before(f.Until) {
			continue
		}
		if !accept(f) {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 {
			if callHash == 0 {
				h := fnv.New64a()
				_, _ = io.WriteString(h, service+"\x00"+op+"\x00")
				_, _ = h.Write(body)
				callHash = h.Sum64() | 1
			}
			k := drawKey{seq: f.seq, call: callHash}
			n := s.draws[k]
			s.draws[k] = n + 1
			if draw(s.seed, f.seq, callHash, uint64(now.UnixNano()), n) >= f.Rate {
				continue
			}
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

// withholds reports whether a Withhold fault covers namespace.
func (f *Fault) withholds(namespace string) bool {
	return f.Namespace == "" || f.Namespace == namespace
}

// draw is a uniform number in [0, 1) determined by its inputs, mixed with
// SplitMix64's finalizer.
func draw(vals ...uint64) float64 {
	var x uint64 = 0x9e3779b97f4a7c15
	for _, v := range vals {
		x ^= v
		x += 0x9e3779b97f4a7c15
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
		x = (x ^ (x >> 27)) * 0x94d049bb133111eb
		x ^= x >> 31
	}
	return float64(x>>11) / (1 << 53)
}

// PutMetric publishes one datapoint to the default account's CloudWatch in
// Region from Go, as Service.Put does, unless a Withhold fault covers its namespace now; it
// reports whether the datapoint was stored.
func (s *Server) PutMetric(namespace, name string, dims map[string]string, at time.Time, value float64) bool {
	body := []byte(namespace + "\x00" + name)
	if _, ok := s.fault(ServiceCloudWatch, "PutMetricData", DefaultAccount, Region, body, func(f *Fault) bool { return f.Withhold && f.withholds(namespace) }); ok {
		return false
	}
	s.CloudWatch.Put(namespace, name, dims, at, value)
	return true
}

func (s *Server) note(c Call, status int) {
	c.Status = status
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[c.Service+"."+c.Operation]++
	if len(s.calls) >= maxCalls {
		s.calls = append(s.calls[:0], s.calls[len(s.calls)/2:]...)
	}
	s.calls = append(s.calls, c)
}

// isWrite tells writes from reads by the operation's verb, as the AWS APIs
// name them.
func isWrite(op string) bool {
	if op == "" {
		return false
	}
	for _, p := range []string{"Describe", "List", "Get", "Receive"} {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return true
}

// params returns a write's top-level scalar parameters in each protocol:
// awsQuery form fields (query string first, then the body), JSON 1.0 and
// RPC v2 CBOR members. What cannot be parsed yields what could be.
func params(service string, r *http.Request, body []byte) map[string]string {
	out := map[string]string{}
	switch service {
	case ServiceSQS, ServiceECS, ServiceAppScaling:
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			for k, v := range m {
				switch v := v.(type) {
				case string:
					out[k] = v
				case float64, bool:
					out[k] = fmt.Sprint(v)
				}
			}
		}
	case ServiceCloudWatch:
		raw := body
		if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				return out
			}
			raw, err = io.ReadAll(io.LimitReader(zr, maxBody))
			if err != nil {
				return out
			}
		}
		v, err := cbor.Decode(raw)
		if err != nil {
			return out
		}
		m, _ := v.(cbor.Map)
		for k, v := range m {
			switch v := v.(type) {
			case cbor.String:
				out[k] = string(v)
			case cbor.Uint:
				out[k] = strconv.FormatUint(uint64(v), 10)
			case cbor.NegInt:
				out[k] = "-" + strconv.FormatUint(uint64(v), 10)
			case cbor.Float64:
				out[k] = strconv.FormatFloat(float64(v), 'g', -1, 64)
			case cbor.Bool:
				out[k] = strconv.FormatBool(bool(v))
			}
		}
	default:
		// The query string wins over the body, as route reads the action.
		sources := []string{r.URL.RawQuery}
		if r.Method == http.MethodPost {
			sources = []string{string(body), r.URL.RawQuery}
		}
		for _, raw := range sources {
			form, err := url.ParseQuery(raw)
			if err != nil {
				continue
			}
			for k, v := range form {
				if k == "Action" || k == "Version" || len(v) == 0 {
					continue
				}
				out[k] = v[0]
			}
		}
	}
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
