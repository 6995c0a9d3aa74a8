// Package bolt is the embedded store: one bbolt file on local disk for a
// single Headroom replica. bbolt takes an exclusive flock on the file, so a
// second process (or a second Open in this one) is refused rather than
// allowed to corrupt or fork the state.
package bolt

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/headroom-dev/headroom/internal/store"
)

// LockTimeout is how long Open waits for the file lock before refusing:
// long enough to ride out a previous process that is still exiting, short
// enough that a misconfigured second replica fails at start, not later.
const LockTimeout = time.Second

// ErrLocked reports that another process holds the state file.
var ErrLocked = errors.New("another headroom process holds it")

// Bucket names, one per kind of object.
var (
	bucketBoosts      = []byte("boosts")
	bucketOverrides   = []byte("overrides")
	bucketAudit       = []byte("audit")
	bucketDecisions   = []byte("decisions") // one nested bucket per group
	bucketHistory     = []byte("history")   // one nested bucket per group
	bucketLease       = []byte("lease")
	bucketIdempotency = []byte("idempotency")
	leaseKey          = []byte("leader")
)

// Store is a store.Store over one bbolt file.
type Store struct {
	db   *bbolt.DB
	path string

	// counts holds each group's number of decisions as of the last
	// committed AppendDecisions, for the groups written since Open. The
	// file lock makes this process the file's only writer.
	mu     sync.Mutex
	counts map[string]int
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the state file at path. Every commit is
// fsynced (bbolt's default), so a write that returned is on disk.
func Open(path string) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout: LockTimeout,
		// The free-page list is kept as a map and not written at each
		// commit (it is rebuilt by a scan of the file when it opens), as
		// etcd runs bbolt: with the array list and its sync, every
		// commit costs in proportion to the file's free pages, which
		// grow with the groups' decision history, so each cycle's write
		// grew with the fleet faster than the fleet.
		FreelistType:   bbolt.FreelistMapType,
		NoFreelistSync: true,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open state file %q: %w (file lock not acquired within %s): %w", path, ErrLocked, LockTimeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open state file %q: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketBoosts, bucketOverrides, bucketAudit, bucketDecisions, bucketHistory, bucketLease, bucketIdempotency} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %q: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open state file %q: %w", path, err)
	}
	db.MaxBatchDelay = batchDelay
	return &Store{db: db, path: path, counts: map[string]int{}}, nil
}

// batchDelay is how long a write of the admin API waits for others to
// share its commit (see batch). Every commit is fsynced and bbolt commits
// one at a time, so writes that each took their own commit queue behind
// each other's fsyncs: at 100 boost creates a second (two writes each:
// the boost and its audit entry) they fell seconds behind on a busy disk.
// Sharing a commit costs each write at most this much.
const batchDelay = 2 * time.Millisecond

// Close releases the file and its lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close state file %q: %w", s.path, err)
	}
	return nil
}

// update runs fn in a write transaction unless ctx is already done; bbolt
// transactions are short and not cancelable once started.
func (s *Store) update(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write state file %q: %w", s.path, err)
	}
	return s.db.Update(fn)
}

// batch runs fn in a write transaction shared with other concurrent
// batch calls (bbolt's DB.Batch), unless ctx is already done: one commit,
// one fsync, for all of them; it returns once that commit is on disk. fn
// may run more than once (when another fn of the batch fails, the rest
// run again without it), so it must only assign what it computes, never
// accumulate. The conditional checks still see every earlier write of the
// batch, as they would in separate transactions.
func (s *Store) batch(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write state file %q: %w", s.path, err)
	}
	return s.db.Batch(fn)
}

// view runs fn in a read transaction unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("read state file %q: %w", s.path, err)
	}
	return s.db.View(fn)
}

// versioned is what putVersioned needs of a boost or an override.
type versioned interface {
	store.Boost | store.Override
}

// putVersioned writes v under id in bucket if the stored version is want
// (0: must not exist), setting its version to want+1 through setVersion.
func putVersioned[T versioned](s *Store, ctx context.Context, bucket []byte, kind, id string, want int64, v *T, setVersion func(*T, int64), version func(T) int64) error {
	if id == "" {
		return fmt.Errorf("put %s: empty id", kind)
	}
	if want < 0 {
		return fmt.Errorf("put %s %q: negative version %d", kind, id, want)
	}
	return s.batch(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		cur := b.Get([]byte(id))
		switch {
		case cur == nil && want != 0:
			return fmt.Errorf("put %s %q at version %d: %w", kind, id, want, store.ErrNotFound)
		case cur != nil && want == 0:
			return fmt.Errorf("create %s %q: already exists: %w", kind, id, store.ErrConflict)
		case cur != nil:
			var stored T
			if err := json.Unmarshal(cur, &stored); err != nil {
				return fmt.Errorf("decode %s %q: %w", kind, id, err)
			}
			if got := version(stored); got != want {
				return fmt.Errorf("put %s %q: stored version %d, not %d: %w", kind, id, got, want, store.ErrConflict)
			}
		}
		setVersion(v, want+1)
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s %q: %w", kind, id, err)
		}
		if err := b.Put([]byte(id), data); err != nil {
			return fmt.Errorf("write %s %q: %w", kind, id, err)
		}
		return nil
	})
}

// getJSON decodes the object under id in bucket into v.
func (s *Store) getJSON(ctx context.Context, bucket []byte, kind, id string, v any) error {
	return s.view(ctx, func(tx *bbolt.Tx) error {
		data := tx.Bucket(bucket).Get([]byte(id))
		if data == nil {
			return fmt.Errorf("get %s %q: %w", kind, id, store.ErrNotFound)
		}
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("decode %s %q: %w", kind, id, err)
		}
		return nil
	})
}

// deleteVersioned deletes id from bucket if its stored version is want.
func (s *Store) deleteVersioned(ctx context.Context, bucket []byte, kind, id string, want int64) error {
	return s.batch(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		data := b.Get([]byte(id))
		if data == nil {
			return fmt.Errorf("delete %s %q: %w", kind, id, store.ErrNotFound)
		}
		var stored struct {
			Version int64 `json:"version"`
		}
		if err := json.Unmarshal(data, &stored); err != nil {
			return fmt.Errorf("decode %s %q: %w", kind, id, err)
		}
		if stored.Version != want {
			return fmt.Errorf("delete %s %q: stored version %d, not %d: %w", kind, id, stored.Version, want, store.ErrConflict)
		}
		if err := b.Delete([]byte(id)); err != nil {
			return fmt.Errorf("delete %s %q: %w", kind, id, err)
		}
		return nil
	})
}

// listJSON decodes every value of bucket with decode.
func (s *Store) listJSON(ctx context.Context, bucket []byte, kind string, decode func(k, v []byte) error) error {
	return s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			if err := decode(k, v); err != nil {
				return fmt.Errorf("decode %s %q: %w", kind, k, err)
			}
			return nil
		})
	})
}

// PutBoost creates or replaces a boost; see store.Store.
func (s *Store) PutBoost(ctx context.Context, b store.Boost) (store.Boost, error) {
	err := putVersioned(s, ctx, bucketBoosts, "boost", b.ID, b.Version, &b,
		func(b *store.Boost, v int64) { b.Version = v },
		func(b store.Boost) int64 { return b.Version })
	if err != nil {
		return store.Boost{}, err
	}
	return b, nil
}

// GetBoost returns the boost id, or store.ErrNotFound.
func (s *Store) GetBoost(ctx context.Context, id string) (store.Boost, error) {
	var b store.Boost
	if err := s.getJSON(ctx, bucketBoosts, "boost", id, &b); err != nil {
		return store.Boost{}, err
	}
	return b, nil
}

