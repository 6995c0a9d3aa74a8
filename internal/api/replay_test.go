package api

import (
	"context"
	"crypto/sha256"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
	"github.com/headroom-dev/headroom/internal/testenv"
)

// restartable is an API over a store that outlives the server: restart
// starts a new server (and opens the store again where it can), as a
// replica's restart or another replica does.
type restartable struct {
	*env
	reopen func(t *testing.T) store.Store
}

func (r *restartable) restart(t *testing.T) {
	t.Helper()
	_ = r.store.Close()
	st := r.reopen(t)
	h, err := New(Options{Store: st, Fleet: r.fleet, Clock: r.clock, Tokens: []Token{
		{Name: "alice", Role: RoleOperator, SHA256: sha256.Sum256([]byte(operatorToken))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	r.srv.Close()
	r.env = &env{t: t, srv: srv, store: st, clock: r.clock, fleet: r.fleet}
}

// storeKinds are the stores a replay must behave the same on.
func storeKinds() []struct {
	name string
	open func(t *testing.T) (first store.Store, reopen func(t *testing.T) store.Store)
} {
	return []struct {
		name string
		open func(t *testing.T) (store.Store, func(t *testing.T) store.Store)
	}{
		{"bolt", func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
			path := filepath.Join(t.TempDir(), "headroom.db")
			open := func(t *testing.T) store.Store {
				st, err := bolt.Open(path)
				if err != nil {
					t.Fatalf("open store: %v", err)
				}
				t.Cleanup(func() { _ = st.Close() })
				return st
			}
			return open(t), open
		}},
		{"dynamo", func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
			endpoint := testenv.Dynalite(t)
			client := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
				Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
			first := dynamo.New(client, "headroom-api-test")
			if err := first.CreateTable(context.Background()); err != nil {
				t.Fatalf("create table: %v", err)
			}
			return first, func(*testing.T) store.Store { return dynamo.New(client, "headroom-api-test") }
		}},
	}
}

func TestReplayWritesNothing(t *testing.T) {
	objects := []struct {
		name, create, body string
		// reindented is body with other whitespace and key order.
		reindented string
	}{
		{"boost", "/v1/boosts", boostBody, `{
		  "cap_at_max": false, "lead": "15m", "ramp": "10m", "multiplier": 1.5, "min_capacity": 15,
		  "time_zone": "Europe/Paris", "end": "2026-06-02T18:00", "start": "2026-06-02T09:00:00+01:00",
		  "groups": ["workers", "team=shop"], "reason": "CEO email 09:00", "name": "year-end"
		}`},
		{"override", "/v1/groups/web/overrides", overrideBody, `{"ttl": "2h",
			"reason": "incident 42",   "capacity": 12, "kind": "pin"}`},
	}
	for _, kind := range storeKinds() {
		for _, obj := range objects {
			t.Run(kind.name+"/"+obj.name, func(t *testing.T) {
				first, reopen := kind.open(t)
				replays := prometheus.NewCounter(prometheus.CounterOpts{Name: "replays"})
				e := &restartable{env: newEnv(t, func(o *Options) { o.Store, o.Replays = first, replays }), reopen: reopen}
				key := map[string]string{"Idempotency-Key": "res-1"}
				created := e.do(req{method: "POST", path: obj.create, token: operatorToken, body: obj.body, header: key})
				if created.status != 201 {
					t.Fatalf("create: %d %s", created.status, created.body)
				}
				id := created.json(t)["id"].(string)
				e.clock.Advance(time.Minute)
				e.must(req{method: "DELETE", path: created.header.Get("Location")}, 200)
				cancelled := e.snapshot()

				e.clock.Advance(time.Minute)
				for _, step := range []struct {
					name, body string
					restart    bool
				}{{"same body", obj.body, false}, {"reindented", obj.reindented, false}, {"after a restart", obj.body, true}} {
					if step.restart {
						e.restart(t)
					}
					again := e.do(req{method: "POST", path: obj.create, token: operatorToken, body: step.body, header: key})
					if again.status != 201 || again.header.Get(replayedHeader) != "true" {
						t.Fatalf("%s: replay %d %q: %s", step.name, again.status, again.header.Get(replayedHeader), again.body)
					}
					if string(again.body) != string(created.body) {
						t.Errorf("%s: replay body differs from the stored reply:\n%s\n%s", step.name, again.body, created.body)
					}
					if got := e.snapshot(); got != cancelled {
						t.Errorf("%s: the replay wrote:\nbefore %s\nafter  %s", step.name, cancelled, got)
					}
					if got := e.must(req{method: "GET", path: created.header.Get("Location")}, 200); got["state"] != "cancelled" {
						t.Errorf("%s: %s is %v after a replay, want cancelled", step.name, id, got["state"])
					}
				}
				if got := testutil.ToFloat64(replays); got != 2 {
					t.Errorf("replays counted %g before the restart, want 2", got)
				}

				other := strings.Replace(obj.body, "incident 42", "incident 43", 1)
				other = strings.Replace(other, "CEO email", "CFO email", 1)
				r := e.do(req{method: "POST", path: obj.create, token: operatorToken, body: other, header: key})
				checkProblem(t, r, "conflict", "")
				if got := e.snapshot(); got != cancelled {
					t.Error("a conflicting body wrote")
				}
			})
		}
	}
}

func TestCanonicalJSON(t *testing.T) {
	tests := []struct {
		name, a, b string
		same       bool
	}{
		{"whitespace", `{"a":1,"b":[1,2]}`, " {\n\t\"a\" : 1 , \"b\" : [ 1 , 2 ] }\n", true},
		{"key order", `{"a":1,"b":{"c":2,"d":3}}`, `{"b":{"d":3,"c":2},"a":1}`, true},
		{"another value", `{"a":1}`, `{"a":2}`, false},
		{"numbers as written", `{"a":1}`, `{"a":1.0}`, false},
		{"array order counts", `[1,2]`, `[2,1]`, false},
		{"not json stays bytes", `{"a":1`, `{"a":1 `, false},
		{"trailing data stays bytes", `{"a":1} {}`, `{"a":1}`, false},
		{"empty", ``, "  \n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if same := string(canonicalJSON([]byte(tc.a))) == string(canonicalJSON([]byte(tc.b))); same != tc.same {
				t.Errorf("canonical(%q) == canonical(%q) is %v, want %v", tc.a, tc.b, same, tc.same)
			}
		})
	}
}
