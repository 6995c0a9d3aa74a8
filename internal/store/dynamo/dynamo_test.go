package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
	"github.com/headroom-dev/headroom/internal/store/storetest"
	"github.com/headroom-dev/headroom/internal/testenv"
)

// newClient returns a DynamoDB client for endpoint with test credentials
// and two attempts, so error paths stay quick.
func newClient(t *testing.T, endpoint string) *dynamodb.Client {
	t.Helper()
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.MaxBackoff = 10 * time.Millisecond
		}),
	})
}

var tableSeq atomic.Int64

// freshStore creates a new table on client and returns a store on it.
func freshStore(t *testing.T, client *dynamodb.Client) *dynamo.Store {
	t.Helper()
	s, _ := freshTable(t, client)
	return s
}

// freshTable creates a new table on client and returns a store on it and
// the table's name.
func freshTable(t *testing.T, client *dynamodb.Client) (*dynamo.Store, string) {
	t.Helper()
	name := "headroom-test-" + strconv.FormatInt(tableSeq.Add(1), 10)
	s := dynamo.New(client, name)
	if err := s.CreateTable(context.Background()); err != nil {
		t.Fatalf("create table %q: %v", name, err)
	}
	return s, name
}

func TestConformance(t *testing.T) {
	client := newClient(t, testenv.Dynalite(t))
	// tables names each store's table, so that Reopen can open another
	// replica's store on it.
	var (
		mu     sync.Mutex
		tables = map[store.Store]string{}
	)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, name := freshTable(t, client)
		mu.Lock()
		tables[s] = name
		mu.Unlock()
		return s
	}, storetest.Options{
		Reopen: func(t *testing.T, s store.Store) store.Store {
			mu.Lock()
			defer mu.Unlock()
			return dynamo.New(client, tables[s])
		},
	})
}

func TestCreateTable(t *testing.T) {
	client := newClient(t, testenv.Dynalite(t))
	ctx := context.Background()
	s, table := freshTable(t, client)

	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("describe table: %v", err)
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"status", string(out.Table.TableStatus), string(types.TableStatusActive)},
		{"billing", string(out.Table.BillingModeSummary.BillingMode), string(types.BillingModePayPerRequest)},
		{"hash_key", aws.ToString(out.Table.KeySchema[0].AttributeName) + "/" + string(out.Table.KeySchema[0].KeyType), "pk/HASH"},
		{"range_key", aws.ToString(out.Table.KeySchema[1].AttributeName) + "/" + string(out.Table.KeySchema[1].KeyType), "sk/RANGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
			}
		})
	}
	t.Run("twice_fails", func(t *testing.T) {
		err := s.CreateTable(ctx)
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			t.Errorf("second create: error = %v, want ResourceInUseException", err)
		}
	})
}

// TestDecisionTTL checks that decisions carry the TTL attribute in epoch
// seconds at At+Age, and none without an age limit.
func TestDecisionTTL(t *testing.T) {
	client := newClient(t, testenv.Dynalite(t))
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		age  time.Duration
		want string
	}{
		{"with_age", time.Hour, strconv.FormatInt(at.Add(time.Hour).Unix(), 10)},
		{"without_age", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, table := freshTable(t, client)
			d := store.Decision{Group: "workers", At: at, Body: json.RawMessage(`{}`)}
			if err := s.AppendDecisions(ctx, []store.Decision{d}, store.Retention{Age: tc.age}, at); err != nil {
				t.Fatalf("append: %v", err)
			}
			out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			if len(out.Items) != 1 {
				t.Fatalf("got %d items, want 1", len(out.Items))
			}
			got := ""
			if n, ok := out.Items[0][dynamo.TTLAttribute].(*types.AttributeValueMemberN); ok {
				got = n.Value
			}
			if got != tc.want {
				t.Errorf("%s = %q, want %q", dynamo.TTLAttribute, got, tc.want)
			}
		})
	}
}

