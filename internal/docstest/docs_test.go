package docstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
	"unicode"
)

// commandTimeout bounds one run of the built binary; the commands run
// here answer at once, so this is a failure deadline only.
const commandTimeout = 2 * time.Minute

// repoRoot returns the repository's root: the nearest parent with go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// docPages lists the pages checked, slash-separated and relative to the
// root of fsys: README.md, and every .md under docs/, deploy/ and
// terraform/.
func docPages(fsys fs.FS) ([]string, error) {
	var pages []string
	if _, err := fs.Stat(fsys, "README.md"); err == nil {
		pages = append(pages, "README.md")
	}
	for _, dir := range []string{"docs", "deploy", "terraform"} {
		err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return fs.SkipDir
				}
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".terraform") {
				return fs.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(p, ".md") {
				pages = append(pages, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", dir, err)
		}
	}
	return pages, nil
}

// readPages reads every page of the repository.
func readPages(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	pages, err := docPages(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 5 {
		t.Fatalf("found only %d pages (%v): is the root right?", len(pages), pages)
	}
	out := map[string]string{}
	for _, p := range pages {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		out[p] = string(b)
	}
	return out
}

// sortedKeys returns m's keys in order, so failures come out stably.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// --- Markdown ---------------------------------------------------------------

// block is one fenced code block.
type block struct {
	lang  string   // the info string's first word, lower case
	line  int      // line number of the first line of content
	lines []string // the content
}

// prose is one line outside fenced code blocks.
type prose struct {
	line int
	text string
}

var fenceRE = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})\\s*([^`\\s]*)")

// splitMarkdown separates a page into its fenced code blocks and the lines
// outside them. An unclosed fence runs to the end of the page, as
// CommonMark has it.
func splitMarkdown(text string) ([]block, []prose) {
	var blocks []block
	var lines []prose
	var cur *block
	var fence string
	for i, l := range strings.Split(text, "\n") {
		n := i + 1
		if cur == nil {
			if m := fenceRE.FindStringSubmatch(l); m != nil {
				fence = m[1]
				cur = &block{lang: strings.ToLower(m[2]), line: n + 1}
				continue
			}
			lines = append(lines, prose{line: n, text: l})
			continue
		}
		if t := strings.TrimSpace(l); strings.HasPrefix(t, fence[:1]) && strings.TrimLeft(t, fence[:1]) == "" && len(t) >= len(fence) {
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		cur.lines = append(cur.lines, l)
	}
	if cur != nil {
		blocks = append(blocks, *cur)
	}
	return blocks, lines
}

var (
	headingRE  = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	htmlIDRE   = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
	mdLinkRE   = regexp.MustCompile(`\[([^\]]*)\]\(([^)\s]*)`)
	emphasisRE = regexp.MustCompile("[*`]")
)

// slug is GitHub's anchor for a heading: the heading's text in lower case,
// every character but letters, digits, spaces, hyphens and underscores
// dropped, spaces turned into hyphens.
func slug(heading string) string {
	text := mdLinkRE.ReplaceAllString(heading, "$1")
	text = strings.ReplaceAll(text, "](", "")
	text = emphasisRE.ReplaceAllString(text, "")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns the anchors of a page: each heading's slug, repeated
// slugs numbered -1, -2, ... as GitHub does, and HTML name/id anchors.
func anchors(text string) map[string]bool {
	_, lines := splitMarkdown(text)
	seen := map[string]int{}
	out := map[string]bool{}
	for _, l := range lines {
		for _, m := range htmlIDRE.FindAllStringSubmatch(l.text, -1) {
			out[m[1]] = true
		}
		m := headingRE.FindStringSubmatch(l.text)
		if m == nil {
			continue
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

var (
	codeSpanRE = regexp.MustCompile("`+[^`]*`+")
	refDefRE   = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*(\S+)`)
	schemeRE   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// link is one link target on a page.
type link struct {
	line   int
	target string
}

// links returns the targets of a page's inline links, images and
// reference definitions, outside code.
func links(text string) []link {
	_, lines := splitMarkdown(text)
	var out []link
	for _, l := range lines {
		if m := refDefRE.FindStringSubmatch(l.text); m != nil {
			out = append(out, link{l.line, strings.Trim(m[1], "<>")})
			continue
		}
		plain := codeSpanRE.ReplaceAllString(l.text, "")
		for _, m := range mdLinkRE.FindAllStringSubmatch(plain, -1) {
			out = append(out, link{l.line, strings.Trim(m[2], "<>")})
		}
	}
	return out
}

// checkLinks reports every relative link of page (a path in fsys) that
// does not resolve to a file or directory, and every anchor that names no
// heading of its Markdown page.
func checkLinks(fsys fs.FS, page string) []string {
	b, err := fs.ReadFile(fsys, page)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", page, err)}
	}
	var problems []string
	for _, l := range links(string(b)) {
		if l.target == "" || schemeRE.MatchString(l.target) || strings.HasPrefix(l.target, "//") {
			continue
		}
		target, frag, _ := strings.Cut(l.target, "#")
		if unescaped, err := url.PathUnescape(target); err == nil {
			target = unescaped
		}
		resolved := page
		if target != "" {
			if path.IsAbs(target) {
				resolved = strings.TrimPrefix(path.Clean(target), "/")
			} else {
				resolved = path.Join(path.Dir(page), target)
			}
			if !fs.ValidPath(resolved) {
				problems = append(problems, fmt.Sprintf("%s:%d: link %q leaves the repository", page, l.line, l.target))
				continue
			}
			if _, err := fs.Stat(fsys, resolved); err != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: link %q: no file %s", page, l.line, l.target, resolved))
				continue
			}
		}
		if frag == "" || !strings.HasSuffix(resolved, ".md") {
			continue
		}
		tb, err := fs.ReadFile(fsys, resolved)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: link %q: %v", page, l.line, l.target, err))
			continue
		}
		if !anchors(string(tb))[strings.ToLower(frag)] {
			problems = append(problems, fmt.Sprintf("%s:%d: link %q: %s has no heading with anchor #%s", page, l.line, l.target, resolved, frag))
		}
	}
	return problems
}

// --- shell -------------------------------------------------------------------

// shellLangs are the fenced blocks read as shell. A console block's
// commands are its lines that start with a "$ " prompt.
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true, "zsh": true, "console": true}

// command is one simple command from a shell block: its words, with
// environment assignments, redirections and quotes taken off.
type command struct {
	line  int
	words []string
}

// commands returns the simple commands of a shell block, one for each
// segment of a pipeline or list. Unlabelled blocks are output, not shell.
func commands(b block) []command {
	if !shellLangs[b.lang] {
		return nil
	}
	var out []command
	var joined strings.Builder
	start := 0
	inCmd := false
	for i, l := range b.lines {
		n := b.line + i
		if !inCmd {
			if b.lang == "console" {
				t := strings.TrimLeft(l, " ")
				if !strings.HasPrefix(t, "$ ") {
					continue
				}
				l = strings.TrimPrefix(t, "$ ")
			}
			start = n
			inCmd = true
			joined.Reset()
		}
		if strings.HasSuffix(l, `\`) {
			joined.WriteString(strings.TrimSuffix(l, `\`))
			joined.WriteString(" ")
			continue
		}
		joined.WriteString(l)
		inCmd = false
		for _, seg := range split(joined.String()) {
			out = append(out, command{line: start, words: seg})
		}
	}
	return out
}

var assignRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// split turns one shell line into the words of its simple commands:
// quotes and backslashes are honoured, a word starting with # begins a
// comment, |, ||, &&, ;, &, (, ), $( and backquotes separate commands,
// redirections are dropped with their targets, and leading VAR=value
// assignments are dropped.
func split(line string) [][]string {
	var segs [][]string
	var words []string
	var w strings.Builder
	inWord := false
	skipNext := false // the next word is a redirection's target
	endWord := func() {
		if inWord {
			if skipNext {
				skipNext = false
			} else {
				words = append(words, w.String())
			}
		}
		w.Reset()
		inWord = false
	}
	endSeg := func() {
		endWord()
		for len(words) > 0 && assignRE.MatchString(words[0]) {
			words = words[1:]
		}
		if len(words) > 0 {
			segs = append(segs, words)
		}
		words = nil
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\\' && i+1 < len(rs):
			i++
			w.WriteRune(rs[i])
			inWord = true
		case r == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			w.WriteString(string(rs[i+1 : min(j, len(rs))]))
			inWord = true
			i = j
		case r == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				w.WriteRune(rs[j])
				j++
			}
			inWord = true
			i = j
		case r == '#' && !inWord:
			endSeg()
			return segs
		case r == ' ' || r == '\t':
			endWord()
		case r == '|' || r == ';' || r == '&' || r == '(' || r == ')' || r == '`':
			endSeg()
		case r == '$' && i+1 < len(rs) && rs[i+1] == '(':
			endSeg()
			i++
		case r == '<' || r == '>':
			// A file descriptor number written against the operator
			// (2>&1) is part of it.
			if inWord && strings.Trim(w.String(), "0123456789") == "" {
				w.Reset()
				inWord = false
			}
			endWord()
			op := string(r)
			for i+1 < len(rs) && strings.ContainsRune("<>&0123456789-", rs[i+1]) {
				i++
				op += string(rs[i])
			}
			// "2>&1" and ">&-" name a descriptor, not a file: no target
			// word follows them.
			if !strings.ContainsAny(strings.TrimLeft(op, "<>"), "&") || strings.HasSuffix(op, "&") {
				skipNext = true
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	endSeg()
	return segs
}

// headroomArgs returns the arguments of a command that runs Headroom's
// binary: headroom, bin/headroom, ./bin/headroom or go run ./cmd/headroom.
func headroomArgs(words []string) ([]string, bool) {
	if len(words) == 0 {
		return nil, false
	}
	switch words[0] {
	case "headroom", "bin/headroom", "./bin/headroom", "./headroom":
		return words[1:], true
	case "go":
		if len(words) >= 3 && words[1] == "run" && strings.TrimSuffix(words[2], "/") == "./cmd/headroom" {
			return words[3:], true
		}
	}
	return nil, false
}

// --- the CLI -----------------------------------------------------------------

// cli is a command of the binary as its own help describes it: a group of
// subcommands, or a leaf with flags.
type cli struct {
	path []string
	// subs are the subcommands of a group; nil for a leaf.
	subs map[string]*cli
	// flags maps a leaf's flag names to whether the flag takes a value.
	flags map[string]bool
}

var (
	groupUsageRE = regexp.MustCompile(`(?m)^usage: headroom\b.*<command>`)
	subRE        = regexp.MustCompile(`^( +)([a-z][a-z0-9-]*)(\s|$)`)
	flagLineRE   = regexp.MustCompile(`^ {2}-([A-Za-z0-9][\w.-]*)(?: (\S+))?$`)
)

// parseHelp reads the help a command printed: a group's list of
// subcommands (the least indented names after a "usage: headroom ...
// <command>" line), or a leaf's flags as the flag package prints them
// ("  -name type" for flags that take a value, "  -name" for booleans).
func parseHelp(path []string, help string) *cli {
	c := &cli{path: path}
	if groupUsageRE.MatchString(help) {
		c.subs = map[string]*cli{}
		indent := 0
		for _, l := range strings.Split(help, "\n") {
			m := subRE.FindStringSubmatch(l)
			if m == nil || strings.HasPrefix(l, "usage:") {
				continue
			}
			if indent == 0 || len(m[1]) < indent {
				indent = len(m[1])
				c.subs = map[string]*cli{}
			}
			if len(m[1]) == indent {
				c.subs[m[2]] = nil
			}
		}
		return c
	}
	c.flags = map[string]bool{}
	for _, l := range strings.Split(help, "\n") {
		if m := flagLineRE.FindStringSubmatch(l); m != nil {
			c.flags[m[1]] = m[2] != ""
		}
	}
	return c
}

// loader reads a command's help by running the binary; it is the one
// place the model meets the binary.
type loader func(args ...string) string

// sub returns the subcommand name of c, loading its help on first use.
func (c *cli) sub(name string, load loader) *cli {
	s, ok := c.subs[name]
	if !ok {
		return nil
	}
	if s == nil {
		p := append(slices.Clone(c.path), name)
		s = parseHelp(p, load(append(slices.Clone(p), "-h")...))
		c.subs[name] = s
	}
	return s
}

// isFlag reports whether a word is a flag (not "-" and not a negative
// number).
func isFlag(w string) bool {
	return len(w) > 1 && w[0] == '-' && !(w[1] >= '0' && w[1] <= '9')
}

// flagName is a flag word's name: "--ttl=30m" -> "ttl".
func flagName(w string) (string, bool) {
	name := strings.TrimLeft(w, "-")
	name, _, hasValue := strings.Cut(name, "=")
	return name, hasValue
}

// isPlaceholder reports whether a word stands for something the reader
// fills in (NAME, <command>, ...): nothing past it can be checked.
func isPlaceholder(w string) bool {
	return w == "..." || strings.ContainsAny(w, "<>") || (strings.ToUpper(w) == w && strings.ToLower(w) != w)
}

// helpWord reports whether a word asks for help, which every command takes.
func helpWord(w string) bool {
	return w == "-h" || w == "--help" || w == "-help" || w == "help"
}

// check reports whether args name an existing command with flags it
// accepts. Square brackets around optional words are taken off. Flags
// before a subcommand (ctl's global flags) are checked against the leaf
// the subcommands lead to.
func (c *cli) check(args []string, load loader) error {
	var words []string
	for _, a := range args {
		a = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")
		if a != "" {
			words = append(words, a)
		}
	}
	node := c
	var early []string
	i := 0
	for node.subs != nil {
		if i >= len(words) {
			return fmt.Errorf("headroom %s needs a subcommand", strings.Join(node.path, " "))
		}
		w := words[i]
		switch {
		case helpWord(w):
			return nil
		case isFlag(w):
			early = append(early, w)
			_, inline := flagName(w)
			if !inline && i+1 < len(words) && !isFlag(words[i+1]) {
				if _, isSub := node.subs[words[i+1]]; !isSub {
					i++
				}
			}
			i++
			continue
		case isPlaceholder(w):
			return nil
		}
		next := node.sub(w, load)
		if next == nil {
			return fmt.Errorf("headroom %s: no command %q (have %s)", strings.Join(node.path, " "), w, strings.Join(sortedKeys(node.subs), ", "))
		}
		node = next
		i++
	}
	where := "headroom " + strings.Join(node.path, " ")
	for _, w := range early {
		if name, _ := flagName(w); !helpWord("-" + name) {
			if _, ok := node.flags[name]; !ok {
				return fmt.Errorf("%s: no flag --%s", where, name)
			}
		}
	}
	for ; i < len(words); i++ {
		w := words[i]
		if !isFlag(w) {
			continue
		}
		if w == "--" {
			break
		}
		name, inline := flagName(w)
		if helpWord("-" + name) {
			continue
		}
		takesValue, ok := node.flags[name]
		if !ok {
			return fmt.Errorf("%s: no flag --%s (have %s)", where, name, flagList(node.flags))
		}
		if takesValue && !inline {
			if i+1 >= len(words) {
				return fmt.Errorf("%s: flag --%s needs a value", where, name)
			}
			i++
		}
	}
	return nil
}

func flagList(flags map[string]bool) string {
	if len(flags) == 0 {
		return "none"
	}
	names := sortedKeys(flags)
	for i, n := range names {
		names[i] = "--" + n
	}
	return strings.Join(names, ", ")
}

// --- make --------------------------------------------------------------------

var ruleRE = regexp.MustCompile(`(?m)^([A-Za-z0-9][\w.-]*)\s*:([^=]|$)`)

// makeTargets returns the rules a Makefile defines.
func makeTargets(makefile string) map[string]bool {
	out := map[string]bool{}
	for _, m := range ruleRE.FindAllStringSubmatch(makefile, -1) {
		out[m[1]] = true
	}
	return out
}

// makeUse is one `make TARGET` in the docs.
type makeUse struct {
	line   int
	target string
}

// makeUses returns every target named by `make ...` in a page's fenced
// shell blocks and inline code spans. VAR=value arguments and flags are
// not targets.
func makeUses(text string) []makeUse {
	blocks, lines := splitMarkdown(text)
	var out []makeUse
	add := func(line int, words []string) {
		if len(words) == 0 || words[0] != "make" {
			return
		}
		for _, w := range words[1:] {
			if isFlag(w) || strings.Contains(w, "=") || isPlaceholder(w) {
				continue
			}
			out = append(out, makeUse{line, w})
		}
	}
	for _, b := range blocks {
		for _, c := range commands(b) {
			add(c.line, c.words)
		}
	}
	for _, l := range lines {
		for _, span := range codeSpanRE.FindAllString(l.text, -1) {
			code := strings.Trim(span, "`")
			if strings.HasPrefix(code, "make ") {
				for _, seg := range split(code) {
					add(l.line, seg)
				}
			}
		}
	}
	return out
}

// --- YAML configs ------------------------------------------------------------

var groupsKeyRE = regexp.MustCompile(`(?m)^groups:`)

// configBlock is a ```yaml block that is a whole Headroom config.
type configBlock struct {
	line int
	text string
}

// configBlocks returns a page's YAML blocks with a top-level groups key.
func configBlocks(text string) []configBlock {
	blocks, _ := splitMarkdown(text)
	var out []configBlock
	for _, b := range blocks {
		if b.lang != "yaml" && b.lang != "yml" {
			continue
		}
		body := strings.Join(b.lines, "\n") + "\n"
		if groupsKeyRE.MatchString(body) {
			out = append(out, configBlock{b.line, body})
		}
	}
	return out
}

// --- tests of the checkers ---------------------------------------------------

func TestCheckersCatchBrokenLinks(t *testing.T) {
	fsys := fstest.MapFS{
		"README.md": {Data: []byte("# Headroom\n\n## Use it on AWS\n\n## Use it on AWS\n\n### State: `store` and `api`\n\n## 4–5. Floors and bounds\n")},
		"docs/a.md": {Data: []byte("# A\n")},
		"deploy/x":  {Data: []byte("x")},
	}
	tests := []struct {
		name string
		page string
		want string // a substring of the one problem; empty: no problem
	}{
		{name: "file exists", page: "[a](a.md)"},
		{name: "file missing", page: "[b](b.md)", want: "no file docs/b.md"},
		{name: "parent directory", page: "[r](../README.md)"},
		{name: "directory", page: "[d](../deploy/)"},
		{name: "anchor", page: "[r](../README.md#use-it-on-aws)"},
		{name: "repeated heading", page: "[r](../README.md#use-it-on-aws-1)"},
		{name: "code in heading", page: "[r](../README.md#state-store-and-api)"},
		{name: "punctuation in heading", page: "[r](../README.md#45-floors-and-bounds)"},
		{name: "anchor missing", page: "[r](../README.md#use-it-on-gcp)", want: "no heading with anchor #use-it-on-gcp"},
		{name: "same page anchor", page: "# Title\n[t](#title)"},
		{name: "same page anchor missing", page: "# Title\n[t](#other)", want: "#other"},
		{name: "external link", page: "[e](https://example.com/x.md)"},
		{name: "link in code is not a link", page: "`[b](b.md)`\n```\n[c](c.md)\n```"},
		{name: "reference definition", page: "[b]: missing.md", want: "no file docs/missing.md"},
		{name: "leaves the repository", page: "[x](../../x.md)", want: "leaves the repository"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := maps(fsys, "docs/page.md", tc.page)
			got := checkLinks(fsys, "docs/page.md")
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("problems %q, want one containing %q", got, tc.want)
			}
		})
	}
}

// maps returns a copy of fsys with one more file.
func maps(fsys fstest.MapFS, name, text string) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range fsys {
		out[k] = v
	}
	out[name] = &fstest.MapFile{Data: []byte(text)}
	return out
}

// fakeHelp is the help of a small CLI shaped like Headroom's.
func fakeHelp(args ...string) string {
	switch strings.Join(args, " ") {
	case "help":
		return "usage: headroom <command> [flags]\n\n  serve     run\n  ctl       call\n  token     tokens\n  version   print\n\nRun 'headroom <command> -h'.\n"
	case "serve -h":
		return "Usage of headroom serve:\n  -config string\n    \tconfig file\n  -replica-id string\n    \tname\n"
	case "version -h":
		return "Usage of headroom version:\n"
	case "ctl -h":
		return "usage: headroom ctl <command> [flags]\n\n  group      show\n  boost      manage\n    create   create\n    list     list\n\nExit codes:\n  0  ok\n"
	case "ctl group -h":
		return "usage: headroom ctl group NAME\n\nflags:\n  -output string\n    \tformat\n  -server string\n    \turl\n"
	case "ctl boost -h":
		return "usage: headroom ctl boost <command> [flags]\n\n  create     create\n  list       list\n"
	case "ctl boost list -h":
		return "usage: headroom ctl boost list [--all]\n\nflags:\n  -all\n    \tevery one\n  -output string\n    \tformat\n"
	case "ctl boost create -h":
		return "usage: headroom ctl boost create\n\nflags:\n  -cap-at-max\n    \tcap\n  -name string\n    \tname\n"
	case "token -h":
		return "usage: headroom token <command>\n\n  hash [TOKEN]  print\n                without TOKEN, stdin\n  new           new\n"
	case "token hash -h", "token new -h":
		return "headroom token: unexpected arguments\n"
	}
	return "unknown\n"
}

func TestCheckersCatchBadCommands(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string // a substring of the error; empty: valid
	}{
		{name: "leaf with flags", line: "headroom serve --config headroom.yaml --replica-id a"},
		{name: "flag with =", line: "bin/headroom serve --config=headroom.yaml"},
		{name: "go run", line: "go run ./cmd/headroom version"},
		{name: "unknown command", line: "headroom serf --config x", want: `no command "serf"`},
		{name: "unknown flag", line: "headroom serve --conifg x", want: "no flag --conifg"},
		{name: "flag of another command", line: "headroom version --config x", want: "no flag --config"},
		{name: "nested", line: "headroom ctl boost list --all"},
		{name: "optional in brackets", line: "headroom ctl boost list [--all]"},
		{name: "bool flag then argument", line: "headroom ctl boost create --cap-at-max --name x"},
		{name: "unknown subcommand", line: "headroom ctl boost delete b-1", want: `no command "delete"`},
		{name: "group without subcommand", line: "headroom ctl boost", want: "needs a subcommand"},
		{name: "global flag before the subcommand", line: "headroom ctl --output json group web"},
		{name: "bad flag before the subcommand", line: "headroom ctl --colour json group web", want: "no flag --colour"},
		{name: "placeholder", line: "headroom ctl group NAME --output json"},
		{name: "help", line: "headroom ctl boost --help"},
		{name: "token hash", line: "headroom token hash 's3cret'"},
		{name: "token bad", line: "headroom token rotate", want: `no command "rotate"`},
		{name: "env and pipe", line: "HEADROOM_URL=x headroom ctl group web --output json | jq ."},
		{name: "comment", line: "headroom version   # --nonsense"},
		{name: "redirect", line: "headroom token hash < token.txt"},
		{name: "value missing", line: "headroom serve --config", want: "needs a value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := parseHelp(nil, fakeHelp("help"))
			cmds := commands(block{lang: "sh", line: 1, lines: []string{tc.line}})
			var err error
			found := false
			for _, c := range cmds {
				args, ok := headroomArgs(c.words)
				if !ok {
					continue
				}
				found = true
				if err = root.check(args, fakeHelp); err != nil {
					break
				}
			}
			if !found {
				t.Fatalf("no headroom command found in %q (commands %v)", tc.line, cmds)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("check: %v, want valid", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("check: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckersSplitShell(t *testing.T) {
	tests := []struct {
		name  string
		lang  string
		lines []string
		want  [][]string
	}{
		{name: "console prompt and output", lang: "console", lines: []string{"$ headroom token new", "token:  abc", "$ echo $?"},
			want: [][]string{{"headroom", "token", "new"}, {"echo", "$?"}}},
		{name: "continuation", lang: "sh", lines: []string{`bin/headroom ctl boost create --name year-end \`, `    --reason "CEO email 09:00"`},
			want: [][]string{{"bin/headroom", "ctl", "boost", "create", "--name", "year-end", "--reason", "CEO email 09:00"}}},
		{name: "assignments, substitution", lang: "sh", lines: []string{"export A=1 B=$(cat ~/.t)"},
			want: [][]string{{"export", "A=1", "B="}, {"cat", "~/.t"}}},
		{name: "stderr to stdout", lang: "sh", lines: []string{"make test 2>&1 | tee out"},
			want: [][]string{{"make", "test"}, {"tee", "out"}}},
		{name: "not shell", lang: "yaml", lines: []string{"headroom: x"}},
		{name: "unlabelled block is output", lang: "", lines: []string{"headroom 406.20 1.17"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [][]string
			for _, c := range commands(block{lang: tc.lang, line: 1, lines: tc.lines}) {
				got = append(got, c.words)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("commands = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckersCatchMissingMakeTargets(t *testing.T) {
	targets := makeTargets("help: ## list\n\t@grep\nbuild: ## build\nSIM_OUT ?= x\nVERSION := 1\n$(TESTENV)/x: y\n")
	tests := []struct {
		name string
		page string
		want []string // targets named
	}{
		{name: "fenced", page: "```sh\nmake build    # the binary\n```", want: []string{"build"}},
		{name: "inline", page: "Run `make help` first.", want: []string{"help"}},
		{name: "variables are not targets", page: "```sh\nmake -j2 soak SOAK_RUNS=10\n```", want: []string{"soak"}},
		{name: "prose is not code", page: "make sure of it", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, u := range makeUses(tc.page) {
				got = append(got, u.target)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("targets %q, want %q", got, tc.want)
			}
		})
	}
	for _, name := range []string{"help", "build"} {
		if !targets[name] {
			t.Errorf("makeTargets misses %q: %v", name, targets)
		}
	}
	for _, name := range []string{"SIM_OUT", "VERSION", "soak"} {
		if targets[name] {
			t.Errorf("makeTargets has %q, which is not a rule", name)
		}
	}
}

// --- tests of the repository's docs ------------------------------------------

func TestLinks(t *testing.T) {
	root := repoRoot(t)
	fsys := os.DirFS(root)
	pages := readPages(t, fsys)
	for _, p := range sortedKeys(pages) {
		t.Run(p, func(t *testing.T) {
			for _, problem := range checkLinks(fsys, p) {
				t.Error(problem)
			}
		})
	}
}

func TestMakeTargets(t *testing.T) {
	root := repoRoot(t)
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := makeTargets(string(mk))
	pages := readPages(t, os.DirFS(root))
	for _, p := range sortedKeys(pages) {
		t.Run(p, func(t *testing.T) {
			for _, u := range makeUses(pages[p]) {
				if !targets[u.target] {
					t.Errorf("%s:%d: make %s: no such target in the Makefile (have %s)", p, u.line, u.target, strings.Join(sortedKeys(targets), ", "))
				}
			}
		})
	}
}

func TestScripts(t *testing.T) {
	root := repoRoot(t)
	pages := readPages(t, os.DirFS(root))
	for _, p := range sortedKeys(pages) {
		blocks, _ := splitMarkdown(pages[p])
		for _, b := range blocks {
			for _, c := range commands(b) {
				script := strings.TrimPrefix(c.words[0], "./")
				if !strings.HasPrefix(script, "scripts/") {
					continue
				}
				if _, err := os.Stat(filepath.Join(root, script)); err != nil {
					t.Errorf("%s:%d: %s: %v", p, c.line, c.words[0], err)
				}
			}
		}
	}
}

// binary builds cmd/headroom into dir and returns a loader that runs it
// with -h style arguments, and the binary's path.
func binary(t *testing.T, root, dir string) (string, loader) {
	t.Helper()
	bin := filepath.Join(dir, "headroom")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/headroom")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/headroom: %v\n%s", err, out)
	}
	var mu sync.Mutex
	cache := map[string]string{}
	load := func(args ...string) string {
		key := strings.Join(args, "\x00")
		mu.Lock()
		defer mu.Unlock()
		if out, ok := cache[key]; ok {
			return out
		}
		out, _ := runBinary(bin, root, nil, args...)
		cache[key] = out
		return out
	}
	return bin, load
}

// runBinary runs bin in dir with args and no network endpoints set, and
// returns its combined output and error.
func runBinary(bin, dir string, stdin []byte, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	// A documented command run here must not reach a real server or AWS:
	// point everything at a port nothing listens on.
	cmd.Env = append(os.Environ(), "HEADROOM_URL=http://127.0.0.1:1", "AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// invocation is one documented run of the binary.
type invocation struct {
	page string
	line int
	args []string
}

func (inv invocation) String() string {
	return fmt.Sprintf("%s:%d: headroom %s", inv.page, inv.line, strings.Join(inv.args, " "))
}

// invocations returns every run of the binary in the pages' shell blocks.
func invocations(pages map[string]string) []invocation {
	var out []invocation
	for _, p := range sortedKeys(pages) {
		blocks, _ := splitMarkdown(pages[p])
		for _, b := range blocks {
			for _, c := range commands(b) {
				if args, ok := headroomArgs(c.words); ok {
					out = append(out, invocation{p, c.line, args})
				}
			}
		}
	}
	return out
}

// safe reports whether a documented invocation only reads local state and
// can be run here: version, simulate --list, token new, token hash TOKEN,
// and validate of a config file in the repository.
func safe(root string, args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "version":
		return true
	case "simulate":
		return slices.Contains(args, "--list")
	case "token":
		return len(args) == 2 && args[1] == "new" || len(args) == 3 && args[1] == "hash"
	case "validate":
		for i, a := range args {
			name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if name != "config" || !isFlag(a) {
				continue
			}
			if !inline && i+1 < len(args) {
				value = args[i+1]
			}
			if value == "" || filepath.IsAbs(value) {
				return false
			}
			_, err := os.Stat(filepath.Join(root, value))
			return err == nil
		}
	}
	return false
}

func TestAgainstBinary(t *testing.T) {
	root := repoRoot(t)
	bin, load := binary(t, root, t.TempDir())
	pages := readPages(t, os.DirFS(root))
	invs := invocations(pages)
	if len(invs) < 10 {
		t.Fatalf("found only %d documented invocations of headroom: is the shell parsing right?", len(invs))
	}
	cli := parseHelp(nil, load("help"))
	for _, want := range []string{"serve", "validate", "ctl", "version"} {
		if _, ok := cli.subs[want]; !ok {
			t.Fatalf("`headroom help` lists no %q: cannot read the command table from:\n%s", want, load("help"))
		}
	}

	t.Run("commands", func(t *testing.T) {
		for _, inv := range invs {
			if err := cli.check(inv.args, load); err != nil {
				t.Errorf("%s: %v", inv, err)
			}
		}
		t.Logf("checked %d documented invocations", len(invs))
	})

	t.Run("configs", func(t *testing.T) {
		type cfg struct {
			where string
			text  string
		}
		example, err := os.ReadFile(filepath.Join(root, "docs", "examples", "headroom.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		cfgs := []cfg{{"docs/examples/headroom.yaml", string(example)}}
		for _, p := range sortedKeys(pages) {
			for _, b := range configBlocks(pages[p]) {
				cfgs = append(cfgs, cfg{fmt.Sprintf("%s:%d", p, b.line), b.text})
			}
		}
		if len(cfgs) < 3 {
			t.Fatalf("found only %d configs in the docs", len(cfgs))
		}
		t.Logf("validating %d configs", len(cfgs))
		dir := t.TempDir()
		for i, c := range cfgs {
			t.Run(c.where, func(t *testing.T) {
				f := filepath.Join(dir, fmt.Sprintf("config-%d.yaml", i))
				if err := os.WriteFile(f, []byte(c.text), 0o600); err != nil {
					t.Fatal(err)
				}
				if out, err := runBinary(bin, root, nil, "validate", "--config", f); err != nil {
					t.Errorf("%s: headroom validate: %v\n%s", c.where, err, out)
				}
			})
		}
	})

	t.Run("safe commands", func(t *testing.T) {
		ran := 0
		for _, inv := range invs {
			if !safe(root, inv.args) {
				continue
			}
			ran++
			if out, err := runBinary(bin, root, nil, inv.args...); err != nil {
				t.Errorf("%s: %v\n%s", inv, err, out)
			}
		}
		t.Logf("ran %d safe invocations", ran)
		if ran == 0 {
			t.Error("no documented command was safe to run: is the docs' `headroom version` gone?")
		}
	})
}
