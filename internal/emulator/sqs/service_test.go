package sqs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/sqs"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type env struct {
	svc    *sqs.Service
	clk    *clock.Fake
	client *awssqs.Client
	url    string
}

// newEnv serves a fresh emulator over real HTTP and returns an SDK client
// pointed at it.
func newEnv(t *testing.T) *env {
	t.Helper()
	clk := clock.NewFake(start)
	var srv *httptest.Server
	svc := sqs.New(clk, func() string { return srv.URL })
	srv = httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return &env{svc: svc, clk: clk, client: newClient(srv.URL), url: srv.URL}
}

func newClient(endpoint string) *awssqs.Client {
	return awssqs.New(awssqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.MaxBackoff = time.Millisecond
		}),
	})
}

func (e *env) create(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.client.CreateQueue(context.Background(), &awssqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func (e *env) send(t *testing.T, url, body string, delay int32) *awssqs.SendMessageOutput {
	t.Helper()
	out, err := e.client.SendMessage(context.Background(), &awssqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), DelaySeconds: delay})
	if err != nil {
		t.Fatalf("send message: %v", err)
	}
	return out
}

func (e *env) receive(t *testing.T, in *awssqs.ReceiveMessageInput) []types.Message {
	t.Helper()
	out, err := e.client.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("receive message: %v", err)
	}
	return out.Messages
}

type counts struct{ visible, inFlight, delayed int }

func (e *env) counts(t *testing.T, url string) counts {
	t.Helper()
	out, err := e.client.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		t.Fatalf("get queue attributes: %v", err)
	}
	n := func(k string) int {
		v, err := strconv.Atoi(out.Attributes[k])
		if err != nil {
			t.Fatalf("attribute %s = %q: %v", k, out.Attributes[k], err)
		}
		return v
	}
	return counts{n("ApproximateNumberOfMessages"), n("ApproximateNumberOfMessagesNotVisible"), n("ApproximateNumberOfMessagesDelayed")}
}

// wantErr checks that err is an API error with the given query code, and of
// type T when T is a modelled error.
func wantErr[T error](t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("error %v is not a %T", err, typed)
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("error %v is not an API error", err)
	}
	if api.ErrorCode() != code {
		t.Fatalf("error code = %q, want %q (%v)", api.ErrorCode(), code, err)
	}
}

func TestQueueLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	url := e.create(t, "orders", map[string]string{"VisibilityTimeout": "60"})
	if want := e.url + "/000000000000/orders"; url != want {
		t.Fatalf("queue url = %q, want %q", url, want)
	}

	t.Run("create again with same attributes returns the queue", func(t *testing.T) {
		if got := e.create(t, "orders", map[string]string{"VisibilityTimeout": "60"}); got != url {
			t.Fatalf("url = %q, want %q", got, url)
		}
		if got := e.create(t, "orders", nil); got != url {
			t.Fatalf("url without attributes = %q, want %q", got, url)
		}
	})
	t.Run("create again with different attributes fails", func(t *testing.T) {
		_, err := e.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "30"}})
		wantErr[*types.QueueNameExists](t, err, "QueueAlreadyExists")
	})
	t.Run("get queue url", func(t *testing.T) {
		out, err := e.client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String("orders")})
		if err != nil || aws.ToString(out.QueueUrl) != url {
			t.Fatalf("GetQueueUrl = %v, %v; want %s", out, err, url)
		}
		_, err = e.client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String("missing")})
		wantErr[*types.QueueDoesNotExist](t, err, "AWS.SimpleQueueService.NonExistentQueue")
		_, err = e.client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String("orders"), QueueOwnerAWSAccountId: aws.String("111122223333")})
		wantErr[*types.QueueDoesNotExist](t, err, "AWS.SimpleQueueService.NonExistentQueue")
	})
	t.Run("attributes", func(t *testing.T) {
		out, err := e.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"VisibilityTimeout":      "60",
			"DelaySeconds":           "0",
			"MessageRetentionPeriod": "345600",
			"MaximumMessageSize":     "1048576",
			"QueueArn":               "arn:aws:sqs:us-east-1:000000000000:orders",
			"CreatedTimestamp":       strconv.FormatInt(start.Unix(), 10),
		}
		for k, v := range want {
			if out.Attributes[k] != v {
				t.Errorf("attribute %s = %q, want %q", k, out.Attributes[k], v)
			}
		}
		_, err = e.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"NoSuchAttribute"}})
		wantErr[*types.InvalidAttributeName](t, err, "InvalidAttributeName")
	})
	t.Run("set attributes", func(t *testing.T) {
		if _, err := e.client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"DelaySeconds": "5"}}); err != nil {
			t.Fatal(err)
		}
		out, err := e.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameDelaySeconds}})
		if err != nil || out.Attributes["DelaySeconds"] != "5" || len(out.Attributes) != 1 {
			t.Fatalf("attributes = %v, %v; want DelaySeconds 5 only", out, err)
		}
	})
	t.Run("delete then recreate waits 60 seconds", func(t *testing.T) {
		if _, err := e.client.DeleteQueue(ctx, &awssqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Fatal(err)
		}
		_, err := e.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(url)})
		wantErr[*types.QueueDoesNotExist](t, err, "AWS.SimpleQueueService.NonExistentQueue")
		_, err = e.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("orders")})
		wantErr[*types.QueueDeletedRecently](t, err, "AWS.SimpleQueueService.QueueDeletedRecently")
		e.clk.Advance(time.Minute)
		e.create(t, "orders", nil)
	})
}

