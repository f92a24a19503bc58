package sip

import (
	"time"

	"github.com/pion/rtp"

	"parley.dev/parley"
)

// Metrics receives the server's measurements for monitoring (Deps.Metrics). Methods are
// called from call goroutines, so they must be safe for concurrent use and cheap. No
// argument is ever personal data: statuses and reasons are the call record's fixed words,
// legs are "inmate" or "called".
type Metrics interface {
	// CallEnded is called once per call with its final status and reason.
	CallEnded(status parley.CallStatus, reason string)
	// CallSetup is the post-dial delay: from the INVITE sent to the trunk to its first
	// ringing, progress or answer.
	CallSetup(d time.Duration)
	// LegMedia is called when a leg that received RTP audio ends: the packets received,
	// the packets lost (RFC 3550: expected less received, never negative) and the
	// interarrival jitter (RFC 3550 estimate) at the end.
	LegMedia(leg string, received, lost uint64, jitter time.Duration)
}

type noMetrics struct{}

func (noMetrics) CallEnded(parley.CallStatus, string)            {}
func (noMetrics) CallSetup(time.Duration)                        {}
func (noMetrics) LegMedia(string, uint64, uint64, time.Duration) {}

// rtpStats are a leg's RFC 3550 reception statistics (readLoop only).
type rtpStats struct {
	started     bool
	baseSeq     uint32
	maxSeq      uint32 // extended: cycles in the high bits
	received    uint64
	transit     float64 // of the previous packet, in timestamp units
	jitter      float64 // in timestamp units
	haveTransit bool
}

// add counts an audio packet that arrived at now (the audio clock is 8 kHz).
func (s *rtpStats) add(h *rtp.Header, now time.Time) {
	seq := uint32(h.SequenceNumber)
	if !s.started {
		s.started, s.baseSeq, s.maxSeq = true, seq, seq
	} else {
		cycles := s.maxSeq &^ 0xffff
		ext := cycles | seq
		// The 16-bit number wrapped forward, or is a late packet from before a wrap.
		if d := int32(seq) - int32(s.maxSeq&0xffff); d < -0x8000 {
			ext += 0x10000
		} else if d > 0x8000 && cycles > 0 {
			ext -= 0x10000
		}
		if ext > s.maxSeq {
			s.maxSeq = ext
		}
	}
	s.received++
	arrival := float64(now.UnixNano()) * 8000 / 1e9
	transit := arrival - float64(h.Timestamp)
	if s.haveTransit {
		d := transit - s.transit
		if d < 0 {
			d = -d
		}
		s.jitter += (d - s.jitter) / 16
	}
	s.transit, s.haveTransit = transit, true
}

// result returns the packets received and lost and the jitter.
func (s *rtpStats) result() (received, lost uint64, jitter time.Duration) {
	if !s.started {
		return 0, 0, 0
	}
	expected := uint64(s.maxSeq-s.baseSeq) + 1
	if expected > s.received {
		lost = expected - s.received
	}
	return s.received, lost, time.Duration(s.jitter / 8000 * float64(time.Second))
}
