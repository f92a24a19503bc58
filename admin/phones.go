package admin

import (
	"context"
	"crypto/fips140"

	"parley.dev/parley"
)

// MinPhonePassword is the shortest password a registering phone may have: the digest
// hashes stand in for it, and a short one falls to a dictionary run over a stolen hash.
const MinPhonePassword = 10

// PhoneHasher makes a phone's digest hashes for user, realm and password: the MD5 HA1
// when digest (canonical, parley.ParseDigest) names md5, the SHA-256 one when it names
// sha256, "" for the other (sip.HA1 and sip.HA1SHA256).
type PhoneHasher func(user, realm, password, digest string) (ha1, ha1SHA256 string)

// md5Refused is the error for an MD5 digest asked for in FIPS mode.
func md5Refused(op string) error {
	return parley.Errorf(op, parley.KindInvalid,
		"MD5 digest is not allowed while parley runs in FIPS mode (GODEBUG=fips140): choose sha256")
}

// phoneDigest returns the canonical digest choice ("" is parley.DigestDefault), refusing
// MD5 in FIPS mode.
func phoneDigest(op, digest string) (string, error) {
	if digest == "" {
		digest = parley.DigestDefault
	}
	d, err := parley.ParseDigest(digest)
	if err != nil {
		return "", parley.Errorf(op, parley.KindInvalid, "the digest algorithms must be sha256, md5 or sha256,md5")
	}
	if parley.DigestHas(d, parley.DigestMD5) && fips140.Enabled() {
		return "", md5Refused(op)
	}
	return d, nil
}

func checkPhonePassword(op, password string) error {
	if len(password) < MinPhonePassword || len(password) > 200 {
		return parley.Errorf(op, parley.KindInvalid, "the phone's password must be %d to 200 characters", MinPhonePassword)
	}
	return nil
}

// AddPhone stores a phone that registers with digest authentication, audited as
// "phone.add". The password is never stored: only its hashes for the realm ("": the
// SIP server's, Service.PhoneRealm) and the digest algorithms ("": parley.DigestDefault;
// md5 refused in FIPS mode).
func (s *Service) AddPhone(ctx context.Context, facilityID, user, password, realm, digest string) (*parley.SIPPhone, error) {
	const op = "admin.AddPhone"
	if err := parley.ValidateID(user); err != nil {
		return nil, parley.Errorf(op, parley.KindInvalid, "the phone's user name must be a simple name (letters, digits, '-', '_', '.')")
	}
	if err := checkPhonePassword(op, password); err != nil {
		return nil, err
	}
	digest, err := phoneDigest(op, digest)
	if err != nil {
		return nil, err
	}
	if _, err := s.facility(ctx, facilityID); err != nil {
		return nil, err
	}
	if realm == "" {
		realm = s.PhoneRealm
	}
	if s.PhoneHash == nil || realm == "" {
		return nil, parley.Errorf(op, parley.KindUnavailable, "phones cannot be added here")
	}
	ha1, ha1sha := s.PhoneHash(user, realm, password, digest)
	p := &parley.SIPPhone{Username: user, FacilityID: facilityID, Realm: realm, Digest: digest, HA1: ha1, HA1SHA256: ha1sha, AddedAt: s.now()}
	if err := s.act(ctx, "phone.add", "phone:"+user, "facility:"+facilityID+" digest:"+digest, func() error {
		return s.Store.AddPhone(ctx, p)
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// SetPhonePassword gives a phone a new password, or other digest algorithms ("": keep
// its own), audited as "phone.password". Changing the algorithms needs the password:
// one algorithm's hash cannot be made from another's. The hashes are made again for
// the phone's realm. With facilityID set, a phone of another facility looks like a
// missing one.
func (s *Service) SetPhonePassword(ctx context.Context, facilityID, user, password, digest string) (*parley.SIPPhone, error) {
	const op = "admin.SetPhonePassword"
	if err := checkPhonePassword(op, password); err != nil {
		return nil, err
	}
	p, err := s.Store.FindPhone(ctx, user)
	if err != nil {
		return nil, err
	}
	if facilityID != "" && p.FacilityID != facilityID {
		return nil, parley.Errorf(op, parley.KindNotFound, "no such phone at this facility")
	}
	if digest == "" {
		digest = p.Digest
	}
	if digest, err = phoneDigest(op, digest); err != nil {
		return nil, err
	}
	if s.PhoneHash == nil {
		return nil, parley.Errorf(op, parley.KindUnavailable, "phones cannot be changed here")
	}
	p.Digest = digest
	p.HA1, p.HA1SHA256 = s.PhoneHash(user, p.Realm, password, digest)
	if err := s.act(ctx, "phone.password", "phone:"+user, "facility:"+p.FacilityID+" digest:"+digest, func() error {
		return s.Store.UpdatePhoneDigest(ctx, p)
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// RemovePhone deletes a phone, audited as "phone.remove". With facilityID set, a phone of
// another facility looks like a missing one.
func (s *Service) RemovePhone(ctx context.Context, facilityID, user string) error {
	if facilityID != "" {
		p, err := s.Store.FindPhone(ctx, user)
		if err != nil {
			return err
		}
		if p.FacilityID != facilityID {
			return parley.Errorf("admin.RemovePhone", parley.KindNotFound, "no such phone at this facility")
		}
	}
	return s.act(ctx, "phone.remove", "phone:"+user, "", func() error {
		return s.Store.RemovePhone(ctx, user)
	})
}
