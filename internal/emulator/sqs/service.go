// Package sqs is a wire-level Amazon SQS emulator for standard queues. It
// speaks the AWS JSON 1.0 protocol that aws-sdk-go-v2's SQS client uses
// (POST /, X-Amz-Target: AmazonSQS.<Op>) and offers a Go API for a
// simulator to add and take bulk messages without HTTP.
//
// Message delay, visibility and retention follow the injected clock: they
// are evaluated when a call arrives, so no goroutine runs and a fake clock
// moves every queue at once. ReceiveMessage accepts WaitTimeSeconds but
// never waits.
package sqs

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
)

// AccountID and Region appear in queue URLs and ARNs of a service that
// SetAccount has not placed elsewhere.
const (
	AccountID = "000000000000"
	Region    = "us-east-1"
)

// TargetPrefix starts the X-Amz-Target header of every SQS request.
const TargetPrefix = "AmazonSQS."

const contentType = "application/x-amz-json-1.0"

// maxRequestBytes bounds a request body: a batch of ten messages of the
// 1 MiB maximum cannot exceed the 1 MiB total payload limit, so a few MiB
// leave room for JSON escaping and attributes.
const maxRequestBytes = 4 << 20

var queueNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// Service is an SQS endpoint and its queues. It is safe for concurrent use.
type Service struct {
	clk     clock.Clock
	baseURL func() string
	// account and region appear in queue URLs and ARNs.
	account, region string

	mu      sync.Mutex
	queues  map[string]*queue
	deleted map[string]time.Time
	nextID  uint64

	requests atomic.Uint64
}

// New returns an empty service. baseURL returns the server's URL (for
// example an httptest server's URL) that queue URLs point back to; when nil
// they use the Host of each request.
func New(clk clock.Clock, baseURL func() string) *Service {
	return &Service{
		clk:     clk,
		baseURL: baseURL,
		account: AccountID,
		region:  Region,
		queues:  map[string]*queue{},
		deleted: map[string]time.Time{},
	}
}

// SetAccount places the service in account and region, which its queue
// URLs and ARNs then name; call it before the service is used.
func (s *Service) SetAccount(account, region string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account, s.region = account, region
}

// QueueURL returns the URL of the queue called name, whether or not it
// exists, based on baseURL (http://localhost when New got none).
func (s *Service) QueueURL(name string) string {
	return s.urlFor(nil, name)
}

func (s *Service) urlFor(r *http.Request, name string) string {
	base := "http://localhost"
	switch {
	case s.baseURL != nil:
		base = s.baseURL()
	case r != nil && r.Host != "":
		base = "http://" + r.Host
	}
	return strings.TrimSuffix(base, "/") + "/" + s.account + "/" + name
}

func (s *Service) queueARN(name string) string {
	return "arn:aws:sqs:" + s.region + ":" + s.account + ":" + name
}

// lookup returns the queue called name.
func (s *Service) lookup(name string) *queue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queues[name]
}

