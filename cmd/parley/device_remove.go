package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("device remove", "device remove --facility ID --id DEV", runDeviceRemove)
}

// runDeviceRemove retires a device behind a facility's gateway (audited as
// "device.remove"). Its calls keep naming it; the id may be added again later.
func runDeviceRemove(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("device remove")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	id := fs.String("id", "", "device id")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility, "id", *id); err != nil {
		return err
	}
	if parley.ValidateID(*facility) != nil {
		return usageError("--facility must be a simple id (letters, digits, '-', '_', '.')")
	}
	if parley.ValidateID(*id) != nil {
		return usageError("--id must be a simple id (letters, digits, '-', '_', '.')")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.admin(nil).RemoveDevice(ctx, *facility, *id); err != nil {
			return err
		}
		m.printf("device %s removed from facility %s\n", *id, *facility)
		return nil
	})
}
