package admin

import (
	"context"

	"parley.dev/parley"
)

// MinPhonePassword is the shortest password a registering phone may have: the digest
// hashes stand in for it, and a short one falls to a dictionary run over a stolen hash.
const MinPhonePassword = 10

// PhoneHasher makes a phone's digest hashes (MD5 HA1 and SHA-256 HA1) for user, realm and
// password (sip.HA1 and sip.HA1SHA256).
type PhoneHasher func(user, realm, password string) (ha1, ha1SHA256 string)

// AddPhone stores a phone that registers with digest authentication, audited as
// "phone.add". The password is never stored: only its hashes for the realm ("": the
// SIP server's, Service.PhoneRealm).
func (s *Service) AddPhone(ctx context.Context, facilityID, user, password, realm string) (*parley.SIPPhone, error) {
	const op = "admin.AddPhone"
	if err := parley.ValidateID(user); err != nil {
		return nil, parley.Errorf(op, parley.KindInvalid, "the phone's user name must be a simple name (letters, digits, '-', '_', '.')")
	}
	if len(password) < MinPhonePassword || len(password) > 200 {
		return nil, parley.Errorf(op, parley.KindInvalid, "the phone's password must be %d to 200 characters", MinPhonePassword)
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
	ha1, ha1sha := s.PhoneHash(user, realm, password)
	p := &parley.SIPPhone{Username: user, FacilityID: facilityID, Realm: realm, HA1: ha1, HA1SHA256: ha1sha, AddedAt: s.now()}
	if err := s.act(ctx, "phone.add", "phone:"+user, "facility:"+facilityID, func() error {
		return s.Store.AddPhone(ctx, p)
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
