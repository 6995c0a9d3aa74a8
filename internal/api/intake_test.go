package api

import (
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"
)

func TestCampaignIntake(t *testing.T) {
	e := newEnv(t, campaignCosts)
	in, err := NewCampaignIntake(Options{Store: e.store, Fleet: e.fleet, Clock: e.clock, CampaignCosts: map[string]float64{"workers": 0.3},
		Tokens: []Token{{Name: "x", Role: RoleViewer, SHA256: sha256.Sum256([]byte("x"))}}})
	if err != nil {
		t.Fatal(err)
	}
	status, body := in.Create(t.Context(), "campaigns-queue", "msg-1", []byte(campaignBody))
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	var c campaignDoc
	if err := json.Unmarshal(body, &c); err != nil || c.ID == nil || *c.CreatedBy != "campaigns-queue" {
		t.Fatalf("campaign %s (%v)", body, err)
	}
	// The same message again: the same campaign, nothing more stored.
	status, again := in.Create(t.Context(), "campaigns-queue", "msg-1", []byte(campaignBody))
	if status != 201 || string(again) != string(body) {
		t.Errorf("again: %d %s", status, again)
	}
	if bs, _ := e.store.ListBoosts(t.Context()); len(bs) != 1 {
		t.Errorf("%d boosts, want 1", len(bs))
	}
	audit, _ := e.store.ListAudit(t.Context(), time.Time{}, 0)
	if len(audit) != 1 || audit[0].Actor != "campaigns-queue" {
		t.Errorf("audit %+v", audit)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"not JSON", `{"name":`, 400, ""},
		{"no audience", `{"name":"n","groups":["workers"],"start":"2026-06-02T09:00:00Z"}`, 422, "audience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := in.Create(t.Context(), "campaigns-queue", "msg-"+tc.name, []byte(tc.body))
			var p map[string]any
			_ = json.Unmarshal(body, &p)
			if status != tc.status || (tc.field != "" && p["field"] != tc.field) {
				t.Errorf("%d %s, want %d on %q", status, body, tc.status, tc.field)
			}
		})
	}
}
