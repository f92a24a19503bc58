package keydir

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"parley.dev/parley"
)

func openDir(t *testing.T) (*Dir, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	d, err := Open(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, dir
}

func TestOpenCreatesPrivateLayout(t *testing.T) {
	d, dir := openDir(t)
	for _, p := range []string{dir, filepath.Join(dir, "kek"), filepath.Join(dir, "secrets"), filepath.Join(dir, "periods")} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: mode %v err %v", p, fi.Mode(), err)
		}
	}
	id := d.ActiveKEK()
	fi, err := os.Stat(filepath.Join(dir, "kek", id+".key"))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("kek file: %v %v", fi, err)
	}
	// Reopening keeps the same KEK.
	d2, err := Open(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d2.ActiveKEK() != id {
		t.Fatalf("active KEK changed on reopen: %s != %s", d2.ActiveKEK(), id)
	}
}

func TestBadModesRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	if _, err := Open(dir, nil, nil); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("0755 dir: err = %v, want invalid", err)
	}
	os.Chmod(dir, 0o700)
	if _, err := Open(dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "kek"), 0o750)
	if _, err := Open(dir, nil, nil); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("0750 kek dir: err = %v, want invalid", err)
	}
	os.Chmod(filepath.Join(dir, "kek"), 0o700)
	d, err := Open(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "kek", d.ActiveKEK()+".key"), 0o644)
	if _, err := Open(dir, nil, nil); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("0644 kek file: err = %v, want invalid", err)
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := Open(f, nil, nil); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("regular file: err = %v, want invalid", err)
	}
}

// TestSecretFileModesRefused: a secret file (or period key file) that group or others may
// read, or that is not a regular file, is refused like a KEK file with a bad mode: on Open
// and when it is read.
func TestSecretFileModesRefused(t *testing.T) {
	d, dir := openDir(t)
	ctx := context.Background()
	if _, err := d.Secret(ctx, "field"); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "secrets", "field.key")
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660} {
		os.Chmod(p, mode)
		if _, err := Open(dir, nil, nil); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("secret file %04o: Open = %v, want invalid", mode, err)
		}
		if _, err := d.Secret(ctx, "field"); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("secret file %04o: Secret = %v, want invalid", mode, err)
		}
	}
	os.Chmod(p, 0o600)
	if _, err := Open(dir, nil, nil); err != nil {
		t.Fatalf("0600 secret file: %v", err)
	}
	// A symbolic link (even to a private file) is not a secret file.
	target := filepath.Join(t.TempDir(), "elsewhere")
	os.WriteFile(target, []byte("x"), 0o600)
	link := filepath.Join(dir, "secrets", "index.key")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, nil, nil); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("symlinked secret: Open = %v, want invalid", err)
	}
	os.Remove(link)
	// Period key files are checked when read.
	if _, err := d.CreatePeriodKey(ctx, "fac/2026-11-23", 1); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "periods", "fac", "2026-11-23", "1.key"), 0o644)
	if _, err := d.PeriodKey(ctx, "fac/2026-11-23", 1); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("0644 period key: %v, want invalid", err)
	}
}

func TestLocalKeyringWrapUnwrapRotate(t *testing.T) {
	d, err := OpenLocal(filepath.Join(t.TempDir(), "keys"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, 32)
	w1, err := d.Wrap(ctx, key, []byte("aad-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(w1.Ciphertext, key) {
		t.Fatal("wrapped key contains the key")
	}
	got, err := d.Unwrap(ctx, w1, []byte("aad-1"))
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("unwrap = %x, %v", got, err)
	}
	if _, err := d.Unwrap(ctx, w1, []byte("aad-2")); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("wrong aad: err = %v", err)
	}
	bad := w1
	bad.Ciphertext = bytes.Clone(w1.Ciphertext)
	bad.Ciphertext[5] ^= 1
	if _, err := d.Unwrap(ctx, bad, []byte("aad-1")); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("tampered: err = %v", err)
	}
	old := d.ActiveKEK()
	id, err := d.Rotate(ctx)
	if err != nil || id == old || d.ActiveKEK() != id {
		t.Fatalf("rotate: %s %v", id, err)
	}
	if got, err := d.Unwrap(ctx, w1, []byte("aad-1")); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("old wrap after rotate: %v", err)
	}
	w2, _ := d.Wrap(ctx, key, nil)
	if w2.KEK != id {
		t.Fatalf("wrap used %s, want %s", w2.KEK, id)
	}
	if _, err := d.Unwrap(ctx, parley.WrappedKey{KEK: "kek-nope", Ciphertext: w2.Ciphertext}, nil); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("missing kek: err = %v", err)
	}
}

