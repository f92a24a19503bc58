package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("device add", "device add --facility ID --id ID [--name NAME] [--do-not-record]", runDeviceAdd)
}

func runDeviceAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("device add")
	df := m.addDataFlags(fs)
	d := &parley.Device{}
	fs.StringVar(&d.FacilityID, "facility", "", "facility id")
	fs.StringVar(&d.ID, "id", "", "device id")
	fs.StringVar(&d.Name, "name", "", "description, e.g. \"attorney booth 2\"")
	fs.BoolVar(&d.DoNotRecord, "do-not-record", false, "never record calls from this device")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", d.FacilityID, "id", d.ID); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.admin(nil).AddDevice(ctx, d); err != nil {
			return err
		}
		m.printf("device %s added to facility %s\n", d.ID, d.FacilityID)
		return nil
	})
}
