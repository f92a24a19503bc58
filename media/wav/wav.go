// Package wav writes and reads RIFF WAVE headers for telephone audio: 16-bit PCM, μ-law
// (format 7) and A-law (format 6), any number of channels.
//
// # Streaming
//
// A recording is written as a stream whose length is unknown until the call ends, to a
// writer that cannot seek (parley's vault seals it chunk by chunk). The header written first
// therefore carries the data-size-unknown convention: the RIFF size, the data chunk size and
// the fact chunk's sample count are 0xFFFFFFFF (UnknownSize). ffmpeg, sox and most players
// read such a file to its end. Header.Bytes with the final DataSize gives a header of exactly
// the same length, so a player that insists on exact sizes can be served the final header in
// place of the first bytes on export (WithSize, Complete). Read accepts both.
package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"parley.dev/parley"
	"parley.dev/parley/media/g711"
)

// UnknownSize marks a size not known when the header was written.
const UnknownSize = 0xFFFFFFFF

// Format is a WAVE format tag.
type Format uint16

// Format tags.
const (
	PCM16 Format = 1 // WAVE_FORMAT_PCM, 16 bits per sample
	ALaw  Format = 6 // WAVE_FORMAT_ALAW, 8 bits per sample
	MuLaw Format = 7 // WAVE_FORMAT_MULAW, 8 bits per sample
)

// Header describes a WAVE file.
type Header struct {
	Format     Format
	Channels   int
	SampleRate int
	DataSize   uint32 // bytes of audio data; UnknownSize while streaming
}

// BytesPerSample returns 2 for PCM16, 1 for the G.711 formats.
func (h Header) BytesPerSample() int {
	if h.Format == PCM16 {
		return 2
	}
	return 1
}

// BlockAlign returns the bytes of one sample frame (all channels).
func (h Header) BlockAlign() int { return h.Channels * h.BytesPerSample() }

// Bytes returns the encoded header, up to and including the data chunk's header. Its length
// depends only on the format: 44 bytes for PCM16, 58 for μ-law and A-law (18-byte fmt chunk
// and a fact chunk, as the WAVE specification requires for non-PCM formats).
func (h Header) Bytes() []byte {
	nonPCM := h.Format != PCM16
	fmtLen := uint32(16)
	if nonPCM {
		fmtLen = 18
	}
	riff := uint32(UnknownSize)
	if h.DataSize != UnknownSize {
		total := uint64(4+8+fmtLen+8) + uint64(h.DataSize) + uint64(h.DataSize&1)
		if nonPCM {
			total += 12
		}
		riff = uint32(min(total, UnknownSize-1))
	}
	b := make([]byte, 0, 58)
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, riff)
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, fmtLen)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.Format))
	b = binary.LittleEndian.AppendUint16(b, uint16(h.Channels))
	b = binary.LittleEndian.AppendUint32(b, uint32(h.SampleRate))
	b = binary.LittleEndian.AppendUint32(b, uint32(h.SampleRate*h.BlockAlign()))
	b = binary.LittleEndian.AppendUint16(b, uint16(h.BlockAlign()))
	b = binary.LittleEndian.AppendUint16(b, uint16(8*h.BytesPerSample()))
	if nonPCM {
		b = binary.LittleEndian.AppendUint16(b, 0) // cbSize
		b = append(b, "fact"...)
		b = binary.LittleEndian.AppendUint32(b, 4)
		frames := uint32(UnknownSize)
		if h.DataSize != UnknownSize {
			frames = h.DataSize / uint32(h.BlockAlign())
		}
		b = binary.LittleEndian.AppendUint32(b, frames)
	}
	b = append(b, "data"...)
	return binary.LittleEndian.AppendUint32(b, h.DataSize)
}

