package autoscaling

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	// Scheduled actions take IANA time zone names; embedding the database
	// keeps them working on images without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// cronSpec is a parsed 5-field crontab expression, the Recurrence format
// of PutScheduledUpdateGroupAction: minute hour day-of-month month
// day-of-week, each a list of values, ranges, steps or "*", with month and
// weekday names (crontab.org).
type cronSpec struct {
	minute, hour, dom, month, dow uint64 // bit i set = value i allowed
	domStar, dowStar              bool
}

type cronField struct {
	lo, hi int
	names  map[string]int
}

var (
	minuteField = cronField{lo: 0, hi: 59}
	hourField   = cronField{lo: 0, hi: 23}
	domField    = cronField{lo: 1, hi: 31}
	monthField  = cronField{lo: 1, hi: 12, names: map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	}}
	// Day of week 7 is Sunday as well as 0.
	dowField = cronField{lo: 0, hi: 7, names: map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	}}
)

// parseCron parses a 5-field recurrence.
func parseCron(expr string) (*cronSpec, error) {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return nil, fmt.Errorf("recurrence %q has %d fields, want 5", expr, len(fields))
	}
	var c cronSpec
	var err error
	if c.minute, _, err = minuteField.parse(fields[0]); err != nil {
		return nil, fmt.Errorf("minute: %w", err)
	}
	if c.hour, _, err = hourField.parse(fields[1]); err != nil {
		return nil, fmt.Errorf("hour: %w", err)
	}
	if c.dom, c.domStar, err = domField.parse(fields[2]); err != nil {
		return nil, fmt.Errorf("day of month: %w", err)
	}
	if c.month, _, err = monthField.parse(fields[3]); err != nil {
		return nil, fmt.Errorf("month: %w", err)
	}
	if c.dow, c.dowStar, err = dowField.parse(fields[4]); err != nil {
		return nil, fmt.Errorf("day of week: %w", err)
	}
	if c.dow&(1<<7) != 0 {
		c.dow |= 1
	}
	return &c, nil
}

// parse returns the bit set of one field and whether it is "*" (or "*/n"),
// which matters for the day-of-month / day-of-week rule.
func (f cronField) parse(s string) (uint64, bool, error) {
	var bits uint64
	star := false
	for _, part := range strings.Split(s, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 || n > f.hi {
				return 0, false, fmt.Errorf("bad step %q", stepStr)
			}
			step = n
		}
		var lo, hi int
		switch {
		case rng == "*":
			lo, hi = f.lo, f.hi
			star = true
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, false, err
			}
			if hi, err = f.value(b); err != nil {
				return 0, false, err
			}
			if lo > hi {
				return 0, false, fmt.Errorf("range %q runs backwards", rng)
			}
		default:
			v, err := f.value(rng)
			if err != nil {
				return 0, false, err
			}
			lo, hi = v, v
			if hasStep {
				hi = f.hi
			}
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, star, nil
}

func (f cronField) value(s string) (int, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.lo || v > f.hi {
		return 0, fmt.Errorf("value %q out of range %d-%d", s, f.lo, f.hi)
	}
	return v, nil
}

func (c *cronSpec) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	// Vixie cron: when both day fields are restricted, either may match.
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

// cronHorizon bounds the search for the next occurrence; an expression
// with none in this time (e.g. "0 0 30 2 *") never fires.
const cronHorizon = 5 * 366 * 24 * time.Hour

// next returns the first minute strictly after `after` that matches, in
// loc, or the zero time if there is none within cronHorizon.
func (c *cronSpec) next(after time.Time, loc *time.Location) time.Time {
	t := after.In(loc)
	t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute()+1, 0, 0, loc)
	if !t.After(after) {
		t = t.Add(time.Minute)
	}
	limit := after.Add(cronHorizon)
	for t.Before(limit) {
		prev := t
		y, mo, d := t.Date()
		switch {
		case c.month&(1<<uint(mo)) == 0:
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, loc)
		case !c.dayMatches(t):
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
		case c.hour&(1<<uint(t.Hour())) == 0:
			t = time.Date(y, mo, d, t.Hour()+1, 0, 0, 0, loc)
		case c.minute&(1<<uint(t.Minute())) == 0:
			t = time.Date(y, mo, d, t.Hour(), t.Minute()+1, 0, 0, loc)
		default:
			return t
		}
		// Around daylight-saving changes time.Date may normalise to a time
		// not after the previous candidate; always move forward.
		if !t.After(prev) {
			t = prev.Add(time.Minute)
		}
	}
	return time.Time{}
}
