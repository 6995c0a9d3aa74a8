package sqs

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of single operations, from the SQS API reference pages of
// ListQueues, ReceiveMessage and the batch actions.
const (
	maxListResults     = 1000
	maxReceiveMessages = 10
	maxTags            = 50
)

var batchIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// ---- queues ----

type createQueueInput struct {
	QueueName  *string
	Attributes map[string]string
	Tags       map[string]string `json:"tags"`
}

type queueURLOutput struct {
	QueueUrl string
}

func (s *Service) opCreateQueue(r *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[createQueueInput](body)
	if aerr != nil {
		return nil, aerr
	}
	if in.QueueName == nil || *in.QueueName == "" {
		return nil, errMissing("QueueName")
	}
	if len(in.Tags) > maxTags {
		return nil, errInvalidParam("Too many tags added for queue.")
	}
	if aerr := s.createQueue(*in.QueueName, in.Attributes, in.Tags); aerr != nil {
		return nil, aerr
	}
	return queueURLOutput{QueueUrl: s.urlFor(r, *in.QueueName)}, nil
}

type getQueueURLInput struct {
	QueueName              *string
	QueueOwnerAWSAccountId *string
}

func (s *Service) opGetQueueURL(r *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[getQueueURLInput](body)
	if aerr != nil {
		return nil, aerr
	}
	if in.QueueName == nil || *in.QueueName == "" {
		return nil, errMissing("QueueName")
	}
	if in.QueueOwnerAWSAccountId != nil && *in.QueueOwnerAWSAccountId != s.account {
		return nil, errQueueDoesNotExist()
	}
	if s.lookup(*in.QueueName) == nil {
		return nil, errQueueDoesNotExist()
	}
	return queueURLOutput{QueueUrl: s.urlFor(r, *in.QueueName)}, nil
}

type queueURLInput struct {
	QueueUrl *string
}

type empty struct{}

func (s *Service) opDeleteQueue(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[queueURLInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	s.DeleteQueue(q.name)
	return empty{}, nil
}

type listQueuesInput struct {
	QueueNamePrefix *string
	NextToken       *string
	MaxResults      *int32
}

type listQueuesOutput struct {
	QueueUrls []string `json:",omitempty"`
	NextToken string   `json:",omitempty"`
}

// opListQueues pages by name: NextToken is the last name returned, encoded.
// Without MaxResults at most 1000 queues come back and no token.
func (s *Service) opListQueues(r *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[listQueuesInput](body)
	if aerr != nil {
		return nil, aerr
	}
	limit := maxListResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxListResults {
			return nil, errInvalidParam(fmt.Sprintf("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", *in.MaxResults))
		}
		limit = int(*in.MaxResults)
	}
	after := ""
	if in.NextToken != nil && *in.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || len(raw) == 0 {
			return nil, errInvalidParam("Invalid NextToken value.")
		}
		after = string(raw)
	}
	prefix := ""
	if in.QueueNamePrefix != nil {
		prefix = *in.QueueNamePrefix
	}
	var out listQueuesOutput
	last := ""
	for _, name := range s.QueueNames() {
		if !strings.HasPrefix(name, prefix) || after != "" && name <= after {
			continue
		}
		if len(out.QueueUrls) == limit {
			if in.MaxResults != nil {
				out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			}
			break
		}
		out.QueueUrls = append(out.QueueUrls, s.urlFor(r, name))
		last = name
	}
	return out, nil
}

type getQueueAttributesInput struct {
	QueueUrl       *string
	AttributeNames []string
}

type attributesOutput struct {
	Attributes map[string]string `json:",omitempty"`
}

