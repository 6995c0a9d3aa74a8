package emulator

import (
	"testing"

	"github.com/headroom-dev/headroom/internal/clock"
)

// StartTest starts an emulator on a random loopback port for the length of
// a test or benchmark.
func StartTest(tb testing.TB, clk clock.Clock) *Server {
	tb.Helper()
	s := New(clk)
	if _, err := s.Start("127.0.0.1:0"); err != nil {
		tb.Fatalf("start emulator: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
