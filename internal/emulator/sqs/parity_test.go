package sqs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/testenv"
)

// TestParityWithFauxqs sends the same requests to this emulator and to
// fauxqs, an independent implementation, and compares what the SDK returns
// where both follow SQS: digests, attributes and error codes.
func TestParityWithFauxqs(t *testing.T) {
	e := newEnv(t)
	clients := map[string]*awssqs.Client{"emulator": e.client, "fauxqs": newClient(testenv.Fauxqs(t))}
	ctx := context.Background()

	attrs := map[string]types.MessageAttributeValue{
		"ordinal":  {DataType: aws.String("Number"), StringValue: aws.String("1")},
		"category": {DataType: aws.String("String"), StringValue: aws.String("test")},
		"blob":     {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
		"custom":   {DataType: aws.String("String.custom"), StringValue: aws.String("ü")},
	}
	type result struct {
		md5Body, md5Attrs, body string
		received                int
		receiveCount            string
		unknownQueue, tooMany   string
	}
	results := map[string]result{}
	for name, c := range clients {
		var r result
		q, err := c.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("parity")})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sent, err := c.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("héllo {json}"), MessageAttributes: attrs})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r.md5Body, r.md5Attrs = aws.ToString(sent.MD5OfMessageBody), aws.ToString(sent.MD5OfMessageAttributes)
		got, err := c.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{
			QueueUrl:                    q.QueueUrl,
			MaxNumberOfMessages:         10,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r.received = len(got.Messages)
		if len(got.Messages) == 1 {
			m := got.Messages[0]
			r.body = aws.ToString(m.Body)
			r.receiveCount = m.Attributes["ApproximateReceiveCount"]
			if aws.ToString(m.MD5OfMessageAttributes) != r.md5Attrs {
				t.Errorf("%s: received MD5OfMessageAttributes %s, sent %s", name, aws.ToString(m.MD5OfMessageAttributes), r.md5Attrs)
			}
		}
		_, err = c.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(aws.ToString(q.QueueUrl) + "-missing")})
		r.unknownQueue = errorCode(err)
		var typed *types.QueueDoesNotExist
		if !errors.As(err, &typed) {
			t.Errorf("%s: unknown queue error %v is not QueueDoesNotExist", name, err)
		}
		_, err = c.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 11})
		// fauxqs prefixes every query code with AWS.SimpleQueueService.,
		// while SQS reports its common errors (InvalidParameterValue, ...)
		// bare; compare the names only.
		r.tooMany = strings.TrimPrefix(errorCode(err), "AWS.SimpleQueueService.")
		results[name] = r
	}
	if results["emulator"] != results["fauxqs"] {
		t.Fatalf("emulator and fauxqs differ:\nemulator %+v\nfauxqs   %+v", results["emulator"], results["fauxqs"])
	}
	if r := results["emulator"]; r.received != 1 || r.tooMany != "InvalidParameterValue" {
		t.Fatalf("emulator: %+v", r)
	}
}

func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
