package main

import (
	"context"
)

func init() {
	register("vault heal", "vault heal [--json]", runVaultHeal)
}

// runVaultHeal repairs recordings after a database backup was restored: survivors of the
// shreds made since the backup get their data keys back from the re-wrap journals in the
// key directory, and recordings destroyed since the backup are destroyed again. Run it
// after every restore of --data, before serve.
func runVaultHeal(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("vault heal")
	df := m.addDataFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		rep, err := e.vault.Heal(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(rep)
		}
		m.printf("%d key period(s) healed: %d recording(s) healed, %d destroyed again, %d unrecoverable\n",
			rep.Periods, rep.Healed, rep.Redestroyed, rep.Unrecoverable)
		return nil
	})
}
