package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
)

// walk follows a listing's next links from path, limit at a time, as the
// viewer, calling between after each page. It checks that the Link header
// and next agree and returns the ids (key id of each item) in order.
func (e *env) walk(t *testing.T, path, key, id string, between func(page int)) []string {
	t.Helper()
	var ids []string
	for page := 0; path != ""; page++ {
		if page > 100 {
			t.Fatalf("more than 100 pages")
		}
		r := e.do(req{method: "GET", path: path, token: viewerToken})
		if r.status != 200 {
			t.Fatalf("GET %s: %d\n%s", path, r.status, r.body)
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := json.Unmarshal(body[key], &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			ids = append(ids, fmt.Sprint(it[id]))
		}
		var next *string
		if err := json.Unmarshal(body["next"], &next); err != nil {
			t.Fatalf("next: %v", err)
		}
		link := r.header.Get("Link")
		switch {
		case next == nil && link != "":
			t.Errorf("last page has Link %q", link)
		case next != nil && link != "<"+*next+`>; rel="next"`:
			t.Errorf("Link %q, next %q", link, *next)
		}
		path = ""
		if next != nil {
			path = *next
			if between != nil {
				between(page)
			}
		}
	}
	return ids
}

// exactlyOnce checks that every wanted id is in got once.
func exactlyOnce(t *testing.T, got []string, want ...string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("%s listed %d times in %v", id, seen[id], got)
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s listed %d times", id, n)
		}
	}
}

