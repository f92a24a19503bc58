package admin

import (
	"context"
	"net/netip"
	"strings"

	"parley.dev/parley"
)

// SetRetention sets how long a facility keeps recordings, for every class (class "") or
// one, audited as "facility.retention".
func (s *Service) SetRetention(ctx context.Context, facilityID string, class parley.RecordClass, days int) error {
	const op = "admin.SetRetention"
	if days < 1 || days > 36500 {
		return parley.Errorf(op, parley.KindInvalid, "days must be between 1 and 36500")
	}
	if class != "" && !class.Valid() {
		return parley.Errorf(op, parley.KindInvalid, "unknown record class")
	}
	f, err := s.facility(ctx, facilityID)
	if err != nil {
		return err
	}
	if class == "" {
		f.RetentionDays = days
	} else {
		if f.ClassRetentionDays == nil {
			f.ClassRetentionDays = map[parley.RecordClass]int{}
		}
		f.ClassRetentionDays[class] = days
	}
	if err := f.Validate(); err != nil {
		return err
	}
	return s.act(ctx, "facility.retention", "facility:"+f.ID, "", func() error {
		return s.Store.UpdateFacility(ctx, f)
	})
}

// SetLegalHold places (hold) or lifts a legal hold on a recording, audited as
// "recording.hold" or "recording.release" with the reason (no personal data).
func (s *Service) SetLegalHold(ctx context.Context, recordingID string, hold bool, reason string) error {
	const op = "admin.SetLegalHold"
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 200 || !printable(reason) {
		return parley.Errorf(op, parley.KindInvalid, "a reason (court order or case reference, at most 200 characters) is required")
	}
	action := "recording.release"
	if hold {
		action = "recording.hold"
	}
	return s.act(ctx, action, "recording:"+recordingID, reason, func() error {
		return s.Store.SetLegalHold(ctx, recordingID, hold, reason)
	})
}

// SetGateway trusts (add) or stops trusting a SIP gateway's IP address for a facility,
// audited as "gateway.add" or "gateway.remove".
func (s *Service) SetGateway(ctx context.Context, facilityID, addr string, add bool) error {
	const op = "admin.SetGateway"
	if _, err := netip.ParseAddr(addr); err != nil {
		return parley.Errorf(op, parley.KindInvalid, "gateway address must be an IP address")
	}
	if _, err := s.facility(ctx, facilityID); err != nil {
		return err
	}
	if !add {
		gws, err := s.Store.ListGateways(ctx, facilityID)
		if err != nil {
			return err
		}
		found := false
		for _, g := range gws {
			found = found || g.Addr == addr
		}
		if !found {
			return parley.Errorf(op, parley.KindNotFound, "gateway is not trusted for this facility")
		}
	}
	action := "gateway.remove"
	if add {
		action = "gateway.add"
	}
	return s.act(ctx, action, "facility:"+facilityID, addr, func() error {
		if add {
			return s.Store.AddGateway(ctx, &parley.Gateway{Addr: addr, FacilityID: facilityID, AddedAt: s.now()})
		}
		return s.Store.RemoveGateway(ctx, addr)
	})
}
