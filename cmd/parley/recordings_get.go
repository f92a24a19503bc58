package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"parley.dev/parley"
	"parley.dev/parley/vault"
)

func init() {
	register("recordings get", "recordings get ID --out FILE --purpose TEXT [--case ID]", runRecordingsGet)
}

// runRecordingsGet decrypts one recording to a file. It is audited before any audio is
// written, and refuses without a stated purpose.
func runRecordingsGet(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("recordings get")
	df := m.addDataFlags(fs)
	out := fs.String("out", "", "file to write the audio to (\"-\" for stdout)")
	purpose := fs.String("purpose", "", "why the recording is played (required, audited)")
	caseID := fs.String("case", "", "case number (audited)")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if err := need("out", *out); err != nil {
		return err
	}
	if strings.TrimSpace(*purpose) == "" {
		return usageError("--purpose is required: every playback states why")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		rc, _, err := e.vault.Open(ctx, pos[0], vault.Access{Purpose: *purpose, Case: *caseID})
		if err != nil {
			return err
		}
		defer rc.Close()
		var w io.Writer = m.Stdout
		var f *os.File
		if *out != "-" {
			if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
				return parley.WrapError("recordings get", parley.KindInvalid, err)
			}
			w = f
		}
		n, err := io.Copy(w, rc)
		if f != nil {
			err = errors.Join(err, f.Close())
			if err != nil {
				os.Remove(*out) // never leave a half-decrypted file behind
			}
		}
		if err != nil {
			return err
		}
		if *out != "-" {
			m.printf("wrote %d bytes to %s\n", n, *out)
		}
		return nil
	})
}
