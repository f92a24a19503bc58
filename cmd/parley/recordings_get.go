package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"parley.dev/parley"
	"parley.dev/parley/audit"
	"parley.dev/parley/media/wav"
	"parley.dev/parley/vault"
)

func init() {
	register("recordings get", "recordings get ID --out FILE --purpose TEXT [--case ID]", runRecordingsGet)
}

// runRecordingsGet decrypts one recording to a file. The vault audits the read before any
// audio is returned. Everything that can be checked first is checked before the read: a
// read without a purpose is refused (and audited as denied when the data directory
// exists), and the output file is created before the recording is opened, so an existing
// file refuses the read (audited as refused) instead of failing after an "ok" event. A
// read that fails after the vault's event is followed by an error event.
func runRecordingsGet(ctx context.Context, m *Main, args []string) error {
	fset := m.flags("recordings get")
	df := m.addDataFlags(fset)
	out := fset.String("out", "", "file to write the audio to (\"-\" for stdout)")
	purpose := fset.String("purpose", "", "why the recording is played (required, audited)")
	caseID := fset.String("case", "", "case number (audited)")
	pos, err := parse(fset, args, 1)
	if err != nil {
		return err
	}
	id := pos[0]
	if err := parley.ValidateID(id); err != nil {
		return usageError("recording id %v", err)
	}
	if err := need("out", *out); err != nil {
		return err
	}
	ev := func(ctx context.Context) parley.AuditEvent {
		return parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: audit.ActionRecordingRead,
			Object: "recording:" + id, Purpose: *purpose, Case: *caseID}
	}
	if strings.TrimSpace(*purpose) == "" {
		// Nothing is read. The attempt is audited, but a typo in --data must not create a
		// data directory just to record it.
		if _, err := os.Stat(df.data); err == nil {
			aerr := m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
				d := ev(ctx)
				d.Outcome, d.Detail = parley.OutcomeDenied, "no purpose"
				return e.audit.Audit(ctx, d)
			})
			if aerr != nil {
				m.logger().WarnContext(ctx, "cannot audit a refused recording read", "err", aerr)
			}
		}
		return usageError("--purpose is required: every playback states why")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		var w io.Writer = m.Stdout
		var f *os.File
		if *out != "-" {
			var err error
			if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
				kind := parley.KindInvalid
				if errors.Is(err, fs.ErrExist) {
					kind = parley.KindConflict
				}
				return e.refuse(ctx, ev(ctx), &parley.Error{Op: "recordings get", Kind: kind, Message: "cannot create --out", Err: err})
			}
			w = f
		}
		rc, rec, err := e.vault.Open(ctx, id, vault.Access{Purpose: *purpose, Case: *caseID})
		opened := err == nil // if not, the vault audited the failure, or nothing was read
		var n int64
		cut := false
		if opened {
			var src io.Reader = rc
			if total, ok := vault.Size(rc); ok {
				src = wav.WithSize(rc, total) // exact sizes, not the streaming 0xFFFFFFFF
			}
			n, err = io.Copy(w, src)
			rc.Close()
			// A recording closed as truncated (its writer died: vault.Recover) ends before
			// its final chunk by design: what it holds is the recording. A missing final
			// chunk anywhere else is still an integrity failure.
			if errors.Is(err, vault.ErrTruncated) && rec.Status == parley.RecordingTruncated {
				cut, err = true, nil
			}
		}
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(*out) // never leave a half-decrypted or empty file behind
			}
		}
		if err != nil {
			if opened { // the vault's "ok" must not be the last word
				if aerr := e.audit.Audit(ctx, audit.Failed(ev(ctx), err)); aerr != nil {
					e.logger.WarnContext(ctx, "cannot audit a failed recording read", "err", aerr)
				}
			}
			return err
		}
		switch {
		case *out != "-" && cut:
			m.printf("wrote %d bytes to %s (truncated: the recording ends where its writer stopped)\n", n, *out)
		case *out != "-":
			m.printf("wrote %d bytes to %s\n", n, *out)
		}
		return nil
	})
}
