package vault

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"
)

// slowBlob is a BlobWriter whose Sync waits for a token on release, and fails once failSync
// is set.
type slowBlob struct {
	release  chan struct{}
	syncing  chan struct{} // if set, gets a value each time Sync starts waiting
	mu       sync.Mutex
	data     bytes.Buffer
	syncs    int
	failSync error
}

func (b *slowBlob) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.data.Write(p)
}

func (b *slowBlob) Sync() error {
	if b.syncing != nil {
		b.syncing <- struct{}{}
	}
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	b.syncs++
	return b.failSync
}

func (b *slowBlob) Commit() error { return nil }
func (b *slowBlob) Abort() error  { return nil }

func (b *slowBlob) state() (string, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.data.String(), b.syncs
}

// writeSoon runs f.Write(p) and reports whether it returned within d.
func writeSoon(f *flusher, p string, d time.Duration) (returned bool, err error) {
	done := make(chan error, 1)
	go func() { _, err := f.Write([]byte(p)); done <- err }()
	select {
	case err := <-done:
		return true, err
	case <-time.After(d):
		return false, nil
	}
}

func TestFlusherDoesNotWaitOnTheDisk(t *testing.T) {
	blob := &slowBlob{release: make(chan struct{})}
	f := newFlusher(blob, &chunkPool{})
	// The disk is stuck in Sync of chunk a; b waits in the queue; both Writes return.
	for _, p := range []string{"a", "b"} {
		if ok, err := writeSoon(f, p, 5*time.Second); !ok || err != nil {
			t.Fatalf("Write(%q) with the disk busy: returned %v, %v", p, ok, err)
		}
	}
	// A third chunk has no room: the writer now waits for the disk.
	done := make(chan error, 1)
	go func() { _, err := f.Write([]byte("c")); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("Write(c) returned (%v) with %d chunks already waiting", err, flushDepth+1)
	case <-time.After(50 * time.Millisecond):
	}
	close(blob.release) // the disk catches up
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := f.finish(); err != nil {
		t.Fatal(err)
	}
	if data, syncs := blob.state(); data != "abc" || syncs != 3 {
		t.Fatalf("blob = %q with %d syncs, want abc synced after each chunk", data, syncs)
	}
}

func TestFlusherReportsWriteErrors(t *testing.T) {
	errDisk := errors.New("disk full")
	blob := &slowBlob{release: make(chan struct{}), failSync: errDisk}
	close(blob.release)
	f := newFlusher(blob, &chunkPool{})
	if _, err := f.Write([]byte("a")); err != nil {
		t.Fatalf("first Write: %v (the error is not known yet)", err)
	}
	f.idle()
	if _, err := f.Write([]byte("b")); !errors.Is(err, errDisk) {
		t.Fatalf("Write after a failed sync: %v, want %v", err, errDisk)
	}
	if err := f.finish(); !errors.Is(err, errDisk) {
		t.Fatalf("finish: %v, want %v", err, errDisk)
	}
	if data, _ := blob.state(); data != "a" {
		t.Fatalf("blob = %q, want nothing written after the failure", data)
	}
}

func TestFlusherDiscardDropsQueuedChunks(t *testing.T) {
	blob := &slowBlob{release: make(chan struct{}), syncing: make(chan struct{}, 1)}
	f := newFlusher(blob, &chunkPool{})
	for _, p := range []string{"a", "b"} {
		if ok, err := writeSoon(f, p, 5*time.Second); !ok || err != nil {
			t.Fatalf("Write(%q): %v, %v", p, ok, err)
		}
	}
	<-blob.syncing // a is written and being synced; b waits in the queue
	go func() { time.Sleep(20 * time.Millisecond); close(blob.release) }()
	f.discard() // returns once the goroutine has ended
	if data, _ := blob.state(); data != "a" {
		t.Fatalf("blob = %q, want only the chunk already being written", data)
	}
}
