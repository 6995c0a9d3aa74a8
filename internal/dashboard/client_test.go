package dashboard

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
)

// TestClientSpeaksAsAPIClient checks what the dashboard's in-process
// client sends and how it reads answers: the session's token, the page's
// request id, the idempotency key, the query split from the path, a 503
// retried with the same key, and a problem decoded with its fields.
func TestClientSpeaksAsAPIClient(t *testing.T) {
	type seen struct {
		method, path, query, auth, reqID, idem, remote, body string
	}
	var got []seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"),
			r.Header.Get("X-Request-Id"), r.Header.Get("Idempotency-Key"), r.RemoteAddr, string(b)})
		switch {
		case r.URL.Path == "/v1/boosts" && len(got) == 1:
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":503,"title":"busy"}`))
		case r.URL.Path == "/v1/boosts":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"b-1"}`))
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"status":422,"title":"invalid","detail":"2 problems","errors":[{"field":"boost.end","detail":"must be after start"},{"field":"groups[1]","detail":"unknown group"}]}`))
		}
	})
	c := newClient(context.Background(), h, "tok", "req-7")

	var out struct{ ID string }
	if err := c.call(http.MethodPost, "/v1/boosts", map[string]int{"min_capacity": 3}, "k-1", &out); err != nil {
		t.Fatalf("POST: %v", err)
	}
	if out.ID != "b-1" {
		t.Errorf("decoded id %q, want b-1", out.ID)
	}
	if len(got) != 2 {
		t.Fatalf("%d requests, want the 503 and its retry", len(got))
	}
	for _, s := range got {
		want := seen{http.MethodPost, "/v1/boosts", "", "Bearer tok", "req-7", "k-1", "127.0.0.1:0", `{"min_capacity":3}`}
		if s != want {
			t.Errorf("sent %+v, want %+v", s, want)
		}
	}

	err := c.call(http.MethodGet, "/v1/groups/a%20b/decisions?limit=5&cursor=x%3Dy", nil, "", nil)
	last := got[len(got)-1]
	if last.path != "/v1/groups/a b/decisions" || last.query != "cursor=x%3Dy&limit=5" {
		t.Errorf("GET sent path %q query %q", last.path, last.query)
	}
	var p *problem
	if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("GET error %v, want a 422 problem", err)
	}
	fields := problemFields(p)
	if fields["end"] != "must be after start" || fields["groups"] != "unknown group" || len(fields) != 2 {
		t.Errorf("problem fields %v", fields)
	}
	if ap := asProblem(errors.New("bug")); ap.Status != http.StatusInternalServerError {
		t.Errorf("a plain error became %+v, want a 500", ap)
	}
}
