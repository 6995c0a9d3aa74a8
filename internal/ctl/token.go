package ctl

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// tokenBytes is the entropy of a new token: 256 bits, beyond guessing even
// at any request rate the API could serve.
const tokenBytes = 32

// HashToken returns the hex SHA-256 of token, as the config's
// api.tokens[].sha256 holds it.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a random token: 32 bytes, base64url without padding.
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// minTokenBits is the least entropy `token hash` accepts without
// --allow-weak: as much as `token new` gives.
const minTokenBits = 8 * tokenBytes

// TokenEntropyBits estimates the entropy of tok in bits as its length
// times log2 of the size of the alphabet it is written in: 10 for digits
// only, 16 for hex (one case), 64 for base64 or base64url, 95 for any
// printable ASCII, and 8 bits a byte for anything else. It is an upper
// bound: it takes every character as drawn at random, so it catches a
// token that is too short for its alphabet (a 32-character hex string is
// 128 bits), but it cannot tell a long phrase or a repeated character from
// random bytes. `headroom token new` makes tokens that meet it.
func TokenEntropyBits(tok string) float64 {
	alphabet := 256.0
	in := func(set string) bool {
		for _, c := range tok {
			if !strings.ContainsRune(set, c) {
				return false
			}
		}
		return true
	}
	const (
		digits    = "0123456789"
		lower     = "abcdefghijklmnopqrstuvwxyz"
		upper     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		base64    = upper + lower + digits + "+/="
		base64url = upper + lower + digits + "-_"
	)
	switch {
	case in(digits):
		alphabet = 10
	case in(digits + "abcdef"), in(digits + "ABCDEF"):
		alphabet = 16
	case in(base64), in(base64url):
		alphabet = 64
	case in(printableASCII()):
		alphabet = 95
	default:
		return 8 * float64(len(tok))
	}
	return float64(utf8.RuneCountInString(tok)) * math.Log2(alphabet)
}

func printableASCII() string {
	b := make([]byte, 0, 95)
	for c := byte(' '); c <= '~'; c++ {
		b = append(b, c)
	}
	return string(b)
}

const tokenUsage = `usage: headroom token <command>

  hash [--allow-weak] [TOKEN]
                print the hex SHA-256 of TOKEN, for the config's api.tokens[].sha256;
                without TOKEN, of one line read from stdin (keeps it out of shell history).
                A token under 256 bits of entropy (length x log2 of its alphabet: 64 hex
                or 43 base64 characters) is refused unless --allow-weak
  new           print a new random token (32 bytes, base64url) and its hash
`

// RunToken runs `headroom token` with args (without "token") and returns
// the exit code.
func RunToken(args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, tokenUsage)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(env.Stdout, tokenUsage)
		return ExitOK
	case "hash":
		return tokenHash(args[1:], env)
	case "new":
		if len(args) > 1 {
			fmt.Fprintf(env.Stderr, "headroom token new: unexpected arguments: %s\n", strings.Join(args[1:], " "))
			return ExitUsage
		}
		tok, err := NewToken()
		if err != nil {
			fmt.Fprintf(env.Stderr, "error: %v\n", err)
			return ExitFailed
		}
		fmt.Fprintf(env.Stdout, "token:  %s\nsha256: %s\n", tok, HashToken(tok))
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "headroom token: unknown command %q\n", args[0])
	fmt.Fprint(env.Stderr, tokenUsage)
	return ExitUsage
}

func tokenHash(args []string, env Env) int {
	allowWeak := false
	var rest []string
	for _, a := range args {
		switch a {
		case "--allow-weak", "-allow-weak":
			allowWeak = true
		default:
			rest = append(rest, a)
		}
	}
	args = rest
	var tok string
	switch len(args) {
	case 0:
		if env.Stdin == nil {
			fmt.Fprintln(env.Stderr, "headroom token hash: no TOKEN and no stdin")
			return ExitUsage
		}
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			fmt.Fprintf(env.Stderr, "error: read token from stdin: %v\n", err)
			return ExitFailed
		}
		tok = strings.TrimRight(line, "\r\n")
	case 1:
		tok = args[0]
	default:
		fmt.Fprintf(env.Stderr, "headroom token hash: unexpected arguments: %s\n", strings.Join(args[1:], " "))
		return ExitUsage
	}
	if tok == "" {
		fmt.Fprintln(env.Stderr, "headroom token hash: empty token")
		return ExitUsage
	}
	if bits := TokenEntropyBits(tok); bits < minTokenBits && !allowWeak {
		fmt.Fprintf(env.Stderr, "headroom token hash: the token has at most %.0f bits of entropy (%d characters); "+
			"at least %d are needed (64 hex or 43 base64 characters): use `headroom token new`, or pass --allow-weak to hash it anyway\n",
			bits, utf8.RuneCountInString(tok), minTokenBits)
		return ExitUsage
	}
	fmt.Fprintln(env.Stdout, HashToken(tok))
	return ExitOK
}
