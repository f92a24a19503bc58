package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley.dev/parley"
)

func record(t *testing.T, e *env, audio []byte) string {
	t.Helper()
	r, verdict, err := e.v.Record(context.Background(), "call-1", parties, parley.ClassCall)
	if err != nil || r == nil || !verdict.Record {
		t.Fatalf("Record: %v %v", verdict, err)
	}
	for p := audio; len(p) > 0; {
		k := min(len(p), 3000)
		if _, err := r.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return r.ID()
}

var access = Access{Purpose: "investigation", Case: "CASE-7"}

func read(ctx context.Context, e *env, id string) ([]byte, error) {
	rc, _, err := e.v.Open(ctx, id, access)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func blobPath(e *env, id string) string {
	return filepath.Join(e.blobDir, filepath.FromSlash(parley.BlobKey(id)))
}

func TestRoundTripAndAudit(t *testing.T) {
	e := newEnv(t, 0)
	audio := make([]byte, 5<<20+12345)
	rand.Read(audio)
	id := record(t, e, audio)
	ctx := parley.NewContextWithActor(context.Background(), "user:42")
	rc, rec, err := e.v.Open(ctx, id, access)
	if err != nil {
		t.Fatal(err)
	}
	// Audited before any audio is read.
	ev := e.audit.list()
	if len(ev) != 1 || ev[0].Actor != "user:42" || ev[0].Action != "recording.read" || ev[0].Object != "recording:"+id ||
		ev[0].Purpose != "investigation" || ev[0].Case != "CASE-7" || ev[0].Outcome != parley.OutcomeOK {
		t.Fatalf("audit events = %+v", ev)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, audio) {
		t.Fatalf("read %d bytes, err %v", len(got), err)
	}
	if rec.Status != parley.RecordingComplete || rec.Period != testPeriod || rec.KeyGen != 1 || rec.WrappedDEK != nil || rec.CallID != "call-1" {
		t.Fatalf("recording = %+v", rec)
	}
	fi, _ := os.Stat(blobPath(e, id))
	if rec.Size != fi.Size() {
		t.Fatalf("size %d, blob %d", rec.Size, fi.Size())
	}
}

func TestOpenRequiresPurpose(t *testing.T) {
	e := newEnv(t, 0)
	id := record(t, e, []byte("audio"))
	if _, _, err := e.v.Open(context.Background(), id, Access{Case: "C"}); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("err = %v, want invalid", err)
	}
}

func TestAuditFailureOpenFails(t *testing.T) {
	e := newEnv(t, 0)
	id := record(t, e, []byte("audio"))
	e.audit.setFail(true)
	rc, rec, err := e.v.Open(context.Background(), id, access)
	if err == nil || rc != nil || rec != nil {
		t.Fatalf("Open with audit down: %v %v %v", rc, rec, err)
	}
}

func TestOpenMissingOrDestroyedIsAudited(t *testing.T) {
	e := newEnv(t, 0)
	id := record(t, e, []byte("audio"))
	if _, err := e.v.Destroy(context.Background(), []string{id}, ReasonOperator); err != nil {
		t.Fatal(err)
	}
	if _, err := read(context.Background(), e, id); !parley.IsKind(err, parley.KindDestroyed) {
		t.Fatalf("destroyed: err = %v", err)
	}
	if _, err := read(context.Background(), e, "nope"); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("missing: err = %v", err)
	}
	var errs int
	for _, ev := range e.audit.list() {
		if ev.Action == "recording.read" && ev.Outcome == parley.OutcomeError {
			errs++
		}
	}
	if errs != 2 {
		t.Fatalf("%d failed reads audited, want 2: %+v", errs, e.audit.list())
	}
}

// tree returns every file under dir with its content.
func tree(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			if d.IsDir() {
				out[p+"/"] = ""
				return nil
			}
			b, _ := os.ReadFile(p)
			out[p] = string(b)
			return nil
		})
	}
	return out
}