func TestListQueues(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, n := range []string{"a-1", "a-2", "a-3", "b-1"} {
		e.create(t, n, nil)
	}
	tests := []struct {
		name   string
		prefix string
		max    int32
		want   []string
	}{
		{name: "all", want: []string{"a-1", "a-2", "a-3", "b-1"}},
		{name: "prefix", prefix: "a-", want: []string{"a-1", "a-2", "a-3"}},
		{name: "paged", prefix: "a-", max: 2, want: []string{"a-1", "a-2", "a-3"}},
		{name: "page of one", max: 1, want: []string{"a-1", "a-2", "a-3", "b-1"}},
		{name: "no match", prefix: "z", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &awssqs.ListQueuesInput{}
			if tc.prefix != "" {
				in.QueueNamePrefix = aws.String(tc.prefix)
			}
			if tc.max > 0 {
				in.MaxResults = aws.Int32(tc.max)
			}
			var got []string
			pages := 0
			p := awssqs.NewListQueuesPaginator(e.client, in)
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if tc.max > 0 && len(out.QueueUrls) > int(tc.max) {
					t.Fatalf("page of %d, want at most %d", len(out.QueueUrls), tc.max)
				}
				for _, u := range out.QueueUrls {
					got = append(got, u[strings.LastIndex(u, "/")+1:])
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("queues = %v, want %v", got, tc.want)
			}
			if tc.max > 0 && pages < len(tc.want)/int(tc.max) {
				t.Fatalf("%d pages for %d queues of max %d", pages, len(tc.want), tc.max)
			}
		})
	}
	t.Run("max results out of range", func(t *testing.T) {
		_, err := e.client.ListQueues(ctx, &awssqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
		wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
	})
}

func TestCreateQueueErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		queue string
		attrs map[string]string
		check func(t *testing.T, err error)
	}{
		{"visibility too long", "q1", map[string]string{"VisibilityTimeout": "43201"}, func(t *testing.T, err error) {
			wantErr[*types.InvalidAttributeValue](t, err, "InvalidAttributeValue")
		}},
		{"delay not a number", "q2", map[string]string{"DelaySeconds": "soon"}, func(t *testing.T, err error) {
			wantErr[*types.InvalidAttributeValue](t, err, "InvalidAttributeValue")
		}},
		{"retention too short", "q3", map[string]string{"MessageRetentionPeriod": "59"}, func(t *testing.T, err error) {
			wantErr[*types.InvalidAttributeValue](t, err, "InvalidAttributeValue")
		}},
		{"unknown attribute", "q4", map[string]string{"Colour": "blue"}, func(t *testing.T, err error) {
			wantErr[*types.InvalidAttributeName](t, err, "InvalidAttributeName")
		}},
		{"read-only attribute", "q5", map[string]string{"QueueArn": "arn"}, func(t *testing.T, err error) {
			wantErr[*types.InvalidAttributeName](t, err, "InvalidAttributeName")
		}},
		{"bad name", "has space", nil, func(t *testing.T, err error) {
			wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
		}},
		{"name too long", strings.Repeat("q", 81), nil, func(t *testing.T, err error) {
			wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
		}},
		{"fifo", "jobs.fifo", map[string]string{"FifoQueue": "true"}, func(t *testing.T, err error) {
			wantErr[*types.UnsupportedOperation](t, err, "AWS.SimpleQueueService.UnsupportedOperation")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.CreateQueue(context.Background(), &awssqs.CreateQueueInput{QueueName: aws.String(tc.queue), Attributes: tc.attrs})
			tc.check(t, err)
			if _, _, _, _, ok := e.svc.Stats(tc.queue); ok {
				t.Fatalf("queue %q exists after a failed create", tc.queue)
			}
		})
	}
}

func TestMessageLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	url := e.create(t, "work", map[string]string{"VisibilityTimeout": "30"})

	sent := e.send(t, url, "hello", 0)
	if aws.ToString(sent.MD5OfMessageBody) != "5d41402abc4b2a76b9719d911017c592" {
		t.Fatalf("MD5OfMessageBody = %s", aws.ToString(sent.MD5OfMessageBody))
	}
	if got := e.counts(t, url); got != (counts{1, 0, 0}) {
		t.Fatalf("after send: %+v", got)
	}

	e.clk.Advance(2 * time.Second)
	msgs := e.receive(t, &awssqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         10,
		WaitTimeSeconds:             20,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "hello" || aws.ToString(msgs[0].MessageId) != aws.ToString(sent.MessageId) {
		t.Fatalf("received %+v", msgs)
	}
	first := msgs[0]
	wantAttrs := map[string]string{
		"ApproximateReceiveCount":          "1",
		"SentTimestamp":                    strconv.FormatInt(start.UnixMilli(), 10),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(start.Add(2*time.Second).UnixMilli(), 10),
		"SenderId":                         "000000000000",
	}
	for k, v := range wantAttrs {
		if first.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, first.Attributes[k], v)
		}
	}
	if got := e.counts(t, url); got != (counts{0, 1, 0}) {
		t.Fatalf("after receive: %+v", got)
	}
	if again := e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20}); len(again) != 0 {
		t.Fatalf("received an in-flight message: %+v", again)
	}

	e.clk.Advance(29 * time.Second)
	if got := e.counts(t, url); got != (counts{0, 1, 0}) {
		t.Fatalf("1s before the timeout: %+v", got)
	}
	e.clk.Advance(time.Second)
	if got := e.counts(t, url); got != (counts{1, 0, 0}) {
		t.Fatalf("after the timeout: %+v", got)
	}

	msgs = e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 100, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
	if len(msgs) != 1 || msgs[0].Attributes["ApproximateReceiveCount"] != "2" || len(msgs[0].Attributes) != 1 {
		t.Fatalf("second receive: %+v", msgs)
	}
	second := msgs[0]

	t.Run("stale receipt handle deletes nothing", func(t *testing.T) {
		if _, err := e.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
		if got := e.counts(t, url); got != (counts{0, 1, 0}) {
			t.Fatalf("after stale delete: %+v", got)
		}
	})
	t.Run("request visibility timeout applies", func(t *testing.T) {
		e.clk.Advance(99 * time.Second)
		if got := e.counts(t, url); got != (counts{0, 1, 0}) {
			t.Fatalf("before 100s: %+v", got)
		}
	})
	t.Run("invalid receipt handle", func(t *testing.T) {
		_, err := e.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("not-a-handle!")})
		wantErr[*types.ReceiptHandleIsInvalid](t, err, "ReceiptHandleIsInvalid")
	})
	t.Run("delete with the latest handle", func(t *testing.T) {
		if _, err := e.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: second.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
		if got := e.counts(t, url); got != (counts{0, 0, 0}) {
			t.Fatalf("after delete: %+v", got)
		}
		if _, err := e.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: second.ReceiptHandle}); err != nil {
			t.Fatalf("second delete of the same handle: %v", err)
		}
	})
}

