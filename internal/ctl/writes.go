package ctl

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// boostFlags are the flags of boost create and boost update.
type boostFlags struct {
	name, reason, start, end, zone, ramp, lead, key string
	groups                                          stringList
	minCap                                          int
	mult                                            float64
	capAtMax                                        bool
}

func (f *boostFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "name", "", "the campaign's name")
	fs.StringVar(&f.reason, "reason", "", "why (shown in the audit trail)")
	fs.Var(&f.groups, "group", "a group name or an ASG tag selector key=value (repeatable)")
	fs.StringVar(&f.start, "start", "", "window start: RFC 3339, or local YYYY-MM-DDTHH:MM[:SS] with --time-zone")
	fs.StringVar(&f.end, "end", "", "window end, as --start")
	fs.StringVar(&f.zone, "time-zone", "", "IANA time zone of local --start/--end (e.g. Europe/Paris)")
	fs.IntVar(&f.minCap, "min-capacity", 0, "floor: at least N instances")
	fs.Float64Var(&f.mult, "multiplier", 0, "floor: ceil(X * the desired capacity at the start), X >= 1")
	fs.StringVar(&f.ramp, "ramp", "", "spread the rise over this long (default 0: one step)")
	fs.StringVar(&f.lead, "lead", "", "reach the floor this long before start (default: the group's measured launch time)")
	fs.BoolVar(&f.capAtMax, "cap-at-max", false, "accept a floor above a group's max and cap it there")
	fs.StringVar(&f.key, "idempotency-key", "", "Idempotency-Key for the write (default: a new one; retries reuse it)")
}

// boostFields are the flags that set a field of a boost.
var boostFields = []string{"name", "reason", "group", "start", "end", "time-zone", "min-capacity", "multiplier", "ramp", "lead", "cap-at-max"}

// input builds the body from the flags given, checking each.
func (f *boostFlags) input(set map[string]bool) (*BoostInput, error) {
	in := &BoostInput{}
	if set["name"] {
		if f.name == "" {
			return nil, errors.New("--name must not be empty")
		}
		in.Name = &f.name
	}
	if set["reason"] {
		if f.reason == "" {
			return nil, errors.New("--reason must not be empty")
		}
		in.Reason = &f.reason
	}
	for _, g := range f.groups {
		if g == "" {
			return nil, errors.New("--group must not be empty")
		}
	}
	in.Groups = f.groups
	if set["time-zone"] {
		in.TimeZone = &f.zone
	}
	if set["start"] {
		if err := checkWindowTime("start", f.start, set["time-zone"]); err != nil {
			return nil, err
		}
		in.Start = &f.start
	}
	if set["end"] {
		if err := checkWindowTime("end", f.end, set["time-zone"]); err != nil {
			return nil, err
		}
		in.End = &f.end
	}
	if set["min-capacity"] {
		if f.minCap <= 0 {
			return nil, fmt.Errorf("--min-capacity %d: must be above 0", f.minCap)
		}
		in.MinCapacity = &f.minCap
	}
	if set["multiplier"] {
		if f.mult < 1 {
			return nil, fmt.Errorf("--multiplier %g: must be at least 1", f.mult)
		}
		in.Multiplier = &f.mult
	}
	if set["ramp"] {
		if err := checkDuration("ramp", f.ramp); err != nil {
			return nil, err
		}
		in.Ramp = &f.ramp
	}
	if set["lead"] {
		if err := checkDuration("lead", f.lead); err != nil {
			return nil, err
		}
		in.Lead = &f.lead
	}
	if set["cap-at-max"] {
		in.CapAtMax = &f.capAtMax
	}
	return in, nil
}

func runBoostCreate(c *invocation, name string, args []string) int {
	fs := c.flags(name, "--name N --reason R --group G... --start T --end T [--time-zone Z] (--min-capacity N | --multiplier X) [--ramp D] [--lead D] [--cap-at-max] [--idempotency-key K]")
	var f boostFlags
	f.register(fs)
	if _, code := c.parse(fs, args, false); code >= 0 {
		return code
	}
	set := setFlags(fs)
	for _, req := range []string{"name", "reason", "group", "start", "end"} {
		if !set[req] {
			return c.usagef(fs, "--%s is required", req)
		}
	}
	if !set["min-capacity"] && !set["multiplier"] {
		return c.usagef(fs, "give --min-capacity, --multiplier or both")
	}
	in, err := f.input(set)
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	key, err := idempotencyKey(f.key, set["idempotency-key"])
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	return c.do(Request{Method: http.MethodPost, Path: "/v1/boosts", Body: in, IdempotencyKey: key}, showAs(printBoost))
}

