package portal_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/portal"
	"parley.dev/parley/privilege"
)

// events records audit events.
type events struct {
	mu sync.Mutex
	es []parley.AuditEvent
}

func (e *events) Audit(_ context.Context, ev parley.AuditEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.es = append(e.es, ev)
	return nil
}

func (e *events) of(action string) []parley.AuditEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []parley.AuditEvent
	for _, ev := range e.es {
		if ev.Action == action {
			out = append(out, ev)
		}
	}
	return out
}

// realWorld is a portal over the real registry and SQLite store (no recordings to
// destroy), auditing into ev, numbers named in audits by a keyed digest.
func realWorld(t *testing.T) (*world, *events, *privilege.Registry) {
	w := newWorld(t, true)
	ev := &events{}
	reg := privilege.New(w.store, privilege.DestroyerFunc(func(_ context.Context, ids []string, _ string) (int, error) {
		return len(ids), nil
	}), ev, nil)
	w.svc = portal.New(portal.Config{Store: w.store, Auditor: ev, Registry: reg, Sender: w.snd,
		Now: func() time.Time { return w.now }, Digest: func(p string, d []byte) []byte {
			m := hmac.New(sha256.New, []byte("test index key"))
			m.Write([]byte(p + "\x00"))
			m.Write(d)
			return m.Sum(nil)
		}})
	return w, ev, reg
}

// register claims n for attorney a and confirms the code: n is registered as privileged.
func (w *world) register(t *testing.T, a *parley.PublicAccount, n parley.Number) *parley.PublicNumber {
	t.Helper()
	ctx := parley.NewContextWithActor(t.Context(), "public:"+a.ID)
	pn, err := w.svc.AddNumber(ctx, a, n, parley.LabelOffice)
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.svc.ConfirmCode(ctx, a, pn.ID, w.snd.last(n))
	if err != nil || c.Number.State != parley.NumberRegistered {
		t.Fatalf("confirm: %v", err)
	}
	w.now = w.now.Add(time.Minute)
	return c.Number
}

