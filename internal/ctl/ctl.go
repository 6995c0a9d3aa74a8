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
	token   secret
	output  string
	timeout time.Duration
}

// secret is a flag value that never shows itself: flag.PrintDefaults
// prints a flag's default unless its String is empty, and the token's
// default comes from $HEADROOM_TOKEN.
type secret string

func (s *secret) String() string { return "" }

func (s *secret) Set(v string) error {
	*s = secret(v)
	return nil
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.server, "server", g.server, "admin API URL (default $"+EnvURL+", else "+DefaultURL+")")
	fs.Var(&g.token, "token", "bearer token (default $"+EnvToken+")")
	fs.StringVar(&g.output, "output", g.output, "output format: table or json")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "give up after this long, retries included")
}

// check validates the global flags before any request. A server URL
// that ends in /v1 names the API's root rather than the server's: the
// suffix is dropped, since every path ctl sends starts with /v1.
func (g *globals) check() error {
	g.server = strings.TrimSuffix(strings.TrimSuffix(g.server, "/"), "/v1")
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
	// ctx carries the command's one deadline (--timeout) once its flags
	// are parsed: every request, retry and page of the command shares it.
	ctx    context.Context
	cancel context.CancelFunc
	env    Env
	g      globals
	// usageArgs is the argument synopsis of the command's flag set.
	usageArgs string
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
		{name: "forecast", args: "NAME", summary: "show a group's need forecast for the next 48 hours, an hour a row, and its predictive floor", run: runForecast},
		{name: "preview", args: "NAME [--current N] [--serving N] [--metric P=V]... [--queue Q=VISIBLE[,INFLIGHT[,DELAYED]]]... [--boost-min N] ...",
			summary: "compute a decision with inputs replaced; writes nothing", run: runPreview},
		{name: "boost", summary: "manage boosts (campaign windows that raise a floor)", subs: []command{
			{name: "create", args: "--name N --reason R --group G... --start T --end T [--time-zone Z] (--min-capacity N | --multiplier X) ...", summary: "create a boost", run: runBoostCreate},
			{name: "list", args: "[--all]", summary: "list boosts neither ended nor cancelled (--all: every one)", run: runBoostList},
			{name: "get", args: "ID", summary: "show a boost", run: runBoostGet},
			{name: "update", args: "ID [create's flags, only those given are sent] [--version V]", summary: "change a boost", run: runBoostUpdate},
			{name: "cancel", args: "ID", summary: "cancel a boost", run: runBoostCancel},
		}},
		{name: "campaign", summary: "announce campaigns by their audience: each becomes a boost per group, its floor sized from the expected responses", subs: []command{
			{name: "create", args: "--name N --group G... --start T --audience N [--end T] [--messages-per-recipient N]", summary: "announce a campaign", run: runCampaignCreate},
			{name: "preview", args: "--name N --group G... --start T --audience N [--end T] [--messages-per-recipient N]", summary: "size a campaign; writes nothing", run: runCampaignPreview},
			{name: "list", args: "[--all]", summary: "list campaigns neither ended nor cancelled (--all: every one)", run: runCampaignList},
			{name: "get", args: "ID", summary: "show a campaign and its sizing", run: runCampaignGet},
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
		token:   secret(env.getenv(EnvToken)),
		output:  "table",
		timeout: DefaultTimeout,
	}}
	if u := env.getenv(EnvURL); u != "" {
		inv.g.server = u
	}
	defer func() {
		if inv.cancel != nil {
			inv.cancel()
		}
	}()
	// Global flags may come before the command name as well as after it.
	// The flag package calls Usage on -h and on a bad flag; the usage is
	// printed here instead, once, to stdout for -h and stderr otherwise.
	fs := flag.NewFlagSet("headroom ctl", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	inv.g.register(fs)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(env.Stdout, "ctl", commands())
			return ExitOK
		}
		usage(env.Stderr, "ctl", commands())
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
	// Usage is printed by parse, once (see Run).
	fs.Usage = func() {}
	c.usageArgs = args
	return fs
}

