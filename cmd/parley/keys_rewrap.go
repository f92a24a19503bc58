package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("keys rewrap", "keys rewrap", runKeysRewrap)
}

// runKeysRewrap re-wraps every secret and period key under the active KEK.
func runKeysRewrap(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("keys rewrap")
	df := m.addDataFlags(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx),
			Action: "keys.rewrap", Object: "kek:" + e.keys.ActiveKEK(), Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		n, err := e.keys.Rewrap(ctx)
		if err != nil {
			return err
		}
		m.printf("%d key(s) re-wrapped under %s\n", n, e.keys.ActiveKEK())
		return nil
	})
}
