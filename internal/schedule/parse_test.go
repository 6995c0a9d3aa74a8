package schedule

import (
	"strings"
	"testing"
	"time"

	// The tests read named zones the same on every machine, with or
	// without a system tzdata.
	_ "time/tzdata"
)

func TestParseTime(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		name    string
		s, zone string
		want    time.Time
		wantErr string
	}{
		{name: "RFC 3339 in UTC", s: "2026-12-15T09:00:00Z", want: utc("2026-12-15T09:00:00Z")},
		{name: "RFC 3339 with an offset", s: "2026-12-15T10:00:00+01:00", want: utc("2026-12-15T09:00:00Z")},
		{name: "RFC 3339 ignores the zone for the instant", s: "2026-12-15T09:00:00Z", zone: "Asia/Tokyo", want: utc("2026-12-15T09:00:00Z")},
		{name: "RFC 3339 with fractional seconds", s: "2026-12-15T09:00:00.5Z", want: utc("2026-12-15T09:00:00.5Z")},
		{name: "surrounding spaces", s: " 2026-12-15T09:00:00Z ", want: utc("2026-12-15T09:00:00Z")},
		{name: "local with T", s: "2026-12-15T09:00", zone: "Europe/Berlin", want: utc("2026-12-15T08:00:00Z")},
		{name: "local with T and seconds", s: "2026-12-15T09:00:30", zone: "Europe/Berlin", want: utc("2026-12-15T08:00:30Z")},
		{name: "local with a space", s: "2026-12-15 09:00", zone: "America/New_York", want: utc("2026-12-15T14:00:00Z")},
		{name: "local with a space and seconds", s: "2026-12-15 09:00:05", zone: "Asia/Tokyo", want: utc("2026-12-15T00:00:05Z")},
		{name: "local in summer time", s: "2026-07-01T09:00", zone: "Europe/Berlin", want: utc("2026-07-01T07:00:00Z")},
		{name: "local in UTC", s: "2026-12-15T09:00", zone: "UTC", want: utc("2026-12-15T09:00:00Z")},
		// New York springs forward at 02:00 EST to 03:00 EDT: 02:30 does
		// not exist and is read as EST, 03:30 EDT.
		{name: "gap in New York moves forward", s: "2026-03-08T02:30", zone: "America/New_York", want: utc("2026-03-08T07:30:00Z")},
		// Berlin springs forward at 02:00 CET to 03:00 CEST.
		{name: "gap in Berlin moves forward", s: "2026-03-29T02:30", zone: "Europe/Berlin", want: utc("2026-03-29T01:30:00Z")},
		{name: "just before the gap", s: "2026-03-08T01:59", zone: "America/New_York", want: utc("2026-03-08T06:59:00Z")},
		{name: "end of the gap", s: "2026-03-08T03:00", zone: "America/New_York", want: utc("2026-03-08T07:00:00Z")},
		// New York falls back at 02:00 EDT to 01:00 EST: 01:30 happens
		// twice, first at 05:30Z (EDT).
		{name: "overlap in New York is the first", s: "2026-11-01T01:30", zone: "America/New_York", want: utc("2026-11-01T05:30:00Z")},
		// Berlin falls back at 03:00 CEST to 02:00 CET: 02:30 happens
		// twice, first at 00:30Z (CEST).
		{name: "overlap in Berlin is the first", s: "2026-10-25T02:30", zone: "Europe/Berlin", want: utc("2026-10-25T00:30:00Z")},
		{name: "overlap in the southern hemisphere", s: "2026-04-05T02:30", zone: "Australia/Sydney", want: utc("2026-04-04T15:30:00Z")},
		{name: "local without a zone", s: "2026-12-15T09:00", wantErr: `time "2026-12-15T09:00" has no offset: give time_zone`},
		{name: "unknown zone", s: "2026-12-15T09:00", zone: "Mars/Base", wantErr: `unknown time zone "Mars/Base"`},
		{name: "unknown zone with RFC 3339", s: "2026-12-15T09:00:00Z", zone: "Mars/Base", wantErr: `unknown time zone "Mars/Base"`},
		{name: "the host's zone is refused", s: "2026-12-15T09:00", zone: "Local", wantErr: `unknown time zone "Local"`},
		{name: "empty", s: "", wantErr: `time "": want RFC 3339 like 2026-12-15T09:00:00Z, or local time like 2026-12-15T09:00 with time_zone`},
		{name: "date only", s: "2026-12-15", zone: "UTC", wantErr: "want RFC 3339"},
		{name: "month out of range", s: "2026-13-15T09:00", zone: "UTC", wantErr: "want RFC 3339"},
		{name: "words", s: "next tuesday", zone: "UTC", wantErr: "want RFC 3339"},
		{name: "unix seconds", s: "1765789200", wantErr: "want RFC 3339"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.s, tc.zone)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseTime(%q, %q) error = %v, want it to contain %q", tc.s, tc.zone, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTime(%q, %q): %v", tc.s, tc.zone, err)
			}
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Fatalf("ParseTime(%q, %q) = %v, want %v in UTC", tc.s, tc.zone, got, tc.want)
			}
		})
	}
}

// TestParseTimeRoundTrip reads back the wall time of an instant every 75
// minutes through a year (a step that walks across every quarter hour),
// in zones with half-hour and 45-minute offsets and changes.
func TestParseTimeRoundTrip(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for at := start; at.Before(start.AddDate(1, 0, 0)); at = at.Add(75 * time.Minute) {
				wall := at.In(loc).Format("2006-01-02T15:04")
				got, err := ParseTime(wall, zone)
				if err != nil {
					t.Fatalf("ParseTime(%q): %v", wall, err)
				}
				if back := got.In(loc).Format("2006-01-02T15:04"); back != wall {
					t.Fatalf("ParseTime(%q, %q) = %v, which is %s there", wall, zone, got, back)
				}
				// An instant in the second pass of an overlap reads as
				// the first; every other instant reads as itself.
				if !got.Equal(at) && !(got.Before(at) && at.Sub(got) <= time.Hour) {
					t.Fatalf("ParseTime(%q, %q) = %v, want %v", wall, zone, got, at)
				}
			}
		})
	}
}
