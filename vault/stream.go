package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"io"

	"parley.dev/parley"
)

// Stream format constants.
const (
	// Magic opens every recording blob the writer makes (format 2).
	Magic = "PRLYREC2"
	// MagicV1 opened blobs of format 1, which readers still accept. Format 1 gave chunk 0
	// a whole chunk of plaintext, so every chunk on disk sat HeaderSize bytes past a page
	// boundary and each sync rewrote a page the previous one had written.
	MagicV1 = "PRLYREC1"
	// HeaderSize is the size of the stream header: Magic and a big-endian uint32 chunk size.
	HeaderSize = len(Magic) + 4
	// DefaultChunkSize is the plaintext size of every chunk but the first and the last: a
	// sealed chunk (length, nonce, ciphertext, tag) is then exactly 64 KiB, and chunk 0,
	// which carries HeaderSize bytes less, is 64 KiB with the header before it, so every
	// chunk starts and ends on a page boundary.
	DefaultChunkSize = 64<<10 - lenSize - Overhead
	// MaxChunkSize caps the chunk size a writer uses and a reader accepts.
	MaxChunkSize = 4 << 20
	// Overhead is the size a chunk's ciphertext adds to its plaintext: 12-byte nonce and
	// 16-byte GCM tag.
	Overhead   = 12 + 16
	lenSize    = 4
	aadLabelV1 = "parley/rec/v1"
	aadLabel   = "parley/rec/v2"
)

// ErrTruncated is the underlying error (inside a *parley.Error of KindIntegrity) when a
// stream ends before its final chunk: the writer died, or the blob was cut short. Every
// whole authenticated chunk before it has been returned. Test with errors.Is.
var ErrTruncated = errors.New("recording truncated: no final chunk")

func integrity(op, msg string) error {
	return &parley.Error{Op: op, Kind: parley.KindIntegrity, Message: msg}
}

func truncated(op string) error {
	return &parley.Error{Op: op, Kind: parley.KindIntegrity,
		Message: "recording is truncated (ends before its final chunk)", Err: ErrTruncated}
}

