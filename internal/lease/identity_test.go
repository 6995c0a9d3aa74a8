package lease

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/store/bolt"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
	"github.com/headroom-dev/headroom/internal/testenv"
)

// TestOneNameTwoProcessesInAFleet: two live processes under one replica id
// on a shared DynamoDB table (a copied task definition, two processes on
// one host). The second must not lead while the first renews, nor ever at
// the same time; when the first dies without releasing, the second takes
// over once the lease has expired, under a higher token, and the first's
// later renewal is a conflict that ends nothing new.
func TestOneNameTwoProcessesInAFleet(t *testing.T) {
	client := dynamoClient(t, testenv.Dynalite(t))
	st := dynamo.New(client, "headroom-lease-same-"+strconv.FormatInt(tableSeq.Add(1), 10))
	if err := st.CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	stA := &faulty{Store: st}
	a, mA := newElector(t, stA, "replica-1", clk, Options{})
	b, mB := newElector(t, &faulty{Store: st}, "replica-1", clk, Options{})
	if a.Nonce() == b.Nonce() {
		t.Fatalf("two electors drew the same nonce %q", a.Nonce())
	}
	bothLead := func(when string) {
		t.Helper()
		if a.Leader() && b.Leader() {
			t.Fatalf("%s: both processes of replica-1 lead", when)
		}
	}

	start(t, a)
	start(t, b)
	tok := mustTerm(t, a)
	bothLead("after the first acquire")
	for i := range 4 {
		tick(t, clk, 5*time.Second, a, b)
		bothLead("renewal " + strconv.Itoa(i+1))
		if got := mustTerm(t, a); got != tok {
			t.Fatalf("renewal %d: a's token %d, want %d", i+1, got, tok)
		}
	}
	if got := renewals(mB, resultConflict); got == 0 {
		t.Error("b's attempts were not conflicts")
	}

	// a is cut off from the store (a partition, a stalled host): it keeps
	// running, but its renewals fail.
	stA.setDown(true)
	var took bool
	for range 4 {
		tick(t, clk, 5*time.Second, a, b)
		bothLead("while a is cut off")
		if b.Leader() {
			took = true
			break
		}
	}
	if !took {
		t.Fatal("b never took over after a's lease expired")
	}
	if got := mustTerm(t, b); got <= tok {
		t.Errorf("b's token %d, want above a's %d", got, tok)
	}
	poll(t, func() bool { return testutil.ToFloat64(mA.LeaseRenewalsLost.WithLabelValues(lostExpired)) == 1 },
		"a's renewals lost (expired) to be 1")

	// a reaches the store again: its attempts find b's lease.
	stA.setDown(false)
	if got := a.attempt(context.Background()); got != resultConflict {
		t.Errorf("a's attempt after b took over = %s, want conflict", got)
	}
	tick(t, clk, 5*time.Second, a, b)
	bothLead("after a came back")
	if a.Leader() || !b.Leader() {
		t.Errorf("after a came back: a leads %v, b leads %v; want b alone", a.Leader(), b.Leader())
	}
}

// TestRestartTakesTheLeaseBack: on bolt the file lock admits one process,
// so a restarted replica under the same id takes its lease back at once,
// under a new token, instead of waiting out its own dead predecessor.
func TestRestartTakesTheLeaseBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "headroom.db")
	clk := clock.NewFake(t0)

	st, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := newElector(t, st, "replica-1", clk, Options{})
	first.attempt(context.Background())
	tok := mustTerm(t, first)
	// The process dies: no release, the file lock goes with it.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	clk.Advance(time.Second)
	st, err = bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	second, m := newElector(t, st, "replica-1", clk, Options{})
	if got := second.attempt(context.Background()); got != resultOK {
		t.Fatalf("restart's first attempt = %s, want ok", got)
	}
	if got := mustTerm(t, second); got <= tok {
		t.Errorf("restart's token %d, want above %d", got, tok)
	}
	if n := testutil.CollectAndCount(m.LeaseCallDuration); n != 1 {
		t.Errorf("lease call duration series = %d, want 1 (acquire)", n)
	}
}
