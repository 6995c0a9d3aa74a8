// Package awsjson holds what the emulator's AWS JSON 1.1 services (ECS,
// Application Auto Scaling) share of the protocol: the error body the
// SDK turns into typed errors, and the success reply.
package awsjson

import (
	"encoding/json"
	"net/http"
)

// ContentType is the content type of AWS JSON 1.1 requests and replies.
const ContentType = "application/x-amz-json-1.1"

// WriteError writes an AWS JSON 1.1 error: {"__type": code, "message":
// message}, which the SDK maps to its typed errors by code. An empty code
// is fallback, the service's own internal error.
func WriteError(w http.ResponseWriter, status int, code, message, fallback string) {
	if code == "" {
		code = fallback
	}
	b, err := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message,omitempty"`
	}{code, message})
	if err != nil {
		b = []byte(`{"__type":"` + fallback + `"}`)
	}
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Reply writes out as a 200 reply; if out cannot be encoded, it writes a
// 500 with writeError and the code internal.
func Reply(w http.ResponseWriter, out any, writeError func(http.ResponseWriter, int, string, string), internal string) {
	b, err := json.Marshal(out)
	if err != nil {
		writeError(w, http.StatusInternalServerError, internal, err.Error())
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
