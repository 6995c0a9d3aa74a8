package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestStateDefaults(t *testing.T) {
	c := mustParse(t, minimalGroup)
	if c.Store.Backend != BackendBolt || c.Store.Path != DefaultStorePath {
		t.Errorf("store = %+v, want bolt at %s", c.Store, DefaultStorePath)
	}
	if c.Store.Decisions.Keep != DefaultDecisionsKeep || c.Store.Decisions.MaxAge.Std() != DefaultDecisionsAge {
		t.Errorf("decisions = %+v", c.Store.Decisions)
	}
	c = mustParse(t, "store: {backend: dynamodb, table: headroom-state, decisions: {keep: 50}}\n"+minimalGroup)
	if c.Store.Path != "" || c.Store.Table != "headroom-state" || c.Store.Decisions.Keep != 50 || c.Store.Decisions.MaxAge.Std() != DefaultDecisionsAge {
		t.Errorf("dynamodb store = %+v", c.Store)
	}
	c = mustParse(t, minimalGroup)
	if c.API.WriteRate != DefaultWriteRate || c.API.WriteBurst != DefaultWriteBurst || c.API.TLS.Enabled() {
		t.Errorf("api = %+v, want %s, burst %d, no TLS", c.API, DefaultWriteRate, DefaultWriteBurst)
	}
	if c.API.AuthFailureRate != DefaultAuthFailureRate || c.API.AuthFailureBurst != DefaultAuthFailureBurst ||
		c.API.MaxBoostWindow.Std() != 744*time.Hour {
		t.Errorf("api = %+v, want auth failures %s burst %d, boost window 744h", c.API, DefaultAuthFailureRate, DefaultAuthFailureBurst)
	}
	c = mustParse(t, "api: {write_rate: 5/s, write_burst: 1}\n"+minimalGroup)
	if c.API.WriteRate != "5/s" || c.API.WriteBurst != 1 {
		t.Errorf("api = %+v, want 5/s and burst 1", c.API)
	}
}

func TestAPIProblems(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for _, f := range []string{cert, key} {
		if err := os.WriteFile(f, []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(dir, "missing.pem")
	q := strconv.Quote
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{name: "tls both files", doc: "api: {tls: {cert_file: " + q(cert) + ", key_file: " + q(key) + "}}\n"},
		{name: "rate per second", doc: "api: {write_rate: 5/s}\n"},
		{name: "rate per hour, spaced", doc: "api: {write_rate: \" 100 / h \"}\n"},
		{name: "tls cert without key", doc: "api: {tls: {cert_file: " + q(cert) + "}}\n", want: []string{"api.tls.key_file"}},
		{name: "tls key without cert", doc: "api: {tls: {key_file: " + q(key) + "}}\n", want: []string{"api.tls.cert_file"}},
		{name: "tls missing files", doc: "api: {tls: {cert_file: " + q(missing) + ", key_file: " + q(missing) + "}}\n",
			want: []string{"api.tls.cert_file", "api.tls.key_file"}},
		{name: "tls directory", doc: "api: {tls: {cert_file: " + q(dir) + ", key_file: " + q(key) + "}}\n", want: []string{"api.tls.cert_file"}},
		{name: "tls unknown key", doc: "api: {tls: {cert: x}}\n", want: []string{"api.tls.cert"}},
		{name: "rate without unit", doc: "api: {write_rate: \"30\"}\n", want: []string{"api.write_rate"}},
		{name: "rate unknown unit", doc: "api: {write_rate: 30/d}\n", want: []string{"api.write_rate"}},
		{name: "rate zero", doc: "api: {write_rate: 0/m}\n", want: []string{"api.write_rate"}},
		{name: "rate fraction", doc: "api: {write_rate: 0.5/s}\n", want: []string{"api.write_rate"}},
		{name: "rate empty", doc: "api: {write_rate: \"\"}\n", want: []string{"api.write_rate"}},
		{name: "burst zero and rate bad", doc: "api: {write_rate: fast, write_burst: 0}\n", want: []string{"api.write_rate", "api.write_burst"}},
		{name: "burst too large", doc: "api: {write_burst: 10001}\n", want: []string{"api.write_burst"}},
		{name: "auth failure settings", doc: "api: {auth_failure_rate: 3/h, auth_failure_burst: 2, max_boost_window: 2160h}\n"},
		{name: "auth failure rate bad", doc: "api: {auth_failure_rate: often, auth_failure_burst: 0}\n", want: []string{"api.auth_failure_rate", "api.auth_failure_burst"}},
		{name: "boost window too short", doc: "api: {max_boost_window: 30m}\n", want: []string{"api.max_boost_window"}},
		{name: "boost window over a year", doc: "api: {max_boost_window: 8785h}\n", want: []string{"api.max_boost_window"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc + minimalGroup))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var got []string
			for _, p := range problemsOf(t, err) {
				got = append(got, p.Field)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields = %q, want %q (%v)", got, tc.want, err)
			}
		})
	}
}

