// Package sqldb is the one SQL implementation of parley.Store, over database/sql.
//
// The sqlite and postgres packages open a database, apply their embedded migrations with
// Migrate and hand the *sql.DB to New with their Dialect; everything else (queries, field
// encryption, transactions, error kinds) lives here once.
//
// Personal data never reaches the database in clear: inmate ids, names, PIN hashes, phone
// numbers, bar numbers and import keys are sealed with the parley.FieldCipher (a row's
// personal fields together, as one value bound to the row, in its pii column), and the
// values the store searches by (numbers, inmate ids, import keys) are also stored as blind
// indexes. Facility, device, call and recording ids, times and statuses are stored in clear.
package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"parley.dev/parley"
)

// Dialect holds what differs between the SQL databases sqldb supports. Column types differ
// only in the migrations; the queries are shared.
type Dialect struct {
	// Name is a short name for logs, e.g. "sqlite" or "postgres".
	Name string
	// DollarPlaceholders rewrites the '?' placeholders of queries to $1, $2, … .
	DollarPlaceholders bool
	// ForUpdate is appended to SELECTs that lock the rows they read inside a transaction
	// (" FOR UPDATE" on PostgreSQL; empty on SQLite, whose write transactions are exclusive).
	ForUpdate string
	// AuditLock, if set, is executed first inside the AppendAudit transaction to serialise
	// appends (e.g. a transaction-scoped advisory lock).
	AuditLock string
	// MigrationLock, if set, is executed first inside each migration transaction.
	MigrationLock string
	// LedgerLock, if set, is executed first inside each ledger append transaction to
	// serialise appends (e.g. a transaction-scoped advisory lock). Without it the
	// database's write transactions must already be exclusive (SQLite's immediate
	// transactions are).
	LedgerLock string
	// IsUniqueViolation reports whether err is a unique or primary key violation.
	IsUniqueViolation func(err error) bool
}

// DB is a parley.Store over a *sql.DB. It is safe for concurrent use.
type DB struct {
	db     *timedDB
	d      Dialect
	fc     parley.FieldCipher
	logger *slog.Logger
	now    func() time.Time

	mu      sync.RWMutex
	rebound map[string]string
}

var _ parley.Store = (*DB)(nil)

// New returns a store over db, which must already hold the schema (see Migrate). fc
// encrypts personal data; logger receives operational messages (never personal data) and
// may be nil.
func New(db *sql.DB, d Dialect, fc parley.FieldCipher, logger *slog.Logger) *DB {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if d.IsUniqueViolation == nil {
		d.IsUniqueViolation = func(error) bool { return false }
	}
	return &DB{db: &timedDB{DB: db}, d: d, fc: fc, logger: logger, now: time.Now, rebound: map[string]string{}}
}

// SQL returns the underlying database handle, for tools and benchmarks.
func (db *DB) SQL() *sql.DB { return db.db.DB }

// SetObserver makes every statement and transaction of the store tell observe how long it
// took: kind is "exec", "query" (until the first row is ready) or "tx" (begin to commit
// or rollback). For monitoring; observe must be cheap and safe for concurrent use.
func (db *DB) SetObserver(observe func(kind string, d time.Duration)) {
	db.db.observe.Store(&observe)
}

// timedDB is the *sql.DB with its statements timed for SetObserver.
type timedDB struct {
	*sql.DB
	observe atomic.Pointer[func(string, time.Duration)]
}

func (t *timedDB) done(kind string, start time.Time) {
	if f := t.observe.Load(); f != nil {
		(*f)(kind, time.Since(start))
	}
}

func (t *timedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer t.done("exec", time.Now())
	return t.DB.ExecContext(ctx, query, args...)
}

func (t *timedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	defer t.done("query", time.Now())
	return t.DB.QueryContext(ctx, query, args...)
}

func (t *timedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	defer t.done("query", time.Now())
	return t.DB.QueryRowContext(ctx, query, args...)
}

// Close closes the database.
func (db *DB) Close() error {
	if err := db.db.Close(); err != nil {
		return parley.WrapError("sqldb.Close", parley.KindInternal, err)
	}
	return nil
}

// q returns query with its placeholders in the dialect's style.
func (db *DB) q(query string) string {
	if !db.d.DollarPlaceholders {
		return query
	}
	db.mu.RLock()
	s, ok := db.rebound[query]
	db.mu.RUnlock()
	if ok {
		return s
	}
	s = Rebind(query)
	db.mu.Lock()
	db.rebound[query] = s
	db.mu.Unlock()
	return s
}

