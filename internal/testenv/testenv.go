// Package testenv starts third-party emulators for tests: programs installed
// from the npm registry under scripts/testenv (see its package.json) and run
// as child processes on a free loopback port, stopped when the test ends.
//
// Tests that need an emulator call its function (Fauxqs, ...). Without node
// on PATH the test is skipped, except under CI (CI set in the environment),
// where it fails; with node but without the installed packages it fails
// and says how to install them, so a CI run never passes by skipping.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts for starting and stopping an emulator. Node programs start in
// well under a second on an idle machine; the margin covers a loaded CI
// machine running packages' tests in parallel.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 5 * time.Second
	pollInterval = 25 * time.Millisecond
	startTries   = 3
	outputLimit  = 64 << 10
)

// nodeModulesDir is where `npm ci --prefix scripts/testenv` installs the
// emulators, relative to the repository root.
const nodeModulesDir = "scripts/testenv/node_modules"

// Program describes an emulator installed under scripts/testenv.
type Program struct {
	// Name is the executable in node_modules/.bin, e.g. "fauxqs".
	Name string
	// Args returns the command-line arguments for listening on port.
	Args func(port int) []string
	// Env returns extra environment variables (KEY=value) for port.
	Env func(port int) []string
	// Ready reports whether the program serves on addr (host:port). Nil
	// means accepting a TCP connection is enough.
	Ready func(ctx context.Context, addr string) error
}

// Fauxqs starts fauxqs, an SQS emulator that speaks the AWS JSON 1.0
// protocol, and returns its endpoint URL (http://127.0.0.1:PORT) for an
// SQS client's BaseEndpoint. The fauxqs CLI takes its port from FAUXQS_PORT
// and serves GET /health once it listens; queue URLs it returns have the
// form http://sqs.us-east-1.localhost:PORT/000000000000/NAME and are only
// identifiers: requests go to the endpoint. The CLI always logs each
// request; the log is kept in memory and shown only when the test fails.
// fauxqs binds all interfaces (0.0.0.0) on that port; it has no option to
// bind loopback only.
func Fauxqs(t testing.TB) string {
	t.Helper()
	addr := Start(t, Program{
		Name: "fauxqs",
		Env: func(port int) []string {
			return []string{"FAUXQS_PORT=" + strconv.Itoa(port), "FAUXQS_DEFAULT_REGION=us-east-1"}
		},
		Ready: HTTPReady("/health"),
	})
	return "http://" + addr
}

// Dynalite starts dynalite, a DynamoDB emulator that speaks the AWS JSON
// 1.0 protocol, and returns its endpoint URL (http://127.0.0.1:PORT) for a
// DynamoDB client's BaseEndpoint. Tables live in memory and vanish when the
// test ends. dynalite keeps a new table CREATING for createTableMs (500 ms
// by default); 0 makes it ACTIVE almost at once, so a fresh table per test
// is cheap. dynalite has no health path, so readiness is a TCP connection.
func Dynalite(t testing.TB) string {
	t.Helper()
	addr := Start(t, Program{
		Name: "dynalite",
		Args: func(port int) []string {
			return []string{
				"--host", "127.0.0.1", "--port", strconv.Itoa(port),
				"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0",
			}
		},
	})
	return "http://" + addr
}

// probeClient keeps no idle connections to emulators that are stopped later.
var probeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// HTTPReady returns a readiness probe that wants 200 from GET path.
func HTTPReady(path string) func(ctx context.Context, addr string) error {
	return func(ctx context.Context, addr string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		if err != nil {
			return err
		}
		resp, err := probeClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
		return nil
	}
}

func tcpReady(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// Start runs p on a free loopback port, waits until it answers, and stops
// it when the test ends. It returns the address (127.0.0.1:PORT).
func Start(t testing.TB, p Program) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		msg := fmt.Sprintf("%s needs node on PATH (%v); install Node.js 20 or later", p.Name, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := filepath.Join(RepoRoot(t), nodeModulesDir, ".bin", p.Name)
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is not installed (%v): run `npm ci --prefix scripts/testenv` in the repository root", p.Name, err)
	}
	var lastErr error
	for range startTries {
		addr, err := start(t, bin, p)
		if err == nil {
			return addr
		}
		lastErr = err
		// Another process may have taken the port between choosing and
		// binding it; only a start that failed that way is worth retrying.
		if !errors.Is(err, errExited) {
			break
		}
	}
	t.Fatalf("start %s: %v", p.Name, lastErr)
	return ""
}

var errExited = errors.New("exited before it was ready")

func start(t testing.TB, bin string, p Program) (string, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var args, env []string
	if p.Args != nil {
		args = p.Args(port)
	}
	if p.Env != nil {
		env = p.Env(port)
	}
	ready := p.Ready
	if ready == nil {
		ready = tcpReady
	}

	out := &tailBuffer{limit: outputLimit}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("run %s: %w", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	if err := waitReady(addr, ready, done); err != nil {
		stop(cmd, done)
		return "", fmt.Errorf("%s on %s: %w\n%s", filepath.Base(bin), addr, err, out)
	}
	t.Cleanup(func() {
		if err := stop(cmd, done); err != nil {
			t.Errorf("stop %s: %v", filepath.Base(bin), err)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), out)
		}
	})
	return addr, nil
}

// waitReady polls ready until it succeeds, the process exits or the start
// timeout passes.
func waitReady(addr string, ready func(context.Context, string) error, done <-chan error) error {
	return waitReadyFor(addr, ready, done, startTimeout)
}

// stop asks the process to end and kills it if it does not in time.
func stop(cmd *exec.Cmd, done <-chan error) error {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-done:
		return nil
	case <-time.After(stopTimeout):
		if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return err
		}
		<-done
		return nil
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// RepoRoot returns the directory holding go.mod, found by walking up from
// the working directory (a package's directory under go test).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(string(b.buf))
}
