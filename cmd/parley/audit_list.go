package main

import (
	"context"
	"strconv"
	"time"
)

func init() {
	register("audit list", "audit list [--from N] [--limit N] [--json]", runAuditList)
}

// runAuditList prints audit events, oldest first.
func runAuditList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("audit list")
	df := m.addDataFlags(fs)
	df.uncheckedAudit = true // an auditor reads a log that does not verify too
	from := fs.Int64("from", 0, "first record number")
	limit := fs.Int64("limit", 100, "at most this many records")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *from < 0 || *limit < 1 || *limit > 10000 {
		return usageError("--from must be >= 0 and --limit between 1 and 10000")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		size, err := e.store.AuditSize(ctx)
		if err != nil {
			return err
		}
		to := min(*from+*limit, size)
		if *from >= to {
			return m.writeOrEmpty(*asJSON)
		}
		events, err := e.audit.Events(ctx, *from, to)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(events)
		}
		var rows [][]string
		for i, ev := range events {
			rows = append(rows, []string{strconv.FormatInt(*from+int64(i), 10), ev.Time.UTC().Format(time.RFC3339),
				ev.Actor, ev.Action, ev.Object, ev.Outcome, ev.Purpose, ev.Case})
		}
		return m.table([]string{"N", "TIME", "ACTOR", "ACTION", "OBJECT", "OUTCOME", "PURPOSE", "CASE"}, rows)
	})
}

func (m *Main) writeOrEmpty(asJSON bool) error {
	if asJSON {
		return m.writeJSON([]any{})
	}
	m.printf("no audit records in that range\n")
	return nil
}
