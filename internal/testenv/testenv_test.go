package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	for _, f := range []string{"go.mod", "scripts/testenv/package.json"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("%s under %s: %v", f, root, err)
		}
	}
}

func TestFauxqsServesSQSJSON(t *testing.T) {
	endpoint := Fauxqs(t)
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(`{"QueueName":"probe"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AmazonSQS.CreateQueue")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := probeClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "/000000000000/probe") {
		t.Fatalf("CreateQueue = %d %s", resp.StatusCode, body)
	}
}

func TestFauxqsStopsAtCleanup(t *testing.T) {
	var endpoint string
	t.Run("start", func(t *testing.T) {
		endpoint = Fauxqs(t)
	})
	if err := HTTPReady("/health")(context.Background(), strings.TrimPrefix(endpoint, "http://")); err == nil {
		t.Fatalf("fauxqs still answers at %s after its test ended", endpoint)
	}
}

// recorder is a testing.TB that records Fatal and Skip instead of ending
// the test; the code under test runs in its own goroutine so that the
// runtime.Goexit of a real Fatal is not needed.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	fatal    string
	skipped  string
	cleanups []func()
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.stop(&r.fatal, fmt.Sprintf(format, args...)) }
func (r *recorder) Fatal(args ...any)                 { r.stop(&r.fatal, fmt.Sprint(args...)) }
func (r *recorder) Skip(args ...any)                  { r.stop(&r.skipped, fmt.Sprint(args...)) }
func (r *recorder) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }

func (r *recorder) stop(field *string, msg string) {
	r.mu.Lock()
	*field = msg
	r.mu.Unlock()
	panic(errStopped)
}

var errStopped = errors.New("test stopped")

func run(r *recorder, f func()) {
	defer func() {
		if v := recover(); v != nil && v != errStopped {
			panic(v)
		}
	}()
	f()
}

func TestStartMissingProgramFails(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	r := &recorder{TB: t}
	run(r, func() { Start(r, Program{Name: "no-such-emulator"}) })
	if !strings.Contains(r.fatal, "npm ci --prefix scripts/testenv") {
		t.Fatalf("fatal = %q, want the install command", r.fatal)
	}
}

func TestStartWithoutNode(t *testing.T) {
	tests := []struct {
		name      string
		ci        string
		wantFatal bool
	}{
		{name: "developer machine skips", ci: "", wantFatal: false},
		{name: "CI fails", ci: "true", wantFatal: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			run(r, func() { Start(r, Program{Name: "fauxqs"}) })
			msg := r.skipped
			if tc.wantFatal {
				msg = r.fatal
			}
			if !strings.Contains(msg, "node on PATH") {
				t.Fatalf("skipped %q, fatal %q", r.skipped, r.fatal)
			}
		})
	}
}

func TestWaitReadyReportsExit(t *testing.T) {
	done := make(chan error, 1)
	done <- errors.New("exit status 1")
	err := waitReady("127.0.0.1:1", func(context.Context, string) error { return errors.New("refused") }, done)
	if !errors.Is(err, errExited) {
		t.Fatalf("err = %v, want errExited", err)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{limit: 4}
	fmt.Fprint(b, "abc")
	fmt.Fprint(b, "defg")
	if got := b.String(); got != "defg" {
		t.Fatalf("tail = %q", got)
	}
}