func TestDelay(t *testing.T) {
	tests := []struct {
		name       string
		queueDelay string
		msgDelay   int32
		visibleIn  time.Duration
	}{
		{name: "message delay", queueDelay: "0", msgDelay: 45, visibleIn: 45 * time.Second},
		{name: "queue delay", queueDelay: "20", visibleIn: 20 * time.Second},
		{name: "message delay overrides queue delay", queueDelay: "20", msgDelay: 900, visibleIn: 900 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			url := e.create(t, "d", map[string]string{"DelaySeconds": tc.queueDelay})
			e.send(t, url, "later", tc.msgDelay)
			if got := e.counts(t, url); got != (counts{0, 0, 1}) {
				t.Fatalf("after send: %+v", got)
			}
			if msgs := e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url)}); len(msgs) != 0 {
				t.Fatalf("received a delayed message")
			}
			e.clk.Advance(tc.visibleIn - time.Second)
			if got := e.counts(t, url); got != (counts{0, 0, 1}) {
				t.Fatalf("1s early: %+v", got)
			}
			e.clk.Advance(time.Second)
			if got := e.counts(t, url); got != (counts{1, 0, 0}) {
				t.Fatalf("on time: %+v", got)
			}
		})
	}
	t.Run("delay out of range", func(t *testing.T) {
		e := newEnv(t)
		url := e.create(t, "d", nil)
		_, err := e.client.SendMessage(context.Background(), &awssqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), DelaySeconds: 901})
		wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
	})
}

func TestRetention(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "r", map[string]string{"MessageRetentionPeriod": "60", "VisibilityTimeout": "10"})
	e.send(t, url, "old", 0)
	e.clk.Advance(30 * time.Second)
	e.send(t, url, "young", 0)
	if err := e.svc.Enqueue("r", 5); err != nil {
		t.Fatal(err)
	}
	e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url)}) // "old" goes in flight
	if got := e.counts(t, url); got != (counts{6, 1, 0}) {
		t.Fatalf("before expiry: %+v", got)
	}
	e.clk.Advance(30 * time.Second)
	if got := e.counts(t, url); got != (counts{6, 0, 0}) {
		t.Fatalf("after the first message's retention: %+v", got)
	}
	e.clk.Advance(30 * time.Second)
	if got := e.counts(t, url); got != (counts{0, 0, 0}) {
		t.Fatalf("after all retention periods: %+v", got)
	}
}

func TestChangeMessageVisibility(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	url := e.create(t, "v", nil)
	e.send(t, url, "one", 0)
	msgs := e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if len(msgs) != 1 {
		t.Fatalf("received %d messages", len(msgs))
	}
	h := msgs[0].ReceiptHandle

	tests := []struct {
		name    string
		handle  *string
		timeout int32
		advance time.Duration
		want    counts
		check   func(t *testing.T, err error)
	}{
		{name: "extend", handle: h, timeout: 300, advance: 299 * time.Second, want: counts{0, 1, 0}},
		{name: "release", handle: h, timeout: 0, want: counts{1, 0, 0}},
		{name: "not in flight", handle: h, timeout: 10, want: counts{1, 0, 0}, check: func(t *testing.T, err error) {
			wantErr[*types.MessageNotInflight](t, err, "AWS.SimpleQueueService.MessageNotInflight")
		}},
		{name: "invalid handle", handle: aws.String("x"), timeout: 10, want: counts{1, 0, 0}, check: func(t *testing.T, err error) {
			wantErr[*types.ReceiptHandleIsInvalid](t, err, "ReceiptHandleIsInvalid")
		}},
		{name: "timeout out of range", handle: h, timeout: 43201, want: counts{1, 0, 0}, check: func(t *testing.T, err error) {
			wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: tc.handle, VisibilityTimeout: tc.timeout})
			if tc.check != nil {
				tc.check(t, err)
			} else if err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(tc.advance)
			if got := e.counts(t, url); got != tc.want {
				t.Fatalf("counts = %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("beyond 12 hours from receipt", func(t *testing.T) {
		msgs := e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 43200})
		e.clk.Advance(time.Hour)
		_, err := e.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 43200})
		wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
	})
}

