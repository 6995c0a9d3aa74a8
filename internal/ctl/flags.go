package ctl

import (
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxLimit is the largest page the API returns (admin API contract:
// limit default 100, max 1000). A --limit above it is reached in several
// pages.
const MaxLimit = 1000

// maxIdempotencyKey is the API's limit on an Idempotency-Key: 1-200
// printable characters.
const maxIdempotencyKey = 200

// localLayouts are the wall-clock forms the API takes with a time_zone.
var localLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// since turns --since into RFC 3339 UTC: a time as given, or a duration
// counted back from now ("2h" is two hours ago).
func since(v string, now time.Time) (string, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC().Format(time.RFC3339), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return "", fmt.Errorf("--since %q: want an RFC 3339 time or a duration back from now (e.g. 2h)", v)
	}
	return now.Add(-d).UTC().Format(time.RFC3339), nil
}

// pageQuery builds ?since=&limit= for decisions and the audit trail:
// limit is the page size, at most MaxLimit; the command stops following
// pages once it has --limit items.
func pageQuery(set map[string]bool, sinceV string, limit int, now time.Time) (url.Values, error) {
	q := url.Values{}
	if set["since"] {
		s, err := since(sinceV, now)
		if err != nil {
			return nil, err
		}
		q.Set("since", s)
	}
	if set["limit"] {
		if limit < 1 {
			return nil, fmt.Errorf("--limit %d: want 1 or more", limit)
		}
		q.Set("limit", strconv.Itoa(min(limit, MaxLimit)))
	}
	return q, nil
}

// checkWindowTime checks a boost's --start or --end: RFC 3339 with an
// offset, or wall-clock time that needs a time zone.
func checkWindowTime(flagName, v string, haveZone bool) error {
	if _, err := time.Parse(time.RFC3339, v); err == nil {
		return nil
	}
	for _, layout := range localLayouts {
		if _, err := time.Parse(layout, v); err == nil {
			if !haveZone {
				return fmt.Errorf("--%s %q is a local time: give --time-zone too, or RFC 3339 with an offset (2026-12-15T09:00:00+01:00)", flagName, v)
			}
			return nil
		}
	}
	return fmt.Errorf("--%s %q: want RFC 3339 (2026-12-15T09:00:00+01:00) or local YYYY-MM-DDTHH:MM[:SS] with --time-zone", flagName, v)
}

// checkDuration checks a non-negative Go duration flag.
func checkDuration(flagName, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("--%s %q: want a duration such as 15m or 1h30m", flagName, v)
	}
	if d < 0 {
		return fmt.Errorf("--%s %s: must not be negative", flagName, v)
	}
	return nil
}

// checkKey checks an Idempotency-Key against the API's rule.
func checkKey(k string) error {
	if k == "" || len(k) > maxIdempotencyKey {
		return fmt.Errorf("--idempotency-key: want 1 to %d characters", maxIdempotencyKey)
	}
	for _, r := range k {
		if r < 0x20 || r > 0x7e {
			return fmt.Errorf("--idempotency-key %q: only printable ASCII", k)
		}
	}
	if strings.TrimSpace(k) != k {
		// HTTP drops a header value's outer spaces, so the server would
		// see another key.
		return fmt.Errorf("--idempotency-key %q: no leading or trailing spaces", k)
	}
	return nil
}

// idempotencyKey returns the given key, or a new one for this invocation.
func idempotencyKey(given string, set bool) (string, error) {
	if set {
		return given, checkKey(given)
	}
	return NewIdempotencyKey()
}

// keyValue splits "k=v" with both parts non-empty.
func keyValue(flagName, v string) (string, string, error) {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" || val == "" {
		return "", "", fmt.Errorf("--%s %q: want NAME=VALUE", flagName, v)
	}
	return k, val, nil
}
