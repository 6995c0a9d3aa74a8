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
	"strings"
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

const tokenUsage = `usage: headroom token <command>

  hash [TOKEN]  print the hex SHA-256 of TOKEN, for the config's api.tokens[].sha256;
                without TOKEN, of one line read from stdin (keeps it out of shell history)
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
	fmt.Fprintln(env.Stdout, HashToken(tok))
	return ExitOK
}
