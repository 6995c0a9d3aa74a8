package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/headroom-dev/headroom/internal/apiclient"
)

// client sends one session's requests to the admin API router in
// process, with the session's token, exactly as a remote client would.
type client struct {
	h     http.Handler
	token string
	ctx   context.Context
	// requestID ties the API's log lines to the page's request.
	requestID string
}

// problem is an API error: an RFC 9457 problem detail.
type problem struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Field  string `json:"field"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func (p *problem) Error() string {
	if p.Detail != "" {
		return p.Detail
	}
	if p.Title != "" {
		return p.Title
	}
	return http.StatusText(p.Status)
}

// fields returns each invalid field's first message, keyed by the form
// field it belongs to: "groups[1]" is the groups field, and a preview's
// "boost.end" is the end field.
func (p *problem) fields() map[string]string {
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

// call sends method path with body (JSON, when not nil) and decodes a 2xx
// answer into out. Any other answer is a *problem.
func (c client) call(method, path string, body any, idemKey string, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	// The dashboard's request went through the listener's router, whose
	// routing state is in the context; the API router must start afresh.
	ctx := context.WithValue(c.ctx, chi.RouteCtxKey, (*chi.Context)(nil))
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if c.requestID != "" {
		req.Header.Set("X-Request-Id", c.requestID)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	rec := &recorder{header: http.Header{}}
	c.h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status < 200 || rec.status > 299 {
		p := &problem{}
		if err := json.Unmarshal(rec.body.Bytes(), p); err != nil || p.Status == 0 {
			p = &problem{Status: rec.status, Detail: strings.TrimSpace(rec.body.String())}
		}
		return p
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
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
