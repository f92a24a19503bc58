package main

import (
	"bufio"
	"context"
	"strings"
)

func init() {
	register("user enrol", "user enrol --name NAME --secret ENROLMENT-SECRET < password", runUserEnrol)
	register("user reset", "user reset --name NAME", runUserReset)
}

// runUserEnrol spends an enrolment secret: it reads the new password from the first line
// of stdin, and prints the TOTP secret and the otpauth:// URL for an authenticator app.
func runUserEnrol(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("user enrol")
	df := m.addDataFlags(fs)
	name := fs.String("name", "", "sign-in name")
	secret := fs.String("secret", "", "the one-time enrolment secret from `user add`")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("name", *name, "secret", *secret); err != nil {
		return err
	}
	line, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return usageError("give the new password on stdin")
	}
	pw := strings.TrimRight(line, "\r\n")
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		en, err := e.auth().Enrol(ctx, *name, strings.TrimSpace(*secret), pw)
		if err != nil {
			return err
		}
		m.printf("enrolled; add this TOTP key to an authenticator app (SHA-256, 6 digits, 30 s):\nsecret: %s\nurl: %s\n", en.TOTPSecret, en.URL)
		return nil
	})
}

// runUserReset clears an account's factors, ends its sessions and prints a new enrolment
// secret.
func runUserReset(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("user reset")
	df := m.addDataFlags(fs)
	name := fs.String("name", "", "sign-in name")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("name", *name); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		secret, err := e.auth().ResetEnrolment(ctx, *name)
		if err != nil {
			return err
		}
		m.printf("factors cleared, sessions ended\nenrolment secret (shown once): %s\n", secret)
		return nil
	})
}
