package main

import (
	"context"
	"io"
	"os"

	"github.com/headroom-dev/headroom/internal/ctl"
)

// runCtl is `headroom ctl`: the admin API's client (internal/ctl).
func runCtl(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return ctl.Run(ctx, args, ctl.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}

// runToken is `headroom token hash|new`: API tokens and their hashes.
func runToken(_ context.Context, args []string, stdout, stderr io.Writer) int {
	return ctl.RunToken(args, ctl.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}
