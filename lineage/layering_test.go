package lineage_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The layering the README describes: the domain imports only the standard
// library, and the HTTP layer and the resolvers reach storage only through
// the Service, never by importing a backend.
func TestLayering(t *testing.T) {
	const module = "github.com/artigraph/artigraph/"
	rules := []struct {
		dir    string
		allows func(path string) bool
	}{
		{".", func(p string) bool { return !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") }},
		{"../api", func(p string) bool { return !strings.HasPrefix(p, module+"storage") }},
		{"../resolvers", func(p string) bool { return !strings.HasPrefix(p, module+"storage") }},
	}
	for _, r := range rules {
		files, err := filepath.Glob(filepath.Join(r.dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v %d files", r.dir, err, len(files))
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range parsed.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if !r.allows(p) {
					t.Errorf("%s imports %s", f, p)
				}
			}
		}
	}
}
