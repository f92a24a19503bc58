package legacy_test

import (
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/legacy"
)

const goodFile = header +
	"cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,a.wav\n" +
	"cnty-jail,A100,John Doe,+12015550123,2013-04-01T11:00:00Z,60,priv.wav\n" +
	"cnty-jail,A101,Richard Roe,+14155552671,2013-04-03T09:30:00Z,45,sub/b.wav\n"

// notStoredEvents counts the "privileged — not stored" events.
func (f *fixture) notStoredEvents() int {
	n := 0
	for _, e := range f.auditor.events {
		if e.Detail == "privileged — not stored" && e.Outcome == parley.OutcomeOK {
			n++
		}
	}
	return n
}

// TestAuditDownImportsNothing: with the audit log down from the start, the import fails
// closed: no call stored, no recording started, no file read, a clear error.
func TestAuditDownImportsNothing(t *testing.T) {
	f := newFixture(t)
	f.auditor.err = errDown
	res, err := f.run(t, goodFile, legacy.Options{})
	if !parley.IsKind(err, parley.KindUnavailable) || !strings.Contains(err.Error(), "audit failed; nothing imported") {
		t.Fatalf("err = %v", err)
	}
	if len(f.store.calls) != 0 || len(f.recorder.calls) != 0 || res.Imported != 0 || res.Recordings != 0 {
		t.Fatalf("stored with the audit log down: %d calls, %d recordings asked for, result %+v",
			len(f.store.calls), len(f.recorder.calls), res)
	}
	assertClean(t, err.Error())
}

// TestStartEventComesFirst: the first event of an import is its start, before anything
// is stored, and the last is the summary.
func TestStartEventComesFirst(t *testing.T) {
	f := newFixture(t)
	if _, err := f.run(t, goodFile, legacy.Options{}); err != nil {
		t.Fatal(err)
	}
	evs := f.auditor.events
	if len(evs) != 3 {
		t.Fatalf("events = %+v, want start, not stored, summary", evs)
	}
	if evs[0].Detail != "start rows=3 skipped=0" || evs[0].Outcome != parley.OutcomeOK || evs[0].Action != "import.calls" {
		t.Errorf("first event = %+v", evs[0])
	}
	if !strings.HasPrefix(evs[2].Detail, "imported=3 ") || evs[2].Outcome != parley.OutcomeOK {
		t.Errorf("last event = %+v", evs[2])
	}
}

// TestAuditFailingMidImportStoresNoUnauditedPrivilegedCall: the log goes down after the
// start event; the privileged call, whose "not stored" event cannot be written, is not
// stored, and the import stops with an error. Once the log is back, a re-run stores it with
// its event, once.
func TestAuditFailingMidImportStoresNoUnauditedPrivilegedCall(t *testing.T) {
	f := newFixture(t)
	f.auditor.failFrom = 2 // the start event is taken, nothing after it
	_, err := f.run(t, goodFile, legacy.Options{})
	if err == nil || !strings.Contains(err.Error(), "line 3: import stopped") {
		t.Fatalf("err = %v, want the import stopped at the privileged row", err)
	}
	for _, c := range f.store.calls {
		if c.Number == attorney {
			t.Fatalf("privileged call stored without its audit event: %+v", c)
		}
	}
	if len(f.store.calls) != 1 || f.recorder.bytesTo(attorney) != 0 {
		t.Fatalf("%d calls stored, %d privileged bytes recorded", len(f.store.calls), f.recorder.bytesTo(attorney))
	}

	f.auditor.failFrom = 0
	res, err := f.run(t, goodFile, legacy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.AlreadyImported != 1 || res.PrivilegedNotStored != 1 || res.Recordings != 1 {
		t.Errorf("re-run = %+v", res)
	}
	if _, err := f.run(t, goodFile, legacy.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := f.notStoredEvents(); n != 1 {
		t.Errorf("%d not-stored events after the re-runs, want 1: %+v", n, f.auditor.events)
	}
}

// TestRecorderRefusalAuditedBeforeMarking: when the vault's own gate check refuses and the
// log cannot take the "not stored" event, the import stops and the call is not marked;
// the re-run marks it, with its event.
func TestRecorderRefusalAuditedBeforeMarking(t *testing.T) {
	f := newFixture(t)
	f.recorder.privileged[family] = true
	f.auditor.failFrom = 2
	csv := header + "cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,a.wav\n"
	if _, err := f.run(t, csv, legacy.Options{}); err == nil {
		t.Fatal("import succeeded although its not-stored event was refused")
	}
	for _, c := range f.store.calls {
		if c.Privileged || c.Recording != parley.RecordingNone {
			t.Fatalf("call marked without its audit event: %+v", c)
		}
	}
	f.auditor.failFrom = 0
	res, err := f.run(t, csv, legacy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.PrivilegedNotStored != 1 || f.notStoredEvents() != 1 || f.recorder.bytesTo(family) != 0 {
		t.Fatalf("re-run = %+v, events %+v", res, f.auditor.events)
	}
	for _, c := range f.store.calls {
		if !c.Privileged || c.Recording != parley.RecordingPrivileged {
			t.Fatalf("call after re-run: %+v", c)
		}
	}
}

// TestFailedStoreAfterNotStoredEvent: a store failure after the "not stored" event is
// followed by an error event for the same call.
func TestFailedStoreAfterNotStoredEvent(t *testing.T) {
	f := newFixture(t)
	f.store.errCreate = errDown
	csv := header + "cnty-jail,A100,John Doe,+12015550123,2013-04-01T11:00:00Z,60,priv.wav\n"
	if _, err := f.run(t, csv, legacy.Options{}); err == nil {
		t.Fatal("import succeeded with the store down")
	}
	var obj string
	var sawError bool
	for _, e := range f.auditor.events {
		if e.Detail == "privileged — not stored" {
			obj = e.Object
		}
		if e.Object != "" && e.Object == obj && e.Outcome == parley.OutcomeError && strings.HasSuffix(e.Detail, "failed: other") {
			sawError = true
		}
	}
	if obj == "" || !sawError {
		t.Fatalf("events = %+v, want the not-stored event followed by its failure", f.auditor.events)
	}
}
