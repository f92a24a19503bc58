package legacy

import "parley.dev/parley/internal/csvimport"

// RowError is a problem on one line of an import file: line, column and a fixed reason,
// never the line's values.
type RowError = csvimport.RowError

// Limits on an import file.
const (
	MaxRows      = csvimport.MaxRows
	MaxLineBytes = csvimport.MaxLineBytes
)
