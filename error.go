package parley

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error so callers (the CLI, HTTP and SIP adapters) can map it to an exit
// status, an HTTP status or a SIP response without parsing messages.
//
// Do not reorder or remove kinds: their numeric values may be persisted or compared.
type Kind uint8

// Kinds of error.
const (
	KindOther        Kind = iota // unclassified
	KindInvalid                  // bad input: a field, a line, a value
	KindNotFound                 // the object does not exist (or is invisible to the caller)
	KindConflict                 // the object exists already, or a concurrent change won
	KindForbidden                // authenticated, but not allowed
	KindUnauthorized             // not authenticated
	KindInternal                 // a bug or a broken dependency; logged
	KindUnavailable              // a dependency is down (audit log, database); retry later
	KindDestroyed                // the object existed and was deliberately destroyed
	KindIntegrity                // stored data failed authentication: tampering or corruption
)

var kindNames = [...]string{"other", "invalid", "not_found", "conflict", "forbidden",
	"unauthorized", "internal", "unavailable", "destroyed", "integrity"}

// String returns the stable code of the kind, used in JSON error bodies.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Error is parley's error: it carries the operation that failed, a Kind and a message safe
// to show the caller. Messages never contain personal data (numbers, names, PINs, keys).
type Error struct {
	Op      string // operation, e.g. "vault.Read" or "import.calls"
	Kind    Kind
	Message string // human readable, safe to display
	Err     error  // underlying error, may be nil
}

// Error renders "op: message: underlying".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
	}
	if e.Message != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	if b.Len() == 0 {
		return e.Kind.String()
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(op string, kind Kind, format string, args ...any) *Error {
	return &Error{Op: op, Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// WrapError wraps err with an operation and, if err carries no kind, the given kind.
// It returns nil if err is nil.
func WrapError(op string, kind Kind, err error) error {
	if err == nil {
		return nil
	}
	if k := ErrorKind(err); k != KindOther {
		kind = k
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// ErrorKind returns the kind of the outermost *Error in err's chain that has one, or
// KindOther.
func ErrorKind(err error) Kind {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return KindOther
		}
		if e.Kind != KindOther {
			return e.Kind
		}
		err = e.Err
	}
	return KindOther
}

// IsKind reports whether err has the given kind.
func IsKind(err error, kind Kind) bool { return ErrorKind(err) == kind }
