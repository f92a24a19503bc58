package auth

import (
	"context"
	"time"

	"parley.dev/parley"
)

// Public signs attorneys and family members in: the same argon2id passwords, lockout,
// sessions and timeouts as staff, with TOTP optional (required once the account has
// turned it on). Public accounts and sessions are stored apart from staff ones
// (parley.PublicService), so a public session never authenticates on the staff side.
type Public struct {
	c     Config
	store parley.PublicService
}

// NewPublic returns the public sign-in service; c's defaults are filled as by New and
// c.Store is not used.
func NewPublic(c Config, store parley.PublicService) *Public {
	return &Public{c: New(c).c, store: store}
}

// Now returns the service's clock reading.
func (s *Public) Now() time.Time { return s.c.Now() }

// PublicActor is the audit actor of a public account.
func PublicActor(id string) string { return "public:" + id }

func (s *Public) audit(ctx context.Context, actor, action, id, outcome, detail string) error {
	return s.c.Auditor.Audit(ctx, parley.AuditEvent{Actor: actor, Action: action, Object: PublicActor(id),
		Outcome: outcome, Detail: detail})
}

// SignUp creates an account with a password. An attorney starts pending; a family account
// has no bar details. KindConflict if the name is taken (the error does not say by whom).
func (s *Public) SignUp(ctx context.Context, a *parley.PublicAccount, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	a.ID, a.TOTPSecret, a.FactorVersion, a.FailedSignIns, a.LastTOTPStep = "", "", 0, 0, 0
	a.LockedUntil, a.VerifiedBy, a.VerifiedAt = time.Time{}, "", time.Time{}
	if a.Role == parley.RoleAttorney {
		a.Status = parley.AttorneyPending
	}
	if err := a.Validate(); err != nil {
		return err
	}
	var err error
	if a.PasswordHash, err = HashPassword(password); err != nil {
		return err
	}
	a.CreatedAt = s.c.Now()
	if err := s.store.CreatePublicAccount(ctx, a); err != nil {
		a.PasswordHash = ""
		return err
	}
	return s.audit(ctx, PublicActor(a.ID), "public.signup", a.ID, parley.OutcomeOK, "role "+string(a.Role))
}

func (s *Public) fail(ctx context.Context, op string, a *parley.PublicAccount, reason string) error {
	a.FailedSignIns++
	if a.FailedSignIns >= s.c.MaxFailures {
		a.LockedUntil = s.c.Now().Add(s.c.Lockout)
		a.FailedSignIns = 0
		reason += "; locked"
	}
	if err := s.store.UpdatePublicAuth(ctx, a); err != nil {
		return err
	}
	if err := s.audit(ctx, PublicActor(a.ID), "public.signin", a.ID, parley.OutcomeDenied, reason); err != nil {
		return err
	}
	s.c.Logger.InfoContext(ctx, "public sign-in refused", "account", a.ID, "reason", reason)
	return errSignIn(op)
}

// checkFactors verifies the password and, if the account has TOTP, a fresh code.
func (s *Public) checkFactors(ctx context.Context, op string, a *parley.PublicAccount, password, code string) error {
	now := s.c.Now()
	if now.Before(a.LockedUntil) {
		_ = s.audit(ctx, PublicActor(a.ID), "public.signin", a.ID, parley.OutcomeDenied, "locked")
		return parley.Errorf(op, parley.KindUnauthorized, "account locked; try again later")
	}
	if !VerifyPassword(a.PasswordHash, password) {
		return s.fail(ctx, op, a, "bad_password")
	}
	if a.TOTPSecret != "" {
		if code == "" {
			return s.fail(ctx, op, a, "no_second_factor")
		}
		step := matchStep(a.TOTPSecret, code, now, a.LastTOTPStep)
		if step == 0 {
			if matchStep(a.TOTPSecret, code, now, -1) != 0 {
				return s.fail(ctx, op, a, "replayed_code")
			}
			return s.fail(ctx, op, a, "bad_code")
		}
		moved, err := s.store.AdvancePublicTOTPStep(ctx, a.ID, step)
		if err != nil {
			return err
		}
		if !moved {
			return s.fail(ctx, op, a, "replayed_code")
		}
		a.LastTOTPStep = step
	}
	if a.FailedSignIns != 0 || !a.LockedUntil.IsZero() {
		a.FailedSignIns, a.LockedUntil = 0, time.Time{}
		return s.store.UpdatePublicAuth(ctx, a)
	}
	return nil
}

