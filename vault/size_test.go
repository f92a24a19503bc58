package vault

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestPlainSize: for every length around the chunk boundaries (empty, one byte, a full
// first chunk, one more, several chunks, a full last chunk) the plaintext size computed
// from the sealed stream's size and chunk size is the length that was sealed.
func TestPlainSize(t *testing.T) {
	for _, cs := range []int{HeaderSize + 1, 100, 4096} {
		first := cs - HeaderSize
		for _, n := range []int{0, 1, first - 1, first, first + 1, first + cs, first + cs + 1, first + 3*cs, first + 3*cs - 1, 5*cs + 7} {
			blob := seal(t, bytes.Repeat([]byte{7}, n), testID, cs)
			got, ok := plainSize(int64(len(blob)), cs, true)
			if !ok || got != int64(n) {
				t.Fatalf("chunk size %d, %d bytes: plainSize = %d %v", cs, n, got, ok)
			}
			if got := peekSize(bufio.NewReader(bytes.NewReader(blob)), int64(len(blob))); got != int64(n) {
				t.Fatalf("chunk size %d, %d bytes: peekSize = %d", cs, n, got)
			}
		}
	}
	// Format 1: chunk 0 is a whole chunk.
	blob, err := os.ReadFile(filepath.Join("testdata", "stream-v1.rec"))
	if err != nil {
		t.Fatal(err)
	}
	if got := peekSize(bufio.NewReader(bytes.NewReader(blob)), int64(len(blob))); got != 1700 {
		t.Fatalf("format 1 blob: peekSize = %d, want 1700", got)
	}
}

// TestPlainSizeRefusesWhatCannotBe: sizes no stream has, and a bad header, give no size.
func TestPlainSizeRefusesWhatCannotBe(t *testing.T) {
	if _, ok := plainSize(int64(HeaderSize+lenSize+Overhead-1), 100, true); ok {
		t.Fatal("a stream shorter than one empty chunk has a size")
	}
	if _, ok := plainSize(1000, 0, true); ok {
		t.Fatal("chunk size 0 has a size")
	}
	junk := bytes.Repeat([]byte("x"), 200)
	if got := peekSize(bufio.NewReader(bytes.NewReader(junk)), 200); got != -1 {
		t.Fatalf("bad magic: %d", got)
	}
	if got := peekSize(bufio.NewReader(bytes.NewReader([]byte(Magic))), 200); got != -1 {
		t.Fatalf("short header: %d", got)
	}
}

// TestOpenKnowsSize: a complete recording opened from the vault reports its plaintext
// length before any byte is read, and that is what it reads.
func TestOpenKnowsSize(t *testing.T) {
	e := newEnv(t, 512)
	audio := bytes.Repeat([]byte("audio "), 40000)
	id := record(t, e, audio)
	rc, _, err := e.v.Open(context.Background(), id, access)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	n, ok := Size(rc)
	if !ok || n != int64(len(audio)) {
		t.Fatalf("Size = %d %v, want %d", n, ok, len(audio))
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, audio) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if _, ok := Size(bytes.NewReader(nil)); ok {
		t.Fatal("a plain reader has a size")
	}
}
