package main

import (
	"context"
	"strings"
)

func init() {
	register("recordings hold", "recordings hold ID --reason TEXT", func(ctx context.Context, m *Main, args []string) error {
		return runRecordingsHold(ctx, m, args, true)
	})
}

// runRecordingsHold places or lifts a legal hold: a held recording is not expired.
func runRecordingsHold(ctx context.Context, m *Main, args []string, hold bool) error {
	name := "recordings release"
	if hold {
		name = "recordings hold"
	}
	fs := m.flags(name)
	df := m.addDataFlags(fs)
	reason := fs.String("reason", "", "court order or case reference (no personal data)")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return usageError("--reason is required")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.admin(nil).SetLegalHold(ctx, pos[0], hold, *reason); err != nil {
			return err
		}
		if hold {
			m.printf("recording %s is on legal hold\n", pos[0])
		} else {
			m.printf("legal hold on recording %s released\n", pos[0])
		}
		return nil
	})
}
