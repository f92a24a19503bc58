package main

import (
	"context"

	"parley.dev/parley"
	"parley.dev/parley/portal"
)

func init() {
	register("attorney list", "attorney list [--pending] [--json]", runAttorneyList)
	register("attorney verify", "attorney verify --id ACCOUNT_ID", runAttorneyVerify)
}

// attorneyView is the --json shape of an attorney account (never its secrets).
type attorneyView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	FullName  string `json:"full_name"`
	BarNumber string `json:"bar_number"`
	State     string `json:"state"`
	Status    string `json:"status"`
	Numbers   int    `json:"registered_numbers"`
}

// runAttorneyList prints the self-registered attorneys, for an admin to check each bar
// number with the state's bar before verifying it.
func runAttorneyList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("attorney list")
	df := m.addDataFlags(fs)
	pending := fs.Bool("pending", false, "only attorneys waiting for verification")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		as, err := e.store.ListPublicAccounts(ctx, parley.RoleAttorney)
		if err != nil {
			return err
		}
		views := []attorneyView{}
		for _, a := range as {
			if *pending && a.Status != parley.AttorneyPending {
				continue
			}
			ns, err := e.store.ListPublicNumbers(ctx, a.ID)
			if err != nil {
				return err
			}
			v := attorneyView{ID: a.ID, Name: a.Name, FullName: a.FullName, BarNumber: a.BarNumber, State: a.BarState, Status: string(a.Status)}
			for _, n := range ns {
				if n.State == parley.NumberRegistered {
					v.Numbers++
				}
			}
			views = append(views, v)
		}
		if *asJSON {
			return m.writeJSON(views)
		}
		var rows [][]string
		for _, v := range views {
			rows = append(rows, []string{v.ID, v.FullName, v.BarNumber, v.State, v.Status})
		}
		return m.table([]string{"ID", "NAME", "BAR NUMBER", "STATE", "STATUS"}, rows)
	})
}

// runAttorneyVerify records that an admin checked an attorney's bar number: the attorney
// may then register numbers. Audited with the operator as actor.
func runAttorneyVerify(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("attorney verify")
	df := m.addDataFlags(fs)
	id := fs.String("id", "", "the attorney's account id (attorney list)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("id", *id); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.portal(nil, false).VerifyAttorney(ctx, *id); err != nil {
			return err
		}
		m.printf("attorney %s verified: they may now register their numbers\n", *id)
		return nil
	})
}

// portal returns the number verification service; sender nil means none is available.
// async delivers codes in the background (a call may ring for a minute).
func (e *env) portal(sender parley.CodeSender, async bool) *portal.Service {
	return portal.New(portal.Config{Store: e.store, Auditor: e.audit, Registry: e.registry, Sender: sender,
		Async: async, Logger: e.logger, Now: e.clock, Digest: e.cipher.BlindIndex})
}
