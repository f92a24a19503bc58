package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionLine: the line shows the module version, the VCS revision, its time and a
// dirty tree from the build info, and says so when the binary carries no revision.
func TestVersionLine(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "parley.dev/parley", Version: "v0.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{stamped, "parley v0.4.0 (revision 0123abcd, 2026-12-01T10:00:00Z, modified) go1.26.1"},
		{&debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}}, "parley (devel) (revision unknown) go1.26.1"},
		{&debug.BuildInfo{GoVersion: "go1.26.1", Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "ff"},
			{Key: "vcs.modified", Value: "false"}}}, "parley (devel) (revision ff) go1.26.1"},
		{nil, "parley (no build information)"},
	} {
		if got := versionLine(tc.bi); got != tc.want {
			t.Errorf("versionLine = %q, want %q", got, tc.want)
		}
	}
}

// TestVersionCommand: `parley --version` and `parley version` print the same one line from
// this binary's build info on stdout and exit 0; `version` takes no arguments.
func TestVersionCommand(t *testing.T) {
	bi, _ := debug.ReadBuildInfo()
	want := versionLine(bi) + "\n"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, errOut, code := runRaw(t, args...)
		if code != 0 || out != want || errOut != "" || !strings.Contains(out, runtime.Version()) {
			t.Errorf("parley %s: exit %d, stdout %q, stderr %q; want %q", args[0], code, out, errOut, want)
		}
	}
	if _, errOut, code := runRaw(t, "version", "extra"); code != 2 || !strings.Contains(errOut, "expected 0 argument(s)") {
		t.Errorf("parley version extra: exit %d, stderr %q", code, errOut)
	}
}
