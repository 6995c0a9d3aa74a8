package ctl

import (
	"bytes"
	"encoding/base64"
	"math"
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
		{name: "hash argument", args: []string{"hash", "--allow-weak", "abc"}, code: ExitOK, stdout: abcSHA256 + "\n"},
		{name: "hash stdin line", args: []string{"hash", "--allow-weak"}, stdin: "abc\nignored\n", code: ExitOK, stdout: abcSHA256 + "\n"},
		{name: "hash stdin crlf", args: []string{"hash", "--allow-weak"}, stdin: "abc\r\n", code: ExitOK, stdout: abcSHA256 + "\n"},
		{name: "hash stdin without newline", args: []string{"hash", "--allow-weak"}, stdin: "abc", code: ExitOK, stdout: abcSHA256 + "\n"},
		{name: "weak argument refused", args: []string{"hash", "abc"}, code: ExitUsage},
		{name: "weak stdin refused", args: []string{"hash"}, stdin: "s3cret-value\n", code: ExitUsage},
		{name: "128-bit hex refused", args: []string{"hash", strings.Repeat("0f", 16)}, code: ExitUsage},
		{name: "256-bit hex", args: []string{"hash", strings.Repeat("0f", 32)}, code: ExitOK},
		{name: "flag after the token", args: []string{"hash", "abc", "--allow-weak"}, code: ExitOK, stdout: abcSHA256 + "\n"},
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

func TestTokenEntropyBits(t *testing.T) {
	for _, tc := range []struct {
		tok  string
		bits float64
	}{
		{"12345678", 8 * math.Log2(10)},
		{strings.Repeat("a1", 32), 256},              // hex, 64 characters
		{strings.Repeat("A1", 16), 128},              // hex, 32 characters
		{strings.Repeat("aB-_", 10) + "xyz", 43 * 6}, // base64url, 43 characters
		{"correct horse battery staple!", 29 * math.Log2(95)},
		{"mot de passe é", 8 * float64(len("mot de passe é"))},
	} {
		if got := TokenEntropyBits(tc.tok); math.Abs(got-tc.bits) > 1e-9 {
			t.Errorf("TokenEntropyBits(%q) = %g, want %g", tc.tok, got, tc.bits)
		}
	}
	// Every token `token new` makes is accepted, whatever characters it
	// happens to hold.
	for range 500 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if bits := TokenEntropyBits(tok); bits < minTokenBits {
			t.Fatalf("NewToken %d characters: %g bits, under %d", len(tok), bits, minTokenBits)
		}
	}
}

// TestWeakTokenMessage: the refusal says why and what to do, and never
// echoes the token.
func TestWeakTokenMessage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := RunToken([]string{"hash", "hunter2-hunter2"}, Env{Stdout: &out, Stderr: &errb}); code != ExitUsage {
		t.Fatalf("exit %d", code)
	}
	msg := errb.String()
	for _, want := range []string{"at most 90 bits", "15 characters", "at least 256", "headroom token new", "--allow-weak"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "hunter2") || out.Len() != 0 {
		t.Errorf("the token leaked: stdout %q stderr %q", out.String(), msg)
	}
}
