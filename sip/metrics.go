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

// rtpStats are a leg's RFC 3550 reception statistics (readLoop only). Every accepted
// packet (audio and RFC 4733 events share the sequence numbers) counts for loss; only
// audio for jitter (an event's packets repeat its timestamp). A new SSRC starts a new
// sequence space; what the old one lost is kept.
type rtpStats struct {
	started     bool
	ssrc        uint32
	baseSeq     uint32
	maxSeq      uint32 // extended: cycles in the high bits
	received    uint64 // in this SSRC's sequence space
	doneExp     uint64 // expected and received of earlier SSRCs
	doneRecv    uint64
	transit     float64 // of the previous audio packet, in 8 kHz timestamp units
	jitter      float64 // in timestamp units
	haveTransit bool
}

// add counts a packet that arrived at now; audio says it carries audio (8 kHz clock).
func (s *rtpStats) add(h *rtp.Header, audio bool, now time.Time) {
	seq := uint32(h.SequenceNumber)
	if s.started && h.SSRC != s.ssrc {
		s.doneExp += uint64(s.maxSeq-s.baseSeq) + 1
		s.doneRecv += s.received
		s.started, s.received, s.haveTransit = false, 0, false
	}
	if !s.started {
		s.started, s.ssrc, s.baseSeq, s.maxSeq = true, h.SSRC, seq, seq
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
	if !audio {
		return
	}
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
	expected, received := s.doneExp, s.doneRecv
	if s.started {
		expected += uint64(s.maxSeq-s.baseSeq) + 1
		received += s.received
	}
	if expected > received {
		lost = expected - received
	}
	return received, lost, time.Duration(s.jitter / 8000 * float64(time.Second))
}
