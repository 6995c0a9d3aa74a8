package cloudwatch

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseExpression(t *testing.T) {
	tests := []struct {
		name, src string
		wantRefs  string
		wantErr   string
	}{
		{"ids and numbers", "m1 / m2 * 100", "m1 m2", ""},
		{"exponent numbers are not ids", "1e3 * x_1 + 2.5E-2", "x_1", ""},
		{"functions are not ids", "SUM([a, b]) + ABS(c)", "a b c", ""},
		{"repeated id listed once", "a + a * a", "a", ""},
		{"empty", "  ", "", "empty expression"},
		{"dangling operator", "a +", "", "unexpected end"},
		{"unbalanced parenthesis", "(a + b", "", "expected )"},
		{"unknown function", "RATE(a)", "", "unsupported function"},
		{"string literal", `SEARCH('{AWS/EC2}', 'Average', 60)`, "", "unexpected character"},
		{"trailing token", "a b", "", "unexpected"},
		{"too deep", strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100), "", "nested deeper"},
		{"too long", strings.Repeat("a+", 1100) + "a", "", "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := parseExpression(tc.src)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(refs(n), " "); got != tc.wantRefs {
				t.Errorf("refs = %q, want %q", got, tc.wantRefs)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	series := map[string][]point{
		"a": {{0, 1}, {60, 2}, {120, 4}},
		"b": {{60, 0}, {120, 2}, {180, 8}},
	}
	tests := []struct {
		src, want string
		dropped   bool
	}{
		{"a + b", "60:2 120:6", false},
		{"a / b", "120:2", true},
		{"-a", "0:-1 60:-2 120:-4", false},
		{"2 ^ 3 ^ 2", "512", false},
		{"-2 ^ 2", "-4", false},
		{"10 - 4 - 3", "3", false},
		{"a * (1 + 1)", "0:2 60:4 120:8", false},
		{"AVG([a, b])", "0:1 60:1 120:3 180:8", false},
		{"MIN(b)", "0", false},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			n, err := parseExpression(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			ev := &evaluator{lookup: func(id string) []point { return series[id] }}
			v, err := ev.eval(n)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if v.kind == 's' {
				got = fmt.Sprint(v.num)
			} else {
				var parts []string
				for _, p := range v.ts {
					parts = append(parts, fmt.Sprintf("%d:%g", p.at, p.v))
				}
				got = strings.Join(parts, " ")
			}
			if got != tc.want || ev.dropped != tc.dropped {
				t.Errorf("got %q dropped=%t, want %q dropped=%t", got, ev.dropped, tc.want, tc.dropped)
			}
		})
	}
}