func TestSecrets(t *testing.T) {
	d, dir := openDir(t)
	ctx := context.Background()
	a, err := d.Secret(ctx, "field")
	if err != nil || len(a) != 32 {
		t.Fatal(err)
	}
	b, _ := d.Secret(ctx, "index")
	if bytes.Equal(a, b) {
		t.Fatal("two secrets are equal")
	}
	d2, _ := Open(dir, nil, nil)
	a2, err := d2.Secret(ctx, "field")
	if err != nil || !bytes.Equal(a, a2) {
		t.Fatalf("secret not stable across reopen: %v", err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "secrets", "field.key"))
	if bytes.Contains(raw, a) {
		t.Fatal("secret stored in clear")
	}
	// A file copied to another name does not unwrap: the AAD binds the name.
	os.WriteFile(filepath.Join(dir, "secrets", "audit-signer-seed.key"), raw, 0o600)
	if _, err := d.Secret(ctx, "audit-signer-seed"); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("renamed secret: err = %v", err)
	}
	for _, n := range []string{"", "../kek/x", "Field", "a/b", "a.b"} {
		if _, err := d.Secret(ctx, n); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("Secret(%q): err = %v", n, err)
		}
	}
}

func TestPeriodKeys(t *testing.T) {
	d, dir := openDir(t)
	ctx := context.Background()
	const p = "cnty-jail/2026-11-23"
	if _, err := d.PeriodKey(ctx, p, 1); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("missing: err = %v", err)
	}
	k1, err := d.CreatePeriodKey(ctx, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreatePeriodKey(ctx, p, 1); !parley.IsKind(err, parley.KindConflict) {
		t.Fatalf("duplicate: err = %v", err)
	}
	got, err := d.PeriodKey(ctx, p, 1)
	if err != nil || !bytes.Equal(got, k1) {
		t.Fatalf("PeriodKey: %v", err)
	}
	k2, _ := d.CreatePeriodKey(ctx, p, 2)
	d.CreatePeriodKey(ctx, "other.fac/2026-11-24", 1)
	list, err := d.ListPeriodKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(list[p], []int{1, 2}) || !slices.Equal(list["other.fac/2026-11-24"], []int{1}) || len(list) != 2 {
		t.Fatalf("list = %v", list)
	}
	// Destroy is final.
	path := filepath.Join(dir, "periods", "cnty-jail", "2026-11-23", "1.key")
	if err := d.DestroyPeriodKey(ctx, p, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("key file still there: %v", err)
	}
	if _, err := d.PeriodKey(ctx, p, 1); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("destroyed: err = %v", err)
	}
	if err := d.DestroyPeriodKey(ctx, p, 1); err != nil {
		t.Fatalf("destroy twice: %v", err)
	}
	if got, _ := d.PeriodKey(ctx, p, 2); !bytes.Equal(got, k2) {
		t.Fatal("gen 2 damaged")
	}
	// Swapping generation files does not unwrap: the AAD binds period and gen.
	raw, _ := os.ReadFile(filepath.Join(dir, "periods", "cnty-jail", "2026-11-23", "2.key"))
	os.WriteFile(filepath.Join(dir, "periods", "cnty-jail", "2026-11-23", "3.key"), raw, 0o600)
	if _, err := d.PeriodKey(ctx, p, 3); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("copied gen: err = %v", err)
	}
	d.DestroyPeriodKey(ctx, p, 2)
	d.DestroyPeriodKey(ctx, p, 3)
	if _, err := os.Stat(filepath.Join(dir, "periods", "cnty-jail", "2026-11-23")); !os.IsNotExist(err) {
		t.Fatalf("empty period dir left: %v", err)
	}
}

func TestPeriodPathTricks(t *testing.T) {
	d, _ := openDir(t)
	ctx := context.Background()
	bad := []string{"", "/", "fac", "/etc/2026-11-23", "../2026-11-23", "fac/..", "fac/.", ".fac/2026",
		"fac//2026", "fac/2026/x", "fac/../../x", "fac\\x/2026", "fac/2026\x00", "a b/2026",
		string(bytes.Repeat([]byte("a"), 65)) + "/2026"}
	for _, p := range bad {
		if _, err := d.CreatePeriodKey(ctx, p, 1); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("Create(%q): err = %v", p, err)
		}
		if _, err := d.PeriodKey(ctx, p, 1); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("PeriodKey(%q): err = %v", p, err)
		}
		if err := d.DestroyPeriodKey(ctx, p, 1); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("Destroy(%q): err = %v", p, err)
		}
	}
	for _, g := range []int{0, -1} {
		if _, err := d.CreatePeriodKey(ctx, "fac/2026-11-23", g); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("gen %d: err = %v", g, err)
		}
	}
}

