package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/headroom-dev/headroom/internal/text"
)

// problemBase prefixes every problem type; the suffix names the kind of
// failure (RFC 9457 section 3.1.1: the type is a URI reference).
const problemBase = "https://headroom.dev/problems/"

// Problem kinds, the suffixes of the problem types of the API contract.
const (
	kindMalformedJSON    = "malformed-json"
	kindUnknownField     = "unknown-field"
	kindInvalidField     = "invalid-field"
	kindUnauthorized     = "unauthorized"
	kindForbidden        = "forbidden"
	kindNotFound         = "not-found"
	kindMethodNotAllowed = "method-not-allowed"
	kindConflict         = "conflict"
	kindBodyTooLarge     = "body-too-large"
	kindUnsupportedMedia = "unsupported-media-type"
	kindUnavailable      = "unavailable"
	kindRateLimited      = "rate-limited"
	kindInternal         = "internal"
)

// problemTitles are the fixed, human-readable summaries of each kind.
var problemTitles = map[string]string{
	kindMalformedJSON:    "Malformed JSON",
	kindUnknownField:     "Unknown field",
	kindInvalidField:     "Invalid request",
	kindUnauthorized:     "Unauthorized",
	kindForbidden:        "Forbidden",
	kindNotFound:         "Not found",
	kindMethodNotAllowed: "Method not allowed",
	kindConflict:         "Conflict",
	kindBodyTooLarge:     "Request body too large",
	kindUnsupportedMedia: "Unsupported media type",
	kindUnavailable:      "Service unavailable",
	kindRateLimited:      "Too many requests",
	kindInternal:         "Internal error",
}

// fieldError is one invalid field and what is wrong with it.
type fieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// problem is an RFC 9457 problem detail before it is written.
type problem struct {
	kind   string
	status int
	detail string
	// field is the first invalid field; errs lists every one.
	field string
	errs  []fieldError
}

func (p *problem) Error() string {
	if p.field != "" {
		return fmt.Sprintf("%s: %s: %s", p.kind, p.field, p.detail)
	}
	return p.kind + ": " + p.detail
}

// problemDoc is a problem as it goes on the wire.
type problemDoc struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	Field     string       `json:"field,omitempty"`
	Errors    []fieldError `json:"errors,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
}

func newProblem(kind string, status int, format string, args ...any) *problem {
	return &problem{kind: kind, status: status, detail: fmt.Sprintf(format, args...)}
}

func malformed(format string, args ...any) *problem {
	return newProblem(kindMalformedJSON, http.StatusBadRequest, format, args...)
}

func notFound(format string, args ...any) *problem {
	return newProblem(kindNotFound, http.StatusNotFound, format, args...)
}

func conflict(format string, args ...any) *problem {
	return newProblem(kindConflict, http.StatusConflict, format, args...)
}

func unavailable(format string, args ...any) *problem {
	return newProblem(kindUnavailable, http.StatusServiceUnavailable, format, args...)
}

func unknownField(field string) *problem {
	return &problem{kind: kindUnknownField, status: http.StatusBadRequest, field: field,
		detail: fmt.Sprintf("%s: unknown field", field),
		errs:   []fieldError{{Field: field, Detail: "unknown field"}}}
}

// invalid returns a single-field invalid-field problem.
func invalid(field, format string, args ...any) *problem {
	var ps problems
	ps.add(field, format, args...)
	return ps.problem()
}

// problems collects every invalid field of a request, in the order found.
type problems []fieldError

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, fieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

// has reports whether field already has a problem, so that a field is
// not blamed twice for one mistake.
func (ps problems) has(field string) bool {
	for _, e := range ps {
		if e.Field == field {
			return true
		}
	}
	return false
}

// hasPrefix reports whether field, or a field inside it, already has a
// problem.
func (ps problems) hasPrefix(field string) bool {
	for _, e := range ps {
		if e.Field == field || strings.HasPrefix(e.Field, field+".") || strings.HasPrefix(e.Field, field+"[") {
			return true
		}
	}
	return false
}

// problem returns the collected problems as one invalid-field problem, or
// nil when there are none.
func (ps problems) problem() *problem {
	if len(ps) == 0 {
		return nil
	}
	return &problem{kind: kindInvalidField, status: http.StatusUnprocessableEntity,
		field: ps[0].Field, detail: ps[0].Field + ": " + ps[0].Detail, errs: ps}
}

// marshal renders p for the request at path. Field names and details
// may quote what the client sent (an unknown key, a queue name), so they
// go out through text.Escape: a problem printed by a terminal or a page
// cannot carry the escape sequences the request did.
func (p *problem) marshal(path, requestID string) []byte {
	errs := make([]fieldError, len(p.errs))
	for i, e := range p.errs {
		errs[i] = fieldError{Field: text.Escape(e.Field), Detail: text.Escape(e.Detail)}
	}
	if len(errs) == 0 {
		errs = nil
	}
	doc := problemDoc{Type: problemBase + p.kind, Title: problemTitles[p.kind], Status: p.status,
		Detail: text.Escape(p.detail), Instance: text.Escape(path), Field: text.Escape(p.field), Errors: errs, RequestID: requestID}
	b, err := json.Marshal(doc)
	if err != nil {
		// A problemDoc holds only strings and ints; this cannot fail.
		return []byte(`{"type":"` + problemBase + kindInternal + `","title":"Internal error","status":500}`)
	}
	return b
}

// writeProblem answers r with p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	if p.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="headroom"`)
	}
	if p.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.status)
	_, _ = w.Write(p.marshal(r.URL.Path, requestIDFrom(r.Context())))
}
