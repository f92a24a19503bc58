package privilege_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/privilege"
)

func runImport(t *testing.T, f *fixture, csv string, opts privilege.ImportOptions) (privilege.ImportResult, error) {
	t.Helper()
	return f.reg.Import(context.Background(), strings.NewReader(csv), parley.SourceDirectoryImport, "US", opts)
}

func TestImportGoodFile(t *testing.T) {
	f := newFixture(t)
	f.store.recordings[attorney] = []string{"r1", "r2"}
	f.store.privileged["+12125551234"] = &parley.PrivilegedNumber{ID: "old", Number: "+12125551234"}
	csv := "Kind,NUMBER,name,bar_number\n" +
		"attorney,(201) 555-0123,Jane Counsel,NY123\n" +
		"court,+44 20 7946 0958,,\n" +
		"Public_Defender,212-555-1234,PD office,\n"
	res, err := runImport(t, f, csv, privilege.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.AlreadyRegistered != 1 || res.Skipped != 0 || res.Destroyed != 2 || len(res.Problems) != 0 {
		t.Errorf("result = %+v", res)
	}
	p := f.store.privileged[attorney]
	if p == nil || p.Kind != parley.PrivilegeAttorney || p.Name != "Jane Counsel" || p.BarNumber != "NY123" || p.Source != parley.SourceDirectoryImport {
		t.Errorf("stored entry = %+v", p)
	}
	if !slices.Equal(f.destroyer.got, []string{"r1", "r2"}) {
		t.Errorf("destroyed %v", f.destroyer.got)
	}
	acts := f.auditor.actions()
	if acts[len(acts)-1] != "privileged.import" || countOf(acts, "privileged.add") != 2 || countOf(acts, "privileged.import") != 1 {
		t.Errorf("audit actions = %v", acts)
	}
	for _, e := range f.auditor.events {
		assertNoPersonalData(t, e.Object+" "+e.Detail, attorney, "Jane Counsel", "NY123")
	}
}

func TestImportAllOrNothing(t *testing.T) {
	f := newFixture(t)
	csv := "number,kind\n" +
		"+12015550123,attorney\n" +
		"+15551234567,attorney\n" + // line 3: invalid number
		"+14155552671,friend\n" + // line 4: bad kind
		"201 555 0123,court\n" + // line 5: duplicate of line 2
		"+12125551234\n" // line 6: wrong field count
	res, err := runImport(t, f, csv, privilege.ImportOptions{})
	if !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("err = %v, want KindInvalid", err)
	}
	if len(f.store.privileged) != 0 || len(f.auditor.events) != 0 {
		t.Error("a rejected file registered or audited something")
	}
	want := []string{
		"line 3: number: not a valid phone number",
		"line 4: kind: must be one of",
		"line 5: number: duplicate of line 2",
		"line 6: wrong number of fields",
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if len(res.Problems) != 4 || res.Added != 0 {
		t.Errorf("result = %+v", res)
	}
	for _, n := range []string{"5551234567", "4155552671", "2015550123", "2125551234"} {
		if strings.Contains(err.Error(), n) {
			t.Errorf("error %q contains a number", err)
		}
	}
}

func TestImportSkipBadRows(t *testing.T) {
	f := newFixture(t)
	csv := "number,kind,name\n" +
		"+12015550123,attorney,A\n" +
		"not a number,attorney,B\n" +
		"+14155552671,clergy,C\n" +
		"+12015550123,court,D\n"
	res, err := runImport(t, f, csv, privilege.ImportOptions{SkipBadRows: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Skipped != 2 || len(res.Problems) != 2 {
		t.Errorf("result = %+v", res)
	}
	if res.Problems[0].Line != 3 || res.Problems[1].Line != 5 || res.Problems[1].Field != "number" {
		t.Errorf("problems = %v", res.Problems)
	}
	if f.store.privileged[attorney].Name != "A" {
		t.Error("the first of two duplicate rows should win")
	}
}

func TestImportHeaderErrors(t *testing.T) {
	tests := []struct{ name, csv, want string }{
		{"empty", "", "header"},
		{"missing kind", "number,name\n+12015550123,X\n", "missing column(s) kind"},
		{"unknown column", "number,kind,email,Notes\n", `unknown column(s) "email", "Notes"`},
		{"duplicate column", "number,kind,Number\n", "column number appears twice"},
		{"no header", "+12015550123,attorney\n", "line 1 is not a header row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := runImport(t, f, tt.csv, privilege.ImportOptions{SkipBadRows: true})
			if !parley.IsKind(err, parley.KindInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want KindInvalid containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "2015550123") {
				t.Errorf("error %q contains a number", err)
			}
		})
	}
}

func TestImportMalformedCSV(t *testing.T) {
	for name, csv := range map[string]string{
		"bare quote": "number,kind\n+1201\"5550123,attorney\n",
		"long line":  "number,kind\n" + strings.Repeat("1", privilege.MaxLineBytes+1) + ",attorney\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			_, err := runImport(t, f, csv, privilege.ImportOptions{SkipBadRows: true})
			if !parley.IsKind(err, parley.KindInvalid) {
				t.Fatalf("err = %v, want KindInvalid", err)
			}
			if len(f.store.privileged) != 0 {
				t.Error("registered rows of a malformed file")
			}
		})
	}
}

func TestImportAuditDownStopsBeforeStoring(t *testing.T) {
	f := newFixture(t)
	f.auditor.err = errDown
	res, err := runImport(t, f, "number,kind\n+12015550123,attorney\n", privilege.ImportOptions{})
	if err == nil || res.Added != 0 || len(f.store.privileged) != 0 {
		t.Errorf("import without audit log: %+v, %v", res, err)
	}
}

func TestImportRejectsUnknownSource(t *testing.T) {
	f := newFixture(t)
	_, err := f.reg.Import(context.Background(), strings.NewReader("number,kind\n"), "fax", "US", privilege.ImportOptions{})
	if !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("err = %v", err)
	}
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

func FuzzImportCSV(f *testing.F) {
	f.Add("number,kind\n+12015550123,attorney\n", true)
	f.Add("number,kind,name,bar_number\n(201) 555-0123,court,\"Smith, J\",NY1\n", false)
	f.Add("Kind,Number\nclergy,+44 20 7946 0958\nclergy,+44 20 7946 0958\n", true)
	f.Add("number,kind\n\"unterminated,attorney\n", true)
	f.Add("number\n+12015550123\n", true)
	f.Add("\ufeffnumber,kind\r\n+12015550123,medical\r\n", false)
	f.Fuzz(func(t *testing.T, csv string, skip bool) {
		fx := newFixture(t)
		res, err := fx.reg.Import(context.Background(), strings.NewReader(csv), parley.SourceDirectoryImport, "US", privilege.ImportOptions{SkipBadRows: skip})
		if err != nil && !parley.IsKind(err, parley.KindInvalid) {
			t.Fatalf("unexpected kind %v: %v", parley.ErrorKind(err), err)
		}
		if err != nil && !skip && len(res.Problems) > 0 && len(fx.store.privileged) != 0 {
			t.Fatal("all-or-nothing import stored rows despite problems")
		}
		if res.Added != len(fx.store.privileged) {
			t.Fatalf("Added = %d, store holds %d", res.Added, len(fx.store.privileged))
		}
		for n, p := range fx.store.privileged {
			if !n.Valid() || !p.Kind.Valid() {
				t.Fatalf("stored an invalid entry %+v", p)
			}
		}
	})
}
