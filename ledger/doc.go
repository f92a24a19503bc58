// Package ledger is parley's double-entry book of the money families pay for calls, kept
// in integer cents so that no cent is ever lost or invented.
//
// # Model
//
// Every movement of money is a Transaction of two or more Entries whose signed amounts sum
// to zero. An account's balance is the sum of its entries; the sum of all balances is
// therefore always zero. Paying accounts (inmate debit, prepaid, collect) hold a positive
// balance: the money a family has put in and not yet spent. System accounts (cash,
// revenue, refunds payable, holds) carry the other side of every movement and may have
// any sign.
//
//	deposit   cash −x          paying +x
//	reserve   paying −max      holds +max       (a hold at call start)
//	settle    holds −max       revenue +actual, paying +(max−actual)
//	release   holds −max       paying +max
//	credit    revenue −x       paying +x        (a dropped call)
//	refund    paying −x        refunds payable +x
//	reversal  the exact negation of one earlier transaction, at most once
//
// # Rules
//
// The rules are pure functions (Validate, CheckReversal, CheckClose, SameContent) that
// every Store calls inside its atomic append, so the in-memory store and the SQL stores
// enforce exactly the same invariants:
//   - a transaction balances, has at least two entries, each non-zero and at most
//     MaxAmount in size, on distinct accounts;
//   - an idempotency key is required; a retry with the same key and the same content is
//     applied once, the same key with other content is refused (KindConflict);
//   - the ledger is append-only: a correction is a reversal, and a transaction is reversed
//     at most once;
//   - no debit takes a paying account below zero and no money leaves an inactive paying
//     account. Because the check runs inside the store's atomic append, parallel calls
//     cannot overdraw an account: a call reserves the most it can cost before it starts
//     (Books.Reserve), and a reservation that the balance cannot cover is refused.
//
// Verify proves, from the entries alone, that every stored balance equals the sum of its
// entries and that the books balance.
//
// # Inactive accounts
//
// 47 CFR § 64.6130 (FCC 24-75, "Protection of consumer funds in inactive accounts")
// keeps the funds in an account the holder's property, forbids disposing of them until
// 180 days of continuous inactivity have passed (any deposit, credit, debit or transfer
// restarts the period), and then requires the provider to contact the holder and refund
// the balance. Money never leaves an inactive paying account except by Refund;
// billing.InactiveRefunder finds accounts idle for 180 days, deactivates them and moves
// their balance to refunds payable with Books.Refund.
//
// # Personal data
//
// Accounts carry a Holder reference (an opaque id), never a telephone number or a name,
// and memos are short free text that callers must keep free of personal data; errors name
// accounts and transactions by id only.
package ledger
