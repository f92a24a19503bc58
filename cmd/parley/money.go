package main

import (
	"context"
	"flag"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/ledger"
	"parley.dev/parley/phone"
	"parley.dev/parley/rates"
)

// caps returns the FCC caps parley enforces: the data file named by PARLEY_CAPS if set (a
// newer file an operator installed), else the one built into the binary.
func (m *Main) caps() (*rates.Caps, error) {
	if path := m.setting("PARLEY_CAPS"); path != "" {
		return rates.LoadFile(path)
	}
	return rates.Default()
}

// books returns the ledger service over the environment's database and clock.
func (e *env) books() *ledger.Books {
	return ledger.NewBooks(e.db.Ledger(), ledger.DefaultSystemAccounts(), e.clock)
}

// holderFlags name a paying account: the prepaid account of a called number, or the
// debit account of an inmate at a facility.
type holderFlags struct {
	number, inmate, facility, region string
	collect                          bool
}

func addHolderFlags(fs *flag.FlagSet) *holderFlags {
	h := &holderFlags{}
	fs.StringVar(&h.number, "number", "", "called number: its prepaid account")
	fs.StringVar(&h.inmate, "inmate", "", "inmate id: their debit account (with --facility)")
	fs.StringVar(&h.facility, "facility", "", "facility of --inmate")
	fs.StringVar(&h.region, "region", "US", "region for numbers without a country code")
	fs.BoolVar(&h.collect, "collect", false, "with --number: the number's collect account (collect calls billed to the called party) instead of its prepaid account")
	return h
}

// check rejects a missing or ambiguous account choice (a usage error).
func (h *holderFlags) check() error {
	switch {
	case h.number == "" && h.inmate == "":
		return usageError("give --number, or --inmate with --facility")
	case h.number != "" && h.inmate != "":
		return usageError("give --number or --inmate, not both")
	case h.inmate != "" && h.facility == "":
		return usageError("--inmate needs --facility")
	case h.collect && h.number == "":
		return usageError("--collect needs --number")
	}
	return nil
}

// payingAccount is a family's account as the CLI names it: the ledger account (whose id
// and holder are keyed digests, never the number or inmate id) and a label safe to print.
type payingAccount struct {
	ledger.Account
	label string
}

// resolve returns the account the flags name (billing.PrepaidAccount or
// billing.InmateAccount: ids and holders are keyed digests, the same the call charger
// derives). An inmate must be registered at the facility.
func (h *holderFlags) resolve(ctx context.Context, e *env) (payingAccount, error) {
	if h.number != "" {
		n, err := phone.Normalize(h.number, h.region)
		if err != nil {
			return payingAccount{}, err
		}
		if h.collect {
			return payingAccount{billing.CollectAccount(e.cipher, n), "collect account of number " + n.Redacted()}, nil
		}
		return payingAccount{billing.PrepaidAccount(e.cipher, n), "prepaid account of number " + n.Redacted()}, nil
	}
	if err := parley.ValidateID(h.inmate); err != nil {
		return payingAccount{}, flagError("--inmate", err)
	}
	if _, err := e.store.FindInmate(ctx, h.facility, h.inmate); err != nil {
		return payingAccount{}, err
	}
	return payingAccount{billing.InmateAccount(e.cipher, h.facility, h.inmate),
		"debit account of an inmate at facility " + h.facility}, nil
}

// existing returns the named account if it exists, or a KindNotFound error that names no
// one.
func (h *holderFlags) existing(ctx context.Context, e *env) (payingAccount, error) {
	a, err := h.resolve(ctx, e)
	if err != nil {
		return payingAccount{}, err
	}
	stored, err := e.db.Ledger().Account(ctx, a.ID)
	if parley.IsKind(err, parley.KindNotFound) {
		return payingAccount{}, parley.Errorf("account", parley.KindNotFound, "no account: the %s has never had a deposit", a.label)
	}
	if err != nil {
		return payingAccount{}, err
	}
	a.Account = stored
	return a, nil
}

// parseDay parses --name as a calendar date (YYYY-MM-DD); empty gives def.
func parseDay(name, s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, usageError("--%s must be a date like 2026-04-06", name)
	}
	return d, nil
}

// parseBound parses a statement bound: a date (midnight UTC) or an RFC 3339 time.
func parseBound(name, s string) (time.Time, error) {
	if len(s) == len(time.DateOnly) {
		return parseDay(name, s, time.Time{})
	}
	return parseTime(name, s)
}

// charger returns the call charger over the environment's database: the SIP call path's
// billing hook (sip.Billing), to be wired by `serve`. Books.Init has created the system
// accounts when it returns.
func (e *env) charger(ctx context.Context, caps *rates.Caps) (*billing.Charger, error) {
	books := e.books()
	if err := books.Init(ctx); err != nil {
		return nil, err
	}
	maxCall := func(ctx context.Context, facilityID string) (time.Duration, error) {
		r, err := e.db.CallRules(ctx, facilityID)
		return r.MaxCallLength, err
	}
	return &billing.Charger{Pricer: &billing.Pricer{Caps: caps, Rates: e.db, Facilities: e.store},
		Books: books, Index: e.cipher, FacilityMaxCall: maxCall, Log: e.logger}, nil
}

// inactiveRefunder returns the periodic inactive-account refund job `serve` runs
// (InactiveRefunder.Every, e.g. daily).
func (e *env) inactiveRefunder() *billing.InactiveRefunder {
	return &billing.InactiveRefunder{Books: e.books(), Audit: e.audit, Actor: "system:inactive-refunds", Log: e.logger}
}
