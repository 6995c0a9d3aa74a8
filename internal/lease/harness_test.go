package lease

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
	"github.com/headroom-dev/headroom/internal/telemetry"
	"github.com/headroom-dev/headroom/internal/testenv"
)

// t0 is where every test's fake clock starts.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// waitFor bounds how long a test waits for a goroutine on the fake clock to
// catch up; it is a failure deadline, not a timing assertion.
const waitFor = 10 * time.Second

// opener returns a fresh, empty store for one test.
type opener func(t *testing.T) store.Store

// forEachStore runs fn against bbolt in a temporary directory and against
// the DynamoDB store on dynalite.
func forEachStore(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Helper()
	t.Run("bolt", func(t *testing.T) {
		fn(t, func(t *testing.T) store.Store {
			t.Helper()
			s, err := bolt.Open(filepath.Join(t.TempDir(), "headroom.db"))
			if err != nil {
				t.Fatalf("open bolt store: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		})
	})
	t.Run("dynamo", func(t *testing.T) {
		client := dynamoClient(t, testenv.Dynalite(t))
		fn(t, func(t *testing.T) store.Store {
			t.Helper()
			name := "headroom-lease-" + strconv.FormatInt(tableSeq.Add(1), 10)
			s := dynamo.New(client, name)
			if err := s.CreateTable(context.Background()); err != nil {
				t.Fatalf("create table %q: %v", name, err)
			}
			return s
		})
	})
}

var tableSeq atomic.Int64

// dynamoClient returns a DynamoDB client for endpoint with test
// credentials and two attempts, so error paths stay quick.
func dynamoClient(t *testing.T, endpoint string) *dynamodb.Client {
	t.Helper()
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.MaxBackoff = 10 * time.Millisecond
		}),
	})
}

// errStoreDown is what a faulty store answers while down.
var errStoreDown = errors.New("store unavailable")

// faulty wraps a store; while down, every call fails as a store that is
// unreachable or throttling would.
type faulty struct {
	Store
	mu   sync.Mutex
	down bool
}

func (f *faulty) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *faulty) isDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

func (f *faulty) AcquireLease(ctx context.Context, holder, nonce string, ttl time.Duration, now time.Time) (store.Lease, error) {
	if f.isDown() {
		return store.Lease{}, errStoreDown
	}
	return f.Store.AcquireLease(ctx, holder, nonce, ttl, now)
}

func (f *faulty) ReleaseLease(ctx context.Context, l store.Lease) error {
	if f.isDown() {
		return errStoreDown
	}
	return f.Store.ReleaseLease(ctx, l)
}

// skewed is a clock that reads off ahead of the clock it wraps (behind when
// off is negative); timers and tickers run at the same rate.
type skewed struct {
	clock.Clock
	off time.Duration
}

func (s skewed) Now() time.Time                  { return s.Clock.Now().Add(s.off) }
func (s skewed) Since(t time.Time) time.Duration { return s.Now().Sub(t) }
func (s skewed) Until(t time.Time) time.Duration { return t.Sub(s.Now()) }

// newElector returns an Elector with its own metrics and the default
// timings (TTL 15 s, renewals every 5 s, margin 5 s) unless o says others.
func newElector(t *testing.T, st Store, holder string, clk clock.Clock, o Options) (*Elector, *telemetry.Metrics) {
	t.Helper()
	m := telemetry.NewMetrics()
	o.Metrics = m
	e, err := New(st, holder, clk, o)
	if err != nil {
		t.Fatalf("new elector %q: %v", holder, err)
	}
	return e, m
}

// running is an Elector's Run in a goroutine.
type running struct {
	stop context.CancelFunc
	done chan struct{}
	err  error
}

// start runs e until the test ends or stop is called, and waits for its
// first attempt.
func start(t *testing.T, e *Elector) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stop: cancel, done: make(chan struct{})}
	before := e.cycles.Load()
	go func() {
		r.err = e.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	waitCycles(t, e, before+1)
	return r
}

// wait waits for Run to return and checks it returned nil.
func (r *running) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
		if r.err != nil {
			t.Fatalf("Run returned %v, want nil", r.err)
		}
	case <-time.After(waitFor):
		t.Fatal("Run did not return")
	}
}

// waitCycles waits until Run has finished n ticks in all.
func waitCycles(t *testing.T, e *Elector, n int64) {
	t.Helper()
	poll(t, func() bool { return e.cycles.Load() >= n }, "elector %q to finish tick %d (at %d)", e.holder, n, e.cycles.Load())
}

// tick advances clk by d and waits for each elector's Run to finish the
// tick that fires.
func tick(t *testing.T, clk *clock.Fake, d time.Duration, es ...*Elector) {
	t.Helper()
	want := make([]int64, len(es))
	for i, e := range es {
		want[i] = e.cycles.Load() + 1
	}
	clk.Advance(d)
	for i, e := range es {
		waitCycles(t, e, want[i])
	}
}

// poll waits until cond holds, failing the test after waitFor.
func poll(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.After(waitFor)
	every := time.NewTicker(time.Millisecond)
	defer every.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for "+format, args...)
		case <-every.C:
		}
	}
}

// waitDone waits until ctx is cancelled.
func waitDone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(waitFor):
		t.Fatalf("%s: context not cancelled", what)
	}
}

// renewals returns e's count of attempts with result.
func renewals(m *telemetry.Metrics, result string) float64 {
	return testutil.ToFloat64(m.LeaseRenewals.WithLabelValues(result))
}

// transitions returns e's count of transitions to role.
func transitions(m *telemetry.Metrics, to string) float64 {
	return testutil.ToFloat64(m.LeaseTransitions.WithLabelValues(to))
}

// mustTerm returns e's token, failing unless e leads.
func mustTerm(t *testing.T, e *Elector) int64 {
	t.Helper()
	tok, ok := e.Term()
	if !ok || !e.Leader() {
		t.Fatalf("%q: Leader() = %v, Term() ok = %v; want leading", e.holder, e.Leader(), ok)
	}
	return tok
}
