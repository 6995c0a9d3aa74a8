package text

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
		offset   int
		rune     rune
		invalid  bool
	}{
		{name: "plain", in: "year-end sale", ok: true},
		{name: "accents and emoji", in: "Fête 🎉 d'été", ok: true},
		{name: "zero width joiner kept", in: "👩\u200d💻", ok: true},
		{name: "backslash kept", in: `C:\temp \x1b`, ok: true},
		{name: "ANSI CSI", in: "ok\x1b[2J", offset: 2, rune: 0x1b},
		{name: "NUL", in: "a\x00b", offset: 1, rune: 0},
		{name: "newline", in: "two\nlines", offset: 3, rune: '\n'},
		{name: "tab", in: "a\tb", offset: 1, rune: '\t'},
		{name: "DEL", in: "a\x7f", offset: 1, rune: 0x7f},
		{name: "C1 CSI", in: "a\u009b2J", offset: 1, rune: 0x9b},
		{name: "RLO", in: "exe.\u202etxt", offset: 4, rune: 0x202e},
		{name: "isolate", in: "\u2066x", offset: 0, rune: 0x2066},
		{name: "arabic letter mark", in: "x\u061c", offset: 1, rune: 0x061c},
		{name: "line separator", in: "a\u2028b", offset: 1, rune: 0x2028},
		{name: "invalid byte", in: "ab\xffc", offset: 2, rune: utf8.RuneError, invalid: true},
		{name: "encoded surrogate", in: "a\xed\xa0\x80", offset: 1, rune: utf8.RuneError, invalid: true},
		{name: "truncated sequence", in: "é"[:1], offset: 0, rune: utf8.RuneError, invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.in)
			if tc.ok {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check(%q) = %v, want *Error", tc.in, err)
			}
			if e.Offset != tc.offset || e.Rune != tc.rune || e.Invalid != tc.invalid {
				t.Fatalf("Check(%q) = %+v, want offset %d rune %U invalid %v", tc.in, e, tc.offset, tc.rune, tc.invalid)
			}
			if msg := err.Error(); strings.ContainsFunc(msg, Refused) {
				t.Fatalf("the error message itself carries a refused rune: %q", msg)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	for in, want := range map[string]string{
		"ok\x1b[31m": `must not contain \x1b (the escape character, which starts terminal control sequences) at offset 2`,
		"a\u202eb":   `must not contain \u202e (a bidirectional formatting character) at offset 1`,
		"\xc3":       `is not valid UTF-8 (byte \xc3 at offset 0)`,
		"\x00":       `must not contain \x00 (NUL) at offset 0`,
		"\u0085":     `must not contain \u0085 (a C1 control character) at offset 0`,
	} {
		if got := Check(in).Error(); got != want {
			t.Errorf("Check(%q):\n got %s\nwant %s", in, got, want)
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain":              "plain",
		"Fête 🎉":             "Fête 🎉",
		"\x1b[2Jgone":        `\x1b[2Jgone`,
		"a\x00b\x7f":         `a\x00b\x7f`,
		"exe.\u202etxt":      `exe.\u202etxt`,
		"\u009b31m":          `\u009b31m`,
		"bad\xff\xfe":        `bad\xff\xfe`,
		"\xed\xa0\x80":       `\xed\xa0\x80`,
		"two\nlines\r\n":     `two\x0alines\x0d\x0a`,
		"\u2066\u2069\u061c": `\u2066\u2069\u061c`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzText checks the contract between Check and Escape on any bytes:
// Escape's output always passes Check and is printable ASCII wherever
// the input was refused, and text that passes Check is shown unchanged.
// The committed corpus holds the terminal escapes that matter: ANSI CSI
// and OSC sequences, C0 and C1 controls, NUL, the bidirectional
// overrides and isolates, and invalid UTF-8.
func FuzzText(f *testing.F) {
	for _, s := range []string{"year-end", "\x1b[2J", "a\u202eb", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		esc := Escape(s)
		if err := Check(esc); err != nil {
			t.Fatalf("Escape(%q) = %q, which Check refuses: %v", s, esc, err)
		}
		err := Check(s)
		if err == nil {
			if esc != s {
				t.Fatalf("Escape changed accepted text %q to %q", s, esc)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Offset < 0 || e.Offset >= len(s) {
			t.Fatalf("Check(%q) = %v: no offset inside the string", s, err)
		}
		if Check(s[:e.Offset]) != nil {
			t.Fatalf("Check(%q) blames offset %d, but an earlier byte is refused too", s, e.Offset)
		}
		if esc == s {
			t.Fatalf("Escape left refused text %q unchanged", s)
		}
		if Check(err.Error()) != nil {
			t.Fatalf("the error for %q is itself unsafe: %q", s, err.Error())
		}
	})
}
