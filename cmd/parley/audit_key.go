package main

import (
	"context"
)

func init() {
	register("audit key", "audit key", runAuditKey)
}

// runAuditKey prints the audit log's public verifier key (golang.org/x/mod/sumdb/note
// format, name+hash+base64), which an auditor passes to `audit verify --file EXPORT --key`.
func runAuditKey(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("audit key")
	df := m.addDataFlags(fs)
	df.uncheckedAudit = true // the key is the key, whatever the log holds
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		m.printf("%s\n", e.verifierKey)
		return nil
	})
}
