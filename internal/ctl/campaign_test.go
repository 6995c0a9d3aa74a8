package ctl

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestCampaignCommands announces, previews and lists a campaign against
// the real API.
func TestCampaignCommands(t *testing.T) {
	s := startReal(t, groupView("web", time.Minute), groupView("api", time.Minute))
	start := testNow.Add(2 * time.Hour).Format(time.RFC3339)
	args := []string{"--name", "winter rewards", "--group", "web", "--group", "api", "--start", start, "--audience", "50000"}

	code, stdout, stderr := runCtl(t, s.env(), append([]string{"campaign", "preview"}, args...)...)
	if code != ExitOK {
		t.Fatalf("preview: exit %d\n%s%s", code, stdout, stderr)
	}
	// 50,000 x 10% / 300 s = 16.667 msg/s x 0.2 = 3.33: 4 units each.
	if got := column(t, stdout[strings.Index(stdout, "GROUP"):], "web", "FLOOR"); got != "4" {
		t.Errorf("preview floor of web %q, want 4:\n%s", got, stdout)
	}
	if boosts, _ := s.store.ListBoosts(t.Context()); len(boosts) != 0 {
		t.Errorf("preview stored %d boosts", len(boosts))
	}

	code, stdout, stderr = runCtl(t, s.env(), append([]string{"--output", "json", "campaign", "create"}, args...)...)
	if code != ExitOK {
		t.Fatalf("create: exit %d\n%s%s", code, stdout, stderr)
	}
	var c Campaign
	if err := json.Unmarshal([]byte(stdout), &c); err != nil || c.ID == nil || len(c.Sizing) != 2 {
		t.Fatalf("create printed %s (%v)", stdout, err)
	}
	if boosts, _ := s.store.ListBoosts(t.Context()); len(boosts) != 2 {
		t.Errorf("create stored %d boosts, want 2", len(boosts))
	}

	code, stdout, _ = runCtl(t, s.env(), "campaign", "list")
	if code != ExitOK || column(t, stdout, *c.ID, "FLOORS") != "web=4,api=4" {
		t.Errorf("list: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCtl(t, s.env(), "campaign", "get", *c.ID)
	if code != ExitOK || !strings.Contains(stdout, "(95% of the expected arrivals)") || !strings.Contains(stdout, "default") {
		t.Errorf("get: exit %d\n%s", code, stdout)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no audience", []string{"campaign", "create", "--name", "n", "--group", "web", "--start", start}, "--audience is required"},
		{"audience zero", []string{"campaign", "preview", "--name", "n", "--group", "web", "--start", start, "--audience", "0"}, "--audience 0"},
		{"start without offset", []string{"campaign", "create", "--name", "n", "--group", "web", "--start", "2026-12-15T09:00", "--audience", "5"}, "--start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCtl(t, s.env(), tc.args...)
			if code != ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %s; want usage naming %s", code, stderr, tc.want)
			}
		})
	}
}
