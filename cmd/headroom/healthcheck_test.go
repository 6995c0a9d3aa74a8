package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/internal/config"
)

// healthServer serves status on every path, recording that it was asked.
func healthServer(t *testing.T, status int, tlsOn bool) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte("ok\n"))
	})
	var srv *httptest.Server
	if tlsOn {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

// hangingServer accepts requests and answers none until the test ends.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv
}

// closedURL returns an http URL on a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/healthz"
}

func TestHealthcheck(t *testing.T) {
	ok := healthServer(t, http.StatusOK, false)
	failing := healthServer(t, http.StatusInternalServerError, false)
	redirect := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusFound))
	t.Cleanup(redirect.Close)
	secure := healthServer(t, http.StatusOK, true)
	hanging := hangingServer(t)
	down := closedURL(t)

	tests := []struct {
		name   string
		env    string
		args   []string
		code   int
		stderr []string
		// usage is set where the flag package prints its usage too.
		usage bool
	}{
		{name: "200 is healthy", args: []string{"--url", ok.URL + "/healthz"}, code: 0},
		{name: "500 is unhealthy", args: []string{"--url", failing.URL + "/healthz"}, code: 1, stderr: []string{"500 Internal Server Error", "want 200"}},
		{name: "redirect is not followed", args: []string{"--url", redirect.URL + "/healthz"}, code: 1, stderr: []string{"302"}},
		{name: "unreachable", args: []string{"--url", down}, code: 1, stderr: []string{down, "refused"}},
		{name: "timeout", args: []string{"--url", hanging.URL + "/healthz", "--timeout", "50ms"}, code: 1, stderr: []string{"no answer within 50ms"}},
		{name: "https with insecure", args: []string{"--url", secure.URL + "/healthz", "--insecure"}, code: 0},
		{name: "https verifies by default", args: []string{"--url", secure.URL + "/healthz"}, code: 1, stderr: []string{"certificate"}},
		{name: "url from environment", env: ok.URL + "/healthz", code: 0},
		{name: "flag beats environment", env: down, args: []string{"--url", ok.URL + "/healthz"}, code: 0},
		{name: "environment unreachable", env: down, code: 1, stderr: []string{down}},
		{name: "bad scheme", args: []string{"--url", "ftp://127.0.0.1/healthz"}, code: 1, stderr: []string{"want http:// or https://"}},
		{name: "no host", args: []string{"--url", "/healthz"}, code: 1, stderr: []string{"with a host"}},
		{name: "zero timeout", args: []string{"--url", ok.URL, "--timeout", "0s"}, code: 1, stderr: []string{"must be positive"}},
		{name: "bad flag is unhealthy, not docker's reserved 2", args: []string{"--bogus"}, code: 1, stderr: []string{"bogus"}, usage: true},
		{name: "stray argument", args: []string{ok.URL}, code: 1, stderr: []string{"unexpected arguments"}},
		{name: "help", args: []string{"-h"}, code: 0, stderr: []string{"-insecure", "HEADROOM_HEALTHCHECK_URL"}, usage: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(healthcheckURLEnv, tc.env)
			var stdout, stderr bytes.Buffer
			code := runHealthcheck(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr %q does not contain %q", stderr.String(), want)
				}
			}
			if !tc.usage && tc.code == 1 && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr has %d lines, want one: %q", strings.Count(stderr.String(), "\n"), stderr.String())
			}
			if tc.code == 0 && len(tc.stderr) == 0 && stderr.Len() != 0 {
				t.Errorf("healthy check wrote to stderr: %q", stderr.String())
			}
		})
	}
}

func TestHealthcheckDefaultURL(t *testing.T) {
	_, port, err := net.SplitHostPort(config.DefaultListen)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://127.0.0.1:" + port + "/healthz"; defaultHealthcheckURL != want {
		t.Errorf("defaultHealthcheckURL = %s, want %s (config.DefaultListen %q)", defaultHealthcheckURL, want, config.DefaultListen)
	}
	t.Setenv(healthcheckURLEnv, "")
	var stderr bytes.Buffer
	runHealthcheck(context.Background(), []string{"-h"}, &bytes.Buffer{}, &stderr)
	if !strings.Contains(stderr.String(), defaultHealthcheckURL) {
		t.Errorf("help does not show the default URL %s:\n%s", defaultHealthcheckURL, stderr.String())
	}
}
