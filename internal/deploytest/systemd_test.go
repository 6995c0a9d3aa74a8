package deploytest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-dev/headroom/internal/config"
)

// unitExecPath is where the unit and cloud-init install the binary.
const unitExecPath = "/usr/local/bin/headroom"

// unitFile is a systemd unit file: section -> key -> every value the key
// was given, in order (systemd keys such as SystemCallFilter= accumulate).
type unitFile map[string]map[string][]string

// parseUnit reads a unit file as systemd.syntax(7) describes it: [Section]
// headers, Key=Value lines, '#' and ';' comments, and a trailing backslash
// continuing a line.
func parseUnit(src []byte) (unitFile, error) {
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(src))
	n := 0
	pending := ""
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, pending = pending+line, ""
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: bad section header %q", n, line)
			}
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not Key=Value", n, line)
		}
		if section == "" {
			return nil, fmt.Errorf("line %d: %q is outside any section", n, line)
		}
		key = strings.TrimSpace(key)
		u[section][key] = append(u[section][key], strings.TrimSpace(value))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read unit: %w", err)
	}
	if pending != "" {
		return nil, fmt.Errorf("unit ends inside a continued line")
	}
	return u, nil
}

// unitDirectives are the [Service] settings the unit must have, each with
// its one value. Every other [Service] key is free.
var unitDirectives = []struct{ key, value string }{
	{"User", "headroom"},
	{"ExecStart", unitExecPath + " serve --config /etc/headroom/headroom.yaml"},
	{"ExecReload", "/bin/kill -HUP $MAINPID"},
	{"Restart", "on-failure"},
	{"RestartSec", "5"},
	// serve's exit status for a missing or invalid config (EX_CONFIG).
	{"RestartPreventExitStatus", "78"},
	// serve drains within 10 s of SIGTERM.
	{"KillSignal", "SIGTERM"},
	{"TimeoutStopSec", "15"},
	{"NoNewPrivileges", "yes"},
	{"ProtectSystem", "strict"},
	{"ProtectHome", "yes"},
	{"PrivateTmp", "yes"},
	{"PrivateDevices", "yes"},
	{"ProtectKernelTunables", "yes"},
	{"ProtectKernelModules", "yes"},
	{"ProtectControlGroups", "yes"},
	{"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
	{"CapabilityBoundingSet", ""},
	{"AmbientCapabilities", ""},
	{"LockPersonality", "yes"},
	{"MemoryDenyWriteExecute", "yes"},
	{"RestrictNamespaces", "yes"},
	{"SystemCallArchitectures", "native"},
	// The bolt file's directory: /var/lib/headroom.
	{"StateDirectory", "headroom"},
}

// checkUnit returns every way u breaks the unit's rules.
func checkUnit(u unitFile) []string {
	var problems []string
	svc := u["Service"]
	if svc == nil {
		return []string{"no [Service] section"}
	}
	for _, d := range unitDirectives {
		got, ok := svc[d.key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s= missing, want %q", d.key, d.value))
		case !slices.Equal(got, []string{d.value}):
			problems = append(problems, fmt.Sprintf("%s=%q, want exactly %q", d.key, got, d.value))
		}
	}
	if v := svc["DynamicUser"]; len(v) > 0 && v[len(v)-1] != "no" {
		problems = append(problems, fmt.Sprintf("DynamicUser=%s: the config's group must exist before the service starts", v[len(v)-1]))
	}
	// Under ProtectSystem=strict the state directory is the one writable
	// place; anything else writable must be named, and nothing under /etc.
	for _, p := range svc["ReadWritePaths"] {
		for _, f := range strings.Fields(p) {
			if strings.HasPrefix(strings.TrimLeft(f, "-+"), "/etc") {
				problems = append(problems, fmt.Sprintf("ReadWritePaths=%s: the config must stay read-only", f))
			}
		}
	}
	if !slices.Contains(u["Install"]["WantedBy"], "multi-user.target") {
		problems = append(problems, "[Install] WantedBy=multi-user.target missing: enable would not start it at boot")
	}
	return problems
}

func TestSystemdUnit(t *testing.T) {
	src := readRepoFile(t, "deploy/ec2/headroom.service")
	u, err := parseUnit(src)
	if err != nil {
		t.Fatalf("deploy/ec2/headroom.service: %v", err)
	}
	if problems := checkUnit(u); len(problems) > 0 {
		t.Fatalf("deploy/ec2/headroom.service:\n  %s", strings.Join(problems, "\n  "))
	}

	mutants := []struct {
		name, old, new, want string
	}{
		{name: "restarts on a bad config", old: "RestartPreventExitStatus=78\n", new: "", want: "RestartPreventExitStatus= missing"},
		{name: "restarts always", old: "Restart=on-failure", new: "Restart=always", want: "Restart="},
		{name: "short stop timeout", old: "TimeoutStopSec=15", new: "TimeoutStopSec=5", want: "TimeoutStopSec="},
		{name: "root", old: "User=headroom", new: "User=root", want: "User="},
		{name: "dynamic user", old: "User=headroom", new: "User=headroom\nDynamicUser=yes", want: "DynamicUser=yes"},
		{name: "writable config", old: "StateDirectory=headroom\n", new: "StateDirectory=headroom\nReadWritePaths=/etc/headroom\n", want: "read-only"},
		{name: "capabilities", old: "CapabilityBoundingSet=\n", new: "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n", want: "CapabilityBoundingSet="},
		{name: "netlink", old: "AF_INET AF_INET6 AF_UNIX", new: "AF_INET AF_INET6 AF_UNIX AF_NETLINK", want: "RestrictAddressFamilies="},
		{name: "twice", old: "ProtectHome=yes", new: "ProtectHome=yes\nProtectHome=read-only", want: "want exactly"},
		{name: "not enabled at boot", old: "WantedBy=multi-user.target", new: "WantedBy=default.target", want: "WantedBy"},
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			bad := strings.Replace(string(src), m.old, m.new, 1)
			if bad == string(src) {
				t.Fatalf("unit no longer contains %q: update this case", m.old)
			}
			bu, err := parseUnit([]byte(bad))
			if err != nil {
				t.Fatal(err)
			}
			problems := checkUnit(bu)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, m.want) }) {
				t.Errorf("problems %q: none mentions %q", problems, m.want)
			}
		})
	}
}

