// Package rtpstream rewrites and guards RTP streams for a back-to-back user agent: a
// Sequencer gives an outgoing stream one continuous SSRC, sequence number and timestamp
// space while its source switches between locally played prompts and media bridged from the
// other leg, and a Latch implements symmetric RTP (the remote address is where the peer's
// packets come from, not what its SDP says).
package rtpstream

import (
	"time"

	"github.com/pion/rtp"

	"parley.dev/parley/media"
)

// Discontinuity thresholds within one source (RFC 3550 appendix A.1 uses the same values
// to detect a restarted sender).
const (
	maxDropout  = 3000                  // sequence numbers ahead
	maxMisorder = 100                   // sequence numbers behind
	maxTSJump   = 60 * media.SampleRate // timestamp units ahead (a minute of silence)
)

// Sequencer rewrites the headers of the packets of an outgoing stream, in place, so the
// receiving phone sees one stream: one SSRC, sequence numbers that continue across source
// switches, and timestamps that advance with real time.
//
// Packets arrive from a succession of sources: prompt frames generated locally, frames
// bridged from the other leg (with that phone's own SSRC, sequence and timestamp), prompts
// again. A new source — a segment — starts when the input SSRC changes, when the input
// sequence or timestamp jumps (restart: more than 3000 ahead or 100 behind, the timestamp
// going back or more than a minute ahead, or an older sequence number with a newer
// timestamp), or after Switch. The first packet of a segment
// gets the next sequence number and the timestamp of the previous packet plus the larger of
// its duration and the time elapsed since it was sent, and the marker bit (RFC 3551: the
// start of a talkspurt, which makes jitter buffers resynchronise). Within a segment, offsets
// are kept: the source's own losses, reordering, silence gaps and 20/30 ms packet sizes
// show through unchanged, as they would end to end.
//
// Rewrite also removes CSRCs and header extensions: nothing of the other leg's identity
// reaches the phone. It leaves the payload type alone; transcoding is the caller's job.
//
// A Sequencer does not allocate and is not safe for concurrent use: one goroutine sends.
type Sequencer struct {
	ssrc uint32
	// ClockRate is the RTP clock rate in Hz; media.SampleRate (8000) when zero.
	ClockRate int

	started     bool   // a packet was sent
	outSeq      uint16 // highest sequence number sent (or the first to send)
	outTS       uint32 // timestamp of that packet
	outSamples  uint32 // its duration
	outTime     time.Time
	switchAsked bool

	inSeg    bool
	inSSRC   uint32
	inFirst  uint16 // first input sequence number of the segment
	inSeq    uint16 // highest input sequence number of the segment
	inTS     uint32 // its timestamp
	seqDelta uint16
	tsDelta  uint32
	stats    SequencerStats
}

// SequencerStats counts what a Sequencer did.
type SequencerStats struct {
	Packets  uint64 // packets rewritten
	Segments uint64 // segments started
	Dropped  uint64 // late packets of a segment older than its first packet
}

// NewSequencer returns a sequencer for an outgoing stream with the given SSRC; its first
// packet will have sequence number seq and timestamp ts. RFC 3550 wants all three random:
// the caller draws them (crypto/rand), the package holds no random source.
func NewSequencer(ssrc uint32, seq uint16, ts uint32) *Sequencer {
	return &Sequencer{ssrc: ssrc, outSeq: seq, outTS: ts}
}

// SSRC returns the outgoing SSRC.
func (s *Sequencer) SSRC() uint32 { return s.ssrc }

// Stats returns the counters.
func (s *Sequencer) Stats() SequencerStats { return s.stats }

// Switch makes the next packet start a new segment, whatever its SSRC: call it when the
// source changes without changing SSRC (one prompt player restarting its timestamps).
func (s *Sequencer) Switch() { s.switchAsked = true }

// Rewrite rewrites h, the header of a packet about to be sent at now that carries samples
// samples (the payload length for G.711; 0 for a telephone-event packet). It returns false
// if the packet must not be sent: a late packet from before the start of its segment,
// whose sequence number would collide with the previous segment's.
func (s *Sequencer) Rewrite(h *rtp.Header, samples int, now time.Time) bool {
	marker := h.Marker
	if s.newSegment(h) {
		s.startSegment(h, now)
		marker = true
	} else {
		if int16(h.SequenceNumber-s.inFirst) < 0 {
			s.stats.Dropped++
			return false
		}
		if int16(h.SequenceNumber-s.inSeq) > 0 {
			s.inSeq, s.inTS = h.SequenceNumber, h.Timestamp
		}
	}
	h.SSRC = s.ssrc
	h.SequenceNumber += s.seqDelta
	h.Timestamp += s.tsDelta
	h.Marker = marker
	h.CSRC = h.CSRC[:0]
	h.Extension, h.Extensions, h.ExtensionProfile = false, h.Extensions[:0], 0
	if !s.started || int16(h.SequenceNumber-s.outSeq) > 0 {
		s.outSeq, s.outTS, s.outTime = h.SequenceNumber, h.Timestamp, now
		if samples > 0 {
			s.outSamples = uint32(samples)
		}
	}
	s.started = true
	s.stats.Packets++
	return true
}

func (s *Sequencer) newSegment(h *rtp.Header) bool {
	if !s.inSeg || s.switchAsked || h.SSRC != s.inSSRC {
		return true
	}
	d := int16(h.SequenceNumber - s.inSeq)
	if d > maxDropout || d < -maxMisorder {
		return true
	}
	dt := int32(h.Timestamp - s.inTS)
	switch {
	case d > 0:
		return dt < 0 || dt > maxTSJump
	case d < 0:
		return dt > 0 // a late packet cannot be later in time: the source restarted
	}
	return false
}

func (s *Sequencer) startSegment(h *rtp.Header, now time.Time) {
	seq, ts := s.outSeq, s.outTS
	if s.started {
		seq++
		rate := s.ClockRate
		if rate == 0 {
			rate = media.SampleRate
		}
		adv := s.outSamples
		if el := now.Sub(s.outTime); el > 0 {
			if e := uint64(el) * uint64(rate) / uint64(time.Second); e > uint64(adv) && e < maxTSJump {
				adv = uint32(e)
			}
		}
		ts += adv
	}
	s.seqDelta = seq - h.SequenceNumber
	s.tsDelta = ts - h.Timestamp
	s.inSeg, s.switchAsked = true, false
	s.inSSRC, s.inFirst, s.inSeq, s.inTS = h.SSRC, h.SequenceNumber, h.SequenceNumber, h.Timestamp
	s.stats.Segments++
}
