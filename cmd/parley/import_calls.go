package main

import (
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
		res, err := e.importer(*in.region).ImportCalls(ctx, f, *dir, legacy.Options{SkipBadRows: *in.skip})
		if err != nil {
			return err
		}
		return in.report(m, res, res.Problems, fmt.Sprintf(
			"imported %d calls (%d already imported), %d recordings stored, %d privileged not stored, %d rows skipped",
			res.Imported, res.AlreadyImported, res.Recordings, res.PrivilegedNotStored, res.Skipped))
	})
}
