package config

import (
	"fmt"
	"testing"
)

// TestVisitLimitGrowsWithTheDocument: a document's own values each take
// at least a byte of it, so the bound on the walk is the larger of
// maxVisits and the document's size, never less.
func TestVisitLimitGrowsWithTheDocument(t *testing.T) {
	for _, tc := range []struct{ bytes, want int }{
		{0, maxVisits},
		{1000, maxVisits},
		{maxVisits, maxVisits},
		{maxVisits + 1, maxVisits + 1},
		{40 << 20, 40 << 20},
	} {
		if got := visitLimit(tc.bytes); got != tc.want {
			t.Errorf("visitLimit(%d) = %d, want %d", tc.bytes, got, tc.want)
		}
	}
}

// TestAliasBombRefused: aliases that expand a small document into
// millions of values are still refused, quickly.
func TestAliasBombRefused(t *testing.T) {
	doc := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := range 8 {
		name := fmt.Sprintf("l%d", i)
		doc += fmt.Sprintf("%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	if _, err := Parse([]byte(doc)); err == nil {
		t.Fatal("an alias bomb was accepted")
	}
}
