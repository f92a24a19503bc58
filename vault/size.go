package vault

import (
	"bufio"
	"encoding/binary"
	"io"
)

// plainSize returns the plaintext size of a complete stream of cipherSize bytes whose header
// says chunkSize (format 2 when v2): the chunk layout is fixed by the chunk size, every chunk
// but the last is full and the last carries 0 to a full chunk, so the count of chunks and
// with it the plaintext follow from the ciphertext size alone. ok is false when no stream of
// that chunk size has that size.
func plainSize(cipherSize int64, chunkSize int, v2 bool) (int64, bool) {
	const per = int64(lenSize + Overhead)
	rest := cipherSize - int64(HeaderSize)
	if chunkSize < 1 || rest < per {
		return 0, false
	}
	first := per + int64(chunkPlain(chunkSize, 0, v2))
	chunks := int64(1)
	if rest > first {
		full := per + int64(chunkSize)
		chunks += (rest - first + full - 1) / full
	}
	plain := rest - chunks*per
	return plain, plain >= 0
}

// sizedReader is the reader Open returns: it knows the plaintext length of a complete
// recording before the first byte is read.
type sizedReader struct {
	*readCloser
	size int64 // -1: not known
}

// PlainSize reports the number of bytes the reader returns in all, when it is known (a
// complete recording whose stored size matches its chunk layout).
func (r *sizedReader) PlainSize() (int64, bool) { return r.size, r.size >= 0 }

// Size returns the plaintext length of a reader returned by Open, if it is known before
// reading: a complete recording's length follows from its stored ciphertext size and the
// chunk size of its header. Players need it for a WAV header with exact sizes.
func Size(r io.Reader) (int64, bool) {
	if s, ok := r.(interface{ PlainSize() (int64, bool) }); ok {
		return s.PlainSize()
	}
	return 0, false
}

// peekSize reads the stream header of blob without consuming it and returns the plaintext
// size of a complete stream of cipherSize bytes, or -1.
func peekSize(blob *bufio.Reader, cipherSize int64) int64 {
	h, err := blob.Peek(HeaderSize)
	if err != nil {
		return -1
	}
	v2 := string(h[:len(Magic)]) == Magic
	if !v2 && string(h[:len(MagicV1)]) != MagicV1 {
		return -1
	}
	cs := binary.BigEndian.Uint32(h[len(Magic):])
	if cs < 1 || cs > MaxChunkSize {
		return -1
	}
	n, ok := plainSize(cipherSize, int(cs), v2)
	if !ok {
		return -1
	}
	return n
}
