package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Every list route pages its answer. A page holds at most limit items
// (default 100, at most 1000: 1000 boosts or decisions are about half a
// megabyte of JSON, which a client still parses in milliseconds and the
// server builds without holding much; more belongs in several requests).
// When more follow, the answer's "next" field and its Link header
// (rel="next") carry the URL of the next page: the same request with an
// opaque cursor, the key of the page's last item in the listing's fixed
// order. The next page starts after that key, so an item created between
// two requests neither moves an earlier item to another page nor makes
// one appear twice. Listings and their orders:
//
//	groups                       config order          key: name
//	boosts                       start, then id        key: start, id
//	overrides (all, by group)    created_at, then id   key: created_at, id
//	decisions                    newest first          key: at, items at that instant already shown
//	audit                        oldest first          key: at, entries at that instant already shown
//
// A boost whose start is changed between two requests may move across the
// page boundary; every other key is fixed when the item is written.

// cursor is the key a page ends on, as the next page's cursor= carries it.
type cursor struct {
	// Listing names the listing the cursor belongs to: a cursor of one
	// listing is refused by another.
	Listing string    `json:"l"`
	At      time.Time `json:"t,omitzero"`
	ID      string    `json:"id,omitempty"`
	// Seen counts the items at At the listing has already shown, for the
	// listings whose key is a time alone.
	Seen int `json:"n,omitempty"`
}

// pageRequest is a list request's limit= and cursor=.
type pageRequest struct {
	limit int
	// after is the previous page's last key; nil for the first page.
	after *cursor
}

// parsePage reads limit= and cursor= for listing, adding a problem named
// after the parameter for each bad one.
func parsePage(r *http.Request, listing string, ps *problems) pageRequest {
	p := pageRequest{limit: defaultLimit}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			ps.add("limit", "must be an integer")
		case n < 1 || n > maxLimit:
			ps.add("limit", "must be between 1 and %d", maxLimit)
		default:
			p.limit = n
		}
	}
	if v := q.Get("cursor"); v != "" {
		c, ok := decodeCursor(v)
		if !ok || c.Listing != listing {
			ps.add("cursor", "is not a cursor of this listing: take the next link of a page of it, or start again without cursor")
		} else {
			p.after = &c
		}
	}
	return p
}

func decodeCursor(s string) (cursor, bool) {
	var c cursor
	if len(s) > 512 {
		return c, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, false
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Seen < 0 {
		return c, false
	}
	return c, true
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// nextURL is the request's own URL with cursor= set to c: the next page,
// with every other parameter (limit, since, all) as the client sent it.
func nextURL(r *http.Request, c cursor) string {
	q := r.URL.Query()
	q.Set("cursor", c.encode())
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

// writePage answers a list request: the list under key, and next (null on
// the last page), also given as a Link header.
func writePage(w http.ResponseWriter, r *http.Request, key string, items any, next *cursor) {
	body := map[string]any{key: items, "next": nil}
	if next != nil {
		u := nextURL(r, *next)
		body["next"] = u
		w.Header().Set("Link", "<"+u+`>; rel="next"`)
	}
	writeJSON(w, http.StatusOK, body)
}

// pageAfter returns the items of the page that p asks for from items, in
// the listing's order; key gives an item's key, and before reports
// whether key a sorts before key b. next is the cursor of the page that
// follows, nil on the last.
func pageAfter[T any](items []T, p pageRequest, listing string, key func(T) cursor, before func(a, b cursor) bool) ([]T, *cursor) {
	start := 0
	if p.after != nil {
		for start < len(items) && !before(*p.after, key(items[start])) {
			start++
		}
	}
	items = items[start:]
	if len(items) <= p.limit {
		return items, nil
	}
	items = items[:p.limit]
	next := key(items[len(items)-1])
	next.Listing = listing
	return items, &next
}

// byTimeThenID orders keys by At, then ID: the boosts' and overrides'
// listings.
func byTimeThenID(a, b cursor) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.ID < b.ID
}

// timeCursor is the cursor after page, whose items are keyed by time
// alone (at): the last item's time and how many items at that time have
// been shown, counting those of earlier pages (after) at the same time.
func timeCursor[T any](listing string, page []T, at func(T) time.Time, after *cursor) *cursor {
	last := at(page[len(page)-1])
	c := &cursor{Listing: listing, At: last}
	for _, it := range page {
		if at(it).Equal(last) {
			c.Seen++
		}
	}
	if after != nil && after.At.Equal(last) {
		c.Seen += after.Seen
	}
	return c
}
