// Package awsquery holds what the emulator's awsQuery services (EC2 Auto
// Scaling, STS) share of the protocol: reading a request's parameters and
// writing an error, in the shapes the SDK's awsQuery deserializers read.
package awsquery

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Error is a request the protocol refuses: HTTP status, error code,
// message.
type Error struct {
	Status        int
	Code, Message string
}

// ReadForm reads a request's awsQuery parameters: the URL's and, for a
// POST, the form body's (at most maxBody bytes), the URL's first.
func ReadForm(w http.ResponseWriter, r *http.Request, maxBody int64) (url.Values, *Error) {
	malformed := func(err error) *Error {
		return &Error{Status: http.StatusNotFound, Code: "MalformedQueryString", Message: "The query string contains a syntax error: " + err.Error()}
	}
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, malformed(err)
	}
	if r.Body == nil || r.Method != http.MethodPost {
		return form, nil
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: fmt.Sprintf("Request body is larger than %d bytes.", maxBody)}
		}
		return nil, &Error{Status: http.StatusBadRequest, Code: "MalformedQueryString", Message: "The request body could not be read."}
	}
	body, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, malformed(err)
	}
	for k, vs := range body {
		form[k] = append(form[k], vs...)
	}
	return form, nil
}

// WriteError writes an awsQuery error response of the service whose XML
// namespace is namespace: Type Sender below 500, Receiver from 500 on,
// and the code and message. The SDK maps Code to its typed errors and
// otherwise returns a smithy.APIError carrying Code and Message.
func WriteError(w http.ResponseWriter, namespace string, status int, code, message string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	var b bytes.Buffer
	b.WriteString(`<ErrorResponse xmlns="` + namespace + `"><Error><Type>` + typ + `</Type><Code>`)
	_ = xml.EscapeText(&b, []byte(code))
	b.WriteString(`</Code><Message>`)
	_ = xml.EscapeText(&b, []byte(message))
	b.WriteString(`</Message></Error><RequestId>` + RequestID() + `</RequestId></ErrorResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// RequestID returns a random version 4 UUID, as AWS's request ids are.
func RequestID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
