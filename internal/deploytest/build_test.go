package deploytest

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// srcRoot is the repository root as seen from this package's directory,
// where `go test` runs its tests.
const srcRoot = "../.."

// goCommand returns the go tool, or skips the test when there is none.
func goCommand(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go tool not found: %v", err)
		}
		t.Skipf("go tool not found: %v", err)
	}
	return goBin
}

// buildHeadroom runs `go <args>` in the repository root with env added to
// the test's environment, and fails the test with go's output on error.
func buildHeadroom(t *testing.T, env []string, args []string) {
	t.Helper()
	cmd := exec.Command(goCommand(t), args...)
	cmd.Dir = srcRoot
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// requireStaticELF fails unless path is a Linux ELF executable for
// machine that needs no dynamic loader and no shared library (what a
// distroless/static image or a bare EC2 host can run), built with -s -w
// (no symbol table, no DWARF).
func requireStaticELF(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("open %s as ELF: %v", path, err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s: machine %v, want %v", filepath.Base(path), f.Machine, machine)
	}
	if f.Type != elf.ET_EXEC {
		t.Errorf("%s: type %v, want %v (a position-dependent static executable)", filepath.Base(path), f.Type, elf.ET_EXEC)
	}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			t.Errorf("%s: has PT_INTERP: needs a dynamic loader", filepath.Base(path))
		case elf.PT_DYNAMIC:
			t.Errorf("%s: has PT_DYNAMIC: dynamically linked", filepath.Base(path))
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatalf("%s: read DT_NEEDED: %v", filepath.Base(path), err)
	}
	if len(libs) > 0 {
		t.Errorf("%s: needs shared libraries %v", filepath.Base(path), libs)
	}
	for _, name := range []string{".symtab", ".debug_info", ".zdebug_info"} {
		if f.Section(name) != nil {
			t.Errorf("%s: has section %s: not built with -ldflags \"-s -w\"", filepath.Base(path), name)
		}
	}
}

// hostELFMachine is the ELF machine of binaries this host can run.
func hostELFMachine(t *testing.T) elf.Machine {
	t.Helper()
	m, ok := elfMachines[runtime.GOARCH]
	if !ok {
		t.Skipf("no ELF machine known for GOARCH %s", runtime.GOARCH)
	}
	return m
}

// elfMachines maps the release's GOARCH values to their ELF machines.
var elfMachines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64,
	"arm64": elf.EM_AARCH64,
}

// runVersion runs the binary's `version` command and returns its output.
func runVersion(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", bin, err, out)
	}
	return string(out)
}
