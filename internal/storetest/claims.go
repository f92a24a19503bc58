package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
)

// testPrivilegedClaims: an entry stands while any claim does; the last claim's removal
// deletes it (and the number may be registered afresh), another's leaves it.
func testPrivilegedClaims(t *testing.T, s parley.Store) {
	self := func(holder string) parley.PrivilegeClaim {
		return parley.PrivilegeClaim{Source: parley.SourceSelfRegistration, Holder: holder}
	}
	staff := parley.PrivilegeClaim{Source: parley.SourceStaff}
	p := &parley.PrivilegedNumber{Number: "+15557770001", Kind: parley.PrivilegeAttorney, Source: parley.SourceSelfRegistration,
		Holder: "acct-a", AddedBy: "public:acct-a", AddedAt: base}
	ok(t, "create", s.CreatePrivileged(ctx(t), p))
	cs, err := s.ListPrivilegedClaims(ctx(t), p.ID)
	ok(t, "list", err)
	equal(t, "first claim", cs, []parley.PrivilegeClaim{self("acct-a")})

	added, err := s.AddPrivilegedClaim(ctx(t), p.ID, staff, "user:admin", base.Add(time.Minute))
	ok(t, "add staff", err)
	equal(t, "staff claim new", added, true)
	added, err = s.AddPrivilegedClaim(ctx(t), p.ID, staff, "user:other", base.Add(2*time.Minute))
	ok(t, "add staff again", err)
	equal(t, "staff claim again", added, false)
	added, err = s.AddPrivilegedClaim(ctx(t), p.ID, self("acct-b"), "public:acct-b", base.Add(3*time.Minute))
	ok(t, "add attorney b", err)
	equal(t, "attorney b new", added, true)
	cs, _ = s.ListPrivilegedClaims(ctx(t), p.ID)
	equal(t, "claims", cs, []parley.PrivilegeClaim{self("acct-a"), staff, self("acct-b")})

	// Bad input and unknown things.
	_, err = s.AddPrivilegedClaim(ctx(t), "nope", staff, "user:admin", base)
	wantKind(t, "claim on missing entry", err, parley.KindNotFound)
	for i, bad := range []parley.PrivilegeClaim{{Source: "rumour"}, {Source: parley.SourceSelfRegistration},
		{Source: parley.SourceSelfRegistration, Holder: "a b"}, {Source: parley.SourceStaff, Holder: "acct-a"}} {
		_, err = s.AddPrivilegedClaim(ctx(t), p.ID, bad, "user:admin", base)
		wantKind(t, fmt.Sprintf("add bad claim %d", i), err, parley.KindInvalid)
		_, err = s.RemovePrivilegedClaim(ctx(t), p.ID, bad)
		wantKind(t, fmt.Sprintf("remove bad claim %d", i), err, parley.KindInvalid)
	}
	wantKind(t, "self without holder", s.CreatePrivileged(ctx(t), &parley.PrivilegedNumber{Number: "+15557770009",
		Kind: parley.PrivilegeAttorney, Source: parley.SourceSelfRegistration}), parley.KindInvalid)
	_, err = s.RemovePrivilegedClaim(ctx(t), p.ID, self("acct-z"))
	wantKind(t, "remove a claim nobody made", err, parley.KindNotFound)
	_, err = s.RemovePrivilegedClaim(ctx(t), "nope", staff)
	wantKind(t, "remove on missing entry", err, parley.KindNotFound)

	// Attorney a gives the number up: staff and b still claim it.
	removed, err := s.RemovePrivilegedClaim(ctx(t), p.ID, self("acct-a"))
	ok(t, "remove a", err)
	equal(t, "entry stays after a", removed, false)
	_, err = s.RemovePrivilegedClaim(ctx(t), p.ID, self("acct-a"))
	wantKind(t, "remove a twice", err, parley.KindNotFound)
	removed, err = s.RemovePrivilegedClaim(ctx(t), p.ID, staff)
	ok(t, "remove staff", err)
	equal(t, "entry stays after staff", removed, false)
	if _, err := s.FindPrivileged(ctx(t), p.Number); err != nil {
		t.Fatalf("entry gone with claims left: %v", err)
	}
	removed, err = s.RemovePrivilegedClaim(ctx(t), p.ID, self("acct-b"))
	ok(t, "remove b", err)
	equal(t, "entry goes with the last claim", removed, true)
	_, err = s.FindPrivileged(ctx(t), p.Number)
	wantKind(t, "find removed", err, parley.KindNotFound)
	cs, err = s.ListPrivilegedClaims(ctx(t), p.ID)
	ok(t, "list removed", err)
	equal(t, "no claims left", len(cs), 0)
	_, err = s.AddPrivilegedClaim(ctx(t), p.ID, staff, "user:admin", base)
	wantKind(t, "claim on removed entry", err, parley.KindNotFound)

	// The number can be registered again, as a new entry.
	again := &parley.PrivilegedNumber{Number: p.Number, Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff, AddedBy: "user:admin"}
	ok(t, "register again", s.CreatePrivileged(ctx(t), again))
	if again.ID == p.ID {
		t.Fatal("re-registration reused the removed entry's id")
	}
	cs, _ = s.ListPrivilegedClaims(ctx(t), again.ID)
	equal(t, "new entry's claim", cs, []parley.PrivilegeClaim{staff})
}

