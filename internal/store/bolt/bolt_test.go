package bolt

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/storetest"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "headroom.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		t.Helper()
		s, _ := openTemp(t)
		return s
	}, storetest.Options{
		OneProcess: true,
		Reopen: func(t *testing.T, s store.Store) store.Store {
			t.Helper()
			path := s.(*Store).path
			r, err := Open(path)
			if err != nil {
				t.Fatalf("reopen %s: %v", path, err)
			}
			return r
		},
	})
}

func TestSecondOpenRefused(t *testing.T) {
	tests := []struct {
		name string
		// closeFirst closes the first store before the second Open.
		closeFirst bool
		wantErr    bool
	}{
		{"while_open", false, true},
		{"after_close", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first, path := openTemp(t)
			t.Cleanup(func() { _ = first.Close() })
			if tc.closeFirst {
				if err := first.Close(); err != nil {
					t.Fatalf("close first: %v", err)
				}
			}
			second, err := Open(path)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("open after close: %v", err)
				}
				if err := second.Close(); err != nil {
					t.Fatalf("close second: %v", err)
				}
				return
			}
			if err == nil {
				_ = second.Close()
				t.Fatal("second open of a held file succeeded")
			}
			if !errors.Is(err, ErrLocked) {
				t.Errorf("error %v does not match ErrLocked", err)
			}
			for _, want := range []string{path, "another headroom process holds it"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestOpenBadPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "headroom.db")
	_, err := Open(path)
	if err == nil {
		t.Fatal("open under a missing directory succeeded")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestOpenNotABoltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a bolt file\n", 1024)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil {
		t.Fatal("open of a garbage file succeeded")
	}
}

