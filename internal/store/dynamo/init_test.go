package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
	"github.com/headroom-dev/headroom/internal/testenv"
)

// TestInit: Init creates the table with its TTL, is idempotent, and refuses
// a table whose key schema or TTL attribute is not Headroom's, naming each
// difference and changing nothing.
func TestInit(t *testing.T) {
	proxy := testenv.DynaliteTTL(t)
	client := newClient(t, proxy.URL)
	ctx := context.Background()

	t.Run("creates, then finds it ready", func(t *testing.T) {
		s := dynamo.New(client, "headroom-init")
		res, err := s.Init(ctx)
		if err != nil || !res.Created || !res.TTLEnabled {
			t.Fatalf("first Init = %+v, %v; want created with TTL enabled", res, err)
		}
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("headroom-init")})
		if err != nil {
			t.Fatal(err)
		}
		if p := dynamo.SchemaProblems(out.Table); len(p) > 0 {
			t.Errorf("created table's schema: %v", p)
		}
		if attr, _ := proxy.State("headroom-init"); attr != dynamo.TTLAttribute {
			t.Errorf("TTL attribute = %q, want %q", attr, dynamo.TTLAttribute)
		}
		if _, err := s.PutBoost(ctx, store.Boost{ID: "b1", Start: time.Now(), End: time.Now().Add(time.Hour)}); err != nil {
			t.Errorf("the store on the new table: %v", err)
		}
		_, before := proxy.State("headroom-init")
		res, err = s.Init(ctx)
		if err != nil || res.Created || res.TTLEnabled {
			t.Fatalf("second Init = %+v, %v; want nothing done", res, err)
		}
		if _, after := proxy.State("headroom-init"); after != before {
			t.Errorf("second Init updated TTL again")
		}
		if _, err := s.GetBoost(ctx, "b1"); err != nil {
			t.Errorf("second Init lost the boost: %v", err)
		}
	})

	tests := []struct {
		name  string
		attrs []types.AttributeDefinition
		keys  []types.KeySchemaElement
		// ttl, when set, is TTL on another attribute.
		ttl  string
		want []string
	}{
		{
			name:  "other hash key and no range key",
			attrs: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
			keys:  []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			want:  []string{`hash key is "id" (S), want "pk" (S)`, `no range key, want "sk" (S)`},
		},
		{
			name: "right names, wrong type",
			attrs: []types.AttributeDefinition{
				{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeN},
				{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
			},
			keys: []types.KeySchemaElement{
				{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
			},
			want: []string{`hash key "pk" is of type N, want S`},
		},
		{
			name: "range key named otherwise",
			attrs: []types.AttributeDefinition{
				{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("ts"), AttributeType: types.ScalarAttributeTypeN},
			},
			keys: []types.KeySchemaElement{
				{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("ts"), KeyType: types.KeyTypeRange},
			},
			want: []string{`range key is "ts" (N), want "sk" (S)`},
		},
		{
			name: "TTL on another attribute",
			attrs: []types.AttributeDefinition{
				{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
			},
			keys: []types.KeySchemaElement{
				{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
			},
			ttl:  "ttl",
			want: []string{`TTL on attribute "ttl", want "expires_at_epoch"`},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := fmt.Sprintf("headroom-other-%d", i)
			if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
				TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
				AttributeDefinitions: tc.attrs, KeySchema: tc.keys,
			}); err != nil {
				t.Fatal(err)
			}
			if tc.ttl != "" {
				if _, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(table),
					TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(tc.ttl), Enabled: aws.Bool(true)}}); err != nil {
					t.Fatal(err)
				}
			}
			_, updates := proxy.State(table)
			res, err := dynamo.New(client, table).Init(ctx)
			if err == nil {
				t.Fatalf("Init = %+v, want refused", res)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if res.Created || res.TTLEnabled {
				t.Errorf("refused Init changed something: %+v", res)
			}
			if attr, after := proxy.State(table); after != updates || attr != tc.ttl {
				t.Errorf("refused Init touched TTL: attribute %q", attr)
			}
		})
	}
}
