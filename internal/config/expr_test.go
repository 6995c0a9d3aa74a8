package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseExpression(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ids     []string
		wantErr string // a part of the error; empty for success
	}{
		{name: "one id", in: "m1", ids: []string{"m1"}},
		{name: "arithmetic", in: "m1 / m2 * 100", ids: []string{"m1", "m2"}},
		{name: "precedence and parentheses", in: "(a + b) * (c - d) / 2", ids: []string{"a", "b", "c", "d"}},
		{name: "unary signs", in: "-a + +b - -3", ids: []string{"a", "b"}},
		{name: "numbers", in: "1 + 2.5 + .5 + 1e3 + 2E-2", ids: nil},
		{name: "repeated id", in: "a * a", ids: []string{"a", "a"}},
		{name: "no spaces", in: "a/b*100", ids: []string{"a", "b"}},
		{name: "empty", in: "", wantErr: "found end of expression"},
		{name: "dangling operator", in: "a +", wantErr: "found end of expression"},
		{name: "two operators", in: "a +* b", wantErr: `found "*" at column 4`},
		{name: "unclosed parenthesis", in: "(a + b", wantErr: `missing ")" for the "(" at column 1`},
		{name: "extra parenthesis", in: "a + b)", wantErr: `unexpected ")" at column 6`},
		{name: "empty parentheses", in: "()", wantErr: `found ")"`},
		{name: "two operands", in: "a b", wantErr: `unexpected "b" at column 3`},
		{name: "function", in: "SUM(METRICS())", wantErr: "functions are not supported"},
		{name: "bad number", in: "1.2.3", wantErr: "not a number"},
		{name: "number glued to id", in: "2a", wantErr: "not a number or an id"},
		{name: "other operator", in: "a % b", wantErr: `unexpected '%' at column 3`},
		{name: "too deep", in: strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100), wantErr: "nested deeper"},
		{name: "many signs", in: strings.Repeat("-", 100) + "a", wantErr: "nested deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := parseExpression(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(ids, tc.ids) {
				t.Errorf("ids = %q, want %q", ids, tc.ids)
			}
		})
	}
}