// chunkAAD returns the additional data of chunk i: the format's label ("parley/rec/v2",
// or v1 for format 1, so a changed magic does not authenticate), the recording id
// (length-prefixed), the chunk size of the header, the chunk index and the final flag. It
// binds each chunk to its recording, its place and the header, so moved, reordered,
// dropped or cut chunks and a changed header do not authenticate.
func chunkAAD(dst []byte, v2 bool, id string, chunkSize int, i uint64, final bool) []byte {
	label := aadLabelV1
	if v2 {
		label = aadLabel
	}
	dst = append(dst[:0], label...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(id)))
	dst = append(dst, id...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(chunkSize))
	dst = binary.BigEndian.AppendUint64(dst, i)
	if final {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func newGCM(op string, dek []byte) (cipher.AEAD, error) {
	if len(dek) != 32 {
		return nil, parley.Errorf(op, parley.KindInvalid, "data key must be 32 bytes")
	}
	block, err := aes.NewCipher(dek)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	return aead, nil
}

// StreamWriter seals plaintext into the chunked stream format. It buffers up to one chunk
// of plaintext in memory, so clear audio never reaches the underlying writer; each sealed
// chunk (with the header before the first) is passed to the underlying writer in a single
// Write call. Chunk 0 holds HeaderSize bytes less plaintext than the others (see
// DefaultChunkSize). Close writes the final chunk. It is not safe for concurrent use.
type StreamWriter struct {
	w         io.Writer
	aead      cipher.AEAD
	id        string
	chunkSize int
	buf       []byte // pending plaintext, cap chunkSize
	out       []byte // scratch for one sealed chunk
	aad       []byte
	idx       uint64
	header    bool // header written
	n         int64
	err       error
}

// NewStreamWriter returns a writer sealing with the 32-byte dek for recordingID. A
// chunkSize of 0 means DefaultChunkSize.
func NewStreamWriter(w io.Writer, dek []byte, recordingID string, chunkSize int) (*StreamWriter, error) {
	const op = "vault.NewStreamWriter"
	if chunkSize == 0 {
		chunkSize = DefaultChunkSize
	}
	if chunkSize < 1 || chunkSize > MaxChunkSize {
		return nil, parley.Errorf(op, parley.KindInvalid, "chunk size out of range")
	}
	if chunkSize <= HeaderSize {
		return nil, parley.Errorf(op, parley.KindInvalid, "chunk size must exceed the header size")
	}
	if recordingID == "" || len(recordingID) > 255 {
		return nil, parley.Errorf(op, parley.KindInvalid, "invalid recording id")
	}
	aead, err := newGCM(op, dek)
	if err != nil {
		return nil, err
	}
	return &StreamWriter{w: w, aead: aead, id: recordingID, chunkSize: chunkSize,
		buf: make([]byte, 0, chunkSize)}, nil
}

// Write buffers p, sealing and writing every full chunk.
func (s *StreamWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for len(p) > 0 {
		size := chunkPlain(s.chunkSize, s.idx, true)
		k := min(len(p), size-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
		n += k
		if len(s.buf) == size && len(p) > 0 {
			// Seal a full chunk only once more data follows: the last chunk must carry the
			// final flag, and it may be full.
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// chunkPlain is the plaintext size of chunk i (every chunk but the last) in a stream of
// chunkSize: chunk 0 of format 2 is HeaderSize bytes shorter, so the header and chunk 0
// together take as much room as any other chunk.
func chunkPlain(chunkSize int, i uint64, v2 bool) int {
	if i == 0 && v2 {
		return chunkSize - HeaderSize
	}
	return chunkSize
}

// flush seals the buffered plaintext as chunk s.idx and writes it.
func (s *StreamWriter) flush(final bool) error {
	s.out = s.out[:0]
	if !s.header {
		s.out = append(s.out, Magic...)
		s.out = binary.BigEndian.AppendUint32(s.out, uint32(s.chunkSize))
	}
	s.out = binary.BigEndian.AppendUint32(s.out, uint32(len(s.buf)+Overhead))
	s.aad = chunkAAD(s.aad, true, s.id, s.chunkSize, s.idx, final)
	s.out = s.aead.Seal(s.out, nil, s.buf, s.aad)
	clear(s.buf)
	s.buf = s.buf[:0]
	m, err := s.w.Write(s.out)
	s.n += int64(m)
	if err == nil && m != len(s.out) {
		err = io.ErrShortWrite
	}
	if err != nil {
		s.err = parley.WrapError("vault.StreamWriter", parley.KindUnavailable, err)
		return s.err
	}
	s.header = true
	s.idx++
	return nil
}

// Close seals and writes the final chunk (an empty recording is one empty final chunk).
// It does not close the underlying writer.
func (s *StreamWriter) Close() error {
	if s.err != nil {
		return s.err
	}
	if err := s.flush(true); err != nil {
		return err
	}
	s.err = parley.Errorf("vault.StreamWriter", parley.KindInvalid, "stream writer closed")
	return nil
}

// Written returns the number of ciphertext bytes written so far.
func (s *StreamWriter) Written() int64 { return s.n }

// StreamReader opens a stream written by StreamWriter. Every chunk is authenticated before
// any of its plaintext is returned. A flipped byte, a dropped, reordered or moved chunk, a
// changed header, trailing data or an absurd length fail with KindIntegrity; a stream that
// ends before its final chunk returns every whole chunk and then a KindIntegrity error
// wrapping ErrTruncated. It never allocates more than one chunk (at most MaxChunkSize plus
// Overhead) whatever the input says.
type StreamReader struct {
	r         io.Reader
	aead      cipher.AEAD
	id        string
	chunkSize int // 0 until the header is read
	v2        bool
	ct        []byte
	pt        []byte // plaintext not yet returned
	ptBuf     []byte
	aad       []byte
	idx       uint64
	final     bool
	err       error
}

// NewStreamReader returns a reader opening r with the 32-byte dek for recordingID. It reads
// nothing until the first Read.
func NewStreamReader(r io.Reader, dek []byte, recordingID string) (*StreamReader, error) {
	const op = "vault.NewStreamReader"
	if recordingID == "" || len(recordingID) > 255 {
		return nil, parley.Errorf(op, parley.KindInvalid, "invalid recording id")
	}
	aead, err := newGCM(op, dek)
	if err != nil {
		return nil, err
	}
	return &StreamReader{r: r, aead: aead, id: recordingID}, nil
}

// Read returns authenticated plaintext.
func (s *StreamReader) Read(p []byte) (int, error) {
	for len(s.pt) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		s.err = s.next()
	}
	n := copy(p, s.pt)
	s.pt = s.pt[n:]
	return n, nil
}

// next reads, authenticates and decrypts the next chunk into s.pt, or returns the error
// (io.EOF after the final chunk) that ends the stream.
func (s *StreamReader) next() error {
	const op = "vault.StreamReader"
	if s.final {
		var one [1]byte
		n, err := io.ReadFull(s.r, one[:])
		if n > 0 {
			return integrity(op, "trailing data after the final chunk")
		}
		if err != nil && err != io.EOF {
			return parley.WrapError(op, parley.KindUnavailable, err)
		}
		return io.EOF
	}
	if s.chunkSize == 0 {
		var h [HeaderSize]byte
		if _, err := io.ReadFull(s.r, h[:]); err != nil {
			return s.readErr(op, err)
		}
		switch string(h[:len(Magic)]) {
		case Magic:
			s.v2 = true
		case MagicV1:
		default:
			return integrity(op, "not a recording stream (bad magic)")
		}
		cs := binary.BigEndian.Uint32(h[len(Magic):])
		if cs < 1 || cs > MaxChunkSize || (s.v2 && int(cs) <= HeaderSize) {
			return integrity(op, "chunk size in header out of range")
		}
		s.chunkSize = int(cs)
	}
	var lb [lenSize]byte
	if _, err := io.ReadFull(s.r, lb[:]); err != nil {
		return s.readErr(op, err)
	}
	n := binary.BigEndian.Uint32(lb[:])
	size := chunkPlain(s.chunkSize, s.idx, s.v2)
	if n < Overhead || n > uint32(size+Overhead) {
		return integrity(op, "chunk length out of range")
	}
	if cap(s.ct) < int(n) {
		s.ct = make([]byte, int(n))
	}
	s.ct = s.ct[:n]
	if _, err := io.ReadFull(s.r, s.ct); err != nil {
		return s.readErr(op, err)
	}
	if cap(s.ptBuf) < int(n)-Overhead {
		s.ptBuf = make([]byte, 0, int(n)-Overhead)
	}
	dst := s.ptBuf[:0]
	s.aad = chunkAAD(s.aad, s.v2, s.id, s.chunkSize, s.idx, false)
	pt, err := s.aead.Open(dst, nil, s.ct, s.aad)
	if err != nil {
		s.aad = chunkAAD(s.aad, s.v2, s.id, s.chunkSize, s.idx, true)
		pt, err = s.aead.Open(dst, nil, s.ct, s.aad)
		if err != nil {
			return integrity(op, "chunk does not authenticate (tampered, reordered, or from another recording)")
		}
		s.final = true
	} else if len(pt) != size {
		return integrity(op, "short chunk before the final chunk")
	}
	s.idx++
	s.pt = pt
	if len(pt) == 0 && s.final {
		// An empty final chunk: go straight to the trailing-data check.
		return s.next()
	}
	return nil
}

// readErr maps a read failure: EOF (clean or inside a chunk) means truncation.
func (s *StreamReader) readErr(op string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return truncated(op)
	}
	return parley.WrapError(op, parley.KindUnavailable, err)
}