func TestRewrapRetire(t *testing.T) {
	d, dir := openDir(t)
	ctx := context.Background()
	field, _ := d.Secret(ctx, "field")
	pk, _ := d.CreatePeriodKey(ctx, "fac/2026-11-23", 1)
	old := d.ActiveKEK()
	if _, err := d.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.RetireKEK(ctx, old); !parley.IsKind(err, parley.KindConflict) {
		t.Fatalf("retire in use: err = %v", err)
	}
	if err := d.RetireKEK(ctx, d.ActiveKEK()); !parley.IsKind(err, parley.KindConflict) {
		t.Fatalf("retire active: err = %v", err)
	}
	if err := d.RetireKEK(ctx, "kek-unknown"); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("retire unknown: err = %v", err)
	}
	n, err := d.Rewrap(ctx)
	if err != nil || n != 2 {
		t.Fatalf("rewrap = %d, %v", n, err)
	}
	if n, _ := d.Rewrap(ctx); n != 0 {
		t.Fatalf("second rewrap = %d", n)
	}
	if err := d.RetireKEK(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kek", old+".key")); !os.IsNotExist(err) {
		t.Fatalf("retired KEK file remains: %v", err)
	}
	d2, err := Open(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d2.Secret(ctx, "field"); err != nil || !bytes.Equal(got, field) {
		t.Fatalf("secret after retire: %v", err)
	}
	if got, err := d2.PeriodKey(ctx, "fac/2026-11-23", 1); err != nil || !bytes.Equal(got, pk) {
		t.Fatalf("period key after retire: %v", err)
	}
	if ids := d2.Keyring().(*LocalKeyring).KEKs(); len(ids) != 1 || ids[0] != d.ActiveKEK() {
		t.Fatalf("KEKs = %v", ids)
	}
}

func TestConcurrentUse(t *testing.T) {
	d, _ := openDir(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	keys := make([][]byte, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("fac/day-%d", i%4)
			k, err := d.CreatePeriodKey(ctx, p, i/4+1)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = k
			if _, err := d.Secret(ctx, "field"); err != nil {
				t.Error(err)
			}
			if i%5 == 0 {
				if _, err := d.Rotate(ctx); err != nil {
					t.Error(err)
				}
			}
			for range 5 {
				got, err := d.PeriodKey(ctx, p, i/4+1)
				if err != nil || !bytes.Equal(got, k) {
					t.Errorf("PeriodKey: %v", err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := d.Rewrap(ctx); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	a, _ := d.Secret(ctx, "field")
	b, _ := d.Secret(ctx, "field")
	if !bytes.Equal(a, b) {
		t.Fatal("concurrent Secret created two values")
	}
}

func TestDefaultForAndCheckApart(t *testing.T) {
	if got := DefaultFor("/var/lib/parley/data"); got != "/var/lib/parley/data-keys" {
		t.Fatalf("DefaultFor = %s", got)
	}
	if got := DefaultFor("/var/lib/parley/data/"); got != "/var/lib/parley/data-keys" {
		t.Fatalf("DefaultFor trailing slash = %s", got)
	}
	root := t.TempDir()
	data := filepath.Join(root, "data")
	os.Mkdir(data, 0o700)
	if err := CheckApart(data, DefaultFor(data)); err != nil {
		t.Fatalf("sibling refused: %v", err)
	}
	link := filepath.Join(root, "link")
	os.Symlink(data, link)
	bad := [][2]string{
		{data, data},
		{data, filepath.Join(data, "keys")},
		{data, filepath.Join(data, "a", "b")},
		{filepath.Join(root, "k", "data"), filepath.Join(root, "k")},
		{data, link},
		{data, filepath.Join(link, "keys")},
		{data, data + "/../data/keys"},
		{"", data},
	}
	for _, c := range bad {
		if err := CheckApart(c[0], c[1]); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("CheckApart(%q, %q) = %v, want invalid", c[0], c[1], err)
		}
	}
	if err := CheckApart(data, data+"x"); err != nil {
		t.Fatalf("prefix-named sibling refused: %v", err)
	}
}
