package main

import (
	"context"

	"parley.dev/parley"
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
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.admin(nil).AddInmate(ctx, in, pinCode); err != nil {
			return err
		}
		m.printf("inmate added to facility %s\n", in.FacilityID)
		return nil
	})
}
