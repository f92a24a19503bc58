package legacy_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/legacy"
)

const header = "facility_id,inmate_id,inmate_name,called_number,started_at,duration_seconds,recording_file\n"

func (f *fixture) run(t *testing.T, csv string, opts legacy.Options) (legacy.Result, error) {
	t.Helper()
	return f.im.ImportCalls(context.Background(), strings.NewReader(csv), f.dir, opts)
}

func TestImportGoodFile(t *testing.T) {
	f := newFixture(t)
	csv := header +
		"cnty-jail,A100,John Doe,(415) 555-2671,2013-04-01T10:00:00Z,300,a.wav\n" +
		"cnty-jail,A100,John Doe,+1 201 555 0123,2013-04-01T11:00:00-05:00,600,priv.wav\n" +
		"cnty-jail,,,415.555.2671,2013-04-02T09:30:00Z,0,\n" +
		"cnty-jail,A101,Richard Roe,+14155552671,2013-04-03T09:30:00Z,45,sub/b.wav\n"
	res, err := f.run(t, csv, legacy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := legacy.Result{Imported: 4, Recordings: 2, PrivilegedNotStored: 1}
	if res.Imported != want.Imported || res.Recordings != want.Recordings || res.PrivilegedNotStored != want.PrivilegedNotStored ||
		res.AlreadyImported != 0 || res.Skipped != 0 || len(res.Problems) != 0 {
		t.Fatalf("result = %+v, want %+v", res, want)
	}
	if got := f.recorder.bytesTo(attorney); got != 0 {
		t.Errorf("%d bytes of a privileged call reached the recorder", got)
	}
	if got := f.recorder.bytesTo(family); got != 2*len(wav) {
		t.Errorf("recorder got %d bytes for the family calls, want %d", got, 2*len(wav))
	}
	var priv, stored, none int
	for _, c := range f.store.calls {
		if c.Status != parley.CallImported || c.Source != "import" || len(c.ImportKey) != 64 || c.ID == "" {
			t.Errorf("call fields: %+v", c)
		}
		switch {
		case c.Number == attorney:
			priv++
			if !c.Privileged || c.Recording != parley.RecordingPrivileged || c.RecordingID != "" {
				t.Errorf("privileged call: %+v", c)
			}
			if !c.StartedAt.Equal(time.Date(2013, 4, 1, 16, 0, 0, 0, time.UTC)) || c.Duration != 10*time.Minute {
				t.Errorf("time fields: %v %v", c.StartedAt, c.Duration)
			}
		case c.Recording == parley.RecordingStored:
			stored++
			if c.RecordingID != "rec-"+c.ID || c.Privileged {
				t.Errorf("stored call: %+v", c)
			}
		case c.Recording == parley.RecordingNone:
			none++
		}
	}
	if priv != 1 || stored != 2 || none != 1 {
		t.Errorf("privileged=%d stored=%d none=%d", priv, stored, none)
	}
	for _, w := range f.recorder.writers {
		if !w.closed || w.aborted {
			t.Errorf("writer %s closed=%v aborted=%v", w.id, w.closed, w.aborted)
		}
	}
	var sawPriv, sawSummary bool
	for _, e := range f.auditor.events {
		if e.Action != "import.calls" {
			t.Errorf("audit action %q", e.Action)
		}
		if e.Detail == "privileged — not stored" && strings.HasPrefix(e.Object, "call:") {
			sawPriv = true
		}
		if strings.HasPrefix(e.Detail, "imported=4 ") && e.Outcome == parley.OutcomeOK {
			sawSummary = true
		}
		assertClean(t, e.Object+" "+e.Detail)
	}
	if !sawPriv || !sawSummary {
		t.Errorf("audit events = %+v", f.auditor.events)
	}
}

func TestRecorderRefusalIsHonoured(t *testing.T) {
	// The number became privileged between the gate check and the vault's own check.
	f := newFixture(t)
	f.recorder.privileged[family] = true
	res, err := f.run(t, header+"cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,a.wav\n", legacy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recordings != 0 || res.PrivilegedNotStored != 1 || f.recorder.bytesTo(family) != 0 {
		t.Errorf("result %+v, %d bytes written", res, f.recorder.bytesTo(family))
	}
	for _, c := range f.store.calls {
		if !c.Privileged || c.Recording != parley.RecordingPrivileged {
			t.Errorf("call not marked privileged: %+v", c)
		}
	}
}

func TestImportRowErrors(t *testing.T) {
	abs, _ := filepath.Abs(filepath.Join("testdata", "nothing.wav"))
	good := "cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,"
	tests := []struct{ name, row, want string }{
		{"missing file", good + "missing.wav", "line 2: recording_file: no such file"},
		{"not audio", good + "notes.txt", "line 2: recording_file: not a WAV file"},
		{"empty file", good + "empty.wav", "line 2: recording_file: not a WAV file"},
		{"directory", good + "adir", "line 2: recording_file: not a regular file"},
		{"traversal", good + "../x.wav", "line 2: recording_file: must be a relative path inside the recordings directory"},
		{"nested traversal", good + "sub/../../x.wav", "line 2: recording_file: must be a relative path"},
		{"absolute", good + abs, "line 2: recording_file: must be a relative path"},
		{"backslash", good + `sub\..\..\x.wav`, "line 2: recording_file: must be a relative path"},
		{"symlink escape", good + "escape.wav", "line 2: recording_file: not inside the recordings directory"},
		{"bad date", "cnty-jail,A100,John Doe,+14155552671,01/04/2013 10:00,300,", "line 2: started_at: not an RFC 3339 time"},
		{"future date", "cnty-jail,A100,John Doe,+14155552671,2999-04-01T10:00:00Z,300,", "line 2: started_at: is in the future"},
		{"bad duration", "cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,-5,", "line 2: duration_seconds: must be a whole number"},
		{"huge duration", "cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,86401,", "line 2: duration_seconds"},
		{"fractional duration", "cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,1.5,", "line 2: duration_seconds"},
		{"bad number", "cnty-jail,A100,John Doe,+1555123456,2013-04-01T10:00:00Z,300,", "line 2: called_number: not a valid phone number"},
		{"unknown facility", "other-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,", "line 2: facility_id: unknown facility"},
		{"bad facility id", "../jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,", "line 2: facility_id: must be"},
		{"bad inmate id", "cnty-jail,A 100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,", "line 2: inmate_id: must be"},
		{"control chars in name", "cnty-jail,A100,\"John\x00Doe\",+14155552671,2013-04-01T10:00:00Z,300,", "line 2: inmate_name"},
		{"field count", "cnty-jail,A100,John Doe,+14155552671", "line 2: wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			csv := header + tt.row + "\n" + good + "a.wav\n"
			res, err := f.run(t, csv, legacy.Options{})
			if !parley.IsKind(err, parley.KindInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want KindInvalid containing %q", err, tt.want)
			}
			assertClean(t, err.Error())
			if len(f.store.calls) != 0 || len(f.recorder.calls) != 0 || len(f.auditor.events) != 0 {
				t.Error("a rejected file wrote something")
			}
			if res.Imported != 0 || len(res.Problems) == 0 {
				t.Errorf("result = %+v", res)
			}
		})
	}
}

func TestImportHeader(t *testing.T) {
	for name, tt := range map[string]struct{ csv, want string }{
		"missing column": {"facility_id,inmate_id,inmate_name,called_number,started_at,duration_seconds\n", "missing column(s) recording_file"},
		"unknown column": {strings.TrimSuffix(header, "\n") + ",account_number\n", `unknown column(s) "account_number"`},
		"empty":          {"", "header"},
		"headerless":     {"cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,\n", "line 1 is not a header row"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.run(t, tt.csv, legacy.Options{SkipBadRows: true})
			if !parley.IsKind(err, parley.KindInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			assertClean(t, err.Error())
		})
	}
}

func TestImportTwiceAddsNothing(t *testing.T) {
	f := newFixture(t)
	csv := header +
		"cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,a.wav\n" +
		"cnty-jail,A100,John Doe,+12015550123,2013-04-01T11:00:00Z,60,priv.wav\n" +
		"cnty-jail,A100,John Doe,+14155552671,2013-04-02T10:00:00Z,30,\n"
	if _, err := f.run(t, csv, legacy.Options{}); err != nil {
		t.Fatal(err)
	}
	calls, writers := len(f.store.calls), len(f.recorder.writers)
	res, err := f.run(t, csv, legacy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.AlreadyImported != 3 || res.Recordings != 0 || res.PrivilegedNotStored != 0 {
		t.Errorf("second run = %+v", res)
	}
	if len(f.store.calls) != calls || len(f.recorder.writers) != writers {
		t.Error("second run stored calls or recordings")
	}
}

func TestImportResumesAfterRecordingFailure(t *testing.T) {
	f := newFixture(t)
	csv := header + "cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,a.wav\n"
	f.recorder.failWrite = true
	_, err := f.run(t, csv, legacy.Options{})
	if err == nil || !strings.Contains(err.Error(), "line 2: import stopped") {
		t.Fatalf("err = %v", err)
	}
	if w := f.recorder.writers[0]; !w.aborted || w.closed {
		t.Errorf("failed writer: aborted=%v closed=%v", w.aborted, w.closed)
	}
	f.recorder.failWrite = false
	res, err := f.run(t, csv, legacy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyImported != 1 || res.Recordings != 1 || len(f.store.calls) != 1 {
		t.Errorf("resume = %+v, %d calls", res, len(f.store.calls))
	}
	for _, c := range f.store.calls {
		if c.Recording != parley.RecordingStored {
			t.Errorf("call after resume: %+v", c)
		}
	}
}

func TestImportSkipBadRows(t *testing.T) {
	f := newFixture(t)
	csv := header +
		"cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,a.wav\n" +
		"cnty-jail,A100,John Doe,+14155552671,yesterday,300,\n" +
		"cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,sub/b.wav\n" + // same call as line 2
		"cnty-jail,A102,Jane Roe,+14155552671,2013-04-05T10:00:00Z,20,../a.wav\n" +
		"cnty-jail,A103,Jane Roe,+14155552671,2013-04-05T10:00:00Z,20,inside-link.wav\n"
	res, err := f.run(t, csv, legacy.Options{SkipBadRows: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Recordings != 2 || res.Skipped != 3 || len(res.Problems) != 3 {
		t.Errorf("result = %+v", res)
	}
	var lines []int
	for _, p := range res.Problems {
		lines = append(lines, p.Line)
		assertClean(t, p.Error())
	}
	if len(lines) != 3 || lines[0] != 3 || lines[1] != 4 || lines[2] != 5 {
		t.Errorf("problem lines = %v", lines)
	}
	if !strings.Contains(res.Problems[1].Error(), "line 4: duplicate of line 2") {
		t.Errorf("duplicate problem = %v", res.Problems[1])
	}
}

func TestGateFailureStopsImport(t *testing.T) {
	f := newFixture(t)
	f.gate.err = errDown
	_, err := f.run(t, header+"cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,a.wav\n", legacy.Options{})
	if err == nil {
		t.Fatal("import went on without a privilege verdict")
	}
	if len(f.store.calls) != 0 || len(f.recorder.calls) != 0 {
		t.Error("stored something without a privilege verdict")
	}
}

func TestImporterMustBeConfigured(t *testing.T) {
	im := &legacy.Importer{}
	_, err := im.ImportCalls(context.Background(), strings.NewReader(header), "", legacy.Options{})
	if !parley.IsKind(err, parley.KindInternal) {
		t.Errorf("err = %v", err)
	}
}

// assertClean fails if s holds a number or name used in these tests.
func assertClean(t *testing.T, s string) {
	t.Helper()
	for _, v := range []string{"4155552671", "2015550123", "555-2671", "John", "Doe", "Roe", "A100"} {
		if strings.Contains(s, v) {
			t.Errorf("%q contains personal data %q", s, v)
		}
	}
}

// TestRecordingsFiledAtCallStart: every recording is asked for at its call's start (in
// UTC), not at the time of the import, so retention counts from the call.
func TestRecordingsFiledAtCallStart(t *testing.T) {
	f := newFixture(t)
	csv := header +
		"cnty-jail,A100,John Doe,(415) 555-2671,2013-04-01T22:00:00-05:00,300,a.wav\n" +
		"cnty-jail,A101,Richard Roe,+14155552671,2019-12-31T23:59:59Z,45,sub/b.wav\n"
	if _, err := f.run(t, csv, legacy.Options{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"A100": time.Date(2013, 4, 2, 3, 0, 0, 0, time.UTC),
		"A101": time.Date(2019, 12, 31, 23, 59, 59, 0, time.UTC)}
	if len(f.recorder.calls) != 2 || len(f.recorder.at) != 2 {
		t.Fatalf("recorder asked %d times (%d times), want 2", len(f.recorder.calls), len(f.recorder.at))
	}
	for i, id := range f.recorder.calls {
		c := f.store.calls[id]
		if c == nil {
			t.Fatalf("recorder asked for unknown call %s", id)
		}
		if at := f.recorder.at[i]; !at.Equal(want[c.InmateID]) || !at.Equal(c.StartedAt) {
			t.Errorf("call of %s recorded at %v, want its start %v", c.InmateID, at, want[c.InmateID])
		}
	}
}
