package ctl

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/headroom-dev/headroom/internal/store"
)

func TestEscape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Black Friday 2026 – warm-up", "Black Friday 2026 – warm-up"},
		{"ansi", "\x1b[31mred\x1b[0m", `\u{001b}[31mred\u{001b}[0m`},
		{"nul", "a\x00b", `a\u{0000}b`},
		{"tab and newline", "a\tb\nc\r", `a\u{0009}b\u{000a}c\u{000d}`},
		{"del", "a\x7f", `a\u{007f}`},
		{"c1", "a\u0085b\u009b", `a\u{0085}b\u{009b}`},
		{"bidi override", "\u202Eevil\u202C", `\u{202e}evil\u{202c}`},
		{"bidi isolate and marks", "\u2066x\u2069\u200e\u200f\u061c", `\u{2066}x\u{2069}\u{200e}\u{200f}\u{061c}`},
		{"invalid utf-8", "a\xffb\xc3", `a\xffb\xc3`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := escape(tc.in); got != tc.want {
				t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// hostile are names and reasons an API that checks nothing could have
// stored.
var hostile = []string{"\x1b[2J\x1b[31mred", "\u202Eevil", "nul\x00byte", "c1\u0085\u009b", "tab\there", "bell\a"}

// terminalSafe fails when out holds a byte or rune a terminal would act
// on.
func terminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: invalid UTF-8:\n%q", what, out)
	}
	for _, r := range out {
		if r != '\n' && !isPrint(r) && !(r == ' ') {
			t.Errorf("%s: unescaped %U in\n%q", what, r, out)
			return
		}
	}
}

// TestHostileTextEscaped stores boosts and overrides whose text carries
// escape sequences, controls and bidi overrides, and reads them back with
// every command that prints them: tables and plain output escape them,
// JSON output stays JSON that means the same.
func TestHostileTextEscaped(t *testing.T) {
	s := startReal(t, groupView("web", time.Minute))
	ctx := context.Background()
	var boostIDs []string
	for i, h := range hostile {
		b := s.putBoost(t, store.Boost{ID: "b-" + strings.Repeat("0", 15) + string(rune('a'+i)), Name: h, Reason: h,
			Groups: []string{"web"}, Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour), MinCapacity: 3})
		boostIDs = append(boostIDs, b.ID)
		if _, err := s.store.PutOverride(ctx, store.Override{ID: "o-" + strings.Repeat("0", 15) + string(rune('a'+i)),
			Group: "web", Kind: "pause", Reason: h, ExpiresAt: testNow.Add(time.Hour), CreatedBy: "op", CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	cmds := [][]string{{"boost", "list"}, {"boost", "list", "--all"}, {"group", "web"}, {"override", "list"}, {"override", "list", "web"}}
	for _, id := range boostIDs {
		cmds = append(cmds, []string{"boost", "get", id})
	}
	for _, args := range cmds {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runCtl(t, s.env(), args...)
			if code != ExitOK {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			terminalSafe(t, "table", stdout)
			if args[1] != "get" && !strings.Contains(stdout, `\u{202e}evil`) {
				t.Errorf("the bidi override is not shown escaped:\n%s", stdout)
			}
			code, stdout, stderr = runCtl(t, s.env(), append(args, "--output", "json")...)
			if code != ExitOK {
				t.Fatalf("json: exit %d:\n%s", code, stderr)
			}
			terminalSafe(t, "json", stdout)
			var doc any
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("json output is not JSON: %v\n%s", err, stdout)
			}
			got, _ := json.Marshal(doc)
			for _, h := range hostile {
				want, _ := json.Marshal(h)
				if args[1] != "get" && !strings.Contains(string(got), string(want)) {
					t.Errorf("json output lost %q", h)
				}
			}
		})
	}
	// A problem whose detail echoes the request.
	code, _, stderr := runCtl(t, s.env(), "group", "\x1b]0;owned\a")
	if code != ExitNotFound {
		t.Errorf("exit %d, want %d", code, ExitNotFound)
	}
	terminalSafe(t, "error", stderr)
}
