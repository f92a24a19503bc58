package main

import (
	"context"

	"parley.dev/parley/retention"
)

func init() {
	register("retention run", "retention run [--json]", runRetentionRun)
}

// runRetentionRun destroys every expired recording not on legal hold, now.
func runRetentionRun(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("retention run")
	df := m.addDataFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		res, err := e.retentionJob().Run(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(res)
		}
		m.printf("%d expired recording(s) destroyed\n", res.Destroyed)
		return nil
	})
}

func (e *env) retentionJob() *retention.Job {
	return &retention.Job{Facilities: e.store, Recordings: e.store, Destroyer: e.vault,
		Auditor: e.audit, Logger: e.logger, Now: e.now}
}