func TestGateNoCreatesNothing(t *testing.T) {
	for _, askNo := range []int{1, 2} {
		e := newEnv(t, 0)
		e.gate.answer = func(n int) parley.RecordVerdict {
			if n >= askNo {
				return parley.RecordVerdict{Record: false, Reason: "privileged_number"}
			}
			return parley.RecordVerdict{Record: true}
		}
		before := tree(t, e.blobDir, e.keyDir)
		r, verdict, err := e.v.Record(context.Background(), "call", parties, parley.ClassCall)
		if err != nil || r != nil || verdict.Record || verdict.Reason != "privileged_number" {
			t.Fatalf("ask %d: %v %+v %v", askNo, r, verdict, err)
		}
		if e.store.calls["CreateRecording"] != 0 || len(e.store.snapshot()) != 0 {
			t.Fatalf("ask %d: a row was created", askNo)
		}
		after := tree(t, e.blobDir, e.keyDir)
		for p := range after {
			if _, ok := before[p]; !ok && (askNo == 1 || strings.HasPrefix(p, e.blobDir)) {
				// The first "no" leaves nothing; a late "no" may leave only a period key.
				t.Errorf("ask %d: %s appeared", askNo, p)
			}
		}
		if askNo == 1 && len(after) != len(before) {
			t.Errorf("file tree changed")
		}
	}
}

func TestConfidentiality(t *testing.T) {
	e := newEnv(t, 0)
	pattern := []byte("KNOWN-PLAINTEXT-PATTERN-")
	audio := append([]byte("RIFF\x00\x00\x00\x00WAVEfmt "), bytes.Repeat(pattern, 20000)...)
	id := record(t, e, audio)
	blob, err := os.ReadFile(blobPath(e, id))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, []byte("RIFF")) || bytes.Contains(blob, pattern[:12]) || bytes.Contains(blob, []byte("WAVE")) {
		t.Fatal("blob contains plaintext")
	}
}

func TestIntegrityThroughVault(t *testing.T) {
	e := newEnv(t, 1024)
	audio := make([]byte, 4000)
	rand.Read(audio)
	id := record(t, e, audio)
	other := record(t, e, audio)
	orig, _ := os.ReadFile(blobPath(e, id))
	h, cs := chunks(t, orig)
	flipped := bytes.Clone(orig)
	flipped[len(flipped)/2] ^= 0x80
	cases := map[string][]byte{
		"flip":     flipped,
		"drop":     join(h, cs[0], cs[2], cs[3]),
		"swap":     join(h, cs[1], cs[0], cs[2], cs[3]),
		"truncate": join(h, cs[0], cs[1]),
		"cut":      orig[:len(orig)-5],
	}
	for name, bad := range cases {
		os.WriteFile(blobPath(e, id), bad, 0o600)
		got, err := read(context.Background(), e, id)
		if !parley.IsKind(err, parley.KindIntegrity) {
			t.Fatalf("%s: err = %v, want integrity", name, err)
		}
		if len(got) > len(audio) || !bytes.Equal(got, audio[:len(got)]) {
			t.Fatalf("%s: returned unauthenticated data", name)
		}
	}
	// Move another recording's blob in place of this one.
	otherBlob, _ := os.ReadFile(blobPath(e, other))
	os.WriteFile(blobPath(e, id), otherBlob, 0o600)
	if _, err := read(context.Background(), e, id); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("moved blob: err = %v", err)
	}
}

func TestCrashThenRecover(t *testing.T) {
	e := newEnv(t, 1024)
	pattern := bytes.Repeat([]byte("SECRET-AUDIO-"), 500) // 6500 bytes: 6 whole chunks + a bit
	r, _, err := e.v.Record(context.Background(), "call", parties, parley.ClassCall)
	if err != nil {
		t.Fatal(err)
	}
	id := r.ID()
	if _, err := r.Write(pattern); err != nil {
		t.Fatal(err)
	}
	// The chunks sealed so far reach the disk; then the process dies: the recorder is
	// dropped, never closed. (A crash can also lose the chunks still queued for the disk.)
	r.mu.Lock()
	r.fl.idle()
	r.mu.Unlock()
	partial, err := os.ReadFile(blobPath(e, id) + ".partial")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(partial, []byte("SECRET")) {
		t.Fatal("partial blob holds plaintext")
	}
	if _, err := read(context.Background(), e, id); !parley.IsKind(err, parley.KindConflict) {
		t.Fatalf("reading a recording being written: %v", err)
	}
	v2, err := New(e.cfg) // a new process
	if err != nil {
		t.Fatal(err)
	}
	n, err := v2.Recover(context.Background(), testNow.Add(1))
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v", n, err)
	}
	rec, _ := e.store.FindRecording(context.Background(), id)
	if rec.Status != parley.RecordingTruncated || rec.Size != int64(len(partial)) {
		t.Fatalf("recovered recording: %+v", rec)
	}
	rc, _, err := v2.Open(context.Background(), id, access)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if !errors.Is(err, ErrTruncated) || !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("err = %v, want truncated", err)
	}
	// Every whole chunk was synced except the one still buffered.
	if len(got) < 5*1024 || !bytes.Equal(got, pattern[:len(got)]) {
		t.Fatalf("read %d bytes of the truncated recording", len(got))
	}
	if n, _ := v2.Recover(context.Background(), testNow.Add(1)); n != 0 {
		t.Fatalf("second Recover = %d", n)
	}
	if _, err := os.Stat(blobPath(e, id) + ".recover"); !os.IsNotExist(err) {
		t.Fatalf("temporary recovery blob left: %v", err)
	}
}

