package keydir_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"parley.dev/parley"
	"parley.dev/parley/audit"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/file"
	"parley.dev/parley/keydir"
	"parley.dev/parley/sqlite"
	"parley.dev/parley/vault"
)

// allowAll lets every call be recorded: the registry is not what this test is about.
type allowAll struct{}

func (allowAll) MayRecord(context.Context, parley.CallParties) (parley.RecordVerdict, error) {
	return parley.RecordVerdict{Record: true}, nil
}

// TestVaultThroughExternalKeyring wires parley as cmd/parley does (column keys and the
// audit signer from the directory's secrets, real SQLite, the file blob store, the vault)
// but with the test KMS as keyring: a recording is written and read back, the KMS rotates,
// everything is re-wrapped and the old KMS version dropped, the recording still reads, and
// destroying it destroys its period key. With the KMS down, recording fails with
// KindUnavailable and leaves no key file.
func TestVaultThroughExternalKeyring(t *testing.T) {
	ctx := parley.NewContextWithActor(context.Background(), "user:test")
	root := t.TempDir()
	kms := newMemKMS(t)
	keysDir := filepath.Join(root, "keys")
	keys, err := keydir.Open(keysDir, kms, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := func(name string) []byte {
		k, err := keys.Secret(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	fc, err := fieldcrypt.New(secret("field"), secret("index"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(root, "data", "parley.db"), fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := file.Open(filepath.Join(root, "data", "vault"))
	if err != nil {
		t.Fatal(err)
	}
	signer, vkey, err := audit.SignerFromSeed(audit.DefaultKeyName, secret("audit-signer-seed"))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(db, signer, verifier, audit.Options{})
	v, err := vault.New(vault.Config{Store: db, Blobs: blobs, PeriodKeys: keys, Gate: allowAll{}, Auditor: log})
	if err != nil {
		t.Fatal(err)
	}

	parties := parley.CallParties{FacilityID: "cnty-jail", InmateID: "inm-1", Number: "+15551234567"}
	audio := make([]byte, 200_000)
	rand.Read(audio)
	r, _, err := v.Record(ctx, "call-1", parties, parley.ClassCall)
	if err != nil || r == nil {
		t.Fatalf("Record: %v", err)
	}
	if _, err := r.Write(audio); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	id := r.ID()
	read := func() ([]byte, error) {
		rc, _, err := v.Open(ctx, id, vault.Access{Purpose: "keyring seam test"})
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	if got, err := read(); err != nil || !bytes.Equal(got, audio) {
		t.Fatalf("read back: %v", err)
	}
	held, err := keys.ListPeriodKeys(ctx)
	if err != nil || len(held) != 1 {
		t.Fatalf("period keys = %v, %v", held, err)
	}
	if w, u := kms.calls(); w != 4 || u < 1 { // 3 secrets + 1 period key
		t.Fatalf("KMS calls: %d wraps, %d unwraps", w, u)
	}

	if _, err := keys.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := keys.Rewrap(ctx); err != nil || n != 4 {
		t.Fatalf("Rewrap = %d, %v", n, err)
	}
	kms.drop("kms-v1")
	if got, err := read(); err != nil || !bytes.Equal(got, audio) {
		t.Fatalf("read after KMS rotation, rewrap and drop of the old version: %v", err)
	}

	if n, err := v.Destroy(ctx, []string{id}, vault.ReasonOperator); err != nil || n != 1 {
		t.Fatalf("Destroy = %d, %v", n, err)
	}
	if _, err := read(); !parley.IsKind(err, parley.KindDestroyed) {
		t.Fatalf("read after destroy: %v, want destroyed", err)
	}
	if held, _ := keys.ListPeriodKeys(ctx); len(held) != 0 {
		t.Fatalf("period keys after the only recording was destroyed: %v", held)
	}

	before := snapshot(t, filepath.Join(keysDir, "periods"))
	kms.setDown(true)
	if r, _, err := v.Record(ctx, "call-2", parties, parley.ClassCall); !parley.IsKind(err, parley.KindUnavailable) || r != nil {
		t.Fatalf("Record with the KMS down: %v, want unavailable", err)
	}
	sameSnapshot(t, before, snapshot(t, filepath.Join(keysDir, "periods")))
	kms.setDown(false)
	if r, _, err := v.Record(ctx, "call-3", parties, parley.ClassCall); err != nil || r == nil {
		t.Fatalf("Record once the KMS is back: %v", err)
	} else {
		r.Close()
	}
}
