package scenario

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary documents to Parse: it must never panic, must
// return either a Scenario or Problems, and a Scenario it returns must
// hold the invariants the simulator relies on.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(base + "campaigns: [{name: a, start: \"06:30\", end: 50m, expected_rate: 100}]\n"))
	f.Add([]byte(base + "  - trace: {file: three-minutes.csv, peak: 40}\n  - noise: {relative: 0.1}\n"))
	matches, err := filepath.Glob(filepath.Join("builtin", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz", "testdata")
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error is not a list of problems: %v", err)
			}
			if s != nil {
				t.Fatal("a scenario came back with the error")
			}
			return
		}
		w := s.Workers
		switch {
		case s.Duration <= 0 || s.Duration > MaxDuration || s.Duration%time.Second != 0:
			t.Fatalf("duration %s", s.Duration)
		case s.SLO <= 0:
			t.Fatalf("SLO %s", s.SLO)
		case !(w.PerInstanceRate > 0) || w.Max <= 0 || w.Min < 0 || w.Min > w.Max:
			t.Fatalf("workers %+v", w)
		}
		for _, c := range s.Campaigns {
			// A campaign given by its audience may leave its end to the
			// sizing (End 0).
			openEnd := c.Audience > 0 && c.End == 0
			if c.Start < 0 || c.Start >= s.Duration || !openEnd && (c.End <= c.Start || c.End > s.Duration) {
				t.Fatalf("campaign %+v outside the run", c)
			}
			if (c.Audience > 0) == (c.Capacity > 0) || (c.Audience > 0) != (c.MessagesPerRecipient > 0) {
				t.Fatalf("campaign %+v: neither or both of audience and capacity", c)
			}
		}
		for _, fl := range s.Faults {
			if fl.Until <= fl.From {
				t.Fatalf("fault %+v", fl)
			}
		}
		if s.Duration > 6*time.Hour {
			return
		}
		l := s.Load(1)
		if len(l.Rates) != int(s.Duration/time.Second) {
			t.Fatalf("len(Rates) = %d for %s", len(l.Rates), s.Duration)
		}
		for i, r := range l.Rates {
			if r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
				t.Fatalf("rate at %ds = %g", i, r)
			}
		}
		for i, b := range l.Bursts {
			if b.Messages <= 0 || b.At < 0 || b.At >= s.Duration || (i > 0 && b.At < l.Bursts[i-1].At) {
				t.Fatalf("bursts %+v", l.Bursts)
			}
		}
	})
}
