package keydir

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"parley.dev/parley"
)

// TestBinding: Inspect creates nothing and tells a missing, an empty and a used directory
// apart; Bind writes the id once (again with the same id is fine, another is
// KindConflict); a malformed or group-readable binding file is refused.
func TestBinding(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if c, err := Inspect(dir); err != nil || c != (Contents{}) {
		t.Fatalf("missing: %+v, %v", c, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("Inspect created the directory")
	}
	d, err := Open(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := Inspect(dir); err != nil || c != (Contents{Exists: true}) {
		t.Fatalf("empty: %+v, %v", c, err)
	}
	if _, err := d.Secret(context.Background(), "field"); err != nil {
		t.Fatal(err)
	}
	if id, err := d.BindingID(); err != nil || id != "" {
		t.Fatalf("unbound: %q, %v", id, err)
	}
	for _, bad := range []string{"", "a/b", "x\ny"} {
		if err := d.Bind(bad); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("Bind(%q) = %v", bad, err)
		}
	}
	if err := d.Bind("0a1b"); err != nil {
		t.Fatal(err)
	}
	if err := d.Bind("0a1b"); err != nil {
		t.Fatalf("same id again: %v", err)
	}
	if err := d.Bind("ffff"); !parley.IsKind(err, parley.KindConflict) {
		t.Fatalf("another id: %v", err)
	}
	if c, err := Inspect(dir); err != nil || c != (Contents{Exists: true, HasSecrets: true, BindingID: "0a1b"}) {
		t.Fatalf("bound: %+v, %v", c, err)
	}
	p := filepath.Join(dir, bindingFile)
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.BindingID(); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatalf("group-readable binding: %v", err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("not a binding\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(dir); !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("malformed binding: %v", err)
	}
}
