package keydir

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// v1Expected is testdata/v1/expected.json: what the key directory in testdata/v1/keys
// holds. Both were written by keydir before the Keyring seam (KEKs wrapped directly by
// Dir): two secrets and period key 1 under the old KEK, a secret and period key 2 (with a
// re-wrap journal) under the active one.
type v1Expected struct {
	ActiveKEK string            `json:"active_kek"`
	OldKEK    string            `json:"old_kek"`
	Journal   string            `json:"journal"`
	Secrets   map[string]string `json:"secrets"`
	Periods   map[string]string `json:"periods"` // "<period>/<gen>" -> hex
}

// copyPrivate copies the testdata key directory with the modes a real one has (git keeps
// neither 0700 nor 0600).
func copyPrivate(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkV1 reads every key of the v1 directory through d and compares it with exp.
func checkV1(t *testing.T, d *Dir, exp v1Expected) {
	t.Helper()
	ctx := context.Background()
	for name, want := range exp.Secrets {
		got, err := d.Secret(ctx, name)
		if err != nil || hex.EncodeToString(got) != want {
			t.Fatalf("secret %s: %v (value differs: %t)", name, err, hex.EncodeToString(got) != want)
		}
	}
	for pg, want := range exp.Periods {
		i := strings.LastIndexByte(pg, '/')
		gen, _ := strconv.Atoi(pg[i+1:])
		got, err := d.PeriodKey(ctx, pg[:i], gen)
		if err != nil || hex.EncodeToString(got) != want {
			t.Fatalf("period key %s: %v (value differs: %t)", pg, err, hex.EncodeToString(got) != want)
		}
	}
	if j, err := d.ReadJournal(ctx, "cnty-jail/2026-11-23", 2); err != nil || !bytes.Equal(j, []byte(exp.Journal)) {
		t.Fatalf("journal: %q, %v", j, err)
	}
}

// TestOpensPreSeamKeyDirectory: a key directory written before the keyring seam opens
// with the default (local) keyring, reads back every key, and rewrap and retire still work.
func TestOpensPreSeamKeyDirectory(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "v1", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp v1Expected
	if err := json.Unmarshal(raw, &exp); err != nil || len(exp.Secrets) != 3 || len(exp.Periods) != 2 {
		t.Fatalf("expected.json: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "keys")
	copyPrivate(t, filepath.Join("testdata", "v1", "keys"), dir)
	d, err := Open(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	local := d.Keyring().(*LocalKeyring)
	if d.ActiveKEK() != exp.ActiveKEK || !slices.Equal(local.KEKs(), slices.Sorted(slices.Values([]string{exp.ActiveKEK, exp.OldKEK}))) {
		t.Fatalf("active %s, KEKs %v", d.ActiveKEK(), local.KEKs())
	}
	checkV1(t, d, exp)

	ctx := context.Background()
	if n, err := d.Rewrap(ctx); err != nil || n != 3 { // field, index, period key 1
		t.Fatalf("Rewrap = %d, %v", n, err)
	}
	if err := d.RetireKEK(ctx, exp.OldKEK); err != nil {
		t.Fatal(err)
	}
	d2, err := Open(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkV1(t, d2, exp)
	if ids := d2.Keyring().(*LocalKeyring).KEKs(); len(ids) != 1 || ids[0] != exp.ActiveKEK {
		t.Fatalf("KEKs after retire = %v", ids)
	}
}
