package sqs

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BulkBody is the body of messages added with Enqueue when a client
// receives them.
const BulkBody = "headroom simulated message"

var bulkBodyMD5 = md5Hex(BulkBody)

// state is where a message is in its life.
type state uint8

const (
	stateNone state = iota
	stateDelayed
	stateReady
	stateInflight
	stateDeleted
)

// message is one message a client can hold: sent through the API, or taken
// out of a bulk run when a client received it.
type message struct {
	seq          uint64
	id           string
	body         string
	bodyMD5      string
	attrs        map[string]attributeValue
	attrsMD5     string
	traceHeader  string
	sentAt       time.Time
	firstReceive time.Time
	lastReceive  time.Time
	receives     int
	state        state
	visibleAt    time.Time
	epoch        uint32
}

// entry is one item of the delayed or visible set: a single message, or a
// run of n identical bulk messages sent at the same instant. Runs keep a
// backlog of hundreds of thousands of simulated messages in a few entries.
//
// Times are Unix nanoseconds to keep an entry at 48 bytes.
type entry struct {
	seq         uint64
	sentAt      int64
	availableAt int64
	n           int
	msg         *message
	where       state
}

// flight is an in-flight message with the deadline it was given; a flight
// whose epoch no longer matches its message's is stale and skipped.
type flight struct {
	msg   *message
	at    time.Time
	epoch uint32
}

// queue is one standard queue. All state changes that depend on time are
// evaluated lazily in advance, against the time of the call.
type queue struct {
	mu       sync.Mutex
	id       uint64
	name     string
	arn      string
	created  time.Time
	modified time.Time
	settings settings
	tags     map[string]string

	seq       uint64
	delayed   minHeap[*entry]
	ready     minHeap[*entry]
	inflight  minHeap[flight]
	delayedN  int
	readyN    int
	inflightN int
	// heldN counts bulk messages taken in flight with Hold: workers of a
	// simulated fleet hold them until Release. They count as in flight
	// (ApproximateNumberOfMessagesNotVisible) and never time out.
	heldN     int
	msgs      map[uint64]*message
	tail      *entry
	lastPurge time.Time
}

func newQueue(id uint64, name, arn string, now time.Time, st settings, tags map[string]string) *queue {
	q := &queue{
		id:       id,
		name:     name,
		arn:      arn,
		created:  now,
		modified: now,
		settings: st,
		tags:     map[string]string{},
		msgs:     map[uint64]*message{},
	}
	for k, v := range tags {
		q.tags[k] = v
	}
	q.delayed.less = func(a, b *entry) bool {
		if a.availableAt != b.availableAt {
			return a.availableAt < b.availableAt
		}
		return a.seq < b.seq
	}
	q.ready.less = func(a, b *entry) bool {
		if a.sentAt != b.sentAt {
			return a.sentAt < b.sentAt
		}
		return a.seq < b.seq
	}
	q.inflight.less = func(a, b flight) bool { return a.at.Before(b.at) }
	return q
}

func (q *queue) nextSeq() uint64 {
	q.seq++
	return q.seq
}

func (q *queue) expired(sentAt int64, now time.Time) bool {
	return now.UnixNano()-sentAt >= int64(q.settings.retention())
}

// advance brings the queue to now: delays that ended make messages visible,
// visibility timeouts that ended return messages, and messages past the
// retention period go away.
func (q *queue) advance(now time.Time) {
	for {
		e, ok := q.delayed.peek()
		if !ok || e.availableAt > now.UnixNano() {
			break
		}
		q.delayed.pop()
		e.where = stateNone
		q.delayedN -= e.n
		if q.expired(e.sentAt, now) {
			q.forget(e.msg)
			continue
		}
		q.pushReady(e)
	}
	for {
		f, ok := q.inflight.peek()
		if !ok || f.at.After(now) {
			break
		}
		q.inflight.pop()
		m := f.msg
		if m.state != stateInflight || m.epoch != f.epoch {
			continue
		}
		q.inflightN--
		if q.expired(m.sentAt.UnixNano(), now) {
			q.forget(m)
			continue
		}
		q.pushReady(&entry{seq: m.seq, sentAt: m.sentAt.UnixNano(), availableAt: now.UnixNano(), n: 1, msg: m})
	}
	for {
		e := q.peekReady()
		if e == nil || !q.expired(e.sentAt, now) {
			break
		}
		q.ready.pop()
		e.where = stateNone
		q.readyN -= e.n
		q.forget(e.msg)
	}
}

