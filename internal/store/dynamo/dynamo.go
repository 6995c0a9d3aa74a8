// Package dynamo is the fleet-mode store: one DynamoDB table shared by every
// replica, with conditional writes for every update that could race.
//
// Single-table layout (pk, sk):
//
//	BOOST           <id>                    one item per boost
//	OVERRIDE        <id>                    one item per override
//	AUDIT           <at>#<id>               audit trail, oldest first
//	DEC#<group>     <at>#<suffix>           a group's decisions
//	HIST#<group>    <at>                    a group's demand history, one item a bucket
//	LEASE           LEASE                   the leader lease
//	IDEM#<key>      IDEM                    an idempotency key
//
// Boosts and overrides share one partition each so that listing them is a
// strongly consistent Query rather than a Scan of the whole table or an
// eventually consistent index; there are few of them, and the list is
// sorted in memory into the order the store interface promises. Times in
// sort keys are fixed-width UTC so that byte order is time order.
package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/headroom-dev/headroom/internal/store"
)

// Attribute names.
const (
	attrPK      = "pk"
	attrSK      = "sk"
	attrVersion = "version"
	attrBody    = "body"
	attrGroup   = "group_name"
	// attrExpiresNanos is an exact expiry for conditions; DynamoDB TTL
	// works in whole seconds and deletes late, so it cannot decide whether
	// an item is still valid.
	attrExpiresNanos = "expires_at_ns"
	// TTLAttribute is the table's TTL attribute: epoch seconds, as
	// DynamoDB TTL requires ("Using DynamoDB Time to Live", Developer
	// Guide). TTL deletes expired items within a few days, so it only
	// bounds storage; reads never rely on it.
	TTLAttribute = "expires_at_epoch"
)

// Partition and sort keys.
const (
	pkBoost       = "BOOST"
	pkOverride    = "OVERRIDE"
	pkAudit       = "AUDIT"
	pkLease       = "LEASE"
	skLease       = "LEASE"
	skIdem        = "IDEM"
	prefixDecided = "DEC#"
	prefixIdem    = "IDEM#"
)

// batchWriteLimit is the most requests one BatchWriteItem takes ("BatchWriteItem",
// DynamoDB API Reference: up to 25 put or delete requests).
const batchWriteLimit = 25

// unprocessedTries bounds how often a batch's UnprocessedItems are resent;
// AWS recommends resending them with exponential backoff.
const (
	unprocessedTries = 8
	unprocessedDelay = 50 * time.Millisecond
)

// timeKeyLayout renders times in sort keys: fixed width, UTC, nanoseconds,
// so that lexical order is time order for years 0000-9999.
const timeKeyLayout = "2006-01-02T15:04:05.000000000Z"

// tableWait bounds how long CreateTable waits for the table to turn ACTIVE;
// new on-demand tables usually take seconds.
const (
	tableWait        = 5 * time.Minute
	tableWaitMinPoll = 500 * time.Millisecond
	tableWaitMaxPoll = 5 * time.Second
)

// Store keeps Headroom's state in one DynamoDB table.
type Store struct {
	client *dynamodb.Client
	table  string
	pruner historyPruner
}

var _ store.Store = (*Store)(nil)

// New returns a store on table, which must exist (see CreateTable).
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table}
}

// CreateTable creates the table on demand capacity (PAY_PER_REQUEST) with
// key pk (S, hash) and sk (S, range) and waits until it is ACTIVE. It is
// for tests and first runs; production tables are usually created by
// infrastructure code. Call EnableTTL afterwards to let DynamoDB delete
// expired decisions and idempotency keys.
func (s *Store) CreateTable(ctx context.Context) error {
	_, err := s.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(s.table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		return fmt.Errorf("create table %q: %w", s.table, err)
	}
	w := dynamodb.NewTableExistsWaiter(s.client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = tableWaitMinPoll
		o.MaxDelay = tableWaitMaxPoll
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)}, tableWait); err != nil {
		return fmt.Errorf("wait for table %q: %w", s.table, err)
	}
	return nil
}

