package privilege

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/internal/csvimport"
	"parley.dev/parley/phone"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// SkipBadRows imports the good rows and reports the bad ones in ImportResult.Problems.
	// Without it a single bad row rejects the whole file and nothing is registered.
	SkipBadRows bool
}

// ImportResult counts what an import did.
type ImportResult struct {
	Added             int // new entries registered
	AlreadyRegistered int // rows whose number was in the registry already (swept again)
	Skipped           int // bad rows skipped (SkipBadRows)
	Destroyed         int // recordings destroyed by the retroactive sweeps
	Problems          []RowError
}

// Import columns. Header names are case-insensitive and may come in any order.
var (
	importRequired = []string{"number", "kind"}
	importOptional = []string{"name", "bar_number"}
)

type importRow struct {
	line int
	p    parley.PrivilegedNumber
}

// Import registers the numbers of a CSV directory file. The first row is a header naming
// the columns: number and kind are required, name and bar_number optional; any other column
// is an error. defaultRegion applies to numbers written without a country code.
//
// Every row is validated before anything is registered. A bad row, or a number that appears
// twice in the file, is reported as "line N: column: reason" (never with its values); with
// opts.SkipBadRows such rows are skipped and counted, otherwise the import fails with
// KindInvalid and registers nothing. A malformed CSV structure (an unterminated quote, a
// line over MaxLineBytes, more than MaxRows rows) always fails the whole import.
//
// Each good row is then registered as by Register (audited "privileged.add", with its
// retroactive sweep). A number already registered counts as AlreadyRegistered and is swept
// again. A summary "privileged.import" event is audited at the end, also when a runtime
// failure stops the import part way; re-running the same file after such a failure is safe.
func (r *Registry) Import(ctx context.Context, rd io.Reader, source parley.PrivilegeSource, defaultRegion string, opts ImportOptions) (ImportResult, error) {
	const op = "privilege.Import"
	var res ImportResult
	if !source.Valid() {
		return res, parley.Errorf(op, parley.KindInvalid, "unknown source")
	}
	rows, problems, err := parseImport(op, rd, source, defaultRegion)
	if err != nil {
		return res, err
	}
	res.Problems = problems
	if res.Skipped, err = csvimport.Verdict(op, problems, opts.SkipBadRows); err != nil {
		return res, err
	}

	var runErr error
	for _, row := range rows {
		if err := ctx.Err(); err != nil {
			runErr = parley.WrapError(op, parley.KindUnavailable, err)
			break
		}
		n, err := r.Register(ctx, &row.p)
		res.Destroyed += n
		switch {
		case err == nil:
			res.Added++
		case parley.IsKind(err, parley.KindConflict):
			res.AlreadyRegistered++
		default:
			runErr = &parley.Error{Op: op, Kind: parley.ErrorKind(err),
				Message: fmt.Sprintf("line %d: registration failed; re-run the import to resume", row.line), Err: err}
		}
		if runErr != nil {
			break
		}
	}
	outcome := parley.OutcomeOK
	if runErr != nil {
		outcome = parley.OutcomeError
	}
	detail := fmt.Sprintf("source=%s rows=%d added=%d already=%d skipped=%d destroyed=%d",
		source, len(rows)+res.Skipped, res.Added, res.AlreadyRegistered, res.Skipped, res.Destroyed)
	aerr := r.auditor.Audit(ctx, parley.AuditEvent{
		Time: time.Now().UTC(), Actor: parley.ActorFromContext(ctx), Action: "privileged.import",
		Outcome: outcome, Detail: detail,
	})
	r.logger.InfoContext(ctx, "privileged directory imported", "source", string(source),
		"added", res.Added, "already_registered", res.AlreadyRegistered, "skipped", res.Skipped,
		"destroyed", res.Destroyed, "failed", runErr != nil)
	if runErr != nil {
		return res, runErr
	}
	if aerr != nil {
		return res, parley.WrapError(op, parley.KindUnavailable, aerr)
	}
	return res, nil
}

// parseImport reads and validates every row. Row problems are returned in problems; err is
// set only for a file that cannot be read as a whole.
func parseImport(op string, rd io.Reader, source parley.PrivilegeSource, region string) (rows []importRow, problems []RowError, err error) {
	f, err := csvimport.Open(op, rd, importRequired, importOptional)
	if err != nil {
		return nil, nil, err
	}
	seen := map[parley.Number]int{} // number -> first line
	return csvimport.Rows(op, f, func(rec []string, line int) (importRow, []RowError, error) {
		p, bad := parseRow(f, rec, line, source, region)
		if len(bad) == 0 {
			if first, dup := seen[p.Number]; dup {
				bad = append(bad, RowError{Line: line, Field: "number", Reason: fmt.Sprintf("duplicate of line %d", first)})
			} else {
				seen[p.Number] = line
			}
		}
		return importRow{line: line, p: p}, bad, nil
	})
}

// parseRow validates one row, reporting every bad field.
func parseRow(f *csvimport.File, rec []string, line int, source parley.PrivilegeSource, region string) (parley.PrivilegedNumber, []RowError) {
	var bad []RowError
	p := parley.PrivilegedNumber{Source: source}
	n, err := phone.Normalize(f.Get(rec, "number"), region)
	if err != nil {
		bad = append(bad, RowError{Line: line, Field: "number", Reason: "not a valid phone number"})
	}
	p.Number = n
	p.Kind = parley.PrivilegeKind(strings.ToLower(f.Get(rec, "kind")))
	if !p.Kind.Valid() {
		bad = append(bad, RowError{Line: line, Field: "kind", Reason: "must be one of " + kindList})
	}
	if p.Name = f.Get(rec, "name"); !csvimport.ValidText(p.Name, maxName) {
		bad = append(bad, RowError{Line: line, Field: "name", Reason: fmt.Sprintf("at most %d characters, no control characters", maxName)})
	}
	if p.BarNumber = f.Get(rec, "bar_number"); !csvimport.ValidText(p.BarNumber, maxBarNumber) {
		bad = append(bad, RowError{Line: line, Field: "bar_number", Reason: fmt.Sprintf("at most %d characters, no control characters", maxBarNumber)})
	}
	return p, bad
}

var kindList = strings.Join([]string{
	string(parley.PrivilegeAttorney), string(parley.PrivilegePublicDefender), string(parley.PrivilegeCourt),
	string(parley.PrivilegeConsulate), string(parley.PrivilegeClergy), string(parley.PrivilegeMedical),
	string(parley.PrivilegeOther),
}, ", ")
