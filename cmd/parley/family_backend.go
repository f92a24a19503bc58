package main

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/ledger"
	"parley.dev/parley/rates"
	"parley.dev/parley/web"
)

// maxFamilyDeposit bounds one simulated deposit from the family pages.
const maxFamilyDeposit = ledger.Cents(500_00)

// familyBackend is web.Family over this environment: rates and caps (rates, billing), the
// number's prepaid account (ledger), its calls and self-blocks (the store). Changes are
// audited with the public account as actor.
type familyBackend struct {
	e    *env
	caps *rates.Caps
}

// family returns the family side's backend.
func (e *env) family(caps *rates.Caps) web.Family { return &familyBackend{e: e, caps: caps} }

func (f *familyBackend) audit(ctx context.Context, action, object, detail string) error {
	return f.e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: action, Object: object,
		Outcome: parley.OutcomeOK, Detail: detail})
}

// Rates prices a minute of each service at each facility today, as `rates show` does.
func (f *familyBackend) Rates(ctx context.Context) ([]web.FacilityRates, error) {
	fs, err := f.e.store.ListFacilities(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]web.FacilityRates, 0, len(fs))
	for _, fac := range fs {
		_, day, err := f.e.admin(nil).FacilityDay(ctx, fac.ID, time.Time{})
		if err != nil {
			return nil, err
		}
		fr := web.FacilityRates{FacilityID: fac.ID, Name: fac.Name, Fees: f.fees(day, fac.Type)}
		for _, svc := range []rates.Service{rates.Audio, rates.Video} {
			sr := web.ServiceRate{Service: string(svc)}
			r, rerr := f.e.db.FacilityRate(ctx, fac.ID, svc, day)
			cp, cerr := f.caps.CapFor(day, fac.Type, fac.ADP, svc)
			if cerr == nil {
				sr.Cap, sr.CapCitation = cp.Max().String()+" per minute", cp.Source.String()
				sr.CapSource = cp.Source.Order + " (" + cp.Source.OrderDate.Format(time.DateOnly) + ")"
			}
			switch {
			case rerr != nil && !parley.IsKind(rerr, parley.KindNotFound):
				return nil, rerr
			case cerr != nil && !parley.IsKind(cerr, parley.KindNotFound):
				return nil, cerr
			case rerr != nil:
				sr.Note = "not offered: no rate is set"
			case cerr != nil:
				sr.Note = "not offered: no cap is in force"
			default:
				p, err := f.caps.PriceFor(day, fac.Type, fac.ADP, svc, r.Rate)
				if err != nil {
					return nil, err
				}
				sr.PerMinute, sr.Capped = p.PerMinute.String(), p.Capped()
			}
			fr.Services = append(fr.Services, sr)
		}
		out = append(out, fr)
	}
	return out, nil
}

// fees says plainly whether any fee beyond the minute's price may be charged on day.
func (f *familyBackend) fees(day time.Time, ft parley.FacilityType) string {
	for _, k := range rates.FeeKinds() {
		if _, err := f.caps.FeeAllowed(day, ft, k); err == nil {
			return "Fees: parley charges none, though the rules in force on this day would allow some."
		}
	}
	return "No fees: you pay the price per minute and nothing else (FCC 24-75 prohibits separate ancillary service charges)."
}

func (f *familyBackend) account(n parley.Number) ledger.Account {
	return billing.PrepaidAccount(f.e.cipher, n)
}

// balance is the account's balance; an account never funded has none.
func balance(ctx context.Context, s ledger.Store, id string) (ledger.Cents, error) {
	b, err := s.Balance(ctx, id)
	if parley.IsKind(err, parley.KindNotFound) {
		return 0, nil
	}
	return b, err
}

var postingWhat = map[ledger.TxKind]string{
	ledger.Deposit: "deposit", ledger.Reserve: "call: funds held", ledger.Charge: "call: charged",
	ledger.Release: "call: hold returned", ledger.Credit: "credit", ledger.Refund: "refund", ledger.Reversal: "correction",
}

