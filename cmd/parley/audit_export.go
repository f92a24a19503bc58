package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"parley.dev/parley"
	"parley.dev/parley/audit"
)

func init() {
	register("audit export", "audit export --out FILE", runAuditExport)
}

// runAuditExport writes the whole audit log, each record with its proof and a checkpoint
// signed over all of them, for `audit verify --file FILE --key PUBLIC_KEY` on a machine
// without the database or the keys. The log is verified first; the export is audited, and
// FILE must not exist (it appears only once complete).
func runAuditExport(ctx context.Context, m *Main, args []string) error {
	flags := m.flags("audit export")
	df := m.addDataFlags(flags)
	df.uncheckedAudit = true // Export checks the log itself, and says what is wrong
	out := flags.String("out", "", "file to write (must not exist)")
	if _, err := parse(flags, args, 0); err != nil {
		return err
	}
	if err := need("out", *out); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		ev := parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: audit.ActionAuditExport, Object: "audit:log"}
		if _, err := os.Lstat(*out); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return e.refuse(ctx, ev, parley.Errorf("audit export", parley.KindConflict, "--out %s exists", *out))
		}
		var rep audit.Report
		err := audit.Attempt(ctx, e.audit, ev, func() error {
			var err error
			rep, err = exportTo(ctx, e, *out)
			return err
		})
		if err != nil {
			return err
		}
		m.printf("exported %d audit records to %s (root %s)\n", rep.Records, *out, rep.RootHash)
		return nil
	})
}

// exportTo writes the export to a temporary file beside path and links it into place.
func exportTo(ctx context.Context, e *env, path string) (audit.Report, error) {
	const op = "audit export"
	tmp, err := os.CreateTemp(filepath.Dir(path), ".audit-export-*")
	if err != nil {
		return audit.Report{}, parley.WrapError(op, parley.KindInvalid, err)
	}
	defer os.Remove(tmp.Name())
	rep, err := e.audit.Export(ctx, tmp, e.verifierKey)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return audit.Report{}, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return audit.Report{}, parley.WrapError(op, parley.KindConflict, err)
	}
	return rep, nil
}
