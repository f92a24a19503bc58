package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"parley.dev/parley"
)

var testDEK = bytes.Repeat([]byte{0x42}, 32)

const testID = "0123456789abcdef0123456789abcdef"

func seal(t testing.TB, pt []byte, id string, chunkSize int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewStreamWriter(&buf, testDEK, id, chunkSize)
	if err != nil {
		t.Fatal(err)
	}
	// Write in odd pieces to exercise buffering.
	for p := pt; len(p) > 0; {
		k := min(len(p), 777)
		if _, err := w.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Written() != int64(buf.Len()) {
		t.Fatalf("Written = %d, blob is %d", w.Written(), buf.Len())
	}
	return buf.Bytes()
}

func open(blob []byte, id string) ([]byte, error) {
	r, err := NewStreamReader(bytes.NewReader(blob), testDEK, id)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// chunks splits a blob into its header and its length-prefixed chunks.
func chunks(t testing.TB, blob []byte) (header []byte, cs [][]byte) {
	t.Helper()
	header, rest := blob[:HeaderSize], blob[HeaderSize:]
	for len(rest) > 0 {
		n := int(binary.BigEndian.Uint32(rest)) + 4
		cs = append(cs, rest[:n])
		rest = rest[n:]
	}
	return header, cs
}

func join(header []byte, cs ...[]byte) []byte {
	return bytes.Join(append([][]byte{header}, cs...), nil)
}

func TestStreamRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 1023, 1024, 1025, 4096, 10000} {
		pt := make([]byte, size)
		rand.Read(pt)
		blob := seal(t, pt, testID, 1024)
		got, err := open(blob, testID)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("size %d: err %v, equal %v", size, err, bytes.Equal(got, pt))
		}
		_, cs := chunks(t, blob)
		// Chunk 0 carries HeaderSize bytes less, so the header and it fill one chunk's room.
		if want := max(1, (size+HeaderSize+1023)/1024); len(cs) != want {
			t.Fatalf("size %d: %d chunks, want %d", size, len(cs), want)
		}
	}
}

func wantIntegrity(t *testing.T, name string, blob []byte, id string) error {
	t.Helper()
	_, err := open(blob, id)
	if !parley.IsKind(err, parley.KindIntegrity) {
		t.Fatalf("%s: err = %v, want integrity", name, err)
	}
	return err
}

func TestStreamTampering(t *testing.T) {
	pt := make([]byte, 3000)
	rand.Read(pt)
	blob := seal(t, pt, testID, 1024)
	h, cs := chunks(t, blob)
	if len(cs) != 3 {
		t.Fatalf("%d chunks", len(cs))
	}
	for i := range blob {
		bad := bytes.Clone(blob)
		bad[i] ^= 0x01
		wantIntegrity(t, "flipped byte", bad, testID)
	}
	wantIntegrity(t, "dropped chunk", join(h, cs[0], cs[2]), testID)
	wantIntegrity(t, "swapped chunks", join(h, cs[1], cs[0], cs[2]), testID)
	wantIntegrity(t, "duplicated chunk", join(h, cs[0], cs[0], cs[1], cs[2]), testID)
	wantIntegrity(t, "trailing data", append(bytes.Clone(blob), 0), testID)
	wantIntegrity(t, "trailing chunk", join(h, cs[0], cs[1], cs[2], cs[2]), testID)
	wantIntegrity(t, "other recording", blob, "ffffffffffffffffffffffffffffffff")
	for _, cut := range []int{0, 3, HeaderSize, HeaderSize + 2, HeaderSize + 4, HeaderSize + 100, len(blob) - len(cs[2]), len(blob) - 1} {
		err := wantIntegrity(t, "truncated", blob[:cut], testID)
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d: %v does not wrap ErrTruncated", cut, err)
		}
	}
	// Truncation returns every whole chunk before the error.
	r, _ := NewStreamReader(bytes.NewReader(join(h, cs[0], cs[1])), testDEK, testID)
	got, err := io.ReadAll(r)
	if !errors.Is(err, ErrTruncated) || !bytes.Equal(got, pt[:2048-HeaderSize]) {
		t.Fatalf("truncated read: %d bytes, err %v", len(got), err)
	}
	// Absurd lengths are refused before any allocation.
	huge := bytes.Clone(h)
	huge = binary.BigEndian.AppendUint32(huge, 0xFFFFFFFF)
	wantIntegrity(t, "absurd length", huge, testID)
	hugeHeader := append([]byte(Magic), 0xFF, 0xFF, 0xFF, 0xFF)
	wantIntegrity(t, "absurd chunk size", hugeHeader, testID)
	// A header claiming another chunk size fails even for a one-chunk stream.
	small := seal(t, []byte("hi"), testID, 1024)
	binary.BigEndian.PutUint32(small[len(Magic):], 2048)
	wantIntegrity(t, "changed chunk size", small, testID)
}

