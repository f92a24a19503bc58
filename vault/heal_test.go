package vault

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"parley.dev/parley"
)

// fullBackup is a backup of the data: the database and the blob directory. The key
// directory is never part of it.
type fullBackup struct {
	db    backup
	blobs map[string]string
}

func takeBackup(t *testing.T, e *env) fullBackup {
	t.Helper()
	return fullBackup{db: e.store.backup(), blobs: tree(t, e.blobDir)}
}

// restoreBackup puts the database and the blob files of b back (files created since stay).
func restoreBackup(t *testing.T, e *env, b fullBackup) {
	t.Helper()
	e.store.restore(b.db)
	for p, content := range b.blobs {
		if strings.HasSuffix(p, "/") {
			os.MkdirAll(p, 0o700)
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func journalPath(e *env, gen string) string {
	return filepath.Join(e.keyDir, "periods", "cnty-jail", "2026-11-23", gen+".rewrap")
}

// journalEntries opens the journal of testPeriod at gen.
func journalEntries(t *testing.T, e *env, gen int) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	b, err := e.keys.ReadJournal(ctx, testPeriod, gen)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := e.keys.PeriodKey(ctx, testPeriod, gen)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := openJournal("test", pk, b, testPeriod, gen)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// noKeyUnwraps fails if any period key held now unwraps the backup's wrapped DEK of id.
func noKeyUnwraps(t *testing.T, e *env, rec *parley.Recording) {
	t.Helper()
	ctx := context.Background()
	held, err := e.keys.ListPeriodKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for period, gens := range held {
		for _, g := range gens {
			pk, err := e.keys.PeriodKey(ctx, period, g)
			if err != nil {
				t.Fatal(err)
			}
			for aadGen := 1; aadGen <= g+1; aadGen++ {
				if _, err := unwrapDEK("test", pk, rec.WrappedDEK, rec.ID, rec.Period, aadGen); err == nil {
					t.Fatalf("key gen %d unwraps a destroyed recording's backup DEK", g)
				}
			}
		}
	}
}

func mustRead(t *testing.T, e *env, id string, want []byte) {
	t.Helper()
	got, err := read(context.Background(), e, id)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %s: %d bytes, %v", id, len(got), err)
	}
}

func healEvents(e *env) []parley.AuditEvent {
	var out []parley.AuditEvent
	for _, ev := range e.audit.list() {
		if ev.Action == "vault.heal" {
			out = append(out, ev)
		}
	}
	return out
}

func TestHealAfterRestore(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	audio := map[string][]byte{}
	var ids []string
	for _, c := range []string{"A", "B", "C"} {
		au := bytes.Repeat([]byte(c), 150000)
		id := record(t, e, au)
		audio[id] = au
		ids = append(ids, id)
	}
	a, b, c := ids[0], ids[1], ids[2]
	bk := takeBackup(t, e)
	if n, err := e.v.Destroy(ctx, []string{a}, ReasonPrivileged); err != nil || n != 1 {
		t.Fatalf("Destroy = %d, %v", n, err)
	}
	// The journal of generation 2 names the survivors only, and is private.
	j := journalEntries(t, e, 2)
	if len(j) != 2 || j[a] != nil || j[b] == nil || j[c] == nil {
		t.Fatalf("journal names %d recordings", len(j))
	}
	if fi, err := os.Stat(journalPath(e, "2")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal file: %v %v", fi, err)
	}

	restoreBackup(t, e, bk)
	for _, id := range []string{b, c} {
		if _, err := read(ctx, e, id); err == nil {
			t.Fatal("a survivor read with its period key gone")
		}
	}
	// No new key is made for the restored generation before healing.
	if _, _, err := e.v.Record(ctx, "call-x", parties, parley.ClassCall); err == nil {
		t.Fatal("Record succeeded on a period whose key is gone")
	}
	if _, err := e.keys.PeriodKey(ctx, testPeriod, 1); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("generation 1 key recreated: %v", err)
	}

	// Nor does a shred run on a generation whose key is gone.
	if _, err := e.v.Destroy(ctx, []string{c}, ReasonOperator); err == nil || !strings.Contains(err.Error(), "heal") {
		t.Fatalf("Destroy before heal: %v", err)
	}
	rep, err := e.v.Heal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (HealReport{Periods: 1, Healed: 2, Redestroyed: 1}) {
		t.Fatalf("report = %+v", rep)
	}
	mustRead(t, e, b, audio[b])
	mustRead(t, e, c, audio[c])
	recA, _ := e.store.FindRecording(ctx, a)
	if recA.Status != parley.RecordingShredded || recA.WrappedDEK != nil || recA.DestroyReason != ReasonDestroyedSinceBackup {
		t.Fatalf("A after heal: %+v", recA)
	}
	if _, err := read(ctx, e, a); !parley.IsKind(err, parley.KindDestroyed) {
		t.Fatalf("read A: %v", err)
	}
	noKeyUnwraps(t, e, bk.db.recs[a])
	if _, err := os.Stat(blobPath(e, a)); !os.IsNotExist(err) {
		t.Fatal("re-destroyed blob not deleted")
	}
	if g, _ := e.store.PeriodGeneration(ctx, testPeriod); g != 2 {
		t.Fatalf("generation = %d", g)
	}
	ev := healEvents(e)
	if len(ev) != 1 || ev[0].Object != "period:"+testPeriod || !strings.Contains(ev[0].Detail, "healed=2 redestroyed=1") {
		t.Fatalf("heal events = %+v", ev)
	}
	for _, id := range ids {
		if strings.Contains(ev[0].Detail, id) {
			t.Fatal("heal audit names a recording")
		}
	}
	// Idempotent, and the period records and shreds again.
	if rep, err := e.v.Heal(ctx); err != nil || rep != (HealReport{}) {
		t.Fatalf("second heal = %+v, %v", rep, err)
	}
	d := record(t, e, []byte("after heal"))
	if n, err := e.v.Destroy(ctx, []string{b}, ReasonOperator); err != nil || n != 1 {
		t.Fatalf("Destroy after heal = %d, %v", n, err)
	}
	mustRead(t, e, c, audio[c])
	mustRead(t, e, d, []byte("after heal"))
}

func TestHealAfterTwoShreds(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a, b := record(t, e, []byte("aaaa")), record(t, e, []byte("bbbb"))
	c := record(t, e, []byte("cccc"))
	bk := takeBackup(t, e)
	for _, id := range []string{a, b} {
		if n, err := e.v.Destroy(ctx, []string{id}, ReasonPrivileged); err != nil || n != 1 {
			t.Fatalf("Destroy = %d, %v", n, err)
		}
	}
	// Generation 2's journal went with its key; generation 3's names C only.
	if _, err := os.Stat(journalPath(e, "2")); !os.IsNotExist(err) {
		t.Fatalf("journal of a destroyed generation left: %v", err)
	}
	if j := journalEntries(t, e, 3); len(j) != 1 || j[c] == nil {
		t.Fatalf("journal 3 names %d recordings", len(j))
	}
	restoreBackup(t, e, bk)
	rep, err := e.v.Heal(ctx)
	if err != nil || rep != (HealReport{Periods: 1, Healed: 1, Redestroyed: 2}) {
		t.Fatalf("Heal = %+v, %v", rep, err)
	}
	mustRead(t, e, c, []byte("cccc"))
	for _, id := range []string{a, b} {
		if _, err := read(ctx, e, id); !parley.IsKind(err, parley.KindDestroyed) {
			t.Fatalf("read destroyed: %v", err)
		}
		noKeyUnwraps(t, e, bk.db.recs[id])
	}
	if g, _ := e.store.PeriodGeneration(ctx, testPeriod); g != 3 {
		t.Fatalf("generation = %d", g)
	}
}

// assertUnchanged fails if the store differs from the backup or a heal was audited.
func assertUnchanged(t *testing.T, e *env, bk fullBackup) {
	t.Helper()
	now := e.store.backup()
	if len(now.recs) != len(bk.db.recs) || now.gens[testPeriod] != bk.db.gens[testPeriod] {
		t.Fatal("store changed")
	}
	for id, r := range bk.db.recs {
		n := now.recs[id]
		if n.Status != r.Status || n.KeyGen != r.KeyGen || !bytes.Equal(n.WrappedDEK, r.WrappedDEK) {
			t.Fatalf("recording %s changed", id)
		}
	}
}

func TestHealTamperedJournalChangesNothing(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a, b := record(t, e, []byte("aaaa")), record(t, e, []byte("bbbb"))
	bk := takeBackup(t, e)
	if _, err := e.v.Destroy(ctx, []string{a}, ReasonPrivileged); err != nil {
		t.Fatal(err)
	}
	restoreBackup(t, e, bk)
	p := journalPath(e, "2")
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{
		append(orig[:len(orig)-1:len(orig)-1], orig[len(orig)-1]^1), // flipped byte
		orig[:len(orig)-5],           // truncated
		append(bytes.Clone(orig), 0), // extended
	} {
		if err := os.WriteFile(p, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := e.v.Heal(ctx); !parley.IsKind(err, parley.KindIntegrity) {
			t.Fatalf("Heal with tampered journal: %v", err)
		}
		assertUnchanged(t, e, bk)
	}
	if len(healEvents(e)) != 0 {
		t.Fatal("a refused heal was audited")
	}
	os.WriteFile(p, orig, 0o600)
	if rep, err := e.v.Heal(ctx); err != nil || rep.Healed != 1 {
		t.Fatalf("Heal = %+v, %v", rep, err)
	}
	mustRead(t, e, b, []byte("bbbb"))
}

func TestHealAuditFailureChangesNothing(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a, b := record(t, e, []byte("aaaa")), record(t, e, []byte("bbbb"))
	bk := takeBackup(t, e)
	if _, err := e.v.Destroy(ctx, []string{a}, ReasonPrivileged); err != nil {
		t.Fatal(err)
	}
	restoreBackup(t, e, bk)
	e.audit.setFail(true)
	if _, err := e.v.Heal(ctx); err == nil {
		t.Fatal("Heal with audit down succeeded")
	}
	assertUnchanged(t, e, bk)
	if _, err := os.Stat(blobPath(e, a)); err != nil {
		t.Fatal("blob deleted by a refused heal")
	}
	e.audit.setFail(false)
	if rep, err := e.v.Heal(ctx); err != nil || rep != (HealReport{Periods: 1, Healed: 1, Redestroyed: 1}) {
		t.Fatalf("Heal = %+v, %v", rep, err)
	}
	mustRead(t, e, b, []byte("bbbb"))
}

// TestHealWholePeriodDestroyed: a period destroyed entirely after the backup has no key
// and no journal; Heal marks its restored recordings destroyed (unrecoverable).
func TestHealWholePeriodDestroyed(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a, b := record(t, e, []byte("aaaa")), record(t, e, []byte("bbbb"))
	bk := takeBackup(t, e)
	if n, err := e.v.Destroy(ctx, []string{a, b}, ReasonRetention); err != nil || n != 2 {
		t.Fatalf("Destroy = %d, %v", n, err)
	}
	restoreBackup(t, e, bk)
	// An empty key directory looks like the wrong one: refused.
	if _, err := e.v.Heal(ctx); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("Heal with no period key at all: %v", err)
	}
	assertUnchanged(t, e, bk)
	// Another facility's period holds a key: the directory is in use.
	other := parties
	other.FacilityID = "other-jail"
	r, _, err := e.v.Record(ctx, "call-o", other, parley.ClassCall)
	if err != nil {
		t.Fatal(err)
	}
	r.Write([]byte("other"))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := e.v.Heal(ctx)
	if err != nil || rep != (HealReport{Periods: 1, Unrecoverable: 2}) {
		t.Fatalf("Heal = %+v, %v", rep, err)
	}
	for _, id := range []string{a, b} {
		rec, _ := e.store.FindRecording(ctx, id)
		if rec.Status != parley.RecordingShredded || rec.DestroyReason != ReasonUnrecoverable {
			t.Fatalf("recording after heal: %+v", rec)
		}
		noKeyUnwraps(t, e, bk.db.recs[id])
	}
	mustRead(t, e, r.ID(), []byte("other"))
	// The period records again under a fresh generation.
	c := record(t, e, []byte("cccc"))
	mustRead(t, e, c, []byte("cccc"))
}

func TestJournalFormat(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	entries := map[string][]byte{"recording-one": []byte("wrapped-key-1"), "recording-two": []byte("wrapped-key-2")}
	b, err := sealJournal("test", key, testPeriod, 2, entries)
	if err != nil {
		t.Fatal(err)
	}
	got, err := openJournal("test", key, b, testPeriod, 2)
	if err != nil || len(got) != 2 || string(got["recording-two"]) != "wrapped-key-2" {
		t.Fatalf("open = %v, %v", got, err)
	}
	for name, c := range map[string]struct {
		period string
		gen    int
		key    []byte
	}{
		"other generation": {testPeriod, 3, key},
		"other period":     {"cnty-jail/2026-11-24", 2, key},
		"other key":        {testPeriod, 2, bytes.Repeat([]byte{8}, 32)},
	} {
		if _, err := openJournal("test", c.key, b, c.period, c.gen); !parley.IsKind(err, parley.KindIntegrity) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if bytes.Contains(b, []byte("wrapped-key-1")) || bytes.Contains(b, []byte("recording-one")) {
		t.Fatal("journal is not sealed")
	}
}

// TestHealKeysBoundAllPeriodsGone: with a key directory known to belong to the store
// (Config.KeysBound), a restore whose every period key was destroyed since is healed, not
// refused: each restored recording is marked destroyed (unrecoverable), with one
// "recording.destroy" event each after the period's "vault.heal", and a second Heal does
// nothing.
func TestHealKeysBoundAllPeriodsGone(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a, b := record(t, e, []byte("aaaa")), record(t, e, []byte("bbbb"))
	bk := takeBackup(t, e)
	if n, err := e.v.Destroy(ctx, []string{a, b}, ReasonRetention); err != nil || n != 2 {
		t.Fatalf("Destroy = %d, %v", n, err)
	}
	restoreBackup(t, e, bk)
	cfg := e.cfg
	cfg.KeysBound = true
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.audit.mu.Lock()
	e.audit.events = nil
	e.audit.mu.Unlock()
	rep, err := v.Heal(ctx)
	if err != nil || rep != (HealReport{Periods: 1, Unrecoverable: 2}) {
		t.Fatalf("Heal = %+v, %v", rep, err)
	}
	for _, id := range []string{a, b} {
		rec, _ := e.store.FindRecording(ctx, id)
		if rec.Status != parley.RecordingShredded || rec.DestroyReason != ReasonUnrecoverable {
			t.Fatalf("recording after heal: %+v", rec)
		}
	}
	e.audit.mu.Lock()
	evs := slices.Clone(e.audit.events)
	e.audit.mu.Unlock()
	if len(evs) != 3 || evs[0].Action != "vault.heal" {
		t.Fatalf("events %+v, want vault.heal then two recording.destroy", evs)
	}
	var destroyed []string
	for _, ev := range evs[1:] {
		if ev.Action != "recording.destroy" || ev.Detail != ReasonUnrecoverable || ev.Outcome != parley.OutcomeOK {
			t.Fatalf("event %+v", ev)
		}
		destroyed = append(destroyed, strings.TrimPrefix(ev.Object, "recording:"))
	}
	want := []string{a, b}
	slices.Sort(destroyed)
	slices.Sort(want)
	if !slices.Equal(destroyed, want) {
		t.Fatalf("destroy events for %v, want %v", destroyed, want)
	}
	if rep, err := v.Heal(ctx); err != nil || rep != (HealReport{}) {
		t.Fatalf("second Heal = %+v, %v", rep, err)
	}
}
