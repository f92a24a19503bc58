package auth

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strconv"
	"strings"
	"time"

	"parley.dev/parley"
)

// EnrolValidity is how long an enrolment secret (the one-time link an admin hands over)
// can be spent.
const EnrolValidity = 72 * time.Hour

// newEnrolSecret returns a one-time enrolment secret: 160 random bits in base32, a dash and
// the Unix time it expires. Only its hash is stored, and the hash covers the expiry, so the
// expiry cannot be changed without the secret failing; no column is needed for it.
func (s *Service) newEnrolSecret(op string) (string, error) {
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		return "", parley.WrapError(op, parley.KindInternal, err)
	}
	exp := s.c.Now().Add(EnrolValidity).Unix()
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw) + "-" + strconv.FormatInt(exp, 10), nil
}

// enrolExpired reports whether an (authentic) enrolment secret is past its expiry. A
// secret issued before secrets carried one has none and does not expire.
func enrolExpired(secret string, now time.Time) bool {
	i := strings.LastIndexByte(secret, '-')
	if i < 0 {
		return false
	}
	exp, err := strconv.ParseInt(secret[i+1:], 10, 64)
	return err != nil || !now.Before(time.Unix(exp, 0))
}

// ResetUser is ResetEnrolment by account id (the Staff page): the factors are dropped, every
// session ends (audited "user.reset") and the new enrolment secret is returned.
func (s *Service) ResetUser(ctx context.Context, userID string) (string, error) {
	u, err := s.c.Store.FindUser(ctx, userID)
	if err != nil {
		return "", err
	}
	return s.reset(ctx, u)
}

// Disable makes an account unable to sign in: password, TOTP key and any enrolment secret
// are dropped and every session ends (audited "user.disable" before the change). A reset
// (a new enrolment link) brings it back.
func (s *Service) Disable(ctx context.Context, userID string) error {
	u, err := s.c.Store.FindUser(ctx, userID)
	if err != nil {
		return err
	}
	u.PasswordHash, u.TOTPSecret, u.EnrolHash = "", "", ""
	return s.factorChanged(ctx, u, "user.disable")
}

// Unlock lifts a lockout after failed sign-ins (audited "user.unlock" before the change).
func (s *Service) Unlock(ctx context.Context, userID string) error {
	u, err := s.c.Store.FindUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.audit(ctx, parley.ActorFromContext(ctx), "user.unlock", "user:"+u.ID, parley.OutcomeOK, ""); err != nil {
		return err
	}
	u.FailedSignIns, u.LockedUntil = 0, time.Time{}
	return s.c.Store.UpdateUserAuth(ctx, u)
}
