package scenario

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// builtinFS holds the built-in scenarios and the traces they replay.
//
//go:embed builtin/*.yaml builtin/traces/*.csv
var builtinFS embed.FS

// ErrUnknown is the error Builtin and Open wrap when a name is neither a
// built-in scenario nor a file.
var ErrUnknown = errors.New("unknown scenario")

// BuiltinNames returns the names of the built-in scenarios, sorted.
func BuiltinNames() []string {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Builtin returns a fresh copy of the built-in scenario name.
func Builtin(name string) (*Scenario, error) {
	if !slices.Contains(BuiltinNames(), name) {
		return nil, fmt.Errorf("%w %q: built-in scenarios are %s", ErrUnknown, name, strings.Join(BuiltinNames(), ", "))
	}
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("built-in scenario %q: %w", name, err)
	}
	return parse(data, name, func(file string) (string, []byte, error) {
		p := path.Join("builtin", file)
		if path.IsAbs(file) || !fs.ValidPath(p) {
			return p, nil, fmt.Errorf("built-in traces live under builtin/: %w", fs.ErrNotExist)
		}
		b, err := builtinFS.ReadFile(p)
		return p, b, err
	})
}

// Open returns the built-in scenario nameOrPath or, when it names a file
// (it has a path separator or a .yaml/.yml extension, or no built-in has
// that name), the scenario file there.
func Open(nameOrPath string) (*Scenario, error) {
	looksLikePath := strings.ContainsAny(nameOrPath, `/\`) ||
		strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml")
	if !looksLikePath && slices.Contains(BuiltinNames(), nameOrPath) {
		return Builtin(nameOrPath)
	}
	if _, err := os.Stat(nameOrPath); err != nil {
		if errors.Is(err, fs.ErrNotExist) && !looksLikePath {
			return nil, fmt.Errorf("%w %q: not a file, and built-in scenarios are %s",
				ErrUnknown, nameOrPath, strings.Join(BuiltinNames(), ", "))
		}
		return nil, fmt.Errorf("open scenario %q: %w", nameOrPath, err)
	}
	return LoadFile(nameOrPath)
}
