package storetest

import (
	"database/sql"
	"strconv"
	"testing"
	"time"

	"parley.dev/parley"
)

// rawSQL is what a SQL store exposes for tools: its database handle.
type rawSQL interface{ SQL() *sql.DB }

// testSealedRowBinding checks that a row's sealed personal data is bound to that row: the
// sealed pii value of one row copied onto another (what an attacker with write access to
// the database, but not the field key, could do to attach a number or a name to another
// record) fails to open with KindIntegrity, while the row it came from still reads. Stores
// without a SQL handle skip it.
func testSealedRowBinding(t *testing.T, s parley.Store) {
	rs, isSQL := s.(rawSQL)
	if !isSQL {
		t.Skip("the store has no SQL handle")
	}
	db := rs.SQL()
	// Literal ids keep the statements free of placeholders, which differ between
	// databases; every id here passed parley.ValidateID, so it holds no quote.
	move := func(what, table, keyCol, from, to string) {
		t.Helper()
		for _, id := range []string{from, to} {
			if parley.ValidateID(id) != nil {
				t.Fatalf("%s: key %q is not an id", what, id)
			}
		}
		res, err := db.ExecContext(ctx(t), `UPDATE `+table+` SET pii = (SELECT pii FROM `+table+` WHERE `+keyCol+` = '`+from+`')
			WHERE `+keyCol+` = '`+to+`'`)
		ok(t, what, err)
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("%s: %d rows changed, %v", what, n, err)
		}
	}

	mustFacility(t, s, "f1")
	a := mustCall(t, s, call("f1", "B-1", "+15551110000", base))
	b := mustCall(t, s, call("f1", "B-2", "+15552220000", base.Add(time.Minute)))
	move("move call pii", "calls", "id", a.ID, b.ID)
	_, err := s.FindCall(ctx(t), b.ID)
	wantKind(t, "find call with moved pii", err, parley.KindIntegrity)
	_, err = s.FindCalls(ctx(t), parley.CallFilter{Number: b.Number})
	wantKind(t, "search calls with moved pii", err, parley.KindIntegrity)
	_, err = s.FindCalls(ctx(t), parley.CallFilter{FacilityID: "f1"})
	wantKind(t, "list calls with moved pii", err, parley.KindIntegrity)
	got, err := s.FindCall(ctx(t), a.ID)
	ok(t, "find source call", err)
	if got.Number != a.Number || got.InmateID != a.InmateID || got.InmateName != a.InmateName {
		t.Fatalf("source call changed: %+v", got)
	}

	// Inmates are keyed by a blind index only the store can compute; created_at, stored
	// in clear, tells the two rows apart.
	ok(t, "inmate", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: "f1", ID: "B-1", Name: "Ada", PINHash: "h1", CreatedAt: base}))
	ok(t, "inmate", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: "f1", ID: "B-2", Name: "Bo", PINHash: "h2",
		CreatedAt: base.Add(time.Hour)}))
	from, to := us(base).UnixMicro(), us(base.Add(time.Hour)).UnixMicro()
	res, err := db.ExecContext(ctx(t), `UPDATE inmates SET pii = (SELECT pii FROM inmates WHERE created_at = `+itoa(from)+`)
		WHERE created_at = `+itoa(to))
	ok(t, "move inmate pii", err)
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("move inmate pii: %d rows changed, %v", n, err)
	}
	_, err = s.FindInmate(ctx(t), "f1", "B-2")
	wantKind(t, "find inmate with moved pii", err, parley.KindIntegrity)
	_, err = s.ListInmates(ctx(t), "f1")
	wantKind(t, "list inmates with moved pii", err, parley.KindIntegrity)
	in, err := s.FindInmate(ctx(t), "f1", "B-1")
	ok(t, "find source inmate", err)
	if in.ID != "B-1" || in.Name != "Ada" || in.PINHash != "h1" {
		t.Fatalf("source inmate changed: %+v", in)
	}

	p := &parley.PrivilegedNumber{Number: "+15553330000", Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff, Name: "Counsel"}
	q := &parley.PrivilegedNumber{Number: "+15554440000", Kind: parley.PrivilegeClergy, Source: parley.SourceStaff, Name: "Chaplain"}
	ok(t, "privileged", s.CreatePrivileged(ctx(t), p))
	ok(t, "privileged", s.CreatePrivileged(ctx(t), q))
	move("move privileged pii", "privileged", "id", p.ID, q.ID)
	_, err = s.FindPrivileged(ctx(t), q.Number)
	wantKind(t, "find privileged with moved pii", err, parley.KindIntegrity)
	_, err = s.ListPrivileged(ctx(t))
	wantKind(t, "list privileged with moved pii", err, parley.KindIntegrity)
	_, err = s.FindPrivileged(ctx(t), p.Number)
	ok(t, "find source privileged", err)
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
