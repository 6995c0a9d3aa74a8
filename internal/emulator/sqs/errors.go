package sqs

import (
	"encoding/json"
	"net/http"
	"strings"
)

// apiError is an error the service answers with: the short code (the Smithy
// shape name for modelled errors), the HTTP status and a message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(code, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: message}
}

// errorShape says how one error code appears on the wire: the `__type` of
// the JSON body and the legacy query code of the x-amzn-query-error header.
// SQS's model carries the awsQueryCompatible trait, so the SDK reads that
// header and reports the query code from ErrorCode().
type errorShape struct {
	typ   string
	query string
}

// errorShapes lists the codes whose wire form is not the default
// `com.amazonaws.sqs#<code>` with query code `<code>`. The query codes come
// from the awsQueryError traits of the SQS Smithy model
// (aws-sdk-go-v2/service/sqs/schemas).
var errorShapes = map[string]errorShape{
	"BatchEntryIdsNotDistinct":     {query: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
	"BatchRequestTooLong":          {query: "AWS.SimpleQueueService.BatchRequestTooLong"},
	"EmptyBatchRequest":            {query: "AWS.SimpleQueueService.EmptyBatchRequest"},
	"InvalidBatchEntryId":          {query: "AWS.SimpleQueueService.InvalidBatchEntryId"},
	"MessageNotInflight":           {query: "AWS.SimpleQueueService.MessageNotInflight"},
	"PurgeQueueInProgress":         {query: "AWS.SimpleQueueService.PurgeQueueInProgress"},
	"QueueDeletedRecently":         {query: "AWS.SimpleQueueService.QueueDeletedRecently"},
	"QueueDoesNotExist":            {query: "AWS.SimpleQueueService.NonExistentQueue"},
	"QueueNameExists":              {query: "QueueAlreadyExists"},
	"TooManyEntriesInBatchRequest": {query: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
	"UnsupportedOperation":         {query: "AWS.SimpleQueueService.UnsupportedOperation"},
	// Protocol-level errors come from the service framework, not the SQS model.
	"UnknownOperationException": {typ: "com.amazon.coral.service#UnknownOperationException"},
	"SerializationException":    {typ: "com.amazon.coral.service#SerializationException"},
	// Authentication errors: the JSON services' framework names them
	// UnrecognizedClientException and ExpiredTokenException; SQS's query
	// compatibility gives the awsQuery codes the SDK then reports.
	"InvalidClientTokenId": {typ: "com.amazon.coral.service#UnrecognizedClientException"},
	"ExpiredToken":         {typ: "com.amazon.coral.service#ExpiredTokenException"},
}

// errorBody is the JSON body of an AWS JSON 1.0 error.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message,omitempty"`
}

// WriteError writes an AWS JSON 1.0 error response the SQS client turns into
// a typed error: status, a JSON body with `__type` and `message`, and the
// x-amzn-query-error header with the legacy code and fault ("Sender" below
// 500, "Receiver" from 500 on). code is the short code, for example
// "QueueDoesNotExist", "RequestThrottled", "InternalError"; a code given as
// a full shape id ("ns#Name") is written as it is. A server that composes
// this service uses WriteError to inject faults.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	typ, query := wireCode(code)
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-Query-Error", query+";"+fault)
	body, err := json.Marshal(errorBody{Type: typ, Message: message})
	if err != nil {
		// A struct of two strings always marshals; keep the response valid anyway.
		body = []byte(`{"__type":"InternalError"}`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func wireCode(code string) (typ, query string) {
	if code == "" {
		code = "InternalError"
	}
	if _, name, ok := strings.Cut(code, "#"); ok {
		return code, name
	}
	shape := errorShapes[code]
	typ, query = shape.typ, shape.query
	if typ == "" {
		typ = "com.amazonaws.sqs#" + code
	}
	if query == "" {
		query = code
	}
	return typ, query
}

func errQueueDoesNotExist() *apiError {
	return newError("QueueDoesNotExist", "The specified queue does not exist.")
}

func errMissing(param string) *apiError {
	return newError("MissingParameter", "The request must contain the parameter "+param+".")
}

func errInvalidParam(message string) *apiError {
	return newError("InvalidParameterValue", message)
}
