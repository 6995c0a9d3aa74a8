package sqs_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/sqs"
)

type stats struct {
	visible, inFlight, delayed int
	oldest                     time.Duration
}

func statsOf(t *testing.T, svc *sqs.Service, name string) stats {
	t.Helper()
	v, f, d, age, ok := svc.Stats(name)
	if !ok {
		t.Fatalf("queue %q does not exist", name)
	}
	return stats{v, f, d, age}
}

func TestSimulatorAPI(t *testing.T) {
	type step struct {
		advance time.Duration
		enqueue int
		consume int
		took    int
		hold    int
		release int
		want    stats
	}
	tests := []struct {
		name  string
		attrs map[string]string
		steps []step
	}{
		{
			name: "enqueue and consume oldest first",
			steps: []step{
				{enqueue: 100, want: stats{100, 0, 0, 0}},
				{advance: 10 * time.Second, enqueue: 50, want: stats{150, 0, 0, 10 * time.Second}},
				{advance: 5 * time.Second, consume: 120, took: 120, want: stats{30, 0, 0, 5 * time.Second}},
				{consume: 100, took: 30, want: stats{0, 0, 0, 0}},
				{consume: 5, took: 0, want: stats{}},
			},
		},
		{
			name:  "queue delay",
			attrs: map[string]string{"DelaySeconds": "30"},
			steps: []step{
				{enqueue: 10, want: stats{0, 0, 10, 0}},
				{advance: 10 * time.Second, enqueue: 5, want: stats{0, 0, 15, 0}},
				{advance: 20 * time.Second, consume: 3, took: 3, want: stats{7, 0, 5, 30 * time.Second}},
				{advance: 10 * time.Second, want: stats{12, 0, 0, 40 * time.Second}},
			},
		},
		{
			name:  "retention drops old runs",
			attrs: map[string]string{"MessageRetentionPeriod": "60"},
			steps: []step{
				{enqueue: 10, want: stats{10, 0, 0, 0}},
				{advance: 30 * time.Second, enqueue: 20, want: stats{30, 0, 0, 30 * time.Second}},
				{advance: 30 * time.Second, want: stats{20, 0, 0, 30 * time.Second}},
				{advance: 30 * time.Second, want: stats{}},
			},
		},
		{
			name: "held messages are in flight until released",
			steps: []step{
				{enqueue: 10, want: stats{10, 0, 0, 0}},
				{advance: 5 * time.Second, hold: 4, took: 4, want: stats{6, 4, 0, 5 * time.Second}},
				{advance: time.Hour, want: stats{6, 4, 0, time.Hour + 5*time.Second}},
				{release: 3, took: 3, want: stats{6, 1, 0, time.Hour + 5*time.Second}},
				{release: 5, took: 1, want: stats{6, 0, 0, time.Hour + 5*time.Second}},
				{hold: 20, took: 6, want: stats{0, 6, 0, 0}},
			},
		},
		{
			name: "same instant merges",
			steps: []step{
				{enqueue: 1, want: stats{1, 0, 0, 0}},
				{enqueue: 2, want: stats{3, 0, 0, 0}},
				{consume: 1, took: 1, want: stats{2, 0, 0, 0}},
				{enqueue: 4, want: stats{6, 0, 0, 0}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(start)
			svc := sqs.New(clk, nil)
			if _, err := svc.CreateQueue("q", tc.attrs); err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				clk.Advance(s.advance)
				if s.enqueue > 0 {
					if err := svc.Enqueue("q", s.enqueue); err != nil {
						t.Fatal(err)
					}
				}
				if s.consume > 0 {
					if got := svc.Consume("q", s.consume); got != s.took {
						t.Fatalf("step %d: consumed %d, want %d", i, got, s.took)
					}
				}
				if s.hold > 0 {
					if got := svc.Hold("q", s.hold); got != s.took {
						t.Fatalf("step %d: held %d, want %d", i, got, s.took)
					}
				}
				if s.release > 0 {
					if got := svc.Release("q", s.release); got != s.took {
						t.Fatalf("step %d: released %d, want %d", i, got, s.took)
					}
				}
				if got := statsOf(t, svc, "q"); got != s.want {
					t.Fatalf("step %d: stats %+v, want %+v", i, got, s.want)
				}
			}
		})
	}
}