func (q *queue) pushReady(e *entry) {
	e.where = stateReady
	if e.msg != nil {
		e.msg.state = stateReady
	}
	q.ready.push(e)
	q.readyN += e.n
}

// peekReady returns the oldest visible entry, dropping entries whose
// message was deleted while visible.
func (q *queue) peekReady() *entry {
	for {
		e, ok := q.ready.peek()
		if !ok {
			return nil
		}
		if e.n > 0 && (e.msg == nil || e.msg.state == stateReady) {
			return e
		}
		q.ready.pop()
		e.where = stateNone
	}
}

// forget drops a single message for good.
func (q *queue) forget(m *message) {
	if m == nil {
		return
	}
	m.state = stateDeleted
	delete(q.msgs, m.seq)
}

// enqueue adds n bulk messages sent at now. Runs sent at the same instant
// with the same delay merge into one entry.
func (q *queue) enqueue(now time.Time, n int, delay time.Duration) {
	if n <= 0 {
		return
	}
	at, avail := now.UnixNano(), now.Add(delay).UnixNano()
	if t := q.tail; t != nil && t.where != stateNone && t.n > 0 && t.sentAt == at && t.availableAt == avail {
		t.n += n
		if t.where == stateDelayed {
			q.delayedN += n
		} else {
			q.readyN += n
		}
		return
	}
	e := &entry{seq: q.nextSeq(), sentAt: at, availableAt: avail, n: n}
	q.place(e, now)
	q.tail = e
}

// place puts a new entry in the delayed or the visible set.
func (q *queue) place(e *entry, now time.Time) {
	if e.availableAt > now.UnixNano() {
		e.where = stateDelayed
		if e.msg != nil {
			e.msg.state = stateDelayed
		}
		q.delayed.push(e)
		q.delayedN += e.n
		return
	}
	q.pushReady(e)
}

// send adds one API message.
func (q *queue) send(now time.Time, m *message, delay time.Duration) {
	m.seq = q.nextSeq()
	m.id = q.messageID(m.seq)
	m.sentAt = now
	q.msgs[m.seq] = m
	q.place(&entry{seq: m.seq, sentAt: now.UnixNano(), availableAt: now.Add(delay).UnixNano(), n: 1, msg: m}, now)
}

