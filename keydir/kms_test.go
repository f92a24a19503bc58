package keydir_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/keydir"
)

// memKMS is a test-only parley.Keyring standing in for an external KMS: AES-256-GCM keys
// of its own, one per version, held in memory; it counts calls, and down makes every call
// fail as a KMS that cannot be reached would.
type memKMS struct {
	mu      sync.Mutex
	keys    map[string][]byte
	active  string
	n       int
	wraps   int
	unwraps int
	down    bool
}

var _ parley.Keyring = (*memKMS)(nil)

func newMemKMS(t *testing.T) *memKMS {
	t.Helper()
	k := &memKMS{keys: map[string][]byte{}}
	if _, err := k.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k *memKMS) unreachable(op string) error {
	return parley.Errorf(op, parley.KindUnavailable, "test KMS unreachable")
}

func (k *memKMS) aead(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic(err)
	}
	return a
}

func kmsAAD(aad []byte) []byte { return append([]byte("memkms\x00"), aad...) }

func (k *memKMS) Wrap(ctx context.Context, key, aad []byte) (parley.WrappedKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return parley.WrappedKey{}, k.unreachable("memkms.Wrap")
	}
	k.wraps++
	return parley.WrappedKey{KEK: k.active, Ciphertext: k.aead(k.keys[k.active]).Seal(nil, nil, key, kmsAAD(aad))}, nil
}

func (k *memKMS) Unwrap(ctx context.Context, w parley.WrappedKey, aad []byte) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return nil, k.unreachable("memkms.Unwrap")
	}
	k.unwraps++
	key, ok := k.keys[w.KEK]
	if !ok {
		return nil, parley.Errorf("memkms.Unwrap", parley.KindNotFound, "no key version %q", w.KEK)
	}
	pt, err := k.aead(key).Open(nil, nil, w.Ciphertext, kmsAAD(aad))
	if err != nil {
		return nil, parley.Errorf("memkms.Unwrap", parley.KindIntegrity, "does not authenticate")
	}
	return pt, nil
}

func (k *memKMS) ActiveKEK() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.active
}

func (k *memKMS) Rotate(ctx context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return "", k.unreachable("memkms.Rotate")
	}
	k.n++
	id := "kms-v" + strconv.Itoa(k.n)
	key := make([]byte, 32)
	rand.Read(key)
	k.keys[id] = key
	k.active = id
	return id, nil
}

func (k *memKMS) setDown(b bool) { k.mu.Lock(); k.down = b; k.mu.Unlock() }

// drop deletes a key version, as a KMS does when an old version is retired.
func (k *memKMS) drop(id string) { k.mu.Lock(); delete(k.keys, id); k.mu.Unlock() }

func (k *memKMS) calls() (wraps, unwraps int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.wraps, k.unwraps
}

// kekOf returns the KEK id recorded in a wrapped key file.
func kekOf(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 9 || string(b[:8]) != "PRLYKEY1" || len(b) < 9+int(b[8]) {
		t.Fatalf("%s is not a wrapped key file", p)
	}
	return string(b[9 : 9+int(b[8])])
}

// TestExternalKeyring runs the key directory on a keyring that is not the local one: every
// wrap and unwrap goes through it, the files record its key versions, and rotation plus
// rewrap move the stored keys so the old version can be dropped.
func TestExternalKeyring(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "keys")
	kms := newMemKMS(t)
	d, err := keydir.Open(dir, kms, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kek")); !os.IsNotExist(err) {
		t.Fatalf("an external keyring created local KEKs: %v", err)
	}
	field, err := d.Secret(ctx, "field")
	if err != nil {
		t.Fatal(err)
	}
	const period = "cnty-jail/2026-11-23"
	pk, err := d.CreatePeriodKey(ctx, period, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.PeriodKey(ctx, period, 1); err != nil || !bytes.Equal(got, pk) {
		t.Fatalf("PeriodKey = %v", err)
	}
	if w, u := kms.calls(); w != 2 || u != 1 {
		t.Fatalf("KMS calls: %d wraps, %d unwraps; want 2, 1", w, u)
	}
	secretFile := filepath.Join(dir, "secrets", "field.key")
	periodFile := filepath.Join(dir, "periods", "cnty-jail", "2026-11-23", "1.key")
	for _, p := range []string{secretFile, periodFile} {
		if got := kekOf(t, p); got != "kms-v1" {
			t.Fatalf("%s wrapped by %q, want kms-v1", p, got)
		}
		if raw, _ := os.ReadFile(p); bytes.Contains(raw, field) || bytes.Contains(raw, pk) {
			t.Fatalf("%s holds a key in clear", p)
		}
	}

	if d.ActiveKEK() != "kms-v1" {
		t.Fatalf("ActiveKEK = %q", d.ActiveKEK())
	}
	if id, err := d.Rotate(ctx); err != nil || id != "kms-v2" || d.ActiveKEK() != "kms-v2" {
		t.Fatalf("Rotate = %q, %v", id, err)
	}
	if n, err := d.Rewrap(ctx); err != nil || n != 2 {
		t.Fatalf("Rewrap = %d, %v", n, err)
	}
	if n, err := d.Rewrap(ctx); err != nil || n != 0 {
		t.Fatalf("second Rewrap = %d, %v", n, err)
	}
	for _, p := range []string{secretFile, periodFile} {
		if got := kekOf(t, p); got != "kms-v2" {
			t.Fatalf("%s wrapped by %q after rewrap", p, got)
		}
	}
	kms.drop("kms-v1") // retired in the KMS
	if err := d.RetireKEK(ctx, "kms-v1"); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("RetireKEK on an external keyring: %v, want invalid", err)
	}

	d2, err := keydir.Open(dir, kms, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d2.Secret(ctx, "field"); err != nil || !bytes.Equal(got, field) {
		t.Fatalf("secret after rotate, rewrap and drop: %v", err)
	}
	if got, err := d2.PeriodKey(ctx, period, 1); err != nil || !bytes.Equal(got, pk) {
		t.Fatalf("period key after rotate, rewrap and drop: %v", err)
	}
	if err := d2.DestroyPeriodKey(ctx, period, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.PeriodKey(ctx, period, 1); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("destroyed period key: %v", err)
	}

	// The files name the KMS version: the local keyring cannot pretend to unwrap them.
	local, err := keydir.Open(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.Secret(ctx, "field"); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("KMS-wrapped secret through local KEKs: %v, want integrity", err)
	}
}

