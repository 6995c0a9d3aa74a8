package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/headroom-dev/headroom/internal/store"
)

// A demand history bucket is one item, pk HIST#<group>, sk its start as
// timeKey renders it, holding sums rather than means so that a merge is
// DynamoDB's own ADD: arrivals_sum and need_sum (each mean times the
// samples), samples, and campaign_samples (the samples taken during a
// boost; Campaign is campaign_samples > 0), and TTLAttribute. An item of
// a 12-character group takes about 140 bytes as DynamoDB sizes items
// (attribute names, strings, and a byte per two digits of a number: "Item
// sizes and formats", DynamoDB Developer Guide), so a group kept for
// store.HistoryKeep (4,032 buckets) holds about 570 KB, and reading it all
// with a strongly consistent Query costs about 140 read units. Every merge
// is one write unit.
const (
	prefixHistory       = "HIST#"
	attrArrivalsSum     = "arrivals_sum"
	attrNeedSum         = "need_sum"
	attrSamples         = "samples"
	attrCampaignSamples = "campaign_samples"
)

// historyWriters bounds the UpdateItem calls one RecordHistory has in
// flight. A bucket's merge is one UpdateItem: BatchWriteItem only puts
// whole items, so merging through it would be a read and a later put, and
// a put from a leader that lost its lease could overwrite its successor's
// samples in between. Eight in flight stay within the SDK's ten idle
// connections per host, and send a cycle of 2,000 groups in about 2.5 s
// at 10 ms a call.
const historyWriters = 8

// tinyNumber is the magnitude below which a sum is stored as 0: DynamoDB
// numbers go no closer to zero than 1E-130 ("Supported data types and
// naming rules", DynamoDB Developer Guide), and no demand is measured that
// finely.
const tinyNumber = 1e-100

// historyPruner remembers, for each group, the newest bucket start this
// process has dropped through. The cutoff moves one bucket every five
// minutes, so a group's old buckets are queried when it moves rather than
// on every call. A new process starts empty and prunes each group on its
// first call.
type historyPruner struct {
	mu      sync.Mutex
	through map[string]time.Time
}

// due reports whether group's history has not been dropped through cutoff.
func (p *historyPruner) due(group string, cutoff time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.through[group]
	return !ok || cutoff.After(t)
}

func (p *historyPruner) done(group string, cutoff time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.through == nil {
		p.through = map[string]time.Time{}
	}
	p.through[group] = cutoff
}

// RecordHistory implements store.Store. Each point is merged into its
// bucket's item with one UpdateItem whose ADD is atomic, so two writers (a
// leader and the one that just lost its lease) lose no samples, and two
// points of one call for one bucket merge as any two writes do. Each item
// carries TTLAttribute at At+keep, when the cutoff drops it, so that
// DynamoDB removes the history of a group no longer recorded; groups
// recorded are trimmed by a Query of their expired buckets and
// BatchWriteItem deletes.
func (s *Store) RecordHistory(ctx context.Context, pts []store.HistoryPoint, keep time.Duration, now time.Time) error {
	if err := store.CheckHistory(pts, keep, now); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	cutoff := store.HistoryCutoff(now, keep)
	var live []store.HistoryPoint
	var groups []string
	seen := map[string]bool{}
	for _, p := range pts {
		if !seen[p.Group] {
			seen[p.Group] = true
			groups = append(groups, p.Group)
		}
		if p.At.After(cutoff) {
			live = append(live, p)
		}
	}
	if err := s.mergePoints(ctx, live, keep); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	for _, g := range groups {
		if !s.pruner.due(g, cutoff) {
			continue
		}
		if err := s.dropHistory(ctx, g, cutoff); err != nil {
			return fmt.Errorf("drop history of %q through %s: %w", g, cutoff.Format(time.RFC3339), err)
		}
		s.pruner.done(g, cutoff)
	}
	return nil
}

// mergePoints adds each of pts into its bucket's item, historyWriters at
// a time, and stops sending at the first failure.
func (s *Store) mergePoints(ctx context.Context, pts []store.HistoryPoint, keep time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu     sync.Mutex
		first  error
		failed int
		wg     sync.WaitGroup
	)
	sem := make(chan struct{}, historyWriters)
	sent := 0
	for _, p := range pts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		sent++
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.mergeBucket(ctx, p, keep); err != nil {
				mu.Lock()
				failed++
				if first == nil {
					first = fmt.Errorf("group %q at %s: %w", p.Group, p.At.UTC().Format(time.RFC3339), err)
				}
				mu.Unlock()
				cancel()
			}
		})
	}
	wg.Wait()
	if first == nil && sent < len(pts) {
		first = ctx.Err()
	}
	if first != nil {
		return fmt.Errorf("%d of %d points failed or were not sent: %w", failed+len(pts)-sent, len(pts), first)
	}
	return nil
}

