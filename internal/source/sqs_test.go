package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/clock"
	sqsemu "github.com/headroom-dev/headroom/internal/emulator/sqs"
	"github.com/headroom-dev/headroom/internal/testenv"
)

var sqsNow = time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC)

func TestIsQueueURL(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"orders", false},
		{"orders-dlq_1", false},
		{"https://sqs.us-east-1.amazonaws.com/123456789012/orders", true},
		{"http://127.0.0.1:4566/000000000000/orders", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := isQueueURL(tc.in); got != tc.want {
				t.Fatalf("isQueueURL(%q) = %v", tc.in, got)
			}
		})
	}
}

func TestQueueAttributesInput(t *testing.T) {
	in := queueAttributesInput("https://sqs.eu-west-1.amazonaws.com/123456789012/jobs")
	if aws.ToString(in.QueueUrl) != "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs" {
		t.Fatalf("QueueUrl = %q", aws.ToString(in.QueueUrl))
	}
	want := "[ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible ApproximateNumberOfMessagesDelayed]"
	if got := fmt.Sprint(in.AttributeNames); got != want {
		t.Fatalf("AttributeNames = %s, want %s", got, want)
	}
}

func TestParseQueueAttributes(t *testing.T) {
	tests := []struct {
		name    string
		attrs   map[string]string
		want    QueueReading
		wantErr bool
	}{
		{
			name:  "all three",
			attrs: map[string]string{attrVisible: "120", attrInFlight: "7", attrDelayed: "3"},
			want:  QueueReading{Visible: 120, InFlight: 7, Delayed: 3},
		},
		{
			name:  "delayed missing reads as zero",
			attrs: map[string]string{attrVisible: "1", attrInFlight: "0"},
			want:  QueueReading{Visible: 1},
		},
		{
			name:  "large backlog",
			attrs: map[string]string{attrVisible: "2500000", attrInFlight: "120000", attrDelayed: "0"},
			want:  QueueReading{Visible: 2500000, InFlight: 120000},
		},
		{name: "visible missing", attrs: map[string]string{attrInFlight: "0"}, wantErr: true},
		{name: "in flight missing", attrs: map[string]string{attrVisible: "0"}, wantErr: true},
		{name: "not a number", attrs: map[string]string{attrVisible: "many", attrInFlight: "0"}, wantErr: true},
		{name: "negative", attrs: map[string]string{attrVisible: "-1", attrInFlight: "0"}, wantErr: true},
		{name: "fraction", attrs: map[string]string{attrVisible: "1", attrInFlight: "0.5"}, wantErr: true},
		{name: "nil answer", attrs: nil, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseQueueAttributes(tc.attrs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("reading = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestQueueMissing(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"modelled error", fmt.Errorf("wrapped: %w", &sqstypes.QueueDoesNotExist{}), true},
		{"query code", &smithy.GenericAPIError{Code: "AWS.SimpleQueueService.NonExistentQueue"}, true},
		{"throttled", &smithy.GenericAPIError{Code: "RequestThrottled"}, false},
		{"network", errors.New("connection refused"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := queueMissing(tc.err); got != tc.want {
				t.Fatalf("queueMissing = %v, want %v", got, tc.want)
			}
		})
	}
}

// sqsCounter counts SQS operations by name on their way to the server.
type sqsCounter struct {
	inner *http.Client
	mu    sync.Mutex
	ops   map[string]int
}

func (c *sqsCounter) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.ops[r.Header.Get("X-Amz-Target")]++
	c.mu.Unlock()
	return c.inner.Do(r)
}

func (c *sqsCounter) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops["AmazonSQS."+op]
}

// sqsFixture is an SQS endpoint with a client for setting up queues and a
// reader under test.
type sqsFixture struct {
	endpoint string
	client   *sqs.Client
	counter  *sqsCounter
	clk      *clock.Fake
	reader   *SQS
	// recreateWait lets the endpoint accept a queue name again after a
	// DeleteQueue (SQS asks for 60 seconds).
	recreateWait func()
}

func newSQSFixture(endpoint string, clk *clock.Fake, concurrency int) *sqsFixture {
	counter := &sqsCounter{inner: &http.Client{}, ops: map[string]int{}}
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   counter,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.MaxBackoff = time.Millisecond
		}),
	})
	return &sqsFixture{endpoint: endpoint, client: client, counter: counter, clk: clk, reader: NewSQS(client, clk, concurrency), recreateWait: func() {}}
}

// emulatorFixture serves the repository's SQS emulator over HTTP.
func emulatorFixture(t *testing.T, concurrency int) *sqsFixture {
	t.Helper()
	clk := clock.NewFake(sqsNow)
	srv := httptest.NewServer(sqsemu.New(clk, nil))
	t.Cleanup(srv.Close)
	f := newSQSFixture(srv.URL, clk, concurrency)
	f.recreateWait = func() { clk.Advance(time.Minute) }
	return f
}

