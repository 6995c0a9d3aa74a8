package cloudwatch

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// apiError is an error the emulator answers with: an HTTP status, a code as
// the SDK matches it, and a message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// errorShape describes how CloudWatch reports one error: the Smithy shape
// the SDK deserializes (the `__type`), the awsQuery code the SDK exposes as
// ErrorCode() (CloudWatch is awsQueryCompatible, so the code travels in the
// X-Amzn-Query-Error header), and the member that carries the message.
type errorShape struct {
	typ       string
	queryCode string
	status    int
	msgKey    string
}

// errorShapes maps both shape names and awsQuery codes to the shape, taken
// from the service model of aws-sdk-go-v2/service/cloudwatch (schemas.go:
// smithytraits.AWSQueryError on each error structure). Throttling and
// SerializationException are not modelled errors; their types are those
// AWS's Coral framework sends.
var errorShapes = func() map[string]errorShape {
	shapes := []errorShape{
		{"com.amazonaws.cloudwatch#InvalidParameterValueException", "InvalidParameterValue", 400, "message"},
		{"com.amazonaws.cloudwatch#InvalidParameterCombinationException", "InvalidParameterCombination", 400, "message"},
		{"com.amazonaws.cloudwatch#MissingRequiredParameterException", "MissingParameter", 400, "message"},
		{"com.amazonaws.cloudwatch#InvalidNextToken", "InvalidNextToken", 400, "message"},
		{"com.amazonaws.cloudwatch#InvalidFormatFault", "InvalidFormat", 400, "message"},
		{"com.amazonaws.cloudwatch#LimitExceededFault", "LimitExceeded", 400, "message"},
		{"com.amazonaws.cloudwatch#LimitExceededException", "LimitExceededException", 400, "Message"},
		{"com.amazonaws.cloudwatch#ValidationException", "ValidationError", 400, "message"},
		{"com.amazonaws.cloudwatch#ResourceNotFound", "ResourceNotFound", 404, "message"},
		{"com.amazonaws.cloudwatch#InternalServiceFault", "InternalServiceError", 500, "Message"},
		{"com.amazon.coral.availability#ThrottlingException", "Throttling", 400, "message"},
		{"com.amazon.coral.service#SerializationException", "SerializationException", 400, "message"},
		{"com.amazon.coral.service#UnknownOperationException", "UnknownOperationException", 404, "message"},
		{"com.amazon.coral.service#RequestEntityTooLargeException", "RequestEntityTooLarge", 413, "message"},
	}
	m := make(map[string]errorShape, 2*len(shapes))
	for _, s := range shapes {
		m[s.queryCode] = s
		m[shortName(s.typ)] = s
		m[s.typ] = s
	}
	return m
}()

func shortName(typ string) string {
	for i := len(typ) - 1; i >= 0; i-- {
		if typ[i] == '#' {
			return typ[i+1:]
		}
	}
	return typ
}

// Error codes the emulator itself answers with.
const (
	codeInvalidParameterValue       = "InvalidParameterValue"
	codeInvalidParameterCombination = "InvalidParameterCombination"
	codeMissingParameter            = "MissingParameter"
	codeInvalidNextToken            = "InvalidNextToken"
	codeValidation                  = "ValidationError"
	codeSerialization               = "SerializationException"
	codeUnknownOperation            = "UnknownOperationException"
	codeTooLarge                    = "RequestEntityTooLarge"
)

func newError(code, format string, args ...any) *apiError {
	status := http.StatusBadRequest
	if s, ok := errorShapes[code]; ok {
		status = s.status
	}
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// WriteError writes a CloudWatch error response as the rpcv2Cbor protocol
// carries it: a CBOR map with `__type` and the message, the awsQuery code in
// X-Amzn-Query-Error, and status. code may be a shape name
// ("InvalidParameterValueException"), an awsQuery code
// ("InvalidParameterValue", "Throttling") or any other code, which is sent
// as is. The SDK then returns its typed error (for modelled errors) whose
// ErrorCode() is the awsQuery code, as it does against AWS.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	typ, queryCode, msgKey := code, code, "message"
	if s, ok := errorShapes[code]; ok {
		typ, queryCode, msgKey = s.typ, s.queryCode, s.msgKey
	}
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	body := cbor.Map{"__type": cbor.String(typ), "message": cbor.String(message)}
	if msgKey != "message" {
		body[msgKey] = cbor.String(message)
	}
	h := w.Header()
	h.Set("Content-Type", "application/cbor")
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("X-Amzn-Query-Error", queryCode+";"+fault)
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(body))
}

// The helpers below read members of a decoded CBOR request. A member that is
// absent or CBOR null reads as absent; a member of the wrong type is a
// SerializationException, as a protocol-level decoding failure is.

