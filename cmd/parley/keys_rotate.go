package main

import (
	"context"

	"parley.dev/parley"
	"parley.dev/parley/audit"
)

func init() {
	register("keys rotate", "keys rotate [--json]", runKeysRotate)
}

// keysView is the --json output of keys rotate and keys rewrap.
type keysView struct {
	Active    string `json:"active_kek"`
	Previous  string `json:"previous_kek,omitempty"`
	Rewrapped *int   `json:"rewrapped,omitempty"`
}

// runKeysRotate adds a new key-encryption key and makes it active; data wrapped by older
// KEKs stays readable until `keys rewrap` moves it. The rotation is audited before it
// happens (no KEK is made if the audit log is down) and a failure is audited after it.
func runKeysRotate(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("keys rotate")
	df := m.addDataFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		prev := e.keys.ActiveKEK()
		var id string
		ev := parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: audit.ActionKeysRotate, Object: "kek",
			Detail: "from kek:" + prev}
		if err := audit.Attempt(ctx, e.audit, ev, func() (err error) {
			id, err = e.keys.Rotate(ctx)
			return err
		}); err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(keysView{Active: id, Previous: prev})
		}
		m.printf("new key-encryption key %s is active\n", id)
		return nil
	})
}
