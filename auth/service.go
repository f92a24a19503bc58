package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"time"

	"parley.dev/parley"
)

// Defaults of Config.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	DefaultMaxFailures     = 5
	DefaultLockout         = 15 * time.Minute
)

// Config wires a Service.
type Config struct {
	Store   parley.UserService
	Auditor parley.Auditor
	Logger  *slog.Logger     // never receives names, passwords, codes or tokens
	Now     func() time.Time // the clock (tests inject one)
	Issuer  string           // shown by authenticator apps; "parley" if empty
	// IdleTimeout ends a session unused this long; AbsoluteTimeout ends any session this
	// long after sign-in. MaxFailures consecutive failures lock the account for Lockout.
	IdleTimeout, AbsoluteTimeout time.Duration
	MaxFailures                  int
	Lockout                      time.Duration
}

// Service signs staff in and checks their sessions. It is safe for concurrent use.
type Service struct{ c Config }

// New returns a Service, filling defaults.
func New(c Config) *Service {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Issuer == "" {
		c.Issuer = "parley"
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.AbsoluteTimeout <= 0 {
		c.AbsoluteTimeout = DefaultAbsoluteTimeout
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.Lockout < 10*time.Minute {
		c.Lockout = DefaultLockout
	}
	return &Service{c: c}
}

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.c.Now() }

// IdleTimeout is how long an unused session lives.
func (s *Service) IdleTimeout() time.Duration { return s.c.IdleTimeout }

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is how a session token is stored and looked up.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func hashEnrol(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func (s *Service) audit(ctx context.Context, actor, action, object, outcome, detail string) error {
	return s.c.Auditor.Audit(ctx, parley.AuditEvent{Actor: actor, Action: action, Object: object,
		Outcome: outcome, Detail: detail})
}

// AddUser creates an account that cannot sign in until enrolled, and returns its one-time
// enrolment secret (shown once, stored only as a hash).
func (s *Service) AddUser(ctx context.Context, u *parley.User) (string, error) {
	const op = "auth.AddUser"
	if err := u.Validate(); err != nil {
		return "", err
	}
	secret, err := s.newEnrolSecret(op)
	if err != nil {
		return "", err
	}
	u.EnrolHash, u.PasswordHash, u.TOTPSecret = hashEnrol(secret), "", ""
	u.CreatedAt = s.c.Now()
	if err := s.c.Store.CreateUser(ctx, u); err != nil {
		return "", err
	}
	if err := s.audit(ctx, parley.ActorFromContext(ctx), "user.add", "user:"+u.ID, parley.OutcomeOK, "role "+string(u.Role)); err != nil {
		return "", err
	}
	return secret, nil
}

// ResetEnrolment issues a new enrolment secret for an account: its factors are cleared and
// every session of it ends.
func (s *Service) ResetEnrolment(ctx context.Context, name string) (string, error) {
	u, err := s.c.Store.FindUserByName(ctx, name)
	if err != nil {
		return "", err
	}
	return s.reset(ctx, u)
}

// reset gives u a new enrolment secret, dropping its factors and ending its sessions.
func (s *Service) reset(ctx context.Context, u *parley.User) (string, error) {
	const op = "auth.ResetEnrolment"
	secret, err := s.newEnrolSecret(op)
	if err != nil {
		return "", err
	}
	u.EnrolHash, u.PasswordHash, u.TOTPSecret = hashEnrol(secret), "", ""
	if err := s.factorChanged(ctx, u, "user.reset"); err != nil {
		return "", err
	}
	return secret, nil
}

// factorChanged stores u with a new factor version and ends its sessions.
func (s *Service) factorChanged(ctx context.Context, u *parley.User, action string) error {
	u.FactorVersion++
	u.FailedSignIns, u.LockedUntil = 0, time.Time{}
	if err := s.audit(ctx, parley.ActorFromContext(ctx), action, "user:"+u.ID, parley.OutcomeOK, "factor changed; sessions ended"); err != nil {
		return err
	}
	if err := s.c.Store.UpdateUserAuth(ctx, u); err != nil {
		return err
	}
	_, err := s.c.Store.DeleteUserSessions(ctx, u.ID)
	return err
}

// Enrolment is what an account receives when it enrols: its TOTP secret and the otpauth URL
// for an authenticator app.
type Enrolment struct {
	TOTPSecret string
	URL        string
}

// Enrol sets an account's password and a new TOTP factor, given its one-time enrolment
// secret; the secret is spent. A wrong secret counts as a failed sign-in.
func (s *Service) Enrol(ctx context.Context, name, enrolSecret, password string) (*Enrolment, error) {
	const op = "auth.Enrol"
	if err := CheckPassword(password); err != nil {
		return nil, err
	}
	u, err := s.c.Store.FindUserByName(ctx, name)
	if err != nil {
		return nil, parley.Errorf(op, parley.KindUnauthorized, "name or enrolment secret is wrong")
	}
	now := s.c.Now()
	if now.Before(u.LockedUntil) {
		return nil, parley.Errorf(op, parley.KindUnauthorized, "account locked; try again later")
	}
	if u.EnrolHash == "" || subtle.ConstantTimeCompare([]byte(u.EnrolHash), []byte(hashEnrol(enrolSecret))) != 1 {
		return nil, s.fail(ctx, op, u, "bad_enrolment_secret")
	}
	if enrolExpired(enrolSecret, now) {
		if err := s.audit(ctx, "user:"+u.ID, "user.enrol", "user:"+u.ID, parley.OutcomeDenied, "enrolment_expired"); err != nil {
			return nil, err
		}
		return nil, parley.Errorf(op, parley.KindUnauthorized, "the enrolment link has expired: ask an administrator for a new one")
	}
	if u.PasswordHash, err = HashPassword(password); err != nil {
		return nil, err
	}
	var e Enrolment
	// The label is the sign-in name, so the app shows "parley:NAME"; the URL goes only to
	// the account's own screen, never to a log.
	if e.TOTPSecret, e.URL, err = newTOTPKey(s.c.Issuer, u.Name); err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	u.TOTPSecret, u.EnrolHash, u.LastTOTPStep = e.TOTPSecret, "", 0
	if err := s.factorChanged(ctx, u, "user.enrol"); err != nil {
		return nil, err
	}
	return &e, nil
}

// ChangePassword replaces an account's password after checking the current one and a TOTP
// code; every session of the account ends.
func (s *Service) ChangePassword(ctx context.Context, userID, current, code, next string) error {
	const op = "auth.ChangePassword"
	if err := CheckPassword(next); err != nil {
		return err
	}
	u, err := s.c.Store.FindUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.checkFactors(ctx, op, u, current, code); err != nil {
		return err
	}
	if u.PasswordHash, err = HashPassword(next); err != nil {
		return err
	}
	return s.factorChanged(ctx, u, "user.password")
}

// errSignIn is the one answer to every failed sign-in, so it reveals nothing about which
// part was wrong.
func errSignIn(op string) error {
	return parley.Errorf(op, parley.KindUnauthorized, "name, password or code is wrong")
}

// fail records a failed attempt (locking the account at the limit), audits it and returns
// the sign-in error.
func (s *Service) fail(ctx context.Context, op string, u *parley.User, reason string) error {
	u.FailedSignIns++
	if u.FailedSignIns >= s.c.MaxFailures {
		u.LockedUntil = s.c.Now().Add(s.c.Lockout)
		u.FailedSignIns = 0
		reason += "; locked"
	}
	if err := s.c.Store.UpdateUserAuth(ctx, u); err != nil {
		return err
	}
	if err := s.audit(ctx, "user:"+u.ID, "session.signin", "user:"+u.ID, parley.OutcomeDenied, reason); err != nil {
		return err
	}
	s.c.Logger.InfoContext(ctx, "sign-in refused", "user", u.ID, "reason", reason)
	return errSignIn(op)
}

// checkFactors verifies the password and a fresh TOTP code, recording the code's step so it
// cannot be used again, or records a failure.
func (s *Service) checkFactors(ctx context.Context, op string, u *parley.User, password, code string) error {
	now := s.c.Now()
	if now.Before(u.LockedUntil) {
		_ = s.audit(ctx, "user:"+u.ID, "session.signin", "user:"+u.ID, parley.OutcomeDenied, "locked")
		return parley.Errorf(op, parley.KindUnauthorized, "account locked; try again later")
	}
	if !u.Enrolled() {
		VerifyPassword(dummyHash, password)
		return s.fail(ctx, op, u, "not_enrolled")
	}
	if !VerifyPassword(u.PasswordHash, password) {
		return s.fail(ctx, op, u, "bad_password")
	}
	if code == "" {
		return s.fail(ctx, op, u, "no_second_factor")
	}
	step := matchStep(u.TOTPSecret, code, now, u.LastTOTPStep)
	if step == 0 {
		if matchStep(u.TOTPSecret, code, now, -1) != 0 {
			return s.fail(ctx, op, u, "replayed_code")
		}
		return s.fail(ctx, op, u, "bad_code")
	}
	moved, err := s.c.Store.AdvanceTOTPStep(ctx, u.ID, step)
	if err != nil {
		return err
	}
	if !moved { // a concurrent sign-in used this code first
		return s.fail(ctx, op, u, "replayed_code")
	}
	u.LastTOTPStep, u.FailedSignIns, u.LockedUntil = step, 0, time.Time{}
	return s.c.Store.UpdateUserAuth(ctx, u)
}

// SignIn checks name, password and a TOTP code and starts a session. It returns the
// session token (for the cookie; never stored) and the session.
func (s *Service) SignIn(ctx context.Context, name, password, code string) (string, *parley.Session, *parley.User, error) {
	const op = "auth.SignIn"
	if name == "" || len(name) > 100 || len(password) > MaxPasswordLen || len(code) > 16 {
		return "", nil, nil, errSignIn(op)
	}
	u, err := s.c.Store.FindUserByName(ctx, name)
	if parley.IsKind(err, parley.KindNotFound) {
		VerifyPassword(dummyHash, password)
		_ = s.audit(ctx, "anonymous", "session.signin", "user:unknown", parley.OutcomeDenied, "unknown_name")
		return "", nil, nil, errSignIn(op)
	}
	if err != nil {
		return "", nil, nil, err
	}
	if err := s.checkFactors(ctx, op, u, password, code); err != nil {
		return "", nil, nil, err
	}
	return s.startSession(ctx, op, u, "password+totp")
}

// startSession creates a session for an account whose factors have been checked, audits
// the sign-in and returns the token.
func (s *Service) startSession(ctx context.Context, op string, u *parley.User, how string) (string, *parley.Session, *parley.User, error) {
	token, sess, err := newSession(op, u.ID, u.FactorVersion, s.c.Now())
	if err != nil {
		return "", nil, nil, err
	}
	if err := s.audit(ctx, "user:"+u.ID, "session.signin", "user:"+u.ID, parley.OutcomeOK, how); err != nil {
		return "", nil, nil, err
	}
	if err := s.c.Store.CreateSession(ctx, sess); err != nil {
		return "", nil, nil, err
	}
	return token, sess, u, nil
}

// Authenticate returns the live session of a token and its account, touching it. A token
// that is unknown, idle too long, past the absolute timeout or made before a factor change
// gives KindUnauthorized (and the dead session is removed).
func (s *Service) Authenticate(ctx context.Context, token string) (*parley.Session, *parley.User, error) {
	var u *parley.User
	sess, err := s.sessions().live(ctx, "auth.Authenticate", token, s.c.Now(), s.c, func(id string, factorVersion int) (bool, error) {
		var err error
		u, err = s.c.Store.FindUser(ctx, id)
		return err == nil && u.FactorVersion == factorVersion && u.Enrolled(), err
	})
	if err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// sessions is the staff session store.
func (s *Service) sessions() sessionStore {
	st := s.c.Store
	return sessionStore{find: st.FindSession, touch: st.TouchSession, delete: st.DeleteSession}
}

// SignOut ends the session of a token and audits it.
func (s *Service) SignOut(ctx context.Context, token string) error {
	sess, _, err := s.Authenticate(ctx, token)
	if err != nil {
		return err
	}
	if err := s.audit(ctx, "user:"+sess.UserID, "session.signout", "user:"+sess.UserID, parley.OutcomeOK, ""); err != nil {
		return err
	}
	return s.c.Store.DeleteSession(ctx, sess.TokenHash)
}