// Money returns the balance and the statement of [from, to).
func (f *familyBackend) Money(ctx context.Context, n parley.Number, from, to time.Time) (*web.FamilyMoney, error) {
	books := f.e.books()
	a := f.account(n)
	bal, err := balance(ctx, books.Store(), a.ID)
	if err != nil {
		return nil, err
	}
	out := &web.FamilyMoney{Balance: bal.String(), From: from.UTC().Format(time.DateOnly), To: to.UTC().Format(time.DateOnly),
		Through: to.Add(-time.Nanosecond).UTC().Format(time.DateOnly),
		Opening: ledger.Cents(0).String(), Lines: []web.StatementLine{}}
	opening, postings, err := books.Statement(ctx, a.ID, from, to)
	if err != nil && !parley.IsKind(err, parley.KindNotFound) {
		return nil, err
	}
	sum := billing.Summarize(postings)
	out.Opening, out.Deposits, out.CallCharges, out.Calls = opening.String(), sum.Deposits.String(), sum.CallCharges.String(), sum.Calls
	out.Credits, out.Refunds = sum.Credits.String(), sum.Refunds.String()
	for _, p := range postings {
		out.Lines = append(out.Lines, web.StatementLine{Time: p.Time, What: postingWhat[p.Kind], Amount: p.Amount.String(), Balance: p.Balance.String()})
	}
	return out, nil
}

// Deposit records a simulated payment into the number's prepaid account, once per key.
func (f *familyBackend) Deposit(ctx context.Context, n parley.Number, raw, key string) (bool, string, error) {
	const op = "family.Deposit"
	amount, err := ledger.ParseCents(raw)
	if err != nil {
		return false, "", parley.Errorf(op, parley.KindInvalid, "amount must be dollars and cents, like 20.00")
	}
	if amount <= 0 || amount > maxFamilyDeposit {
		return false, "", parley.Errorf(op, parley.KindInvalid, "a deposit is between 0.01 and %s", maxFamilyDeposit)
	}
	if len(key) > ledger.MaxKeyLen {
		return false, "", parley.Errorf(op, parley.KindInvalid, "idempotency key too long")
	}
	books := f.e.books()
	store := books.Store()
	a := f.account(n)
	sys := ledger.DefaultSystemAccounts()
	if prev, err := store.TransactionByKey(ctx, key); err == nil {
		want := ledger.Transaction{Kind: ledger.Deposit, Memo: "deposit",
			Entries: []ledger.Entry{{Account: sys.Cash, Amount: -amount}, {Account: a.ID, Amount: amount}}}
		if !ledger.SameContent(prev, want) {
			return false, "", parley.Errorf(op, parley.KindConflict, "this idempotency key was used for a different deposit")
		}
	} else if !parley.IsKind(err, parley.KindNotFound) {
		return false, "", err
	}
	if err := f.audit(ctx, "account.deposit", "account:"+a.ID, "amount "+amount.String()+"; payment simulated"); err != nil {
		return false, "", err
	}
	if err := books.Init(ctx); err != nil {
		return false, "", err
	}
	if err := store.CreateAccount(ctx, a); err != nil && !parley.IsKind(err, parley.KindConflict) {
		return false, "", err
	}
	if stored, err := store.Account(ctx, a.ID); err != nil {
		return false, "", err
	} else if !stored.Active { // a deposit ends inactivity (47 CFR § 64.6130(c)(1))
		if err := store.SetAccountActive(ctx, a.ID, true); err != nil {
			return false, "", err
		}
	}
	_, applied, err := books.DepositOnce(ctx, a.ID, amount, key)
	if errors.Is(err, ledger.ErrKeyReused) {
		return false, "", parley.Errorf(op, parley.KindConflict, "this idempotency key was used for a different deposit")
	}
	if err != nil {
		return false, "", err
	}
	bal, err := balance(ctx, store, a.ID)
	return applied, bal.String(), err
}

