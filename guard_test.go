package parley_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "parley.dev/parley"

// pkgImports maps each package directory (relative, "." for the root) to the imports of its
// non-test files, and records whether any file carries a package doc comment.
func pkgImports(t *testing.T) (imports map[string][]string, documented map[string]bool) {
	t.Helper()
	imports = map[string][]string{}
	documented = map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package "+f.Name.Name) ||
			f.Doc != nil && f.Name.Name == "main" && strings.HasPrefix(f.Doc.Text(), "Command ") {
			documented[dir] = true
		} else if _, ok := documented[dir]; !ok {
			documented[dir] = false
		}
		imports[dir] = append(imports[dir], []string{}...) // a package whose files import nothing
		for _, imp := range f.Imports {
			imports[dir] = append(imports[dir], strings.Trim(imp.Path.Value, `"`))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports, documented
}

// TestPackagesHaveDocComments fails when a package has no doc comment ("Package x …", or
// "Command x …" for a main package).
func TestPackagesHaveDocComments(t *testing.T) {
	_, documented := pkgImports(t)
	var missing []string
	for dir, ok := range documented {
		if !ok {
			missing = append(missing, dir)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("packages without a doc comment: %v", missing)
	}
}

// adapters are the packages named after a technology. Domain and service packages must not
// import them: wiring happens only in cmd/parley.
var adapters = []string{"sqldb", "sqlite", "postgres", "keydir", "file", "sip", "web", "cmd"}

func isAdapter(dir string) bool {
	for _, a := range adapters {
		if dir == a || strings.HasPrefix(dir, a+"/") {
			return true
		}
	}
	return false
}

// sameTree reports whether b is a or under it (sip/siptest may import sip).
func sameTree(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/")
}

// TestDomainImportsNoAdapter enforces the layering of docs/ARCHITECTURE.md.
func TestDomainImportsNoAdapter(t *testing.T) {
	imports, _ := pkgImports(t)
	if len(imports) < 2 {
		t.Fatalf("found only %d packages; is the test running at the module root?", len(imports))
	}
	for dir, imps := range imports {
		for _, imp := range imps {
			rel, internal := strings.CutPrefix(imp, module+"/")
			switch {
			case dir == ".":
				if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
					t.Errorf("the domain package imports %s; it may import only the standard library", imp)
				}
			case !isAdapter(dir) && internal && isAdapter(rel):
				t.Errorf("domain package %s imports adapter %s", dir, imp)
			case isAdapter(dir) && !strings.HasPrefix(dir, "cmd") && internal && isAdapter(rel) &&
				rel != "sqldb" && !strings.HasPrefix(dir, "internal") && !sameTree(dir, rel):
				t.Errorf("adapter %s imports adapter %s; adapters do not know each other", dir, imp)
			}
		}
	}
}

// TestNoPkgDirectory keeps the layout flat.
func TestNoPkgDirectory(t *testing.T) {
	if _, err := os.Stat("pkg"); err == nil {
		t.Error("a pkg/ directory exists; put packages at the root")
	}
}
