package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"parley.dev/parley"
)

// TOTP parameters: SHA-256 (SHA-1 HMAC is not available under fips140=only), 6 digits,
// 30-second steps, one step of clock skew either way, a 256-bit secret.
const (
	totpPeriod = 30
	totpSkew   = 1
	secretLen  = 32
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA256}

// newTOTPKey returns a fresh TOTP key for an account name: its base32 secret and the
// otpauth:// URL an authenticator app reads.
func newTOTPKey(issuer, account string) (secret, url string, err error) {
	raw := make([]byte, secretLen)
	if _, err := rand.Read(raw); err != nil {
		return "", "", err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod,
		Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA256})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// Code returns the TOTP code of secret at t (for enrolment checks and tests).
func Code(secret string, t time.Time) (string, error) {
	c, err := totp.GenerateCodeCustom(secret, t, totpOpts)
	if err != nil {
		return "", parley.WrapError("auth.Code", parley.KindInvalid, err)
	}
	return c, nil
}

// matchStep returns the time step within the skew window whose code equals code and that
// is later than after (so a code already used, or an older one, is refused), or 0.
func matchStep(secret, code string, now time.Time, after int64) int64 {
	if len(code) != 6 {
		return 0
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil {
		return 0
	}
	cur := now.Unix() / totpPeriod
	var found int64
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > after && found == 0 {
			found = step
		}
	}
	return found
}
