package apiclient

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/headroom-dev/headroom/internal/api"
)

// TestProblemDecoded: a refusal of a real server comes back as a *Problem
// with its status, type, title, detail, field errors and Retry-After.
func TestProblemDecoded(t *testing.T) {
	base := server(t, func(o *api.Options) { o.WriteRate, o.WriteBurst = rate.Every(time.Hour), 1 })
	c := &Client{BaseURL: base, Token: token, Backoff: func(int) time.Duration { return 0 }}
	ttl := "1h"
	_, err := c.Do(t.Context(), Request{Method: http.MethodPost, Path: "/v1/groups/web/overrides",
		Body: OverrideInput{Kind: "pin", Reason: "", TTL: &ttl}})
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %v, want a *Problem", err)
	}
	if p.Status != 422 || p.Type == "" || p.Title == "" || p.Detail == "" || len(p.Errors) == 0 || p.Errors[0].Field == "" {
		t.Errorf("422 problem %+v", p)
	}
	// The one write of the burst is spent: the next is 429 with Retry-After.
	_, err = c.Do(t.Context(), Request{Method: http.MethodPost, Path: "/v1/groups/web/overrides",
		Body: OverrideInput{Kind: "pause", Reason: "r", TTL: &ttl}})
	if !errors.As(err, &p) || p.Status != http.StatusTooManyRequests {
		t.Fatalf("error %v, want a 429 problem", err)
	}
	if p.RetryAfter <= 0 {
		t.Errorf("429 without RetryAfter: %+v", p)
	}
}