func runBoostUpdate(c *invocation, name string, args []string) int {
	fs := c.flags(name, "ID [create's flags: only those given are sent] [--version V]")
	var f boostFlags
	f.register(fs)
	version := fs.Int64("version", 0, "refuse the change (409) unless the boost is at this version")
	pos, code := c.parse(fs, args, false, "ID")
	if code >= 0 {
		return code
	}
	set := setFlags(fs)
	in, err := f.input(set)
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	changed := false
	for _, n := range boostFields {
		changed = changed || set[n]
	}
	if !changed {
		return c.usagef(fs, "nothing to change: give at least one of create's flags")
	}
	patch := BoostPatch{BoostInput: *in}
	if set["version"] {
		patch.Version = version
	}
	key, err := idempotencyKey(f.key, set["idempotency-key"])
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	return c.do(Request{Method: http.MethodPatch, Path: "/v1/boosts/" + seg(pos[0]), Body: patch, IdempotencyKey: key}, showAs(printBoost))
}

func runBoostList(c *invocation, name string, args []string) int {
	return runListAll(c, name, args, "/v1/boosts", "boosts", printBoosts)
}

// runListAll lists every item under path (the JSON key of its page is
// key), the ended and cancelled ones too with --all, and prints them with
// show, or "no KEY" when there are none.
func runListAll[T any](c *invocation, name string, args []string, path, key string, show func(io.Writer, []T) error) int {
	fs := c.flags(name, "[--all]")
	all := fs.Bool("all", false, "include ended and cancelled "+key)
	if _, code := c.parse(fs, args, false); code >= 0 {
		return code
	}
	var q url.Values
	if *all {
		q = url.Values{"all": {"true"}}
	}
	return c.list(Request{Method: http.MethodGet, Path: path, Query: q}, key, 0,
		showAs(func(w io.Writer, v map[string][]T) error {
			if len(v[key]) == 0 {
				_, err := fmt.Fprintln(w, "no "+key)
				return err
			}
			return show(w, v[key])
		}))
}

func runBoostGet(c *invocation, name string, args []string) int {
	fs := c.flags(name, "ID")
	pos, code := c.parse(fs, args, false, "ID")
	if code >= 0 {
		return code
	}
	return c.do(Request{Method: http.MethodGet, Path: "/v1/boosts/" + seg(pos[0])}, showAs(printBoost))
}

func runBoostCancel(c *invocation, name string, args []string) int {
	fs := c.flags(name, "ID [--idempotency-key K]")
	keyV := fs.String("idempotency-key", "", "Idempotency-Key for the write (default: a new one; retries reuse it)")
	pos, code := c.parse(fs, args, false, "ID")
	if code >= 0 {
		return code
	}
	key, err := idempotencyKey(*keyV, setFlags(fs)["idempotency-key"])
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	return c.do(Request{Method: http.MethodDelete, Path: "/v1/boosts/" + seg(pos[0]), IdempotencyKey: key},
		showAs(func(w io.Writer, b Boost) error {
			fmt.Fprintf(w, "cancelled boost %s (%s)\n", b.ID, b.Name)
			return printBoost(w, b)
		}))
}

// Override kinds (admin API contract).
const (
	kindPin    = "pin"
	kindPause  = "pause"
	kindBounds = "bounds"
)

// MaxOverrideTTL is how far ahead an override may expire (admin API
// contract: at most 7 days), so that a forgotten override cannot outlive a
// week.
const MaxOverrideTTL = 7 * 24 * time.Hour

func runOverridePin(c *invocation, name string, args []string) int {
	return c.overrideCreate(name, args, kindPin)
}

func runOverridePause(c *invocation, name string, args []string) int {
	return c.overrideCreate(name, args, kindPause)
}

func runOverrideBounds(c *invocation, name string, args []string) int {
	return c.overrideCreate(name, args, kindBounds)
}