func TestSimulatorAPIUnknownQueue(t *testing.T) {
	svc := sqs.New(clock.NewFake(start), nil)
	if err := svc.Enqueue("nope", 1); err == nil {
		t.Fatal("enqueue to an unknown queue succeeded")
	}
	if n := svc.Consume("nope", 1); n != 0 {
		t.Fatalf("consumed %d from an unknown queue", n)
	}
	if n := svc.Hold("nope", 1) + svc.Release("nope", 1); n != 0 {
		t.Fatalf("held or released %d messages of an unknown queue", n)
	}
	if _, _, _, _, ok := svc.Stats("nope"); ok {
		t.Fatal("stats of an unknown queue")
	}
	if _, err := svc.CreateQueue("bad name", nil); err == nil {
		t.Fatal("created a queue with an invalid name")
	}
}

// TestBulkMessagesThroughSDK checks that bulk messages behave like sent ones
// for a client: received with a body whose MD5 the SDK verifies, in flight
// until the visibility timeout, then visible again.
func TestBulkMessagesThroughSDK(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "bulk", map[string]string{"VisibilityTimeout": "30"})
	if err := e.svc.Enqueue("bulk", 25); err != nil {
		t.Fatal(err)
	}
	msgs := e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if len(msgs) != 10 {
		t.Fatalf("received %d, want 10", len(msgs))
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		if aws.ToString(m.Body) != sqs.BulkBody {
			t.Fatalf("body = %q", aws.ToString(m.Body))
		}
		ids[aws.ToString(m.MessageId)] = true
	}
	if len(ids) != 10 {
		t.Fatalf("%d distinct message ids, want 10", len(ids))
	}
	if got := e.svc.Consume("bulk", 100); got != 15 {
		t.Fatalf("consumed %d, want the 15 visible", got)
	}
	if got := e.counts(t, url); got != (counts{0, 10, 0}) {
		t.Fatalf("counts = %+v", got)
	}
	if _, err := e.client.DeleteMessage(context.Background(), &awssqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(30 * time.Second)
	if got := e.counts(t, url); got != (counts{9, 0, 0}) {
		t.Fatalf("after the timeout: %+v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "c", nil)
	const workers, rounds = 4, 50
	var wg sync.WaitGroup
	consumed := make([]int, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if err := e.svc.Enqueue("c", 3); err != nil {
					t.Error(err)
					return
				}
				consumed[w] += e.svc.Consume("c", 1)
				if _, err := e.client.SendMessage(context.Background(), &awssqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")}); err != nil {
					t.Error(err)
					return
				}
				e.svc.Stats("c")
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, c := range consumed {
		total += c
	}
	if got, want := statsOf(t, e.svc, "c").visible, workers*rounds*4-total; got != want {
		t.Fatalf("visible = %d, want %d", got, want)
	}
}

// TestLargeBacklogMemory holds 500,000 messages. Enqueued once per simulated
// second they merge into one entry per second; enqueued one by one at
// distinct instants they cost one small entry each.
func TestLargeBacklogMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a large backlog")
	}
	tests := []struct {
		name     string
		calls    int
		perCall  int
		step     time.Duration
		maxBytes uint64
	}{
		{name: "per second", calls: 500, perCall: 1000, step: time.Second, maxBytes: 1 << 20},
		{name: "one by one", calls: 500_000, perCall: 1, step: time.Millisecond, maxBytes: 64 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(start)
			svc := sqs.New(clk, nil)
			if _, err := svc.CreateQueue("big", nil); err != nil {
				t.Fatal(err)
			}
			before := heapInUse()
			for range tc.calls {
				if err := svc.Enqueue("big", tc.perCall); err != nil {
					t.Fatal(err)
				}
				clk.Advance(tc.step)
			}
			grown := heapInUse() - min(before, heapInUse())
			t.Logf("%d messages in %d calls: heap grew %.1f MiB", tc.calls*tc.perCall, tc.calls, float64(grown)/(1<<20))
			if grown > tc.maxBytes {
				t.Fatalf("heap grew %d bytes, want at most %d", grown, tc.maxBytes)
			}
			if got := statsOf(t, svc, "big"); got.visible != 500_000 {
				t.Fatalf("visible = %d", got.visible)
			}
			if got := svc.Consume("big", 1_000_000); got != 500_000 {
				t.Fatalf("consumed %d", got)
			}
			runtime.KeepAlive(svc)
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func BenchmarkEnqueueConsume(b *testing.B) {
	clk := clock.NewFake(start)
	svc := sqs.New(clk, nil)
	if _, err := svc.CreateQueue("bench", nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := svc.Enqueue("bench", 100); err != nil {
			b.Fatal(err)
		}
		clk.Advance(time.Millisecond)
		svc.Consume("bench", 90)
		svc.Stats("bench")
	}
}
