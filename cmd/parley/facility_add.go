package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("facility add", "facility add --id ID --name NAME --type prison|jail --adp N [--timezone ZONE] [--retention-days N]", runFacilityAdd)
}

func runFacilityAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("facility add")
	df := m.addDataFlags(fs)
	f := &parley.Facility{}
	var typ string
	fs.StringVar(&f.ID, "id", "", "facility id")
	fs.StringVar(&f.Name, "name", "", "display name")
	fs.StringVar(&typ, "type", "", "prison or jail")
	fs.IntVar(&f.ADP, "adp", 0, "average daily population")
	fs.StringVar(&f.Timezone, "timezone", "UTC", "IANA time zone for calling hours")
	fs.IntVar(&f.RetentionDays, "retention-days", 0, "days recordings are kept (default 365)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("id", f.ID, "name", f.Name, "type", typ); err != nil {
		return err
	}
	f.Type = parley.FacilityType(typ)
	if err := f.Validate(); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx),
			Action: "facility.add", Object: "facility:" + f.ID, Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		if err := e.store.CreateFacility(ctx, f); err != nil {
			return err
		}
		m.printf("facility %s added\n", f.ID)
		return nil
	})
}