// callID returns the call a posting's memo names ("hold for call ID", "call ID: …").
func callID(memo string) string {
	rest, ok := strings.CutPrefix(memo, "hold for call ")
	if !ok {
		if rest, ok = strings.CutPrefix(memo, "call "); !ok {
			return ""
		}
	}
	id, _, _ := strings.Cut(rest, ":")
	return id
}

// Calls returns the calls to the number, newest first, each with what it cost the
// number's accounts (holds, charges and returns netted).
func (f *familyBackend) Calls(ctx context.Context, n parley.Number) ([]web.FamilyCall, error) {
	calls, err := f.e.store.FindCalls(ctx, parley.CallFilter{Number: n, Limit: 200})
	if err != nil {
		return nil, err
	}
	cost := map[string]ledger.Cents{}
	store := f.e.books().Store()
	for _, a := range []ledger.Account{billing.PrepaidAccount(f.e.cipher, n), billing.CollectAccount(f.e.cipher, n)} {
		ps, err := store.Postings(ctx, a.ID, time.Time{}, f.e.now().Add(time.Hour))
		if err != nil && !parley.IsKind(err, parley.KindNotFound) {
			return nil, err
		}
		for _, p := range ps {
			if id := callID(p.Memo); id != "" && (p.Kind == ledger.Reserve || p.Kind == ledger.Charge || p.Kind == ledger.Release) {
				cost[id] -= p.Amount
			}
		}
	}
	names := map[string]string{}
	fs, err := f.e.store.ListFacilities(ctx)
	if err != nil {
		return nil, err
	}
	for _, fac := range fs {
		names[fac.ID] = fac.Name
	}
	out := []web.FamilyCall{}
	for _, c := range calls {
		if c.Privileged {
			continue
		}
		out = append(out, web.FamilyCall{StartedAt: c.StartedAt, Facility: names[c.FacilityID], Duration: c.Duration,
			Seconds: int64(c.Duration / time.Second), Charge: cost[c.ID].String()})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartedAt.After(out[j].StartedAt) })
	return out, nil
}

// Blocks returns the number's self-blocks.
func (f *familyBackend) Blocks(ctx context.Context, n parley.Number) ([]*parley.SelfBlock, error) {
	return f.e.store.FindSelfBlocks(ctx, n)
}

func blockObject(facilityID string) string {
	if facilityID == "" {
		return "selfblock:all"
	}
	return "selfblock:facility:" + facilityID
}

// Block stops calls to the number from one facility, or from all ("").
func (f *familyBackend) Block(ctx context.Context, n parley.Number, facilityID string) error {
	const op = "family.Block"
	if facilityID != "" {
		if _, err := f.e.store.FindFacility(ctx, facilityID); parley.IsKind(err, parley.KindNotFound) {
			return parley.Errorf(op, parley.KindInvalid, "no such facility")
		} else if err != nil {
			return err
		}
	}
	if err := f.audit(ctx, "selfblock.add", blockObject(facilityID), "family portal"); err != nil {
		return err
	}
	err := f.e.store.AddSelfBlock(ctx, &parley.SelfBlock{Number: n, FacilityID: facilityID, AddedAt: f.e.now()})
	if parley.IsKind(err, parley.KindConflict) {
		return parley.Errorf(op, parley.KindConflict, "calls are blocked there already")
	}
	return err
}

// Unblock removes a self-block.
func (f *familyBackend) Unblock(ctx context.Context, n parley.Number, facilityID string) error {
	const op = "family.Unblock"
	bs, err := f.e.store.FindSelfBlocks(ctx, n)
	if err != nil {
		return err
	}
	found := false
	for _, b := range bs {
		found = found || b.FacilityID == facilityID
	}
	if !found {
		return parley.Errorf(op, parley.KindNotFound, "there is no such block")
	}
	if err := f.audit(ctx, "selfblock.remove", blockObject(facilityID), "family portal"); err != nil {
		return err
	}
	return f.e.store.RemoveSelfBlock(ctx, n, facilityID)
}
