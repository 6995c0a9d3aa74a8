package source

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/clock"
)

// sqsAPI is the part of the SQS client SQS uses.
type sqsAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

var _ sqsAPI = (*sqs.Client)(nil)

// Backlog attributes read from every queue. GetQueueAttributes returns all
// three in one call; SQS documents them as approximate (GetQueueAttributes
// API reference, "ApproximateNumberOf..." attributes).
const (
	attrVisible  = string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)
	attrInFlight = string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
	attrDelayed  = string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed)
)

// SQS reads queue backlogs with GetQueueAttributes. It resolves queue names
// to URLs once and remembers them. It is safe for concurrent use.
type SQS struct {
	api         sqsAPI
	clk         clock.Clock
	concurrency int

	mu   sync.Mutex
	urls map[string]string
}

// NewSQS returns a reader that uses client, stamps readings with clk and
// keeps at most concurrency calls in flight (at least one).
func NewSQS(client *sqs.Client, clk clock.Clock, concurrency int) *SQS {
	return newSQS(client, clk, concurrency)
}

func newSQS(api sqsAPI, clk clock.Clock, concurrency int) *SQS {
	return &SQS{api: api, clk: clk, concurrency: max(concurrency, 1), urls: map[string]string{}}
}

// Read calls GetQueueAttributes once per distinct queue, at most
// concurrency at once, and returns a reading per queue keyed as given. A
// queue is a name or a URL; a name is resolved with GetQueueUrl once and
// cached, and the cache entry is dropped when the queue turns out not to
// exist. Each reading carries At and ReadAt; a failure sets that reading's
// Err only. Once ctx ends, the queues not yet read get ctx's error.
//
// concurrency workers take the queues in turn: a goroutine per queue, most
// of them waiting for a turn, would cost thousands of stacks for a large
// fleet.
func (s *SQS) Read(ctx context.Context, queues []string) map[string]QueueReading {
	out := make(map[string]QueueReading, len(queues))
	unique := make([]string, 0, len(queues))
	seen := make(map[string]bool, len(queues))
	for _, q := range queues {
		if !seen[q] {
			seen[q] = true
			unique = append(unique, q)
		}
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan string)
	)
	for range min(s.concurrency, len(unique)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range next {
				var r QueueReading
				if err := ctx.Err(); err != nil {
					now := s.clk.Now()
					r = QueueReading{At: now, ReadAt: now, Err: fmt.Errorf("read queue %q: %w", q, err)}
				} else {
					r = s.readQueue(ctx, q)
				}
				mu.Lock()
				out[q] = r
				mu.Unlock()
			}
		}()
	}
	for _, q := range unique {
		next <- q
	}
	close(next)
	wg.Wait()
	return out
}

// readQueue reads one queue.
func (s *SQS) readQueue(ctx context.Context, queue string) QueueReading {
	at := s.clk.Now()
	fail := func(err error) QueueReading {
		return QueueReading{At: at, ReadAt: s.clk.Now(), Err: err}
	}
	url, cached, err := s.resolve(ctx, queue)
	if err != nil {
		return fail(fmt.Errorf("resolve queue %q: %w", queue, err))
	}
	at = s.clk.Now()
	out, err := s.api.GetQueueAttributes(ctx, queueAttributesInput(url))
	if err != nil {
		if cached && queueMissing(err) {
			s.forget(queue)
		}
		return fail(fmt.Errorf("get attributes of queue %q: %w", queue, err))
	}
	r, err := parseQueueAttributes(out.Attributes)
	if err != nil {
		return fail(fmt.Errorf("queue %q: %w", queue, err))
	}
	r.At, r.ReadAt = at, s.clk.Now()
	return r
}

// resolve returns the queue's URL; cached says it came from (or went into)
// the name cache.
func (s *SQS) resolve(ctx context.Context, queue string) (url string, cached bool, err error) {
	if isQueueURL(queue) {
		return queue, false, nil
	}
	s.mu.Lock()
	url, ok := s.urls[queue]
	s.mu.Unlock()
	if ok {
		return url, true, nil
	}
	out, err := s.api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	if err != nil {
		return "", false, err
	}
	url = aws.ToString(out.QueueUrl)
	if url == "" {
		return "", false, errors.New("GetQueueUrl returned no URL")
	}
	s.mu.Lock()
	s.urls[queue] = url
	s.mu.Unlock()
	return url, true, nil
}

func (s *SQS) forget(queue string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.urls, queue)
}

// isQueueURL tells a queue URL from a queue name: names cannot contain ':'
// or '/' (alphanumerics, hyphens and underscores; CreateQueue API reference).
func isQueueURL(queue string) bool {
	return strings.HasPrefix(queue, "https://") || strings.HasPrefix(queue, "http://")
}

// queueAttributesInput asks for the backlog attributes of the queue at url.
func queueAttributesInput(url string) *sqs.GetQueueAttributesInput {
	return &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeName(attrVisible),
			sqstypes.QueueAttributeName(attrInFlight),
			sqstypes.QueueAttributeName(attrDelayed),
		},
	}
}

// parseQueueAttributes turns a GetQueueAttributes answer into counts. The
// visible and in-flight counts are required; a missing delayed count reads
// as zero, since the policies treat delayed messages as optional backlog.
func parseQueueAttributes(attrs map[string]string) (QueueReading, error) {
	var r QueueReading
	for _, f := range []struct {
		name     string
		dst      *float64
		required bool
	}{
		{attrVisible, &r.Visible, true},
		{attrInFlight, &r.InFlight, true},
		{attrDelayed, &r.Delayed, false},
	} {
		v, ok := attrs[f.name]
		if !ok {
			if f.required {
				return QueueReading{}, fmt.Errorf("attribute %s missing from the answer", f.name)
			}
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return QueueReading{}, fmt.Errorf("attribute %s = %q: not a count", f.name, v)
		}
		*f.dst = float64(n)
	}
	return r, nil
}

// queueMissing reports whether err says the queue does not exist: the
// modelled QueueDoesNotExist error, or its query-protocol code from
// services that answer without the modelled type.
func queueMissing(err error) bool {
	var qdne *sqstypes.QueueDoesNotExist
	if errors.As(err, &qdne) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist":
			return true
		}
	}
	return false
}