func TestRecoverWithoutBlob(t *testing.T) {
	e := newEnv(t, 1024)
	r, _, _ := e.v.Record(context.Background(), "call", parties, parley.ClassCall)
	os.Remove(blobPath(e, r.ID()) + ".partial")
	v2, _ := New(e.cfg)
	if n, err := v2.Recover(context.Background(), testNow.Add(1)); err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v", n, err)
	}
	if got, err := read(context.Background(), e, r.ID()); !errors.Is(err, ErrTruncated) || len(got) != 0 {
		t.Fatalf("read = %d bytes, %v", len(got), err)
	}
}

// TestBackupThenShred is the promise: a backup taken before a shred cannot decrypt the
// destroyed recording afterwards, while the survivor still reads.
func TestBackupThenShred(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	audioA := bytes.Repeat([]byte("A"), 200000)
	audioB := bytes.Repeat([]byte("B"), 200000)
	a, b := record(t, e, audioA), record(t, e, audioB)
	// The backup: the database and the whole blob directory.
	backupDB := e.store.snapshot()
	backupBlobs := tree(t, e.blobDir)
	if backupDB[a].Period != backupDB[b].Period {
		t.Fatal("not in the same period")
	}
	if n, err := e.v.Destroy(ctx, []string{a}, ReasonPrivileged); err != nil || n != 1 {
		t.Fatalf("Destroy = %d, %v", n, err)
	}
	// The backup still holds A's ciphertext and its wrapped DEK...
	recA := backupDB[a]
	if len(recA.WrappedDEK) == 0 || backupBlobs[blobPath(e, a)] == "" {
		t.Fatal("backup lacks A")
	}
	// ...but its generation's key is gone, and no key that exists now unwraps it.
	if _, err := e.keys.PeriodKey(ctx, recA.Period, recA.KeyGen); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("old period key: err = %v, want not found", err)
	}
	held, err := e.keys.ListPeriodKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tried := 0
	for period, gens := range held {
		for _, g := range gens {
			pk, err := e.keys.PeriodKey(ctx, period, g)
			if err != nil {
				t.Fatal(err)
			}
			for _, aadGen := range []int{recA.KeyGen, g} {
				tried++
				if _, err := unwrapDEK("test", pk, recA.WrappedDEK, a, recA.Period, aadGen); err == nil {
					t.Fatalf("a current key (gen %d) unwraps the destroyed recording's backup DEK", g)
				}
			}
		}
	}
	if tried == 0 {
		t.Fatal("no period key left to try: the survivor has none")
	}
	// Restoring the backup blob does not help through the vault either.
	if _, err := read(ctx, e, a); !parley.IsKind(err, parley.KindDestroyed) {
		t.Fatalf("read A: %v", err)
	}
	got, err := read(ctx, e, b)
	if err != nil || !bytes.Equal(got, audioB) {
		t.Fatalf("survivor B: %v", err)
	}
	recB, _ := e.store.FindRecording(ctx, b)
	if recB.KeyGen != 2 || bytes.Equal(recB.WrappedDEK, backupDB[b].WrappedDEK) {
		t.Fatalf("survivor not re-wrapped: gen %d", recB.KeyGen)
	}
	if _, err := os.Stat(blobPath(e, a)); !os.IsNotExist(err) {
		t.Fatal("destroyed blob not deleted")
	}
	var destroyEvents int
	for _, ev := range e.audit.list() {
		if ev.Action == "recording.destroy" && ev.Object == "recording:"+a && ev.Detail == ReasonPrivileged {
			destroyEvents++
		}
	}
	if destroyEvents != 1 {
		t.Fatalf("%d destroy events", destroyEvents)
	}
	if n, err := e.v.Destroy(ctx, []string{a}, ReasonPrivileged); err != nil || n != 0 {
		t.Fatalf("second Destroy = %d, %v", n, err)
	}
}