func typeError(path, want string, v cbor.Value) *apiError {
	return newError(codeSerialization, "%s: expected %s, got %s", path, want, cborKind(v))
}

func cborKind(v cbor.Value) string {
	switch v.(type) {
	case cbor.Uint, cbor.NegInt:
		return "integer"
	case cbor.Float32, cbor.Float64:
		return "float"
	case cbor.String:
		return "string"
	case cbor.Slice:
		return "blob"
	case cbor.List:
		return "list"
	case cbor.Map:
		return "map"
	case *cbor.Tag:
		return "tag"
	case cbor.Bool:
		return "boolean"
	default:
		return "null"
	}
}

func absent(v cbor.Value) bool {
	switch v.(type) {
	case nil, *cbor.Nil, *cbor.Undefined:
		return true
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func member(path string, i int) string {
	return path + ".member." + strconv.Itoa(i+1)
}

func getString(m cbor.Map, key, path string) (string, bool, error) {
	v := m[key]
	if absent(v) {
		return "", false, nil
	}
	s, ok := v.(cbor.String)
	if !ok {
		return "", false, typeError(join(path, key), "string", v)
	}
	return string(s), true, nil
}

func getBool(m cbor.Map, key, path string) (bool, bool, error) {
	v := m[key]
	if absent(v) {
		return false, false, nil
	}
	b, ok := v.(cbor.Bool)
	if !ok {
		return false, false, typeError(join(path, key), "boolean", v)
	}
	return bool(b), true, nil
}

func getInt(m cbor.Map, key, path string) (int64, bool, error) {
	v := m[key]
	if absent(v) {
		return 0, false, nil
	}
	switch n := v.(type) {
	case cbor.Uint:
		if n > math.MaxInt64 {
			return 0, false, newError(codeSerialization, "%s: integer out of range", join(path, key))
		}
		return int64(n), true, nil
	case cbor.NegInt:
		if n == 0 || n > math.MaxInt64 {
			return 0, false, newError(codeSerialization, "%s: integer out of range", join(path, key))
		}
		return -int64(n), true, nil
	}
	return 0, false, typeError(join(path, key), "integer", v)
}

func asFloat(v cbor.Value, path string) (float64, error) {
	switch n := v.(type) {
	case cbor.Float64:
		return float64(n), nil
	case cbor.Float32:
		return float64(n), nil
	case cbor.Uint:
		return float64(n), nil
	case cbor.NegInt:
		if n == 0 {
			return -math.Pow(2, 64), nil
		}
		return -float64(n), nil
	}
	return 0, typeError(path, "number", v)
}

func getFloat(m cbor.Map, key, path string) (float64, bool, error) {
	v := m[key]
	if absent(v) {
		return 0, false, nil
	}
	f, err := asFloat(v, join(path, key))
	return f, err == nil, err
}

// maxEpochSeconds bounds decoded timestamps to [1970, 2200) so that they
// fit Unix nanoseconds in an int64 with room for period arithmetic.
const maxEpochSeconds = 7258118400

func getTime(m cbor.Map, key, path string) (time.Time, bool, error) {
	v := m[key]
	if absent(v) {
		return time.Time{}, false, nil
	}
	p := join(path, key)
	tag, ok := v.(*cbor.Tag)
	if !ok || tag.ID != 1 {
		return time.Time{}, false, typeError(p, "timestamp (tag 1)", v)
	}
	secs, err := asFloat(tag.Value, p)
	if err != nil {
		return time.Time{}, false, err
	}
	if math.IsNaN(secs) || secs < 0 || secs >= maxEpochSeconds {
		return time.Time{}, false, newError(codeInvalidParameterValue, "The value for parameter %s is out of range.", p)
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC(), true, nil
}

func getList(m cbor.Map, key, path string) (cbor.List, bool, error) {
	v := m[key]
	if absent(v) {
		return nil, false, nil
	}
	l, ok := v.(cbor.List)
	if !ok {
		return nil, false, typeError(join(path, key), "list", v)
	}
	return l, true, nil
}

func getMap(m cbor.Map, key, path string) (cbor.Map, bool, error) {
	v := m[key]
	if absent(v) {
		return nil, false, nil
	}
	mm, ok := v.(cbor.Map)
	if !ok {
		return nil, false, typeError(join(path, key), "structure", v)
	}
	return mm, true, nil
}

func asMap(v cbor.Value, path string) (cbor.Map, error) {
	m, ok := v.(cbor.Map)
	if !ok {
		return nil, typeError(path, "structure", v)
	}
	return m, nil
}

func timeValue(t time.Time) cbor.Value {
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1e3)}
}