// EnableTTL turns on DynamoDB Time to Live on TTLAttribute.
func (s *Store) EnableTTL(ctx context.Context) error {
	_, err := s.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(s.table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enable TTL on table %q: %w", s.table, err)
	}
	return nil
}

// Close releases nothing: the SDK client belongs to the caller.
func (s *Store) Close() error { return nil }

// PutBoost implements store.Store.
func (s *Store) PutBoost(ctx context.Context, b store.Boost) (store.Boost, error) {
	prev := b.Version
	b.Version = prev + 1
	if err := s.putVersioned(ctx, pkBoost, b.ID, prev, b, nil); err != nil {
		return store.Boost{}, fmt.Errorf("put boost %q: %w", b.ID, err)
	}
	return b, nil
}

// GetBoost implements store.Store.
func (s *Store) GetBoost(ctx context.Context, id string) (store.Boost, error) {
	var b store.Boost
	if err := s.getBody(ctx, pkBoost, id, &b); err != nil {
		return store.Boost{}, fmt.Errorf("get boost %q: %w", id, err)
	}
	return b, nil
}

// ListBoosts implements store.Store.
func (s *Store) ListBoosts(ctx context.Context) ([]store.Boost, error) {
	var out []store.Boost
	err := s.queryAll(ctx, pkBoost, nil, func(item map[string]types.AttributeValue) error {
		var b store.Boost
		if err := decodeBody(item, &b); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list boosts: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// DeleteBoost implements store.Store.
func (s *Store) DeleteBoost(ctx context.Context, id string, version int64) error {
	if err := s.deleteVersioned(ctx, pkBoost, id, version); err != nil {
		return fmt.Errorf("delete boost %q: %w", id, err)
	}
	return nil
}

// PutOverride implements store.Store.
func (s *Store) PutOverride(ctx context.Context, o store.Override) (store.Override, error) {
	prev := o.Version
	o.Version = prev + 1
	extra := map[string]types.AttributeValue{attrGroup: &types.AttributeValueMemberS{Value: o.Group}}
	if err := s.putVersioned(ctx, pkOverride, o.ID, prev, o, extra); err != nil {
		return store.Override{}, fmt.Errorf("put override %q: %w", o.ID, err)
	}
	return o, nil
}

// GetOverride implements store.Store.
func (s *Store) GetOverride(ctx context.Context, id string) (store.Override, error) {
	var o store.Override
	if err := s.getBody(ctx, pkOverride, id, &o); err != nil {
		return store.Override{}, fmt.Errorf("get override %q: %w", id, err)
	}
	return o, nil
}

// ListOverrides implements store.Store.
func (s *Store) ListOverrides(ctx context.Context, group string) ([]store.Override, error) {
	var out []store.Override
	err := s.queryAll(ctx, pkOverride, nil, func(item map[string]types.AttributeValue) error {
		var o store.Override
		if err := decodeBody(item, &o); err != nil {
			return err
		}
		if group == "" || o.Group == group {
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list overrides of %q: %w", group, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// DeleteOverride implements store.Store.
func (s *Store) DeleteOverride(ctx context.Context, id string, version int64) error {
	if err := s.deleteVersioned(ctx, pkOverride, id, version); err != nil {
		return fmt.Errorf("delete override %q: %w", id, err)
	}
	return nil
}

// AppendAudit implements store.Store.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	if e.ID == "" {
		id, err := newID()
		if err != nil {
			return fmt.Errorf("append audit entry: %w", err)
		}
		e.ID = id
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("append audit entry %q: %w", e.ID, err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			attrPK:   &types.AttributeValueMemberS{Value: pkAudit},
			attrSK:   &types.AttributeValueMemberS{Value: timeKey(e.At) + "#" + e.ID},
			attrBody: &types.AttributeValueMemberS{Value: string(body)},
		},
		// An entry is never overwritten, even by a caller reusing an id.
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	if err != nil {
		return fmt.Errorf("append audit entry %q: %w", e.ID, mapErr(err))
	}
	return nil
}

// ListAudit implements store.Store.
func (s *Store) ListAudit(ctx context.Context, since time.Time, limit int) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	q := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk >= :since"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":since": &types.AttributeValueMemberS{Value: timeKey(since)}},
		ExpressionAttributeNames:  map[string]string{"#sk": attrSK},
		ScanIndexForward:          aws.Bool(true),
	}
	err := s.query(ctx, pkAudit, q, limit, func(item map[string]types.AttributeValue) error {
		var e store.AuditEntry
		if err := decodeBody(item, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list audit since %s: %w", since.Format(time.RFC3339), err)
	}
	return out, nil
}

// AppendDecisions implements store.Store. Each decision carries
// TTLAttribute at At+r.Age so that DynamoDB removes what trimming missed;
// then every touched group is trimmed to r as of now.
func (s *Store) AppendDecisions(ctx context.Context, ds []store.Decision, r store.Retention, now time.Time) error {
	if len(ds) == 0 {
		return nil
	}
	writes := make([]types.WriteRequest, 0, len(ds))
	var groups []string
	seen := map[string]bool{}
	for _, d := range ds {
		suffix, err := newID()
		if err != nil {
			return fmt.Errorf("append decision of %q: %w", d.Group, err)
		}
		body, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("append decision of %q: %w", d.Group, err)
		}
		item := map[string]types.AttributeValue{
			attrPK:   &types.AttributeValueMemberS{Value: prefixDecided + d.Group},
			attrSK:   &types.AttributeValueMemberS{Value: timeKey(d.At) + "#" + suffix},
			attrBody: &types.AttributeValueMemberS{Value: string(body)},
		}
		if r.Age > 0 {
			item[TTLAttribute] = numberAttr(d.At.Add(r.Age).Unix())
		}
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		if !seen[d.Group] {
			seen[d.Group] = true
			groups = append(groups, d.Group)
		}
	}
	if err := s.batchWrite(ctx, writes); err != nil {
		return fmt.Errorf("append %d decisions: %w", len(ds), err)
	}
	for _, g := range groups {
		if err := s.trimDecisions(ctx, g, r, now); err != nil {
			return fmt.Errorf("trim decisions of %q: %w", g, err)
		}
	}
	return nil
}

// trimDecisions deletes a group's decisions beyond r.Count (newest kept)
// and those older than now-r.Age.
func (s *Store) trimDecisions(ctx context.Context, group string, r store.Retention, now time.Time) error {
	if r.Count <= 0 && r.Age <= 0 {
		return nil
	}
	var cutoff string
	if r.Age > 0 {
		cutoff = timeKey(now.Add(-r.Age))
	}
	var deletes []types.WriteRequest
	kept := 0
	q := &dynamodb.QueryInput{
		ScanIndexForward:     aws.Bool(false),
		ProjectionExpression: aws.String("#pk, #sk"),
		ExpressionAttributeNames: map[string]string{
			"#sk": attrSK,
		},
	}
	err := s.query(ctx, prefixDecided+group, q, 0, func(item map[string]types.AttributeValue) error {
		sk, _ := item[attrSK].(*types.AttributeValueMemberS)
		if sk == nil {
			return errors.New("decision without a sort key")
		}
		tooOld := cutoff != "" && sk.Value < cutoff
		if tooOld || (r.Count > 0 && kept >= r.Count) {
			deletes = append(deletes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{
				attrPK: item[attrPK],
				attrSK: item[attrSK],
			}}})
			return nil
		}
		kept++
		return nil
	})
	if err != nil {
		return err
	}
	return s.batchWrite(ctx, deletes)
}

// ListDecisions implements store.Store.
func (s *Store) ListDecisions(ctx context.Context, group string, since time.Time, limit int) ([]store.Decision, error) {
	var out []store.Decision
	q := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk >= :since"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":since": &types.AttributeValueMemberS{Value: timeKey(since)}},
		ExpressionAttributeNames:  map[string]string{"#sk": attrSK},
		ScanIndexForward:          aws.Bool(false),
	}
	err := s.query(ctx, prefixDecided+group, q, limit, func(item map[string]types.AttributeValue) error {
		var d store.Decision
		if err := decodeBody(item, &d); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list decisions of %q: %w", group, err)
	}
	return out, nil
}

// AcquireLease implements store.Store. The lease item is never deleted, so
// its fencing token keeps increasing across releases. Replicas share the
// table from many hosts and nothing here can prove that another process
// of the same holder has exited, so a lease of holder under another nonce
// counts as another holder's: a restarted replica waits for its earlier
// process's lease to expire (or be released, as SIGTERM does).
func (s *Store) AcquireLease(ctx context.Context, holder, nonce string, ttl time.Duration, now time.Time) (store.Lease, error) {
	var cur store.Lease
	err := s.getBody(ctx, pkLease, skLease, &cur)
	switch {
	case errors.Is(err, store.ErrNotFound):
		cur = store.Lease{}
	case err != nil:
		return store.Lease{}, fmt.Errorf("acquire lease for %q: %w", holder, err)
	}
	next := store.Lease{Holder: holder, Nonce: nonce, Token: cur.Token, ExpiresAt: now.Add(ttl), Version: cur.Version + 1}
	if cur.Holder != holder || cur.Nonce != nonce {
		if cur.Holder != "" && now.Before(cur.ExpiresAt) {
			other := ""
			if cur.Holder == holder {
				other = fmt.Sprintf(" (another process, nonce %s)", cur.Nonce)
			}
			return store.Lease{}, fmt.Errorf("acquire lease for %q: held by %q%s until %s: %w",
				holder, cur.Holder, other, cur.ExpiresAt.Format(time.RFC3339), store.ErrConflict)
		}
		next.Token = cur.Token + 1
	}
	if err := s.putVersioned(ctx, pkLease, skLease, cur.Version, next, nil); err != nil {
		return store.Lease{}, fmt.Errorf("acquire lease for %q: %w", holder, err)
	}
	return next, nil
}

// ReleaseLease implements store.Store. It clears the holder and keeps the
// token, so the next holder's token is still larger.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	if l.Version == 0 {
		return fmt.Errorf("release lease of %q: never stored: %w", l.Holder, store.ErrConflict)
	}
	next := store.Lease{Token: l.Token, Version: l.Version + 1}
	if err := s.putVersioned(ctx, pkLease, skLease, l.Version, next, nil); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = fmt.Errorf("%w: %w", err, store.ErrConflict)
		}
		return fmt.Errorf("release lease of %q: %w", l.Holder, err)
	}
	return nil
}

