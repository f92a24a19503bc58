package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("inmate do-not-record", "inmate do-not-record --facility ID --id ID [--off]", func(ctx context.Context, m *Main, args []string) error {
		return runDoNotRecord(ctx, m, args, "inmate")
	})
	register("device do-not-record", "device do-not-record --facility ID --id ID [--off]", func(ctx context.Context, m *Main, args []string) error {
		return runDoNotRecord(ctx, m, args, "device")
	})
}

// runDoNotRecord sets (or with --off clears) the do-not-record flag of an inmate or a device:
// from then on the privilege gate refuses to record their calls.
func runDoNotRecord(ctx context.Context, m *Main, args []string, what string) error {
	fs := m.flags(what + " do-not-record")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	id := fs.String("id", "", what+" id")
	off := fs.Bool("off", false, "clear the flag instead of setting it")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility, "id", *id); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		object := "facility:" + *facility // inmate ids are personal data: not in the audit log
		set := e.store.SetInmateDoNotRecord
		if what == "device" {
			object, set = "device:"+*facility+"/"+*id, e.store.SetDeviceDoNotRecord
		}
		detail := "on"
		if *off {
			detail = "off"
		}
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx),
			Action: what + ".do_not_record", Object: object, Outcome: parley.OutcomeOK, Detail: detail}); err != nil {
			return err
		}
		if err := set(ctx, *facility, *id, !*off); err != nil {
			return err
		}
		m.printf("%s do-not-record %s\n", what, detail)
		return nil
	})
}