// TestReopenKeepsEverything writes every kind of object, closes the store,
// reopens the file and reads them all back.
func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, path := openTemp(t)

	boost, err := s.PutBoost(ctx, store.Boost{ID: "b1", Name: "sale", Groups: []string{"workers"}, Start: now, End: now.Add(time.Hour), MinCapacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	if boost, err = s.PutBoost(ctx, boost); err != nil {
		t.Fatal(err)
	}
	override, err := s.PutOverride(ctx, store.Override{ID: "o1", Group: "workers", Kind: "pause", ExpiresAt: now.Add(time.Hour), CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	audit := store.AuditEntry{ID: "a1", At: now, Actor: "ops", Action: "boost.create", Object: "b1", After: json.RawMessage(`{"id":"b1"}`)}
	if err := s.AppendAudit(ctx, audit); err != nil {
		t.Fatal(err)
	}
	dec := store.Decision{Group: "workers", At: now, Body: json.RawMessage(`{"desired":10}`)}
	if err := s.AppendDecisions(ctx, []store.Decision{dec}, store.Retention{Count: 10}, now); err != nil {
		t.Fatal(err)
	}
	lease, err := s.AcquireLease(ctx, "replica-a", "p1", time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveIdempotent(ctx, "k1", []byte("first"), time.Hour, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })

	tests := []struct {
		name  string
		check func(t *testing.T) (got, want any)
	}{
		{"boost", func(t *testing.T) (any, any) {
			got, err := s.GetBoost(ctx, "b1")
			if err != nil {
				t.Fatal(err)
			}
			return got, boost
		}},
		{"override", func(t *testing.T) (any, any) {
			got, err := s.ListOverrides(ctx, "workers")
			if err != nil {
				t.Fatal(err)
			}
			return got, []store.Override{override}
		}},
		{"audit", func(t *testing.T) (any, any) {
			got, err := s.ListAudit(ctx, time.Time{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			return got, []store.AuditEntry{audit}
		}},
		{"decisions", func(t *testing.T) (any, any) {
			got, err := s.ListDecisions(ctx, "workers", time.Time{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			return got, []store.Decision{dec}
		}},
		{"lease_still_held", func(t *testing.T) (any, any) {
			_, err := s.AcquireLease(ctx, "replica-b", "p2", time.Minute, now.Add(time.Second))
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("other holder acquire after reopen: error = %v, want ErrConflict", err)
			}
			got, err := s.AcquireLease(ctx, "replica-a", "p1", time.Minute, now.Add(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			return got.Token, lease.Token
		}},
		{"idempotency_key", func(t *testing.T) (any, any) {
			got, err := s.SaveIdempotent(ctx, "k1", []byte("second"), time.Hour, now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return string(got), "first"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, want := tc.check(t)
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("after reopen:\n got  %s\n want %s", g, w)
			}
		})
	}
}

// TestDecisionCountAcrossWrites checks the count that trimming keeps per
// group: across writes, across a reopen (which counts again), and after a
// write that failed and changed nothing.
func TestDecisionCountAcrossWrites(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	keep := store.Retention{Count: 3}
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	decision := func(group string, i int) store.Decision {
		return store.Decision{Group: group, At: at(i), Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
	}
	s, path := openTemp(t)
	list := func(t *testing.T, group string) []int {
		t.Helper()
		ds, err := s.ListDecisions(ctx, group, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, d := range ds {
			var b struct{ N int }
			if err := json.Unmarshal(d.Body, &b); err != nil {
				t.Fatal(err)
			}
			out = append(out, b.N)
		}
		return out
	}
	steps := []struct {
		name string
		do   func(t *testing.T) error
		want []int // workers' decisions, newest first
	}{
		{"two, kept", func(*testing.T) error {
			return s.AppendDecisions(ctx, []store.Decision{decision("workers", 1), decision("workers", 2)}, keep, at(2))
		}, []int{2, 1}},
		{"two more, one dropped", func(*testing.T) error {
			return s.AppendDecisions(ctx, []store.Decision{decision("workers", 3), decision("workers", 4)}, keep, at(4))
		}, []int{4, 3, 2}},
		{"a failed write changes nothing", func(*testing.T) error {
			err := s.AppendDecisions(ctx, []store.Decision{decision("workers", 5), decision("", 5)}, keep, at(5))
			if err == nil {
				t.Error("a decision without a group was accepted")
			}
			return nil
		}, []int{4, 3, 2}},
		{"after the failed write", func(*testing.T) error {
			return s.AppendDecisions(ctx, []store.Decision{decision("workers", 6)}, keep, at(6))
		}, []int{6, 4, 3}},
		{"after a reopen", func(t *testing.T) error {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			var err error
			if s, err = Open(path); err != nil {
				t.Fatal(err)
			}
			return s.AppendDecisions(ctx, []store.Decision{decision("workers", 7), decision("workers", 8)}, keep, at(8))
		}, []int{8, 7, 6}},
		{"age and count at once", func(*testing.T) error {
			return s.AppendDecisions(ctx, []store.Decision{decision("workers", 9)}, store.Retention{Count: 3, Age: 90 * time.Second}, at(9))
		}, []int{9, 8}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(t); err != nil {
				t.Fatal(err)
			}
			got := list(t, "workers")
			if fmt.Sprint(got) != fmt.Sprint(st.want) {
				t.Errorf("decisions %v, want %v", got, st.want)
			}
		})
	}
	t.Cleanup(func() { _ = s.Close() })
}

// TestDecisionRecordsCompressed checks that decisions are stored
// compressed, and that records stored as plain JSON before still read.
func TestDecisionRecordsCompressed(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, _ := openTemp(t)
	t.Cleanup(func() { _ = s.Close() })
	body := json.RawMessage(`{"group":"workers","asg":"workers-asg","current":4,"desired":6,"proposals":[{"policy":"queue","kind":"backlog","capacity":6,"ok":true,"reason":"rate: 12/s"}],"reason":"scale out to 6"}`)
	old := store.Decision{Group: "workers", At: at, Body: body}
	plain, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	// A record as an earlier version wrote it: plain JSON.
	err = s.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.Bucket(bucketDecisions).CreateBucketIfNotExists([]byte("workers"))
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(timeKey(at, seq), plain)
	})
	if err != nil {
		t.Fatal(err)
	}
	next := store.Decision{Group: "workers", At: at.Add(time.Minute), Body: body}
	if err := s.AppendDecisions(ctx, []store.Decision{next}, store.Retention{Count: 10}, next.At); err != nil {
		t.Fatal(err)
	}

	var stored [][]byte
	_ = s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDecisions).Bucket([]byte("workers")).ForEach(func(_, v []byte) error {
			stored = append(stored, bytes.Clone(v))
			return nil
		})
	})
	if len(stored) != 2 || stored[1][0] != markerFlate || len(stored[1]) >= len(plain) {
		t.Fatalf("stored records: %d; the new one starts with %#x and takes %d bytes for %d of JSON", len(stored), stored[len(stored)-1][0], len(stored[len(stored)-1]), len(plain))
	}
	got, err := s.ListDecisions(ctx, "workers", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Decision{next, old}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("decisions read back:\n got  %s\n want %s", g, w)
	}
}

// TestSweepDropsExpiredKeys checks that saving a key removes other
// expired keys, so the idempotency bucket does not grow without bound.
func TestSweepDropsExpiredKeys(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, _ := openTemp(t)
	t.Cleanup(func() { _ = s.Close() })
	for _, k := range []string{"a", "b", "c"} {
		if _, err := s.SaveIdempotent(ctx, k, []byte(k), time.Minute, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SaveIdempotent(ctx, "d", []byte("d"), time.Minute, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var keys int
	if err := s.db.View(func(tx *bbolt.Tx) error {
		keys = tx.Bucket(bucketIdempotency).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if keys != 1 {
		t.Errorf("%d idempotency keys left, want 1 (the fresh one)", keys)
	}
}

// holdEnv names the file a re-executed test binary holds open for
// TestOtherProcessRefused.
const holdEnv = "HEADROOM_BOLT_TEST_HOLD"

// TestMain lets the test binary act as the other process: with holdEnv set
// it opens the file, says "ready" and holds it until stdin closes.
func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		s, err := Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestOtherProcessRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "headroom.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start holder process: %v", err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("holder process did not open the file: %q, %v", line, err)
	}

	s, err := Open(path)
	if err == nil {
		_ = s.Close()
		t.Fatal("open of a file another process holds succeeded")
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Errorf("error = %v, want ErrLocked naming %s", err, path)
	}

	// Once the other process exits, the file opens.
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("holder process: %v", err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatalf("open after the other process exited: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentWritesShareCommits: many creates and audit entries at once
// (as the admin API sends them under load) share commits; each still
// lands exactly once, and of two creates of one id exactly one wins.
func TestConcurrentWritesShareCommits(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const n = 200
	errs := make([]error, n+2)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("b%03d", i)
			if _, err := s.PutBoost(ctx, store.Boost{ID: id, Start: now, End: now.Add(time.Hour)}); err != nil {
				errs[i] = err
				return
			}
			errs[i] = s.AppendAudit(ctx, store.AuditEntry{At: now, Actor: "ops", Action: "boost.create", Object: id})
		})
	}
	for i := range 2 {
		wg.Go(func() {
			_, errs[n+i] = s.PutBoost(ctx, store.Boost{ID: "same", Start: now, End: now.Add(time.Hour)})
		})
	}
	wg.Wait()
	for i, err := range errs[:n] {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	won := 0
	for _, err := range errs[n:] {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("create of a taken id: %v, want ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d creates of one id won, want 1", won)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// What the writers were told is on disk is there after a reopen.
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boosts, err := s.ListBoosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := s.ListAudit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(boosts) != n+1 || len(audit) != n {
		t.Errorf("after reopen: %d boosts, %d audit entries; want %d, %d", len(boosts), len(audit), n+1, n)
	}
	for _, b := range boosts {
		if b.Version != 1 {
			t.Errorf("boost %s at version %d, want 1", b.ID, b.Version)
		}
	}
}

// TestHistorySize holds a group's 14 days of history to the size
// docs/architecture.md#demand-history states: 50 bytes a bucket in full
// pages, about 200 KB.
func TestHistorySize(t *testing.T) {
	s, _ := openTemp(t)
	t.Cleanup(func() { s.Close() })
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var pts []store.HistoryPoint
	for i := range store.HistoryMaxBuckets + 10 {
		pts = append(pts, store.HistoryPoint{
			Group: "workers", At: now.Add(-time.Duration(i) * store.HistoryBucket),
			Arrivals: float64(i), NeedUnits: 3, Samples: 30, Campaign: i%7 == 0,
		})
	}
	if err := s.RecordHistory(context.Background(), pts, store.HistoryKeep, now); err != nil {
		t.Fatalf("record: %v", err)
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		st := tx.Bucket(bucketHistory).Bucket([]byte("workers")).Stats()
		t.Logf("leaf in use %d, leaf alloc %d, branch alloc %d", st.LeafInuse, st.LeafAlloc, st.BranchAlloc)
		if st.KeyN != store.HistoryMaxBuckets {
			t.Errorf("%d buckets kept, want %d", st.KeyN, store.HistoryMaxBuckets)
		}
		perBucket := 8 + historyRecordSize + 16
		if want := store.HistoryMaxBuckets * perBucket; st.LeafInuse < want || st.LeafInuse > want*21/20 {
			t.Errorf("leaf pages use %d bytes, want %d (%d a bucket) to 5%% more", st.LeafInuse, want, perBucket)
		}
		if alloc := st.LeafAlloc + st.BranchAlloc; alloc > 210_000 {
			t.Errorf("the group's history takes %d bytes of pages, want about 200 KB", alloc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
