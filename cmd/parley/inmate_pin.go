package main

import "context"

func init() {
	register("inmate pin", "inmate pin --facility ID --id ID --pin PIN", runInmatePIN)
}

// runInmatePIN sets an inmate's PIN: its argon2id hash and the keyed index the IVR looks
// the inmate up by. PINs are unique within a facility (see package callpolicy), so a PIN
// another inmate has is refused.
func runInmatePIN(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("inmate pin")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	id := fs.String("id", "", "inmate id")
	pinCode := fs.String("pin", "", "4 to 8 digit PIN, unique in the facility (6 or more digits advised)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility, "id", *id, "pin", *pinCode); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.admin(nil).SetPIN(ctx, *facility, *id, *pinCode); err != nil {
			return err
		}
		m.printf("PIN set for an inmate of facility %s\n", *facility)
		return nil
	})
}
