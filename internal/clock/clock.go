// Package clock injects time. Production code takes a Clock; tests and the
// simulator pass a fake one so that no test waits on the wall clock.
package clock

import "github.com/jonboulle/clockwork"

// Clock is the time source every time-dependent package takes.
type Clock = clockwork.Clock

// Fake is a clock that moves only when told to.
type Fake = clockwork.FakeClock

// Real returns the wall clock.
func Real() Clock { return clockwork.NewRealClock() }

// NewFake returns a fake clock; callers normally pass a fixed start time.
var NewFake = clockwork.NewFakeClockAt
