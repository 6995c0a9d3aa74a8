package config

import (
	"reflect"
	"strings"
	"testing"
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
