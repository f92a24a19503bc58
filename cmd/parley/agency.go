package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("agency add", "agency add --id ID --name NAME", runAgencyAdd)
	register("agency facility", "agency facility --agency ID --facility ID", runAgencyFacility)
}

func runAgencyAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("agency add")
	df := m.addDataFlags(fs)
	a := &parley.Agency{}
	fs.StringVar(&a.ID, "id", "", "agency id")
	fs.StringVar(&a.Name, "name", "", "display name")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("id", a.ID, "name", a.Name); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx),
			Action: "agency.add", Object: "agency:" + a.ID, Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		if err := e.store.CreateAgency(ctx, a); err != nil {
			return err
		}
		m.printf("agency %s added\n", a.ID)
		return nil
	})
}

// runAgencyFacility puts a facility in an agency: the agency's accounts then reach it.
func runAgencyFacility(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("agency facility")
	df := m.addDataFlags(fs)
	agency := fs.String("agency", "", "agency id")
	facility := fs.String("facility", "", "facility id")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("agency", *agency, "facility", *facility); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx),
			Action: "agency.facility", Object: "agency:" + *agency + " facility:" + *facility, Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		if err := e.store.AddAgencyFacility(ctx, *agency, *facility); err != nil {
			return err
		}
		m.printf("facility %s is in agency %s\n", *facility, *agency)
		return nil
	})
}
