package main

import (
	"bufio"
	"context"
	"fmt"

	"parley.dev/parley/legacy"
)

func init() {
	register("import calls", "import calls --file calls.csv --recordings DIR [--skip-bad-rows] [--region US] [--json]", runImportCalls)
}

// runImportCalls brings a previous vendor's call records and recordings into parley,
// encrypting every recording and storing none to a privileged number.
func runImportCalls(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("import calls")
	df := m.addDataFlags(fs)
	in := addImportFlags(fs, "CSV of call records with a header row")
	dir := fs.String("recordings", "", "directory the recording_file column is relative to")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	f, err := in.open("import calls")
	if err != nil {
		return err
	}
	defer f.Close()
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.recoverImports(ctx); err != nil {
			return err
		}
		im := e.importer(*in.region)
		if m.Getenv("PARLEY_TEST_PAUSE_IMPORT") != "" {
			im.AfterWrite = m.pauseImport
		}
		res, err := im.ImportCalls(ctx, f, *dir, legacy.Options{SkipBadRows: *in.skip})
		if err != nil {
			return err
		}
		return in.report(m, res, res.Problems, fmt.Sprintf(
			"imported %d calls (%d already imported), %d recordings stored, %d privileged not stored, %d rows skipped",
			res.Imported, res.AlreadyImported, res.Recordings, res.PrivilegedNotStored, res.Skipped))
	})
}

// recoverImports cleans up after imports that died: recordings whose importer went
// vault.ImportGrace without a heartbeat are closed as truncated, and imported recordings
// no call names are destroyed (audited), so the rows of this run store them anew.
func (e *env) recoverImports(ctx context.Context) error {
	n, err := e.vault.RecoverImports(ctx)
	if err != nil {
		return err
	}
	reaped, err := e.vault.ReapOrphans(ctx)
	if err != nil {
		return err
	}
	if n+reaped > 0 {
		e.logger.InfoContext(ctx, "cleaned up after an interrupted import", "truncated", n, "destroyed", reaped)
	}
	return nil
}

// pauseImport is the import's test seam (PARLEY_TEST_PAUSE_IMPORT): after a recording is
// written and before it is closed, it says so on stderr and waits for a line on stdin.
func (m *Main) pauseImport() {
	fmt.Fprintln(m.Stderr, "import paused after writing a recording")
	bufio.NewReader(m.Stdin).ReadString('\n')
}
