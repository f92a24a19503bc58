// Package csvimport reads the CSV files operators import (privileged-number directories,
// a previous vendor's call records): a header row naming the columns, bounded line length and
// row count, and row errors that name the line and column but never echo a value.
package csvimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"parley.dev/parley"
)

// Limits on an import file.
const (
	// MaxRows is the most data rows one import accepts.
	MaxRows = 1_000_000
	// MaxLineBytes is the longest line (or quoted field spanning lines) accepted.
	MaxLineBytes = 4096
)

// RowError is a problem found on one line of an import file. Its text never contains the
// line's values (numbers, names): only the line number, the column and a fixed reason.
type RowError struct {
	Line   int    // 1-based line of the file (the header is line 1)
	Field  string // column name, or "" for the whole row
	Reason string
}

// Error renders "line N: field: reason".
func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

// RowsError summarises row problems in one *parley.Error, naming the first few lines.
func RowsError(op string, problems []RowError, what string) error {
	const show = 20
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad row(s), %s", len(problems), what)
	for i, p := range problems {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(problems)-show)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.Error())
	}
	return parley.Errorf(op, parley.KindInvalid, "%s", b.String())
}

// File reads a CSV import file whose first row names the columns.
type File struct {
	r    *csv.Reader
	cols map[string]int // lower-case column name -> index
}

// Open reads the header and checks it has every required column and no column outside
// required+optional (names are case-insensitive, order is free).
func Open(op string, rd io.Reader, required, optional []string) (*File, error) {
	r := csv.NewReader(&lineLimitReader{r: rd, max: MaxLineBytes})
	r.ReuseRecord = false
	header, err := r.Read()
	if err == io.EOF {
		return nil, parley.Errorf(op, parley.KindInvalid, "file is empty: want a header row")
	}
	if err != nil {
		return nil, csvError(op, err)
	}
	known := map[string]bool{}
	for _, c := range append(append([]string(nil), required...), optional...) {
		known[c] = true
	}
	cols := map[string]int{}
	var unknown []string
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !known[name] {
			unknown = append(unknown, columnLabel(i, h))
			continue
		}
		if _, dup := cols[name]; dup {
			return nil, parley.Errorf(op, parley.KindInvalid, "header: column %s appears twice", name)
		}
		cols[name] = i
	}
	if len(cols) == 0 {
		// Most likely a file without a header: its first row is data, never echo it.
		return nil, parley.Errorf(op, parley.KindInvalid, "line 1 is not a header row: want column names %s",
			strings.Join(sortedKeys(known), ", "))
	}
	if len(unknown) > 0 {
		return nil, parley.Errorf(op, parley.KindInvalid, "header: unknown column(s) %s; allowed: %s",
			strings.Join(unknown, ", "), strings.Join(sortedKeys(known), ", "))
	}
	var missing []string
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, parley.Errorf(op, parley.KindInvalid, "header: missing column(s) %s", strings.Join(missing, ", "))
	}
	r.FieldsPerRecord = len(header)
	return &File{r: r, cols: cols}, nil
}

// next returns the next row and its line number. A row with the wrong number of fields is
// returned with a *RowError (the caller may skip it); any other CSV syntax error is fatal
// because the reader may no longer be in step with the lines. io.EOF at the end.
func (f *File) Next(op string) (rec []string, line int, rowErr *RowError, err error) {
	rec, err = f.r.Read()
	if err == io.EOF {
		return nil, 0, nil, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
		return nil, pe.StartLine, &RowError{Line: pe.StartLine, Reason: "wrong number of fields"}, nil
	}
	if err != nil {
		return nil, 0, nil, csvError(op, err)
	}
	line, _ = f.r.FieldPos(0)
	return rec, line, nil, nil
}

// get returns the trimmed value of a column, or "" if the file has no such column.
func (f *File) Get(rec []string, col string) string {
	i, ok := f.cols[col]
	if !ok {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// csvError turns a reader error into a *parley.Error without quoting file content.
func csvError(op string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &parley.Error{Op: op, Kind: parley.KindInvalid,
			Message: fmt.Sprintf("line %d: malformed CSV (%v)", pe.Line, pe.Err)}
	}
	if errors.Is(err, errLineTooLong) {
		return parley.Errorf(op, parley.KindInvalid, "a line is longer than %d bytes", MaxLineBytes)
	}
	return parley.WrapError(op, parley.KindInvalid, err)
}

var errLineTooLong = errors.New("line too long")

// lineLimitReader fails once a line grows past max bytes, so a file without newlines cannot
// make the CSV reader buffer it whole.
type lineLimitReader struct {
	r   io.Reader
	max int
	cur int
}

func (l *lineLimitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.cur = 0
			continue
		}
		l.cur++
		if l.cur > l.max {
			return i, errLineTooLong
		}
	}
	return n, err
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ValidText reports whether s is at most max bytes of valid UTF-8 without control
// characters.
func ValidText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			return false
		}
	}
	return true
}

// columnLabel names an unknown header cell: by its text if that looks like a column name
// (ASCII letters, '_' and '-', at most 40 bytes), else by position, so that a data row taken
// for a header is never echoed.
func columnLabel(i int, h string) string {
	h = strings.TrimSpace(h)
	ok := h != "" && len(h) <= 40
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == ' ') {
			ok = false
		}
	}
	if ok {
		return fmt.Sprintf("%q", h)
	}
	return fmt.Sprintf("#%d", i+1)
}

// SkippedLines counts the distinct lines among problems.
func SkippedLines(problems []RowError) int {
	lines := map[int]bool{}
	for _, p := range problems {
		lines[p.Line] = true
	}
	return len(lines)
}

// Rows reads every data row of f. Well-formed records go to parse, which returns the row's
// value, or the row's problems, or an error that stops the whole read (a store that cannot
// answer). Problems of every row are collected so the caller can report them all at once.
func Rows[T any](op string, f *File, parse func(rec []string, line int) (T, []RowError, error)) (rows []T, problems []RowError, err error) {
	for count := 0; ; count++ {
		rec, line, rowErr, err := f.Next(op)
		if err == io.EOF {
			return rows, problems, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if count >= MaxRows {
			return nil, nil, parley.Errorf(op, parley.KindInvalid, "more than %d rows", MaxRows)
		}
		if rowErr != nil {
			problems = append(problems, *rowErr)
			continue
		}
		row, bad, err := parse(rec, line)
		if err != nil {
			return nil, nil, err
		}
		if len(bad) > 0 {
			problems = append(problems, bad...)
			continue
		}
		rows = append(rows, row)
	}
}

// Verdict applies the all-or-nothing rule of an import: any problem fails the whole file
// unless skip is set, in which case it returns how many lines are skipped.
func Verdict(op string, problems []RowError, skip bool) (skipped int, err error) {
	if len(problems) == 0 {
		return 0, nil
	}
	if !skip {
		return 0, RowsError(op, problems, "nothing imported")
	}
	return SkippedLines(problems), nil
}
