package main

import "context"

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
		if err := e.admin(nil).SetDoNotRecord(ctx, what, *facility, *id, !*off); err != nil {
			return err
		}
		detail := "on"
		if *off {
			detail = "off"
		}
		m.printf("%s do-not-record %s\n", what, detail)
		return nil
	})
}
