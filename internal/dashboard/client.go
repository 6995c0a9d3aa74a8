package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/headroom-dev/headroom/internal/apiclient"
)

// client sends one session's requests to the admin API with
// apiclient.Client, the client ctl uses, over a transport that serves them
// with the API router in process: the same headers, problems, retries and
// documents as a remote client, without a socket.
type client struct {
	api *apiclient.Client
	ctx context.Context
}

// newClient returns the client for one dashboard request: h is the API
// router, token the session's, requestID the page request's id, which
// the API's log lines then carry.
func newClient(ctx context.Context, h http.Handler, token, requestID string) client {
	return client{ctx: ctx, api: &apiclient.Client{
		BaseURL: inProcessURL,
		Token:   token,
		HTTP:    &http.Client{Transport: inProcess{h: h, requestID: requestID}},
		// A page waits for its answer: short waits before the retries of
		// a 503 (a contended PATCH) rather than ctl's seconds.
		Backoff: func(n int) time.Duration { return 50 * time.Millisecond << (n - 1) },
	}}
}

// inProcessURL is the base URL of in-process requests; nothing listens
// on it.
const inProcessURL = "http://api.in-process"

// inProcess is an http.RoundTripper that serves each request with the API
// router in this process.
type inProcess struct {
	h         http.Handler
	requestID string
}

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	// The dashboard's request went through the listener's router, whose
	// routing state is in the context; the API router must start afresh.
	ctx := context.WithValue(req.Context(), chi.RouteCtxKey, (*chi.Context)(nil))
	in := req.Clone(ctx)
	in.RemoteAddr = "127.0.0.1:0"
	in.RequestURI = in.URL.RequestURI()
	if t.requestID != "" {
		in.Header.Set("X-Request-Id", t.requestID)
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}}
	t.h.ServeHTTP(rec, in)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", rec.status, http.StatusText(rec.status)), StatusCode: rec.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.header, Body: io.NopCloser(&rec.body), ContentLength: int64(rec.body.Len()),
		Request: req,
	}, nil
}

// problem is an API error: an RFC 9457 problem detail.
type problem = apiclient.Problem

// problemFields returns each invalid field's first message, keyed by the
// form field it belongs to: "groups[1]" is the groups field, and a
// preview's "boost.end" is the end field.
func problemFields(p *problem) map[string]string {
	out := map[string]string{}
	add := func(f, detail string) {
		f = strings.TrimPrefix(f, "boost.")
		if i := strings.IndexAny(f, "[."); i > 0 {
			f = f[:i]
		}
		if _, ok := out[f]; !ok && f != "" {
			out[f] = detail
		}
	}
	for _, e := range p.Errors {
		add(e.Field, e.Detail)
	}
	if p.Field != "" && len(p.Errors) == 0 {
		add(p.Field, p.Detail)
	}
	return out
}

// recorder is the response of an in-process request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// call sends method path (which may carry a query) with body (JSON, when
// not nil) and decodes a 2xx answer into out. Any other answer is a
// *problem.
func (c client) call(method, path string, body any, idemKey string, out any) error {
	req := apiclient.Request{Method: method, Path: path, Body: body, IdempotencyKey: idemKey}
	if p, q, ok := strings.Cut(path, "?"); ok {
		v, err := url.ParseQuery(q)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		req.Path, req.Query = p, v
	}
	resp, err := c.api.Do(c.ctx, req)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

// asProblem returns err as a problem; an error that is not one (a bug of
// ours) becomes a 500 without field.
func asProblem(err error) *problem {
	var p *problem
	if errors.As(err, &p) {
		return p
	}
	return &problem{Status: http.StatusInternalServerError, Detail: err.Error()}
}

// The API's documents are apiclient's, the one definition that is checked
// against the server's OpenAPI document.
type (
	groupDoc    = apiclient.GroupSummary
	boostDoc    = apiclient.Boost
	overrideDoc = apiclient.Override
	groupDetail = apiclient.GroupDetail
)

// listAll reads every page of the list route at path (its items under
// key), following each page's next link: the pages the dashboard shows
// are cut from the whole list, which the name filter and the timeline
// need. maxPage is the largest page the API gives.
func listAll[T any](c client, path, key string) ([]T, error) {
	var out []T
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	path += sep + "limit=" + strconv.Itoa(maxPage)
	for range maxPages {
		var page map[string]json.RawMessage
		if err := c.call(http.MethodGet, path, nil, "", &page); err != nil {
			return nil, err
		}
		var items []T
		if err := json.Unmarshal(page[key], &items); err != nil {
			return nil, fmt.Errorf("decode %s of %s: %w", key, path, err)
		}
		out = append(out, items...)
		var next *string
		if raw, ok := page["next"]; ok {
			if err := json.Unmarshal(raw, &next); err != nil {
				return nil, fmt.Errorf("decode next of %s: %w", path, err)
			}
		}
		if next == nil || *next == "" {
			return out, nil
		}
		path = *next
	}
	return nil, fmt.Errorf("%s: more than %d pages", path, maxPages)
}

const (
	// maxPage is the API's largest page.
	maxPage = 1000
	// maxPages stops a list that never ends (a server bug) from holding
	// the page forever: a million items.
	maxPages = 1000
)

func (c client) groups() ([]groupDoc, error) {
	return listAll[groupDoc](c, "/v1/groups", "groups")
}

func (c client) boosts(all bool) ([]boostDoc, error) {
	path := "/v1/boosts"
	if all {
		path += "?all=true"
	}
	return listAll[boostDoc](c, path, "boosts")
}

func (c client) overrides() ([]overrideDoc, error) {
	return listAll[overrideDoc](c, "/v1/overrides", "overrides")
}
