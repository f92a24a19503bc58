package fsutil

import (
	"errors"
	"os"
	"syscall"
)

// Lock takes an exclusive advisory lock (flock) on the file at path, creating it with mode
// 0600, and returns its release. It waits for other holders, in this process (through
// another open file) or in others.
func Lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