// Read parses a WAVE header from r and returns it with a reader of the audio data. A data
// size of UnknownSize (or one running past the end) reads to the end of r. Unknown chunks
// before the data are skipped.
func Read(r io.Reader) (Header, io.Reader, error) {
	const op = "wav.Read"
	bad := func(msg string) error { return parley.Errorf(op, parley.KindInvalid, "%s", msg) }
	var h Header
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return h, nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	if string(hdr[:4]) != "RIFF" || string(hdr[8:]) != "WAVE" {
		return h, nil, bad("not a RIFF WAVE stream")
	}
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return h, nil, parley.WrapError(op, parley.KindInvalid, err)
		}
		size := binary.LittleEndian.Uint32(ch[4:])
		switch string(ch[:4]) {
		case "fmt ":
			if size < 16 || size > 1024 {
				return h, nil, bad("bad fmt chunk")
			}
			f := make([]byte, size+size&1)
			if _, err := io.ReadFull(r, f); err != nil {
				return h, nil, parley.WrapError(op, parley.KindInvalid, err)
			}
			h.Format = Format(binary.LittleEndian.Uint16(f))
			h.Channels = int(binary.LittleEndian.Uint16(f[2:]))
			h.SampleRate = int(binary.LittleEndian.Uint32(f[4:]))
			bits := binary.LittleEndian.Uint16(f[14:])
			if h.Format != PCM16 && h.Format != MuLaw && h.Format != ALaw || h.Channels == 0 ||
				int(bits) != 8*h.BytesPerSample() {
				return h, nil, bad("unsupported format")
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return h, nil, bad("data before fmt")
			}
			h.DataSize = size
			if size == UnknownSize {
				return h, r, nil
			}
			return h, io.LimitReader(r, int64(size)), nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size)+int64(size&1)); err != nil {
				return h, nil, parley.WrapError(op, parley.KindInvalid, err)
			}
		}
	}
}

// ReadAll reads a whole WAVE stream and returns its header and its samples, decoded to
// linear PCM and interleaved by channel. A trailing partial frame is dropped.
func ReadAll(r io.Reader) (Header, []int16, error) {
	h, data, err := Read(r)
	if err != nil {
		return h, nil, err
	}
	raw, err := io.ReadAll(data)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return h, nil, parley.WrapError("wav.ReadAll", parley.KindInvalid, err)
	}
	raw = raw[:len(raw)-len(raw)%h.BlockAlign()]
	out := make([]int16, len(raw)/h.BytesPerSample())
	switch h.Format {
	case PCM16:
		for i := range out {
			out[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case MuLaw:
		g711.UlawDecode(out, raw)
	case ALaw:
		g711.AlawDecode(out, raw)
	}
	return h, out, nil
}

// maxHeader is the longest header Header.Bytes writes.
const maxHeader = 58

// WithSize returns r with the streaming header it starts with (the one Header.Bytes wrote
// with UnknownSize) replaced by the header of the same length carrying the exact sizes of a
// stream of total bytes, header included. Anything else (another header, sizes already
// set, a total that does not fit) is returned unchanged: a player then reads to the end.
func WithSize(r io.Reader, total int64) io.Reader {
	head := make([]byte, maxHeader)
	n, err := io.ReadFull(r, head)
	head = head[:n]
	switch {
	case err == nil:
		Complete(head, total)
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		Complete(head, total)
		return bytes.NewReader(head)
	default:
		return io.MultiReader(bytes.NewReader(head), errReader{err})
	}
	return io.MultiReader(bytes.NewReader(head), r)
}

// Complete rewrites in place the streaming header at the start of b (see WithSize) with the
// exact sizes of a stream of total bytes, and reports whether it did.
func Complete(b []byte, total int64) bool {
	h, _, err := Read(bytes.NewReader(b))
	if err != nil || h.DataSize != UnknownSize {
		return false
	}
	streaming := h.Bytes()
	if !bytes.HasPrefix(b, streaming) {
		return false
	}
	data := total - int64(len(streaming))
	if data < 0 || data >= UnknownSize {
		return false
	}
	h.DataSize = uint32(data)
	copy(b, h.Bytes())
	return true
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