func TestBatches(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	url := e.create(t, "b", nil)
	entries := func(n int) []types.SendMessageBatchRequestEntry {
		var out []types.SendMessageBatchRequestEntry
		for i := range n {
			out = append(out, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("m%d", i)), MessageBody: aws.String(fmt.Sprintf("body %d", i))})
		}
		return out
	}

	errTests := []struct {
		name    string
		entries []types.SendMessageBatchRequestEntry
		check   func(t *testing.T, err error)
	}{
		{"too many", entries(11), func(t *testing.T, err error) {
			wantErr[*types.TooManyEntriesInBatchRequest](t, err, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
		}},
		{"empty", []types.SendMessageBatchRequestEntry{}, func(t *testing.T, err error) {
			wantErr[*types.EmptyBatchRequest](t, err, "AWS.SimpleQueueService.EmptyBatchRequest")
		}},
		{"repeated id", append(entries(2), entries(1)...), func(t *testing.T, err error) {
			wantErr[*types.BatchEntryIdsNotDistinct](t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
		}},
		{"bad id", []types.SendMessageBatchRequestEntry{{Id: aws.String("a.b"), MessageBody: aws.String("x")}}, func(t *testing.T, err error) {
			wantErr[*types.InvalidBatchEntryId](t, err, "AWS.SimpleQueueService.InvalidBatchEntryId")
		}},
		{"too long in total", []types.SendMessageBatchRequestEntry{
			{Id: aws.String("a"), MessageBody: aws.String(strings.Repeat("a", 600_000))},
			{Id: aws.String("b"), MessageBody: aws.String(strings.Repeat("b", 600_000))},
		}, func(t *testing.T, err error) {
			wantErr[*types.BatchRequestTooLong](t, err, "AWS.SimpleQueueService.BatchRequestTooLong")
		}},
	}
	for _, tc := range errTests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: tc.entries})
			tc.check(t, err)
			if got := e.counts(t, url); got != (counts{}) {
				t.Fatalf("a failed batch left messages: %+v", got)
			}
		})
	}

	t.Run("partial failure", func(t *testing.T) {
		in := entries(3)
		in[1].MessageBody = aws.String("bad \x01 char")
		in[2].DelaySeconds = 10
		out, err := e.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: in})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 2 || len(out.Failed) != 1 {
			t.Fatalf("successful %d, failed %d", len(out.Successful), len(out.Failed))
		}
		f := out.Failed[0]
		if aws.ToString(f.Id) != "m1" || aws.ToString(f.Code) != "InvalidMessageContents" || !f.SenderFault {
			t.Fatalf("failure = %+v", f)
		}
		if got := e.counts(t, url); got != (counts{1, 0, 1}) {
			t.Fatalf("counts = %+v", got)
		}
	})
	t.Run("delete batch", func(t *testing.T) {
		e.clk.Advance(10 * time.Second)
		msgs := e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if len(msgs) != 2 {
			t.Fatalf("received %d, want 2", len(msgs))
		}
		out, err := e.client.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
			{Id: aws.String("a"), ReceiptHandle: msgs[0].ReceiptHandle},
			{Id: aws.String("b"), ReceiptHandle: aws.String("garbage")},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 1 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "ReceiptHandleIsInvalid" {
			t.Fatalf("delete batch = %+v", out)
		}
		if got := e.counts(t, url); got != (counts{0, 1, 0}) {
			t.Fatalf("counts = %+v", got)
		}
	})
	t.Run("change visibility batch", func(t *testing.T) {
		msgs := e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if len(msgs) != 0 {
			t.Fatalf("received an in-flight message")
		}
		e.clk.Advance(30 * time.Second)
		msgs = e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if len(msgs) != 1 {
			t.Fatalf("received %d, want 1", len(msgs))
		}
		out, err := e.client.ChangeMessageVisibilityBatch(ctx, &awssqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
			{Id: aws.String("a"), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0},
		}})
		if err != nil || len(out.Successful) != 1 {
			t.Fatalf("change visibility batch = %+v, %v", out, err)
		}
		if got := e.counts(t, url); got != (counts{1, 0, 0}) {
			t.Fatalf("counts = %+v", got)
		}
	})
}

func TestSendValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	url := e.create(t, "s", map[string]string{"MaximumMessageSize": "1024"})
	tests := []struct {
		name  string
		in    *awssqs.SendMessageInput
		check func(t *testing.T, err error)
	}{
		{"too large", &awssqs.SendMessageInput{MessageBody: aws.String(strings.Repeat("x", 1025))}, func(t *testing.T, err error) {
			wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
		}},
		{"invalid character", &awssqs.SendMessageInput{MessageBody: aws.String("\x00")}, func(t *testing.T, err error) {
			wantErr[*types.InvalidMessageContents](t, err, "InvalidMessageContents")
		}},
		{"reserved attribute name", &awssqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"AWS.trace": {DataType: aws.String("String"), StringValue: aws.String("v")},
		}}, func(t *testing.T, err error) {
			wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
		}},
		{"number attribute not a number", &awssqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("ten")},
		}}, func(t *testing.T, err error) {
			wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
		}},
		{"unknown queue", &awssqs.SendMessageInput{QueueUrl: aws.String(e.url + "/000000000000/nope"), MessageBody: aws.String("x")}, func(t *testing.T, err error) {
			wantErr[*types.QueueDoesNotExist](t, err, "AWS.SimpleQueueService.NonExistentQueue")
		}},
		{"malformed queue url", &awssqs.SendMessageInput{QueueUrl: aws.String("nope"), MessageBody: aws.String("x")}, func(t *testing.T, err error) {
			wantErr[*types.InvalidAddress](t, err, "InvalidAddress")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.QueueUrl == nil {
				tc.in.QueueUrl = aws.String(url)
			}
			_, err := e.client.SendMessage(ctx, tc.in)
			tc.check(t, err)
		})
	}
	if got := e.counts(t, url); got != (counts{}) {
		t.Fatalf("rejected messages were stored: %+v", got)
	}
}

func TestReceiveValidation(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "rv", nil)
	tests := []struct {
		name string
		in   *awssqs.ReceiveMessageInput
	}{
		{"max too high", &awssqs.ReceiveMessageInput{MaxNumberOfMessages: 11}},
		{"max negative", &awssqs.ReceiveMessageInput{MaxNumberOfMessages: -1}},
		{"wait too long", &awssqs.ReceiveMessageInput{WaitTimeSeconds: 21}},
		{"visibility too long", &awssqs.ReceiveMessageInput{VisibilityTimeout: 43201}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.QueueUrl = aws.String(url)
			_, err := e.client.ReceiveMessage(context.Background(), tc.in)
			wantErr[*smithy.GenericAPIError](t, err, "InvalidParameterValue")
		})
	}
}

func TestMessageAttributes(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "ma", nil)
	attrs := map[string]types.MessageAttributeValue{
		"ordinal":    {DataType: aws.String("Number"), StringValue: aws.String("1")},
		"category":   {DataType: aws.String("String"), StringValue: aws.String("test")},
		"trace.id":   {DataType: aws.String("String"), StringValue: aws.String("abc")},
		"blob.bytes": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
	}
	out, err := e.client.SendMessage(context.Background(), &awssqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageAttributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.MD5OfMessageAttributes) == "" {
		t.Fatal("no MD5OfMessageAttributes")
	}
	msgs := e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: []string{"category", "trace.*", "blob.*"}})
	if len(msgs) != 1 {
		t.Fatalf("received %d messages", len(msgs))
	}
	got := msgs[0].MessageAttributes
	if len(got) != 3 || aws.ToString(got["category"].StringValue) != "test" || aws.ToString(got["trace.id"].StringValue) != "abc" || string(got["blob.bytes"].BinaryValue) != "\x00\x01\x02" {
		t.Fatalf("message attributes = %+v", got)
	}
}

func TestPurgeQueue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	url := e.create(t, "p", nil)
	e.send(t, url, "a", 0)
	e.send(t, url, "b", 60)
	e.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if err := e.svc.Enqueue("p", 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	if got := e.counts(t, url); got != (counts{}) {
		t.Fatalf("after purge: %+v", got)
	}
	_, err := e.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	wantErr[*types.PurgeQueueInProgress](t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")
	e.clk.Advance(time.Minute)
	if _, err := e.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatalf("purge after 60s: %v", err)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("t"), Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	url := out.QueueUrl
	if _, err := e.client.TagQueue(ctx, &awssqs.TagQueueInput{QueueUrl: url, Tags: map[string]string{"env": "test"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagQueue(ctx, &awssqs.UntagQueueInput{QueueUrl: url, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.client.ListQueueTags(ctx, &awssqs.ListQueueTagsInput{QueueUrl: url})
	if err != nil || fmt.Sprint(tags.Tags) != "map[env:test]" {
		t.Fatalf("tags = %v, %v", tags, err)
	}
}

func TestUnsupportedOperation(t *testing.T) {
	e := newEnv(t)
	url := e.create(t, "u", nil)
	_, err := e.client.ListDeadLetterSourceQueues(context.Background(), &awssqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(url)})
	wantErr[*types.UnsupportedOperation](t, err, "AWS.SimpleQueueService.UnsupportedOperation")
}