// printUsage writes the usage of the command whose flag set is fs.
func printUsage(w io.Writer, fs *flag.FlagSet, args string) {
	out := fs.Output()
	fs.SetOutput(w)
	defer fs.SetOutput(out)
	fmt.Fprintf(w, "usage: %s %s\n\nflags:\n", fs.Name(), args)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\n%s", exitCodes)
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
				printUsage(c.env.Stdout, fs, c.usageArgs)
				return nil, ExitOK
			}
			printUsage(c.env.Stderr, fs, c.usageArgs)
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
	// One deadline for the whole command, from here on.
	c.ctx, c.cancel = context.WithTimeout(c.ctx, c.g.timeout)
	return pos, -1
}

// usagef reports a usage error detected before any request.
func (c *invocation) usagef(fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(c.env.Stderr, "%s: %s\n", fs.Name(), escape(fmt.Sprintf(format, a...)))
	fmt.Fprintf(c.env.Stderr, "run '%s -h' for usage\n", fs.Name())
	return ExitUsage
}

// do sends req and shows the answer: the server's JSON pretty-printed with
// --output json, else show's table.
func (c *invocation) do(req Request, show func(w io.Writer, body []byte) error) int {
	cl := &Client{BaseURL: c.g.server, Token: string(c.g.token), HTTP: c.env.HTTP, Backoff: c.env.Backoff}
	resp, err := cl.Do(c.ctx, req)
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
		fmt.Fprintf(c.env.Stderr, "error: %s %s: %s\n", req.Method, escape(req.Path), escape(err.Error()))
		return ExitFailed
	}
	return ExitOK
}

// list sends req, a GET of a list route, and follows each page's next
// link until the last page or until max items (0: no bound) are in
// hand, all under the command's one deadline. It shows the items as one
// document of the server's shape, {key: [...], "next": null}.
func (c *invocation) list(req Request, key string, max int, show func(w io.Writer, body []byte) error) int {
	cl := &Client{BaseURL: c.g.server, Token: string(c.g.token), HTTP: c.env.HTTP, Backoff: c.env.Backoff}
	items := []json.RawMessage{}
	for {
		resp, err := cl.Do(c.ctx, req)
		if err != nil {
			printError(c.env.Stderr, err)
			return ExitCode(err)
		}
		page, next, err := decodePage(resp.Body, key)
		if err != nil {
			fmt.Fprintf(c.env.Stderr, "error: %s %s: %s\n", req.Method, escape(req.Path), escape(err.Error()))
			return ExitFailed
		}
		items = append(items, page...)
		if max > 0 && len(items) >= max {
			items = items[:max]
			break
		}
		if next == "" {
			break
		}
		u, err := url.Parse(next)
		if err != nil || u.IsAbs() || !strings.HasPrefix(u.Path, "/v1/") {
			fmt.Fprintf(c.env.Stderr, "error: %s %s: the server's next link %q is not a path under /v1\n", req.Method, escape(req.Path), escape(next))
			return ExitFailed
		}
		req = Request{Method: http.MethodGet, Path: u.EscapedPath(), Query: u.Query()}
	}
	body, err := json.Marshal(map[string]any{key: items, "next": nil})
	if err == nil {
		if c.g.output == "json" {
			err = printJSON(c.env.Stdout, body)
		} else {
			err = show(c.env.Stdout, body)
		}
	}
	if err != nil {
		fmt.Fprintf(c.env.Stderr, "error: %s %s: %s\n", req.Method, escape(req.Path), escape(err.Error()))
		return ExitFailed
	}
	return ExitOK
}

// decodePage splits a list route's answer into its items (under key)
// and its next link ("" on the last page).
func decodePage(body []byte, key string) ([]json.RawMessage, string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, "", fmt.Errorf("decode response: %w", err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw[key], &items); err != nil {
		return nil, "", fmt.Errorf("decode response's %s: %w", key, err)
	}
	var next *string
	if n, ok := raw["next"]; ok {
		if err := json.Unmarshal(n, &next); err != nil {
			return nil, "", fmt.Errorf("decode response's next: %w", err)
		}
	}
	if next == nil {
		return items, "", nil
	}
	return items, *next, nil
}

// showAs decodes the body as T and prints it with print.
func showAs[T any](print func(io.Writer, T) error) func(io.Writer, []byte) error {
	return func(w io.Writer, body []byte) error {
		var v T
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
		escapeStrings(&v)
		return print(w, v)
	}
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }
