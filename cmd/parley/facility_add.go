package main

import (
	"context"
	"net/netip"

	"parley.dev/parley"
	"parley.dev/parley/audit"
	"parley.dev/parley/policy"
)

func init() {
	register("facility add", "facility add --id ID --name NAME --type prison|jail --adp N [--timezone ZONE] [--retention-days N] [--gateway ADDR]...", runFacilityAdd)
}

func runFacilityAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("facility add")
	df := m.addDataFlags(fs)
	f := &parley.Facility{}
	var typ string
	fs.StringVar(&f.ID, "id", "", "facility id")
	fs.StringVar(&f.Name, "name", "", "display name")
	fs.StringVar(&typ, "type", "", "prison or jail")
	fs.IntVar(&f.ADP, "adp", 0, "average daily population (required: a jail's rate caps depend on it)")
	fs.StringVar(&f.Timezone, "timezone", "UTC", "IANA time zone for calling hours")
	fs.IntVar(&f.RetentionDays, "retention-days", 0, "days recordings are kept (default 365)")
	var gateways multiFlag
	fs.Var(&gateways, "gateway", "IP address of a SIP gateway whose calls are trusted as this facility's phones (repeatable)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("id", f.ID, "name", f.Name, "type", typ); err != nil {
		return err
	}
	// The FCC caps of a jail depend on its population, so an unset --adp (0) would price
	// calls in the wrong tier.
	if !flagSet(fs, "adp") {
		return usageError("--adp is required")
	}
	if f.ADP <= 0 {
		return usageError("--adp must be a positive integer (average daily population)")
	}
	f.Type = parley.FacilityType(typ)
	if err := f.Validate(); err != nil {
		return err
	}
	// Every address is checked before anything is written.
	seen := map[netip.Addr]bool{}
	for _, g := range gateways {
		a, err := netip.ParseAddr(g)
		if err != nil || a.Zone() != "" {
			return parley.Errorf("facility add", parley.KindInvalid, "--gateway must be an IP address")
		}
		if seen[a.Unmap()] {
			return usageError("--gateway %s given twice", a.Unmap())
		}
		seen[a.Unmap()] = true
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		ev := parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: audit.ActionFacilityAdd, Object: "facility:" + f.ID}
		// Refusals found before writing are audited once, as refused; never as "ok".
		switch _, err := e.store.FindFacility(ctx, f.ID); {
		case err == nil:
			return e.refuse(ctx, ev, parley.Errorf("facility add", parley.KindConflict, "facility %s already exists", f.ID))
		case !parley.IsKind(err, parley.KindNotFound):
			return err
		}
		for _, g := range gateways { // trusted by another facility: refuse before creating this one
			if taken, err := e.gatewayFacility(ctx, g); err != nil {
				return err
			} else if taken != "" {
				return e.refuse(ctx, ev, parley.Errorf("facility add", parley.KindConflict, "gateway %s is already trusted for facility %s", g, taken))
			}
		}
		if err := audit.Attempt(ctx, e.audit, ev, func() error { return e.store.CreateFacility(ctx, f) }); err != nil {
			return err
		}
		m.printf("facility %s added\n", f.ID)
		// A facility without rules would drop every call: it starts with the documented
		// defaults (policy.DefaultRules), audited like any rules change.
		rules := policy.DefaultRules(f.ID, f.Timezone)
		rev := parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "facility.rules", Object: "facility:" + f.ID, Detail: "defaults"}
		if err := audit.Attempt(ctx, e.audit, rev, func() error { return e.db.SetCallRules(ctx, rules) }); err != nil {
			return err
		}
		m.printf("default call rules (change them with 'parley facility rules --facility %s …'):\n", f.ID)
		m.printRules(rules)
		for _, g := range gateways {
			gev := parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "gateway.add", Object: "facility:" + f.ID, Detail: g}
			if err := audit.Attempt(ctx, e.audit, gev, func() error {
				return e.store.AddGateway(ctx, &parley.Gateway{Addr: g, FacilityID: f.ID, AddedAt: e.now()})
			}); err != nil {
				return err
			}
			m.printf("gateway %s trusted for facility %s\n", g, f.ID)
		}
		return nil
	})
}

// refuse audits an action refused before it started (outcome error, "refused: <kind>")
// and returns err; the refusal stands even if the audit log cannot take the event.
func (e *env) refuse(ctx context.Context, ev parley.AuditEvent, err error) error {
	if aerr := e.audit.Audit(ctx, audit.Refused(ev, err)); aerr != nil {
		e.logger.WarnContext(ctx, "cannot audit a refused action", "action", ev.Action, "err", aerr)
	}
	return err
}
