package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
	"parley.dev/parley/rates"
)

// DefaultMaxCall is the longest call Charger reserves for when MaxCall is zero. It should
// be at least the longest call any facility allows; a shorter value cuts calls at it.
const DefaultMaxCall = 2 * time.Hour

// Charger charges calls through the ledger. Its Authorize and Settle are the SIP call
// path's billing hook: Authorize before the trunk is dialled, Settle once when an
// authorized call ends.
//
// # Who pays
//
// PayingCandidates gives the order: the inmate's debit account, then the called party's
// prepaid account for the number, then the called party's collect account. The first
// that exists, is active and can pay for one minute at the call's price pays; the others
// are not touched. An inactive account is never debited (FCC inactive-account rule).
//
// # Holds
//
// Authorize reserves, in one atomic ledger append keyed "call-hold:<call id>", the cost of
// the longest call the balance buys (at most the facility's maximum call length, or
// MaxCall), and returns that length; a retry
// finds the hold by its key and reserves nothing more. Parallel calls on one account
// each reserve from what the others left, so together they never overdraw it.
//
// # Charging rule
//
// The price per minute is the facility's rate in force on the call's start day in the
// facility's time zone, never above the FCC cap in force that day (Pricer). The bridged
// time is billed by the second and the total rounded down to the cent (rates.Charge): the
// caps are per-minute maximums (47 CFR § 64.6030), and a charge for the exact seconds is
// never above a per-minute charge. The charge is never more than the hold. Settle closes
// the hold in one transaction keyed "call-settle:<call id>": the charge to revenue, the
// rest back to the account.
//
// # Credits
//
// Classify sorts the call's end. A call ended by a system fault is credited in full; a
// call parley or the trunk dropped within FreeFirstMinute is credited in full; the credit
// is a separate ledger transaction keyed "call-credit:<call id>", so a statement shows the
// charge and the credit, and CallRecord.CreditReason says why.
type Charger struct {
	Pricer  *Pricer
	Books   *ledger.Books
	Index   Indexer
	MaxCall time.Duration // longest call reserved for; DefaultMaxCall if zero
	// FacilityMaxCall, if set, returns a facility's maximum call length (its call
	// rules), so a hold covers at most that rather than MaxCall; 0 or KindNotFound
	// means MaxCall.
	FacilityMaxCall func(ctx context.Context, facilityID string) (time.Duration, error)
	Log             *slog.Logger // call ids, amounts and account ids only
	// FreeWithoutRate lets a facility that has no rate set for the call's day make free
	// calls (nothing reserved, PayingAccount empty) instead of refusing them as a fault.
	// Several states make calls free; serve sets it and names such facilities at start.
	FreeWithoutRate bool
	// Class, if set, returns the call's class as the call path knows it (a relay or
	// captioned call, 47 CFR § 64.6040(d)): relay calls are free and hold nothing;
	// captioned calls cost what a voice call costs. Nil: every call is a voice call.
	Class func(call *parley.CallRecord) rates.CallClass
}

// classOf returns the call's class, Voice if no Class hook is set.
func (c *Charger) classOf(call *parley.CallRecord) rates.CallClass {
	if c.Class == nil {
		return rates.Voice
	}
	return c.Class(call)
}

// Keys of a call's ledger transactions.
func holdKey(callID string) string   { return "call-hold:" + callID }
func settleKey(callID string) string { return "call-settle:" + callID }
func creditKey(callID string) string { return "call-credit:" + callID }

func (c *Charger) maxCall() time.Duration {
	if c.MaxCall > 0 {
		return c.MaxCall
	}
	return DefaultMaxCall
}

// limitFor returns the longest call at a facility a hold covers.
func (c *Charger) limitFor(ctx context.Context, facilityID string) (time.Duration, error) {
	limit := c.maxCall()
	if c.FacilityMaxCall == nil {
		return limit, nil
	}
	d, err := c.FacilityMaxCall(ctx, facilityID)
	switch {
	case parley.IsKind(err, parley.KindNotFound):
		return limit, nil
	case err != nil:
		return 0, parley.WrapError("billing.Charger", parley.KindInternal, err)
	case d > 0 && d < limit:
		return d, nil
	}
	return limit, nil
}

func (c *Charger) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// checkCall rejects a record the charger cannot price.
func checkCall(op string, call *parley.CallRecord) error {
	switch {
	case call == nil:
		return parley.Errorf(op, parley.KindInvalid, "no call record")
	case call.ID == "" || len(call.ID) > 100:
		return parley.Errorf(op, parley.KindInvalid, "call record has no usable id")
	case call.FacilityID == "":
		return parley.Errorf(op, parley.KindInvalid, "call %s has no facility", call.ID)
	case call.StartedAt.IsZero():
		return parley.Errorf(op, parley.KindInvalid, "call %s has no start time", call.ID)
	}
	return nil
}