// testPrivilegedClaimsConcurrent: the last claim's removal racing new claims never leaves
// a claim without its entry nor an entry without a claim.
func testPrivilegedClaimsConcurrent(t *testing.T, s parley.Store) {
	for i := range 5 {
		p := &parley.PrivilegedNumber{Number: parley.Number(fmt.Sprintf("+1555888%04d", i)), Kind: parley.PrivilegeAttorney,
			Source: parley.SourceStaff, AddedBy: "user:admin"}
		ok(t, "create", s.CreatePrivileged(ctx(t), p))
		var wg sync.WaitGroup
		var addErr, removeErr error
		var added, removed bool
		wg.Add(2)
		go func() {
			defer wg.Done()
			removed, removeErr = s.RemovePrivilegedClaim(ctx(t), p.ID, parley.PrivilegeClaim{Source: parley.SourceStaff})
		}()
		go func() {
			defer wg.Done()
			added, addErr = s.AddPrivilegedClaim(ctx(t), p.ID, parley.PrivilegeClaim{Source: parley.SourceDirectoryImport}, "cli:op", base)
		}()
		wg.Wait()
		ok(t, "remove", removeErr)
		_, ferr := s.FindPrivileged(ctx(t), p.Number)
		cs, err := s.ListPrivilegedClaims(ctx(t), p.ID)
		ok(t, "list", err)
		switch {
		case addErr == nil && added: // the claim came first: the entry stands on it
			if removed || ferr != nil || len(cs) != 1 || cs[0].Source != parley.SourceDirectoryImport {
				t.Fatalf("round %d: claim added, but removed=%v find=%v claims=%v", i, removed, ferr, cs)
			}
		case parley.IsKind(addErr, parley.KindNotFound): // the removal came first
			if !removed || !parley.IsKind(ferr, parley.KindNotFound) || len(cs) != 0 {
				t.Fatalf("round %d: claim refused, but removed=%v find=%v claims=%v", i, removed, ferr, cs)
			}
		default:
			t.Fatalf("round %d: add claim: %v %v", i, added, addErr)
		}
	}
}

// testDeletePublicNumber: an account deletes its own number only.
func testDeletePublicNumber(t *testing.T, s parley.Store) {
	a, b := attorneyAccount("del-a@example.org"), attorneyAccount("del-b@example.org")
	ok(t, "account a", s.CreatePublicAccount(ctx(t), a))
	ok(t, "account b", s.CreatePublicAccount(ctx(t), b))
	num := &parley.PublicNumber{AccountID: a.ID, Number: "+12125550190", Label: parley.LabelOffice, State: parley.NumberPending}
	ok(t, "add", s.AddPublicNumber(ctx(t), num))
	wantKind(t, "another account's", s.DeletePublicNumber(ctx(t), b.ID, num.ID), parley.KindNotFound)
	wantKind(t, "missing", s.DeletePublicNumber(ctx(t), a.ID, "nope"), parley.KindNotFound)
	ok(t, "delete", s.DeletePublicNumber(ctx(t), a.ID, num.ID))
	_, err := s.FindPublicNumber(ctx(t), num.ID)
	wantKind(t, "find deleted", err, parley.KindNotFound)
	wantKind(t, "delete twice", s.DeletePublicNumber(ctx(t), a.ID, num.ID), parley.KindNotFound)
	ok(t, "claim it again", s.AddPublicNumber(ctx(t), &parley.PublicNumber{AccountID: a.ID, Number: "+12125550190",
		Label: parley.LabelOffice, State: parley.NumberPending}))
}
