package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