func (f *sqsFixture) create(t *testing.T, name string) string {
	t.Helper()
	out, err := f.client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func (f *sqsFixture) send(t *testing.T, url string, n int, delay int32) {
	t.Helper()
	for i := range n {
		if _, err := f.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("m%d", i)), DelaySeconds: delay}); err != nil {
			t.Fatalf("send message: %v", err)
		}
	}
}

func (f *sqsFixture) receive(t *testing.T, url string, n int32) {
	t.Helper()
	out, err := f.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: n, VisibilityTimeout: 300})
	if err != nil {
		t.Fatalf("receive message: %v", err)
	}
	if len(out.Messages) != int(n) {
		t.Fatalf("received %d messages, want %d", len(out.Messages), n)
	}
}

// sqsWant is what a reading should hold; missing means the queue does not
// exist and the reading carries that error.
type sqsWant struct {
	visible, inFlight, delayed float64
	missing                    bool
}

// sqsBehaviours run against every SQS endpoint. Each gets a queue-name
// prefix of its own so that they can share an endpoint.
var sqsBehaviours = []struct {
	name string
	// setup creates queues and returns what to read and what to find.
	setup func(t *testing.T, f *sqsFixture, p string) ([]string, map[string]sqsWant)
	// calls is how many GetQueueAttributes calls the read makes.
	calls int
}{
	{
		name: "empty queue",
		setup: func(t *testing.T, f *sqsFixture, p string) ([]string, map[string]sqsWant) {
			f.create(t, p+"empty")
			return []string{p + "empty"}, map[string]sqsWant{p + "empty": {}}
		},
		calls: 1,
	},
	{
		name: "sent messages are visible",
		setup: func(t *testing.T, f *sqsFixture, p string) ([]string, map[string]sqsWant) {
			f.send(t, f.create(t, p+"sent"), 3, 0)
			return []string{p + "sent"}, map[string]sqsWant{p + "sent": {visible: 3}}
		},
		calls: 1,
	},
	{
		name: "received messages are in flight",
		setup: func(t *testing.T, f *sqsFixture, p string) ([]string, map[string]sqsWant) {
			url := f.create(t, p+"recv")
			f.send(t, url, 3, 0)
			f.receive(t, url, 2)
			return []string{p + "recv"}, map[string]sqsWant{p + "recv": {visible: 1, inFlight: 2}}
		},
		calls: 1,
	},
	{
		name: "delayed messages are delayed",
		setup: func(t *testing.T, f *sqsFixture, p string) ([]string, map[string]sqsWant) {
			url := f.create(t, p+"delay")
			f.send(t, url, 2, 600)
			f.send(t, url, 1, 0)
			return []string{p + "delay"}, map[string]sqsWant{p + "delay": {visible: 1, delayed: 2}}
		},
		calls: 1,
	},
	{
		name: "by name and by URL",
		setup: func(t *testing.T, f *sqsFixture, p string) ([]string, map[string]sqsWant) {
			url := f.create(t, p+"both")
			f.send(t, url, 2, 0)
			return []string{p + "both", url}, map[string]sqsWant{p + "both": {visible: 2}, url: {visible: 2}}
		},
		calls: 2,
	},
	{
		name: "duplicates are read once",
		setup: func(t *testing.T, f *sqsFixture, p string) ([]string, map[string]sqsWant) {
			f.send(t, f.create(t, p+"dup"), 1, 0)
			return []string{p + "dup", p + "dup"}, map[string]sqsWant{p + "dup": {visible: 1}}
		},
		calls: 1,
	},
	{
		name: "unknown queues fail alone",
		setup: func(t *testing.T, f *sqsFixture, p string) ([]string, map[string]sqsWant) {
			f.send(t, f.create(t, p+"good"), 1, 0)
			missingURL := f.endpoint + "/000000000000/" + p + "gone-url"
			return []string{p + "gone-name", p + "good", missingURL}, map[string]sqsWant{
				p + "gone-name": {missing: true},
				p + "good":      {visible: 1},
				missingURL:      {missing: true},
			}
		},
		// The unknown name fails at GetQueueUrl.
		calls: 2,
	},
}

// sqsEndpoints returns the endpoints every behaviour must pass on: the
// repository's emulator and fauxqs.
func sqsEndpoints(t *testing.T) map[string]func(t *testing.T) *sqsFixture {
	return map[string]func(t *testing.T) *sqsFixture{
		"emulator": func(t *testing.T) *sqsFixture { return emulatorFixture(t, 4) },
		"fauxqs": func(t *testing.T) *sqsFixture {
			return newSQSFixture(testenv.Fauxqs(t), clock.NewFake(sqsNow), 4)
		},
	}
}

