// Command headroom keeps EC2 Auto Scaling groups sized to their work.
//
//	headroom serve    --config FILE   run the control loop
//	headroom validate --config FILE   check a config; exit 1 with every problem
//	headroom explain  --config FILE --group NAME
//	                                  read the live sources once, print the decision; write nothing
//	headroom demo                     a live demo: the control loop in a simulated world, sped up
//	headroom simulate --scenario NAME --policy all
//	                                  score Headroom and baselines on a scenario
//	headroom emulator --listen ADDR   the AWS emulator, for manual runs
//	headroom version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the control loop (--config FILE)", runServe},
		{"validate", "check a config file and print every problem (--config FILE)", runValidate},
		{"explain", "read the live sources once and print a group's decision; writes nothing (--config FILE --group NAME)", runExplain},
		{"demo", "a live demo: the control loop in a simulated world on the built-in AWS emulator, time sped up", runDemo},
		{"simulate", "score Headroom and baselines on a scenario (--scenario NAME|FILE --policy all)", runSimulate},
		{"ctl", "call the admin API: groups, decisions, preview, boosts, overrides, audit (ctl --help)", runCtl},
		{"store", "create the DynamoDB table with its TTL, or check an existing one's key schema; idempotent (store init --config FILE | --table NAME)", runStore},
		{"token", "hash an admin API token for the config (token hash [TOKEN]), or make a new one (token new)", runToken},
		{"healthcheck", "exit 0 if /healthz answers 200 (a container health check; --url, --timeout, --insecure)", runHealthcheck},
		{"emulator", "run the AWS emulator (Auto Scaling, CloudWatch, SQS) for manual runs (--listen ADDR)", runEmulator},
		{"version", "print the version", runVersion},
	}
}

// run dispatches a command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "headroom: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: headroom <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'headroom <command> -h' for a command's flags.")
}

// newFlags returns a flag set that reports errors on stderr and does not exit.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("headroom "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and returns the exit code to use when parsing
// ended the command (help or a bad flag), or -1 to carry on.
func parseFlags(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected arguments: %v\n", fs.Name(), fs.Args())
		return 2
	}
	return -1
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", stderr)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	fmt.Fprintf(stdout, "headroom %s\n", version)
	return 0
}
