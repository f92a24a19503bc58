package dtmf

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"
)

// FuzzTelephoneEvent parses arbitrary payloads: a valid one re-encodes to the same bytes
// (R bit cleared), and any payload fed to a Receiver never panics.
func FuzzTelephoneEvent(f *testing.F) {
	f.Add([]byte{0x05, 0x8A, 0x03, 0x20}, uint32(0), uint16(0))
	f.Add([]byte{0x0B, 0x0A, 0x00, 0xA0}, uint32(0xFFFFFF00), uint16(0xFFFF))
	f.Add([]byte{0x10, 0x7F, 0xFF, 0xFF, 0x01}, uint32(1), uint16(1))
	f.Add([]byte{0x01}, uint32(5), uint16(5))
	f.Fuzz(func(t *testing.T, payload []byte, ts uint32, seq uint16) {
		var ev Event
		if err := ev.Unmarshal(payload); err != nil {
			if len(payload) >= PayloadSize {
				t.Fatalf("valid-length payload rejected: %v", err)
			}
		} else {
			if ev.Volume > MaxVolume {
				t.Fatalf("volume %d", ev.Volume)
			}
			var out [PayloadSize]byte
			if _, err := ev.MarshalTo(out[:]); err != nil {
				t.Fatal(err)
			}
			want := [PayloadSize]byte{payload[0], payload[1] &^ 0x40, payload[2], payload[3]}
			if out != want {
				t.Fatalf("re-encoded % x, want % x", out, want)
			}
			if ev.Duration != binary.BigEndian.Uint16(payload[2:]) {
				t.Fatal("duration")
			}
		}
		var r Receiver
		h := rtp.Header{SSRC: 1, Timestamp: ts, SequenceNumber: seq}
		reported := 0
		for i := range 4 { // the same packet repeated reports at most once
			h.SequenceNumber = seq + uint16(i)
			if _, ok, _ := r.Receive(&h, payload); ok {
				reported++
			}
		}
		if reported > 1 {
			t.Fatalf("one press reported %d times", reported)
		}
	})
}
