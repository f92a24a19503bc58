package keydir

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"parley.dev/parley"
)

func TestJournalLifecycle(t *testing.T) {
	d, dir := openDir(t)
	ctx := context.Background()
	const period = "fac/2026-11-23"
	if err := d.WriteJournal(ctx, period, 2, []byte("j")); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("journal without its key: %v", err)
	}
	if _, err := d.ReadJournal(ctx, period, 2); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("missing journal: %v", err)
	}
	for _, bad := range []struct {
		period string
		gen    int
	}{{"../x/y", 1}, {"fac", 1}, {period, 0}} {
		if err := d.WriteJournal(ctx, bad.period, bad.gen, []byte("j")); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("WriteJournal(%q, %d): %v", bad.period, bad.gen, err)
		}
	}
	if _, err := d.CreatePeriodKey(ctx, period, 2); err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"first", "second"} { // replaced atomically
		if err := d.WriteJournal(ctx, period, 2, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if got, err := d.ReadJournal(ctx, period, 2); err != nil || string(got) != content {
			t.Fatalf("ReadJournal = %q, %v", got, err)
		}
	}
	p := filepath.Join(dir, "periods", "fac", "2026-11-23", "2.rewrap")
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal file: %v %v", fi, err)
	}
	// Not a key: listing and KEK rotation leave it alone.
	if held, _ := d.ListPeriodKeys(ctx); len(held[period]) != 1 || held[period][0] != 2 {
		t.Fatalf("held = %v", held)
	}
	if _, err := d.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Rewrap(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.ReadJournal(ctx, period, 2); string(got) != "second" {
		t.Fatal("rewrap touched the journal")
	}
	// The journal goes with its key, and so does the emptied day directory.
	if err := d.DestroyPeriodKey(ctx, period, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReadJournal(ctx, period, 2); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("journal after its key was destroyed: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(p)); !os.IsNotExist(err) {
		t.Fatalf("day directory left: %v", err)
	}
}

func TestJournalRefusesOversizeAndNonRegular(t *testing.T) {
	d, dir := openDir(t)
	ctx := context.Background()
	const period = "fac/2026-11-23"
	if _, err := d.CreatePeriodKey(ctx, period, 1); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteJournal(ctx, period, 1, bytes.Repeat([]byte{0}, MaxJournalSize+1)); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("oversize: %v", err)
	}
	p := filepath.Join(dir, "periods", "fac", "2026-11-23", "1.rewrap")
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReadJournal(ctx, period, 1); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("directory as journal: %v", err)
	}
}
