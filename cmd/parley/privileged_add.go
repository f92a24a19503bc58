package main

import (
	"context"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/phone"
)

func init() {
	register("privileged add", "privileged add --number NUMBER --kind KIND [--name NAME] [--bar-number N] [--region US] [--json]", runPrivilegedAdd)
}

// privilegedAddView is the --json output of privileged add. The number is redacted as in
// the text output: the id names the entry (privileged list shows it in full, audited).
type privilegedAddView struct {
	ID                  string `json:"id"`
	Number              string `json:"number"`
	Kind                string `json:"kind"`
	Source              string `json:"source"`
	AddedAt             string `json:"added_at"`
	RecordingsDestroyed int    `json:"recordings_destroyed"`
}

// runPrivilegedAdd registers a privileged number; every earlier recording to it is destroyed
// before the command returns.
func runPrivilegedAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("privileged add")
	df := m.addDataFlags(fs)
	raw := fs.String("number", "", "phone number")
	kind := fs.String("kind", "", "attorney, public_defender, court, consulate, clergy, medical or other")
	name := fs.String("name", "", "holder's name")
	bar := fs.String("bar-number", "", "bar number")
	region := fs.String("region", "US", "region for numbers without a country code")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("number", *raw, "kind", *kind); err != nil {
		return err
	}
	n, err := phone.Normalize(*raw, *region)
	if err != nil {
		return err
	}
	if !parley.PrivilegeKind(*kind).Valid() {
		return usageError("--kind must be one of attorney, public_defender, court, consulate, clergy, medical, other")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		p := &parley.PrivilegedNumber{Number: n, Kind: parley.PrivilegeKind(*kind), Source: parley.SourceStaff,
			Name: *name, BarNumber: *bar, AddedBy: parley.ActorFromContext(ctx)}
		destroyed, err := e.registry.Register(ctx, p)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(privilegedAddView{ID: p.ID, Number: n.Redacted(), Kind: string(p.Kind),
				Source: string(p.Source), AddedAt: p.AddedAt.UTC().Format(time.RFC3339), RecordingsDestroyed: destroyed})
		}
		m.printf("privileged number %s registered (%s); %d earlier recording(s) destroyed\n", n.Redacted(), p.Kind, destroyed)
		return nil
	})
}
