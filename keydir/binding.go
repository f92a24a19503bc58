package keydir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"parley.dev/parley"
)

// bindingFile holds the id of the data store the directory's keys belong to (see
// parley.BindingStore): "parley-keys-binding/v1\n<id>\n", mode 0600. It is no secret;
// it lets a wrong directory be named as such before any key is used.
const (
	bindingFile  = "binding"
	bindingMagic = "parley-keys-binding/v1\n"
)

// Contents is what a key directory holds, as Inspect sees it.
type Contents struct {
	Exists     bool   // the directory exists
	HasSecrets bool   // it holds at least one named secret (the field key, say)
	BindingID  string // the id of the data store it is bound to; "" if none
}

// Inspect reports what the key directory dir holds without creating or changing
// anything, so a caller can refuse a missing or empty directory before Open creates keys.
func Inspect(dir string) (Contents, error) {
	const op = "keydir.Inspect"
	var c Contents
	root, err := filepath.Abs(dir)
	if err != nil {
		return c, parley.WrapError(op, parley.KindInvalid, err)
	}
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return c, nil
	} else if err != nil {
		return c, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat key directory", Err: err}
	}
	c.Exists = true
	ents, err := os.ReadDir(filepath.Join(root, secretsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return c, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read secrets directory", Err: err}
	}
	for _, e := range ents {
		if name := e.Name(); strings.HasSuffix(name, keySuffix) && !strings.HasPrefix(name, ".") {
			c.HasSecrets = true
		}
	}
	c.BindingID, err = readBinding(op, root)
	return c, err
}

// BindingID returns the id of the data store the directory is bound to, "" if none.
func (d *Dir) BindingID() (string, error) { return readBinding("keydir.BindingID", d.root) }

// Bind records that the directory's keys belong to the data store id. Binding again to
// the same id does nothing; KindConflict if the directory is bound to another id.
func (d *Dir) Bind(id string) error {
	const op = "keydir.Bind"
	if id == "" || strings.ContainsAny(id, "\n\x00/") || len(id) > 64 {
		return parley.Errorf(op, parley.KindInvalid, "invalid binding id")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := filepath.Join(d.root, bindingFile)
	err := writeNew(p, []byte(bindingMagic+id+"\n"))
	if errors.Is(err, fs.ErrExist) {
		switch got, err := readBinding(op, d.root); {
		case err != nil:
			return err
		case got != id:
			return parley.Errorf(op, parley.KindConflict, "key directory %s is bound to another data store", d.root)
		}
		return nil
	}
	if err != nil {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write binding file", Err: err}
	}
	return nil
}

// readBinding reads root's binding file: "" if there is none, KindIntegrity if it is
// malformed, KindInvalid if group or others may access it.
func readBinding(op, root string) (string, error) {
	p := filepath.Join(root, bindingFile)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot stat binding file", Err: err}
	}
	if err := checkKeyMode(op, "binding", p, fi); err != nil {
		return "", err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read binding file", Err: err}
	}
	id, ok := strings.CutPrefix(string(b), bindingMagic)
	id, nl := strings.CutSuffix(id, "\n")
	if !ok || !nl || id == "" || strings.ContainsAny(id, "\n\x00/") {
		return "", parley.Errorf(op, parley.KindIntegrity, "binding file %s is malformed", p)
	}
	return id, nil
}
