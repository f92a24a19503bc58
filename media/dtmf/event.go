// Package dtmf implements RFC 4733 telephone-events for DTMF keys: the 4-byte event payload,
// a Receiver that turns a stream of event packets into exactly one key per press, and a
// Sender that produces the packets of a press.
//
// # Payload (RFC 4733 §2.3)
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	|     event     |E|R| volume    |          duration             |
//
// Event codes 0-9 are the digits, 10 is *, 11 is #, 12-15 are A-D. Volume is the power level
// in -dBm0 (0…63), duration is in RTP timestamp units (samples at 8 kHz) since the start of
// the event, whose RTP timestamp every packet of the event repeats.
//
// # One key per press
//
// A press is identified by its RTP timestamp. The sender repeats it in every update and in
// the three end packets; the Receiver reports a key the first time it sees a packet of a
// press it has not reported — whichever packet that is, so the loss of the first packets
// (including the one with the marker bit) costs nothing — and ignores every later packet
// with that timestamp, duplicates and reordered ones included.
package dtmf

import (
	"encoding/binary"

	"parley.dev/parley"
)

// PayloadSize is the size of a telephone-event payload carrying one event.
const PayloadSize = 4

// MaxVolume is the largest volume value (-63 dBm0).
const MaxVolume = 63

// Event is a decoded telephone-event payload.
type Event struct {
	Code     uint8  // event code: 0-9 digits, 10 *, 11 #, 12-15 A-D
	End      bool   // E bit: this is (a repetition of) the final packet of the event
	Volume   uint8  // power level in -dBm0, 0…63
	Duration uint16 // timestamp units since the event's start
}

// Unmarshal decodes the first event of a telephone-event payload. Extra bytes (redundant
// events, RFC 4733 §2.5.1.5 with RFC 2198 are not used by phones) are ignored. The R bit is
// ignored as the RFC requires.
func (e *Event) Unmarshal(b []byte) error {
	if len(b) < PayloadSize {
		return parley.Errorf("dtmf.Event.Unmarshal", parley.KindInvalid, "payload of %d bytes, want %d", len(b), PayloadSize)
	}
	e.Code = b[0]
	e.End = b[1]&0x80 != 0
	e.Volume = b[1] & 0x3F
	e.Duration = binary.BigEndian.Uint16(b[2:4])
	return nil
}

// MarshalTo encodes the event into the first PayloadSize bytes of b. It fails if b is short
// or the volume exceeds MaxVolume.
func (e Event) MarshalTo(b []byte) (int, error) {
	if len(b) < PayloadSize {
		return 0, parley.Errorf("dtmf.Event.MarshalTo", parley.KindInvalid, "buffer of %d bytes, want %d", len(b), PayloadSize)
	}
	if e.Volume > MaxVolume {
		return 0, parley.Errorf("dtmf.Event.MarshalTo", parley.KindInvalid, "volume %d above %d", e.Volume, MaxVolume)
	}
	b[0] = e.Code
	b[1] = e.Volume
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:4], e.Duration)
	return PayloadSize, nil
}

// AppendBinary appends the encoded event to b (encoding.BinaryAppender).
func (e Event) AppendBinary(b []byte) ([]byte, error) {
	var p [PayloadSize]byte
	if _, err := e.MarshalTo(p[:]); err != nil {
		return b, err
	}
	return append(b, p[:]...), nil
}

// Key returns the DTMF key of the event code, or ok false for a code that is not a DTMF key
// (RFC 4733 also defines flash and modem/fax tones).
func (e Event) Key() (key byte, ok bool) { return KeyOf(e.Code) }

const keys = "0123456789*#ABCD"

// KeyOf returns the key of an event code: '0'-'9', '*', '#', 'A'-'D'.
func KeyOf(code uint8) (key byte, ok bool) {
	if int(code) < len(keys) {
		return keys[code], true
	}
	return 0, false
}

// CodeOf returns the event code of a key ('0'-'9', '*', '#', 'A'-'D' or 'a'-'d').
func CodeOf(key byte) (uint8, error) {
	switch {
	case key >= '0' && key <= '9':
		return key - '0', nil
	case key == '*':
		return 10, nil
	case key == '#':
		return 11, nil
	case key >= 'A' && key <= 'D':
		return key - 'A' + 12, nil
	case key >= 'a' && key <= 'd':
		return key - 'a' + 12, nil
	}
	return 0, parley.Errorf("dtmf.CodeOf", parley.KindInvalid, "not a DTMF key")
}
