//go:build !unix

package main

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked")

// lockFile is a no-op where flock does not exist: one serve per data directory is then
// the operator's to ensure.
func lockFile(*os.File) error { return nil }