func TestRateParse(t *testing.T) {
	tests := []struct {
		in    Rate
		count int
		per   time.Duration
		limit rate.Limit
		bad   bool
	}{
		{in: "60/m", count: 60, per: time.Minute, limit: 1},
		{in: "30/m", count: 30, per: time.Minute, limit: 0.5},
		{in: "2/s", count: 2, per: time.Second, limit: 2},
		{in: "3600/h", count: 3600, per: time.Hour, limit: 1},
		{in: "1000000/s", count: 1_000_000, per: time.Second, limit: 1_000_000},
		{in: "1000001/s", bad: true},
		{in: "-1/s", bad: true},
		{in: "1/", bad: true},
		{in: "/m", bad: true},
		{in: "1/min", bad: true},
		{in: "1e3/s", bad: true},
		{in: "", bad: true},
	}
	for _, tc := range tests {
		t.Run(string(tc.in), func(t *testing.T) {
			count, per, err := tc.in.Parse()
			limit, lerr := tc.in.Limit()
			if tc.bad {
				if err == nil || lerr == nil {
					t.Fatalf("Parse = %d/%s, want an error", count, per)
				}
				return
			}
			if err != nil || lerr != nil {
				t.Fatalf("Parse: %v, Limit: %v", err, lerr)
			}
			if count != tc.count || per != tc.per || limit != tc.limit {
				t.Errorf("got %d per %s (%v/s), want %d per %s (%v/s)", count, per, limit, tc.count, tc.per, tc.limit)
			}
		})
	}
}

func TestStateProblems(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{name: "unknown backend", doc: "store: {backend: redis}\n", want: []string{"store.backend"}},
		{name: "bolt without path", doc: "store: {path: \"\"}\n", want: []string{"store.path"}},
		{name: "bolt with table", doc: "store: {table: t1}\n", want: []string{"store.table"}},
		{name: "dynamodb without table", doc: "store: {backend: dynamodb}\n", want: []string{"store.table"}},
		{name: "dynamodb bad table", doc: "store: {backend: dynamodb, table: \"a b\"}\n", want: []string{"store.table"}},
		{name: "retention out of range", doc: "store: {decisions: {keep: 0, max_age: 1s}}\n", want: []string{"store.decisions.keep", "store.decisions.max_age"}},
		{name: "good tokens", doc: "api: {tokens: [{name: alice, role: operator, sha256: " + hash + "}, {name: ci-bot, role: viewer, sha256: " + strings.ToUpper(hash) + "}]}\n"},
		{name: "bad tokens", doc: "api: {tokens: [{name: \"\", role: admin, sha256: secret}, {name: bob, role: viewer, sha256: " + hash + "}, {name: bob, role: viewer, sha256: " + hash + "}]}\n",
			want: []string{"api.tokens[0].name", "api.tokens[0].role", "api.tokens[0].sha256", "api.tokens[2].name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc + minimalGroup))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var got []string
			for _, p := range problemsOf(t, err) {
				got = append(got, p.Field)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields = %q, want %q", got, tc.want)
			}
		})
	}
}
