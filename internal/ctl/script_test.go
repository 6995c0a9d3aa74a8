package ctl

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scriptPath is the campaign script, from this package's directory.
var scriptPath = filepath.Join("..", "..", "scripts", "campaign-boost.sh")

// buildHeadroom builds cmd/headroom into a temporary directory and
// returns the directory.
func buildHeadroom(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go not on PATH")
	}
	dir := t.TempDir()
	cmd := exec.Command(goBin, "build", "-o", filepath.Join(dir, "headroom"), "../../cmd/headroom")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build headroom: %v\n%s", err, out)
	}
	return dir
}

func TestCampaignScriptSyntax(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not on PATH")
	}
	if out, err := exec.Command(bash, "-n", scriptPath).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
}

func TestCampaignScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not on PATH")
	}
	bin := buildHeadroom(t)
	argsFor := func(name string) []string {
		return []string{"--name", name, "--start", "2027-03-20T09:00", "--end", "2027-03-20T21:00",
			"--zone", "Europe/Paris", "--group", "web", "--group", "team=rewards,workers", "--min", "40"}
	}
	args := argsFor("spring-sale")
	createBody := `{"name":"spring-sale","reason":"campaign spring-sale","groups":["web","team=rewards","workers"],
		"start":"2027-03-20T09:00","end":"2027-03-20T21:00","time_zone":"Europe/Paris","min_capacity":40}`
	preview := func(g string) string { return "POST /v1/groups/" + g + "/preview" }
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		routes map[string]canned
		code   int
		// calls are the wanted requests, "METHOD path", in order.
		calls  []string
		stdout []string
		stderr []string
	}{
		{name: "books the campaign", args: args, code: 0,
			calls: []string{"GET /v1/groups", preview("web"), preview("workers"), "GET /v1/boosts", "POST /v1/boosts",
				"GET /v1/boosts/b-1", "GET /v1/groups/web", "GET /v1/groups/workers"},
			stdout: []string{"creating boost spring-sale", "boost b-1 as stored", "decision for web", "team=rewards is a tag selector"}},
		{name: "dry run writes nothing", args: append([]string{"--dry-run"}, args...), code: 0,
			calls:  []string{"GET /v1/groups", preview("web"), preview("workers")},
			stdout: []string{"dry run: no boost created"}},
		{name: "campaign booked already", args: argsFor("year-end"), code: 0,
			calls:  []string{"GET /v1/groups", preview("web"), preview("workers"), "GET /v1/boosts", "GET /v1/boosts/b-1", "GET /v1/groups/web", "GET /v1/groups/workers"},
			stdout: []string{"boost b-1 named year-end exists already"}},
		{name: "a cancelled campaign is not restored", args: args, code: ExitFailed,
			routes: map[string]canned{"GET /v1/boosts/b-1": {status: 200, body: strings.Replace(boostJSON, `"scheduled"`, `"cancelled"`, 1)}},
			calls:  []string{"GET /v1/groups", preview("web"), preview("workers"), "GET /v1/boosts", "POST /v1/boosts", "GET /v1/boosts/b-1"},
			stdout: []string{"cancelled"},
			stderr: []string{"was cancelled; rerunning does not bring it back"}},
		{name: "refused boost stops the script", args: args, code: ExitFailed,
			routes: map[string]canned{"POST /v1/boosts": problem(422, "invalid-field", "min_capacity: 40 is above the max of group \"web\" (30); set cap_at_max to cap it",
				FieldProblem{Field: "min_capacity", Detail: "40 is above the max of group \"web\" (30); set cap_at_max to cap it"})},
			calls:  []string{"GET /v1/groups", preview("web"), preview("workers"), "GET /v1/boosts", "POST /v1/boosts"},
			stderr: []string{"error: min_capacity: 40 is above the max"}},
		{name: "unknown group", args: args, code: ExitNotFound,
			routes: map[string]canned{preview("web"): problem(404, "not-found", `group "web" not found`)},
			calls:  []string{"GET /v1/groups", preview("web")},
			stderr: []string{`group "web" not found`}},
		{name: "no token", args: args, env: map[string]string{EnvToken: ""}, code: ExitUsage, stderr: []string{"HEADROOM_TOKEN is not set"}},
		{name: "no url", args: args, env: map[string]string{EnvURL: ""}, code: ExitUsage, stderr: []string{"HEADROOM_URL is not set"}},
		{name: "missing min", args: args[:len(args)-2], code: ExitUsage, stderr: []string{"--min must be a positive whole number"}},
		{name: "unknown argument", args: append([]string{"--force"}, args...), code: ExitUsage, stderr: []string{"unknown argument: --force"}},
		{name: "help", args: []string{"--help"}, code: 0, stdout: []string{"usage: campaign-boost.sh"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeAPI()
			for k, v := range tc.routes {
				fake.routes[k] = v
			}
			env := map[string]string{EnvURL: startFake(t, fake), EnvToken: testToken}
			for k, v := range tc.env {
				env[k] = v
			}
			cmd := exec.Command(bash, append([]string{scriptPath}, tc.args...)...)
			cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir()}
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			var calls []string
			for _, r := range fake.requests() {
				calls = append(calls, r.Method+" "+r.Path)
				if r.Method == "POST" && r.Path == "/v1/boosts" {
					checkRequest(t, r, recorded{Method: "POST", Path: "/v1/boosts", Key: "campaign-boost-spring-sale", Body: createBody})
				}
				if r.Method == "POST" && strings.HasSuffix(r.Path, "/preview") && !strings.Contains(r.Body, `"min_capacity":40`) {
					t.Errorf("preview body %s lacks the floor", r.Body)
				}
			}
			if strings.Join(calls, "\n") != strings.Join(tc.calls, "\n") {
				t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(tc.calls, "\n"))
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}
