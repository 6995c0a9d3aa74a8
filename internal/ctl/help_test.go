package ctl

import (
	"strings"
	"testing"
)

// TestHelpNeverPrintsToken asks every command for its usage with
// $HEADROOM_TOKEN set, and with --token given: the token's value appears
// nowhere. Each usage is printed once.
func TestHelpNeverPrintsToken(t *testing.T) {
	s := startReal(t, groupView("web", 0))
	var paths [][]string
	for _, c := range commands() {
		if c.subs == nil {
			paths = append(paths, []string{c.name})
		}
		for _, sub := range c.subs {
			paths = append(paths, []string{c.name, sub.name})
		}
	}
	paths = append(paths, nil)
	for _, p := range paths {
		for _, help := range []string{"-h", "--help"} {
			for _, extra := range [][]string{nil, {"--token", realToken}} {
				args := append(append(append([]string{}, extra...), p...), help)
				t.Run(strings.Join(args, " "), func(t *testing.T) {
					code, stdout, stderr := runCtl(t, s.env(), args...)
					if code != ExitOK {
						t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitOK, stderr)
					}
					if strings.Contains(stdout+stderr, realToken) {
						t.Errorf("the token's value is printed:\n%s%s", stdout, stderr)
					}
					if n := strings.Count(stdout+stderr, "usage:"); n != 1 {
						t.Errorf("usage printed %d times, want once:\n%s--- stderr\n%s", n, stdout, stderr)
					}
					if stderr != "" {
						t.Errorf("help on stderr:\n%s", stderr)
					}
				})
			}
		}
	}
}

// TestBadFlagNeverPrintsToken: a usage error prints the usage once, on
// stderr, without the token.
func TestBadFlagNeverPrintsToken(t *testing.T) {
	s := startReal(t, groupView("web", 0))
	code, stdout, stderr := runCtl(t, s.env(), "boost", "list", "--nope")
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	if strings.Contains(stdout+stderr, realToken) {
		t.Errorf("the token's value is printed:\n%s%s", stdout, stderr)
	}
	if n := strings.Count(stderr, "usage:"); n != 1 || stdout != "" {
		t.Errorf("usage printed %d times on stderr, stdout %q", n, stdout)
	}
}
