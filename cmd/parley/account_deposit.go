package main

import (
	"context"
	"errors"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

func init() {
	register("account deposit", "account deposit --number NUMBER [--collect] | --inmate ID --facility ID [--from-trust] --amount DOLLARS --key IDEMPOTENCY_KEY", runAccountDeposit)
}

// runAccountDeposit records money received for a family's prepaid account (by called
// number) or an inmate's debit account, creating the account on its first deposit. The
// key makes it safe to retry: a deposit with a key already used for the same deposit is
// applied once and says so; the same key for another deposit is refused. --from-trust
// records a transfer from the inmate's trust (commissary) account at the facility instead
// of money received, through the trust clearing account.
func runAccountDeposit(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("account deposit")
	df := m.addDataFlags(fs)
	h := addHolderFlags(fs)
	rawAmount := fs.String("amount", "", "dollars and cents, e.g. 20.00")
	key := fs.String("key", "", "idempotency key: the same key for a retry of the same deposit (e.g. the payment's receipt id)")
	fromTrust := fs.Bool("from-trust", false, "with --inmate: a transfer from the inmate's trust (commissary) account; --key is the trust system's transfer id")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := h.check(); err != nil {
		return err
	}
	if *fromTrust && h.inmate == "" {
		return usageError("--from-trust needs --inmate")
	}
	sys := ledger.DefaultSystemAccounts()
	source, memo, prefix, action := sys.Cash, "deposit", "deposit:", "account.deposit"
	if *fromTrust {
		source, memo, prefix, action = sys.Trust, ledger.TrustTransferMemo, "trust:", "account.trust_transfer"
	}
	if err := need("amount", *rawAmount, "key", *key); err != nil {
		return err
	}
	amount, err := ledger.ParseCents(*rawAmount)
	if err != nil {
		return flagError("--amount", err)
	}
	txKey := prefix + *key
	if len(txKey) > ledger.MaxKeyLen {
		return usageError("--key must be at most %d characters", ledger.MaxKeyLen-len(prefix))
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		a, err := h.resolve(ctx, e)
		if err != nil {
			return err
		}
		books := e.books()
		store := books.Store()
		// A key already used for something else is refused before anything is written.
		if prev, err := store.TransactionByKey(ctx, txKey); err == nil {
			want := ledger.Transaction{Kind: ledger.Deposit, Memo: memo,
				Entries: []ledger.Entry{{Account: source, Amount: -amount}, {Account: a.ID, Amount: amount}}}
			if !ledger.SameContent(prev, want) {
				return &parley.Error{Op: "account deposit", Kind: parley.KindConflict,
					Message: "--key was already used for a different deposit (transaction " + prev.ID + ")", Err: ledger.ErrKeyReused}
			}
		} else if !parley.IsKind(err, parley.KindNotFound) {
			return err
		}
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: action,
			Object: "account:" + a.ID, Outcome: parley.OutcomeOK, Detail: "amount " + amount.String()}); err != nil {
			return err
		}
		if err := books.Init(ctx); err != nil {
			return err
		}
		if err := store.CreateAccount(ctx, a.Account); err != nil && !parley.IsKind(err, parley.KindConflict) {
			return err
		}
		// A deposit ends a period of inactivity (47 CFR § 64.6130(c)(1)): an account
		// deactivated and refunded for inactivity may pay for calls again.
		if stored, err := store.Account(ctx, a.ID); err != nil {
			return err
		} else if !stored.Active {
			if err := store.SetAccountActive(ctx, a.ID, true); err != nil {
				return err
			}
		}
		deposit := books.DepositOnce
		if *fromTrust {
			deposit = books.TransferFromTrust
		}
		tx, applied, err := deposit(ctx, a.ID, amount, txKey)
		if errors.Is(err, ledger.ErrKeyReused) {
			return &parley.Error{Op: "account deposit", Kind: parley.KindConflict, Message: "--key was already used for a different deposit", Err: err}
		}
		if err != nil {
			return err
		}
		bal, err := store.Balance(ctx, a.ID)
		if err != nil {
			return err
		}
		if !applied {
			m.printf("deposit already applied with this key (transaction %s): nothing moved; %s balance %s\n", tx.ID, a.label, bal)
			return nil
		}
		verb := "deposited"
		if *fromTrust {
			verb = "transferred from trust"
		}
		m.printf("%s %s to the %s (transaction %s); balance %s\n", verb, amount, a.label, tx.ID, bal)
		return nil
	})
}
