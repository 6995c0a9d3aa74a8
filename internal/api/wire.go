package api

import (
	"strings"
	"time"
)

// localLayouts are the local-time forms a boost's start and end may take
// when a time_zone says where they are.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04"}

// parseWhen parses an RFC 3339 time (offset given) or, when loc is not
// nil, a local YYYY-MM-DDTHH:MM[:SS] in loc. It returns the time in UTC;
// local reports a local form, which is an error when loc is nil. gap
// reports a local time that does not exist in loc because the clocks skip
// it (the spring daylight-saving change): time.Date would silently move
// it by the size of the jump.
func parseWhen(s string, loc *time.Location) (t time.Time, local, ok, gap bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), false, true, false
	}
	for _, layout := range localLayouts {
		wall, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if loc == nil {
			return time.Time{}, true, false, false
		}
		// A local time in an overlap (the autumn change) is read as
		// time.Date documents: the first of its two instants.
		t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc)
		y, mo, d := t.Date()
		if y != wall.Year() || mo != wall.Month() || d != wall.Day() || t.Hour() != wall.Hour() ||
			t.Minute() != wall.Minute() || t.Second() != wall.Second() {
			return time.Time{}, true, false, true
		}
		return t.UTC(), true, true, false
	}
	return time.Time{}, false, false, false
}

// minutePrecision reports a local time given to the minute (HH:MM, no
// seconds).
func minutePrecision(s string) bool {
	_, err := time.Parse(localLayouts[1], s)
	return err == nil
}

// loadZone loads an IANA time zone. "Local" and "" are refused: they mean
// whatever zone the server runs in, which an operator cannot see.
func loadZone(name string) (*time.Location, bool) {
	if name == "" || name == "Local" || strings.HasPrefix(name, "/") {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// formatDuration renders d as a Go duration string without trailing zero
// units ("15m", "1h30m", "12m30s", "0s"), which time.ParseDuration reads
// back.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// utc returns t in UTC, or nil for the zero time.
func utc(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
