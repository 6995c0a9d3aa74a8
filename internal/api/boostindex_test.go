package api

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/store"
)

// TestBoostIndexMatchesSelects checks the index against the definition it
// replaces: for random boosts and groups, the ids it returns are exactly
// the boosts whose Selects is true, in listing order, each once. Names,
// keys and values come from a small alphabet that includes "=", so that
// selectors such as "a=b=c" and groups named "a=b" are exercised.
func TestBoostIndexMatchesSelects(t *testing.T) {
	words := []string{"a", "b", "c", "a=b", "b=c", "", "="}
	pick := func(r *rand.Rand) string { return words[r.IntN(len(words))] }
	for seed := range uint64(500) {
		r := rand.New(rand.NewPCG(seed, 1))
		bs := make([]store.Boost, r.IntN(12))
		for i := range bs {
			bs[i].ID = fmt.Sprintf("b%d", i)
			for range 1 + r.IntN(3) {
				sel := pick(r)
				if r.IntN(2) == 0 {
					sel = pick(r) + "=" + pick(r)
				}
				bs[i].Groups = append(bs[i].Groups, sel)
			}
		}
		idx := newBoostIndex(bs)
		for range 20 {
			name := pick(r)
			tags := map[string]string{}
			for range r.IntN(3) {
				tags[pick(r)] = pick(r)
			}
			var want []string
			for _, b := range bs {
				if (schedule.Boost{Groups: b.Groups}).Selects(name, tags) {
					want = append(want, b.ID)
				}
			}
			got := idx.selecting(name, tags)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("seed %d: group %q tags %v under %v: index selects %v, Selects selects %v", seed, name, tags, bs, got, want)
			}
		}
	}
}