// Rebind rewrites '?' placeholders outside quoted strings to $1, $2, … .
func Rebind(query string) string {
	var b strings.Builder
	n := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a transaction, committing if it returns nil.
func (db *DB) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	defer db.db.done("tx", time.Now())
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return db.dbErr(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return db.dbErr(op, err)
	}
	return nil
}

// dbErr turns a driver error into a *parley.Error. Driver messages name tables and
// columns, never values: every value is passed as a parameter.
func (db *DB) dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *parley.Error
	if errors.As(err, &pe) {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	if db.d.IsUniqueViolation(err) {
		return &parley.Error{Op: op, Kind: parley.KindConflict, Message: "already exists"}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &parley.Error{Op: op, Kind: parley.KindUnavailable, Message: "cancelled", Err: err}
	}
	return &parley.Error{Op: op, Kind: parley.KindInternal, Message: "database error", Err: err}
}

// newID returns a random 128-bit hex id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Times are stored as UTC microseconds since the Unix epoch; a zero time.Time is NULL.

func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// Truncate returns t as the store returns it: UTC, to the microsecond.
func Truncate(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Microsecond).UTC()
}

// A row's personal fields are sealed together as one value (one AEAD seal on write, one
// open on read), in a "pii" column. The plaintext is a version byte followed by each field
// as a uvarint length and its bytes, in an order fixed per table. The sealed value is
// bound to its row: the column name given to the FieldCipher (which binds it as AAD) is
// the table's pii column followed by the row's key, so a value copied onto another row
// fails to open with KindIntegrity.
const piiVersion1 = 1

// piiColumn returns the FieldCipher column name of a row's pii value: base ("calls.pii")
// and the row key, each part after a '/'. Row keys are ids (letters, digits, '-', '_', '.')
// or hex, so the name is unambiguous.
func piiColumn(base string, key ...string) string {
	n := len(base)
	for _, k := range key {
		n += 1 + len(k)
	}
	b := make([]byte, 0, n)
	b = append(b, base...)
	for _, k := range key {
		b = append(b, '/')
		b = append(b, k...)
	}
	return string(b)
}

// sealPII packs fields and seals them for column (see piiColumn).
func (db *DB) sealPII(op, column string, fields ...string) ([]byte, error) {
	n := 1
	for _, f := range fields {
		n += binary.MaxVarintLen32 + len(f)
	}
	pt := make([]byte, 1, n)
	pt[0] = piiVersion1
	for _, f := range fields {
		pt = binary.AppendUvarint(pt, uint64(len(f)))
		pt = append(pt, f...)
	}
	ct, err := db.fc.Seal(column, pt)
	clear(pt)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	return ct, nil
}

// openPII opens a value sealed by sealPII for column into the len(into) fields it holds.
// KindIntegrity if it does not authenticate (another key, another row, changed) or does
// not hold exactly that many fields.
func (db *DB) openPII(op, column string, ct []byte, into ...*string) error {
	pt, err := db.fc.Open(column, ct)
	if err != nil {
		return parley.WrapError(op, parley.KindIntegrity, err)
	}
	malformed := func() error {
		return parley.Errorf(op, parley.KindIntegrity, "malformed sealed personal data")
	}
	if len(pt) == 0 || pt[0] != piiVersion1 {
		return malformed()
	}
	rest := pt[1:]
	for _, p := range into {
		l, k := binary.Uvarint(rest)
		if k <= 0 || l > uint64(len(rest)-k) {
			return malformed()
		}
		*p = string(rest[k : k+int(l)])
		rest = rest[k+int(l):]
	}
	if len(rest) != 0 {
		return malformed()
	}
	return nil
}

// numberIdx is the blind index of a number, shared by every table that stores numbers.
func (db *DB) numberIdx(n parley.Number) []byte {
	return db.fc.BlindIndex("number", []byte(n))
}

// inmateIdx is the blind index of an inmate id within its facility.
func (db *DB) inmateIdx(facilityID, inmateID string) []byte {
	return db.fc.BlindIndex("inmate_id", []byte(facilityID+"\x00"+inmateID))
}

// rowsAffected returns KindNotFound (with msg) if res changed no row.
func (db *DB) rowsAffected(op string, res sql.Result, msg string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return db.dbErr(op, err)
	}
	if n == 0 {
		return parley.Errorf(op, parley.KindNotFound, "%s", msg)
	}
	return nil
}

func invalid(op, msg string) error { return parley.Errorf(op, parley.KindInvalid, "%s", msg) }
