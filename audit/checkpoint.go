package audit

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// signTree returns tree as a checkpoint note signed by signer.
func signTree(tree tlog.Tree, signer note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(tlog.FormatTree(tree))}, signer)
}

// openCheckpoint verifies a checkpoint note with verifier and parses its tree. The message
// of the returned *parley.Error (KindIntegrity) says what is wrong; what names the
// checkpoint ("checkpoint", "external checkpoint 2").
func openCheckpoint(op, what string, data []byte, verifier note.Verifier) (tlog.Tree, error) {
	n, err := note.Open(data, note.VerifierList(verifier))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return tlog.Tree{}, parley.Errorf(op, parley.KindIntegrity, "%s signature invalid: not signed by the audit key", what)
		case errors.As(err, &invalid):
			return tlog.Tree{}, parley.Errorf(op, parley.KindIntegrity, "%s signature invalid", what)
		default:
			return tlog.Tree{}, parley.Errorf(op, parley.KindIntegrity, "%s is malformed", what)
		}
	}
	// note decodes signatures leniently (ignoring the unused bits of the last base64
	// character): insist on the one encoding, so no byte of a checkpoint can change.
	for _, sig := range append(n.Sigs, n.UnverifiedSigs...) {
		if _, err := base64.StdEncoding.Strict().DecodeString(sig.Base64); err != nil {
			return tlog.Tree{}, parley.Errorf(op, parley.KindIntegrity, "%s is malformed", what)
		}
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		return tlog.Tree{}, parley.Errorf(op, parley.KindIntegrity, "%s is not a tree description", what)
	}
	return tree, nil
}

// storeHashes is a tlog.HashReader over an AuditStore.
func storeHashes(ctx context.Context, store parley.AuditStore) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		if len(indexes) == 0 {
			return nil, nil
		}
		got, err := store.ReadAuditHashes(ctx, indexes)
		if err != nil {
			return nil, err
		}
		hs := make([]tlog.Hash, len(got))
		for i, h := range got {
			hs[i] = tlog.Hash(h)
		}
		return hs, nil
	})
}

// memHashes is a tlog.HashReader over hashes held in memory, indexed by stored-hash index.
type memHashes []tlog.Hash

// ReadHashes implements tlog.HashReader.
func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, errors.New("stored hash index out of range")
		}
		out[i] = m[x]
	}
	return out, nil
}

// checkpointMode is the permission of the checkpoint file: owner read and write only.
const checkpointMode = 0o600

// writeFileAtomic replaces path with data: it writes a temporary file in the same
// directory, syncs it, renames it over path and syncs the directory. The file is mode 0600
// (the checkpoint reveals the log's size and activity, so only its owner reads it), and the
// rename also replaces a file an older version left with wider permissions.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err = f.Chmod(checkpointMode); err != nil {
		f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