func (c *invocation) overrideCreate(name string, args []string, kind string) int {
	usageArgs := map[string]string{
		kindPin:    "GROUP --capacity N [--cap-at-max] --reason R (--ttl D | --expires-at T)",
		kindPause:  "GROUP --reason R (--ttl D | --expires-at T)",
		kindBounds: "GROUP [--min N] [--max N] [--cap-at-max] --reason R (--ttl D | --expires-at T)",
	}[kind]
	fs := c.flags(name, usageArgs)
	var capacity, minV, maxV *int
	capAtMax := new(bool)
	switch kind {
	case kindPin:
		capacity = fs.Int("capacity", 0, "hold the group at exactly N instances")
		capAtMax = fs.Bool("cap-at-max", false, "accept a capacity above the group's max and cap it there")
	case kindBounds:
		minV = fs.Int("min", 0, "the group's min while the override lasts")
		maxV = fs.Int("max", 0, "the group's max while the override lasts")
		capAtMax = fs.Bool("cap-at-max", false, "accept a min or max above the group's max and cap it there")
	}
	reason := fs.String("reason", "", "why (shown in the audit trail)")
	ttl := fs.String("ttl", "", "expire after this long (at most 168h)")
	expiresAt := fs.String("expires-at", "", "expire at this RFC 3339 time (at most 7 days away)")
	keyV := fs.String("idempotency-key", "", "Idempotency-Key for the write (default: a new one; retries reuse it)")
	pos, code := c.parse(fs, args, false, "GROUP")
	if code >= 0 {
		return code
	}
	set := setFlags(fs)
	in := OverrideInput{Kind: kind, Reason: *reason, CapAtMax: *capAtMax}
	if *reason == "" {
		return c.usagef(fs, "--reason is required")
	}
	switch kind {
	case kindPin:
		if !set["capacity"] {
			return c.usagef(fs, "--capacity is required")
		}
		if *capacity < 0 {
			return c.usagef(fs, "--capacity %d: must not be negative", *capacity)
		}
		in.Capacity = capacity
	case kindBounds:
		if !set["min"] && !set["max"] {
			return c.usagef(fs, "give --min, --max or both")
		}
		if set["min"] {
			if *minV < 0 {
				return c.usagef(fs, "--min %d: must not be negative", *minV)
			}
			in.Min = minV
		}
		if set["max"] {
			if *maxV < 0 {
				return c.usagef(fs, "--max %d: must not be negative", *maxV)
			}
			in.Max = maxV
		}
		if set["min"] && set["max"] && *minV > *maxV {
			return c.usagef(fs, "--min %d is above --max %d", *minV, *maxV)
		}
	}
	switch {
	case set["ttl"] == set["expires-at"]:
		return c.usagef(fs, "give exactly one of --ttl and --expires-at")
	case set["ttl"]:
		d, err := time.ParseDuration(*ttl)
		if err != nil || d <= 0 || d > MaxOverrideTTL {
			return c.usagef(fs, "--ttl %q: want a positive duration of at most %s", *ttl, MaxOverrideTTL)
		}
		in.TTL = ttl
	default:
		if _, err := time.Parse(time.RFC3339, *expiresAt); err != nil {
			return c.usagef(fs, "--expires-at %q: want RFC 3339 (2026-12-15T18:00:00Z)", *expiresAt)
		}
		in.ExpiresAt = expiresAt
	}
	key, err := idempotencyKey(*keyV, set["idempotency-key"])
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	return c.do(Request{Method: http.MethodPost, Path: "/v1/groups/" + seg(pos[0]) + "/overrides", Body: in, IdempotencyKey: key},
		showAs(printOverride))
}

func runOverrideList(c *invocation, name string, args []string) int {
	fs := c.flags(name, "[--all] [GROUP]")
	all := fs.Bool("all", false, "include expired and cancelled overrides")
	pos, code := c.parse(fs, args, true, "GROUP")
	if code >= 0 {
		return code
	}
	path := "/v1/overrides"
	if len(pos) == 1 {
		path = "/v1/groups/" + seg(pos[0]) + "/overrides"
	}
	var q url.Values
	if *all {
		q = url.Values{"all": {"true"}}
	}
	return c.list(Request{Method: http.MethodGet, Path: path, Query: q}, "overrides", 0,
		showAs(func(w io.Writer, v struct {
			Overrides []Override `json:"overrides"`
		}) error {
			if len(v.Overrides) == 0 {
				_, err := fmt.Fprintln(w, "no overrides")
				return err
			}
			return printOverrides(w, v.Overrides)
		}))
}

func runOverrideCancel(c *invocation, name string, args []string) int {
	fs := c.flags(name, "ID [--idempotency-key K]")
	keyV := fs.String("idempotency-key", "", "Idempotency-Key for the write (default: a new one; retries reuse it)")
	pos, code := c.parse(fs, args, false, "ID")
	if code >= 0 {
		return code
	}
	key, err := idempotencyKey(*keyV, setFlags(fs)["idempotency-key"])
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	return c.do(Request{Method: http.MethodDelete, Path: "/v1/overrides/" + seg(pos[0]), IdempotencyKey: key},
		showAs(func(w io.Writer, o Override) error {
			fmt.Fprintf(w, "cancelled override %s (%s on %s)\n", o.ID, o.Kind, o.Group)
			return printOverride(w, o)
		}))
}
