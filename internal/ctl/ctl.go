// Package ctl is `headroom ctl`: a client of the admin API and the
// commands that read groups and decisions, preview a decision, and manage
// boosts and overrides. Table output is for people; --output json passes
// the server's documents through for scripts. Exit codes are stable and
// listed in exitCodes.
package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Environment variables that give the global flags their defaults.
const (
	EnvURL   = "HEADROOM_URL"
	EnvToken = "HEADROOM_TOKEN"
)

// DefaultURL is the server when neither --server nor HEADROOM_URL says
// otherwise: `headroom serve`'s default listen address.
const DefaultURL = "http://127.0.0.1:9464"

// DefaultTimeout bounds one command, retries included.
const DefaultTimeout = 10 * time.Second

// Env is what a command reads and writes besides its arguments.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads an environment variable; nil reads none.
	Getenv func(string) string
	// Now is the time --since durations count back from; nil is
	// time.Now.
	Now func() time.Time
	// HTTP sends the requests; nil is http.DefaultClient.
	HTTP *http.Client
	// Backoff is the wait before a retry; nil is the client's default.
	Backoff func(n int) time.Duration
}

func (e Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// globals are the flags every ctl command takes.
type globals struct {
	server  string
	token   string
	output  string
	timeout time.Duration
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.server, "server", g.server, "admin API URL (default $"+EnvURL+", else "+DefaultURL+")")
	fs.StringVar(&g.token, "token", g.token, "bearer token (default $"+EnvToken+")")
	fs.StringVar(&g.output, "output", g.output, "output format: table or json")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "give up after this long, retries included")
}

// check validates the global flags before any request.
func (g *globals) check() error {
	u, err := url.Parse(g.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--server %q: want http(s)://host[:port]", g.server)
	}
	if g.output != "table" && g.output != "json" {
		return fmt.Errorf("--output %q: want table or json", g.output)
	}
	if g.timeout <= 0 {
		return fmt.Errorf("--timeout %s: must be positive", g.timeout)
	}
	return nil
}

// invocation is one run of a ctl command.
type invocation struct {
	ctx context.Context
	env Env
	g   globals
}

// command is one ctl command or a group of subcommands.
type command struct {
	name    string
	args    string
	summary string
	run     func(c *invocation, name string, args []string) int
	subs    []command
}

func commands() []command {
	return []command{
		{name: "groups", summary: "list the groups with their latest decision", run: runGroups},
		{name: "group", args: "NAME", summary: "show a group: its latest decision, boosts and overrides", run: runGroup},
		{name: "decisions", args: "NAME [--since T] [--limit N]", summary: "list a group's recent decisions, newest first", run: runDecisions},
		{name: "preview", args: "NAME [--current N] [--serving N] [--metric P=V]... [--queue Q=VISIBLE[,INFLIGHT[,DELAYED]]]... [--boost-min N] ...",
			summary: "compute a decision with inputs replaced; writes nothing", run: runPreview},
		{name: "boost", summary: "manage boosts (campaign windows that raise a floor)", subs: []command{
			{name: "create", args: "--name N --reason R --group G... --start T --end T [--time-zone Z] (--min-capacity N | --multiplier X) ...", summary: "create a boost", run: runBoostCreate},
			{name: "list", args: "[--all]", summary: "list boosts neither ended nor cancelled (--all: every one)", run: runBoostList},
			{name: "get", args: "ID", summary: "show a boost", run: runBoostGet},
			{name: "update", args: "ID [create's flags, only those given are sent] [--version V]", summary: "change a boost", run: runBoostUpdate},
			{name: "cancel", args: "ID", summary: "cancel a boost", run: runBoostCancel},
		}},
		{name: "override", summary: "manage overrides (temporary pin, pause or bounds on a group)", subs: []command{
			{name: "pin", args: "GROUP --capacity N --reason R (--ttl D | --expires-at T)", summary: "hold a group at exactly N instances", run: runOverridePin},
			{name: "pause", args: "GROUP --reason R (--ttl D | --expires-at T)", summary: "stop acting on a group (decisions are still computed)", run: runOverridePause},
			{name: "bounds", args: "GROUP [--min N] [--max N] --reason R (--ttl D | --expires-at T)", summary: "replace a group's min and/or max", run: runOverrideBounds},
			{name: "list", args: "[--all] [GROUP]", summary: "list active overrides (--all: expired and cancelled too)", run: runOverrideList},
			{name: "cancel", args: "ID", summary: "cancel an override", run: runOverrideCancel},
		}},
		{name: "audit", args: "[--since T] [--limit N]", summary: "list the audit trail, oldest first", run: runAudit},
	}
}