func TestParseUnit(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    unitFile
		wantErr string
	}{
		{name: "comments and lists", src: "# c\n[Service]\n; c\nA=1\nA=2\nB=\n", want: unitFile{"Service": {"A": {"1", "2"}, "B": {""}}}},
		{name: "continuation", src: "[Service]\nExecStart=/bin/x \\\n  --flag\n", want: unitFile{"Service": {"ExecStart": {"/bin/x  --flag"}}}},
		{name: "outside section", src: "A=1\n", wantErr: "outside any section"},
		{name: "not key value", src: "[Service]\nbogus\n", wantErr: "not Key=Value"},
		{name: "bad header", src: "[Service\n", wantErr: "bad section header"},
		{name: "dangling continuation", src: "[Service]\nA=1 \\\n", wantErr: "continued line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseUnit([]byte(tc.src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// systemdAnalyze returns the systemd-analyze binary, or skips the test;
// under CI=true its absence fails instead, so that CI cannot pass
// without verifying the unit.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("systemd-analyze not found (install the systemd package): %v", err)
		}
		t.Skipf("systemd-analyze not found, unit not verified: %v", err)
	}
	return p
}

// verifyUnit runs `systemd-analyze verify` on a unit file and returns its
// output about the file. verify exits 0 on unknown keys and bad values
// (it logs and ignores them, as systemd does), so any line is a finding.
func verifyUnit(t *testing.T, analyze, path string) string {
	t.Helper()
	cmd := exec.Command(analyze, "verify", "--man=no", path)
	// No pager, no colour: plain lines to compare.
	cmd.Env = append(os.Environ(), "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	if err != nil && len(out) == 0 {
		t.Fatalf("systemd-analyze verify %s: %v", path, err)
	}
	var findings []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, filepath.Base(path)) {
			findings = append(findings, l)
		}
	}
	if err != nil && len(findings) == 0 {
		findings = append(findings, strings.TrimSpace(string(out)))
	}
	return strings.Join(findings, "\n")
}

// TestSystemdVerify runs systemd's own checker on the unit with ExecStart
// rewritten to a freshly built binary (verify requires it to exist and be
// executable), and on broken copies to prove it reports them.
func TestSystemdVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	if runtime.GOOS != "linux" {
		t.Skipf("systemd units run on linux; this host is %s", runtime.GOOS)
	}
	src := string(readRepoFile(t, "deploy/ec2/headroom.service"))
	if !strings.Contains(src, "ExecStart="+unitExecPath+" ") {
		t.Fatalf("unit's ExecStart does not run %s", unitExecPath)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "headroom")
	buildHeadroom(t, []string{"CGO_ENABLED=0"}, []string{"build", "-trimpath", "-o", bin, "./cmd/headroom"})
	local := strings.ReplaceAll(src, "ExecStart="+unitExecPath, "ExecStart="+bin)

	tests := []struct {
		name    string
		unit    string
		finding string
	}{
		{name: "as shipped", unit: local},
		{name: "unknown key", unit: strings.Replace(local, "[Service]\n", "[Service]\nProtectEverything=yes\n", 1), finding: "ProtectEverything"},
		{name: "bad value", unit: strings.Replace(local, "Restart=on-failure", "Restart=sometimes", 1), finding: "sometimes"},
		{name: "missing binary", unit: strings.ReplaceAll(local, "ExecStart="+bin, "ExecStart="+bin+"-missing"), finding: "not executable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.finding != "" && tc.unit == local {
				t.Fatal("mutation did not change the unit: update this case")
			}
			// Each case in its own directory: verify also loads the
			// directory's other units.
			path := filepath.Join(t.TempDir(), "headroom.service")
			if err := os.WriteFile(path, []byte(tc.unit), 0o644); err != nil {
				t.Fatal(err)
			}
			got := verifyUnit(t, analyze, path)
			switch {
			case tc.finding == "" && got != "":
				t.Errorf("systemd-analyze verify:\n%s", got)
			case tc.finding != "" && !strings.Contains(got, tc.finding):
				t.Errorf("systemd-analyze verify said %q, want a finding about %q", got, tc.finding)
			}
		})
	}
}

