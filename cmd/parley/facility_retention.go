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
		f, err := e.store.FindFacility(ctx, *id)
		if err != nil {
			return err
		}
		if *class == "" {
			f.RetentionDays = *days
		} else {
			if f.ClassRetentionDays == nil {
				f.ClassRetentionDays = map[parley.RecordClass]int{}
			}
			f.ClassRetentionDays[parley.RecordClass(*class)] = *days
		}
		if err := f.Validate(); err != nil {
			return err
		}
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx),
			Action: "facility.retention", Object: "facility:" + f.ID, Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		if err := e.store.UpdateFacility(ctx, f); err != nil {
			return err
		}
		m.printf("facility %s keeps recordings %d days\n", f.ID, *days)
		return nil
	})
}
