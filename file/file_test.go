package file

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"parley.dev/parley"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readAll returns a function that reads a whole blob, failing t on error.
func readAll(t *testing.T) func(io.ReadCloser, error) []byte {
	return func(rc io.ReadCloser, err error) []byte {
		t.Helper()
		return readBlob(t, rc, err)
	}
}

func readBlob(t *testing.T, rc io.ReadCloser, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBadKeysRefused(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	bad := []string{"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", ".hidden",
		"a/.b", "a\\b", "a/b.partial", "a b", "a\x00b", string(bytes.Repeat([]byte("a"), 600))}
	for _, k := range bad {
		if _, err := s.Create(ctx, k); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("Create(%q) err = %v, want invalid", k, err)
		}
		if _, err := s.Open(ctx, k); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("Open(%q) err = %v, want invalid", k, err)
		}
		if _, err := s.OpenPartial(ctx, k); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("OpenPartial(%q) err = %v, want invalid", k, err)
		}
		if err := s.Delete(ctx, k); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("Delete(%q) err = %v, want invalid", k, err)
		}
	}
}

func TestCommitVisibility(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const key = "recordings/ab/abcdef"
	w, err := s.Create(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello ")); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, key); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("Open before commit: err = %v, want not found", err)
	}
	if got := readAll(t)(s.OpenPartial(ctx, key)); string(got) != "hello " {
		t.Fatalf("partial = %q", got)
	}
	w.Write([]byte("world"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t)(s.Open(ctx, key)); string(got) != "hello world" {
		t.Fatalf("committed = %q", got)
	}
	if _, err := s.OpenPartial(ctx, key); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("partial after commit: err = %v", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after commit succeeded")
	}
	if err := w.Commit(); err == nil {
		t.Fatal("second commit succeeded")
	}
	for _, p := range []string{filepath.Join(s.Dir(), "recordings"), filepath.Join(s.Dir(), "recordings", "ab")} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("dir %s mode %v err %v", p, fi.Mode(), err)
		}
	}
	fi, err := os.Stat(filepath.Join(s.Dir(), "recordings", "ab", "abcdef"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v err %v", fi.Mode(), err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, key); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("Open after delete: err = %v", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

func TestAbortAndDeletePartial(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	w, err := s.Create(ctx, "a/b")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("data"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("second abort: %v", err)
	}
	if _, err := s.OpenPartial(ctx, "a/b"); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("partial after abort: err = %v", err)
	}
	if _, err := s.Open(ctx, "a/b"); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("open after abort: err = %v", err)
	}
	// A crashed writer: never committed nor aborted. Delete removes the partial.
	w, _ = s.Create(ctx, "a/c")
	w.Write([]byte("crash"))
	w.Sync()
	if err := s.Delete(ctx, "a/c"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenPartial(ctx, "a/c"); !parley.IsKind(err, parley.KindNotFound) {
		t.Fatalf("partial after delete: err = %v", err)
	}
}

func TestCreateDiscardsOldPartial(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	w, _ := s.Create(ctx, "k")
	w.Write([]byte("old partial content"))
	w.Sync()
	w2, err := s.Create(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	w2.Write([]byte("new"))
	if err := w2.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t)(s.Open(ctx, "k")); string(got) != "new" {
		t.Fatalf("got %q", got)
	}
}

func TestConcurrentWriters(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("recordings/%02d/obj%d", i%4, i)
			w, err := s.Create(ctx, key)
			if err != nil {
				t.Error(err)
				return
			}
			for range 10 {
				w.Write(bytes.Repeat([]byte{byte(i)}, 1000))
				w.Sync()
			}
			if err := w.Commit(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range 32 {
		got := readAll(t)(s.Open(ctx, fmt.Sprintf("recordings/%02d/obj%d", i%4, i)))
		if !bytes.Equal(got, bytes.Repeat([]byte{byte(i)}, 10000)) {
			t.Fatalf("object %d corrupted", i)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Create(ctx, "k"); err == nil {
		t.Fatal("Create with canceled context succeeded")
	}
}