// SaveIdempotent implements store.Store. The write succeeds if the key is
// new or its earlier body has expired; otherwise the stored body wins.
func (s *Store) SaveIdempotent(ctx context.Context, key string, body []byte, ttl time.Duration, now time.Time) ([]byte, error) {
	exp := now.Add(ttl)
	pk := prefixIdem + key
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			attrPK:           &types.AttributeValueMemberS{Value: pk},
			attrSK:           &types.AttributeValueMemberS{Value: skIdem},
			attrBody:         &types.AttributeValueMemberB{Value: body},
			attrExpiresNanos: numberAttr(exp.UnixNano()),
			TTLAttribute:     numberAttr(exp.Unix() + 1),
		},
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #exp <= :now"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#exp": attrExpiresNanos},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": numberAttr(now.UnixNano()),
		},
	})
	if err == nil {
		return body, nil
	}
	if err := mapErr(err); !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("save idempotency key %q: %w", key, err)
	}
	item, err := s.getItem(ctx, pk, skIdem)
	if err != nil {
		return nil, fmt.Errorf("read idempotency key %q: %w", key, err)
	}
	stored, ok := item[attrBody].(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("read idempotency key %q: body is not binary", key)
	}
	return stored.Value, nil
}

// LoadIdempotent implements store.Store with a consistent read; an item
// past its exact expiry counts as absent whether or not DynamoDB's TTL has
// removed it yet.
func (s *Store) LoadIdempotent(ctx context.Context, key string, now time.Time) ([]byte, error) {
	if key == "" {
		return nil, errors.New("load idempotency key: empty key")
	}
	item, err := s.getItem(ctx, prefixIdem+key, skIdem)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("read idempotency key %q: %w", key, err)
	}
	exp, ok := item[attrExpiresNanos].(*types.AttributeValueMemberN)
	if !ok {
		return nil, fmt.Errorf("read idempotency key %q: no expiry", key)
	}
	nanos, err := strconv.ParseInt(exp.Value, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("read idempotency key %q: expiry %q: %w", key, exp.Value, err)
	}
	if now.UnixNano() >= nanos {
		return nil, store.ErrNotFound
	}
	stored, ok := item[attrBody].(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("read idempotency key %q: body is not binary", key)
	}
	return stored.Value, nil
}

