package intake

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// fleet is one described group.
type fleet struct{}

func (fleet) Views() []controller.GroupView {
	return []controller.GroupView{{Name: "workers", ASG: "workers-asg", Min: 1, Max: 50, ASGMin: 1, ASGMax: 50, Known: true, Lead: time.Minute}}
}
func (f fleet) View(name string) (controller.GroupView, bool) { return f.Views()[0], name == "workers" }
func (fleet) Preview(context.Context, string, controller.Preview) (controller.Record, error) {
	return controller.Record{}, controller.ErrNotDescribed
}

// world is a queue in the emulator, an API over a bolt store, and an
// intake between them.
type world struct {
	emu   *emulator.Server
	sqs   *sqs.Client
	url   string
	store store.Store
	clk   *clock.Fake
	api   *api.CampaignIntake
	count *prometheus.CounterVec
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clk := clock.NewFake(t0)
	emu := emulator.StartTest(t, clk)
	client := sqs.NewFromConfig(emu.AWSConfig())
	q, err := client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("campaigns")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(t.TempDir(), "headroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ci, err := api.NewCampaignIntake(api.Options{Store: st, Fleet: fleet{}, Clock: clk, CampaignCosts: map[string]float64{"workers": 0.3},
		Tokens: []api.Token{{Name: "x", Role: api.RoleViewer, SHA256: sha256.Sum256([]byte("x"))}}})
	if err != nil {
		t.Fatal(err)
	}
	count := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_campaign_messages_total"}, []string{"result"})
	return &world{emu: emu, sqs: client, url: aws.ToString(q.QueueUrl), store: st, clk: clk, api: ci, count: count}
}

func (w *world) send(t *testing.T, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := w.sqs.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(w.url), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
}

// onQueue is visible plus in-flight messages.
func (w *world) onQueue(t *testing.T) int {
	t.Helper()
	out, err := w.sqs.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(w.url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"} {
		v, _ := strconv.Atoi(out.Attributes[k])
		n += v
	}
	return n
}