// messageID derives a stable UUID-shaped id from the queue and sequence.
func (q *queue) messageID(seq uint64) string {
	sum := md5.Sum(fmt.Appendf(nil, "%d/%s/%d", q.id, q.name, seq))
	sum[6] = sum[6]&0x0f | 0x40
	sum[8] = sum[8]&0x3f | 0x80
	h := hex.EncodeToString(sum[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// take removes the oldest visible message from the visible set, taking it
// out of a bulk run when that is what is oldest.
func (q *queue) take() *message {
	e := q.peekReady()
	if e == nil {
		return nil
	}
	q.readyN--
	if e.msg != nil {
		q.ready.pop()
		e.where = stateNone
		return e.msg
	}
	e.n--
	if e.n == 0 {
		q.ready.pop()
		e.where = stateNone
	}
	m := &message{seq: q.nextSeq(), body: BulkBody, bodyMD5: bulkBodyMD5, sentAt: time.Unix(0, e.sentAt).UTC()}
	m.id = q.messageID(m.seq)
	q.msgs[m.seq] = m
	return m
}

// receive makes up to max visible messages in flight for vt.
func (q *queue) receive(now time.Time, max int, vt time.Duration) []*message {
	q.advance(now)
	var out []*message
	for len(out) < max {
		m := q.take()
		if m == nil {
			break
		}
		m.receives++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.lastReceive = now
		m.state = stateInflight
		m.epoch++
		m.visibleAt = now.Add(vt)
		q.inflight.push(flight{msg: m, at: m.visibleAt, epoch: m.epoch})
		q.inflightN++
		out = append(out, m)
	}
	return out
}

// consume deletes up to n visible messages, oldest first.
func (q *queue) consume(now time.Time, n int) int {
	q.advance(now)
	taken := 0
	for taken < n {
		e := q.peekReady()
		if e == nil {
			break
		}
		if e.msg != nil {
			q.ready.pop()
			e.where = stateNone
			q.readyN--
			q.forget(e.msg)
			taken++
			continue
		}
		k := min(e.n, n-taken)
		e.n -= k
		q.readyN -= k
		taken += k
		if e.n == 0 {
			q.ready.pop()
			e.where = stateNone
		}
	}
	return taken
}

// hold takes up to n visible messages in flight as bulk held messages.
func (q *queue) hold(now time.Time, n int) int {
	k := q.consume(now, n)
	q.heldN += k
	q.inflightN += k
	return k
}

// release deletes up to n held messages.
func (q *queue) release(n int) int {
	k := min(n, q.heldN)
	q.heldN -= k
	q.inflightN -= k
	return k
}

// receiptHandle encodes queue, message and receive number. A handle stays
// valid until the message is received again.
func (q *queue) receiptHandle(m *message) string {
	raw := fmt.Sprintf("%d:%d:%d:%s", q.id, m.seq, m.receives, m.id)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// lookupHandle resolves a receipt handle. It returns the message only when
// the handle is the message's latest one and the message still exists.
func (q *queue) lookupHandle(h string) (*message, *apiError) {
	invalid := newError("ReceiptHandleIsInvalid", fmt.Sprintf("The input receipt handle \"%s\" is not a valid receipt handle.", h))
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil || h == "" {
		return nil, invalid
	}
	parts := strings.SplitN(string(raw), ":", 4)
	if len(parts) != 4 {
		return nil, invalid
	}
	qid, err1 := strconv.ParseUint(parts[0], 10, 64)
	seq, err2 := strconv.ParseUint(parts[1], 10, 64)
	rn, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || qid != q.id {
		return nil, invalid
	}
	m := q.msgs[seq]
	if m == nil || m.receives != rn || m.state == stateDeleted {
		return nil, nil
	}
	return m, nil
}

// deleteMessage deletes the message a receipt handle names. A handle of a
// message already deleted, or superseded by a later receive, succeeds
// without effect, as SQS documents for DeleteMessage.
func (q *queue) deleteMessage(now time.Time, handle string) *apiError {
	q.advance(now)
	m, aerr := q.lookupHandle(handle)
	if aerr != nil || m == nil {
		return aerr
	}
	switch m.state {
	case stateInflight:
		q.inflightN--
	case stateReady:
		q.readyN--
	case stateDelayed:
		q.delayedN--
	}
	q.forget(m)
	return nil
}

// changeVisibility gives an in-flight message a new timeout counted from
// now. The total may not exceed 12 hours from the latest receive.
func (q *queue) changeVisibility(now time.Time, handle string, seconds int) *apiError {
	q.advance(now)
	m, aerr := q.lookupHandle(handle)
	if aerr != nil {
		return aerr
	}
	if m == nil || m.state != stateInflight {
		return newError("MessageNotInflight", "The message referred to isn't in flight.")
	}
	at := now.Add(time.Duration(seconds) * time.Second)
	if at.Sub(m.lastReceive) > maxVisibilityTimeout*time.Second {
		return errInvalidParam(fmt.Sprintf("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds].", seconds))
	}
	m.epoch++
	m.visibleAt = at
	q.inflight.push(flight{msg: m, at: at, epoch: m.epoch})
	return nil
}

// purge deletes every message.
func (q *queue) purge(now time.Time) {
	for _, m := range q.msgs {
		m.state = stateDeleted
	}
	q.msgs = map[uint64]*message{}
	for _, h := range []*minHeap[*entry]{&q.delayed, &q.ready} {
		for _, e := range h.items {
			e.where = stateNone
		}
		h.reset()
	}
	q.inflight.reset()
	q.delayedN, q.readyN, q.inflightN, q.heldN = 0, 0, 0, 0
	q.tail = nil
	q.lastPurge = now
}

// oldestAge is the age of the oldest visible message, 0 when none is.
func (q *queue) oldestAge(now time.Time) time.Duration {
	e := q.peekReady()
	if e == nil {
		return 0
	}
	return time.Duration(now.UnixNano() - e.sentAt)
}
