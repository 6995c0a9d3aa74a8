package scenario

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// point is a moment of the run as the file writes it: an offset from the
// start ("3h"), a clock time in the scenario's zone ("09:00"), or a date
// and time ("2026-12-15 09:00" in the zone, or RFC 3339).
type point struct {
	kind   pointKind
	offset time.Duration
	hour   int
	minute int
	second int
	at     time.Time
}

type pointKind int

const (
	pointOffset pointKind = iota
	pointClock
	pointDateTime
)

var clockTime = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?$`)

// localLayouts are the date-time forms read in the scenario's zone.
var localLayouts = []string{
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02T15:04:05",
}

var errPoint = errors.New(`want an offset such as "3h", a clock time such as "09:00", or a date and time such as "2026-12-15 09:00"`)

// parsePoint reads s; loc is the scenario's zone for local date-times.
func parsePoint(s string, loc *time.Location) (point, error) {
	if m := clockTime.FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		sec := 0
		if m[3] != "" {
			sec, _ = strconv.Atoi(m[3])
		}
		return point{kind: pointClock, hour: h, minute: mi, second: sec}, nil
	}
	if t, ok := parseDateTime(s, loc); ok {
		return point{kind: pointDateTime, at: t}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return point{}, fmt.Errorf("`%s`: %w", s, errPoint)
	}
	if d < 0 {
		return point{}, fmt.Errorf("`%s`: an offset must not be negative", s)
	}
	return point{kind: pointOffset, offset: d}, nil
}

// parseDateTime reads RFC 3339 or one of localLayouts in loc.
func parseDateTime(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), true
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// resolve returns p as an offset from start. A clock time is the first
// such time at or after the moment base (an offset) or, with after, the
// first strictly after it: end points are read after their start, so
// that "until: 09:00" after "at: 09:00" is the next day's.
func (p point) resolve(start time.Time, base time.Duration, after bool) time.Duration {
	switch p.kind {
	case pointClock:
		from := start.Add(base)
		loc := start.Location()
		y, m, d := from.Date()
		t := time.Date(y, m, d, p.hour, p.minute, p.second, 0, loc)
		if t.Before(from) || (after && !t.After(from)) {
			t = time.Date(y, m, d+1, p.hour, p.minute, p.second, 0, loc)
		}
		return t.Sub(start)
	case pointDateTime:
		return p.at.Sub(start)
	}
	return p.offset
}
