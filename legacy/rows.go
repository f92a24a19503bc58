package legacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/internal/csvimport"
	"parley.dev/parley/phone"
)

// Columns of the CDR file; all are required (values of inmate_id, inmate_name and
// recording_file may be empty).
var columns = []string{"facility_id", "inmate_id", "inmate_name", "called_number", "started_at", "duration_seconds", "recording_file"}

// MaxDuration is the longest call duration accepted, in seconds.
const MaxDuration = 86400

const maxInmateName = 200

// callRow is a validated row: the call record to create (without ID) and its recording.
type callRow struct {
	line int
	call parley.CallRecord
	file string // relative to the recordings directory, "" if none
}

// parse reads and validates every row. Row problems are returned in problems; err is set
// for a file that cannot be read as a whole or a store that cannot answer.
func (im *Importer) parse(ctx context.Context, op string, rd io.Reader, root *os.Root) (rows []callRow, problems []RowError, err error) {
	f, err := csvimport.Open(op, rd, columns, nil)
	if err != nil {
		return nil, nil, err
	}
	facilities := map[string]bool{} // id -> exists
	seen := map[string]int{}        // import key -> first line
	return csvimport.Rows(op, f, func(rec []string, line int) (callRow, []RowError, error) {
		row, bad := im.parseRow(f, rec, line, root)
		if fid := row.call.FacilityID; fid != "" {
			exists, known := facilities[fid]
			if !known {
				_, ferr := im.Store.FindFacility(ctx, fid)
				if ferr != nil && !parley.IsKind(ferr, parley.KindNotFound) {
					return row, nil, parley.WrapError(op, parley.KindUnavailable, ferr)
				}
				exists = ferr == nil
				facilities[fid] = exists
			}
			if !exists {
				bad = append(bad, RowError{Line: line, Field: "facility_id", Reason: "unknown facility"})
			}
		}
		if len(bad) == 0 {
			if first, dup := seen[row.call.ImportKey]; dup {
				bad = append(bad, RowError{Line: line, Reason: "duplicate of line " + strconv.Itoa(first)})
			} else {
				seen[row.call.ImportKey] = line
			}
		}
		return row, bad, nil
	})
}

// maxClockSkew is how far past now a call's start may be (clocks differ).
const maxClockSkew = 5 * time.Minute

// parseRow validates the fields of one row (all but the facility's existence). The
// returned row's FacilityID is set only if it is a valid id.
func (im *Importer) parseRow(f *csvimport.File, rec []string, line int, root *os.Root) (callRow, []RowError) {
	var bad []RowError
	fail := func(field, reason string) { bad = append(bad, RowError{Line: line, Field: field, Reason: reason}) }
	row := callRow{line: line, call: parley.CallRecord{
		Status: parley.CallImported, Source: "import", Recording: parley.RecordingNone,
	}}
	c := &row.call

	if id := f.Get(rec, "facility_id"); parley.ValidateID(id) != nil {
		fail("facility_id", "must be 1 to 64 letters, digits, '-', '_' or '.'")
	} else {
		c.FacilityID = id
	}
	if c.InmateID = f.Get(rec, "inmate_id"); c.InmateID != "" && parley.ValidateID(c.InmateID) != nil {
		fail("inmate_id", "must be empty or 1 to 64 letters, digits, '-', '_' or '.'")
	}
	if c.InmateName = f.Get(rec, "inmate_name"); !csvimport.ValidText(c.InmateName, maxInmateName) {
		fail("inmate_name", "at most 200 characters, no control characters")
	}
	n, err := phone.Normalize(f.Get(rec, "called_number"), im.DefaultRegion)
	if err != nil {
		fail("called_number", "not a valid phone number")
	}
	c.Number = n
	started, err := time.Parse(time.RFC3339, f.Get(rec, "started_at"))
	switch {
	case err != nil:
		fail("started_at", "not an RFC 3339 time (2014-03-01T14:05:00Z)")
	case started.After(time.Now().Add(maxClockSkew)):
		// A call from the future is a vendor's clock or time-zone error; stored, it would
		// also be filed for retention under a day that has not come.
		fail("started_at", "is in the future")
	}
	c.StartedAt = started.UTC()
	secs, err := strconv.Atoi(f.Get(rec, "duration_seconds"))
	if err != nil || secs < 0 || secs > MaxDuration {
		fail("duration_seconds", "must be a whole number from 0 to 86400")
	}
	c.Duration = time.Duration(secs) * time.Second
	if row.file = f.Get(rec, "recording_file"); row.file != "" {
		if reason := checkAudio(root, row.file); reason != "" {
			fail("recording_file", reason)
		}
	}
	c.ImportKey = importKey(c)
	return row, bad
}

// importKey identifies a vendor's call across imports: hex SHA-256 of facility, inmate,
// number, start and duration.
func importKey(c *parley.CallRecord) string {
	h := sha256.New()
	for _, s := range []string{"parley/legacy/v1", c.FacilityID, c.InmateID, string(c.Number),
		c.StartedAt.UTC().Format(time.RFC3339Nano), strconv.FormatInt(int64(c.Duration/time.Second), 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkAudio returns why the recording file cannot be imported, or "".
func checkAudio(root *os.Root, rel string) string {
	f, err := openAudio(root, rel)
	if err != nil {
		var pe *parley.Error
		if errors.As(err, &pe) {
			return pe.Message
		}
		return "not readable"
	}
	f.Close()
	return ""
}

// openAudio opens a recording inside root, checks it is a regular WAV file and returns it
// positioned at its start. Paths that are absolute, contain "..", or resolve (through
// symlinks) outside root are refused. Errors are *parley.Error whose Message is a fixed
// reason safe to show on a row.
func openAudio(root *os.Root, rel string) (*os.File, error) {
	const op = "import.calls"
	fail := func(reason string) (*os.File, error) { return nil, parley.Errorf(op, parley.KindInvalid, "%s", reason) }
	if root == nil {
		return fail("no recordings directory given")
	}
	if strings.Contains(rel, `\`) || !filepath.IsLocal(rel) {
		return fail("must be a relative path inside the recordings directory")
	}
	rel = filepath.FromSlash(rel)
	fi, err := root.Stat(rel) // before Open, so a FIFO or device is never opened
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail("no such file")
	case err != nil:
		return fail("not inside the recordings directory or not readable")
	case !fi.Mode().IsRegular():
		return fail("not a regular file")
	}
	f, err := root.Open(rel)
	if err != nil {
		return fail("not inside the recordings directory or not readable")
	}
	var hdr [12]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		f.Close()
		return fail("not a WAV file")
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return fail("not a regular file")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return fail("not readable")
	}
	return f, nil
}