func TestDestroyWholePeriodRemovesKey(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a, b := record(t, e, []byte("a")), record(t, e, []byte("b"))
	if n, err := e.v.Destroy(ctx, []string{a, b, a}, ReasonRetention); err != nil || n != 2 {
		t.Fatalf("Destroy = %d, %v", n, err)
	}
	held, _ := e.keys.ListPeriodKeys(ctx)
	if len(held[testPeriod]) != 0 {
		t.Fatalf("period keys left: %v", held)
	}
	if _, err := os.Stat(filepath.Join(e.keyDir, "periods", "cnty-jail", "2026-11-23")); !os.IsNotExist(err) {
		t.Fatalf("period directory left: %v", err)
	}
	// The period lives on: a new recording gets a fresh key at the new generation.
	c := record(t, e, []byte("c"))
	if got, err := read(ctx, e, c); err != nil || string(got) != "c" {
		t.Fatalf("after shred: %q %v", got, err)
	}
}

func TestDestroyAuditFailureDestroysNothing(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a := record(t, e, []byte("a"))
	e.audit.setFail(true)
	if _, err := e.v.Destroy(ctx, []string{a}, ReasonOperator); err == nil {
		t.Fatal("Destroy with audit down succeeded")
	}
	e.audit.setFail(false)
	if got, err := read(ctx, e, a); err != nil || string(got) != "a" {
		t.Fatalf("read after refused destroy: %v", err)
	}
	if _, err := e.v.Destroy(ctx, []string{a}, "because"); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("bad reason: %v", err)
	}
	if _, err := e.v.Destroy(ctx, []string{"nope"}, ReasonOperator); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestLegalHoldBlocksRetention(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a := record(t, e, []byte("held"))
	e.store.SetLegalHold(ctx, a, true, "case 7")
	if n, err := e.v.Destroy(ctx, []string{a}, ReasonRetention); err != nil || n != 0 {
		t.Fatalf("retention of held recording: %d, %v", n, err)
	}
	if got, err := read(ctx, e, a); err != nil || string(got) != "held" {
		t.Fatalf("held recording damaged: %v", err)
	}
	if n, err := e.v.Destroy(ctx, []string{a}, ReasonPrivileged); err != nil || n != 1 {
		t.Fatalf("privileged destroy of held recording: %d, %v", n, err)
	}
}

func TestDestroyKillsLiveRecorder(t *testing.T) {
	e := newEnv(t, 1024)
	ctx := context.Background()
	r, _, _ := e.v.Record(ctx, "call", parties, parley.ClassCall)
	survivor, _, _ := e.v.Record(ctx, "call2", parties, parley.ClassCall)
	r.Write(make([]byte, 5000))
	survivor.Write(bytes.Repeat([]byte("s"), 5000))
	if n, err := e.v.Destroy(ctx, []string{r.ID()}, ReasonPrivileged); err != nil || n != 1 {
		t.Fatalf("Destroy = %d, %v", n, err)
	}
	if _, err := r.Write([]byte("more")); !parley.IsKind(err, parley.KindDestroyed) {
		t.Fatalf("Write after destroy: %v", err)
	}
	if err := r.Close(); !parley.IsKind(err, parley.KindDestroyed) {
		t.Fatalf("Close after destroy: %v", err)
	}
	for _, p := range []string{blobPath(e, r.ID()), blobPath(e, r.ID()) + ".partial"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s left: %v", p, err)
		}
	}
	// The survivor, re-wrapped mid-write, still completes and reads.
	survivor.Write(bytes.Repeat([]byte("s"), 100))
	if err := survivor.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := read(ctx, e, survivor.ID()); err != nil || !bytes.Equal(got, bytes.Repeat([]byte("s"), 5100)) {
		t.Fatalf("survivor: %d bytes, %v", len(got), err)
	}
}
