package auth

import (
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