// Run runs `headroom ctl` with args (without "ctl") and returns the exit
// code.
func Run(ctx context.Context, args []string, env Env) int {
	inv := &invocation{ctx: ctx, env: env, g: globals{
		server:  DefaultURL,
		token:   env.getenv(EnvToken),
		output:  "table",
		timeout: DefaultTimeout,
	}}
	if u := env.getenv(EnvURL); u != "" {
		inv.g.server = u
	}
	// Global flags may come before the command name as well as after it.
	fs := flag.NewFlagSet("headroom ctl", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	inv.g.register(fs)
	fs.Usage = func() { usage(env.Stderr, "ctl", commands()) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(env.Stdout, "ctl", commands())
			return ExitOK
		}
		return ExitUsage
	}
	return dispatch(inv, "ctl", commands(), fs.Args())
}

func dispatch(inv *invocation, path string, cmds []command, args []string) int {
	if len(args) == 0 {
		usage(inv.env.Stderr, path, cmds)
		return ExitUsage
	}
	if args[0] == "help" {
		usage(inv.env.Stdout, path, cmds)
		return ExitOK
	}
	for _, c := range cmds {
		if c.name != args[0] {
			continue
		}
		name := path + " " + c.name
		if c.subs != nil {
			return dispatch(inv, name, c.subs, args[1:])
		}
		return c.run(inv, name, args[1:])
	}
	fmt.Fprintf(inv.env.Stderr, "headroom %s: unknown command %q\n", path, args[0])
	usage(inv.env.Stderr, path, cmds)
	return ExitUsage
}

func usage(w io.Writer, path string, cmds []command) {
	fmt.Fprintf(w, "usage: headroom %s <command> [flags]\n\n", path)
	for _, c := range cmds {
		if c.subs != nil {
			fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
			for _, s := range c.subs {
				fmt.Fprintf(w, "    %-8s %s\n", s.name, s.summary)
			}
			continue
		}
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nGlobal flags, before or after the command: --server URL (default $%s, else %s),\n", EnvURL, DefaultURL)
	fmt.Fprintf(w, "--token T (default $%s), --output table|json, --timeout 10s.\n", EnvToken)
	fmt.Fprintf(w, "Run 'headroom %s <command> -h' for a command's flags.\n\n", path)
	fmt.Fprint(w, exitCodes)
}

// flags returns the flag set of command name, with the global flags.
func (c *invocation) flags(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("headroom "+name, flag.ContinueOnError)
	fs.SetOutput(c.env.Stderr)
	c.g.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: headroom %s %s\n\nflags:\n", name, args)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\n%s", exitCodes)
	}
	return fs
}

// parse parses args, with flags before, between or after the positional
// arguments, and checks that there are exactly len(names) of those, or at
// most len(names) when optional. It returns the positional arguments and
// -1, or the exit code when parsing ended the command.
func (c *invocation) parse(fs *flag.FlagSet, args []string, optional bool, names ...string) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(c.env.Stdout)
				fs.Usage()
				return nil, ExitOK
			}
			return nil, ExitUsage
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) > len(names):
		return nil, c.usagef(fs, "unexpected arguments: %s", strings.Join(pos[len(names):], " "))
	case len(pos) < len(names) && !optional:
		return nil, c.usagef(fs, "missing %s", names[len(pos)])
	}
	for i, p := range pos {
		if p == "" {
			return nil, c.usagef(fs, "%s must not be empty", names[i])
		}
	}
	if err := c.g.check(); err != nil {
		return nil, c.usagef(fs, "%v", err)
	}
	return pos, -1
}

// usagef reports a usage error detected before any request.
func (c *invocation) usagef(fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(c.env.Stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, a...))
	fmt.Fprintf(c.env.Stderr, "run '%s -h' for usage\n", fs.Name())
	return ExitUsage
}

// do sends req and shows the answer: the server's JSON pretty-printed with
// --output json, else show's table.
func (c *invocation) do(req Request, show func(w io.Writer, body []byte) error) int {
	ctx, cancel := context.WithTimeout(c.ctx, c.g.timeout)
	defer cancel()
	cl := &Client{BaseURL: c.g.server, Token: c.g.token, HTTP: c.env.HTTP, Backoff: c.env.Backoff}
	resp, err := cl.Do(ctx, req)
	if err != nil {
		printError(c.env.Stderr, err)
		return ExitCode(err)
	}
	if resp.Replayed {
		fmt.Fprintf(c.env.Stderr, "note: the server replayed its first answer to this Idempotency-Key, which shows the object as it was then; nothing new was written\n")
	}
	if c.g.output == "json" {
		err = printJSON(c.env.Stdout, resp.Body)
	} else {
		err = show(c.env.Stdout, resp.Body)
	}
	if err != nil {
		fmt.Fprintf(c.env.Stderr, "error: %s %s: %v\n", req.Method, req.Path, err)
		return ExitFailed
	}
	return ExitOK
}

// showAs decodes the body as T and prints it with print.
func showAs[T any](print func(io.Writer, T) error) func(io.Writer, []byte) error {
	return func(w io.Writer, body []byte) error {
		var v T
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
		return print(w, v)
	}
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }
