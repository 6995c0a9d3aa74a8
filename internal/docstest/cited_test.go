package docstest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// citedDocRE matches a Markdown page a comment cites, with an optional
// anchor: docs/policies.md, README.md#commands.
var citedDocRE = regexp.MustCompile(`(?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_.-]+\.md(?:#[A-Za-z0-9_-]+)?`)

// TestCommentsCiteDocsThatExist: every Markdown page a Go comment cites
// (by path from the repository's root, or from the file's own directory)
// is in the repository, and its anchor, if any, is a heading of the page.
// Addresses (anything with "://") are not pages of the repository.
func TestCommentsCiteDocsThatExist(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	pages := map[string]string{}
	checked := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		for _, group := range f.Comments {
			for _, c := range group.List {
				for _, word := range strings.Fields(c.Text) {
					if strings.Contains(word, "://") {
						continue
					}
					for _, cited := range citedDocRE.FindAllString(word, -1) {
						checked++
						page, anchor, _ := strings.Cut(cited, "#")
						path := filepath.Join(root, page)
						if _, err := os.Stat(path); err != nil {
							path = filepath.Join(filepath.Dir(p), page)
						}
						text, ok := pages[path]
						if !ok {
							b, err := os.ReadFile(path)
							if err != nil {
								t.Errorf("%s:%d: cites %s, which is not in the repository", rel, fset.Position(c.Slash).Line, page)
								continue
							}
							text = string(b)
							pages[path] = text
						}
						if anchor != "" && !anchors(text)[anchor] {
							t.Errorf("%s:%d: cites %s, which has no heading #%s", rel, fset.Position(c.Slash).Line, cited, anchor)
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no comment cites a page: the pattern is broken")
	}
	t.Logf("checked %d citations", checked)
}
