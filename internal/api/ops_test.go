package api_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/headroom-dev/headroom/internal/api"
)

func get(t *testing.T, h http.Handler, path string) (status int, contentType, body string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestOps(t *testing.T) {
	ready := func() error { return nil }
	notReady := func() error { return errors.New("no cycle completed in 45s") }
	tests := []struct {
		name       string
		ready      api.Readiness
		path       string
		wantStatus int
		wantBody   string
	}{
		{"healthz", ready, "/healthz", http.StatusOK, "ok"},
		{"healthz while not ready", notReady, "/healthz", http.StatusOK, "ok"},
		{"readyz ready", ready, "/readyz", http.StatusOK, "ready"},
		{"readyz not ready names the reason", notReady, "/readyz", http.StatusServiceUnavailable, "not ready: no cycle completed in 45s"},
		{"unknown path", ready, "/v0/nothing", http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := get(t, api.Ops(tc.ready, prometheus.NewRegistry()), tc.path)
			if status != tc.wantStatus {
				t.Errorf("GET %s: status %d, want %d (body %q)", tc.path, status, tc.wantStatus, body)
			}
			if !strings.Contains(body, tc.wantBody) {
				t.Errorf("GET %s: body %q does not contain %q", tc.path, body, tc.wantBody)
			}
			if tc.wantStatus != http.StatusNotFound && !strings.HasPrefix(ctype, "text/plain") {
				t.Errorf("GET %s: Content-Type %q, want text/plain", tc.path, ctype)
			}
		})
	}
}

func TestOpsReadinessIsAskedEachTime(t *testing.T) {
	var reason error = errors.New("store not open")
	h := api.Ops(func() error { return reason }, prometheus.NewRegistry())
	if status, _, _ := get(t, h, "/readyz"); status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", status)
	}
	reason = nil
	if status, _, _ := get(t, h, "/readyz"); status != http.StatusOK {
		t.Fatalf("status %d after becoming ready, want 200", status)
	}
}

func TestOpsMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "headroom_test_events_total",
		Help: "Events counted by the test.",
	}, []string{"kind"})
	reg.MustRegister(c)
	c.WithLabelValues("scale_out").Add(3)

	status, ctype, body := get(t, api.Ops(func() error { return nil }, reg), "/metrics")
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200", status)
	}
	if !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ctype)
	}
	for _, want := range []string{
		"# HELP headroom_test_events_total Events counted by the test.",
		"# TYPE headroom_test_events_total counter",
		`headroom_test_events_total{kind="scale_out"} 3`,
		// The handler instruments itself on the registry it serves.
		"promhttp_metric_handler_errors_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics do not contain %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "go_goroutines") {
		t.Error("metrics include the global registry's Go collector; Ops must serve only the given registry")
	}
}
