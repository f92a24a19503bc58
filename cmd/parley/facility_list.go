package main

import (
	"context"
	"strconv"
)

func init() {
	register("facility list", "facility list [--json]", runFacilityList)
}

func runFacilityList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("facility list")
	df := m.addDataFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		fs, err := e.store.ListFacilities(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(fs)
		}
		var rows [][]string
		for _, f := range fs {
			rows = append(rows, []string{f.ID, string(f.Type), strconv.Itoa(f.ADP), f.Timezone,
				strconv.Itoa(f.RetentionFor("call")), f.Name})
		}
		return m.table([]string{"ID", "TYPE", "ADP", "TIMEZONE", "RETENTION_DAYS", "NAME"}, rows)
	})
}
