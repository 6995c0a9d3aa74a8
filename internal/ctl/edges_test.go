package ctl

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/store"
)

// TestServerWithV1 accepts a --server (or $HEADROOM_URL) that names the
// API's root, /v1, as well as the server's.
func TestServerWithV1(t *testing.T) {
	s := startReal(t, groupView("web", 0))
	for _, server := range []string{s.url + "/v1", s.url + "/v1/", s.url + "/"} {
		t.Run(server, func(t *testing.T) {
			code, stdout, stderr := runCtl(t, s.env(), "--server", server, "groups")
			if code != ExitOK || !strings.Contains(stdout, "web") {
				t.Errorf("exit %d, stdout:\n%s--- stderr\n%s", code, stdout, stderr)
			}
			env := s.env()
			env[EnvURL] = server
			if code, _, stderr := runCtl(t, env, "group", "web"); code != ExitOK {
				t.Errorf("with $%s: exit %d, stderr:\n%s", EnvURL, code, stderr)
			}
		})
	}
}

// column returns the cell of column name in the table row that starts
// with first.
func column(t *testing.T, table, first, name string) string {
	t.Helper()
	lines := strings.Split(table, "\n")
	header := lines[0]
	at := strings.Index(header, name)
	if at < 0 {
		t.Fatalf("no column %s in\n%s", name, table)
	}
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, first+" ") && len(l) > at {
			return strings.Fields(l[at:])[0]
		}
	}
	t.Fatalf("no row %s in\n%s", first, table)
	return ""
}

// TestLeadShown: a measured lead shows in whole seconds, and a boost
// without its own lead shows the group's, as the server works with it.
func TestLeadShown(t *testing.T) {
	s := startReal(t, groupView("web", 2*time.Minute+10*time.Second), groupView("api", 42587625235*time.Nanosecond))
	s.putBoost(t, store.Boost{ID: "b-00000000000000a1", Name: "own-lead", Reason: "r", Groups: []string{"web"},
		Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour), MinCapacity: 3, Lead: 5 * time.Minute})
	s.putBoost(t, store.Boost{ID: "b-00000000000000a2", Name: "group-lead", Reason: "r", Groups: []string{"web"},
		Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour), MinCapacity: 3})
	s.putBoost(t, store.Boost{ID: "b-00000000000000a3", Name: "measured", Reason: "r", Groups: []string{"api"},
		Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour), MinCapacity: 3})

	code, stdout, stderr := runCtl(t, s.env(), "groups")
	if code != ExitOK {
		t.Fatalf("groups: exit %d\n%s", code, stderr)
	}
	if got := column(t, stdout, "api", "LEAD"); got != "43s" {
		t.Errorf("groups: api's LEAD %s, want 43s", got)
	}
	if got := column(t, stdout, "web", "LEAD"); got != "2m10s" {
		t.Errorf("groups: web's LEAD %s, want 2m10s", got)
	}
	_, stdout, _ = runCtl(t, s.env(), "group", "api")
	if !strings.Contains(stdout, "lead        43s\n") {
		t.Errorf("group api: lead not in seconds:\n%s", stdout)
	}

	code, stdout, stderr = runCtl(t, s.env(), "boost", "list")
	if code != ExitOK {
		t.Fatalf("boost list: exit %d\n%s", code, stderr)
	}
	for id, want := range map[string]string{"b-00000000000000a1": "5m", "b-00000000000000a2": "2m10s", "b-00000000000000a3": "43s"} {
		if got := column(t, stdout, id, "LEAD"); got != want {
			t.Errorf("boost list: %s's LEAD %s, want %s\n%s", id, got, want, stdout)
		}
	}
	_, stdout, _ = runCtl(t, s.env(), "boost", "get", "b-00000000000000a2")
	if !strings.Contains(stdout, "2m10s (the group's)") {
		t.Errorf("boost get: lead is not the group's:\n%s", stdout)
	}
}

// TestGroupsTable: counts, not ids, in the BOOSTS and OVERRIDES columns,
// however many there are, and the table ends with a newline.
func TestGroupsTable(t *testing.T) {
	s := startReal(t, groupView("web", time.Minute), groupView("api", time.Minute))
	for i := range 30 {
		s.putBoost(t, store.Boost{ID: fmt.Sprintf("b-%016x", i), Name: "n", Reason: "r", Groups: []string{"web"},
			Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour), MinCapacity: 3})
	}
	code, stdout, stderr := runCtl(t, s.env(), "groups")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if got := column(t, stdout, "web", "BOOSTS"); got != "30" {
		t.Errorf("web's BOOSTS %q, want 30\n%s", got, stdout)
	}
	if got := column(t, stdout, "api", "BOOSTS"); got != "0" {
		t.Errorf("api's BOOSTS %q, want 0\n%s", got, stdout)
	}
	if !strings.HasSuffix(stdout, "\n") || strings.HasSuffix(stdout, "\n\n") {
		t.Errorf("the table does not end with exactly one newline: %q", stdout[max(0, len(stdout)-40):])
	}
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if len(l) > 200 {
			t.Errorf("row of %d characters: %s", len(l), l)
		}
	}
}
