package ledger

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"parley.dev/parley"
)

// MemStore is an in-memory Store, for tests and demos. One mutex makes every Append
// atomic. Create one with NewMemStore.
type MemStore struct {
	mu         sync.Mutex
	accounts   map[string]Account
	balances   map[string]Cents
	txs        []Transaction     // in Seq order; Seq = index+1
	byID       map[string]int    // id -> index in txs
	byKey      map[string]int    // idempotency key -> index in txs
	reversedBy map[string]string // original id -> reversal id
	closedBy   map[string]string // reserve id -> closing id
	byAccount  map[string][]int  // account -> indexes in txs
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{
		accounts: map[string]Account{}, balances: map[string]Cents{},
		byID: map[string]int{}, byKey: map[string]int{},
		reversedBy: map[string]string{}, closedBy: map[string]string{},
		byAccount: map[string][]int{},
	}
}

var _ Store = (*MemStore)(nil)

// CreateAccount implements Store.
func (m *MemStore) CreateAccount(ctx context.Context, a Account) error {
	const op = "ledger.MemStore.CreateAccount"
	if err := a.Validate(); err != nil {
		return parley.WrapError(op, parley.KindInvalid, err)
	}
	if err := ctx.Err(); err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[a.ID]; ok {
		return parley.Errorf(op, parley.KindConflict, "account %s exists", a.ID)
	}
	m.accounts[a.ID] = a
	return nil
}

// Account implements Store.
func (m *MemStore) Account(ctx context.Context, id string) (Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accounts[id]
	if !ok {
		return Account{}, notFoundAccount("ledger.MemStore.Account", id)
	}
	return a, nil
}

func notFoundAccount(op, id string) error {
	return parley.Errorf(op, parley.KindNotFound, "account %s does not exist", id)
}

// SetAccountActive implements Store.
func (m *MemStore) SetAccountActive(ctx context.Context, id string, active bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accounts[id]
	if !ok {
		return notFoundAccount("ledger.MemStore.SetAccountActive", id)
	}
	a.Active = active
	m.accounts[id] = a
	return nil
}

// Accounts implements Store.
func (m *MemStore) Accounts(ctx context.Context) ([]Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Account, 0, len(m.accounts))
	for _, a := range m.accounts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Account) int { return cmpString(a.ID, b.ID) })
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Append implements Store.
func (m *MemStore) Append(ctx context.Context, tx Transaction) (Transaction, bool, error) {
	const op = "ledger.MemStore.Append"
	if err := ctx.Err(); err != nil {
		return Transaction{}, false, parley.WrapError(op, parley.KindUnavailable, err)
	}
	tx.Entries = slices.Clone(tx.Entries)
	tx.Time = tx.Time.UTC().Truncate(time.Microsecond)
	m.mu.Lock()
	defer m.mu.Unlock()
	if i, ok := m.byKey[tx.IdempotencyKey]; ok && tx.IdempotencyKey != "" {
		if SameContent(m.txs[i], tx) {
			return clone(m.txs[i]), false, nil
		}
		return Transaction{}, false, fail(op, ErrKeyReused, "transaction %s", m.txs[i].ID)
	}
	if err := Validate(tx); err != nil {
		return Transaction{}, false, parley.WrapError(op, parley.KindInvalid, err)
	}
	if tx.Reverses != "" {
		i, ok := m.byID[tx.Reverses]
		if !ok {
			return Transaction{}, false, parley.Errorf(op, parley.KindNotFound, "transaction %s does not exist", tx.Reverses)
		}
		if r := m.reversedBy[tx.Reverses]; r != "" {
			return Transaction{}, false, fail(op, ErrAlreadyReversed, "transaction %s, by %s", tx.Reverses, r)
		}
		if err := CheckReversal(m.txs[i], tx); err != nil {
			return Transaction{}, false, parley.WrapError(op, parley.KindInvalid, err)
		}
	}
	if tx.Closes != "" {
		i, ok := m.byID[tx.Closes]
		if !ok {
			return Transaction{}, false, parley.Errorf(op, parley.KindNotFound, "hold %s does not exist", tx.Closes)
		}
		if c := m.closedBy[tx.Closes]; c != "" {
			return Transaction{}, false, fail(op, ErrHoldClosed, "hold %s, by %s", tx.Closes, c)
		}
		if err := CheckClose(m.txs[i], tx); err != nil {
			return Transaction{}, false, parley.WrapError(op, parley.KindInvalid, err)
		}
	}
	if err := CheckPostings(tx, m.accounts, m.balances); err != nil {
		return Transaction{}, false, parley.WrapError(op, parley.KindInvalid, err)
	}
	tx.Seq = int64(len(m.txs) + 1)
	tx.ID = "tx-" + strconv.FormatInt(tx.Seq, 10)
	idx := len(m.txs)
	m.txs = append(m.txs, tx)
	m.byID[tx.ID] = idx
	m.byKey[tx.IdempotencyKey] = idx
	if tx.Reverses != "" {
		m.reversedBy[tx.Reverses] = tx.ID
	}
	if tx.Closes != "" {
		m.closedBy[tx.Closes] = tx.ID
	}
	for _, e := range tx.Entries {
		m.balances[e.Account] += e.Amount
		m.byAccount[e.Account] = append(m.byAccount[e.Account], idx)
	}
	return clone(tx), true, nil
}

