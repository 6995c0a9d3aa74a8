package api

import (
	"strings"
	"testing"
)

func TestOverrideAboveMax(t *testing.T) {
	// web: configured max 20, ASG MaxSize 30, so its maximum is 20;
	// batch is not yet described and has no configured max: no limit.
	tests := []struct {
		name, group, body, field string
		want                     int
	}{
		{"pin above max", "web", `{"kind":"pin","capacity":100000,"reason":"r","ttl":"1h"}`, "capacity", 422},
		{"bounds max above max", "web", `{"kind":"bounds","max":1000000,"reason":"r","ttl":"1h"}`, "max", 422},
		{"bounds min above max", "web", `{"kind":"bounds","min":21,"reason":"r","ttl":"1h"}`, "min", 422},
		{"pin at max", "web", `{"kind":"pin","capacity":20,"reason":"r","ttl":"1h"}`, "", 201},
		{"bounds at max", "web", `{"kind":"bounds","min":2,"max":20,"reason":"r","ttl":"1h"}`, "", 201},
		{"pin above max with cap_at_max", "web", `{"kind":"pin","capacity":100000,"cap_at_max":true,"reason":"r","ttl":"1h"}`, "", 201},
		{"bounds above max with cap_at_max", "web", `{"kind":"bounds","max":1000000,"cap_at_max":true,"reason":"r","ttl":"1h"}`, "", 201},
		{"no known maximum", "batch", `{"kind":"pin","capacity":100000,"reason":"r","ttl":"1h"}`, "", 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.snapshot()
			r := e.do(req{method: "POST", path: "/v1/groups/" + tc.group + "/overrides", token: operatorToken, body: tc.body})
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if tc.want != 422 {
				if tc.want == 201 && strings.Contains(tc.body, "cap_at_max") && r.json(t)["cap_at_max"] != true {
					t.Errorf("cap_at_max not kept: %s", r.body)
				}
				return
			}
			checkProblem(t, r, "invalid-field", tc.field)
			if !strings.Contains(string(r.body), `group \"web\"'s maximum 20; lower it or set cap_at_max`) {
				t.Errorf("detail does not name the maximum: %s", r.body)
			}
			if e.snapshot() != before {
				t.Error("a refused override wrote")
			}
		})
	}
}
