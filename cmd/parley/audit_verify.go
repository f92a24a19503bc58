package main

import (
	"context"
	"os"
	"strings"

	"parley.dev/parley"
	"parley.dev/parley/audit"
)

func init() {
	register("audit verify", "audit verify [--checkpoint FILE]... [--json] | audit verify --file EXPORT --key PUBLIC_KEY [--checkpoint FILE]...", runAuditVerify)
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (f *multiFlag) String() string     { return "" }
func (f *multiFlag) Set(s string) error { *f = append(*f, s); return nil }

// runAuditVerify checks the whole audit log against its signed checkpoints, the one in the
// key directory and the witnesses first, and exits non-zero on any forged, edited, deleted
// or reordered record, a rewritten history, a wipe or a rollback. With --file it verifies
// an export (`audit export`) with nothing but the public key, no database and no keys.
func runAuditVerify(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("audit verify")
	df := m.addDataFlags(fs)
	df.uncheckedAudit = true // this command says what is wrong
	var extra multiFlag
	fs.Var(&extra, "checkpoint", "an earlier signed checkpoint to check the log against (repeatable)")
	file := fs.String("file", "", "verify this export instead of the database (offline: needs only --key)")
	key := fs.String("key", "", "with --file: the audit public key (as `parley audit key` prints it), or a file holding it")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	external, err := readCheckpoints(extra)
	if err != nil {
		return err
	}
	if *file != "" || *key != "" {
		if err := need("file", *file, "key", *key); err != nil {
			return err
		}
		rep, err := verifyExport(*file, *key, external)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(rep)
		}
		m.printf("audit export verified: %d records, root %s\n", rep.Records, rep.RootHash)
		return nil
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		trusted, err := e.trustedCheckpoints(ctx)
		if err != nil {
			return err
		}
		rep, err := audit.VerifyTrusted(ctx, e.store, e.verifier, trusted, external...)
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

// readCheckpoints reads the --checkpoint files.
func readCheckpoints(paths []string) ([][]byte, error) {
	var out [][]byte
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, parley.WrapError("audit verify: --checkpoint", parley.KindInvalid, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// verifyExport verifies the export at path with key: the verifier key itself, or a file
// holding it on its first line.
func verifyExport(path, key string, external [][]byte) (audit.Report, error) {
	const op = "audit verify"
	if !strings.HasPrefix(key, audit.DefaultKeyName+"+") {
		b, err := os.ReadFile(key)
		if err != nil {
			return audit.Report{}, parley.Errorf(op, parley.KindInvalid, "--key is neither an audit public key nor a readable file")
		}
		key, _, _ = strings.Cut(strings.TrimSpace(string(b)), "\n")
	}
	f, err := os.Open(path)
	if err != nil {
		return audit.Report{}, parley.WrapError(op+": --file", parley.KindInvalid, err)
	}
	defer f.Close()
	return audit.VerifyExport(f, key, external...)
}
