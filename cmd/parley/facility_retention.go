package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("facility retention", "facility retention --id ID --days N [--class call|imported|video]", runFacilityRetention)
}

// runFacilityRetention sets how long a facility keeps recordings, for all classes or one.
func runFacilityRetention(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("facility retention")
	df := m.addDataFlags(fs)
	id := fs.String("id", "", "facility id")
	days := fs.Int("days", 0, "days to keep recordings")
	class := fs.String("class", "", "record class (default: all classes)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("id", *id); err != nil {
		return err
	}
	if *days < 1 {
		return usageError("--days must be at least 1")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.admin(nil).SetRetention(ctx, *id, parley.RecordClass(*class), *days); err != nil {
			return err
		}
		m.printf("facility %s keeps recordings %d days\n", *id, *days)
		return nil
	})
}
