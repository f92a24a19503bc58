package storetest

import (
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
)

func attorneyAccount(name string) *parley.PublicAccount {
	return &parley.PublicAccount{Name: name, Role: parley.RoleAttorney, PasswordHash: "$argon2id$x", FullName: "Ada Counsel",
		BarNumber: "NY-123456", BarState: "NY", Status: parley.AttorneyPending, CreatedAt: base}
}

// testPublicAccounts: public accounts round-trip with their sealed fields, names are
// unique, bad accounts write nothing, sign-in state updates, attorneys are verified once.
func testPublicAccounts(t *testing.T, s parley.Store) {
	a := attorneyAccount("ada@example.org")
	ok(t, "create", s.CreatePublicAccount(ctx(t), a))
	got, err := s.FindPublicAccountByName(ctx(t), "ada@example.org")
	ok(t, "by name", err)
	want := *a
	want.CreatedAt = us(base)
	equal(t, "account", *got, want)
	wantKind(t, "duplicate name", s.CreatePublicAccount(ctx(t), attorneyAccount("ada@example.org")), parley.KindConflict)
	for name, bad := range map[string]*parley.PublicAccount{
		"no role":                          {Name: "x1", PasswordHash: "h"},
		"staff role":                       {Name: "x2", Role: parley.RoleAdmin},
		"family with bar":                  {Name: "x3", Role: parley.RoleFamily, BarNumber: "1"},
		"attorney no bar":                  {Name: "x4", Role: parley.RoleAttorney, FullName: "A", BarState: "NY", Status: parley.AttorneyPending},
		"bad state":                        {Name: "x5", Role: parley.RoleAttorney, FullName: "A", BarNumber: "1", BarState: "new york", Status: parley.AttorneyPending},
		"bar injection":                    {Name: "x6", Role: parley.RoleAttorney, FullName: "A", BarNumber: "1'; DROP TABLE x", BarState: "NY", Status: parley.AttorneyPending},
		"control in name":                  {Name: "x\n7", Role: parley.RoleFamily},
		"attorney verified without status": {Name: "x8", Role: parley.RoleAttorney, FullName: "A", BarNumber: "1", BarState: "NY"},
	} {
		wantKind(t, name, s.CreatePublicAccount(ctx(t), bad), parley.KindInvalid)
	}
	all, err := s.ListPublicAccounts(ctx(t), "")
	ok(t, "list", err)
	equal(t, "accounts after bad input", len(all), 1)

	fam := &parley.PublicAccount{Name: "kin@example.org", Role: parley.RoleFamily, PasswordHash: "h", CreatedAt: base.Add(time.Second)}
	ok(t, "family", s.CreatePublicAccount(ctx(t), fam))
	atts, err := s.ListPublicAccounts(ctx(t), parley.RoleAttorney)
	ok(t, "list attorneys", err)
	equal(t, "attorneys", len(atts), 1)

	got.TOTPSecret, got.FailedSignIns, got.LockedUntil, got.LastTOTPStep = "SECRET", 3, us(base.Add(time.Hour)), 9
	ok(t, "update", s.UpdatePublicAuth(ctx(t), got))
	moved, err := s.AdvancePublicTOTPStep(ctx(t), got.ID, 9)
	ok(t, "advance same step", err)
	equal(t, "same step moves", moved, false)
	moved, err = s.AdvancePublicTOTPStep(ctx(t), got.ID, 10)
	ok(t, "advance", err)
	equal(t, "later step moves", moved, true)
	_, err = s.AdvancePublicTOTPStep(ctx(t), "nope", 10)
	wantKind(t, "advance missing", err, parley.KindNotFound)
	got.LastTOTPStep = 1
	ok(t, "stale update", s.UpdatePublicAuth(ctx(t), got))
	again, err := s.FindPublicAccount(ctx(t), got.ID)
	ok(t, "find", err)
	equal(t, "step never lowered", again.LastTOTPStep, int64(10))
	equal(t, "secret", again.TOTPSecret, "SECRET")

	ok(t, "verify", s.VerifyAttorney(ctx(t), a.ID, "cli:operator", base))
	wantKind(t, "verify twice", s.VerifyAttorney(ctx(t), a.ID, "cli:operator", base), parley.KindConflict)
	wantKind(t, "verify family", s.VerifyAttorney(ctx(t), fam.ID, "cli:operator", base), parley.KindNotFound)
	wantKind(t, "verify missing", s.VerifyAttorney(ctx(t), "nope", "cli:operator", base), parley.KindNotFound)
	again, err = s.FindPublicAccount(ctx(t), a.ID)
	ok(t, "find verified", err)
	if again.Status != parley.AttorneyVerified || again.VerifiedBy != "cli:operator" || !again.VerifiedAt.Equal(us(base)) {
		t.Fatalf("verified account %+v", again)
	}

	sess := &parley.Session{TokenHash: make([]byte, 32), UserID: a.ID, CSRFToken: "c", CreatedAt: base, LastSeen: base}
	ok(t, "session", s.CreatePublicSession(ctx(t), sess))
	fs, err := s.FindPublicSession(ctx(t), sess.TokenHash)
	ok(t, "find session", err)
	equal(t, "session account", fs.UserID, a.ID)
	_, err = s.FindSession(ctx(t), sess.TokenHash)
	wantKind(t, "a public session is no staff session", err, parley.KindNotFound)
	ok(t, "touch", s.TouchPublicSession(ctx(t), sess.TokenHash, base.Add(time.Minute)))
	n, err := s.DeletePublicAccountSessions(ctx(t), a.ID)
	ok(t, "delete all", err)
	equal(t, "deleted", n, 1)
	_, err = s.FindPublicSession(ctx(t), sess.TokenHash)
	wantKind(t, "gone", err, parley.KindNotFound)
}

