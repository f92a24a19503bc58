package main

import (
	"context"
	"fmt"

	"parley.dev/parley"
	"parley.dev/parley/privilege"
)

func init() {
	register("privileged import", "privileged import --file FILE.csv [--skip-bad-rows] [--region US] [--json]", runPrivilegedImport)
}

// runPrivilegedImport loads a bar or business directory (CSV: number,kind[,name,bar_number]).
func runPrivilegedImport(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("privileged import")
	df := m.addDataFlags(fs)
	in := addImportFlags(fs, "CSV file with a header row")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	f, err := in.open("privileged import")
	if err != nil {
		return err
	}
	defer f.Close()
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		res, err := e.registry.Import(ctx, f, parley.SourceDirectoryImport, *in.region, privilege.ImportOptions{SkipBadRows: *in.skip})
		if err != nil {
			return err
		}
		return in.report(m, res, res.Problems, fmt.Sprintf("added %d, already registered %d, skipped %d, recordings destroyed %d",
			res.Added, res.AlreadyRegistered, res.Skipped, res.Destroyed))
	})
}
