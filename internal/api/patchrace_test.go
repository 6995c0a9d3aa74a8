package api

import (
	"crypto/sha256"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestParallelPatchesWithoutVersion(t *testing.T) {
	e := newEnv(t)
	// A second server on the same store stands for another replica: its
	// writes are not serialized with the first's, so they conflict in the
	// store and are retried.
	h, err := New(Options{Store: e.store, Fleet: e.fleet, Clock: e.clock, Tokens: []Token{
		{Name: "alice", Role: RoleOperator, SHA256: sha256.Sum256([]byte(operatorToken))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	other := httptest.NewServer(h)
	t.Cleanup(other.Close)
	otherEnv := &env{t: t, srv: other, store: e.store, clock: e.clock, fleet: e.fleet}

	id := e.must(req{method: "POST", path: "/v1/boosts", body: boostBody}, 201)["id"].(string)
	const n = 50
	replies := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		via := e
		if i%2 == 1 {
			via = otherEnv
		}
		wg.Go(func() {
			replies[i] = via.do(req{method: "PATCH", path: "/v1/boosts/" + id, token: operatorToken,
				body: fmt.Sprintf(`{"reason":"edit %d"}`, i)})
		})
	}
	wg.Wait()
	for i, r := range replies {
		if r.status != 200 {
			t.Errorf("PATCH %d: %d %s", i, r.status, r.body)
		}
	}
	b, err := e.store.GetBoost(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if b.Version != n+1 {
		t.Errorf("version %d after %d PATCHes, want %d", b.Version, n, n+1)
	}

	// A stale version the client sent is still a conflict.
	before := e.snapshot()
	r := e.do(req{method: "PATCH", path: "/v1/boosts/" + id, token: operatorToken, body: `{"reason":"late","version":1}`})
	checkProblem(t, r, "conflict", "")
	if r.status != 409 {
		t.Errorf("stale version: status %d", r.status)
	}
	if e.snapshot() != before {
		t.Error("a stale PATCH wrote")
	}
}