// SignIn checks name, password and (if the account has one) the TOTP code, and starts a
// session of the given role: an account of another role is refused like a wrong password.
func (s *Public) SignIn(ctx context.Context, role parley.Role, name, password, code string) (string, *parley.Session, *parley.PublicAccount, error) {
	const op = "auth.PublicSignIn"
	if name == "" || len(name) > 100 || len(password) > MaxPasswordLen || len(code) > 16 {
		return "", nil, nil, errSignIn(op)
	}
	a, err := s.store.FindPublicAccountByName(ctx, name)
	if parley.IsKind(err, parley.KindNotFound) || err == nil && a.Role != role {
		VerifyPassword(dummyHash, password)
		_ = s.c.Auditor.Audit(ctx, parley.AuditEvent{Actor: "anonymous", Action: "public.signin", Object: "public:unknown",
			Outcome: parley.OutcomeDenied, Detail: "unknown_name"})
		return "", nil, nil, errSignIn(op)
	}
	if err != nil {
		return "", nil, nil, err
	}
	if err := s.checkFactors(ctx, op, a, password, code); err != nil {
		return "", nil, nil, err
	}
	token, sess, err := newSession(op, a.ID, a.FactorVersion, s.c.Now())
	if err != nil {
		return "", nil, nil, err
	}
	how := "password"
	if a.TOTPSecret != "" {
		how = "password+totp"
	}
	if err := s.audit(ctx, PublicActor(a.ID), "public.signin", a.ID, parley.OutcomeOK, how); err != nil {
		return "", nil, nil, err
	}
	if err := s.store.CreatePublicSession(ctx, sess); err != nil {
		return "", nil, nil, err
	}
	return token, sess, a, nil
}

// Authenticate returns the live public session of a token and its account (as
// Service.Authenticate does for staff).
func (s *Public) Authenticate(ctx context.Context, token string) (*parley.Session, *parley.PublicAccount, error) {
	var a *parley.PublicAccount
	st := sessionStore{find: s.store.FindPublicSession, touch: s.store.TouchPublicSession, delete: s.store.DeletePublicSession}
	sess, err := st.live(ctx, "auth.PublicAuthenticate", token, s.c.Now(), s.c, func(id string, factorVersion int) (bool, error) {
		var err error
		a, err = s.store.FindPublicAccount(ctx, id)
		return err == nil && a.FactorVersion == factorVersion, err
	})
	if err != nil {
		return nil, nil, err
	}
	return sess, a, nil
}

// SignOut ends the public session of a token and audits it.
func (s *Public) SignOut(ctx context.Context, token string) error {
	sess, _, err := s.Authenticate(ctx, token)
	if err != nil {
		return err
	}
	if err := s.audit(ctx, PublicActor(sess.UserID), "public.signout", sess.UserID, parley.OutcomeOK, ""); err != nil {
		return err
	}
	return s.store.DeletePublicSession(ctx, sess.TokenHash)
}

// NewTOTP returns a fresh TOTP secret and its otpauth URL for an account to confirm with
// EnableTOTP; nothing is stored yet.
func (s *Public) NewTOTP(accountID string) (*Enrolment, error) {
	secret, url, err := newTOTPKey(s.c.Issuer, accountID)
	if err != nil {
		return nil, parley.WrapError("auth.NewTOTP", parley.KindInternal, err)
	}
	return &Enrolment{TOTPSecret: secret, URL: url}, nil
}

// EnableTOTP turns on TOTP for an account, given its password and a current code of the
// new secret. Every session of the account ends (the factors changed). A wrong password
// counts as a failed sign-in.
func (s *Public) EnableTOTP(ctx context.Context, accountID, password, secret, code string) error {
	const op = "auth.EnableTOTP"
	a, err := s.store.FindPublicAccount(ctx, accountID)
	if err != nil {
		return err
	}
	if a.TOTPSecret != "" {
		return parley.Errorf(op, parley.KindConflict, "this account has an authenticator already")
	}
	if len(secret) != 52 || len(password) > MaxPasswordLen {
		return parley.Errorf(op, parley.KindInvalid, "start again from the security page")
	}
	now := s.c.Now()
	if now.Before(a.LockedUntil) {
		return parley.Errorf(op, parley.KindUnauthorized, "account locked; try again later")
	}
	if !VerifyPassword(a.PasswordHash, password) {
		return s.fail(ctx, op, a, "bad_password")
	}
	step := matchStep(secret, code, now, 0)
	if step == 0 {
		return parley.Errorf(op, parley.KindInvalid, "the code does not match the new authenticator; check the device's clock")
	}
	a.TOTPSecret, a.LastTOTPStep = secret, step
	a.FactorVersion++
	a.FailedSignIns, a.LockedUntil = 0, time.Time{}
	if err := s.audit(ctx, PublicActor(a.ID), "public.totp", a.ID, parley.OutcomeOK, "factor added; sessions ended"); err != nil {
		return err
	}
	if err := s.store.UpdatePublicAuth(ctx, a); err != nil {
		return err
	}
	_, err = s.store.DeletePublicAccountSessions(ctx, a.ID)
	return err
}
