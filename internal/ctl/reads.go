package ctl

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// previewWindow is how long the window of a preview's boost lasts when
// --boost-start and --boost-end are not given: the boost is then in force
// now, so that the preview shows its floor.
const previewWindow = time.Hour

func runGroups(c *invocation, name string, args []string) int {
	fs := c.flags(name, "")
	if _, code := c.parse(fs, args, false); code >= 0 {
		return code
	}
	return c.list(Request{Method: http.MethodGet, Path: "/v1/groups"}, "groups", 0,
		showAs(func(w io.Writer, v struct {
			Groups []GroupSummary `json:"groups"`
		}) error {
			return printGroups(w, v.Groups)
		}))
}

func runGroup(c *invocation, name string, args []string) int {
	fs := c.flags(name, "NAME")
	pos, code := c.parse(fs, args, false, "NAME")
	if code >= 0 {
		return code
	}
	return c.do(Request{Method: http.MethodGet, Path: "/v1/groups/" + seg(pos[0])}, showAs(printGroup))
}

func runForecast(c *invocation, name string, args []string) int {
	fs := c.flags(name, "NAME")
	pos, code := c.parse(fs, args, false, "NAME")
	if code >= 0 {
		return code
	}
	return c.do(Request{Method: http.MethodGet, Path: "/v1/groups/" + seg(pos[0]) + "/forecast"}, showAs(printForecast))
}

func runDecisions(c *invocation, name string, args []string) int {
	fs := c.flags(name, "NAME [--since T] [--limit N]")
	sinceV := fs.String("since", "", "only decisions at or after T: RFC 3339, or a duration back from now (2h)")
	limit := fs.Int("limit", 100, "at most N decisions, newest first")
	pos, code := c.parse(fs, args, false, "NAME")
	if code >= 0 {
		return code
	}
	q, err := pageQuery(setFlags(fs), *sinceV, *limit, c.env.now())
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	return c.list(Request{Method: http.MethodGet, Path: "/v1/groups/" + seg(pos[0]) + "/decisions", Query: q}, "decisions", *limit,
		showAs(func(w io.Writer, v struct {
			Decisions []Decision `json:"decisions"`
		}) error {
			printDecisions(w, v.Decisions)
			return nil
		}))
}

func runPreview(c *invocation, name string, args []string) int {
	fs := c.flags(name, "NAME [flags]")
	current := fs.Int("current", 0, "the group's desired capacity")
	serving := fs.Int("serving", 0, "the group's serving instances")
	var metrics, queues stringList
	fs.Var(&metrics, "metric", "POLICY=VALUE: a target tracking or step policy's newest value (repeatable)")
	fs.Var(&queues, "queue", "QUEUE=VISIBLE[,INFLIGHT[,DELAYED]]: a queue's reading (repeatable)")
	boostMin := fs.Int("boost-min", 0, "add a boost with this floor")
	boostMult := fs.Float64("boost-multiplier", 0, "add a boost with this multiplier of the current desired capacity")
	boostStart := fs.String("boost-start", "", "the added boost's start (default: now)")
	boostEnd := fs.String("boost-end", "", "the added boost's end (default: an hour from now)")
	zone := fs.String("time-zone", "", "IANA time zone of local --boost-start/--boost-end")
	pos, code := c.parse(fs, args, false, "NAME")
	if code >= 0 {
		return code
	}
	set := setFlags(fs)
	in := PreviewInput{}
	if set["current"] {
		if *current < 0 {
			return c.usagef(fs, "--current %d: must not be negative", *current)
		}
		in.Current = current
	}
	if set["serving"] {
		if *serving < 0 {
			return c.usagef(fs, "--serving %d: must not be negative", *serving)
		}
		in.Serving = serving
	}
	for _, m := range metrics {
		k, v, err := keyValue("metric", m)
		if err != nil {
			return c.usagef(fs, "%v", err)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return c.usagef(fs, "--metric %q: %q is not a number", m, v)
		}
		if in.Metrics == nil {
			in.Metrics = map[string]float64{}
		}
		in.Metrics[k] = f
	}
	for _, qv := range queues {
		k, r, err := queueReading(qv)
		if err != nil {
			return c.usagef(fs, "%v", err)
		}
		if in.Queues == nil {
			in.Queues = map[string]QueueReading{}
		}
		in.Queues[k] = r
	}
	b, err := previewBoost(set, pos[0], *boostMin, *boostMult, *boostStart, *boostEnd, *zone, c.env.now())
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	in.Boost = b
	return c.do(Request{Method: http.MethodPost, Path: "/v1/groups/" + seg(pos[0]) + "/preview", Body: in},
		showAs(func(w io.Writer, v struct {
			Decision Decision `json:"decision"`
		}) error {
			printDecision(w, v.Decision)
			return nil
		}))
}

