package main

import (
	"context"

	"parley.dev/parley"
	"parley.dev/parley/audit"
)

func init() {
	register("keys rewrap", "keys rewrap [--json]", runKeysRewrap)
}

// runKeysRewrap re-wraps every secret and period key under the active KEK, audited before
// (nothing is re-wrapped if the audit log is down) and, on failure, after.
func runKeysRewrap(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("keys rewrap")
	df := m.addDataFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		active := e.keys.ActiveKEK()
		var n int
		ev := parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: audit.ActionKeysRewrap, Object: "kek:" + active}
		if err := audit.Attempt(ctx, e.audit, ev, func() (err error) {
			n, err = e.keys.Rewrap(ctx)
			return err
		}); err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(keysView{Active: active, Rewrapped: &n})
		}
		m.printf("%d key(s) re-wrapped under %s\n", n, active)
		return nil
	})
}