// putVersioned writes v as JSON under (pk, sk) if the stored version is
// prev (0: the item must not exist). The new version is prev+1.
func (s *Store) putVersioned(ctx context.Context, pk, sk string, prev int64, v any, extra map[string]types.AttributeValue) error {
	if sk == "" {
		return errors.New("empty id")
	}
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	item := map[string]types.AttributeValue{
		attrPK:      &types.AttributeValueMemberS{Value: pk},
		attrSK:      &types.AttributeValueMemberS{Value: sk},
		attrVersion: numberAttr(prev + 1),
		attrBody:    &types.AttributeValueMemberS{Value: string(body)},
	}
	for k, a := range extra {
		item[k] = a
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}
	setVersionCondition(prev, &in.ConditionExpression, &in.ExpressionAttributeNames, &in.ExpressionAttributeValues)
	if _, err := s.client.PutItem(ctx, in); err != nil {
		return s.conflictOrMissing(ctx, pk, sk, prev, mapErr(err))
	}
	return nil
}

// deleteVersioned deletes (pk, sk) if its stored version is version.
func (s *Store) deleteVersioned(ctx context.Context, pk, sk string, version int64) error {
	if sk == "" {
		return errors.New("empty id")
	}
	if version <= 0 {
		if _, err := s.getItem(ctx, pk, sk); err != nil {
			return err
		}
		return fmt.Errorf("version %d: %w", version, store.ErrConflict)
	}
	in := &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(pk, sk)}
	setVersionCondition(version, &in.ConditionExpression, &in.ExpressionAttributeNames, &in.ExpressionAttributeValues)
	if _, err := s.client.DeleteItem(ctx, in); err != nil {
		return s.conflictOrMissing(ctx, pk, sk, version, mapErr(err))
	}
	return nil
}

