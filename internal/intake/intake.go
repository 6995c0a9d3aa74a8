// Package intake reads campaigns announced on an SQS queue and creates
// them as POST /v1/campaigns would: each message's body is that request's
// JSON body, and its message id is the Idempotency-Key, so a message
// received twice (its visibility timeout ran out before it was deleted)
// creates one campaign.
//
// Only the leader polls. A message is deleted only after its campaign is
// stored, or when the API refuses it for good:
//
//   - created (201): deleted.
//   - refused (400, 413, 415, 422, or 409 for a reused key): logged at
//     warn with the problem, counted as "rejected", and deleted. The same
//     body would be refused on every receive; leaving it would only repeat
//     the warning until the queue's retention or its redrive policy
//     removed it. The log line (message id, problem, every field at
//     fault) is the record.
//   - anything else (503 with the store down, 429, 5xx): left on the
//     queue, counted as "retry"; it is received again once its visibility
//     timeout has passed, and a redrive policy with a dead-letter queue
//     bounds how often.
package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/headroom-dev/headroom/internal/clock"
)

// Queue is what the intake calls on SQS.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

var _ Queue = (*sqs.Client)(nil)

// Creator creates the campaign in body as actor under an idempotency key
// and answers as POST /v1/campaigns does (api.CampaignIntake).
type Creator interface {
	Create(ctx context.Context, actor, key string, body []byte) (status int, response []byte)
}

// Results of one message, the values of the metric's result label.
const (
	ResultCreated  = "created"
	ResultRejected = "rejected"
	ResultRetry    = "retry"
)

// DefaultActor is the audit trail's actor for campaigns from the queue.
const DefaultActor = "campaigns-queue"

// DefaultWait is the long poll of one ReceiveMessage: 20 s, the most SQS
// allows, so an idle queue costs three requests a minute.
const DefaultWait = 20 * time.Second

// DefaultBackoff is how long the intake waits after a failed or empty
// receive, and how often a follower checks whether it has become the
// leader: an idle queue is received from at most every 30 s with
// DefaultWait.
const DefaultBackoff = 10 * time.Second

// maxMessages is how many messages one receive takes: SQS's maximum.
const maxMessages = 10

// Options configure an Intake.
type Options struct {
	// QueueURL is campaigns.queue_url.
	QueueURL string
	SQS      Queue
	Creator  Creator
	// Leader reports whether this replica leads; only the leader polls.
	Leader func() bool
	// Actor names the intake in the audit trail; default DefaultActor.
	Actor string
	// Wait is the long poll; 0 means DefaultWait (negative: no wait).
	Wait time.Duration
	// Backoff is the pause after a failed receive and between leadership
	// checks; 0 means DefaultBackoff.
	Backoff time.Duration
	// Messages counts messages by result; nil counts nothing.
	Messages *prometheus.CounterVec
	Log      *slog.Logger
	Clock    clock.Clock
}

// Intake polls the campaigns queue.
type Intake struct {
	o Options
}

// New checks o and returns an Intake.
func New(o Options) (*Intake, error) {
	switch {
	case o.QueueURL == "":
		return nil, errors.New("intake: no queue URL")
	case o.SQS == nil || o.Creator == nil || o.Leader == nil:
		return nil, errors.New("intake: SQS client, creator and leader are required")
	}
	if o.Actor == "" {
		o.Actor = DefaultActor
	}
	if o.Wait == 0 {
		o.Wait = DefaultWait
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	return &Intake{o: o}, nil
}

// Run polls while ctx lives and this replica leads.
func (in *Intake) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if !in.o.Leader() {
			in.pause(ctx)
			continue
		}
		counts, err := in.Poll(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			in.o.Log.WarnContext(ctx, "cannot receive from the campaigns queue", "queue", in.o.QueueURL, "err", err)
			in.pause(ctx)
		case len(counts) == 0:
			// Nothing arrived. Campaigns are announced hours ahead, so a
			// pause costs nothing that matters, and a receive that
			// answers at once (a queue without long polls) cannot spin.
			in.pause(ctx)
		}
	}
}

func (in *Intake) pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-in.o.Clock.After(in.o.Backoff):
	}
}

// Poll receives once and handles every message received; it returns how
// many messages had each result.
func (in *Intake) Poll(ctx context.Context) (map[string]int, error) {
	wait := int32(max(in.o.Wait, 0) / time.Second)
	out, err := in.o.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(in.o.QueueURL),
		MaxNumberOfMessages: maxMessages, WaitTimeSeconds: wait})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", in.o.QueueURL, err)
	}
	counts := map[string]int{}
	if !in.o.Leader() {
		// The lease went to another replica during the long poll: leave
		// the messages to come back to the queue for the leader.
		return counts, nil
	}
	for _, m := range out.Messages {
		r := in.handle(ctx, m.MessageId, m.ReceiptHandle, m.Body)
		counts[r]++
		if in.o.Messages != nil {
			in.o.Messages.WithLabelValues(r).Inc()
		}
	}
	return counts, nil
}

// handle creates one message's campaign and deletes the message unless it
// is to be retried.
func (in *Intake) handle(ctx context.Context, id, receipt, body *string) string {
	msgID := aws.ToString(id)
	status, resp := in.o.Creator.Create(ctx, in.o.Actor, "sqs/"+msgID, []byte(aws.ToString(body)))
	result := classify(status)
	log := in.o.Log.With("message_id", msgID, "status", status)
	switch result {
	case ResultCreated:
		var c struct {
			ID *string `json:"id"`
		}
		_ = json.Unmarshal(resp, &c)
		log.InfoContext(ctx, "campaign from the queue created", "campaign", aws.ToString(c.ID))
	case ResultRejected:
		log.WarnContext(ctx, "campaign from the queue refused; deleting the message", "problem", string(resp))
	default:
		log.WarnContext(ctx, "campaign from the queue not stored; left on the queue for a retry", "problem", string(resp))
		return result
	}
	if _, err := in.o.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(in.o.QueueURL), ReceiptHandle: receipt}); err != nil {
		// The message comes back after its visibility timeout; its id is
		// the idempotency key, so the retry answers the same campaign.
		log.WarnContext(ctx, "cannot delete a handled message from the campaigns queue", "err", err)
	}
	return result
}

// classify maps the API's answer to a message's result.
func classify(status int) string {
	switch {
	case status == http.StatusCreated:
		return ResultCreated
	case status == http.StatusTooManyRequests || status >= 500:
		return ResultRetry
	case status >= 400:
		return ResultRejected
	}
	return ResultRetry
}
