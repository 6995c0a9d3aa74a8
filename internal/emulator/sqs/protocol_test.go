package sqs_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/sqs"
)

// serve sends one raw request to svc and returns the recorded response.
func serve(svc *sqs.Service, method, target, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	if target != "" {
		r.Header.Set("X-Amz-Target", target)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	w := httptest.NewRecorder()
	svc.ServeHTTP(w, r)
	return w
}

func TestProtocolErrors(t *testing.T) {
	svc := sqs.New(clock.NewFake(start), nil)
	if _, err := svc.CreateQueue("q", nil); err != nil {
		t.Fatal(err)
	}
	const q = `"QueueUrl":"http://localhost/000000000000/q"`
	tests := []struct {
		name   string
		method string
		target string
		body   string
		status int
		typ    string
		query  string
	}{
		{"not a POST", http.MethodGet, "AmazonSQS.ListQueues", "", 405, "com.amazon.coral.service#UnknownOperationException", "UnknownOperationException;Sender"},
		{"no target", http.MethodPost, "", "{}", 400, "com.amazon.coral.service#UnknownOperationException", "UnknownOperationException;Sender"},
		{"unknown operation", http.MethodPost, "AmazonSQS.Fly", "{}", 400, "com.amazon.coral.service#UnknownOperationException", "UnknownOperationException;Sender"},
		{"other service", http.MethodPost, "DynamoDB_20120810.ListTables", "{}", 400, "com.amazon.coral.service#UnknownOperationException", "UnknownOperationException;Sender"},
		{"malformed JSON", http.MethodPost, "AmazonSQS.CreateQueue", `{"QueueName":`, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"trailing data", http.MethodPost, "AmazonSQS.CreateQueue", `{"QueueName":"a"} x`, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"wrong member type", http.MethodPost, "AmazonSQS.CreateQueue", `{"QueueName":5}`, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"not an object", http.MethodPost, "AmazonSQS.ListQueues", `[]`, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"fractional integer", http.MethodPost, "AmazonSQS.ReceiveMessage", `{` + q + `,"MaxNumberOfMessages":1.5}`, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"integer overflow", http.MethodPost, "AmazonSQS.ReceiveMessage", `{` + q + `,"MaxNumberOfMessages":99999999999}`, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"bad base64", http.MethodPost, "AmazonSQS.SendMessage", `{` + q + `,"MessageBody":"x","MessageAttributes":{"b":{"DataType":"Binary","BinaryValue":"%%"}}}`, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"missing parameter", http.MethodPost, "AmazonSQS.CreateQueue", `{}`, 400, "com.amazonaws.sqs#MissingParameter", "MissingParameter;Sender"},
		{"missing queue url", http.MethodPost, "AmazonSQS.SendMessage", `{"MessageBody":"x"}`, 400, "com.amazonaws.sqs#MissingParameter", "MissingParameter;Sender"},
		{"zero max messages", http.MethodPost, "AmazonSQS.ReceiveMessage", `{` + q + `,"MaxNumberOfMessages":0}`, 400, "com.amazonaws.sqs#InvalidParameterValue", "InvalidParameterValue;Sender"},
		{"permission actions unsupported", http.MethodPost, "AmazonSQS.AddPermission", `{}`, 400, "com.amazonaws.sqs#UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation;Sender"},
		{"list values unsupported", http.MethodPost, "AmazonSQS.SendMessage", `{` + q + `,"MessageBody":"x","MessageAttributes":{"l":{"DataType":"String","StringListValues":["a"]}}}`, 400, "com.amazonaws.sqs#InvalidParameterValue", "InvalidParameterValue;Sender"},
		{"deduplication id on a standard queue", http.MethodPost, "AmazonSQS.SendMessage", `{` + q + `,"MessageBody":"x","MessageDeduplicationId":"d"}`, 400, "com.amazonaws.sqs#InvalidParameterValue", "InvalidParameterValue;Sender"},
		{"queue of another account", http.MethodPost, "AmazonSQS.PurgeQueue", `{"QueueUrl":"http://localhost/111122223333/q"}`, 400, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(svc, tc.method, tc.target, tc.body)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", w.Body, err)
			}
			if body.Type != tc.typ {
				t.Errorf("__type = %q, want %q", body.Type, tc.typ)
			}
			if got := w.Header().Get("X-Amzn-Query-Error"); got != tc.query {
				t.Errorf("x-amzn-query-error = %q, want %q", got, tc.query)
			}
			if got := w.Header().Get("Content-Type"); got != "application/x-amz-json-1.0" {
				t.Errorf("content type = %q", got)
			}
		})
	}
	t.Run("empty body is an empty input", func(t *testing.T) {
		w := serve(svc, http.MethodPost, "AmazonSQS.ListQueues", "")
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/000000000000/q") {
			t.Fatalf("ListQueues = %d %s", w.Code, w.Body)
		}
	})
}

// TestWriteErrorThroughSDK injects faults in front of the service, as a
// composing server does, and checks what the SDK makes of them.
func TestWriteErrorThroughSDK(t *testing.T) {
	clk := clock.NewFake(start)
	svc := sqs.New(clk, nil)
	if _, err := svc.CreateQueue("q", nil); err != nil {
		t.Fatal(err)
	}
	type fault struct {
		status int
		code   string
	}
	var (
		mu     sync.Mutex
		inject fault
	)
	setFault := func(f fault) {
		mu.Lock()
		defer mu.Unlock()
		inject = f
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		f := inject
		mu.Unlock()
		if f.code != "" {
			sqs.WriteError(w, f.status, f.code, "injected")
			return
		}
		svc.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client := newClient(srv.URL)
	url := aws.String(srv.URL + "/000000000000/q")

	tests := []struct {
		name    string
		status  int
		code    string
		check   func(t *testing.T, err error)
		wantFlt smithy.ErrorFault
	}{
		{name: "throttled", status: 400, code: "RequestThrottled", wantFlt: smithy.FaultClient, check: func(t *testing.T, err error) {
			wantErr[*types.RequestThrottled](t, err, "RequestThrottled")
		}},
		{name: "internal error", status: 500, code: "InternalError", wantFlt: smithy.FaultServer, check: func(t *testing.T, err error) {
			wantErr[*smithy.GenericAPIError](t, err, "InternalError")
		}},
		{name: "unavailable", status: 503, code: "ServiceUnavailable", wantFlt: smithy.FaultServer, check: func(t *testing.T, err error) {
			wantErr[*smithy.GenericAPIError](t, err, "ServiceUnavailable")
		}},
		{name: "queue gone", status: 400, code: "QueueDoesNotExist", wantFlt: smithy.FaultClient, check: func(t *testing.T, err error) {
			wantErr[*types.QueueDoesNotExist](t, err, "AWS.SimpleQueueService.NonExistentQueue")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setFault(fault{tc.status, tc.code})
			_, err := client.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{QueueUrl: url})
			tc.check(t, err)
			var api smithy.APIError
			if errors.As(err, &api) && api.ErrorFault() != tc.wantFlt {
				t.Fatalf("fault = %v, want %v", api.ErrorFault(), tc.wantFlt)
			}
		})
	}
	setFault(fault{})
	if _, err := client.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{QueueUrl: url}); err != nil {
		t.Fatalf("after faults: %v", err)
	}
}