// TestStreamChunksOnPageBoundaries: with the default chunk size every chunk of a blob,
// chunk 0 with the header before it, takes exactly 64 KiB, so each sync writes whole pages.
func TestStreamChunksOnPageBoundaries(t *testing.T) {
	pt := make([]byte, 3*DefaultChunkSize)
	rand.Read(pt)
	blob := seal(t, pt, testID, 0)
	h, cs := chunks(t, blob)
	if len(cs) != 4 {
		t.Fatalf("%d chunks, want 4", len(cs))
	}
	if got := len(h) + len(cs[0]); got != 64<<10 {
		t.Fatalf("header and chunk 0 take %d bytes, want 64 KiB", got)
	}
	for i, c := range cs[1:3] {
		if len(c) != 64<<10 {
			t.Fatalf("chunk %d takes %d bytes, want 64 KiB", i+1, len(c))
		}
	}
	if got, err := open(blob, testID); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("round trip: %v", err)
	}
}

// TestStreamReadsFormat1: a blob the format 1 writer made (testdata/stream-v1.rec: chunk
// size 512, chunk 0 a whole chunk) still reads, and its magic cannot be changed to format 2
// or back without failing authentication.
func TestStreamReadsFormat1(t *testing.T) {
	blob, err := os.ReadFile(filepath.Join("testdata", "stream-v1.rec"))
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("parley v1 golden "), 100)
	if got, err := open(blob, testID); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("format 1 blob: %d bytes, %v", len(got), err)
	}
	relabelled := bytes.Clone(blob)
	copy(relabelled, Magic)
	wantIntegrity(t, "format 1 relabelled 2", relabelled, testID)
	v2 := seal(t, []byte("short"), testID, 512)
	copy(v2, MagicV1)
	wantIntegrity(t, "format 2 relabelled 1", v2, testID)
}

func TestStreamEmptyAndFullLastChunk(t *testing.T) {
	blob := seal(t, nil, testID, 1024)
	if got, err := open(blob, testID); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q %v", got, err)
	}
	if len(blob) != HeaderSize+4+Overhead {
		t.Fatalf("empty blob is %d bytes", len(blob))
	}
	// Without Close there is no final chunk: truncated.
	var buf bytes.Buffer
	w, _ := NewStreamWriter(&buf, testDEK, testID, 1024)
	w.Write(make([]byte, 5000))
	if _, err := open(buf.Bytes(), testID); !errors.Is(err, ErrTruncated) {
		t.Fatalf("unclosed: %v", err)
	}
}

func TestStreamWriterRejectsBadInput(t *testing.T) {
	if _, err := NewStreamWriter(io.Discard, []byte("short"), testID, 0); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatal(err)
	}
	if _, err := NewStreamWriter(io.Discard, testDEK, testID, MaxChunkSize+1); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatal(err)
	}
	if _, err := NewStreamReader(bytes.NewReader(nil), testDEK, ""); !parley.IsKind(err, parley.KindInvalid) {
		t.Fatal(err)
	}
}

// FuzzChunkReader feeds arbitrary bytes to the stream reader: it must never panic, never
// return unauthenticated plaintext, and fail only with integrity errors.
func FuzzChunkReader(f *testing.F) {
	valid := seal(f, bytes.Repeat([]byte("parley fuzz "), 40), testID, 64)
	f.Add(valid)
	f.Add(seal(f, nil, testID, 64))
	f.Add(valid[:len(valid)/2])
	f.Add([]byte(Magic))
	f.Add(append([]byte(Magic), 0, 0, 0, 64, 0xFF, 0xFF, 0xFF, 0xFF))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewStreamReader(bytes.NewReader(data), testDEK, testID)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		if err == nil {
			// Only a genuine stream authenticates; with a fixed key the fuzzer cannot
			// forge one, so success means the input was (a prefix-free copy of) a seed.
			if n > int64(len(data)) {
				t.Fatalf("read %d bytes of plaintext from %d bytes", n, len(data))
			}
			return
		}
		if !parley.IsKind(err, parley.KindIntegrity) {
			t.Fatalf("err = %v, want integrity", err)
		}
	})
}
