package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// healthcheckURLEnv names the environment variable that overrides the
// default URL of `headroom healthcheck`, for a container whose config
// listens elsewhere than the default port or serves TLS.
const healthcheckURLEnv = "HEADROOM_HEALTHCHECK_URL"

// defaultHealthcheckURL is /healthz on config.DefaultListen's port, asked
// over loopback: the check runs next to the process it checks.
const defaultHealthcheckURL = "http://127.0.0.1:9464/healthz"

// Exit statuses of `headroom healthcheck`. Docker reads 0 as healthy and
// 1 as unhealthy, and reserves 2 ("reserved - do not use this exit code",
// Dockerfile reference, HEALTHCHECK), so every failure, a bad flag
// included, is 1.
const (
	healthy   = 0
	unhealthy = 1
)

// runHealthcheck is `headroom healthcheck [--url URL] [--timeout D]
// [--insecure]`: it GETs the URL and exits 0 on 200, 1 on anything else
// with one line on stderr. It exists because the container image has no
// shell and no curl: its HEALTHCHECK runs the binary itself.
func runHealthcheck(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := newFlags("healthcheck", stderr)
	def := os.Getenv(healthcheckURLEnv)
	if def == "" {
		def = defaultHealthcheckURL
	}
	target := fs.String("url", def, "URL to GET; 200 is healthy (default from $"+healthcheckURLEnv+")")
	timeout := fs.Duration("timeout", 2*time.Second, "deadline of the whole request")
	insecure := fs.Bool("insecure", false, "with an https URL, do not verify the server's certificate")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return healthy
		}
		return unhealthy
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "headroom healthcheck: unexpected arguments: %v\n", fs.Args())
		return unhealthy
	}
	if err := healthcheck(ctx, *target, *timeout, *insecure); err != nil {
		fmt.Fprintf(stderr, "headroom healthcheck: %v\n", err)
		return unhealthy
	}
	return healthy
}

// healthcheck GETs target within timeout and returns nil only for a 200.
func healthcheck(ctx context.Context, target string, timeout time.Duration, insecure bool) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("url %q: %w", target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want http:// or https:// with a host", target)
	}
	if timeout <= 0 {
		return fmt.Errorf("timeout %s: must be positive", timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	client := &http.Client{
		Transport: &http.Transport{
			// The check talks to the process next to it: never through
			// an HTTP(S)_PROXY set for the daemon's outbound AWS calls.
			Proxy: nil,
			// One request per process: nothing to keep alive.
			DisableKeepAlives: true,
			// A container checking itself on 127.0.0.1 has no name the
			// server's certificate could be verified against.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12},
		},
		// /healthz never redirects; a redirect means the URL points at
		// something else, which is reported, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	resp, err := client.Do(req)
	if err != nil {
		// client.Do's *url.Error repeats the method and URL; keep the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("GET %s: no answer within %s", u.Redacted(), timeout)
		}
		return fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	// Read a little of the body so the connection closes cleanly; what
	// it says does not matter, the status does.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s, want 200", u.Redacted(), resp.Status)
	}
	return nil
}
