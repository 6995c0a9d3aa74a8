package testenv

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(RunKube(m)) }

// kubeGet sends GET path to s with token and returns the status and body.
func kubeGet(t *testing.T, s *KubeServer, token, path string) (int, string) {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAData) {
		t.Fatal("CAData holds no certificate")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
	req, err := http.NewRequest(http.MethodGet, s.Host+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestKubeAuthenticatesAndAuthorizes(t *testing.T) {
	s := Kube(t)
	tests := []struct {
		name   string
		token  string
		path   string
		status int
		body   string
	}{
		{name: "admin lists namespaces", token: s.AdminToken, path: "/api/v1/namespaces", status: 200, body: `"name":"kube-system"`},
		{name: "headroom is denied what no role grants", token: s.UserToken, path: "/api/v1/namespaces", status: 403, body: `User \"headroom\" cannot list resource \"namespaces\"`},
		{name: "an unknown token is not authenticated", token: "not-a-token", path: "/api/v1/namespaces", status: 401},
		{name: "the server is ready", token: s.AdminToken, path: "/readyz", status: 200, body: "ok"},
		{name: "scale subresources are served", token: s.AdminToken, path: "/apis/apps/v1", status: 200, body: `"name":"deployments/scale"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := kubeGet(t, s, tc.token, tc.path)
			if status != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("GET %s = %d %.300s, want %d containing %q", tc.path, status, body, tc.status, tc.body)
			}
		})
	}
}

func TestKubeIsSharedAndHasAKubeconfig(t *testing.T) {
	a, b := Kube(t), Kube(t)
	if a != b {
		t.Fatalf("two calls started two servers: %s and %s", a.Host, b.Host)
	}
	data, err := os.ReadFile(a.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server: " + a.Host, "token: " + a.AdminToken, "token: " + a.UserToken, "- name: headroom\n  context:", "current-context: admin"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("kubeconfig lacks %q:\n%s", want, data)
		}
	}
}

func TestKubeWithoutBinaries(t *testing.T) {
	tests := []struct {
		name      string
		ci        string
		wantFatal bool
	}{
		{name: "developer machine skips", ci: "", wantFatal: false},
		{name: "CI fails", ci: "true", wantFatal: true},
	}
	saved := kubeBinDir
	t.Cleanup(func() { kubeBinDir = saved })
	kubeBinDir = "scripts/testenv/kube/no-such-dir"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			run(r, func() { Kube(r) })
			msg := r.skipped
			if tc.wantFatal {
				msg = r.fatal
			}
			if !strings.Contains(msg, "make kube-testenv") || (r.skipped != "") == tc.wantFatal {
				t.Fatalf("skipped %q, fatal %q", r.skipped, r.fatal)
			}
		})
	}
}
