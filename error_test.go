package parley

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

// TestErrorMessage: people read the messages, never the operations nor the wrapped notes;
// Error() keeps everything for the log.
func TestErrorMessage(t *testing.T) {
	notFound := Errorf("sqldb.FindFacility", KindNotFound, "facility not found")
	internal := &Error{Op: "sqldb.Exec", Kind: KindInternal, Err: errors.New("SQLITE_BUSY: database is locked")}
	withNote := &Error{Op: "rates.CheckRate", Kind: KindForbidden, Message: "rate is above the cap",
		Err: errors.New("secondary_source")}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"message", notFound, "facility not found"},
		{"wrapped by an op", WrapError("admin.SetRules", KindInternal, notFound), "facility not found"},
		{"two messages", &Error{Op: "a", Kind: KindInvalid, Message: "bad row", Err: Errorf("b", KindInvalid, "no such column")}, "bad row: no such column"},
		{"internal note dropped", withNote, "rate is above the cap"},
		{"no message: the kind", internal, "internal error (the details are in the log)"},
		{"plain wrapper kept", fmt.Errorf("line 3: %w", notFound), "line 3: facility not found"},
		{"plain error as is", fmt.Errorf("open x: %w", fs.ErrNotExist), "open x: file does not exist"},
		{"joined", errors.Join(notFound, Errorf("op", KindInvalid, "bad PIN")), "facility not found; bad PIN"},
		{"file system cause", &Error{Op: "x", Kind: KindInvalid, Message: "cannot create --out", Err: &fs.PathError{Op: "open", Path: "/secret/path", Err: fs.ErrExist}}, "cannot create --out: file already exists"},
		{"plain wrapper below dropped", &Error{Op: "x", Kind: KindInternal, Message: "cannot read", Err: fmt.Errorf("row 7 of table t: %w", errors.New("driver: bad"))}, "cannot read"},
		{"unknown kind", &Error{Op: "x", Kind: Kind(200)}, "the operation failed"},
	} {
		if got := ErrorMessage(tc.err); got != tc.want {
			t.Errorf("%s: ErrorMessage = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := withNote.Error(); got != "rates.CheckRate: rate is above the cap: secondary_source" {
		t.Errorf("Error() = %q: the log loses its detail", got)
	}
}
