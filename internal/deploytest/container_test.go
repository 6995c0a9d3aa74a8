package deploytest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/headroom-dev/headroom/internal/config"
)

// Facts the image is held to.
const (
	// buildStage is the builder's stage name, which the final stage
	// copies from.
	buildStage = "build"
	// runtimeBase is distroless's static image for Debian 12, as the
	// unprivileged user: CA certificates and tzdata, no shell, no libc.
	runtimeBase = "gcr.io/distroless/static-debian12:nonroot"
	// binaryPath is where the binary lives in the image.
	binaryPath = "/headroom"
	// builtPath is where the builder writes it.
	builtPath = "/out/headroom"
	// stateDir is the runtime working directory, where the bolt store's
	// default relative path lands; the unprivileged user must own it.
	stateDir = "/var/lib/headroom"
	// ldflagsPrefix is the -ldflags value before the version.
	ldflagsPrefix = "-s -w -X main.version="
	// healthcheckOwnTimeout is `headroom healthcheck`'s default --timeout:
	// Docker's own must be longer, so that the check reports why it failed.
	healthcheckOwnTimeout = 2 * time.Second
)

// builderImage matches the official Go image pinned to a minor release.
var builderImage = regexp.MustCompile(`^golang:(1\.\d+)-bookworm$`)

// numericUser matches a USER of uid:gid.
var numericUser = regexp.MustCompile(`^(\d+):(\d+)$`)

// parsedDockerfile is a Dockerfile as BuildKit reads it.
type parsedDockerfile struct {
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand
}

// parseDockerfile parses src with BuildKit's parser and instruction
// decoder, turning parser warnings and lint findings into problems.
func parseDockerfile(src []byte) (*parsedDockerfile, []string) {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, []string{"parse: " + err.Error()}
	}
	var problems []string
	for _, w := range res.Warnings {
		problems = append(problems, "parser warning: "+w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, _ []parser.Range) {
		problems = append(problems, fmt.Sprintf("lint %s: %s", rule, msg))
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, append(problems, "instructions: "+err.Error())
	}
	return &parsedDockerfile{stages: stages, metaArgs: metaArgs}, problems
}