func (w *world) intake(t *testing.T, c Creator, leader func() bool) *Intake {
	t.Helper()
	in, err := New(Options{QueueURL: w.url, SQS: w.sqs, Creator: c, Leader: leader, Wait: -1, Messages: w.count, Clock: w.clk})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

const good = `{"name":"winter rewards","groups":["workers"],"start":"2026-12-02T09:00:00Z","audience":50000}`

func TestPollCreatesAndDeletes(t *testing.T) {
	w := newWorld(t)
	w.send(t, good, `{"name":"n","groups":["workers"],"start":"2026-12-02T09:00:00Z"}`, `not json`)
	in := w.intake(t, w.api, func() bool { return true })
	counts, err := in.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if counts[ResultCreated] != 1 || counts[ResultRejected] != 2 {
		t.Errorf("results %v, want 1 created and 2 rejected", counts)
	}
	if n := w.onQueue(t); n != 0 {
		t.Errorf("%d messages left on the queue, want 0", n)
	}
	bs, _ := w.store.ListBoosts(t.Context())
	if len(bs) != 1 || bs[0].CreatedBy != DefaultActor || bs[0].Campaign == nil || bs[0].Campaign.Audience != 50000 {
		t.Errorf("boosts %+v", bs)
	}
	if n := w.emu.Count("SQS", "ReceiveMessage"); n != 1 {
		t.Errorf("%d receives counted, want 1", n)
	}
	if got := testutil.ToFloat64(w.count.WithLabelValues(ResultRejected)); got != 2 {
		t.Errorf("rejected counter %g, want 2", got)
	}
}

// creatorFunc is a Creator from a function.
type creatorFunc func(ctx context.Context, actor, key string, body []byte) (int, []byte)

func (f creatorFunc) Create(ctx context.Context, actor, key string, body []byte) (int, []byte) {
	return f(ctx, actor, key, body)
}

// TestStoreDownLeavesTheMessage: a campaign that could not be stored
// stays on the queue, and its redelivery (same message id, the
// idempotency key) creates it once.
func TestStoreDownLeavesTheMessage(t *testing.T) {
	w := newWorld(t)
	w.send(t, good)
	var mu sync.Mutex
	down := true
	var keys []string
	c := creatorFunc(func(ctx context.Context, actor, key string, body []byte) (int, []byte) {
		mu.Lock()
		keys = append(keys, key)
		d := down
		mu.Unlock()
		if d {
			return 503, []byte(`{"status":503,"detail":"the state store is unavailable; retry later"}`)
		}
		return w.api.Create(ctx, actor, key, body)
	})
	in := w.intake(t, c, func() bool { return true })
	if counts, err := in.Poll(t.Context()); err != nil || counts[ResultRetry] != 1 {
		t.Fatalf("results %v (%v), want 1 retry", counts, err)
	}
	if n := w.onQueue(t); n != 1 {
		t.Fatalf("%d messages on the queue, want the one left for a retry", n)
	}
	// After the visibility timeout the message comes back.
	w.clk.Advance(31 * time.Second)
	mu.Lock()
	down = false
	mu.Unlock()
	if counts, err := in.Poll(t.Context()); err != nil || counts[ResultCreated] != 1 {
		t.Fatalf("results %v (%v), want 1 created", counts, err)
	}
	if len(keys) != 2 || keys[0] != keys[1] {
		t.Errorf("idempotency keys %v: want the message id twice", keys)
	}
	if n := w.onQueue(t); n != 0 {
		t.Errorf("%d messages left", n)
	}
}

func TestOnlyTheLeaderPolls(t *testing.T) {
	w := newWorld(t)
	w.send(t, good)
	in := w.intake(t, w.api, func() bool { return false })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	if err := w.clk.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if n := w.emu.Count("SQS", "ReceiveMessage"); n != 0 {
		t.Errorf("a follower received %d times", n)
	}
	if n := w.onQueue(t); n != 1 {
		t.Errorf("%d messages on the queue, want 1", n)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{
		{201, ResultCreated}, {400, ResultRejected}, {409, ResultRejected}, {413, ResultRejected}, {422, ResultRejected},
		{429, ResultRetry}, {500, ResultRetry}, {503, ResultRetry}, {200, ResultRetry},
	} {
		if got := classify(tc.status); got != tc.want {
			t.Errorf("classify(%d) = %s, want %s", tc.status, got, tc.want)
		}
	}
}

// TestIdleQueuePauses: after an empty receive the leader waits Backoff
// before the next, so an idle queue is not received from in a loop.
func TestIdleQueuePauses(t *testing.T) {
	w := newWorld(t)
	in := w.intake(t, w.api, func() bool { return true })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for want := 1; want <= 2; want++ {
		if err := w.clk.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if n := w.emu.Count("SQS", "ReceiveMessage"); n != want {
			t.Fatalf("%d receives while paused, want %d", n, want)
		}
		w.clk.Advance(DefaultBackoff)
	}
}

// TestLeaseLostDuringThePoll: messages received by a replica that lost
// the lease while it waited go back to the queue, uncreated.
func TestLeaseLostDuringThePoll(t *testing.T) {
	w := newWorld(t)
	w.send(t, good)
	in := w.intake(t, w.api, func() bool { return false })
	counts, err := in.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 0 {
		t.Errorf("results %v, want none", counts)
	}
	if n := w.emu.Count("SQS", "ReceiveMessage"); n != 1 {
		t.Errorf("%d receives, want 1", n)
	}
	if n := w.onQueue(t); n != 1 {
		t.Errorf("%d messages on the queue, want 1 (left for the leader)", n)
	}
	if bs, _ := w.store.ListBoosts(t.Context()); len(bs) != 0 {
		t.Errorf("boosts %+v, want none", bs)
	}
}