func TestSQSReadWire(t *testing.T) {
	for name, newFixture := range sqsEndpoints(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			for i, tc := range sqsBehaviours {
				t.Run(tc.name, func(t *testing.T) {
					queues, want := tc.setup(t, f, fmt.Sprintf("b%d-", i))
					before := f.counter.count("GetQueueAttributes")
					got := f.reader.Read(context.Background(), queues)
					if calls := f.counter.count("GetQueueAttributes") - before; calls != tc.calls {
						t.Errorf("GetQueueAttributes calls = %d, want %d", calls, tc.calls)
					}
					checkReadings(t, f, got, want)
				})
			}
			t.Run("names are resolved once and forgotten when the queue goes", func(t *testing.T) {
				testNameCache(t, f)
			})
			t.Run("canceled context", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				got := f.reader.Read(ctx, []string{"any-a", "any-b"})
				for q, r := range got {
					if !errors.Is(r.Err, context.Canceled) {
						t.Errorf("queue %s: err = %v, want context.Canceled", q, r.Err)
					}
				}
				if len(got) != 2 {
					t.Fatalf("%d readings, want 2", len(got))
				}
			})
		})
	}
}

func checkReadings(t *testing.T, f *sqsFixture, got map[string]QueueReading, want map[string]sqsWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d readings, want %d: %+v", len(got), len(want), got)
	}
	for q, w := range want {
		r, ok := got[q]
		if !ok {
			t.Errorf("no reading for %s", q)
			continue
		}
		if !r.At.Equal(f.clk.Now()) || !r.ReadAt.Equal(f.clk.Now()) {
			t.Errorf("%s: At %v ReadAt %v, want the clock's %v", q, r.At, r.ReadAt, f.clk.Now())
		}
		if w.missing {
			if !queueMissing(r.Err) {
				t.Errorf("%s: err = %v, want the queue missing", q, r.Err)
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("%s: %v", q, r.Err)
			continue
		}
		if got := (sqsWant{visible: r.Visible, inFlight: r.InFlight, delayed: r.Delayed}); got != w {
			t.Errorf("%s: %+v, want %+v", q, got, w)
		}
	}
}

func testNameCache(t *testing.T, f *sqsFixture) {
	ctx := context.Background()
	url := f.create(t, "cached")
	lookups := func() int { return f.counter.count("GetQueueUrl") }
	start := lookups()

	for i := range 3 {
		if r := f.reader.Read(ctx, []string{"cached"})["cached"]; r.Err != nil {
			t.Fatalf("read %d: %v", i, r.Err)
		}
	}
	if n := lookups() - start; n != 1 {
		t.Fatalf("GetQueueUrl calls for three reads = %d, want 1", n)
	}

	if _, err := f.client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	if r := f.reader.Read(ctx, []string{"cached"})["cached"]; !queueMissing(r.Err) {
		t.Fatalf("read of a deleted queue: err = %v", r.Err)
	}
	f.recreateWait()
	f.send(t, f.create(t, "cached"), 1, 0)
	r := f.reader.Read(ctx, []string{"cached"})["cached"]
	if r.Err != nil || r.Visible != 1 {
		t.Fatalf("read after recreating: %+v", r)
	}
	if n := lookups() - start; n != 2 {
		t.Fatalf("GetQueueUrl calls = %d, want 2 (the entry dropped once)", n)
	}
}

// TestSQSConcurrencyBound holds GetQueueAttributes calls at the server
// until as many as the bound are in flight, so a reader that issues more at
// once, or fewer, shows in the recorded maximum.
func TestSQSConcurrencyBound(t *testing.T) {
	const bound, queues = 3, 9
	clk := clock.NewFake(sqsNow)
	emu := sqsemu.New(clk, nil)
	var (
		mu       sync.Mutex
		inFlight int
		arrived  int
		peak     int
		release  = make(chan struct{})
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AmazonSQS.GetQueueAttributes" {
			emu.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		inFlight++
		arrived++
		peak = max(peak, inFlight)
		wait := release
		if inFlight == bound || arrived == queues {
			close(release)
			release = make(chan struct{})
		}
		mu.Unlock()
		// The deadline only keeps a reader that never reaches the bound
		// from hanging the test; the peak then shows the fault.
		select {
		case <-wait:
		case <-time.After(10 * time.Second):
		}
		// Leave the in-flight count before the client sees the answer, so
		// that the reader's next call cannot overlap this one's count.
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, r)
		mu.Lock()
		inFlight--
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	f := newSQSFixture(srv.URL, clk, bound)
	var names []string
	for i := range queues {
		names = append(names, f.create(t, fmt.Sprintf("c%d", i)))
	}
	got := f.reader.Read(context.Background(), names)
	for q, r := range got {
		if r.Err != nil {
			t.Fatalf("%s: %v", q, r.Err)
		}
	}
	if peak != bound {
		t.Fatalf("peak concurrent calls = %d, want %d", peak, bound)
	}
}
