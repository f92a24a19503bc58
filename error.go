package parley

import (
	"errors"
	"fmt"
	"io/fs"
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

// kindSentences say what happened when an error's chain carries no message.
var kindSentences = [...]string{"the operation failed", "invalid input", "not found",
	"already exists or was changed meanwhile", "not allowed", "not signed in",
	"internal error (the details are in the log)", "temporarily unavailable; try again later",
	"destroyed", "stored data failed its integrity check (the details are in the log)"}

// ErrorMessage returns what a person may read of err: the Messages of the *Error values in
// its chain joined by ": ", without their Ops and without the errors they wrap, which are
// internal notes for the log (Error() keeps all of it), except a file system error's own
// words ("file exists", "permission denied", without the path). The text of a plain wrapper above
// them ("line 3: …") is kept. An error chain with no *Error at all (a standard library or
// a command's own error) reads as its Error(); a chain whose *Errors have no Message reads
// as a sentence for its Kind.
func ErrorMessage(err error) string {
	var pe *Error
	if err == nil {
		return ""
	} else if !errors.As(err, &pe) {
		return err.Error()
	}
	if parts, _ := messageParts(err, false); len(parts) > 0 {
		return strings.Join(parts, ": ")
	}
	k := ErrorKind(err)
	if int(k) < len(kindSentences) {
		return kindSentences[k]
	}
	return kindSentences[KindOther]
}

// messageParts walks err's chain: the Messages of *Errors, the own text of plain wrappers
// above them, the text of a plain leaf only when no *Error is above it. It reports whether
// it met an *Error.
func messageParts(err error, under bool) ([]string, bool) {
	var parts []string
	saw := under
	for err != nil {
		if e, ok := err.(*Error); ok {
			saw = true
			if e.Message != "" {
				parts = append(parts, e.Message)
			}
			err = e.Err
			continue
		}
		if pathErr := (*fs.PathError)(nil); saw && errors.As(err, &pathErr) {
			// "file exists": the system's words, without the path.
			return append(parts, pathErr.Err.Error()), saw
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			var joined []string
			for _, inner := range u.Unwrap() {
				p, s := messageParts(inner, saw)
				saw = saw || s
				if len(p) > 0 {
					joined = append(joined, strings.Join(p, ": "))
				}
			}
			if len(joined) > 0 {
				parts = append(parts, strings.Join(joined, "; "))
			}
			return parts, saw
		case interface{ Unwrap() error }:
			next := u.Unwrap()
			if next == nil {
				break
			}
			own := strings.TrimSuffix(err.Error(), next.Error())
			if own = strings.TrimRight(own, ": "); !saw && own != "" && own != err.Error() {
				parts = append(parts, own)
			}
			err = next
			continue
		}
		if !saw {
			parts = append(parts, err.Error())
		}
		return parts, saw
	}
	return parts, saw
}