// cloudFile is one write_files entry of cloud-init's cloud-config.
type cloudFile struct {
	Path        string `yaml:"path"`
	Owner       string `yaml:"owner"`
	Permissions string `yaml:"permissions"`
	Content     string `yaml:"content"`
	Defer       bool   `yaml:"defer"`
}

// cloudConfig is the part of a cloud-config that the EC2 install uses.
type cloudConfig struct {
	Users      []any       `yaml:"users"`
	WriteFiles []cloudFile `yaml:"write_files"`
	Runcmd     [][]string  `yaml:"runcmd"`
}

func (c cloudConfig) file(path string) (cloudFile, bool) {
	for _, f := range c.WriteFiles {
		if f.Path == path {
			return f, true
		}
	}
	return cloudFile{}, false
}

func TestCloudInit(t *testing.T) {
	src := readRepoFile(t, "deploy/ec2/cloud-init.yaml")
	// cloud-init treats user data as cloud-config only when its first
	// line is exactly this header.
	if first, _, _ := strings.Cut(string(src), "\n"); first != "#cloud-config" {
		t.Fatalf("first line %q, want #cloud-config", first)
	}
	var cc cloudConfig
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&cc); err != nil {
		t.Fatalf("cloud-init.yaml: %v", err)
	}
	unitSrc := string(readRepoFile(t, "deploy/ec2/headroom.service"))

	t.Run("user", func(t *testing.T) {
		var found bool
		for _, u := range cc.Users {
			m, ok := u.(map[string]any)
			if ok && m["name"] == "headroom" {
				found = true
				if m["system"] != true {
					t.Errorf("user headroom: system = %v, want true", m["system"])
				}
				if m["shell"] != "/usr/sbin/nologin" {
					t.Errorf("user headroom: shell = %v, want /usr/sbin/nologin", m["shell"])
				}
			}
		}
		if !found {
			t.Error("no users entry named headroom (the unit's User=)")
		}
		if !slices.Contains(cc.Users, any("default")) {
			t.Error(`users lacks "default": the AMI's login user would not be created`)
		}
	})
	t.Run("unit is the shipped one", func(t *testing.T) {
		f, ok := cc.file("/etc/systemd/system/headroom.service")
		if !ok {
			t.Fatal("no write_files entry for /etc/systemd/system/headroom.service")
		}
		if f.Content != unitSrc {
			t.Error("the unit in cloud-init.yaml differs from deploy/ec2/headroom.service: copy the file in again")
		}
	})
	t.Run("config", func(t *testing.T) {
		f, ok := cc.file("/etc/headroom/headroom.yaml")
		if !ok {
			t.Fatal("no write_files entry for /etc/headroom/headroom.yaml")
		}
		if f.Owner != "root:headroom" || f.Permissions != "0640" {
			t.Errorf("config owner %q mode %q, want root:headroom 0640 (token hashes)", f.Owner, f.Permissions)
		}
		// write_files runs before users are created; a file owned by the
		// new group must wait for the final stage.
		if !f.Defer {
			t.Error("config is owned by the headroom group but not deferred: the group does not exist yet when write_files runs")
		}
		cfg, err := config.Parse([]byte(f.Content))
		if err != nil {
			t.Fatalf("config does not validate: %v", err)
		}
		if cfg.Store.Path != "/var/lib/headroom/headroom.db" {
			t.Errorf("store.path %q, want the unit's StateDirectory /var/lib/headroom/headroom.db", cfg.Store.Path)
		}
	})
	t.Run("install script", func(t *testing.T) {
		f, ok := cc.file("/usr/local/sbin/headroom-install")
		if !ok {
			t.Fatal("no write_files entry for /usr/local/sbin/headroom-install")
		}
		if !slices.ContainsFunc(cc.Runcmd, func(c []string) bool { return slices.Equal(c, []string{f.Path}) }) {
			t.Errorf("runcmd %q does not run %s", cc.Runcmd, f.Path)
		}
		for _, want := range []string{
			"set -eu",
			"sha256sum -c",
			"headroom_${VERSION}_linux_${arch}",
			"install -o root -g root -m 0755 \"$tmp/$name\" " + unitExecPath,
			"systemctl enable --now headroom.service",
		} {
			if !strings.Contains(f.Content, want) {
				t.Errorf("install script lacks %q", want)
			}
		}
		if strings.Index(f.Content, "sha256sum -c") > strings.Index(f.Content, "install -o root") {
			t.Error("install script installs the binary before checking its checksum")
		}
		sh, err := exec.LookPath("sh")
		if err != nil {
			t.Skipf("no sh to check the script's syntax: %v", err)
		}
		cmd := exec.Command(sh, "-n")
		cmd.Stdin = strings.NewReader(f.Content)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("install script: sh -n: %v\n%s", err, out)
		}
	})
}
