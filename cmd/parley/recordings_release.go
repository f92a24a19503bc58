package main

import "context"

func init() {
	register("recordings release", "recordings release ID --reason TEXT", func(ctx context.Context, m *Main, args []string) error {
		return runRecordingsHold(ctx, m, args, false)
	})
}