// snapshot returns every entry under dir with its content (directories as "dir").
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			out[p] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, v := range after {
		if w, ok := before[p]; !ok {
			t.Errorf("new entry %s", p)
		} else if w != v {
			t.Errorf("%s changed", p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s disappeared", p)
		}
	}
}

// TestKeyringUnavailable: with the KMS down every operation that needs it fails with
// KindUnavailable and the key directory is left exactly as it was (no key file, no
// temporary file, no period directory); once the KMS is back everything works.
func TestKeyringUnavailable(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "keys")
	kms := newMemKMS(t)
	d, err := keydir.Open(dir, kms, nil)
	if err != nil {
		t.Fatal(err)
	}
	field, _ := d.Secret(ctx, "field")
	const period = "cnty-jail/2026-11-23"
	pk, err := d.CreatePeriodKey(ctx, period, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Rotate(ctx); err != nil { // both keys now need a rewrap
		t.Fatal(err)
	}
	before := snapshot(t, dir)

	kms.setDown(true)
	checks := map[string]func() error{
		"CreatePeriodKey new period": func() error { _, err := d.CreatePeriodKey(ctx, "cnty-jail/2026-11-24", 1); return err },
		"CreatePeriodKey next gen":   func() error { _, err := d.CreatePeriodKey(ctx, period, 2); return err },
		"PeriodKey":                  func() error { _, err := d.PeriodKey(ctx, period, 1); return err },
		"Secret existing":            func() error { _, err := d.Secret(ctx, "field"); return err },
		"Secret new":                 func() error { _, err := d.Secret(ctx, "index"); return err },
		"Rotate":                     func() error { _, err := d.Rotate(ctx); return err },
		"Rewrap":                     func() error { _, err := d.Rewrap(ctx); return err },
	}
	for name, fn := range checks {
		err := fn()
		if !parley.IsKind(err, parley.KindUnavailable) {
			t.Errorf("%s with the KMS down: %v, want unavailable", name, err)
		}
		if err != nil && strings.Contains(err.Error(), string(field)) {
			t.Errorf("%s: error carries key material", name)
		}
	}
	sameSnapshot(t, before, snapshot(t, dir))

	kms.setDown(false)
	if got, err := d.PeriodKey(ctx, period, 1); err != nil || !bytes.Equal(got, pk) {
		t.Fatalf("PeriodKey after the KMS is back: %v", err)
	}
	if _, err := d.CreatePeriodKey(ctx, "cnty-jail/2026-11-24", 1); err != nil {
		t.Fatalf("CreatePeriodKey after the KMS is back: %v", err)
	}
	if n, err := d.Rewrap(ctx); err != nil || n != 2 {
		t.Fatalf("Rewrap after the KMS is back = %d, %v", n, err)
	}
}

// badIDKeyring returns wrapped keys whose KEK id the file format cannot record.
type badIDKeyring struct {
	parley.Keyring
	id string
}

func (b badIDKeyring) Wrap(ctx context.Context, key, aad []byte) (parley.WrappedKey, error) {
	w, err := b.Keyring.Wrap(ctx, key, aad)
	w.KEK = b.id
	return w, err
}

// TestKeyringBadKEKIDRefused: a keyring that returns an empty or over-long KEK id is an
// internal error and nothing is written (the id must be readable back to unwrap).
func TestKeyringBadKEKIDRefused(t *testing.T) {
	ctx := context.Background()
	for _, id := range []string{"", strings.Repeat("v", 256)} {
		dir := filepath.Join(t.TempDir(), "keys")
		d, err := keydir.Open(dir, badIDKeyring{newMemKMS(t), id}, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, dir)
		if _, err := d.Secret(ctx, "field"); !parley.IsKind(err, parley.KindInternal) {
			t.Errorf("KEK id of %d bytes: Secret = %v, want internal", len(id), err)
		}
		if _, err := d.CreatePeriodKey(ctx, "fac/2026-11-23", 1); !parley.IsKind(err, parley.KindInternal) {
			t.Errorf("KEK id of %d bytes: CreatePeriodKey = %v, want internal", len(id), err)
		}
		sameSnapshot(t, before, snapshot(t, dir))
	}
}
