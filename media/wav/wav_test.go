package wav

import (
	"bytes"
	"encoding/binary"
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
