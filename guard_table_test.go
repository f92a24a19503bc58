package parley_test

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// importRule is one row of the package table in docs/ARCHITECTURE.md: the packages it names
// and the parley packages they may import.
type importRule struct {
	packages []string
	allowed  []string // package dirs ("." is the root), "x/..." patterns, or "*" for everything
}

// readImportTable parses the first table of docs/ARCHITECTURE.md: first column one or more
// `package` names, last column a comma-separated list ("stdlib only", "everything").
func readImportTable(t *testing.T) []importRule {
	t.Helper()
	b, err := os.ReadFile("docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	var rules []importRule
	inTable := false
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		first := strings.TrimSpace(cells[0])
		if first == "package" || strings.HasPrefix(first, "---") {
			inTable = true
			continue
		}
		rules = append(rules, importRule{packages: tablePackages(first), allowed: tableAllowed(cells[len(cells)-1])})
	}
	if len(rules) < 10 {
		t.Fatalf("read %d rows from the package table of docs/ARCHITECTURE.md; has its shape changed?", len(rules))
	}
	return rules
}

// tablePackages returns the back-quoted names of a first cell; `parley` is the root ".".
func tablePackages(cell string) []string {
	var out []string
	parts := strings.Split(cell, "`")
	for i := 1; i < len(parts); i += 2 {
		name := parts[i]
		if name == "parley" {
			name = "."
		}
		out = append(out, name)
	}
	return out
}

// tableAllowed parses a "may import" cell.
func tableAllowed(cell string) []string {
	cell = strings.TrimSpace(cell)
	switch cell {
	case "stdlib only":
		return nil
	case "everything":
		return []string{"*"}
	}
	var out []string
	for _, name := range strings.Split(cell, ",") {
		name = strings.Trim(strings.TrimSpace(name), "`")
		if name == "parley" {
			name = "."
		}
		out = append(out, name)
	}
	return out
}

func allows(allowed []string, pkg string) bool {
	for _, a := range allowed {
		switch {
		case a == "*", a == pkg:
			return true
		case strings.HasSuffix(a, "/..."):
			root := strings.TrimSuffix(a, "/...")
			if pkg == root || strings.HasPrefix(pkg, root+"/") {
				return true
			}
		}
	}
	return false
}

// TestImportTable enforces the may-import column of docs/ARCHITECTURE.md: every package has a
// row, every row names a package that exists, and every import of a parley package by a
// non-test file is one its row allows.
func TestImportTable(t *testing.T) {
	imports, _ := pkgImports(t)
	rules := readImportTable(t)
	rowOf := map[string]importRule{}
	for _, r := range rules {
		for _, p := range r.packages {
			if _, dup := rowOf[p]; dup {
				t.Errorf("docs/ARCHITECTURE.md lists package %s twice", p)
			}
			rowOf[p] = r
			if _, ok := imports[p]; !ok {
				t.Errorf("docs/ARCHITECTURE.md lists package %s, which has no non-test Go files", p)
			}
		}
		for _, a := range r.allowed {
			if a == "*" || strings.HasSuffix(a, "/...") {
				continue
			}
			if _, ok := imports[a]; !ok {
				t.Errorf("docs/ARCHITECTURE.md: row %v allows %s, which is not a package", r.packages, a)
			}
		}
	}
	var dirs []string
	for dir := range imports {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		r, ok := rowOf[dir]
		if !ok {
			t.Errorf("package %s has no row in the package table of docs/ARCHITECTURE.md", dir)
			continue
		}
		for _, imp := range imports[dir] {
			var rel string
			switch {
			case imp == module:
				rel = "."
			case strings.HasPrefix(imp, module+"/"):
				rel = strings.TrimPrefix(imp, module+"/")
			default:
				continue
			}
			if !allows(r.allowed, rel) {
				t.Errorf("%s imports %s, which its row in docs/ARCHITECTURE.md does not allow", dir, imp)
			}
		}
	}
}

// TestImportTableParses checks the table reader on a small table, so a change to its rules is
// seen here first.
func TestImportTableParses(t *testing.T) {
	if got := tablePackages("`sqlite`, `postgres`"); strings.Join(got, " ") != "sqlite postgres" {
		t.Errorf("tablePackages = %v", got)
	}
	if got := tablePackages("`parley` (root)"); len(got) != 1 || got[0] != "." {
		t.Errorf("tablePackages(root) = %v", got)
	}
	if got := tableAllowed(" parley, media/... "); strings.Join(got, " ") != ". media/..." {
		t.Errorf("tableAllowed = %v", got)
	}
	if tableAllowed("stdlib only") != nil {
		t.Error("stdlib only allows something")
	}
	for _, c := range []struct {
		allowed []string
		pkg     string
		want    bool
	}{
		{[]string{"media/..."}, "media/g711", true},
		{[]string{"media/..."}, "media", true},
		{[]string{"media/..."}, "mediax", false},
		{[]string{"."}, "policy", false},
		{[]string{"*"}, "sqldb", true},
		{nil, ".", false},
	} {
		if got := allows(c.allowed, c.pkg); got != c.want {
			t.Errorf("allows(%v, %s) = %v, want %v", c.allowed, c.pkg, got, c.want)
		}
	}
}
