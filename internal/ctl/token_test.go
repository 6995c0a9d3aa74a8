package ctl

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// abcSHA256 is SHA-256("abc") from FIPS 180-2, appendix B.1.
const abcSHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

func TestHashToken(t *testing.T) {
	if got := HashToken("abc"); got != abcSHA256 {
		t.Fatalf("HashToken(abc) = %s, want %s", got, abcSHA256)
	}
}

func TestRunToken(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string
	}{
		{name: "hash argument", args: []string{"hash", "abc"}, code: ExitOK, stdout: abcSHA256 + "\n"},
		{name: "hash stdin line", args: []string{"hash"}, stdin: "abc\nignored\n", code: ExitOK, stdout: abcSHA256 + "\n"},
		{name: "hash stdin crlf", args: []string{"hash"}, stdin: "abc\r\n", code: ExitOK, stdout: abcSHA256 + "\n"},
		{name: "hash stdin without newline", args: []string{"hash"}, stdin: "abc", code: ExitOK, stdout: abcSHA256 + "\n"},
		{name: "hash empty stdin", args: []string{"hash"}, stdin: "", code: ExitUsage},
		{name: "hash empty argument", args: []string{"hash", ""}, code: ExitUsage},
		{name: "hash two arguments", args: []string{"hash", "a", "b"}, code: ExitUsage},
		{name: "new with arguments", args: []string{"new", "x"}, code: ExitUsage},
		{name: "no command", args: nil, code: ExitUsage},
		{name: "unknown command", args: []string{"rotate"}, code: ExitUsage},
		{name: "help", args: []string{"--help"}, code: ExitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := RunToken(tc.args, Env{Stdin: strings.NewReader(tc.stdin), Stdout: &out, Stderr: &errb})
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			if tc.stdout != "" && out.String() != tc.stdout {
				t.Errorf("stdout %q, want %q", out.String(), tc.stdout)
			}
		})
	}
}

func TestRunTokenNew(t *testing.T) {
	seen := map[string]bool{}
	for range 2 {
		var out, errb bytes.Buffer
		if code := RunToken([]string{"new"}, Env{Stdout: &out, Stderr: &errb}); code != ExitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("output %q, want a token line and a sha256 line", out.String())
		}
		tok, ok := strings.CutPrefix(lines[0], "token:  ")
		if !ok {
			t.Fatalf("first line %q, want token:", lines[0])
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != tokenBytes {
			t.Fatalf("token %q: %d bytes, %v; want %d bytes of base64url", tok, len(raw), err, tokenBytes)
		}
		if lines[1] != "sha256: "+HashToken(tok) {
			t.Errorf("second line %q, want the token's hash %s", lines[1], HashToken(tok))
		}
		if seen[tok] {
			t.Errorf("token %s twice", tok)
		}
		seen[tok] = true
	}
}
