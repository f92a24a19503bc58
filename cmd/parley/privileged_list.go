package main

import (
	"context"

	"parley.dev/parley"
)

func init() {
	register("privileged list", "privileged list [--json]", runPrivilegedList)
}

// runPrivilegedList shows the registry. Reading it is audited: it lists attorneys' numbers.
func runPrivilegedList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("privileged list")
	df := m.addDataFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx),
			Action: "privileged.list", Object: "registry", Outcome: parley.OutcomeOK}); err != nil {
			return err
		}
		list, err := e.store.ListPrivileged(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(list)
		}
		var rows [][]string
		for _, p := range list {
			rows = append(rows, []string{p.ID, string(p.Number), string(p.Kind), string(p.Source),
				p.AddedAt.UTC().Format("2006-01-02"), p.Name})
		}
		return m.table([]string{"ID", "NUMBER", "KIND", "SOURCE", "ADDED", "NAME"}, rows)
	})
}