// TestPagesNeitherSkipNorRepeat walks every list route three items at a
// time while items are added between the pages, some sorting before the
// cursor and some after: every item that existed when the walk began is
// listed exactly once, in the listing's order.
func TestPagesNeitherSkipNorRepeat(t *testing.T) {
	ctx := context.Background()
	t.Run("boosts", func(t *testing.T) {
		e := newEnv(t)
		var want []string
		put := func(i int, start time.Time) string {
			b, err := e.store.PutBoost(ctx, store.Boost{ID: fmt.Sprintf("b-%016x", i), Name: "n", Reason: "r", Groups: []string{"web"},
				Start: start, End: start.Add(time.Hour), MinCapacity: 3, CreatedAt: t0, UpdatedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			return b.ID
		}
		for i := range 8 {
			// Pairs share a start: the id breaks the tie.
			want = append(want, put(i, t0.Add(time.Duration(i/2)*time.Hour)))
		}
		added := 100
		got := e.walk(t, "/v1/boosts?limit=3", "boosts", "id", func(int) {
			put(added, t0.Add(30*time.Minute)) // before the cursor
			put(added+1, t0.Add(99*time.Hour)) // after it
			added += 2
		})
		exactlyOnce(t, got, want...)
		if strings.Join(got[:8], ",") != strings.Join(want, ",") {
			t.Errorf("order %v, want %v first", got, want)
		}
	})
	t.Run("overrides", func(t *testing.T) {
		e := newEnv(t)
		var want, wantWeb []string
		put := func(i int, group string, at time.Time) string {
			o, err := e.store.PutOverride(ctx, store.Override{ID: fmt.Sprintf("o-%016x", i), Group: group, Kind: "pause",
				Reason: "r", ExpiresAt: t0.Add(time.Hour), CreatedBy: "alice", CreatedAt: at})
			if err != nil {
				t.Fatal(err)
			}
			return o.ID
		}
		for i := range 8 {
			g := []string{"web", "workers"}[i%2]
			id := put(i, g, t0.Add(-time.Duration(8-i/3)*time.Minute))
			want = append(want, id)
			if g == "web" {
				wantWeb = append(wantWeb, id)
			}
		}
		added := 100
		more := func(int) {
			put(added, "web", t0.Add(-time.Hour))
			put(added+1, "web", t0)
			added += 2
		}
		exactlyOnce(t, e.walk(t, "/v1/overrides?limit=3", "overrides", "id", more), want...)
		exactlyOnce(t, e.walk(t, "/v1/groups/web/overrides?limit=2", "overrides", "id", more), wantWeb...)
	})
	t.Run("audit", func(t *testing.T) {
		e := newEnv(t)
		var want []string
		for i := range 9 {
			id := fmt.Sprintf("a%02d", i)
			// Three entries an instant.
			if err := e.store.AppendAudit(ctx, store.AuditEntry{ID: id, At: t0.Add(time.Duration(i/3) * time.Second), Actor: "alice",
				Action: "boost.create", Object: "b"}); err != nil {
				t.Fatal(err)
			}
			want = append(want, id)
		}
		added := 0
		got := e.walk(t, "/v1/audit?limit=2", "entries", "id", func(int) {
			added++
			if err := e.store.AppendAudit(ctx, store.AuditEntry{ID: fmt.Sprintf("new%02d", added), At: t0.Add(time.Minute), Actor: "alice",
				Action: "boost.create", Object: "b"}); err != nil {
				t.Fatal(err)
			}
		})
		exactlyOnce(t, got, want...)
		if strings.Join(got[:9], ",") != strings.Join(want, ",") {
			t.Errorf("order %v, want %v first", got, want)
		}
	})
	t.Run("decisions", func(t *testing.T) {
		e := newEnv(t)
		var want []string
		add := func(i int, at time.Time) string {
			id := fmt.Sprintf("d%02d", i)
			body := fmt.Sprintf(`{"group":"workers","at":%q,"reason":%q}`, at.Format(time.RFC3339Nano), id)
			if err := e.store.AppendDecisions(ctx, []store.Decision{{Group: "workers", At: at, Body: json.RawMessage(body)}}, store.Retention{}, at); err != nil {
				t.Fatal(err)
			}
			return id
		}
		for i := range 9 {
			want = append(want, add(i, t0.Add(-time.Duration(9-i/3)*10*time.Second)))
		}
		added := 100
		got := e.walk(t, "/v1/groups/workers/decisions?limit=2", "decisions", "reason", func(int) {
			add(added, t0.Add(time.Duration(added)*time.Second)) // newer: before the cursor
			added++
		})
		exactlyOnce(t, got, want...)
		// Newest first.
		for i := 1; i < len(got); i++ {
			if got[i] > got[i-1] && got[i] < "d99" {
				t.Errorf("order %v is not newest first", got)
				break
			}
		}
	})
	t.Run("groups", func(t *testing.T) {
		e := newEnv(t)
		var views []controller.GroupView
		var want []string
		for i := range 7 {
			name := fmt.Sprintf("g%d", 7-i) // config order is not name order
			views = append(views, controller.GroupView{Name: name, ASG: name})
			want = append(want, name)
		}
		e.fleet.views = views
		got := e.walk(t, "/v1/groups?limit=3", "groups", "name", nil)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("groups %v, want %v", got, want)
		}
	})
}

// TestPageDefaults: without limit a page holds 100 items; limit=1000 all
// of 150.
func TestPageDefaults(t *testing.T) {
	e := newEnv(t)
	for i := range 150 {
		if _, err := e.store.PutOverride(context.Background(), store.Override{ID: fmt.Sprintf("o-%016x", i), Group: "web", Kind: "pause",
			Reason: "r", ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	first := e.must(req{method: "GET", path: "/v1/overrides"}, 200)
	if n := len(first["overrides"].([]any)); n != 100 || first["next"] == nil {
		t.Errorf("default page: %d items, next %v; want 100 and a next link", n, first["next"])
	}
	all := e.must(req{method: "GET", path: "/v1/overrides?limit=1000"}, 200)
	if n := len(all["overrides"].([]any)); n != 150 || all["next"] != nil {
		t.Errorf("limit=1000: %d items, next %v; want 150 and none", n, all["next"])
	}
}

// TestPageBadParameters: a bad limit or cursor is 422 naming the
// parameter, on every list route.
func TestPageBadParameters(t *testing.T) {
	e := newEnv(t)
	boostsCursor := cursor{Listing: "boosts", At: t0, ID: "b-1"}.encode()
	routes := []string{"/v1/groups", "/v1/boosts", "/v1/overrides", "/v1/groups/web/overrides", "/v1/groups/web/decisions", "/v1/audit"}
	for _, route := range routes {
		for _, tc := range []struct{ query, field string }{
			{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=ten", "limit"}, {"limit=-1", "limit"},
			{"cursor=" + url.QueryEscape("not a cursor!"), "cursor"}, {"cursor=e30", "cursor"},
			{"cursor=" + cursor{Listing: "audit"}.encode(), "cursor"},
		} {
			if route == "/v1/boosts" && strings.HasPrefix(tc.query, "cursor=") && tc.query == "cursor="+boostsCursor {
				continue
			}
			if route == "/v1/audit" && tc.query == "cursor="+(cursor{Listing: "audit"}).encode() {
				tc.query = "cursor=" + boostsCursor
			}
			t.Run(route+"?"+tc.query, func(t *testing.T) {
				r := e.do(req{method: "GET", path: route + "?" + tc.query, token: viewerToken})
				if r.status != 422 {
					t.Fatalf("status %d, want 422\n%s", r.status, r.body)
				}
				if got := r.json(t)["field"]; got != tc.field {
					t.Errorf("field %v, want %s\n%s", got, tc.field, r.body)
				}
			})
		}
	}
	// A cursor naming a group no longer configured.
	r := e.do(req{method: "GET", path: "/v1/groups?cursor=" + cursor{Listing: "groups", ID: "gone"}.encode(), token: viewerToken})
	if r.status != 422 || r.json(t)["field"] != "cursor" {
		t.Errorf("gone group: %d %s", r.status, r.body)
	}
}