func (w *world) privileged(t *testing.T, n parley.Number) bool {
	t.Helper()
	_, err := w.store.FindPrivileged(t.Context(), n)
	if err != nil && !parley.IsKind(err, parley.KindNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// TestRemoveOwnNumber: the owner removes a number privileged only by their own
// registration: the claim is gone, the number is not privileged any more, and the removal
// is audited with the number as a keyed digest, never in clear.
func TestRemoveOwnNumber(t *testing.T) {
	w, ev, _ := realWorld(t)
	a := w.account(t, parley.RoleAttorney, "ada", true)
	pn := w.register(t, a, office)
	if !w.privileged(t, office) {
		t.Fatal("not privileged after registration")
	}
	ctx := parley.NewContextWithActor(t.Context(), "public:"+a.ID)
	got, err := w.svc.RemoveNumber(ctx, a, pn.ID)
	if err != nil || got.StillPrivileged {
		t.Fatalf("remove: %+v %v", got, err)
	}
	if w.privileged(t, office) {
		t.Error("still privileged after its only claim ended")
	}
	if ns, _ := w.store.ListPublicNumbers(t.Context(), a.ID); len(ns) != 0 {
		t.Errorf("the attorney still holds %d numbers", len(ns))
	}
	rm := ev.of("public.number.remove")
	if len(rm) != 1 || rm[0].Actor != "public:"+a.ID || rm[0].Object != "public_number:"+pn.ID || rm[0].Outcome != parley.OutcomeOK ||
		!strings.Contains(rm[0].Detail, "number:#") {
		t.Fatalf("remove events %+v", rm)
	}
	if len(ev.of("privileged.release")) != 1 || len(ev.of("privileged.remove")) != 1 {
		t.Errorf("registry events: %d release, %d remove", len(ev.of("privileged.release")), len(ev.of("privileged.remove")))
	}
	for _, e := range ev.es {
		for _, s := range []string{string(office), strings.TrimPrefix(string(office), "+1"), "Ada Counsel", "2125550100"} {
			if strings.Contains(e.Object+e.Detail, s) {
				t.Errorf("audit event %+v names %q", e, s)
			}
		}
	}
	// The number can be claimed and registered again.
	w.register(t, a, office)
	if !w.privileged(t, office) {
		t.Error("re-registration did not make the number privileged")
	}
}

// TestRemoveKeepsOtherClaims: a number staff registered too, or another attorney, stays
// privileged when one attorney removes it — whichever registered first.
func TestRemoveKeepsOtherClaims(t *testing.T) {
	staff := func(t *testing.T, reg *privilege.Registry) {
		_, err := reg.Register(parley.NewContextWithActor(t.Context(), "user:admin"), &parley.PrivilegedNumber{Number: office,
			Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff})
		if err != nil && !parley.IsKind(err, parley.KindConflict) {
			t.Fatal(err)
		}
	}
	for _, staffFirst := range []bool{true, false} {
		w, _, reg := realWorld(t)
		a := w.account(t, parley.RoleAttorney, "ada", true)
		if staffFirst {
			staff(t, reg)
		}
		pn := w.register(t, a, office)
		if !staffFirst {
			staff(t, reg)
		}
		got, err := w.svc.RemoveNumber(parley.NewContextWithActor(t.Context(), "public:"+a.ID), a, pn.ID)
		if err != nil || !got.StillPrivileged || !w.privileged(t, office) {
			t.Fatalf("staff first %v: %+v %v, privileged %v", staffFirst, got, err, w.privileged(t, office))
		}
	}
	w, _, _ := realWorld(t)
	a := w.account(t, parley.RoleAttorney, "ada", true)
	b := w.account(t, parley.RoleAttorney, "bea", true)
	pa := w.register(t, a, office)
	pb := w.register(t, b, office)
	if got, err := w.svc.RemoveNumber(t.Context(), a, pa.ID); err != nil || !got.StillPrivileged {
		t.Fatalf("first attorney: %+v %v", got, err)
	}
	if got, err := w.svc.RemoveNumber(t.Context(), b, pb.ID); err != nil || got.StillPrivileged || w.privileged(t, office) {
		t.Fatalf("second attorney: %+v %v", got, err)
	}
}

// TestRemoveAuthorization: another attorney or a family account cannot remove a number;
// it stays registered and privileged.
func TestRemoveAuthorization(t *testing.T) {
	w, ev, _ := realWorld(t)
	a := w.account(t, parley.RoleAttorney, "ada", true)
	other := w.account(t, parley.RoleAttorney, "other", true)
	kin := w.account(t, parley.RoleFamily, "kin", false)
	pn := w.register(t, a, office)
	_, err := w.svc.RemoveNumber(t.Context(), other, pn.ID)
	wantKind(t, "another attorney", err, parley.KindNotFound)
	_, err = w.svc.RemoveNumber(t.Context(), kin, pn.ID)
	wantKind(t, "family account", err, parley.KindForbidden)
	if !w.privileged(t, office) {
		t.Fatal("the number lost its privilege")
	}
	if got, err := w.store.FindPublicNumber(t.Context(), pn.ID); err != nil || got.State != parley.NumberRegistered {
		t.Fatalf("number %+v %v", got, err)
	}
	if len(ev.of("public.number.remove")) != 0 || len(ev.of("privileged.release")) != 0 {
		t.Error("a refused removal was audited as done")
	}
}

// TestRemoveBadInput: bad and unknown ids are not found; a pending number is simply
// dropped (nothing was registered).
func TestRemoveBadInput(t *testing.T) {
	w, ev, _ := realWorld(t)
	a := w.account(t, parley.RoleAttorney, "ada", true)
	for _, id := range []string{"", "../x", "nope", strings.Repeat("a", 65), "' OR 1=1"} {
		_, err := w.svc.RemoveNumber(t.Context(), a, id)
		wantKind(t, "id "+id, err, parley.KindNotFound)
	}
	pn, err := w.svc.AddNumber(t.Context(), a, office, parley.LabelCell)
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.svc.RemoveNumber(t.Context(), a, pn.ID)
	if err != nil || got.StillPrivileged {
		t.Fatalf("pending number: %+v %v", got, err)
	}
	if len(ev.of("privileged.release")) != 0 {
		t.Error("a pending number touched the registry")
	}
	_, err = w.svc.RemoveNumber(t.Context(), a, pn.ID)
	wantKind(t, "removed twice", err, parley.KindNotFound)
}
