package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"parley.dev/parley"
)

func TestHeaderRoundTrip(t *testing.T) {
	for _, f := range []Format{PCM16, MuLaw, ALaw} {
		streaming := Header{Format: f, Channels: 2, SampleRate: 8000, DataSize: UnknownSize}
		final := streaming
		final.DataSize = 4000
		sb, fb := streaming.Bytes(), final.Bytes()
		if len(sb) != len(fb) {
			t.Fatalf("%v: streaming header %d bytes, final %d", f, len(sb), len(fb))
		}
		if binary.LittleEndian.Uint32(sb[4:]) != UnknownSize {
			t.Errorf("%v: streaming RIFF size not unknown", f)
		}
		wantRIFF := uint32(len(fb) - 8 + 4000)
		if got := binary.LittleEndian.Uint32(fb[4:]); got != wantRIFF {
			t.Errorf("%v: RIFF size %d, want %d", f, got, wantRIFF)
		}
		audio := bytes.Repeat([]byte{1, 2}, 2000)
		for _, hdr := range [][]byte{sb, fb} {
			h, data, err := ReadAll(bytes.NewReader(append(append([]byte(nil), hdr...), audio...)))
			if err != nil {
				t.Fatalf("%v: %v", f, err)
			}
			if h.Format != f || h.Channels != 2 || h.SampleRate != 8000 {
				t.Errorf("%v: read %+v", f, h)
			}
			if want := 4000 / h.BytesPerSample(); len(data) != want {
				t.Errorf("%v: %d samples, want %d", f, len(data), want)
			}
		}
	}
}

// TestReadSkipsChunks reads a PCM file with a LIST chunk before the data.
func TestReadSkipsChunks(t *testing.T) {
	h := Header{Format: PCM16, Channels: 1, SampleRate: 8000, DataSize: 4}
	b := h.Bytes()
	data := b[36:]
	withList := append(append([]byte(nil), b[:36]...), []byte("LIST\x03\x00\x00\x00abc\x00")...)
	withList = append(withList, data...)
	withList = append(withList, 0x10, 0x00, 0xF0, 0xFF)
	_, s, err := ReadAll(bytes.NewReader(withList))
	if err != nil || len(s) != 2 || s[0] != 16 || s[1] != -16 {
		t.Fatalf("got %v %v", s, err)
	}
	for _, bad := range [][]byte{[]byte("RIFX0000WAVE"), []byte("RIFF"), append([]byte("RIFF\x00\x00\x00\x00WAVEdata"), 0, 0, 0, 0)} {
		if _, _, err := Read(bytes.NewReader(bad)); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("Read(%q) = %v, want invalid", bad, err)
		}
	}
}

// TestCompleteSetsExactSizes: the streaming header of each format is replaced by one with
// the sizes of the stream; the audio is untouched and Read sees the exact data size.
func TestCompleteSetsExactSizes(t *testing.T) {
	for _, f := range []Format{PCM16, MuLaw, ALaw} {
		h := Header{Format: f, Channels: 2, SampleRate: 8000, DataSize: UnknownSize}
		audio := bytes.Repeat([]byte{1, 2, 3, 4}, 1000)
		stream := append(h.Bytes(), audio...)
		got, err := io.ReadAll(WithSize(bytes.NewReader(stream), int64(len(stream))))
		if err != nil || len(got) != len(stream) || !bytes.Equal(got[len(h.Bytes()):], audio) {
			t.Fatalf("%v: %d bytes, %v", f, len(got), err)
		}
		if riff := binary.LittleEndian.Uint32(got[4:]); int(riff) != len(stream)-8 {
			t.Fatalf("%v: RIFF size %d, want %d", f, riff, len(stream)-8)
		}
		rh, data, err := Read(bytes.NewReader(got))
		if err != nil || rh.DataSize != uint32(len(audio)) {
			t.Fatalf("%v: header %+v %v", f, rh, err)
		}
		if f != PCM16 { // the fact chunk counts sample frames
			if frames := binary.LittleEndian.Uint32(got[46:]); frames != uint32(len(audio)/h.BlockAlign()) {
				t.Fatalf("%v: fact %d", f, frames)
			}
		}
		if b, _ := io.ReadAll(data); !bytes.Equal(b, audio) {
			t.Fatalf("%v: data differs", f)
		}
	}
}

// TestCompleteLeavesOthersAlone: a header with sizes already set, a foreign header, a total
// shorter than the header and a short stream are returned as they were.
func TestCompleteLeavesOthersAlone(t *testing.T) {
	exact := Header{Format: PCM16, Channels: 1, SampleRate: 8000, DataSize: 4}.Bytes()
	exact = append(exact, 1, 2, 3, 4)
	streaming := Header{Format: MuLaw, Channels: 1, SampleRate: 8000, DataSize: UnknownSize}.Bytes()
	for name, c := range map[string]struct {
		b     []byte
		total int64
	}{
		"exact":      {exact, 1000},
		"not wav":    {bytes.Repeat([]byte("x"), 80), 80},
		"too short":  {append(bytes.Clone(streaming), 9), 10},
		"cut header": {streaming[:30], 30},
		"too long":   {bytes.Clone(streaming), 1 << 33},
	} {
		orig := bytes.Clone(c.b)
		if Complete(c.b, c.total) || !bytes.Equal(c.b, orig) {
			t.Fatalf("%s: changed", name)
		}
		got, err := io.ReadAll(WithSize(bytes.NewReader(orig), c.total))
		if err != nil || !bytes.Equal(got, orig) {
			t.Fatalf("%s: WithSize changed the stream (%v)", name, err)
		}
	}
	boom := errors.New("disk on fire")
	_, err := io.ReadAll(WithSize(io.MultiReader(bytes.NewReader(streaming[:10]), iotestErr{boom}), 100))
	if !errors.Is(err, boom) {
		t.Fatalf("a read error is lost: %v", err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }
