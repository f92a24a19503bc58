package main

import (
	"context"

	"parley.dev/parley"
	"parley.dev/parley/pin"
)

func init() {
	register("inmate add", "inmate add --facility ID --id ID --name NAME --pin PIN [--do-not-record]", runInmateAdd)
}

func runInmateAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("inmate add")
	df := m.addDataFlags(fs)
	in := &parley.Inmate{}
	var pinCode string
	fs.StringVar(&in.FacilityID, "facility", "", "facility id")
	fs.StringVar(&in.ID, "id", "", "booking or DOC number")
	fs.StringVar(&in.Name, "name", "", "full name")
	fs.StringVar(&pinCode, "pin", "", "4 to 8 digit PIN")
	fs.BoolVar(&in.DoNotRecord, "do-not-record", false, "never record this inmate's calls")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", in.FacilityID, "id", in.ID, "name", in.Name, "pin", pinCode); err != nil {
		return err
	}
	if err := parley.ValidateID(in.ID); err != nil {
		return parley.WrapError("inmate add: --id", parley.KindInvalid, err)
	}
	if err := pin.Validate(pinCode); err != nil {
		return err
	}
	hash, err := pin.Hash(pinCode)
	if err != nil {
		return err
	}
	in.PINHash = hash
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if _, err := e.store.FindFacility(ctx, in.FacilityID); err != nil {
			return err
		}
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx),
			Action: "inmate.add", Object: "facility:" + in.FacilityID, Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		if err := e.store.CreateInmateWithPIN(ctx, in, pinCode); err != nil {
			return err
		}
		m.printf("inmate added to facility %s\n", in.FacilityID)
		return nil
	})
}
