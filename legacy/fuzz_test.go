package legacy_test

import (
	"context"
	"strings"
	"testing"

	"parley.dev/parley"
	"parley.dev/parley/legacy"
)

func FuzzImportCalls(f *testing.F) {
	dir := newFixture(f).dir
	f.Add(header+"cnty-jail,A100,John Doe,+14155552671,2013-04-01T10:00:00Z,300,a.wav\n", false)
	f.Add(header+"cnty-jail,A100,John Doe,+12015550123,2013-04-01T10:00:00Z,300,priv.wav\n", false)
	f.Add(header+"cnty-jail,,,(415) 555-2671,2013-04-01T10:00:00+02:00,0,\n", true)
	f.Add(header+"cnty-jail,A1,x,+14155552671,2013-04-01T10:00:00Z,300,../a.wav\n", true)
	f.Add(header+"cnty-jail,A1,x,+14155552671,2013-04-01T10:00:00Z,300,escape.wav\n", true)
	f.Add(header+"cnty-jail,A1,\"multi\nline\",+14155552671,2013-04-01T10:00:00Z,99999999999999999999,notes.txt\n", true)
	f.Add("RECORDING_FILE,Duration_Seconds,started_at,called_number,inmate_name,inmate_id,facility_id\nsub/b.wav,1,2013-04-01T10:00:00Z,4155552671,,,cnty-jail\n", false)
	f.Fuzz(func(t *testing.T, csv string, skip bool) {
		fx := withFakes(dir)
		res, err := fx.im.ImportCalls(context.Background(), strings.NewReader(csv), dir, legacy.Options{SkipBadRows: skip})
		if err != nil && !parley.IsKind(err, parley.KindInvalid) {
			t.Fatalf("unexpected kind %v: %v", parley.ErrorKind(err), err)
		}
		if err != nil && len(fx.store.calls) != 0 && !skip {
			t.Fatal("a rejected file stored calls")
		}
		if res.Imported != len(fx.store.calls) {
			t.Fatalf("Imported = %d, store holds %d", res.Imported, len(fx.store.calls))
		}
		if n := fx.recorder.bytesTo(attorney); n != 0 {
			t.Fatalf("%d bytes of a privileged call reached the recorder", n)
		}
		for _, c := range fx.store.calls {
			if !c.Number.Valid() || len(c.ImportKey) != 64 || c.Duration < 0 {
				t.Fatalf("stored an invalid call %+v", c)
			}
		}
	})
}
