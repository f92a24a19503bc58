package storetest

import (
	"strings"
	"testing"

	"parley.dev/parley"
)

// testBinding checks parley.BindingStore on stores that offer it (sqldb.DB does): an
// empty store holds no data and is unbound; Bind refuses a bad id, binds once
// (KindConflict after), and Binding reads the id back through its canary; ProbeKeys has
// nothing to check until an inmate exists, then checks it. A canary under other keys
// (KindIntegrity) is in cmd/parley's TestKeyBinding.
func testBinding(t *testing.T, s parley.Store) {
	b, okB := s.(parley.BindingStore)
	if !okB {
		t.Skip("store has no key binding")
	}
	held, err := b.HoldsData(ctx(t))
	ok(t, "holds data", err)
	equal(t, "empty store holds data", held, false)
	_, err = b.Binding(ctx(t))
	wantKind(t, "unbound", err, parley.KindNotFound)
	for _, bad := range []string{"", "UPPER", "a/b", "x\n", strings.Repeat("a", 65)} {
		wantKind(t, "bind "+bad, b.Bind(ctx(t), bad), parley.KindInvalid)
	}
	ok(t, "bind", b.Bind(ctx(t), "0123abcd-ef"))
	id, err := b.Binding(ctx(t))
	ok(t, "binding", err)
	equal(t, "binding id", id, "0123abcd-ef")
	wantKind(t, "bind again", b.Bind(ctx(t), "0123abcd-ef"), parley.KindConflict)
	wantKind(t, "bind other", b.Bind(ctx(t), "ffff"), parley.KindConflict)
	held, err = b.HoldsData(ctx(t))
	ok(t, "holds data", err)
	equal(t, "bound store holds data", held, true)
	checked, err := b.ProbeKeys(ctx(t))
	ok(t, "probe without inmates", err)
	equal(t, "probe without inmates", checked, false)
	mustFacility(t, s, "f1")
	mustInmate(t, s, "f1", "A-1")
	checked, err = b.ProbeKeys(ctx(t))
	ok(t, "probe", err)
	equal(t, "probe with an inmate", checked, true)
}
