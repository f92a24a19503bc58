// Package fsutil holds the small file-system steps that durable writes need, shared by the
// key directory, the blob store and the audit witness files.
package fsutil

import "os"

// SyncDir fsyncs a directory so renames and removals in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
