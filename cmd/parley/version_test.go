package main

import (
	"os"
	"os/exec"
	"path/filepath"
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

// TestVersionFromClone builds parley from a clone of this repository's HEAD with VCS
// stamping on (the toolchain does not stamp inside a git worktree) and checks that
// --version names the clone's revision.
func TestVersionFromClone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (-short)")
	}
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is missing")
		}
		t.Skip("git is missing")
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "src")
	run := func(dir string, env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run(".", nil, "git", "clone", "-q", "--no-hardlinks", strings.TrimSpace(string(root)), dir)
	rev := run(dir, nil, "git", "rev-parse", "HEAD")
	bin := filepath.Join(t.TempDir(), "parley")
	run(dir, []string{"GOFLAGS=-buildvcs=true"}, "go", "build", "-trimpath", "-o", bin, "./cmd/parley")
	out := run(dir, nil, bin, "--version")
	if !strings.HasPrefix(out, "parley ") || !strings.Contains(out, "(revision "+rev+", ") || strings.Contains(out, "modified") {
		t.Errorf("--version of a clean clone at %s: %q", rev, out)
	}
}