// conflictOrMissing tells a failed condition on an existing item
// (ErrConflict) from one on a missing item (ErrNotFound) when the caller
// expected the item to exist.
func (s *Store) conflictOrMissing(ctx context.Context, pk, sk string, expected int64, err error) error {
	if !errors.Is(err, store.ErrConflict) || expected == 0 {
		return err
	}
	if _, gerr := s.getItem(ctx, pk, sk); errors.Is(gerr, store.ErrNotFound) {
		return gerr
	}
	return err
}

// setVersionCondition writes the condition for "stored version is prev".
func setVersionCondition(prev int64, cond **string, names *map[string]string, values *map[string]types.AttributeValue) {
	if prev == 0 {
		*cond = aws.String("attribute_not_exists(#pk)")
		*names = map[string]string{"#pk": attrPK}
		return
	}
	*cond = aws.String("#v = :v")
	*names = map[string]string{"#v": attrVersion}
	*values = map[string]types.AttributeValue{":v": numberAttr(prev)}
}

// getBody reads (pk, sk) consistently and decodes its body into v.
func (s *Store) getBody(ctx context.Context, pk, sk string, v any) error {
	item, err := s.getItem(ctx, pk, sk)
	if err != nil {
		return err
	}
	return decodeBody(item, v)
}

func (s *Store) getItem(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, mapErr(err)
	}
	if len(out.Item) == 0 {
		return nil, store.ErrNotFound
	}
	return out.Item, nil
}