func (s *Service) opGetQueueAttributes(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[getQueueAttributesInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advance(now)
	all := q.attributes()
	out := map[string]string{}
	for _, name := range in.AttributeNames {
		if name == "All" {
			for k, v := range all {
				out[k] = v
			}
			continue
		}
		v, ok := all[name]
		if !ok {
			if _, known := intAttributes[name]; !known && !opaqueAttributes[name] && !computedAttributes[name] {
				return nil, newError("InvalidAttributeName", fmt.Sprintf("Unknown Attribute %s.", name))
			}
			continue
		}
		out[name] = v
	}
	return attributesOutput{Attributes: out}, nil
}

// attributes returns every attribute the queue has, as GetQueueAttributes
// reports them with "All".
func (q *queue) attributes() map[string]string {
	out := map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(q.readyN),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(q.inflightN),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(q.delayedN),
		"CreatedTimestamp":                      strconv.FormatInt(q.created.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(q.modified.Unix(), 10),
		"QueueArn":                              q.arn,
	}
	for name := range intAttributes {
		out[name], _ = q.settings.value(name)
	}
	for k, v := range q.settings.opaque {
		out[k] = v
	}
	return out
}

type setQueueAttributesInput struct {
	QueueUrl   *string
	Attributes map[string]string
}

func (s *Service) opSetQueueAttributes(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[setQueueAttributesInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	if in.Attributes == nil {
		return nil, errMissing("Attributes")
	}
	if _, ok := in.Attributes["FifoQueue"]; ok {
		return nil, newError("InvalidAttributeName", "Attribute FifoQueue can only be set when the queue is created.")
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advance(now)
	if aerr := q.settings.apply(in.Attributes); aerr != nil {
		return nil, aerr
	}
	q.modified = now
	return empty{}, nil
}

func (s *Service) opPurgeQueue(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[queueURLInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	// One purge per queue per 60 seconds (PurgeQueue API reference).
	if !q.lastPurge.IsZero() && now.Sub(q.lastPurge) < purgeInterval {
		return nil, newError("PurgeQueueInProgress", fmt.Sprintf("Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.name))
	}
	q.purge(now)
	return empty{}, nil
}

// ---- tags ----

type tagQueueInput struct {
	QueueUrl *string
	Tags     map[string]string
	TagKeys  []string
}

type tagsOutput struct {
	Tags map[string]string `json:",omitempty"`
}

func (s *Service) opTagQueue(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[tagQueueInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	if len(in.Tags) == 0 {
		return nil, errMissing("Tags")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	merged := len(q.tags)
	for k := range in.Tags {
		if _, ok := q.tags[k]; !ok {
			merged++
		}
	}
	if merged > maxTags {
		return nil, errInvalidParam("Too many tags added for queue.")
	}
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	return empty{}, nil
}

func (s *Service) opUntagQueue(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[tagQueueInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	if len(in.TagKeys) == 0 {
		return nil, errMissing("TagKeys")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range in.TagKeys {
		delete(q.tags, k)
	}
	return empty{}, nil
}

func (s *Service) opListQueueTags(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[queueURLInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	out := tagsOutput{Tags: map[string]string{}}
	for k, v := range q.tags {
		out.Tags[k] = v
	}
	return out, nil
}

// ---- sending ----

type sendFields struct {
	MessageBody             *string
	DelaySeconds            *int32
	MessageAttributes       map[string]attributeValue
	MessageSystemAttributes map[string]attributeValue
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

type sendMessageInput struct {
	QueueUrl *string
	sendFields
}

type sendResult struct {
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty"`
}

// prepare validates one message against the queue's limits and returns it
// with its delay, ready for queue.send.
func (q *queue) prepare(f *sendFields) (*message, time.Duration, int, *apiError) {
	if f.MessageBody == nil || *f.MessageBody == "" {
		return nil, 0, 0, errMissing("MessageBody")
	}
	if f.MessageDeduplicationId != nil {
		return nil, 0, 0, errInvalidParam("The request include parameter MessageDeduplicationId that is not valid for this queue type")
	}
	body := *f.MessageBody
	if aerr := validateBody(body); aerr != nil {
		return nil, 0, 0, aerr
	}
	delay := q.settings.delay()
	if f.DelaySeconds != nil {
		if *f.DelaySeconds < 0 || *f.DelaySeconds > maxDelaySeconds {
			return nil, 0, 0, errInvalidParam(fmt.Sprintf("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *f.DelaySeconds))
		}
		delay = time.Duration(*f.DelaySeconds) * time.Second
	}
	attrSize, aerr := validateMessageAttributes(f.MessageAttributes)
	if aerr != nil {
		return nil, 0, 0, aerr
	}
	m := &message{body: body, bodyMD5: md5Hex(body)}
	if len(f.MessageAttributes) > 0 {
		m.attrs = f.MessageAttributes
		m.attrsMD5 = attributesMD5(f.MessageAttributes)
	}
	for name, v := range f.MessageSystemAttributes {
		if name != "AWSTraceHeader" || v.DataType != "String" || v.StringValue == nil || *v.StringValue == "" {
			return nil, 0, 0, errInvalidParam(fmt.Sprintf("Message system attribute %s is invalid: only AWSTraceHeader of type String is supported.", name))
		}
		m.traceHeader = *v.StringValue
	}
	size := len(body) + attrSize
	if size > q.settings.maximumSize {
		return nil, 0, 0, errInvalidParam(fmt.Sprintf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.settings.maximumSize))
	}
	return m, delay, size, nil
}

func sentResult(m *message, sys map[string]attributeValue) sendResult {
	return sendResult{
		MessageId:                    m.id,
		MD5OfMessageBody:             m.bodyMD5,
		MD5OfMessageAttributes:       m.attrsMD5,
		MD5OfMessageSystemAttributes: attributesMD5(sys),
	}
}

func (s *Service) opSendMessage(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[sendMessageInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advance(now)
	m, delay, _, aerr := q.prepare(&in.sendFields)
	if aerr != nil {
		return nil, aerr
	}
	q.send(now, m, delay)
	return sentResult(m, in.MessageSystemAttributes), nil
}

type batchResultError struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

func batchFailure(id string, aerr *apiError) batchResultError {
	return batchResultError{Id: id, SenderFault: aerr.status < 500, Code: aerr.code, Message: aerr.message}
}

// checkBatch applies the request-level rules of the batch actions: 1 to 10
// entries with distinct, well-formed ids.
func checkBatch(ids []*string) *apiError {
	if len(ids) == 0 {
		return newError("EmptyBatchRequest", "There should be at least one entry in the request.")
	}
	if len(ids) > maxBatchEntries {
		return newError("TooManyEntriesInBatchRequest", fmt.Sprintf("Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, len(ids)))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == nil || !batchIDPattern.MatchString(*id) {
			return newError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[*id] {
			return newError("BatchEntryIdsNotDistinct", fmt.Sprintf("Id %s repeated.", *id))
		}
		seen[*id] = true
	}
	return nil
}

type sendBatchEntry struct {
	Id *string
	sendFields
}

// batchInput is the shape of every batch request: a queue and entries
// that each carry a request-unique Id.
type batchInput[E any] struct {
	QueueUrl *string
	Entries  []E
}

func (e *sendBatchEntry) entryID() *string { return e.Id }
func (e *handleEntry) entryID() *string    { return e.Id }

// decodeBatch decodes a batch request, resolves its queue and checks its
// entry ids as every batch operation must.
func decodeBatch[E any, P interface {
	*E
	entryID() *string
}](s *Service, body []byte) (*batchInput[E], *queue, *apiError) {
	in, aerr := decode[batchInput[E]](body)
	if aerr != nil {
		return nil, nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, nil, aerr
	}
	ids := make([]*string, len(in.Entries))
	for i := range in.Entries {
		ids[i] = P(&in.Entries[i]).entryID()
	}
	if aerr := checkBatch(ids); aerr != nil {
		return nil, nil, aerr
	}
	return in, q, nil
}

type sendBatchResult struct {
	Id string
	sendResult
}

type sendMessageBatchOutput struct {
	Successful []sendBatchResult
	Failed     []batchResultError
}

func (s *Service) opSendMessageBatch(_ *http.Request, body []byte) (any, *apiError) {
	in, q, aerr := decodeBatch[sendBatchEntry](s, body)
	if aerr != nil {
		return nil, aerr
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advance(now)
	type prepared struct {
		m     *message
		delay time.Duration
	}
	ready := make([]*prepared, len(in.Entries))
	out := sendMessageBatchOutput{Successful: []sendBatchResult{}, Failed: []batchResultError{}}
	total := 0
	for i := range in.Entries {
		e := &in.Entries[i]
		m, delay, size, aerr := q.prepare(&e.sendFields)
		if aerr != nil {
			out.Failed = append(out.Failed, batchFailure(*e.Id, aerr))
			continue
		}
		total += size
		ready[i] = &prepared{m, delay}
	}
	// The sum of all messages in a batch has the same limit as one message.
	if total > q.settings.maximumSize {
		return nil, newError("BatchRequestTooLong", fmt.Sprintf("Batch requests cannot be longer than %d bytes. You have sent %d bytes.", q.settings.maximumSize, total))
	}
	for i, p := range ready {
		if p == nil {
			continue
		}
		q.send(now, p.m, p.delay)
		out.Successful = append(out.Successful, sendBatchResult{Id: *in.Entries[i].Id, sendResult: sentResult(p.m, in.Entries[i].MessageSystemAttributes)})
	}
	return out, nil
}

// ---- receiving ----

type receiveMessageInput struct {
	QueueUrl                    *string
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         *int32
	VisibilityTimeout           *int32
	WaitTimeSeconds             *int32
	ReceiveRequestAttemptId     *string
}

type messageOutput struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string         `json:",omitempty"`
	MD5OfMessageAttributes string                    `json:",omitempty"`
	MessageAttributes      map[string]attributeValue `json:",omitempty"`
}

type receiveMessageOutput struct {
	Messages []messageOutput `json:",omitempty"`
}

func (s *Service) opReceiveMessage(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[receiveMessageInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	max := 1
	if in.MaxNumberOfMessages != nil {
		if *in.MaxNumberOfMessages < 1 || *in.MaxNumberOfMessages > maxReceiveMessages {
			return nil, errInvalidParam(fmt.Sprintf("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", *in.MaxNumberOfMessages))
		}
		max = int(*in.MaxNumberOfMessages)
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > maxWaitTimeSeconds) {
		return nil, errInvalidParam(fmt.Sprintf("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds))
	}
	if in.ReceiveRequestAttemptId != nil {
		return nil, errInvalidParam(fmt.Sprintf("Value %s for parameter ReceiveRequestAttemptId is invalid. Reason: The request include parameter that is not valid for this queue type.", *in.ReceiveRequestAttemptId))
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	vt := q.settings.visibility()
	if in.VisibilityTimeout != nil {
		if *in.VisibilityTimeout < 0 || *in.VisibilityTimeout > maxVisibilityTimeout {
			return nil, errInvalidParam(fmt.Sprintf("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *in.VisibilityTimeout))
		}
		vt = time.Duration(*in.VisibilityTimeout) * time.Second
	}
	sys := append(slices.Clone(in.AttributeNames), in.MessageSystemAttributeNames...)
	var out receiveMessageOutput
	for _, m := range q.receive(now, max, vt) {
		mo := messageOutput{
			MessageId:     m.id,
			ReceiptHandle: q.receiptHandle(m),
			MD5OfBody:     m.bodyMD5,
			Body:          m.body,
			Attributes:    systemAttributes(m, sys),
		}
		if attrs := selectAttributes(m.attrs, in.MessageAttributeNames); attrs != nil {
			mo.MessageAttributes = attrs
			mo.MD5OfMessageAttributes = attributesMD5(attrs)
		}
		out.Messages = append(out.Messages, mo)
	}
	return out, nil
}

// systemAttributes returns the message system attributes a receiver asked
// for; names that do not apply to standard queues are ignored.
func systemAttributes(m *message, names []string) map[string]string {
	if len(names) == 0 {
		return nil
	}
	all := slices.Contains(names, "All")
	want := func(n string) bool { return all || slices.Contains(names, n) }
	out := map[string]string{}
	if want("SenderId") {
		out["SenderId"] = AccountID
	}
	if want("SentTimestamp") {
		out["SentTimestamp"] = strconv.FormatInt(m.sentAt.UnixMilli(), 10)
	}
	if want("ApproximateReceiveCount") {
		out["ApproximateReceiveCount"] = strconv.Itoa(m.receives)
	}
	if want("ApproximateFirstReceiveTimestamp") {
		out["ApproximateFirstReceiveTimestamp"] = strconv.FormatInt(m.firstReceive.UnixMilli(), 10)
	}
	if want("AWSTraceHeader") && m.traceHeader != "" {
		out["AWSTraceHeader"] = m.traceHeader
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ---- deleting and visibility ----

type deleteMessageInput struct {
	QueueUrl      *string
	ReceiptHandle *string
}

func (s *Service) opDeleteMessage(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[deleteMessageInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	if in.ReceiptHandle == nil || *in.ReceiptHandle == "" {
		return nil, errMissing("ReceiptHandle")
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if aerr := q.deleteMessage(now, *in.ReceiptHandle); aerr != nil {
		return nil, aerr
	}
	return empty{}, nil
}

type handleEntry struct {
	Id                *string
	ReceiptHandle     *string
	VisibilityTimeout *int32
}

type batchIDResult struct {
	Id string
}

type handleBatchOutput struct {
	Successful []batchIDResult
	Failed     []batchResultError
}

// handleBatch runs fn for each entry of a DeleteMessageBatch or
// ChangeMessageVisibilityBatch request and sorts the outcomes.
func (s *Service) handleBatch(body []byte, fn func(q *queue, now time.Time, e *handleEntry) *apiError) (any, *apiError) {
	in, q, aerr := decodeBatch[handleEntry](s, body)
	if aerr != nil {
		return nil, aerr
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	out := handleBatchOutput{Successful: []batchIDResult{}, Failed: []batchResultError{}}
	for i := range in.Entries {
		e := &in.Entries[i]
		var aerr *apiError
		if e.ReceiptHandle == nil || *e.ReceiptHandle == "" {
			aerr = errMissing("ReceiptHandle")
		} else {
			aerr = fn(q, now, e)
		}
		if aerr != nil {
			out.Failed = append(out.Failed, batchFailure(*e.Id, aerr))
			continue
		}
		out.Successful = append(out.Successful, batchIDResult{Id: *e.Id})
	}
	return out, nil
}

func (s *Service) opDeleteMessageBatch(_ *http.Request, body []byte) (any, *apiError) {
	return s.handleBatch(body, func(q *queue, now time.Time, e *handleEntry) *apiError {
		return q.deleteMessage(now, *e.ReceiptHandle)
	})
}

func (s *Service) opChangeMessageVisibilityBatch(_ *http.Request, body []byte) (any, *apiError) {
	return s.handleBatch(body, func(q *queue, now time.Time, e *handleEntry) *apiError {
		if e.VisibilityTimeout == nil {
			return errMissing("VisibilityTimeout")
		}
		if aerr := checkVisibility(*e.VisibilityTimeout); aerr != nil {
			return aerr
		}
		return q.changeVisibility(now, *e.ReceiptHandle, int(*e.VisibilityTimeout))
	})
}

func checkVisibility(v int32) *apiError {
	if v < 0 || v > maxVisibilityTimeout {
		return errInvalidParam(fmt.Sprintf("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.", v))
	}
	return nil
}

type changeVisibilityInput struct {
	QueueUrl          *string
	ReceiptHandle     *string
	VisibilityTimeout *int32
}

func (s *Service) opChangeMessageVisibility(_ *http.Request, body []byte) (any, *apiError) {
	in, aerr := decode[changeVisibilityInput](body)
	if aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queueFromURL(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	if in.ReceiptHandle == nil || *in.ReceiptHandle == "" {
		return nil, errMissing("ReceiptHandle")
	}
	if in.VisibilityTimeout == nil {
		return nil, errMissing("VisibilityTimeout")
	}
	if aerr := checkVisibility(*in.VisibilityTimeout); aerr != nil {
		return nil, aerr
	}
	now := s.clk.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if aerr := q.changeVisibility(now, *in.ReceiptHandle, int(*in.VisibilityTimeout)); aerr != nil {
		return nil, aerr
	}
	return empty{}, nil
}
