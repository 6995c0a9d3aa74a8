package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
)

// deadlines is a transport that records each request's URL and the
// deadline of its context.
type deadlines struct {
	mu    sync.Mutex
	urls  []string
	times []time.Time
}

func (d *deadlines) RoundTrip(r *http.Request) (*http.Response, error) {
	dl, ok := r.Context().Deadline()
	d.mu.Lock()
	d.urls = append(d.urls, r.URL.RequestURI())
	if ok {
		d.times = append(d.times, dl)
	} else {
		d.times = append(d.times, time.Time{})
	}
	d.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// runRecorded runs ctl with rec as its transport.
func runRecorded(t *testing.T, env map[string]string, rec *deadlines, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return testNow },
		HTTP: &http.Client{Transport: rec}, Backoff: func(int) time.Duration { return 0 }})
	return code, out.String(), errb.String()
}

// TestListsFollowPages: with more items than a page holds, every list
// command shows every item once, in tables and in JSON, having followed
// the server's next links, all under the command's one deadline.
func TestListsFollowPages(t *testing.T) {
	var views []controller.GroupView
	for i := range 230 {
		views = append(views, groupView(fmt.Sprintf("g%03d", i), time.Minute))
	}
	s := startReal(t, views...)
	ctx := context.Background()
	for i := range 250 {
		s.putBoost(t, store.Boost{ID: fmt.Sprintf("b-%016x", i), Name: "n", Reason: "r", Groups: []string{"g000"},
			Start: testNow.Add(time.Duration(i%7) * time.Hour), End: testNow.Add(10 * time.Hour), MinCapacity: 3})
		if _, err := s.store.PutOverride(ctx, store.Override{ID: fmt.Sprintf("o-%016x", i), Group: "g001", Kind: "pause",
			Reason: "r", ExpiresAt: testNow.Add(time.Hour), CreatedBy: "op", CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
		if err := s.store.AppendAudit(ctx, store.AuditEntry{ID: fmt.Sprintf("a%04d", i), At: testNow.Add(time.Duration(i/3) * time.Second),
			Actor: "op", Action: "boost.create", Object: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		args  []string
		key   string
		id    string
		want  int
		pages int
	}{
		{[]string{"groups"}, "groups", "name", 230, 3},
		{[]string{"boost", "list"}, "boosts", "id", 250, 3},
		{[]string{"override", "list"}, "overrides", "id", 250, 3},
		{[]string{"override", "list", "g001"}, "overrides", "id", 250, 3},
		{[]string{"audit"}, "entries", "id", 250, 3},
		{[]string{"audit", "--limit", "150"}, "entries", "id", 150, 1},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			rec := &deadlines{}
			code, stdout, stderr := runRecorded(t, s.env(), rec, append(tc.args, "--output", "json")...)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var doc map[string]json.RawMessage
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatal(err)
			}
			var items []map[string]any
			if err := json.Unmarshal(doc[tc.key], &items); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, it := range items {
				id := fmt.Sprint(it[tc.id])
				if seen[id] {
					t.Errorf("%s listed twice", id)
				}
				seen[id] = true
			}
			if len(items) != tc.want || string(doc["next"]) != "null" {
				t.Errorf("%d items, next %s; want %d and null", len(items), doc["next"], tc.want)
			}
			if len(rec.urls) != tc.pages {
				t.Errorf("%d requests, want %d: %v", len(rec.urls), tc.pages, rec.urls)
			}
			for i, dl := range rec.times {
				if dl.IsZero() || !dl.Equal(rec.times[0]) {
					t.Errorf("request %d (%s) has deadline %v, the first %v: want one deadline for the command", i, rec.urls[i], dl, rec.times[0])
				}
			}

			// The table has a row per item.
			code, stdout, stderr = runCtl(t, s.env(), tc.args...)
			if code != ExitOK {
				t.Fatalf("table: exit %d\n%s", code, stderr)
			}
			if rows := strings.Count(stdout, "\n") - 1; rows != tc.want {
				t.Errorf("table: %d rows, want %d", rows, tc.want)
			}
		})
	}
}
