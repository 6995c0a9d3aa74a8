package api

import (
	"testing"
	"time"
)

func TestCancelKeepsTheObject(t *testing.T) {
	tests := []struct {
		name, create, body, list, groupList string
		keys                                []string
		liveState                           string
	}{
		{"boost", "/v1/boosts", boostBody, "/v1/boosts", "", boostKeys, "scheduled"},
		{"override", "/v1/groups/web/overrides", overrideBody, "/v1/overrides", "/v1/groups/web/overrides", overrideKeys, "active"},
	}
	listed := func(t *testing.T, e *env, path, id string) bool {
		t.Helper()
		for _, v := range e.must(req{method: "GET", path: path, token: viewerToken}, 200) {
			list, ok := v.([]any)
			if !ok {
				continue // next
			}
			for _, o := range list {
				if o.(map[string]any)["id"] == id {
					return true
				}
			}
		}
		return false
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			created := e.must(req{method: "POST", path: tc.create, body: tc.body}, 201)
			id := created["id"].(string)
			loc := locationOf(id)
			if created["state"] != tc.liveState || created["cancelled_at"] != nil || created["cancelled_by"] != nil {
				t.Errorf("created: state %v, cancelled_at %v, cancelled_by %v", created["state"], created["cancelled_at"], created["cancelled_by"])
			}
			e.clock.Advance(time.Minute)

			cancelled := e.must(req{method: "DELETE", path: loc}, 200)
			checkKeys(t, "cancel reply", cancelled, tc.keys...)
			if cancelled["state"] != "cancelled" || cancelled["cancelled_by"] != "alice" || cancelled["cancelled_at"] != "2026-06-01T12:01:00Z" {
				t.Errorf("cancel reply: state %v, cancelled_by %v, cancelled_at %v", cancelled["state"], cancelled["cancelled_by"], cancelled["cancelled_at"])
			}
			got := e.must(req{method: "GET", path: loc, token: viewerToken}, 200)
			if got["state"] != "cancelled" || got["version"] != cancelled["version"] {
				t.Errorf("GET after cancel: %v", got)
			}
			for _, path := range []string{tc.list, tc.groupList} {
				if path == "" {
					continue
				}
				if listed(t, e, path, id) {
					t.Errorf("%s lists the cancelled %s by default", path, tc.name)
				}
				if !listed(t, e, path+"?all=true", id) {
					t.Errorf("%s?all=true does not list the cancelled %s", path, tc.name)
				}
			}
			detail := e.must(req{method: "GET", path: "/v1/groups/web", token: viewerToken}, 200)
			for _, k := range []string{"boosts", "overrides"} {
				for _, o := range detail[k].([]any) {
					if o.(map[string]any)["id"] == id {
						t.Errorf("group web still shows the cancelled %s", tc.name)
					}
				}
			}

			// Cancelling again changes nothing and answers the same.
			before := e.snapshot()
			e.clock.Advance(time.Minute)
			again := e.must(req{method: "DELETE", path: loc}, 200)
			if again["cancelled_at"] != cancelled["cancelled_at"] || again["version"] != cancelled["version"] {
				t.Errorf("second cancel: %v", again)
			}
			if e.snapshot() != before {
				t.Error("a second cancel wrote")
			}
		})
	}
	t.Run("a cancelled boost cannot be changed", func(t *testing.T) {
		e := newEnv(t)
		id := e.must(req{method: "POST", path: "/v1/boosts", body: boostBody}, 201)["id"].(string)
		e.must(req{method: "DELETE", path: "/v1/boosts/" + id}, 200)
		before := e.snapshot()
		r := e.do(req{method: "PATCH", path: "/v1/boosts/" + id, token: operatorToken, body: `{"min_capacity":20}`})
		checkProblem(t, r, "conflict", "")
		if e.snapshot() != before {
			t.Error("a refused PATCH wrote")
		}
	})
}
