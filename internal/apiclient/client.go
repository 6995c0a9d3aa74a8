package apiclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MaxRetries is how many times a request that failed transiently (the
// connection was refused or reset, or the server answered 502, 503 or 504)
// is sent again, with the same Idempotency-Key, before giving up.
const MaxRetries = 3

// maxResponseBytes bounds what the client reads of a response. The API's
// largest answers (1000 decisions or audit entries) stay well below it.
const maxResponseBytes = 64 << 20

// Client calls the Headroom admin API. The zero value is not usable; set at
// least BaseURL.
type Client struct {
	// BaseURL is the server's root, e.g. http://127.0.0.1:9464; paths
	// under /v1 are appended to it.
	BaseURL string
	// Token is sent as "Authorization: Bearer <Token>" when not empty.
	Token string
	// HTTP sends the requests; nil means http.DefaultClient.
	HTTP *http.Client
	// Backoff is the wait before retry n (1-based); nil means 250ms, 500ms,
	// 1s. The context's deadline bounds the whole exchange.
	Backoff func(n int) time.Duration
}

// Request is one call to the API.
type Request struct {
	Method string
	// Path is the path under the base URL, e.g. /v1/groups/web; callers
	// escape path segments with url.PathEscape.
	Path  string
	Query url.Values
	// Body is encoded as JSON when not nil.
	Body any
	// IdempotencyKey is sent as the Idempotency-Key header when not empty.
	IdempotencyKey string
}

// Response is the server's successful answer.
type Response struct {
	Status int
	// Replayed is true when the server answered from its idempotency
	// record rather than doing the write again.
	Replayed bool
	Body     []byte
}

// Problem is an RFC 9457 problem document: the server refused or failed
// the request. It is the error Do returns for any status of 400 or above.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail"`
	Instance string         `json:"instance"`
	Field    string         `json:"field,omitempty"`
	Errors   []FieldProblem `json:"errors,omitempty"`
	// RequestID is the server's id of the request, in its log line.
	RequestID string `json:"request_id,omitempty"`
	// RetryAfter is how long the server asked the client to wait
	// (Retry-After, as on a 429 or 503); 0 when it did not say.
	RetryAfter time.Duration `json:"-"`
}

// FieldProblem is one invalid field of a request.
type FieldProblem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Error returns the detail, or the title and status when there is none.
func (p *Problem) Error() string {
	switch {
	case p.Detail != "":
		return p.Detail
	case p.Title != "":
		return fmt.Sprintf("%s (HTTP %d)", p.Title, p.Status)
	default:
		return fmt.Sprintf("HTTP %d %s", p.Status, http.StatusText(p.Status))
	}
}

// UnreachableError means no answer came from the server: it could not be
// reached, or did not answer before the deadline.
type UnreachableError struct {
	URL string
	Err error
}

// Error names the server and the cause.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the server at %s: %v", e.URL, e.Err)
}

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

// NewIdempotencyKey returns a random key for one invocation: 128 bits, so
// that two operators never collide within the server's 24 h memory.
func NewIdempotencyKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate idempotency key: %w", err)
	}
	return "ctl-" + hex.EncodeToString(b), nil
}

// Do sends req, retrying transient failures up to MaxRetries times with the
// same body and Idempotency-Key. It returns a *Problem for any status of
// 400 or above and an *UnreachableError when no answer came.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s body: %w", req.Method, req.Path, err)
		}
		body = b
	}
	u, err := c.url(req)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, req, u, body)
		if attempt >= MaxRetries || !transient(resp, err) || ctx.Err() != nil {
			return resp, err
		}
		wait := c.backoff(attempt + 1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, err
		case <-t.C:
		}
	}
}

func (c *Client) backoff(n int) time.Duration {
	if c.Backoff != nil {
		return c.Backoff(n)
	}
	return 250 * time.Millisecond << (n - 1)
}

func (c *Client) url(req Request) (string, error) {
	base, err := url.Parse(c.BaseURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return "", fmt.Errorf("server URL %q: want scheme://host[:port]", c.BaseURL)
	}
	u := strings.TrimSuffix(c.BaseURL, "/") + req.Path
	if len(req.Query) > 0 {
		u += "?" + req.Query.Encode()
	}
	return u, nil
}

// once sends one attempt. A non-nil *Response comes with a nil error or a
// *Problem, so that the caller can see the status of a failed attempt.
func (c *Client) once(ctx context.Context, req Request, u string, body []byte) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", req.Method, req.Path, err)
	}
	hreq.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if req.IdempotencyKey != "" {
		hreq.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	hresp, err := hc.Do(hreq)
	if err != nil {
		return nil, &UnreachableError{URL: c.BaseURL, Err: err}
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, maxResponseBytes))
	if err != nil {
		return nil, &UnreachableError{URL: c.BaseURL, Err: fmt.Errorf("read response to %s %s: %w", req.Method, req.Path, err)}
	}
	resp := &Response{Status: hresp.StatusCode, Body: data, Replayed: hresp.Header.Get("Idempotent-Replayed") == "true"}
	if hresp.StatusCode >= 400 {
		return resp, problemOf(hresp, data)
	}
	return resp, nil
}

// problemOf decodes an error response. A proxy in front of the server may
// answer with HTML or plain text; the status still says what happened.
func problemOf(hresp *http.Response, data []byte) *Problem {
	p := &Problem{}
	if strings.Contains(hresp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(data, p); err != nil {
			p = &Problem{}
		}
	}
	p.Status = hresp.StatusCode
	if secs, err := strconv.Atoi(strings.TrimSpace(hresp.Header.Get("Retry-After"))); err == nil && secs > 0 {
		p.RetryAfter = time.Duration(secs) * time.Second
	}
	if p.Title == "" && p.Detail == "" {
		p.Title = http.StatusText(hresp.StatusCode)
		if text := strings.TrimSpace(string(data)); text != "" && !strings.HasPrefix(text, "<") && len(text) <= 200 {
			p.Detail = text
		}
	}
	return p
}

// transient reports whether a failed attempt may succeed when sent again:
// the server was not listening (yet) or dropped the connection, or a
// gateway or the server said it is briefly unavailable.
func transient(resp *Response, err error) bool {
	if err == nil {
		return false
	}
	var un *UnreachableError
	if errors.As(err, &un) {
		return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
	}
	if resp == nil {
		return false
	}
	switch resp.Status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
