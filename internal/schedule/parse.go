package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// localLayouts are the wall-clock forms ParseTime reads in a time zone,
// for operators who plan a campaign in their own local time.
var localLayouts = []string{
	"2006-01-02T15:04",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
}

// errTimeForm is the one description of what ParseTime accepts.
var errTimeForm = errors.New("want RFC 3339 like 2026-12-15T09:00:00Z, or local time like 2026-12-15T09:00 with time_zone")

// ParseTime reads an instant for a boost and returns it in UTC. s is either
// RFC 3339 with an offset ("2026-12-15T09:00:00Z", "2026-12-15T10:00:00+01:00"),
// which fixes the instant by itself, or a local wall-clock time
// ("2026-12-15T09:00", "2026-12-15 09:00:05", ...) read in zone, an IANA
// time zone name such as "Europe/Berlin". A local time needs zone; when
// zone is given it must load even if s carries its own offset, so that a
// misspelt zone is reported rather than silently ignored.
//
// Local times that a daylight saving change makes ambiguous are settled
// the way the rest of the calendar world settles them, rather than by
// whatever time.Date happens to pick for the zone:
//
//   - a time the clocks skip (02:30 when they jump from 02:00 to 03:00)
//     is read with the offset in force before the jump, so it lands as far
//     past the jump as it was written past 02:00 (03:30);
//   - a time the clocks pass twice (01:30 when they fall back from 02:00
//     to 01:00) is the first of the two, the earlier instant, so a boost
//     starts early rather than late.
func ParseTime(s, zone string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var loc *time.Location
	if zone != "" {
		l, err := loadZone(zone)
		if err != nil {
			return time.Time{}, err
		}
		loc = l
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range localLayouts {
		wall, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if loc == nil {
			return time.Time{}, fmt.Errorf("time %q has no offset: give time_zone (an IANA name such as Europe/Berlin), or write RFC 3339 like 2026-12-15T09:00:00Z", s)
		}
		return localInstant(wall, loc), nil
	}
	return time.Time{}, fmt.Errorf("time %q: %w", s, errTimeForm)
}

// loadZone loads an IANA time zone. "Local" is refused: it names whatever
// zone the host happens to run in, so the same request would mean
// different instants on different replicas.
func loadZone(zone string) (*time.Location, error) {
	if zone == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", zone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", zone)
	}
	return loc, nil
}

// localInstant returns the instant at which clocks in loc show the wall
// time that wall carries in its UTC fields, settling gaps and overlaps as
// ParseTime documents. It compares the offsets a day before and a day
// after: no zone changes its offset twice within a day.
func localInstant(wall time.Time, loc *time.Location) time.Time {
	offset := func(t time.Time) time.Duration {
		_, o := t.In(loc).Zone()
		return time.Duration(o) * time.Second
	}
	before := offset(wall.Add(-24 * time.Hour))
	after := offset(wall.Add(24 * time.Hour))
	var best time.Time
	found := false
	for _, o := range []time.Duration{before, after} {
		t := wall.Add(-o)
		if offset(t) != o {
			continue
		}
		if !found || t.Before(best) {
			best, found = t, true
		}
	}
	if !found {
		// The clocks skipped this wall time.
		best = wall.Add(-before)
	}
	return best.UTC()
}
