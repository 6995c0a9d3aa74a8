package ctl

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Exit codes of `headroom ctl`, stable for scripts.
const (
	// ExitOK: the request succeeded.
	ExitOK = 0
	// ExitFailed: the server refused the request (a 4xx not listed below)
	// or failed (5xx).
	ExitFailed = 1
	// ExitUsage: bad flags or arguments, detected before any request.
	ExitUsage = 2
	// ExitNotFound: the group, boost or override does not exist (404).
	ExitNotFound = 3
	// ExitAuth: no token, a wrong token, or a viewer token for a write
	// (401, 403).
	ExitAuth = 4
	// ExitConflict: a version mismatch, or an idempotency key reused with
	// another request (409).
	ExitConflict = 5
	// ExitUnreachable: no answer from the server.
	ExitUnreachable = 6
)

// exitCodes is the table `ctl --help` and docs/ctl.md show.
const exitCodes = `Exit codes:
  0  ok
  1  the server refused the request (4xx other than below) or failed (5xx)
  2  usage error (bad flags or arguments; nothing was sent)
  3  not found (404)
  4  not authenticated or not allowed (401, 403)
  5  conflict (409: version mismatch, idempotency key reused)
  6  cannot reach the server
`

// ExitCode maps an error from Client.Do to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var un *UnreachableError
	if errors.As(err, &un) {
		return ExitUnreachable
	}
	var p *Problem
	if errors.As(err, &p) {
		switch p.Status {
		case http.StatusNotFound:
			return ExitNotFound
		case http.StatusUnauthorized, http.StatusForbidden:
			return ExitAuth
		case http.StatusConflict:
			return ExitConflict
		}
	}
	return ExitFailed
}

// printError writes err for people: a problem's detail, then each field
// problem the detail does not already say, one a line.
func printError(w io.Writer, err error) {
	var p *Problem
	if !errors.As(err, &p) {
		fmt.Fprintf(w, "error: %s\n", escape(err.Error()))
		return
	}
	fmt.Fprintf(w, "error: %s\n", escape(p.Error()))
	for _, fp := range p.Errors {
		line := fp.Detail
		if fp.Field != "" {
			line = fp.Field + ": " + fp.Detail
		}
		if line == p.Detail {
			continue
		}
		fmt.Fprintf(w, "error: %s\n", escape(line))
	}
	if p.Status == http.StatusUnauthorized {
		fmt.Fprintln(w, "hint: set --token or HEADROOM_TOKEN")
	}
}