func clone(tx Transaction) Transaction {
	tx.Entries = slices.Clone(tx.Entries)
	return tx
}

// Transaction implements Store.
func (m *MemStore) Transaction(ctx context.Context, id string) (Transaction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.byID[id]
	if !ok {
		return Transaction{}, parley.Errorf("ledger.MemStore.Transaction", parley.KindNotFound, "transaction %s does not exist", id)
	}
	return clone(m.txs[i]), nil
}

// TransactionByKey implements Store.
func (m *MemStore) TransactionByKey(ctx context.Context, key string) (Transaction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.byKey[key]
	if !ok {
		return Transaction{}, parley.Errorf("ledger.MemStore.TransactionByKey", parley.KindNotFound, "no transaction has that key")
	}
	return clone(m.txs[i]), nil
}

// Transactions implements Store.
func (m *MemStore) Transactions(ctx context.Context, after int64, limit int) ([]Transaction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Transaction
	for _, tx := range m.txs[min(max(after, 0), int64(len(m.txs))):] {
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, clone(tx))
	}
	return out, nil
}

// ReversedBy implements Store.
func (m *MemStore) ReversedBy(ctx context.Context, id string) (string, error) {
	return m.link("ledger.MemStore.ReversedBy", m.reversedBy, id)
}

// ClosedBy implements Store.
func (m *MemStore) ClosedBy(ctx context.Context, id string) (string, error) {
	return m.link("ledger.MemStore.ClosedBy", m.closedBy, id)
}

func (m *MemStore) link(op string, links map[string]string, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[id]; !ok {
		return "", parley.Errorf(op, parley.KindNotFound, "transaction %s does not exist", id)
	}
	return links[id], nil
}

// Balance implements Store.
func (m *MemStore) Balance(ctx context.Context, account string) (Cents, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[account]; !ok {
		return 0, notFoundAccount("ledger.MemStore.Balance", account)
	}
	return m.balances[account], nil
}

// Balances implements Store.
func (m *MemStore) Balances(ctx context.Context) (map[string]Cents, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Cents, len(m.accounts))
	for id := range m.accounts {
		out[id] = m.balances[id]
	}
	return out, nil
}

// Postings implements Store.
func (m *MemStore) Postings(ctx context.Context, account string, from, to time.Time) ([]Posting, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[account]; !ok {
		return nil, notFoundAccount("ledger.MemStore.Postings", account)
	}
	var out []Posting
	var bal Cents
	for _, i := range m.byAccount[account] {
		tx := m.txs[i]
		for _, e := range tx.Entries {
			if e.Account != account {
				continue
			}
			bal += e.Amount
			if (!from.IsZero() && tx.Time.Before(from)) || (!to.IsZero() && !tx.Time.Before(to)) {
				continue
			}
			out = append(out, Posting{TxID: tx.ID, Seq: tx.Seq, Time: tx.Time, Kind: tx.Kind,
				Memo: tx.Memo, Amount: e.Amount, Balance: bal})
		}
	}
	return out, nil
}

// LastActivity implements Store.
func (m *MemStore) LastActivity(ctx context.Context, account string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[account]; !ok {
		return time.Time{}, notFoundAccount("ledger.MemStore.LastActivity", account)
	}
	var last time.Time
	for _, i := range m.byAccount[account] {
		if t := m.txs[i].Time; t.After(last) {
			last = t
		}
	}
	return last, nil
}