// testPublicNumbers: numbers round-trip sealed, one per account; codes pass once, expire,
// run out of tries (also under concurrency); sends are counted per account and number.
func testPublicNumbers(t *testing.T, s parley.Store) {
	a := attorneyAccount("bea@example.org")
	ok(t, "account", s.CreatePublicAccount(ctx(t), a))
	num := &parley.PublicNumber{AccountID: a.ID, Number: "+12125550100", Label: parley.LabelOffice, State: parley.NumberPending, CreatedAt: base}
	ok(t, "add", s.AddPublicNumber(ctx(t), num))
	wantKind(t, "twice", s.AddPublicNumber(ctx(t), &parley.PublicNumber{AccountID: a.ID, Number: "+12125550100",
		Label: parley.LabelCell, State: parley.NumberPending}), parley.KindConflict)
	wantKind(t, "no account", s.AddPublicNumber(ctx(t), &parley.PublicNumber{AccountID: "nope", Number: "+12125550101",
		Label: parley.LabelCell, State: parley.NumberPending}), parley.KindNotFound)
	wantKind(t, "bad number", s.AddPublicNumber(ctx(t), &parley.PublicNumber{AccountID: a.ID, Number: "12125550101",
		Label: parley.LabelCell, State: parley.NumberPending}), parley.KindInvalid)
	wantKind(t, "bad label", s.AddPublicNumber(ctx(t), &parley.PublicNumber{AccountID: a.ID, Number: "+12125550101",
		Label: "yacht", State: parley.NumberPending}), parley.KindInvalid)
	list, err := s.ListPublicNumbers(ctx(t), a.ID)
	ok(t, "list", err)
	equal(t, "numbers", len(list), 1)
	equal(t, "number", list[0].Number, parley.Number("+12125550100"))

	check := func(code string, at time.Time) parley.CodeResult {
		r, err := s.CheckVerificationCode(ctx(t), num.ID, code, at, 5)
		ok(t, "check", err)
		return r
	}
	equal(t, "no code yet", check("123456", base), parley.CodeExpired)
	ok(t, "set code", s.SetVerificationCode(ctx(t), num.ID, "123456", base.Add(10*time.Minute)))
	equal(t, "wrong", check("654321", base), parley.CodeWrong)
	equal(t, "right", check("123456", base), parley.CodeOK)
	equal(t, "replayed", check("123456", base), parley.CodeExpired)
	ok(t, "new code", s.SetVerificationCode(ctx(t), num.ID, "222222", base.Add(10*time.Minute)))
	equal(t, "expired", check("222222", base.Add(10*time.Minute)), parley.CodeExpired)
	ok(t, "new code", s.SetVerificationCode(ctx(t), num.ID, "333333", base.Add(10*time.Minute)))
	var wg sync.WaitGroup
	results := make(chan parley.CodeResult, 12)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.CheckVerificationCode(ctx(t), num.ID, "000000", base, 5)
			if err != nil {
				t.Error(err)
			}
			results <- r
		}()
	}
	wg.Wait()
	close(results)
	wrong := 0
	for r := range results {
		if r == parley.CodeWrong {
			wrong++
		}
	}
	equal(t, "tries counted under concurrency", wrong, 5)
	equal(t, "right code after 5 tries", check("333333", base), parley.CodeExhausted)
	wantKind(t, "code for missing number", s.SetVerificationCode(ctx(t), "nope", "123456", base), parley.KindNotFound)

	num.State, num.PrivilegedID, num.VerifiedAt = parley.NumberRegistered, "p1", base
	ok(t, "update", s.UpdatePublicNumber(ctx(t), num))
	got, err := s.FindPublicNumber(ctx(t), num.ID)
	ok(t, "find", err)
	if got.State != parley.NumberRegistered || got.PrivilegedID != "p1" || !got.VerifiedAt.Equal(us(base)) {
		t.Fatalf("updated number %+v", got)
	}

	for i := range 3 {
		ok(t, "send", s.RecordCodeSend(ctx(t), a.ID, "+12125550100", base.Add(time.Duration(i)*time.Minute)))
	}
	ok(t, "send other account", s.RecordCodeSend(ctx(t), "other", "+12125550100", base))
	byAccount, byNumber, err := s.CountCodeSends(ctx(t), a.ID, "+12125550100", base.Add(time.Minute))
	ok(t, "count", err)
	equal(t, "by account", byAccount, 2)
	equal(t, "by number", byNumber, 2)

	stored, destroyed, err := s.CountRecordingsToNumber(ctx(t), "+12125550100")
	ok(t, "count recordings", err)
	equal(t, "no recordings", stored+destroyed, 0)
}

// seedBreachPublic adds an attorney with a number and a pending code, for the breach suite.
func seedBreachPublic(t *testing.T, s parley.Store) {
	a := &parley.PublicAccount{Name: breachNames[3], Role: parley.RoleAttorney, PasswordHash: "$argon2id$x", FullName: breachNames[2],
		BarNumber: breachBars[0], BarState: "NY", Status: parley.AttorneyPending}
	ok(t, "public account", s.CreatePublicAccount(ctx(t), a))
	n := &parley.PublicNumber{AccountID: a.ID, Number: parley.Number(breachNumbers[2]), Label: parley.LabelOffice, State: parley.NumberPending}
	ok(t, "public number", s.AddPublicNumber(ctx(t), n))
	ok(t, "code", s.SetVerificationCode(ctx(t), n.ID, "482913", base.Add(time.Hour)))
	ok(t, "send", s.RecordCodeSend(ctx(t), a.ID, n.Number, base))
}
