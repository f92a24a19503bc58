package sip

import (
	"context"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
)

// Billing reserves and settles the money for a call. A nil Billing makes calls free.
type Billing interface {
	// Authorize runs after the policy allowed the call and before the trunk is dialled.
	// It reserves funds and returns how long the call may last on them (0: no limit from
	// money). An error of Kind parley.KindForbidden means the paying account cannot pay
	// for a minute; any other error is a system fault. Either way the call is refused.
	Authorize(ctx context.Context, call *parley.CallRecord) (time.Duration, error)
	// Settle runs exactly once for every authorized call when it ends, with the time the
	// two parties were bridged (0 if never) and the final record (Status, Reason say why
	// it ended and which side). It may set charge fields on the record, which the sip
	// package then stores.
	Settle(ctx context.Context, call *parley.CallRecord, bridged time.Duration) error
}

// Reasons a call is refused by Billing, as they appear in CallRecord.Reason.
const (
	ReasonInsufficientFunds  = "insufficient_funds"
	ReasonBillingUnavailable = "billing_unavailable"
)

// authorizeMoney asks Billing for the call and tightens dec.MaxDuration to the money
// limit. It returns false when the call was refused (prompt played, record written).
func (c *call) authorizeMoney(dec *Decision) bool {
	b := c.srv.deps.Billing
	if b == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	limit, err := b.Authorize(ctx, c.rec)
	cancel()
	if c.ctx.Err() != nil {
		if err == nil {
			c.billed = true // reserved: settle it
		}
		c.ended(parley.CallDropped, reasonAbandoned)
		return false
	}
	switch {
	case parley.IsKind(err, parley.KindForbidden):
		c.log.Info("call refused by billing: insufficient funds")
		c.refuse(parley.CallRefused, ReasonInsufficientFunds, prompts.InsufficientFunds)
		return false
	case err != nil:
		c.log.Error("billing failed; call refused", "error", err)
		c.refuse(parley.CallRefused, ReasonBillingUnavailable, prompts.TechnicalProblem)
		return false
	}
	c.billed = true
	if limit > 0 && (dec.MaxDuration == 0 || limit < dec.MaxDuration) {
		dec.MaxDuration = limit
	}
	return true
}

// settle tells Billing, once, that an authorized call has ended. It runs before the final
// record is written, so the charge it sets is stored with it.
func (c *call) settle() {
	b := c.srv.deps.Billing
	if b == nil || !c.billed || c.settled {
		return
	}
	c.settled = true
	var bridged time.Duration
	if !c.acceptedAt.IsZero() {
		bridged = c.rec.Duration
	}
	ctx, cancel := bg()
	defer cancel()
	if err := b.Settle(ctx, c.rec, bridged); err != nil {
		c.log.Error("billing settlement failed", "error", err)
	}
}