// queueReading parses --queue NAME=VISIBLE[,INFLIGHT[,DELAYED]].
func queueReading(v string) (string, QueueReading, error) {
	k, val, err := keyValue("queue", v)
	if err != nil {
		return "", QueueReading{}, err
	}
	parts := strings.Split(val, ",")
	if len(parts) > 3 {
		return "", QueueReading{}, fmt.Errorf("--queue %q: want NAME=VISIBLE[,INFLIGHT[,DELAYED]]", v)
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return "", QueueReading{}, fmt.Errorf("--queue %q: %q is not a message count", v, p)
		}
		n[i] = x
	}
	return k, QueueReading{Visible: float64(n[0]), InFlight: float64(n[1]), Delayed: float64(n[2])}, nil
}

// previewBoost builds the boost a preview adds, or nil when no --boost-*
// flag was given.
func previewBoost(set map[string]bool, group string, minCap int, mult float64, start, end, zone string, now time.Time) (*BoostInput, error) {
	if !set["boost-min"] && !set["boost-multiplier"] {
		for _, f := range []string{"boost-start", "boost-end", "time-zone"} {
			if set[f] {
				return nil, fmt.Errorf("--%s needs --boost-min or --boost-multiplier", f)
			}
		}
		return nil, nil
	}
	if set["boost-start"] != set["boost-end"] {
		return nil, fmt.Errorf("give both --boost-start and --boost-end, or neither (the boost is then in force now)")
	}
	name, reason := "preview", "preview"
	b := &BoostInput{Name: &name, Reason: &reason, Groups: []string{group}}
	if set["boost-min"] {
		if minCap <= 0 {
			return nil, fmt.Errorf("--boost-min %d: must be above 0", minCap)
		}
		b.MinCapacity = &minCap
	}
	if set["boost-multiplier"] {
		if mult < 1 {
			return nil, fmt.Errorf("--boost-multiplier %g: must be at least 1", mult)
		}
		b.Multiplier = &mult
	}
	if set["time-zone"] {
		b.TimeZone = &zone
	}
	if !set["boost-start"] {
		s := now.UTC().Truncate(time.Second).Format(time.RFC3339)
		e := now.UTC().Truncate(time.Second).Add(previewWindow).Format(time.RFC3339)
		b.Start, b.End = &s, &e
		return b, nil
	}
	if err := checkWindowTime("boost-start", start, set["time-zone"]); err != nil {
		return nil, err
	}
	if err := checkWindowTime("boost-end", end, set["time-zone"]); err != nil {
		return nil, err
	}
	b.Start, b.End = &start, &end
	return b, nil
}

func runAudit(c *invocation, name string, args []string) int {
	fs := c.flags(name, "[--since T] [--limit N]")
	sinceV := fs.String("since", "", "only entries at or after T: RFC 3339, or a duration back from now (24h)")
	limit := fs.Int("limit", 0, "at most N entries, oldest first (default: every one)")
	if _, code := c.parse(fs, args, false); code >= 0 {
		return code
	}
	q, err := pageQuery(setFlags(fs), *sinceV, *limit, c.env.now())
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	return c.list(Request{Method: http.MethodGet, Path: "/v1/audit", Query: q}, "entries", *limit,
		showAs(func(w io.Writer, v struct {
			Entries []AuditEntry `json:"entries"`
		}) error {
			return printAudit(w, v.Entries)
		}))
}