// mergeBucket adds p's sums into its item, creating it if need be.
func (s *Store) mergeBucket(ctx context.Context, p store.HistoryPoint, keep time.Duration) error {
	n := float64(p.Samples)
	campaign := int64(0)
	if p.Campaign {
		campaign = int64(p.Samples)
	}
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.table),
		Key:              key(prefixHistory+p.Group, timeKey(p.At)),
		UpdateExpression: aws.String("ADD #a :a, #n :n, #s :s, #c :c SET #ttl = :ttl"),
		ExpressionAttributeNames: map[string]string{
			"#a": attrArrivalsSum, "#n": attrNeedSum, "#s": attrSamples, "#c": attrCampaignSamples, "#ttl": TTLAttribute,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":a":   floatAttr(p.Arrivals * n),
			":n":   floatAttr(p.NeedUnits * n),
			":s":   numberAttr(int64(p.Samples)),
			":c":   numberAttr(campaign),
			":ttl": numberAttr(p.At.Add(keep).Unix()),
		},
	})
	return mapErr(err)
}

// dropHistory deletes group's buckets that start at or before cutoff.
func (s *Store) dropHistory(ctx context.Context, group string, cutoff time.Time) error {
	var deletes []types.WriteRequest
	q := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk <= :cut"),
		ExpressionAttributeNames:  map[string]string{"#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":cut": &types.AttributeValueMemberS{Value: timeKey(cutoff)}},
		ProjectionExpression:      aws.String("#pk, #sk"),
	}
	err := s.query(ctx, prefixHistory+group, q, 0, func(item map[string]types.AttributeValue) error {
		deletes = append(deletes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{
			attrPK: item[attrPK],
			attrSK: item[attrSK],
		}}})
		return nil
	})
	if err != nil {
		return err
	}
	return s.batchWrite(ctx, deletes)
}

// ListHistory implements store.Store with one strongly consistent Query.
func (s *Store) ListHistory(ctx context.Context, group string, since, until time.Time) ([]store.HistoryPoint, error) {
	if group == "" {
		return nil, errors.New("list history: empty group")
	}
	out := []store.HistoryPoint{}
	if !until.IsZero() && !until.After(since) {
		return out, nil
	}
	q := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk >= :since"),
		ExpressionAttributeNames:  map[string]string{"#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":since": &types.AttributeValueMemberS{Value: timeKey(since)}},
		ScanIndexForward:          aws.Bool(true),
	}
	if !until.IsZero() {
		// BETWEEN is inclusive; the last nanosecond before until is the
		// newest start until admits.
		q.KeyConditionExpression = aws.String("#pk = :pk AND #sk BETWEEN :since AND :last")
		q.ExpressionAttributeValues[":last"] = &types.AttributeValueMemberS{Value: timeKey(until.Add(-time.Nanosecond))}
	}
	err := s.query(ctx, prefixHistory+group, q, 0, func(item map[string]types.AttributeValue) error {
		p, err := decodeHistory(group, item)
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list history of %q: %w", group, err)
	}
	return out, nil
}

// decodeHistory turns a history item back into its bucket's means.
func decodeHistory(group string, item map[string]types.AttributeValue) (store.HistoryPoint, error) {
	sk, ok := item[attrSK].(*types.AttributeValueMemberS)
	if !ok {
		return store.HistoryPoint{}, errors.New("history item without a sort key")
	}
	at, err := time.Parse(timeKeyLayout, sk.Value)
	if err != nil {
		return store.HistoryPoint{}, fmt.Errorf("history item %q: %w", sk.Value, err)
	}
	var nums [4]float64
	for i, name := range []string{attrArrivalsSum, attrNeedSum, attrSamples, attrCampaignSamples} {
		n, ok := item[name].(*types.AttributeValueMemberN)
		if !ok {
			return store.HistoryPoint{}, fmt.Errorf("history item %q: no number %s", sk.Value, name)
		}
		if nums[i], err = strconv.ParseFloat(n.Value, 64); err != nil {
			return store.HistoryPoint{}, fmt.Errorf("history item %q: %s %q: %w", sk.Value, name, n.Value, err)
		}
	}
	samples := nums[2]
	if samples < 1 {
		return store.HistoryPoint{}, fmt.Errorf("history item %q: %s %g, want at least 1", sk.Value, attrSamples, samples)
	}
	return store.HistoryPoint{
		Group:     group,
		At:        at.UTC(),
		Arrivals:  nums[0] / samples,
		NeedUnits: nums[1] / samples,
		Samples:   int(samples),
		Campaign:  nums[3] > 0,
	}, nil
}

// floatAttr renders v as a DynamoDB number: plain decimal digits (never an
// exponent), the fewest that read back as v.
func floatAttr(v float64) types.AttributeValue {
	if v < tinyNumber && v > -tinyNumber {
		v = 0
	}
	return &types.AttributeValueMemberN{Value: strconv.FormatFloat(v, 'f', -1, 64)}
}