// Authorize runs after the policy allowed the call and before the trunk is dialled.
// It reserves funds and returns how long the call may last on them (0: no limit from
// money). An error of Kind parley.KindForbidden means the paying account cannot pay
// for a minute; any other error is a system fault. Either way the call is refused.
//
// It sets call.PayingAccount. A refusal writes nothing.
func (c *Charger) Authorize(ctx context.Context, call *parley.CallRecord) (time.Duration, error) {
	const op = "billing.Charger.Authorize"
	if err := checkCall(op, call); err != nil {
		return 0, err
	}
	quote, err := c.Pricer.PriceCall(ctx, call.FacilityID, rates.Audio, c.classOf(call), call.StartedAt)
	if c.FreeWithoutRate && errors.Is(err, ErrNoRate) {
		call.PayingAccount = ""
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	limit, err := c.limitFor(ctx, call.FacilityID)
	if err != nil {
		return 0, err
	}
	store := c.Books.Store()
	// A retry: the hold exists, answer from it.
	if prev, err := store.TransactionByKey(ctx, holdKey(call.ID)); err == nil {
		paying, _, amount, err := ledger.HoldAmount(prev)
		if err != nil {
			return 0, parley.WrapError(op, parley.KindInternal, err)
		}
		call.PayingAccount = paying
		d, _ := quote.Hold(amount, limit)
		return d, nil
	} else if !parley.IsKind(err, parley.KindNotFound) {
		return 0, parley.WrapError(op, parley.KindInternal, err)
	}
	minute := quote.Charge(time.Minute)
	candidates := PayingCandidates(c.Index, call)
	for _, cand := range candidates {
		a, err := store.Account(ctx, cand.ID)
		if parley.IsKind(err, parley.KindNotFound) {
			continue
		}
		if err != nil {
			return 0, parley.WrapError(op, parley.KindInternal, err)
		}
		if !a.Active || !a.Kind.Paying() {
			continue
		}
		if quote.PerMinute == 0 { // free calls: no hold, no money limit
			call.PayingAccount = a.ID
			return 0, nil
		}
		d, ok, err := c.reserve(ctx, op, call.ID, a.ID, quote, minute, limit)
		if err != nil {
			return 0, err
		}
		if ok {
			call.PayingAccount = a.ID
			c.log().Info("call authorized", "call", call.ID, "account", a.ID, "limit", d, "per_minute", quote.PerMinute.String())
			return d, nil
		}
	}
	if quote.PerMinute == 0 {
		return 0, nil
	}
	c.log().Info("call refused for want of funds", "call", call.ID, "accounts_tried", len(candidates))
	return 0, &parley.Error{Op: op, Kind: parley.KindForbidden,
		Message: "no active account of this call can pay for one minute at " + quote.PerMinute.String() + "/min",
		Err:     ledger.ErrInsufficientFunds}
}

// reserve holds the cost of the longest call the account's balance buys. It reports
// false when the balance cannot pay minute (also after losing races to parallel calls).
func (c *Charger) reserve(ctx context.Context, op, callID, account string, q Quote, minute ledger.Cents, limit time.Duration) (time.Duration, bool, error) {
	store := c.Books.Store()
	for attempt := 0; attempt < 8; attempt++ {
		bal, err := store.Balance(ctx, account)
		if err != nil {
			return 0, false, parley.WrapError(op, parley.KindInternal, err)
		}
		if bal < minute || bal <= 0 {
			return 0, false, nil
		}
		d, amount := q.Hold(bal, limit)
		if amount == 0 { // the whole call costs less than a cent: nothing to hold
			return d, true, nil
		}
		_, err = c.Books.ReserveMemo(ctx, account, amount, holdKey(callID), "hold for call "+callID)
		switch {
		case err == nil:
			return d, true, nil
		case errors.Is(err, ledger.ErrInsufficientFunds):
			continue // a parallel call took some: read the balance again
		case errors.Is(err, ledger.ErrInactive):
			return 0, false, nil
		default:
			return 0, false, parley.WrapError(op, parley.KindInternal, err)
		}
	}
	return 0, false, nil
}

// Settle runs exactly once for every authorized call when it ends, with the time the
// two parties were bridged (0 if never) and the final record (Status, Reason say why
// it ended and which side). It sets the charge fields on the record.
//
// It is idempotent: called again for the same call and bridged time it moves no money
// and sets the same fields.
func (c *Charger) Settle(ctx context.Context, call *parley.CallRecord, bridged time.Duration) error {
	const op = "billing.Charger.Settle"
	if err := checkCall(op, call); err != nil {
		return err
	}
	if bridged < 0 {
		return parley.Errorf(op, parley.KindInvalid, "call %s: negative bridged time", call.ID)
	}
	store := c.Books.Store()
	hold, err := store.TransactionByKey(ctx, holdKey(call.ID))
	if parley.IsKind(err, parley.KindNotFound) {
		// No hold: a free call, or one whose whole length cost less than a cent.
		call.ChargeCents, call.CreditReason = 0, ""
		return nil
	}
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	paying, _, held, err := ledger.HoldAmount(hold)
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	call.PayingAccount = paying
	var charge ledger.Cents
	memo := "call " + call.ID + ": not connected"
	if bridged > 0 {
		quote, err := c.Pricer.PriceCall(ctx, call.FacilityID, rates.Audio, c.classOf(call), call.StartedAt)
		if err != nil {
			return err
		}
		charge = min(quote.Charge(bridged), held)
		memo = fmt.Sprintf("call %s: %d s at %s/min", call.ID, int64(bridged/time.Second), quote.PerMinute)
	}
	if _, err := c.Books.SettleMemo(ctx, hold.ID, charge, settleKey(call.ID), memo); err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	call.ChargeCents, call.CreditReason = int64(charge), ""
	if charge == 0 {
		return nil
	}
	why := creditReason(call.Status, call.Reason, bridged)
	if why == "" {
		c.log().Info("call charged", "call", call.ID, "account", paying, "cents", int64(charge))
		return nil
	}
	if _, err := c.Books.Credit(ctx, paying, charge, why+" (call "+call.ID+")", creditKey(call.ID)); err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	call.ChargeCents, call.CreditReason = 0, why
	c.log().Info("call credited", "call", call.ID, "account", paying, "cents", int64(charge), "why", why)
	return nil
}
