package ctl

import (
	"strings"
	"testing"
)

// TestServerWithV1 accepts a --server (or $HEADROOM_URL) that names the
// API's root, /v1, as well as the server's.
func TestServerWithV1(t *testing.T) {
	s := startReal(t, groupView("web", 0))
	for _, server := range []string{s.url + "/v1", s.url + "/v1/", s.url + "/"} {
		t.Run(server, func(t *testing.T) {
			code, stdout, stderr := runCtl(t, s.env(), "--server", server, "groups")
			if code != ExitOK || !strings.Contains(stdout, "web") {
				t.Errorf("exit %d, stdout:\n%s--- stderr\n%s", code, stdout, stderr)
			}
			env := s.env()
			env[EnvURL] = server
			if code, _, stderr := runCtl(t, env, "group", "web"); code != ExitOK {
				t.Errorf("with $%s: exit %d, stderr:\n%s", EnvURL, code, stderr)
			}
		})
	}
}
