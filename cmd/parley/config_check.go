package main

import "context"

func init() {
	register("config check", "config check [--config FILE] [serve's flags]", runConfigCheck)
}

// runConfigCheck parses serve's settings exactly as serve would (flags, environment,
// --config or PARLEY_CONFIG, defaults), reports the first mistakes (an unknown key with its
// line, a bad value with its key) and prints the effective settings with their sources,
// secrets redacted. It opens nothing.
func runConfigCheck(ctx context.Context, m *Main, args []string) error {
	check := *m
	check.checkOnly = true
	return runServe(ctx, &check, args)
}
