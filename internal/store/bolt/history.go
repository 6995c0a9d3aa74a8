package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/headroom-dev/headroom/internal/store"
)

// A demand history bucket is stored under its group's nested bucket of
// bucketHistory, keyed by historyKey(At), as historyRecordSize bytes:
// markerHistory, then Arrivals and NeedUnits as IEEE 754 float64 bits,
// then Samples as a uint64, then a flags byte (bit 0: Campaign), all big
// endian. With bbolt's 16-byte header of a leaf element, a bucket takes
// 8 + 26 + 16 = 50 bytes of a full page, so a group kept for
// store.HistoryKeep (4,032 buckets) holds about 200 KB.
const (
	markerHistory     = 0x01
	historyRecordSize = 1 + 8 + 8 + 8 + 1
	flagCampaign      = 0x01
)

// historyFill is the fill percent of a group's history bucket: new keys
// land at the newest end and leave from the oldest, and a merge rewrites
// a value in place at the same size, so full pages stay full (as for
// decisions, see decisionsFill).
const historyFill = 1.0

// historyKey is the key of the bucket starting at the Unix second sec: 8
// bytes big endian with the sign bit flipped, so that byte order is time
// order, before 1970 too. Seconds, not nanoseconds: bucket starts are
// whole seconds, and every time.Time has Unix seconds in an int64 (its
// nanoseconds overflow before 1678, which the zero time is).
func historyKey(sec int64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, uint64(sec)^(1<<63))
	return k
}

// ceilSecond is the first whole Unix second at or after t: a bucket
// starts at or after t exactly when its second is at or after this.
func ceilSecond(t time.Time) int64 {
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return sec
}

func encodeHistory(p store.HistoryPoint) []byte {
	v := make([]byte, historyRecordSize)
	v[0] = markerHistory
	binary.BigEndian.PutUint64(v[1:9], math.Float64bits(p.Arrivals))
	binary.BigEndian.PutUint64(v[9:17], math.Float64bits(p.NeedUnits))
	binary.BigEndian.PutUint64(v[17:25], uint64(p.Samples))
	if p.Campaign {
		v[25] |= flagCampaign
	}
	return v
}

// decodeHistory decodes the bucket stored under k of group.
func decodeHistory(group string, k, v []byte) (store.HistoryPoint, error) {
	if len(k) != 8 {
		return store.HistoryPoint{}, fmt.Errorf("key %x: %d bytes, want 8", k, len(k))
	}
	if len(v) != historyRecordSize || v[0] != markerHistory {
		return store.HistoryPoint{}, fmt.Errorf("bucket %x: %d bytes, want %d starting with %#x", k, len(v), historyRecordSize, markerHistory)
	}
	sec := int64(binary.BigEndian.Uint64(k) ^ (1 << 63))
	return store.HistoryPoint{
		Group:     group,
		At:        time.Unix(sec, 0).UTC(),
		Arrivals:  math.Float64frombits(binary.BigEndian.Uint64(v[1:9])),
		NeedUnits: math.Float64frombits(binary.BigEndian.Uint64(v[9:17])),
		Samples:   int(binary.BigEndian.Uint64(v[17:25])),
		Campaign:  v[25]&flagCampaign != 0,
	}, nil
}

// RecordHistory merges pts into their buckets and drops the touched
// groups' buckets past the cutoff, in one transaction; see store.Store.
// The cutoff costs the keys it deletes and one more: they are the oldest,
// so the cursor stops at the first one it keeps.
func (s *Store) RecordHistory(ctx context.Context, pts []store.HistoryPoint, keep time.Duration, now time.Time) error {
	if err := store.CheckHistory(pts, keep, now); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	if len(pts) == 0 {
		return nil
	}
	cutoff := store.HistoryCutoff(now, keep)
	last := historyKey(cutoff.Unix())
	return s.update(ctx, func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketHistory)
		touched := map[string]*bbolt.Bucket{}
		for _, p := range pts {
			b, ok := touched[p.Group]
			if !ok {
				var err error
				if b, err = root.CreateBucketIfNotExists([]byte(p.Group)); err != nil {
					return fmt.Errorf("history of group %q: %w", p.Group, err)
				}
				b.FillPercent = historyFill
				touched[p.Group] = b
			}
			if !p.At.After(cutoff) {
				continue
			}
			k := historyKey(p.At.Unix())
			if v := b.Get(k); v != nil {
				cur, err := decodeHistory(p.Group, k, v)
				if err != nil {
					return fmt.Errorf("history of group %q: %w", p.Group, err)
				}
				p = store.MergeHistory(cur, p)
			}
			if err := b.Put(k, encodeHistory(p)); err != nil {
				return fmt.Errorf("history of group %q at %s: %w", p.Group, p.At.UTC().Format(time.RFC3339), err)
			}
		}
		for group, b := range touched {
			if err := dropThrough(b, last); err != nil {
				return fmt.Errorf("drop history of group %q: %w", group, err)
			}
		}
		return nil
	})
}

// dropThrough deletes b's keys up to and including last.
func dropThrough(b *bbolt.Bucket, last []byte) error {
	var drop [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, last) <= 0; k, _ = c.Next() {
		drop = append(drop, bytes.Clone(k))
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ListHistory implements store.Store.
func (s *Store) ListHistory(ctx context.Context, group string, since, until time.Time) ([]store.HistoryPoint, error) {
	if group == "" {
		return nil, errors.New("list history: empty group")
	}
	out := []store.HistoryPoint{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketHistory).Bucket([]byte(group))
		if b == nil {
			return nil
		}
		var end []byte
		if !until.IsZero() {
			end = historyKey(ceilSecond(until))
		}
		c := b.Cursor()
		for k, v := c.Seek(historyKey(ceilSecond(since))); k != nil; k, v = c.Next() {
			if end != nil && bytes.Compare(k, end) >= 0 {
				break
			}
			p, err := decodeHistory(group, k, v)
			if err != nil {
				return fmt.Errorf("history of group %q: %w", group, err)
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
