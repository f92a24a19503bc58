package dtmf

import (
	"github.com/pion/rtp"

	"parley.dev/parley"
)

// Defaults of a Sender.
const (
	DefaultVolume   = 10  // -10 dBm0
	DefaultInterval = 160 // 20 ms at 8 kHz
	DefaultDuration = 800 // 100 ms at 8 kHz
	EndRepeats      = 3   // RFC 4733 §2.5.1.4: the final packet is sent three times
)

// Sender produces the RTP packets of DTMF key presses on its own stream, as a phone does:
// the first packet of a press has the marker bit, updates every Interval carry the growing
// duration, and the final packet (E bit, full duration) is sent three times. All packets of
// a press carry the press's start timestamp; every packet has the next sequence number.
//
// Send packets at the Interval pace; Sender does not keep time. Presses longer than 65535
// samples are not segmented: Duration is capped at 65535. A Sender does not allocate and is
// not safe for concurrent use.
type Sender struct {
	SSRC        uint32
	PayloadType uint8  // the negotiated telephone-event payload type, e.g. 101
	Volume      uint8  // -dBm0; DefaultVolume when zero
	Interval    uint16 // samples between packets; DefaultInterval when zero
	Duration    uint16 // samples of a press; DefaultDuration when zero

	seq    uint16
	active bool
	code   uint8
	ts     uint32
	dur    uint32 // duration of the next packet
	ends   int    // end packets sent
	first  bool
}

// NewSender returns a sender whose first packet has sequence number seq.
func NewSender(ssrc uint32, seq uint16, payloadType uint8) *Sender {
	return &Sender{SSRC: ssrc, PayloadType: payloadType, seq: seq}
}

// Start begins a press of key at RTP timestamp ts, abandoning any press in progress.
func (s *Sender) Start(key byte, ts uint32) error {
	code, err := CodeOf(key)
	if err != nil {
		return parley.WrapError("dtmf.Sender.Start", parley.KindInvalid, err)
	}
	s.active, s.code, s.ts, s.ends, s.first = true, code, ts, 0, true
	s.dur = uint32(s.interval())
	return nil
}

// Active reports whether packets of the current press remain to be sent.
func (s *Sender) Active() bool { return s.active }

func (s *Sender) interval() uint16 { return cmpOr(s.Interval, DefaultInterval) }
func (s *Sender) duration() uint16 { return cmpOr(s.Duration, DefaultDuration) }

func cmpOr(v, def uint16) uint16 {
	if v == 0 {
		return def
	}
	return v
}

// Next fills h and the first PayloadSize bytes of payload with the next packet of the
// press and returns the payload size, or ok false when the press is complete. payload must
// hold PayloadSize bytes.
func (s *Sender) Next(h *rtp.Header, payload []byte) (n int, ok bool) {
	if !s.active || len(payload) < PayloadSize {
		return 0, false
	}
	total := uint32(s.duration())
	vol := s.Volume
	if vol == 0 {
		vol = DefaultVolume
	}
	ev := Event{Code: s.code, Volume: min(vol, MaxVolume)}
	if s.dur >= total {
		ev.End, ev.Duration = true, uint16(total)
		s.ends++
		if s.ends == EndRepeats {
			s.active = false
		}
	} else {
		ev.Duration = uint16(s.dur)
		s.dur += uint32(s.interval())
	}
	h.Version, h.Padding, h.Extension, h.Marker = 2, false, false, s.first
	h.PayloadType, h.SequenceNumber, h.Timestamp, h.SSRC = s.PayloadType, s.seq, s.ts, s.SSRC
	h.CSRC, h.Extensions = h.CSRC[:0], h.Extensions[:0]
	s.seq++
	s.first = false
	n, _ = ev.MarshalTo(payload)
	return n, true
}
