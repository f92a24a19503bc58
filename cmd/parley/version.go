package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

func init() {
	register("version", "version (also: parley --version)", runVersion)
}

// runVersion prints which parley this is: the module version and the VCS revision the
// binary was built from, as the Go toolchain recorded them in the build info.
func runVersion(ctx context.Context, m *Main, args []string) error {
	if _, err := parse(m.flags("version"), args, 0); err != nil {
		return err
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(m.Stdout, versionLine(bi))
	return nil
}

// versionLine renders the build info as one line, e.g.
// "parley v0.3.0 (revision 81d53c4e…, 2026-12-07T15:00:00Z, modified) go1.26.0". A binary
// built without VCS stamping (-buildvcs=false, or outside a checkout) says "revision unknown".
func versionLine(bi *debug.BuildInfo) string {
	if bi == nil {
		return "parley (no build information)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	rev := []string{"revision unknown"}
	if r := settings["vcs.revision"]; r != "" {
		rev = []string{"revision " + r}
		if t := settings["vcs.time"]; t != "" {
			rev = append(rev, t)
		}
		if settings["vcs.modified"] == "true" {
			rev = append(rev, "modified")
		}
	}
	return fmt.Sprintf("parley %s (%s) %s", version, strings.Join(rev, ", "), bi.GoVersion)
}
