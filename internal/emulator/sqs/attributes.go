package sqs

import (
	"fmt"
	"strconv"
	"time"
)

// Queue attribute limits and defaults, from the CreateQueue API reference
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
const (
	maxDelaySeconds          = 900     // 15 minutes
	minMaximumMessageSize    = 1024    // 1 KiB
	maxMaximumMessageSize    = 1048576 // 1 MiB, also the default
	minRetentionSeconds      = 60      // 1 minute
	maxRetentionSeconds      = 1209600 // 14 days
	defaultRetentionSeconds  = 345600  // 4 days
	maxWaitTimeSeconds       = 20      // long polling limit
	maxVisibilityTimeout     = 43200   // 12 hours
	defaultVisibilityTimeout = 30      // seconds
	maxBatchEntries          = 10      // entries in one batch request
	maxBatchEntryIDLength    = 80      // characters in a batch entry id
	maxQueueNameLength       = 80      // characters in a queue name
	queueRecreateWait        = time.Minute
	purgeInterval            = time.Minute
)

// settings are a queue's configurable attributes.
type settings struct {
	delaySeconds      int
	maximumSize       int
	retentionSeconds  int
	waitSeconds       int
	visibilitySeconds int
	// opaque holds attributes the emulator stores and reports but does not
	// act on (policies, encryption settings).
	opaque map[string]string
}

func defaultSettings() settings {
	return settings{
		maximumSize:       maxMaximumMessageSize,
		retentionSeconds:  defaultRetentionSeconds,
		visibilitySeconds: defaultVisibilityTimeout,
		opaque:            map[string]string{"SqsManagedSseEnabled": "true"},
	}
}

type intAttribute struct {
	min, max int
	field    func(*settings) *int
}

// intAttributes are the numeric attributes with their valid ranges.
var intAttributes = map[string]intAttribute{
	"DelaySeconds":                  {0, maxDelaySeconds, func(s *settings) *int { return &s.delaySeconds }},
	"MaximumMessageSize":            {minMaximumMessageSize, maxMaximumMessageSize, func(s *settings) *int { return &s.maximumSize }},
	"MessageRetentionPeriod":        {minRetentionSeconds, maxRetentionSeconds, func(s *settings) *int { return &s.retentionSeconds }},
	"ReceiveMessageWaitTimeSeconds": {0, maxWaitTimeSeconds, func(s *settings) *int { return &s.waitSeconds }},
	"VisibilityTimeout":             {0, maxVisibilityTimeout, func(s *settings) *int { return &s.visibilitySeconds }},
}

// opaqueAttributes are stored verbatim.
var opaqueAttributes = map[string]bool{
	"Policy":                       true,
	"RedrivePolicy":                true,
	"RedriveAllowPolicy":           true,
	"KmsMasterKeyId":               true,
	"KmsDataKeyReusePeriodSeconds": true,
	"SqsManagedSseEnabled":         true,
}

// computedAttributes are read-only and derived from the queue's state.
var computedAttributes = map[string]bool{
	"ApproximateNumberOfMessages":           true,
	"ApproximateNumberOfMessagesNotVisible": true,
	"ApproximateNumberOfMessagesDelayed":    true,
	"CreatedTimestamp":                      true,
	"LastModifiedTimestamp":                 true,
	"QueueArn":                              true,
}

// parseSettingValue validates one settable attribute and returns its
// normalized value.
func parseSettingValue(name, value string) (string, *apiError) {
	if ia, ok := intAttributes[name]; ok {
		n, err := strconv.Atoi(value)
		if err != nil || n < ia.min || n > ia.max {
			return "", newError("InvalidAttributeValue", fmt.Sprintf("Invalid value for the parameter %s.", name))
		}
		return strconv.Itoa(n), nil
	}
	if opaqueAttributes[name] {
		return value, nil
	}
	switch name {
	case "FifoQueue":
		if value == "false" {
			return value, nil
		}
		return "", newError("UnsupportedOperation", "FIFO queues are not supported.")
	case "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit":
		return "", newError("InvalidAttributeName", fmt.Sprintf("Attribute %s is only valid for FIFO queues.", name))
	}
	return "", newError("InvalidAttributeName", fmt.Sprintf("Unknown Attribute %s.", name))
}

// apply validates attrs and sets them. Nothing is changed when any is invalid.
func (s *settings) apply(attrs map[string]string) *apiError {
	next := s.clone()
	for name, value := range attrs {
		v, aerr := parseSettingValue(name, value)
		if aerr != nil {
			return aerr
		}
		if ia, ok := intAttributes[name]; ok {
			n, _ := strconv.Atoi(v)
			*ia.field(&next) = n
		} else if opaqueAttributes[name] {
			next.opaque[name] = v
		}
	}
	*s = next
	return nil
}

// differs reports the first attribute of attrs whose value differs from the
// queue's, for CreateQueue's idempotency rule.
func (s *settings) differs(attrs map[string]string) (string, *apiError) {
	for name, value := range attrs {
		v, aerr := parseSettingValue(name, value)
		if aerr != nil {
			return "", aerr
		}
		current, ok := s.value(name)
		if name == "FifoQueue" {
			current, ok = "false", true
		}
		if !ok || current != v {
			return name, nil
		}
	}
	return "", nil
}

func (s *settings) clone() settings {
	c := *s
	c.opaque = make(map[string]string, len(s.opaque))
	for k, v := range s.opaque {
		c.opaque[k] = v
	}
	return c
}

// value returns a settable attribute's current value.
func (s *settings) value(name string) (string, bool) {
	if ia, ok := intAttributes[name]; ok {
		c := *s
		return strconv.Itoa(*ia.field(&c)), true
	}
	v, ok := s.opaque[name]
	return v, ok
}

func (s *settings) visibility() time.Duration {
	return time.Duration(s.visibilitySeconds) * time.Second
}

func (s *settings) delay() time.Duration {
	return time.Duration(s.delaySeconds) * time.Second
}

func (s *settings) retention() time.Duration {
	return time.Duration(s.retentionSeconds) * time.Second
}
