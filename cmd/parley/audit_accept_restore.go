package main

import (
	"context"
	"strings"

	"parley.dev/parley"
)

func init() {
	register("audit accept-restore", "audit accept-restore --reason TEXT [--json]", runAuditAcceptRestore)
}

// runAuditAcceptRestore is the recovery after a deliberate restore of an older copy of the
// data: the audit log is behind the key directory's checkpoint, and every command refuses
// to run. It accepts the log only if parley wrote every record of it (a forged or
// rewritten log is refused, whatever the reason), records the rollback as an audit event
// (from which size and root to which, and the reason), and moves the key directory's
// checkpoint and the witnesses to the restored log.
func runAuditAcceptRestore(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("audit accept-restore")
	df := m.addDataFlags(fs)
	df.uncheckedAudit = true // the log is expected not to verify against the key directory
	reason := fs.String("reason", "", "why the data was restored (recorded in the audit log)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return usageError("--reason is required: the restore is recorded with it")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		rep, err := e.audit.AcceptRestore(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Purpose: *reason})
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(rep)
		}
		m.printf("restore accepted: audit log rolled back from %d to %d records; recorded as record %d\n",
			rep.FromRecords, rep.ToRecords, rep.ToRecords)
		return nil
	})
}
