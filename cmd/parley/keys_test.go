package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley.dev/parley"
)

// TestKeysRotateKeepsDataReadable: after a new KEK and a re-wrap of every key under it, the
// records and recordings written under the old KEK still decrypt, and the rotation is audited.
func TestKeysRotateKeepsDataReadable(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	before, _ := filepath.Glob(filepath.Join(c.keys, "kek", "*.key"))
	if out := c.ok("keys", "rotate"); !strings.Contains(out, "is active") {
		t.Fatalf("keys rotate said %q", out)
	}
	after, _ := filepath.Glob(filepath.Join(c.keys, "kek", "*.key"))
	if len(after) != len(before)+1 {
		t.Fatalf("KEK files: %d before, %d after rotate", len(before), len(after))
	}
	c.ok("keys", "rewrap")
	// Everything is read through keys now wrapped by the new KEK.
	call := searchNumber(t, c, "+14155552671")[0]
	if call.InmateName != s.names[0] {
		t.Fatalf("call after rotation = %+v", call)
	}
	out := filepath.Join(t.TempDir(), "a.wav")
	c.ok("recordings", "get", s.recording["+14155552671"], "--out", out, "--purpose", "after rotation")
	if got, _ := os.ReadFile(out); !bytes.Equal(got, s.wavs["+14155552671"]) {
		t.Fatal("recording differs after key rotation")
	}
	list := c.ok("audit", "list", "--limit", "1000")
	for _, action := range []string{"keys.rotate", "keys.rewrap"} {
		if !strings.Contains(list, action) {
			t.Errorf("no %s event in the audit log", action)
		}
	}
	c.ok("audit", "verify")
}

// keyFiles returns every file under the key directory with its contents.
func keyFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestKeysRotateAuditDown: with the audit log unwritable, keys rotate fails and the key
// directory is exactly as it was (no new KEK, the same active one).
func TestKeysRotateAuditDown(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "list")
	before := keyFiles(t, c.keys)
	c.auditDown()
	c.fail(1, "audit", "keys", "rotate")
	if after := keyFiles(t, c.keys); !maps.Equal(before, after) {
		t.Fatalf("key directory changed with the audit log down: %d files before, %d after", len(before), len(after))
	}
	c.auditUp()
	if _, n := lastEvent(c.auditEvents(), "keys.rotate", "kek"); n != 0 {
		t.Fatalf("%d keys.rotate events with the audit log down", n)
	}
}

// TestKeysRewrapAuditDown: with the audit log unwritable, keys rewrap fails and re-wraps
// nothing; once the log is back it re-wraps, and says how many keys with --json.
func TestKeysRewrapAuditDown(t *testing.T) {
	c := newCLI(t)
	seed(t, c)
	var rot keysView
	if err := json.Unmarshal([]byte(c.ok("keys", "rotate", "--json")), &rot); err != nil {
		t.Fatal(err)
	}
	before := keyFiles(t, c.keys)
	c.auditDown()
	c.fail(1, "audit", "keys", "rewrap")
	if after := keyFiles(t, c.keys); !maps.Equal(before, after) {
		t.Fatal("key files changed by a rewrap with the audit log down")
	}
	c.auditUp()
	if _, n := lastEvent(c.auditEvents(), "keys.rewrap", "kek:"+rot.Active); n != 0 {
		t.Fatalf("%d keys.rewrap events with the audit log down", n)
	}
	var rw keysView
	if err := json.Unmarshal([]byte(c.ok("keys", "rewrap", "--json")), &rw); err != nil {
		t.Fatal(err)
	}
	if rw.Active != rot.Active || rw.Rewrapped == nil || *rw.Rewrapped < 4 { // 3 secrets and at least one period key
		t.Fatalf("rewrap --json = %+v after rotating to %s", rw, rot.Active)
	}
}

// TestKeysJSON: rotate --json names the new and the previous KEK, the new one is the file
// just made; rewrap --json counts keys, 0 when everything is already under the active KEK.
func TestKeysJSON(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "list")
	var rot keysView
	if err := json.Unmarshal([]byte(c.ok("keys", "rotate", "--json")), &rot); err != nil {
		t.Fatal(err)
	}
	if rot.Active == "" || rot.Previous == "" || rot.Active == rot.Previous || rot.Rewrapped != nil {
		t.Fatalf("rotate --json = %+v", rot)
	}
	if _, err := os.Stat(filepath.Join(c.keys, "kek", rot.Active+".key")); err != nil {
		t.Fatalf("the new KEK named by --json: %v", err)
	}
	var rw keysView
	if err := json.Unmarshal([]byte(c.ok("keys", "rewrap", "--json")), &rw); err != nil {
		t.Fatal(err)
	}
	if rw.Active != rot.Active || rw.Rewrapped == nil || *rw.Rewrapped != 3 {
		t.Fatalf("first rewrap --json = %+v, want 3 secrets under %s", rw, rot.Active)
	}
	out := c.ok("keys", "rewrap", "--json")
	if err := json.Unmarshal([]byte(out), &rw); err != nil || *rw.Rewrapped != 0 || !strings.Contains(out, `"rewrapped": 0`) {
		t.Fatalf("second rewrap --json = %s (%v)", out, err)
	}
	last, _ := lastEvent(c.auditEvents(), "keys.rotate", "kek")
	if last.Outcome != parley.OutcomeOK || last.Detail != "from kek:"+rot.Previous {
		t.Fatalf("keys.rotate event = %+v", last)
	}
}

// TestKeysRewrapFailureAudited: a rewrap that fails (a period key file damaged) leaves an
// error event after its "ok" attempt.
func TestKeysRewrapFailureAudited(t *testing.T) {
	c := newCLI(t)
	seed(t, c)
	c.ok("keys", "rotate")
	periods, _ := filepath.Glob(filepath.Join(c.keys, "periods", "*", "*", "*.key"))
	if len(periods) == 0 {
		t.Fatal("no period key files")
	}
	b, err := os.ReadFile(periods[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(periods[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	c.fail(1, "", "keys", "rewrap")
	evs := c.auditEvents()
	var rewraps []parley.AuditEvent
	for _, e := range evs {
		if e.Action == "keys.rewrap" {
			rewraps = append(rewraps, e)
		}
	}
	if len(rewraps) != 2 || rewraps[0].Outcome != parley.OutcomeOK || rewraps[1].Outcome != parley.OutcomeError ||
		!strings.HasPrefix(rewraps[1].Detail, "failed: ") {
		t.Fatalf("keys.rewrap events = %+v", rewraps)
	}
}