// TestManyDecisions appends more decisions than one BatchWriteItem takes
// and trims them by count, exercising batching and paging.
func TestManyDecisions(t *testing.T) {
	client := newClient(t, testenv.Dynalite(t))
	ctx := context.Background()
	s := freshStore(t, client)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		append int
		keep   int
		want   int
	}{
		{"batches_of_25", 60, 0, 60},
		{"trim_to_count", 1, 7, 7},
	}
	n := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ds []store.Decision
			for range tc.append {
				ds = append(ds, store.Decision{Group: "workers", At: at.Add(time.Duration(n) * time.Second), Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))})
				n++
			}
			if err := s.AppendDecisions(ctx, ds, store.Retention{Count: tc.keep}, at); err != nil {
				t.Fatalf("append: %v", err)
			}
			got, err := s.ListDecisions(ctx, "workers", time.Time{}, 0)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if len(got) != tc.want {
				t.Fatalf("got %d decisions, want %d", len(got), tc.want)
			}
			if !got[0].At.Equal(at.Add(time.Duration(n-1) * time.Second)) {
				t.Errorf("newest at %s, want the last appended", got[0].At)
			}
		})
	}
}

// TestConcurrentLease has many replicas race for a free lease: exactly one
// wins, the rest see ErrConflict.
func TestConcurrentLease(t *testing.T) {
	client := newClient(t, testenv.Dynalite(t))
	s := freshStore(t, client)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const replicas = 8
	errs := make([]error, replicas)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			<-start
			_, errs[i] = s.AcquireLease(context.Background(), fmt.Sprintf("r%d", i), "p", time.Minute, now)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("replica %d: error = %v, want ErrConflict", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d replicas hold the lease, want 1", won)
	}
}

// TestEnableTTL checks the UpdateTimeToLive request on the wire. dynalite
// 4.0.0 does not implement UpdateTimeToLive, so a recording server stands
// in for DynamoDB.
func TestEnableTTL(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		reply   string
		wantErr bool
	}{
		{"enabled", http.StatusOK, `{"TimeToLiveSpecification":{"AttributeName":"expires_at_epoch","Enabled":true}}`, false},
		{"refused", http.StatusBadRequest, `{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"TimeToLive is already enabled"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu     sync.Mutex
				target string
				body   []byte
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				target, body = r.Header.Get("X-Amz-Target"), b
				mu.Unlock()
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.reply)
			}))
			t.Cleanup(srv.Close)

			err := dynamo.New(newClient(t, srv.URL), "state").EnableTTL(context.Background())
			if (err != nil) != tc.wantErr {
				t.Fatalf("EnableTTL error = %v, want error %v", err, tc.wantErr)
			}
			mu.Lock()
			defer mu.Unlock()
			if target != "DynamoDB_20120810.UpdateTimeToLive" {
				t.Errorf("X-Amz-Target = %q", target)
			}
			var req struct {
				TableName               string
				TimeToLiveSpecification struct {
					AttributeName string
					Enabled       bool
				}
			}
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatalf("decode request %s: %v", body, err)
			}
			if req.TableName != "state" || req.TimeToLiveSpecification.AttributeName != dynamo.TTLAttribute || !req.TimeToLiveSpecification.Enabled {
				t.Errorf("request = %s", body)
			}
		})
	}
}

// TestHistoryItem checks a history bucket's item: its key, its sums (the
// merge is DynamoDB's ADD on them) and its TTL attribute at At+keep, when
// the cutoff drops it.
func TestHistoryItem(t *testing.T) {
	client := newClient(t, testenv.Dynalite(t))
	ctx := context.Background()
	s, table := freshTable(t, client)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const keep = 14 * 24 * time.Hour
	pts := []store.HistoryPoint{
		{Group: "workers", At: at, Arrivals: 2.5, NeedUnits: 4, Samples: 2},
		{Group: "workers", At: at, Arrivals: 1, NeedUnits: 1, Samples: 1, Campaign: true},
	}
	if err := s.RecordHistory(ctx, pts, keep, at.Add(time.Minute)); err != nil {
		t.Fatalf("record: %v", err)
	}
	out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("got %d items, want 1", len(out.Items))
	}
	item := out.Items[0]
	tests := []struct {
		attr string
		want string
	}{
		{"pk", "HIST#workers"},
		{"sk", "2026-03-01T12:00:00.000000000Z"},
		{"arrivals_sum", "6"},
		{"need_sum", "9"},
		{"samples", "3"},
		{"campaign_samples", "1"},
		{dynamo.TTLAttribute, strconv.FormatInt(at.Add(keep).Unix(), 10)},
	}
	for _, tc := range tests {
		t.Run(tc.attr, func(t *testing.T) {
			var got string
			switch v := item[tc.attr].(type) {
			case *types.AttributeValueMemberS:
				got = v.Value
			case *types.AttributeValueMemberN:
				got = v.Value
			}
			if got != tc.want {
				t.Errorf("%s = %q, want %q", tc.attr, got, tc.want)
			}
		})
	}
}