// queueFromURL resolves a QueueUrl parameter. Only the path counts
// (/<account>/<name>), so a URL built for another host still names the queue.
func (s *Service) queueFromURL(raw *string) (*queue, *apiError) {
	if raw == nil || *raw == "" {
		return nil, errMissing("QueueUrl")
	}
	u, err := url.Parse(*raw)
	invalid := newError("InvalidAddress", fmt.Sprintf("The address %s is not valid for this endpoint.", *raw))
	if err != nil {
		return nil, invalid
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || parts[1] == "" {
		return nil, invalid
	}
	if parts[0] != s.account {
		return nil, errQueueDoesNotExist()
	}
	q := s.lookup(parts[1])
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

// createQueue creates a queue or, for an existing one, checks that the
// given attributes match (CreateQueue's idempotency rule).
func (s *Service) createQueue(name string, attrs, tags map[string]string) *apiError {
	if strings.HasSuffix(name, ".fifo") {
		return newError("UnsupportedOperation", "FIFO queues are not supported.")
	}
	if !queueNamePattern.MatchString(name) {
		return errInvalidParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[name]; q != nil {
		q.mu.Lock()
		defer q.mu.Unlock()
		diff, aerr := q.settings.differs(attrs)
		if aerr != nil {
			return aerr
		}
		if diff != "" {
			return newError("QueueNameExists", fmt.Sprintf("A queue already exists with the same name and a different value for attribute %s", diff))
		}
		return nil
	}
	if at, ok := s.deleted[name]; ok {
		if now.Sub(at) < queueRecreateWait {
			return newError("QueueDeletedRecently", "You must wait 60 seconds after deleting a queue before you can create another queue with the same name.")
		}
		delete(s.deleted, name)
	}
	st := defaultSettings()
	if aerr := st.apply(attrs); aerr != nil {
		return aerr
	}
	s.nextID++
	s.queues[name] = newQueue(s.nextID, name, s.queueARN(name), now, st, tags)
	return nil
}

// CreateQueue creates a queue with the given attributes (as CreateQueue
// takes them, e.g. "VisibilityTimeout": "60") and returns its URL. An
// existing queue with matching attributes is returned as it is.
func (s *Service) CreateQueue(name string, attrs map[string]string) (string, error) {
	if aerr := s.createQueue(name, attrs, nil); aerr != nil {
		return "", fmt.Errorf("create queue %q: %w", name, aerr)
	}
	return s.QueueURL(name), nil
}

// DeleteQueue deletes the queue called name and its messages.
func (s *Service) DeleteQueue(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.queues[name]; !ok {
		return false
	}
	delete(s.queues, name)
	s.deleted[name] = s.clk.Now()
	return true
}

// Enqueue adds n messages to the queue called name, sent now, with the
// queue's default delay. They are stored as a count, not one by one; a
// client that receives one gets a message with body BulkBody.
func (s *Service) Enqueue(name string, n int) error {
	q := s.lookup(name)
	if q == nil {
		return fmt.Errorf("enqueue to queue %q: %w", name, errQueueDoesNotExist())
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advance(now)
	q.enqueue(now, n, q.settings.delay())
	return nil
}

// Consume deletes up to n visible messages of the queue called name, oldest
// first, as a fleet of workers that finished them would, and returns how
// many it took. In-flight and delayed messages are left alone.
func (s *Service) Consume(name string, n int) int {
	q := s.lookup(name)
	if q == nil || n <= 0 {
		return 0
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.consume(now, n)
}

// Hold makes up to n visible messages of the queue called name in flight,
// oldest first, as a fleet of workers that received them would, and
// returns how many it took. Held messages count as in flight until Release
// deletes them; they have no visibility timeout.
func (s *Service) Hold(name string, n int) int {
	q := s.lookup(name)
	if q == nil || n <= 0 {
		return 0
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.hold(now, n)
}

// Release deletes up to n messages taken with Hold, as workers that
// finished them would, and returns how many it deleted.
func (s *Service) Release(name string, n int) int {
	q := s.lookup(name)
	if q == nil || n <= 0 {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.release(n)
}

// Stats returns the queue's visible, in-flight and delayed message counts
// (GetQueueAttributes' ApproximateNumberOfMessages, ...NotVisible and
// ...Delayed, here exact) and the age of the oldest visible message. ok is
// false when no queue has that name.
func (s *Service) Stats(name string) (visible, inFlight, delayed int, oldestAge time.Duration, ok bool) {
	q := s.lookup(name)
	if q == nil {
		return 0, 0, 0, 0, false
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advance(now)
	return q.readyN, q.inflightN, q.delayedN, q.oldestAge(now), true
}

// QueueNames returns the names of all queues, sorted.
func (s *Service) QueueNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.queues))
	for n := range s.queues {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

type handler func(s *Service, r *http.Request, body []byte) (any, *apiError)

// handlers maps each supported operation to its implementation.
var handlers = map[string]handler{
	"CreateQueue":                  (*Service).opCreateQueue,
	"GetQueueUrl":                  (*Service).opGetQueueURL,
	"DeleteQueue":                  (*Service).opDeleteQueue,
	"ListQueues":                   (*Service).opListQueues,
	"GetQueueAttributes":           (*Service).opGetQueueAttributes,
	"SetQueueAttributes":           (*Service).opSetQueueAttributes,
	"PurgeQueue":                   (*Service).opPurgeQueue,
	"SendMessage":                  (*Service).opSendMessage,
	"SendMessageBatch":             (*Service).opSendMessageBatch,
	"ReceiveMessage":               (*Service).opReceiveMessage,
	"DeleteMessage":                (*Service).opDeleteMessage,
	"DeleteMessageBatch":           (*Service).opDeleteMessageBatch,
	"ChangeMessageVisibility":      (*Service).opChangeMessageVisibility,
	"ChangeMessageVisibilityBatch": (*Service).opChangeMessageVisibilityBatch,
	"TagQueue":                     (*Service).opTagQueue,
	"UntagQueue":                   (*Service).opUntagQueue,
	"ListQueueTags":                (*Service).opListQueueTags,
}

// unsupported are SQS operations the emulator knows but does not offer.
var unsupported = map[string]bool{
	"AddPermission":              true,
	"RemovePermission":           true,
	"ListDeadLetterSourceQueues": true,
	"StartMessageMoveTask":       true,
	"CancelMessageMoveTask":      true,
	"ListMessageMoveTasks":       true,
}

// ServeHTTP answers one SQS request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-RequestId", s.requestID())
	if r.Method != http.MethodPost {
		WriteError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "SQS operations are POST requests to /.")
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	h := handlers[op]
	if !ok || h == nil {
		if ok && unsupported[op] {
			WriteError(w, http.StatusBadRequest, "UnsupportedOperation", op+" is not supported.")
			return
		}
		WriteError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is too large.")
		return
	}
	out, aerr := h(s, r, body)
	if aerr != nil {
		WriteError(w, aerr.status, aerr.code, aerr.message)
		return
	}
	payload, err := json.Marshal(out)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "InternalError", "The response could not be encoded.")
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
}

func (s *Service) requestID() string {
	n := s.requests.Add(1)
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", n&0xffffffffffff)
}

// decode reads a JSON request body. An empty body is an empty input;
// anything that is not one JSON object of the right member types is a
// SerializationException, as the JSON protocol reports it.
func decode[T any](body []byte) (*T, *apiError) {
	var in T
	if len(strings.TrimSpace(string(body))) == 0 {
		return &in, nil
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	return &in, nil
}
