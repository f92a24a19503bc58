package admin

import (
	"context"
	"time"

	"parley.dev/parley"
)

// ValidBlockPrefix reports whether p is '+' then 1 to 15 digits, the first not 0.
func ValidBlockPrefix(p string) bool {
	if len(p) < 2 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for _, c := range p[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Block is a block of a facility: a number or a prefix (exactly one).
type Block struct {
	FacilityID string
	Number     parley.Number // E.164, already normalized
	Prefix     string        // "+1900"
}

func (b Block) check(op string) error {
	if (b.Number == "") == (b.Prefix == "") {
		return parley.Errorf(op, parley.KindInvalid, "give exactly one of a number and a prefix")
	}
	if b.Prefix != "" && !ValidBlockPrefix(b.Prefix) {
		return parley.Errorf(op, parley.KindInvalid, "prefix must be '+' and 1 to 15 digits, not starting with 0")
	}
	return nil
}

// SetBlock blocks (add) or unblocks a number or prefix at a facility, audited as
// "block.add" or "block.remove" with the number's digest or the prefix.
func (s *Service) SetBlock(ctx context.Context, b Block, add bool) error {
	const op = "admin.SetBlock"
	if err := b.check(op); err != nil {
		return err
	}
	if _, err := s.facility(ctx, b.FacilityID); err != nil {
		return err
	}
	verb := "remove"
	if add {
		verb = "add"
	}
	object := "prefix:" + b.Prefix
	if b.Number != "" {
		object = s.NumberObject(b.Number)
	}
	return s.act(ctx, "block."+verb, object, "facility "+b.FacilityID, func() error {
		switch {
		case b.Number != "" && add:
			return s.Store.AddBlockedNumber(ctx, b.FacilityID, b.Number)
		case b.Number != "":
			return s.Store.RemoveBlockedNumber(ctx, b.FacilityID, b.Number)
		case add:
			return s.Store.AddBlockedPrefix(ctx, b.FacilityID, b.Prefix)
		default:
			return s.Store.RemoveBlockedPrefix(ctx, b.FacilityID, b.Prefix)
		}
	})
}

// Blocks returns a facility's blocked numbers and prefixes; reading the numbers is
// audited ("block.list").
func (s *Service) Blocks(ctx context.Context, facilityID string) (*parley.FacilityBlocks, error) {
	if _, err := s.facility(ctx, facilityID); err != nil {
		return nil, err
	}
	var out *parley.FacilityBlocks
	err := s.act(ctx, "block.list", "facility:"+facilityID, "", func() (err error) {
		out, err = s.Store.FacilityBlocks(ctx, facilityID)
		return err
	})
	return out, err
}

// MaxAllowedLength bounds an allowed number's own call-length cap.
const MaxAllowedLength = 24 * time.Hour

// AllowNumber puts a number on an inmate's allowed list (maxLen 0: the facility's limit),
// audited as "contact.allow".
func (s *Service) AllowNumber(ctx context.Context, facilityID, inmateID string, n parley.Number, maxLen time.Duration) error {
	if maxLen < 0 || maxLen > MaxAllowedLength {
		return parley.Errorf("admin.AllowNumber", parley.KindInvalid, "maximum call length must be between 0 and 24h")
	}
	if _, err := s.Store.FindInmate(ctx, facilityID, inmateID); err != nil {
		return err
	}
	return s.act(ctx, "contact.allow", s.InmateObject(facilityID, inmateID)+" "+s.NumberObject(n), "facility "+facilityID, func() error {
		return s.Store.AddAllowedNumber(ctx, &parley.AllowedNumber{FacilityID: facilityID, InmateID: inmateID,
			Number: n, MaxCallLength: maxLen, AddedAt: s.now()})
	})
}

// RemoveAllowed takes a number off an inmate's list, audited as "contact.remove".
func (s *Service) RemoveAllowed(ctx context.Context, facilityID, inmateID string, n parley.Number) error {
	return s.act(ctx, "contact.remove", s.InmateObject(facilityID, inmateID)+" "+s.NumberObject(n), "facility "+facilityID, func() error {
		return s.Store.RemoveAllowedNumber(ctx, facilityID, inmateID, n)
	})
}

// AllowedNumbers returns an inmate's list; reading it is audited ("contact.list").
func (s *Service) AllowedNumbers(ctx context.Context, facilityID, inmateID string) ([]*parley.AllowedNumber, error) {
	if _, err := s.Store.FindInmate(ctx, facilityID, inmateID); err != nil {
		return nil, err
	}
	var out []*parley.AllowedNumber
	err := s.act(ctx, "contact.list", s.InmateObject(facilityID, inmateID), "facility "+facilityID, func() (err error) {
		out, err = s.Store.ListAllowedNumbers(ctx, facilityID, inmateID)
		return err
	})
	return out, err
}