// queryAll reads every item of partition pk in sort key order.
func (s *Store) queryAll(ctx context.Context, pk string, q *dynamodb.QueryInput, each func(map[string]types.AttributeValue) error) error {
	if q == nil {
		q = &dynamodb.QueryInput{}
	}
	return s.query(ctx, pk, q, 0, each)
}

// query runs q on partition pk, page by page, calling each for at most
// limit items (0: all). q's key condition, if set, must use #pk and :pk.
func (s *Store) query(ctx context.Context, pk string, q *dynamodb.QueryInput, limit int, each func(map[string]types.AttributeValue) error) error {
	in := *q
	in.TableName = aws.String(s.table)
	in.ConsistentRead = aws.Bool(true)
	if in.KeyConditionExpression == nil {
		in.KeyConditionExpression = aws.String("#pk = :pk")
	}
	names := map[string]string{"#pk": attrPK}
	for k, v := range q.ExpressionAttributeNames {
		names[k] = v
	}
	in.ExpressionAttributeNames = names
	values := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}
	for k, v := range q.ExpressionAttributeValues {
		values[k] = v
	}
	in.ExpressionAttributeValues = values
	n := 0
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(min(limit-n, 1000)))
		}
		out, err := s.client.Query(ctx, &in)
		if err != nil {
			return mapErr(err)
		}
		for _, item := range out.Items {
			if err := each(item); err != nil {
				return err
			}
			n++
			if limit > 0 && n >= limit {
				return nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// batchWrite sends ws in batches of batchWriteLimit, resending unprocessed
// requests with exponential backoff.
func (s *Store) batchWrite(ctx context.Context, ws []types.WriteRequest) error {
	for len(ws) > 0 {
		n := min(len(ws), batchWriteLimit)
		pending := map[string][]types.WriteRequest{s.table: ws[:n]}
		ws = ws[n:]
		delay := unprocessedDelay
		for try := 0; len(pending) > 0; try++ {
			if try == unprocessedTries {
				return fmt.Errorf("%d requests unprocessed after %d tries", len(pending[s.table]), try)
			}
			if try > 0 {
				t := time.NewTimer(delay)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
				delay *= 2
			}
			out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return mapErr(err)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}

// mapErr turns a failed condition into store.ErrConflict, keeping the
// SDK error in the chain.
func mapErr(err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return err
}

func decodeBody(item map[string]types.AttributeValue, v any) error {
	b, ok := item[attrBody].(*types.AttributeValueMemberS)
	if !ok {
		return errors.New("item has no body")
	}
	if err := json.Unmarshal([]byte(b.Value), v); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return nil
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func numberAttr(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// timeKey renders t for a sort key; the zero time sorts first.
func timeKey(t time.Time) string {
	return t.UTC().Format(timeKeyLayout)
}

// newID returns 16 random bytes in hex.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Ping reads the lease item, so that a start-up can tell an unreachable
// or missing table (or missing permissions) from a working one before it
// serves.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.getItem(ctx, pkLease, skLease)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("table %q: %w", s.table, err)
	}
	return nil
}
