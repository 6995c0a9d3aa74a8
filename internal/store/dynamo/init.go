package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// InitResult says what Init did.
type InitResult struct {
	// Created is true when Init created the table; false when it existed
	// with the right key schema.
	Created bool
	// TTLEnabled is true when Init turned TTL on; false when it was on
	// already.
	TTLEnabled bool
}

// Init makes the table ready for the store, idempotently: it creates the
// table (see CreateTable) unless it exists, refuses an existing table
// whose key schema is not the store's (naming each difference, since the
// store would fail on every call), and turns on TTL on TTLAttribute unless
// it is on. A table with TTL on another attribute is refused too: a table
// has at most one TTL attribute, and Headroom's items would never expire.
func (s *Store) Init(ctx context.Context) (InitResult, error) {
	var res InitResult
	out, err := s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		if err := s.CreateTable(ctx); err != nil {
			return res, err
		}
		res.Created = true
	case err != nil:
		return res, fmt.Errorf("describe table %q: %w", s.table, err)
	default:
		if problems := SchemaProblems(out.Table); len(problems) > 0 {
			return res, fmt.Errorf("table %q has another key schema than Headroom's (pk S hash, sk S range): %s",
				s.table, strings.Join(problems, "; "))
		}
		switch out.Table.TableStatus {
		case types.TableStatusDeleting:
			return res, fmt.Errorf("table %q is being deleted", s.table)
		case types.TableStatusCreating:
			w := dynamodb.NewTableExistsWaiter(s.client, func(o *dynamodb.TableExistsWaiterOptions) {
				o.MinDelay = tableWaitMinPoll
				o.MaxDelay = tableWaitMaxPoll
			})
			if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)}, tableWait); err != nil {
				return res, fmt.Errorf("wait for table %q: %w", s.table, err)
			}
		}
	}

	ttl, err := s.client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(s.table)})
	if err != nil {
		return res, fmt.Errorf("describe TTL of table %q: %w", s.table, err)
	}
	var status types.TimeToLiveStatus
	var attr string
	if d := ttl.TimeToLiveDescription; d != nil {
		status, attr = d.TimeToLiveStatus, aws.ToString(d.AttributeName)
	}
	switch status {
	case types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling:
		if attr != TTLAttribute {
			return res, fmt.Errorf("table %q has TTL on attribute %q, want %q (a table has one TTL attribute; Headroom's items carry %q)",
				s.table, attr, TTLAttribute, TTLAttribute)
		}
		return res, nil
	case types.TimeToLiveStatusDisabling:
		return res, fmt.Errorf("table %q: TTL is being disabled; run init again once DynamoDB has finished (it can take up to an hour)", s.table)
	}
	if err := s.EnableTTL(ctx); err != nil {
		return res, err
	}
	res.TTLEnabled = true
	return res, nil
}

// SchemaProblems returns how t's key schema differs from the store's:
// pk of type S as the hash key and sk of type S as the range key, and
// nothing else in the key. Empty means it matches.
func SchemaProblems(t *types.TableDescription) []string {
	if t == nil {
		return []string{"no table description"}
	}
	kinds := map[string]types.ScalarAttributeType{}
	for _, a := range t.AttributeDefinitions {
		kinds[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	var hash, rng string
	for _, k := range t.KeySchema {
		switch k.KeyType {
		case types.KeyTypeHash:
			hash = aws.ToString(k.AttributeName)
		case types.KeyTypeRange:
			rng = aws.ToString(k.AttributeName)
		}
	}
	var out []string
	check := func(role, got, want string) {
		switch {
		case got == "":
			out = append(out, fmt.Sprintf("no %s key, want %q (S)", role, want))
		case got != want:
			out = append(out, fmt.Sprintf("%s key is %q (%s), want %q (S)", role, got, kinds[got], want))
		case kinds[got] != types.ScalarAttributeTypeS:
			out = append(out, fmt.Sprintf("%s key %q is of type %s, want S", role, got, kinds[got]))
		}
	}
	check("hash", hash, attrPK)
	check("range", rng, attrSK)
	return out
}
