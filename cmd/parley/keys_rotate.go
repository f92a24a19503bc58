package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("keys rotate", "keys rotate", runKeysRotate)
}

// runKeysRotate adds a new key-encryption key and makes it active; data wrapped by older
// KEKs stays readable until `keys rewrap` moves it.
func runKeysRotate(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("keys rotate")
	df := m.addDataFlags(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx),
			Action: "keys.rotate", Object: "kek", Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		id, err := e.keys.Rotate(ctx)
		if err != nil {
			return err
		}
		m.printf("new key-encryption key %s is active\n", id)
		return nil
	})
}
