package audit

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"parley.dev/parley"
)

func exportOf(t *testing.T, records int) (*Log, []byte, string) {
	t.Helper()
	s, vkey, err := SignerFromSeed(DefaultKeyName, testSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	_, v := testKeys(t, DefaultKeyName, 1)
	place := Place{Name: "key directory's checkpoint", Store: &memPlace{}}
	l := New(newMemStore(), s, v, Options{Now: fixedClock(), Places: []Place{place}})
	appendN(t, l, 0, records)
	var buf bytes.Buffer
	rep, err := l.Export(context.Background(), &buf, vkey)
	if err != nil || rep.Records != int64(records) {
		t.Fatalf("Export = %+v, %v", rep, err)
	}
	return l, buf.Bytes(), vkey
}

// TestExportVerifiesOffline: an export verifies with the public key alone, and against a
// checkpoint saved from an earlier export.
func TestExportVerifiesOffline(t *testing.T) {
	l, exp, key := exportOf(t, 7)
	rep, err := VerifyExport(bytes.NewReader(exp), key)
	if err != nil || rep.Records != 7 {
		t.Fatalf("VerifyExport = %+v, %v", rep, err)
	}
	earlier, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 7, 9)
	var later bytes.Buffer
	if _, err := l.Export(context.Background(), &later, key); err != nil {
		t.Fatal(err)
	}
	if rep, err := VerifyExport(&later, key, earlier); err != nil || rep.External != 1 || rep.Records != 9 {
		t.Fatalf("later export against the earlier checkpoint: %+v, %v", rep, err)
	}
	_, otherKey, _ := SignerFromSeed(DefaultKeyName, testSeed(2))
	if _, err := VerifyExport(bytes.NewReader(exp), otherKey); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("export checked with another key: %v", err)
	}
	if _, err := VerifyExport(bytes.NewReader(exp), "not a key"); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("bad key: %v", err)
	}
}

// TestExportEveryByteMatters: changing any byte of an export, cutting it anywhere or
// adding to it makes it fail.
func TestExportEveryByteMatters(t *testing.T) {
	_, exp, key := exportOf(t, 3)
	for i := range exp {
		for _, flip := range []byte{0x01, 0x20, 0x80} {
			bad := bytes.Clone(exp)
			bad[i] ^= flip
			if _, err := VerifyExport(bytes.NewReader(bad), key); err == nil {
				t.Fatalf("byte %d (%q) xor %#x: the changed export verifies", i, exp[i], flip)
			}
		}
	}
	for cut := 0; cut < len(exp); cut += 7 {
		if _, err := VerifyExport(bytes.NewReader(exp[:cut]), key); err == nil {
			t.Fatalf("cut at %d of %d: verifies", cut, len(exp))
		}
	}
	for _, tail := range []string{"\n", " ", "{}\n"} {
		if _, err := VerifyExport(bytes.NewReader(append(bytes.Clone(exp), tail...)), key); err == nil {
			t.Fatalf("export followed by %q verifies", tail)
		}
	}
	// A record left out, with the checkpoint of the shorter log put back, is still caught:
	// the header says 3.
	lines := strings.SplitAfter(string(exp), "\n")
	short := lines[0] + lines[1] + lines[3] + lines[4]
	if _, err := VerifyExport(strings.NewReader(short), key); err == nil {
		t.Fatal("export without record 1 verifies")
	}
}

// TestExportRefusesTamperedLog: the log is verified before anything is signed.
func TestExportRefusesTamperedLog(t *testing.T) {
	l, _, key := exportOf(t, 3)
	forgeRecord(t, l.store.(*memStore), nil)
	fresh := New(l.store, l.signer, l.verifier, Options{Places: l.places})
	var buf bytes.Buffer
	_, err := fresh.Export(context.Background(), &buf, key)
	wantIntegrity(t, "export of a forged log", err, "record 3 was forged")
}
