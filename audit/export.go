package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"parley.dev/parley"
)

// An export is JSON Lines: a header, one line per record in order, and an end line with a
// checkpoint the audit key signed over exactly those records. Every line must be the
// canonical encoding of its value (what encoding/json writes), so that no byte of an
// export can change without its verification failing.
const exportFormat = "parley-audit-export"

type exportHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Key     string `json:"key"` // the audit key's verifier key, note format
	Records int64  `json:"records"`
}

type exportRecord struct {
	N      int64  `json:"n"`
	Record []byte `json:"record"` // the canonical event, as hashed
	Proof  []byte `json:"proof"`  // the audit key's signature (see proofMessage)
}

type exportEnd struct {
	Checkpoint []byte `json:"checkpoint"` // signed note of the tree of all the records
}

// maxExportLine bounds a line of an export: a record is at most maxRecordSize bytes.
const maxExportLine = 4*maxRecordSize + 1024

// Export writes the whole log to w for offline verification (VerifyExport), with each
// record's proof and a checkpoint signed now over exactly the records exported. It first
// checks the log like Open and then verifies every record as VerifyTrusted does against
// the places: it never signs over a log it has not verified. key is the verifier key
// (note format) written in the export. On error, what was written to w must be discarded.
func (l *Log) Export(ctx context.Context, w io.Writer, key string) (Report, error) {
	const op = "audit.Export"
	if l.cfgErr != nil {
		return Report{}, l.cfgErr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.open(ctx, op); err != nil {
		return Report{}, err
	}
	n := l.tree.N
	bw := bufio.NewWriter(w)
	if err := writeLine(bw, exportHeader{Format: exportFormat, Version: 1, Key: key, Records: n}); err != nil {
		return Report{}, err
	}
	c, err := readChain(ctx, op, l.store, l.verifier, n, func(k int64, data, proof []byte) error {
		return writeLine(bw, exportRecord{N: k, Record: data, Proof: proof})
	})
	if err != nil {
		return Report{}, err
	}
	if err := compareStoredHashes(ctx, op, l.store, c.hashes); err != nil {
		return Report{}, err
	}
	if c.badEvent >= 0 {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "record %d is not a valid audit event", c.badEvent)
	}
	if err := c.proofError([]tlog.Tree{l.tree}); err != nil {
		return Report{}, err
	}
	tree, err := c.tree()
	if err != nil {
		return Report{}, err
	}
	if tree != l.tree {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "audit history rewritten: the log's first %d records changed while being exported", n)
	}
	cp, err := signTree(tree, l.signer)
	if err != nil {
		return Report{}, &parley.Error{Op: op, Kind: parley.KindInternal, Message: "cannot sign the audit checkpoint", Err: err}
	}
	if err := writeLine(bw, exportEnd{Checkpoint: cp}); err != nil {
		return Report{}, err
	}
	if err := bw.Flush(); err != nil {
		return Report{}, &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot write the export", Err: err}
	}
	return Report{Records: n, CheckpointSize: n, RootHash: tree.Hash.String()}, nil
}

func writeLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return &parley.Error{Op: "audit.Export", Kind: parley.KindInternal, Message: "cannot encode the export", Err: err}
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return &parley.Error{Op: "audit.Export", Kind: parley.KindUnavailable, Message: "cannot write the export", Err: err}
	}
	return nil
}

// VerifyExport verifies an export (Export) with nothing but the audit key's verifier key
// (note format, as `parley audit key` prints it): every line canonical, the key the one
// given, every record a canonical event with a valid proof over its index and the tree
// before it, and the final checkpoint signed by the key over exactly the records. Each
// external checkpoint (one the auditor saved from an earlier export) must be signed by the
// key and be a prefix of the exported log. Failures are KindIntegrity (KindInvalid for a
// bad key) with a message saying what is wrong.
func VerifyExport(r io.Reader, key string, external ...[]byte) (Report, error) {
	const op = "audit.VerifyExport"
	verifier, err := note.NewVerifier(key)
	if err != nil {
		return Report{}, parley.Errorf(op, parley.KindInvalid, "not an audit verifier key (want name+hash+base64, as parley audit key prints it)")
	}
	br := bufio.NewReaderSize(r, maxExportLine)
	line := 0
	next := func(v any, what string) error {
		line++
		return readLine(op, br, line, what, v)
	}
	var h exportHeader
	if err := next(&h, "header"); err != nil {
		return Report{}, err
	}
	if h.Format != exportFormat || h.Version != 1 || h.Records < 0 {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "not a parley audit export (version 1)")
	}
	if h.Key != key {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "the export names another audit key than the one given")
	}
	c := newChain(op, verifier)
	for k := int64(0); k < h.Records; k++ {
		var rec exportRecord
		if err := next(&rec, "record"); err != nil {
			return Report{}, err
		}
		if rec.N != k {
			return Report{}, parley.Errorf(op, parley.KindIntegrity, "line %d holds record %d where record %d belongs", line, rec.N, k)
		}
		if err := c.add(rec.Record, rec.Proof); err != nil {
			return Report{}, err
		}
	}
	var end exportEnd
	if err := next(&end, "end"); err != nil {
		return Report{}, err
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "the export goes on after its checkpoint")
	}
	if c.badEvent >= 0 {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "record %d is not a valid audit event", c.badEvent)
	}
	tree, err := c.tree()
	if err != nil {
		return Report{}, err
	}
	if err := c.proofError([]tlog.Tree{tree}); err != nil {
		return Report{}, err
	}
	cpTree, err := openCheckpoint(op, "export checkpoint", end.Checkpoint, verifier)
	if err != nil {
		return Report{}, err
	}
	if cpTree != tree {
		return Report{}, parley.Errorf(op, parley.KindIntegrity, "the export checkpoint does not cover exactly its %d records", tree.N)
	}
	rep := Report{Records: tree.N, CheckpointSize: tree.N, RootHash: tree.Hash.String()}
	for i, data := range external {
		what := fmt.Sprintf("external checkpoint %d", i+1)
		if err := checkExternal(op, what, data, verifier, tree.N, tree.Hash, c.hashes); err != nil {
			return Report{}, err
		}
		rep.External++
	}
	return rep, nil
}

// readLine reads one line of an export into v and checks it is v's canonical encoding.
func readLine(op string, br *bufio.Reader, line int, what string, v any) error {
	b, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return parley.Errorf(op, parley.KindIntegrity, "line %d of the export is too long", line)
	case errors.Is(err, io.EOF):
		return parley.Errorf(op, parley.KindIntegrity, "the export ends before its %s (line %d)", what, line)
	case err != nil:
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cannot read the export", Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return parley.Errorf(op, parley.KindIntegrity, "line %d of the export is not a valid %s", line, what)
	}
	again, err := json.Marshal(v)
	if err != nil || !bytes.Equal(append(again, '\n'), b) {
		return parley.Errorf(op, parley.KindIntegrity, "line %d of the export is not in canonical form", line)
	}
	return nil
}
