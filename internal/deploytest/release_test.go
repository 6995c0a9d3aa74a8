package deploytest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// releaseArches are the architectures scripts/release.sh builds.
var releaseArches = []string{"amd64", "arm64"}

// runRelease runs scripts/release.sh with version and dist and returns
// its stdout and stderr.
func runRelease(t *testing.T, version, dist string) (stdout, stderr string, err error) {
	t.Helper()
	bash, lerr := exec.LookPath("bash")
	if lerr != nil {
		t.Skipf("no bash to run scripts/release.sh: %v", lerr)
	}
	goCommand(t)
	cmd := exec.Command(bash, filepath.Join(srcRoot, "scripts", "release.sh"))
	cmd.Env = append(os.Environ(), "VERSION="+version, "DIST="+dist)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// parseSums reads sha256sum output: "<hex>  <name>" lines.
func parseSums(s string) (map[string]string, error) {
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != sha256.Size*2 {
			return nil, fmt.Errorf("line %q: want \"<sha256>  <name>\"", line)
		}
		if _, dup := sums[name]; dup {
			return nil, fmt.Errorf("%s listed twice", name)
		}
		sums[name] = sum
	}
	return sums, nil
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestRelease runs the release script into a temporary directory and
// checks its binaries (architecture, static, stripped, stamped) and its
// SHA256SUMS.
func TestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries; skipped with -short")
	}
	const version = "v0.0.0-release-test"
	dist := filepath.Join(t.TempDir(), "dist")
	// A file from an earlier release stays out of this release's sums.
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "headroom_v0.0.0-old_linux_amd64"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runRelease(t, version, dist)
	if err != nil {
		t.Fatalf("scripts/release.sh: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	sumsFile, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(sumsFile) {
		t.Errorf("printed %q, want SHA256SUMS %q", stdout, sumsFile)
	}
	sums, err := parseSums(string(sumsFile))
	if err != nil {
		t.Fatalf("SHA256SUMS: %v", err)
	}
	var names []string
	for _, arch := range releaseArches {
		names = append(names, fmt.Sprintf("headroom_%s_linux_%s", version, arch))
	}
	var listed []string
	for name := range sums {
		listed = append(listed, name)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, names) {
		t.Errorf("SHA256SUMS lists %v, want %v", listed, names)
	}
	for i, arch := range releaseArches {
		t.Run(arch, func(t *testing.T) {
			path := filepath.Join(dist, names[i])
			if got := fileSHA256(t, path); got != sums[names[i]] {
				t.Errorf("sha256 %s, SHA256SUMS says %s", got, sums[names[i]])
			}
			requireStaticELF(t, path, elfMachines[arch])
			if runtime.GOOS == "linux" && runtime.GOARCH == arch {
				if got, want := runVersion(t, path), "headroom "+version+"\n"; got != want {
					t.Errorf("version printed %q, want %q", got, want)
				}
			}
		})
	}
	if sha, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sha, "-c", "SHA256SUMS")
		cmd.Dir = dist
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
		}
	}
}

func TestReleaseRejectsVersion(t *testing.T) {
	tests := []struct{ name, version string }{
		{name: "space", version: "v1 -X main.other=1"},
		{name: "slash", version: "feature/x"},
		{name: "leading dash", version: "-v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dist := t.TempDir()
			_, stderr, err := runRelease(t, tc.version, dist)
			if err == nil {
				t.Fatalf("release.sh accepted VERSION %q", tc.version)
			}
			if !strings.Contains(stderr, "VERSION") {
				t.Errorf("stderr %q does not name VERSION", stderr)
			}
			if entries, _ := os.ReadDir(dist); len(entries) > 0 {
				t.Errorf("wrote %d files before refusing", len(entries))
			}
		})
	}
}

// TestReleaseFlags holds the release script and the Makefile's build to
// the Dockerfile's flags, so the three builds cannot drift apart.
func TestReleaseFlags(t *testing.T) {
	df, problems := parseDockerfile(readRepoFile(t, "deploy/Dockerfile"))
	if df == nil || len(df.stages) == 0 {
		t.Fatalf("deploy/Dockerfile: %v", problems)
	}
	line, err := findGoBuild(df.stages[0], []string{"VERSION=${VERSION}", "TARGETOS=linux", "TARGETARCH=amd64"})
	if err != nil {
		t.Fatal(err)
	}
	ldflags, _ := line.flag("-ldflags")
	script := string(readRepoFile(t, "scripts/release.sh"))
	makefile := string(readRepoFile(t, "Makefile"))
	tests := []struct{ name, text, want string }{
		{name: "release cgo", text: script, want: "CGO_ENABLED=0 GOOS=linux"},
		{name: "release trimpath", text: script, want: "build -trimpath -ldflags"},
		{name: "release ldflags", text: script, want: `-ldflags "` + ldflags + `"`},
		{name: "make build", text: makefile, want: "CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'"},
		{name: "make ldflags", text: makefile, want: "LDFLAGS := " + strings.ReplaceAll(ldflags, "${VERSION}", "$(VERSION)")},
		{name: "make release", text: makefile, want: "scripts/release.sh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(tc.text, tc.want) {
				t.Errorf("does not contain %q", tc.want)
			}
		})
	}
}
