package main

import (
	"context"
	"errors"
	"os"

	"parley.dev/parley"
	"parley.dev/parley/audit"
)

func init() {
	register("audit verify", "audit verify [--checkpoint FILE]... [--json]", runAuditVerify)
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (f *multiFlag) String() string     { return "" }
func (f *multiFlag) Set(s string) error { *f = append(*f, s); return nil }

// runAuditVerify checks the whole audit log against its signed checkpoints and exits
// non-zero on any edit, deletion, reordering or truncation.
func runAuditVerify(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("audit verify")
	df := m.addDataFlags(fs)
	var extra multiFlag
	fs.Var(&extra, "checkpoint", "an earlier signed checkpoint to check the log against (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		var external [][]byte
		cpFile, err := os.ReadFile(e.checkpointFile())
		switch {
		case err == nil:
			external = append(external, cpFile)
		case !errors.Is(err, os.ErrNotExist):
			return parley.WrapError("audit verify", parley.KindInternal, err)
		}
		for _, path := range extra {
			b, err := os.ReadFile(path)
			if err != nil {
				return parley.WrapError("audit verify: --checkpoint", parley.KindInvalid, err)
			}
			external = append(external, b)
		}
		rep, err := audit.Verify(ctx, e.store, e.verifier, external...)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(rep)
		}
		m.printf("audit log verified: %d records, root %s\n", rep.Records, rep.RootHash)
		return nil
	})
}