// ListBoosts returns every boost by Start then ID.
func (s *Store) ListBoosts(ctx context.Context) ([]store.Boost, error) {
	out := []store.Boost{}
	err := s.listJSON(ctx, bucketBoosts, "boost", func(_, v []byte) error {
		var b store.Boost
		if err := json.Unmarshal(v, &b); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// DeleteBoost deletes the boost if its stored version is version.
func (s *Store) DeleteBoost(ctx context.Context, id string, version int64) error {
	return s.deleteVersioned(ctx, bucketBoosts, "boost", id, version)
}

// PutOverride creates or replaces an override, like PutBoost.
func (s *Store) PutOverride(ctx context.Context, o store.Override) (store.Override, error) {
	err := putVersioned(s, ctx, bucketOverrides, "override", o.ID, o.Version, &o,
		func(o *store.Override, v int64) { o.Version = v },
		func(o store.Override) int64 { return o.Version })
	if err != nil {
		return store.Override{}, err
	}
	return o, nil
}

// GetOverride returns the override id, or store.ErrNotFound.
func (s *Store) GetOverride(ctx context.Context, id string) (store.Override, error) {
	var o store.Override
	if err := s.getJSON(ctx, bucketOverrides, "override", id, &o); err != nil {
		return store.Override{}, err
	}
	return o, nil
}

// ListOverrides returns the overrides of group ("" for all) by CreatedAt
// then ID.
func (s *Store) ListOverrides(ctx context.Context, group string) ([]store.Override, error) {
	out := []store.Override{}
	err := s.listJSON(ctx, bucketOverrides, "override", func(_, v []byte) error {
		var o store.Override
		if err := json.Unmarshal(v, &o); err != nil {
			return err
		}
		if group == "" || o.Group == group {
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// DeleteOverride deletes the override if its stored version is version.
func (s *Store) DeleteOverride(ctx context.Context, id string, version int64) error {
	return s.deleteVersioned(ctx, bucketOverrides, "override", id, version)
}

// timeKey is a key that sorts by t, then by arrival: 8 bytes of t's Unix
// nanoseconds with the sign bit flipped (so earlier is smaller, even before
// 1970) followed by 8 bytes of the bucket's sequence.
func timeKey(t time.Time, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k[:8], uint64(t.UnixNano())^(1<<63))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// timePrefix is the smallest key at or after t.
func timePrefix(t time.Time) []byte {
	return timeKey(t, 0)
}

// newID returns a random 128-bit hex id.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// AppendAudit records e, giving it an id if it has none.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	if e.ID == "" {
		id, err := newID()
		if err != nil {
			return fmt.Errorf("append audit entry: %w", err)
		}
		e.ID = id
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry %q: %w", e.ID, err)
	}
	return s.batch(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("append audit entry %q: %w", e.ID, err)
		}
		if err := b.Put(timeKey(e.At, seq), data); err != nil {
			return fmt.Errorf("append audit entry %q: %w", e.ID, err)
		}
		return nil
	})
}

// ListAudit returns entries at or after since, oldest first, at most limit
// (0: no limit).
func (s *Store) ListAudit(ctx context.Context, since time.Time, limit int) ([]store.AuditEntry, error) {
	out := []store.AuditEntry{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Seek(timePrefix(since)); k != nil; k, v = c.Next() {
			if limit > 0 && len(out) >= limit {
				break
			}
			var e store.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode audit entry %x: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// A decision record is stored compressed: markerFlate, then the record's
// JSON compressed with raw DEFLATE primed with decisionDict. Records are
// about a kilobyte of JSON that repeats the same keys, and come to about
// a fifth of that; store.decisions.keep of them a group make most of the
// file, and the pages that bbolt reads through its memory map count in
// the process's resident memory. Records written before start with '{'
// and are read as they are.
const markerFlate = 0x01

// decisionDict primes the compression with the keys and common values of
// the controller's decision documents; a body of another shape still
// compresses, only less. Stored records depend on these bytes: a
// different dictionary needs a new marker.
var decisionDict = []byte(`{"group":"","at":"","body":{"group":"","asg":"","at":"","current":2,"desired":2,"min":2,"max":50,` +
	`"serving":2,"pending":0,"warming":0,"asg_min":2,"asg_max":50,"proposals":[{"policy":"","kind":"target_tracking","capacity":2,` +
	`"ok":true,"reason":"value  within 10% of target : hold at "},{"policy":"","kind":"backlog","capacity":0,"ok":true,` +
	`"reason":"rate: "}],"changes":[{"rule":"","from":,"to":,"reason":""}],"inputs":[{"policy":"","name":"metric","value":,` +
	`"age_seconds":,"stale":false}],"scale_in_blocked":"first window after start: ","paused":false,"notes":[],` +
	`"reason":"hold at : target_tracking  wants ","acted":false,"skipped":"","error":""}}`)

// decisionEncoder compresses the records of one write; its compressor is
// made once per write and reset for each record.
type decisionEncoder struct {
	w   *flate.Writer
	buf bytes.Buffer
}

// encode returns d's stored form, in a slice of its own: bbolt keeps the
// value it is given until the transaction commits.
func (e *decisionEncoder) encode(d store.Decision) ([]byte, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	e.buf.Reset()
	e.buf.WriteByte(markerFlate)
	if e.w == nil {
		if e.w, err = flate.NewWriterDict(&e.buf, flate.DefaultCompression, decisionDict); err != nil {
			return nil, err
		}
	} else {
		e.w.Reset(&e.buf)
	}
	if _, err := e.w.Write(data); err != nil {
		return nil, err
	}
	if err := e.w.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(e.buf.Bytes()), nil
}

// decisionDecoder reads stored records, compressed or not, reusing one
// decompressor.
type decisionDecoder struct {
	r   io.ReadCloser
	src bytes.Reader
	buf bytes.Buffer
}

func (dd *decisionDecoder) decode(v []byte, d *store.Decision) error {
	if len(v) == 0 || v[0] != markerFlate {
		return json.Unmarshal(v, d)
	}
	dd.src.Reset(v[1:])
	if dd.r == nil {
		dd.r = flate.NewReaderDict(&dd.src, decisionDict)
	} else if err := dd.r.(flate.Resetter).Reset(&dd.src, decisionDict); err != nil {
		return err
	}
	dd.buf.Reset()
	if _, err := dd.buf.ReadFrom(dd.r); err != nil {
		return fmt.Errorf("decompress: %w", err)
	}
	// Unmarshal copies what it keeps (json.RawMessage included), so buf
	// can take the next record.
	return json.Unmarshal(dd.buf.Bytes(), d)
}

// decisionsFill is the fill percent of a group's decision bucket. Its keys
// only ever grow (time, then sequence) and leave from the oldest end, so
// full pages stay full; bbolt's default of half-full pages would double the
// file and the pages a write touches.
const decisionsFill = 1.0

// AppendDecisions records ds and trims their groups to r as of now, in one
// transaction. Trimming reads only the oldest decisions it drops: each
// group's count is counted once per process, then kept up to date, so a
// write costs the pages it changes rather than a read of every decision
// the group has (up to store.decisions.keep each).
func (s *Store) AppendDecisions(ctx context.Context, ds []store.Decision, r store.Retention, now time.Time) error {
	counts := map[string]int{}
	var enc decisionEncoder
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketDecisions)
		touched := map[string]*bbolt.Bucket{}
		for _, d := range ds {
			if d.Group == "" {
				return errors.New("append decision: empty group")
			}
			b, ok := touched[d.Group]
			if !ok {
				var err error
				if b, err = root.CreateBucketIfNotExists([]byte(d.Group)); err != nil {
					return fmt.Errorf("decisions of group %q: %w", d.Group, err)
				}
				b.FillPercent = decisionsFill
				touched[d.Group] = b
				counts[d.Group] = s.decisionCount(d.Group, b)
			}
			seq, err := b.NextSequence()
			if err != nil {
				return fmt.Errorf("append decision of group %q: %w", d.Group, err)
			}
			data, err := enc.encode(d)
			if err != nil {
				return fmt.Errorf("encode decision of group %q: %w", d.Group, err)
			}
			if err := b.Put(timeKey(d.At, seq), data); err != nil {
				return fmt.Errorf("append decision of group %q: %w", d.Group, err)
			}
			counts[d.Group]++
		}
		for group, b := range touched {
			n, err := trim(b, counts[group], r, now)
			if err != nil {
				return fmt.Errorf("trim decisions of group %q: %w", group, err)
			}
			counts[group] = n
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	for group, n := range counts {
		s.counts[group] = n
	}
	s.mu.Unlock()
	return nil
}

// decisionCount returns how many decisions group's bucket b holds: the
// count kept since the last committed write, or a count of its keys.
func (s *Store) decisionCount(group string, b *bbolt.Bucket) int {
	s.mu.Lock()
	n, ok := s.counts[group]
	s.mu.Unlock()
	if ok {
		return n
	}
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// trim drops a group's decisions older than now-r.Age and all but the
// newest r.Count of the n it holds, oldest first, and returns how many are
// left. Keys sort by time, so what it drops is always a run from the
// oldest, and it reads no further.
func trim(b *bbolt.Bucket, n int, r store.Retention, now time.Time) (int, error) {
	var cutoff []byte
	if r.Age > 0 {
		cutoff = timePrefix(now.Add(-r.Age))
	}
	var drop [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		over := r.Count > 0 && n-len(drop) > r.Count
		old := cutoff != nil && bytes.Compare(k, cutoff) < 0
		if !over && !old {
			break
		}
		drop = append(drop, bytes.Clone(k))
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return n, err
		}
	}
	return n - len(drop), nil
}

// ListDecisions returns a group's decisions at or after since, newest
// first, at most limit (0: no limit).
func (s *Store) ListDecisions(ctx context.Context, group string, since time.Time, limit int) ([]store.Decision, error) {
	out := []store.Decision{}
	var dec decisionDecoder
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDecisions).Bucket([]byte(group))
		if b == nil {
			return nil
		}
		floor := timePrefix(since)
		c := b.Cursor()
		for k, v := c.Last(); k != nil && bytes.Compare(k, floor) >= 0; k, v = c.Prev() {
			if limit > 0 && len(out) >= limit {
				break
			}
			var d store.Decision
			if err := dec.decode(v, &d); err != nil {
				return fmt.Errorf("decode decision of group %q: %w", group, err)
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AcquireLease takes or renews the leader lease; see store.Store. The
// lease is unexpired while now is before ExpiresAt. The file lock admits
// one process at a time, so a lease of holder under another nonce belongs
// to a process that has exited: a restart of the same replica takes its
// lease back at once, with a new token.
func (s *Store) AcquireLease(ctx context.Context, holder, nonce string, ttl time.Duration, now time.Time) (store.Lease, error) {
	if holder == "" {
		return store.Lease{}, errors.New("acquire lease: empty holder")
	}
	if ttl <= 0 {
		return store.Lease{}, fmt.Errorf("acquire lease for %q: ttl %s is not positive", holder, ttl)
	}
	var l store.Lease
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLease)
		if data := b.Get(leaseKey); data != nil {
			if err := json.Unmarshal(data, &l); err != nil {
				return fmt.Errorf("decode lease: %w", err)
			}
		}
		switch {
		case l.Holder == holder && l.Nonce == nonce:
			// A renewal keeps the fencing token.
		case l.Holder == holder:
			// The same replica restarted: its earlier process is gone.
			l.Token++
			l.Nonce = nonce
		case l.Holder != "" && now.Before(l.ExpiresAt):
			return fmt.Errorf("acquire lease for %q: held by %q until %s: %w",
				holder, l.Holder, l.ExpiresAt.UTC().Format(time.RFC3339Nano), store.ErrConflict)
		default:
			l.Token++
			l.Holder, l.Nonce = holder, nonce
		}
		l.ExpiresAt = now.Add(ttl)
		l.Version++
		data, err := json.Marshal(l)
		if err != nil {
			return fmt.Errorf("encode lease: %w", err)
		}
		return b.Put(leaseKey, data)
	})
	if err != nil {
		return store.Lease{}, err
	}
	return l, nil
}

// ReleaseLease gives up l if it is still the stored lease. The record is
// kept, without a holder, so the next holder's token is still higher.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLease)
		data := b.Get(leaseKey)
		if data == nil {
			return fmt.Errorf("release lease of %q: %w", l.Holder, store.ErrNotFound)
		}
		var cur store.Lease
		if err := json.Unmarshal(data, &cur); err != nil {
			return fmt.Errorf("decode lease: %w", err)
		}
		if cur.Holder != l.Holder || cur.Version != l.Version {
			return fmt.Errorf("release lease of %q at version %d: stored lease is %q at version %d: %w",
				l.Holder, l.Version, cur.Holder, cur.Version, store.ErrConflict)
		}
		cur.Holder, cur.Nonce = "", ""
		cur.ExpiresAt = time.Time{}
		cur.Version++
		out, err := json.Marshal(cur)
		if err != nil {
			return fmt.Errorf("encode lease: %w", err)
		}
		return b.Put(leaseKey, out)
	})
}

// idempotent is a stored response body with its expiry.
type idempotent struct {
	Body      []byte    `json:"body"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SaveIdempotent stores body under key unless an unexpired body is stored
// there, and returns the stored one. Expired keys encountered on the way
// are replaced; other expired keys are swept by this call too, bounded so
// one request never pays for a large backlog.
func (s *Store) SaveIdempotent(ctx context.Context, key string, body []byte, ttl time.Duration, now time.Time) ([]byte, error) {
	if key == "" {
		return nil, errors.New("save idempotency key: empty key")
	}
	var out []byte
	err := s.batch(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketIdempotency)
		if data := b.Get([]byte(key)); data != nil {
			var cur idempotent
			if err := json.Unmarshal(data, &cur); err != nil {
				return fmt.Errorf("decode idempotency key %q: %w", key, err)
			}
			if now.Before(cur.ExpiresAt) {
				out = cur.Body
				return nil
			}
		}
		if err := sweepIdempotency(b, now); err != nil {
			return fmt.Errorf("sweep idempotency keys: %w", err)
		}
		data, err := json.Marshal(idempotent{Body: body, ExpiresAt: now.Add(ttl)})
		if err != nil {
			return fmt.Errorf("encode idempotency key %q: %w", key, err)
		}
		if err := b.Put([]byte(key), data); err != nil {
			return fmt.Errorf("save idempotency key %q: %w", key, err)
		}
		out = bytes.Clone(body)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LoadIdempotent implements store.Store.
func (s *Store) LoadIdempotent(ctx context.Context, key string, now time.Time) ([]byte, error) {
	if key == "" {
		return nil, errors.New("load idempotency key: empty key")
	}
	var out []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		data := tx.Bucket(bucketIdempotency).Get([]byte(key))
		if data == nil {
			return store.ErrNotFound
		}
		var cur idempotent
		if err := json.Unmarshal(data, &cur); err != nil {
			return fmt.Errorf("decode idempotency key %q: %w", key, err)
		}
		if !now.Before(cur.ExpiresAt) {
			return store.ErrNotFound
		}
		out = bytes.Clone(cur.Body)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sweepBatch bounds how many keys one save inspects for expiry.
const sweepBatch = 64

// sweepIdempotency deletes expired keys among the first sweepBatch keys
// after a random point, so keys are eventually swept without a scan of the
// whole bucket on every request.
func sweepIdempotency(b *bbolt.Bucket, now time.Time) error {
	var start [8]byte
	if _, err := rand.Read(start[:]); err != nil {
		return err
	}
	var drop [][]byte
	c := b.Cursor()
	k, v := c.Seek(start[:])
	for i := 0; i < sweepBatch; i++ {
		if k == nil {
			k, v = c.First()
			if k == nil {
				break
			}
		}
		var cur idempotent
		if err := json.Unmarshal(v, &cur); err == nil && !now.Before(cur.ExpiresAt) {
			drop = append(drop, bytes.Clone(k))
		}
		k, v = c.Next()
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