// commandsOf returns the stage's commands of type T, in order.
func commandsOf[T instructions.Command](s instructions.Stage) []T {
	var out []T
	for _, c := range s.Commands {
		if v, ok := c.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// goModMinor returns go.mod's go directive as major.minor ("1.26").
func goModMinor(gomod []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "go" {
			parts := strings.SplitN(f[1], ".", 3)
			if len(parts) < 2 {
				return "", fmt.Errorf("go.mod: go directive %q: want major.minor", f[1])
			}
			return parts[0] + "." + parts[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("go.mod: %w", err)
	}
	return "", fmt.Errorf("go.mod: no go directive")
}

// exposedPort is the port of config.DefaultListen.
func exposedPort() (string, error) {
	_, port, err := net.SplitHostPort(config.DefaultListen)
	if err != nil {
		return "", fmt.Errorf("config.DefaultListen %q: %w", config.DefaultListen, err)
	}
	return port, nil
}

// goBuildLine is the builder's `go build` command line with its
// variables expanded: the environment assignments before `go` and go's
// arguments after it.
type goBuildLine struct {
	env  []string
	args []string
}

// flag returns the value after name in the go arguments.
func (l goBuildLine) flag(name string) (string, bool) {
	i := slices.Index(l.args, name)
	if i < 0 || i+1 >= len(l.args) {
		return "", false
	}
	return l.args[i+1], true
}

// findGoBuild returns the build stage's RUN of `go build`, split into
// words as the shell would with vars set (the ARGs a builder passes).
func findGoBuild(s instructions.Stage, vars []string) (goBuildLine, error) {
	lex := shell.NewLex('\\')
	var found []goBuildLine
	for _, run := range commandsOf[*instructions.RunCommand](s) {
		if len(run.CmdLine) != 1 || !run.PrependShell {
			continue
		}
		words, err := lex.ProcessWords(run.CmdLine[0], shell.EnvsFromSlice(vars))
		if err != nil {
			return goBuildLine{}, fmt.Errorf("RUN %q: %w", run.CmdLine[0], err)
		}
		var l goBuildLine
		i := 0
		for ; i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-"); i++ {
			l.env = append(l.env, words[i])
		}
		if i+1 < len(words) && words[i] == "go" && words[i+1] == "build" {
			l.args = words[i+1:]
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		return goBuildLine{}, fmt.Errorf("want exactly one RUN of `go build` in stage %q, found %d", s.Name, len(found))
	}
	return found[0], nil
}

// checkDockerfile returns every way src breaks the image's rules, given
// go.mod's go directive as major.minor.
func checkDockerfile(src []byte, goMinor string) []string {
	df, problems := parseDockerfile(src)
	if df == nil {
		return problems
	}
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if len(df.stages) != 2 {
		add("stages: %d, want 2 (builder and runtime)", len(df.stages))
		return problems
	}
	build, final := df.stages[0], df.stages[1]

	// The builder.
	if build.Name != buildStage {
		add("builder stage named %q, want %q", build.Name, buildStage)
	}
	if m := builderImage.FindStringSubmatch(build.BaseName); m == nil {
		add("builder base %q: want golang:<major.minor>-bookworm", build.BaseName)
	} else if m[1] != goMinor {
		add("builder base %q: Go %s, but go.mod says go %s", build.BaseName, m[1], goMinor)
	}
	versionDefault := ""
	for _, a := range commandsOf[*instructions.ArgCommand](build) {
		for _, kv := range a.Args {
			if kv.Key == "VERSION" && kv.Value != nil {
				versionDefault = *kv.Value
			}
		}
	}
	if versionDefault != "dev" {
		add("builder: want ARG VERSION=dev, got default %q", versionDefault)
	}
	line, err := findGoBuild(build, []string{"VERSION=v9.9.9-check", "TARGETOS=linux", "TARGETARCH=amd64"})
	if err != nil {
		add("builder: %v", err)
	} else {
		if !slices.Contains(line.env, "CGO_ENABLED=0") {
			add("go build: env %v lacks CGO_ENABLED=0 (a static binary)", line.env)
		}
		if !slices.Contains(line.args, "-trimpath") {
			add("go build: args %v lack -trimpath", line.args)
		}
		if v, _ := line.flag("-ldflags"); v != ldflagsPrefix+"v9.9.9-check" {
			add("go build: -ldflags %q, want %q", v, ldflagsPrefix+"${VERSION}")
		}
		if v, _ := line.flag("-o"); v != builtPath {
			add("go build: -o %q, want %q", v, builtPath)
		}
		if last := line.args[len(line.args)-1]; last != "./cmd/headroom" {
			add("go build: package %q, want ./cmd/headroom", last)
		}
	}

	// The runtime image.
	if final.BaseName != runtimeBase {
		add("runtime base %q, want %q", final.BaseName, runtimeBase)
	}
	if runs := commandsOf[*instructions.RunCommand](final); len(runs) > 0 {
		add("runtime stage has %d RUN: the base has no shell", len(runs))
	}
	copies := commandsOf[*instructions.CopyCommand](final)
	if !slices.ContainsFunc(copies, func(c *instructions.CopyCommand) bool {
		return c.From == buildStage && slices.Equal(c.SourcePaths, []string{builtPath}) && c.DestPath == binaryPath
	}) {
		add("runtime stage: want COPY --from=%s %s %s", buildStage, builtPath, binaryPath)
	}
	if users := commandsOf[*instructions.UserCommand](final); len(users) == 0 {
		add("runtime stage: no USER: would run as the base's user, unchecked")
	} else if u := users[len(users)-1].User; !nonRootNumeric(u) {
		add("USER %q: want a numeric non-root uid:gid", u)
	}
	var user string
	if users := commandsOf[*instructions.UserCommand](final); len(users) > 0 {
		user = users[len(users)-1].User
	}
	if wds := commandsOf[*instructions.WorkdirCommand](final); len(wds) == 0 || wds[len(wds)-1].Path != stateDir {
		add("runtime stage: want WORKDIR %s (the bolt store's default home)", stateDir)
	}
	if !slices.ContainsFunc(copies, func(c *instructions.CopyCommand) bool {
		return c.DestPath == stateDir && c.Chown != "" && c.Chown == user
	}) {
		add("runtime stage: want %s created by COPY --chown=%s, writable by the USER", stateDir, user)
	}
	if port, err := exposedPort(); err != nil {
		add("%v", err)
	} else {
		var ports []string
		for _, e := range commandsOf[*instructions.ExposeCommand](final) {
			ports = append(ports, e.Ports...)
		}
		if !slices.Equal(ports, []string{port}) && !slices.Equal(ports, []string{port + "/tcp"}) {
			add("EXPOSE %v, want config.DefaultListen's port %s", ports, port)
		}
	}
	checkExec(add, "ENTRYPOINT", commandsOf[*instructions.EntrypointCommand](final), func(c *instructions.EntrypointCommand) instructions.ShellDependantCmdLine {
		return c.ShellDependantCmdLine
	}, []string{binaryPath})
	checkExec(add, "CMD", commandsOf[*instructions.CmdCommand](final), func(c *instructions.CmdCommand) instructions.ShellDependantCmdLine {
		return c.ShellDependantCmdLine
	}, []string{"serve", "--config", "/etc/headroom/headroom.yaml"})
	if hcs := commandsOf[*instructions.HealthCheckCommand](final); len(hcs) != 1 {
		add("runtime stage: %d HEALTHCHECK, want 1", len(hcs))
	} else {
		h := hcs[0].Health
		if want := []string{"CMD", binaryPath, "healthcheck"}; !slices.Equal(h.Test, want) {
			add("HEALTHCHECK %q, want exec form %q", h.Test, want)
		}
		if h.Timeout != 0 && h.Timeout <= healthcheckOwnTimeout {
			add("HEALTHCHECK --timeout=%s: want longer than the check's own %s", h.Timeout, healthcheckOwnTimeout)
		}
	}
	return problems
}

// nonRootNumeric reports whether u is uid:gid, both numbers, neither 0.
func nonRootNumeric(u string) bool {
	m := numericUser.FindStringSubmatch(u)
	if m == nil {
		return false
	}
	uid, err1 := strconv.Atoi(m[1])
	gid, err2 := strconv.Atoi(m[2])
	return err1 == nil && err2 == nil && uid != 0 && gid != 0
}

// checkExec requires exactly one instruction of cmds, in exec form (no
// shell: the base has none, and the binary must be PID 1 to receive
// SIGTERM), with the argv want.
func checkExec[T any](add func(string, ...any), name string, cmds []T, line func(T) instructions.ShellDependantCmdLine, want []string) {
	if len(cmds) != 1 {
		add("runtime stage: %d %s, want 1", len(cmds), name)
		return
	}
	l := line(cmds[0])
	if l.PrependShell {
		add("%s %q: shell form, want exec form (JSON array)", name, l.CmdLine)
	}
	if !slices.Equal(l.CmdLine, want) {
		add("%s %q, want %q", name, l.CmdLine, want)
	}
}

func readRepoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(srcRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDockerfile(t *testing.T) {
	src := readRepoFile(t, "deploy/Dockerfile")
	goMinor, err := goModMinor(readRepoFile(t, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if problems := checkDockerfile(src, goMinor); len(problems) > 0 {
		t.Fatalf("deploy/Dockerfile:\n  %s", strings.Join(problems, "\n  "))
	}

	// Each rule must be able to fail: break the file one way at a time
	// and expect the matching problem.
	mutants := []struct {
		name, old, new, want string
	}{
		{name: "three stages", old: "FROM gcr.io/", new: "FROM scratch AS extra\nFROM gcr.io/", want: "stages: 3"},
		{name: "other go minor", old: "golang:1.26-bookworm", new: "golang:1.25-bookworm", want: "go.mod says go " + goMinor},
		{name: "unpinned go", old: "golang:1.26-bookworm", new: "golang:latest", want: "want golang:<major.minor>-bookworm"},
		{name: "cgo on", old: "CGO_ENABLED=0 GOOS", new: "CGO_ENABLED=1 GOOS", want: "lacks CGO_ENABLED=0"},
		{name: "no trimpath", old: "go build -trimpath ", new: "go build ", want: "lack -trimpath"},
		{name: "unstripped", old: `"-s -w -X`, new: `"-X`, want: "-ldflags"},
		{name: "version default", old: "ARG VERSION=dev\nARG TARGETOS", new: "ARG VERSION=unknown\nARG TARGETOS", want: "ARG VERSION=dev"},
		{name: "two builds", old: "# scripts/release.sh", new: "RUN go build ./...\n# scripts/release.sh", want: "found 2"},
		{name: "full base", old: "static-debian12:nonroot", new: "base-debian12:nonroot", want: "runtime base"},
		{name: "root tag", old: "static-debian12:nonroot", new: "static-debian12:latest", want: "runtime base"},
		{name: "shell in runtime", old: "COPY --from=build", new: "RUN echo hi\nCOPY --from=build", want: "has 1 RUN"},
		{name: "copy elsewhere", old: "/out/headroom /headroom", new: "/out/headroom /usr/bin/headroom", want: "COPY --from=build"},
		{name: "root user", old: "USER 65532:65532", new: "USER 0:0", want: "numeric non-root"},
		{name: "named user", old: "USER 65532:65532", new: "USER nonroot", want: "numeric non-root"},
		{name: "no user", old: "USER 65532:65532\n", new: "", want: "no USER"},
		{name: "root-owned state", old: "--chown=65532:65532 /out/state", new: "/out/state", want: "writable by the USER"},
		{name: "state elsewhere", old: "WORKDIR /var/lib/headroom", new: "WORKDIR /", want: "WORKDIR /var/lib/headroom"},
		{name: "other port", old: "EXPOSE 9464", new: "EXPOSE 8080", want: "EXPOSE [8080]"},
		{name: "shell entrypoint", old: `ENTRYPOINT ["/headroom"]`, new: `ENTRYPOINT /headroom`, want: "shell form"},
		{name: "shell cmd", old: `CMD ["serve", "--config", "/etc/headroom/headroom.yaml"]`, new: `CMD serve --config /etc/headroom/headroom.yaml`, want: "CMD"},
		{name: "shell healthcheck", old: `CMD ["/headroom", "healthcheck"]`, new: `CMD /headroom healthcheck`, want: "CMD-SHELL"},
		{name: "short docker timeout", old: "--timeout=5s", new: "--timeout=2s", want: "want longer than"},
		{name: "lint finding", old: "AS build", new: "as build", want: "FromAsCasing"},
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			bad := strings.Replace(string(src), m.old, m.new, 1)
			if bad == string(src) {
				t.Fatalf("deploy/Dockerfile no longer contains %q: update this case", m.old)
			}
			problems := checkDockerfile([]byte(bad), goMinor)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, m.want) }) {
				t.Errorf("problems %q: none mentions %q", problems, m.want)
			}
		})
	}
}

func TestGoModMinor(t *testing.T) {
	tests := []struct {
		name, gomod, want string
		wantErr           bool
	}{
		{name: "patch", gomod: "module x\n\ngo 1.26.8\n", want: "1.26"},
		{name: "minor only", gomod: "module x\ngo 1.26\n", want: "1.26"},
		{name: "missing", gomod: "module x\n", wantErr: true},
		{name: "major only", gomod: "module x\ngo 1\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := goModMinor([]byte(tc.gomod))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDockerfileBinary builds the binary exactly as the builder stage
// does (its RUN line's environment and go arguments, expanded), for this
// host, and checks that the result is static and stamped.
func TestDockerfileBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("the image is linux; this host is %s", runtime.GOOS)
	}
	machine := hostELFMachine(t)
	df, problems := parseDockerfile(readRepoFile(t, "deploy/Dockerfile"))
	if df == nil || len(df.stages) == 0 {
		t.Fatalf("deploy/Dockerfile: %v", problems)
	}
	const version = "v0.0.0-dockerfile-test"
	line, err := findGoBuild(df.stages[0], []string{"VERSION=" + version, "TARGETOS=linux", "TARGETARCH=" + runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "headroom")
	args := slices.Clone(line.args)
	args[slices.Index(args, "-o")+1] = out
	buildHeadroom(t, line.env, args)

	requireStaticELF(t, out, machine)
	if got, want := runVersion(t, out), "headroom "+version+"\n"; got != want {
		t.Errorf("version printed %q, want %q", got, want)
	}
}
