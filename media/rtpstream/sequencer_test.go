package rtpstream

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

type sent struct {
	h       rtp.Header
	samples int
}

// source simulates one input: its own SSRC, sequence and timestamp, frames of size n.
type source struct {
	ssrc uint32
	seq  uint16
	ts   uint32
	n    int
}

func (src *source) next() rtp.Header {
	h := rtp.Header{Version: 2, SSRC: src.ssrc, SequenceNumber: src.seq, Timestamp: src.ts,
		CSRC: []uint32{src.ssrc}}
	if err := h.SetExtension(1, []byte{1}); err != nil {
		panic(err)
	}
	src.seq++
	src.ts += uint32(src.n)
	return h
}

// TestSequencerSwitchingSources plays prompts (20 ms), bridges the other leg (30 ms, its own
// numbering, one packet lost and two swapped), then prompts again (restarting at the same
// SSRC and timestamp 0), sending every packet on a 20/30 ms clock. The receiver must see
// one SSRC, sequence numbers continuous except the source's own loss, and timestamps that
// tile the timeline exactly: each packet starts where the previous ended.
func TestSequencerSwitchingSources(t *testing.T) {
	const ssrc = 0xCAFE
	s := NewSequencer(ssrc, 65530, 0xFFFFF000) // both wrap during the test
	now := time.Unix(1000, 0)
	var out []sent
	send := func(h rtp.Header, n int) {
		ok := s.Rewrite(&h, n, now)
		if !ok {
			t.Fatalf("packet refused")
		}
		out = append(out, sent{h, n})
		now = now.Add(time.Duration(n) * time.Second / 8000)
	}
	prompt := &source{ssrc: 1, seq: 0, ts: 0, n: 160}
	for range 10 {
		send(prompt.next(), 160)
	}
	other := &source{ssrc: 0x5EC2E7, seq: 40000, ts: 123456789, n: 240}
	var bridged []rtp.Header
	for range 12 {
		bridged = append(bridged, other.next())
	}
	lost := 5
	bridged[8], bridged[9] = bridged[9], bridged[8]
	for i, h := range bridged {
		if i == lost {
			now = now.Add(30 * time.Millisecond)
			continue
		}
		send(h, 240)
	}
	prompt2 := &source{ssrc: 1, seq: 0, ts: 0, n: 160}
	for range 10 {
		send(prompt2.next(), 160)
	}

	// Sort by sequence number as the receiver's jitter buffer does.
	bySeq := map[uint16]sent{}
	for _, p := range out {
		if p.h.SSRC != ssrc {
			t.Fatalf("SSRC %#x leaked", p.h.SSRC)
		}
		if len(p.h.CSRC) != 0 || p.h.Extension || len(p.h.Extensions) != 0 {
			t.Fatalf("CSRC or extension leaked: %+v", p.h)
		}
		bySeq[p.h.SequenceNumber] = p
	}
	seq := uint16(65530)
	ts := uint32(0xFFFFF000)
	markers, gaps := 0, 0
	for range len(out) + 1 {
		p, ok := bySeq[seq]
		if !ok {
			gaps++
			ts += 240 // the lost bridged packet
			seq++
			continue
		}
		if p.h.Timestamp != ts {
			t.Fatalf("seq %d: timestamp %d, want %d (continuous)", seq, p.h.Timestamp, ts)
		}
		if p.h.Marker {
			markers++
		}
		ts += uint32(p.samples)
		seq++
	}
	if gaps != 1 || markers != 3 {
		t.Errorf("gaps %d (want the 1 source loss), markers %d (want 3 segment starts)", gaps, markers)
	}
	if st := s.Stats(); st.Segments != 3 || st.Packets != uint64(len(out)) {
		t.Errorf("stats %+v", st)
	}
}

// TestSequencerSilenceGap: a pause in sending between segments advances the timestamp by
// the elapsed time, not by one frame, so the far end does not play the next source early.
func TestSequencerSilenceGap(t *testing.T) {
	s := NewSequencer(9, 0, 0)
	now := time.Unix(0, 0)
	a := &source{ssrc: 1, n: 160}
	var last rtp.Header
	for range 3 {
		last = a.next()
		s.Rewrite(&last, 160, now)
		now = now.Add(20 * time.Millisecond)
	}
	now = now.Add(480 * time.Millisecond) // 500 ms after the last packet
	b := &source{ssrc: 2, seq: 7, ts: 99, n: 160}
	h := b.next()
	s.Rewrite(&h, 160, now)
	if got, want := h.Timestamp-last.Timestamp, uint32(4000); got != want {
		t.Errorf("timestamp advanced %d over 500 ms, want %d", got, want)
	}
	if h.SequenceNumber != last.SequenceNumber+1 || !h.Marker {
		t.Errorf("after gap: %+v", h)
	}
}

func TestSequencerSwitchAndLate(t *testing.T) {
	s := NewSequencer(9, 100, 1000)
	now := time.Unix(0, 0)
	a := &source{ssrc: 1, seq: 50, n: 160}
	h1, h2 := a.next(), a.next()
	late := h1
	s.Rewrite(&h2, 160, now) // h1 arrives after h2: older than the segment start
	if s.Rewrite(&late, 160, now) {
		t.Error("packet from before the segment start was sent")
	}
	// Within a segment, a reordered packet keeps its place.
	h3, h4 := a.next(), a.next()
	s.Rewrite(&h4, 160, now)
	s.Rewrite(&h3, 160, now)
	if h3.SequenceNumber != 101 || h4.SequenceNumber != 102 || h3.Timestamp != 1160 || h4.Timestamp != 1320 {
		t.Errorf("reordered: %d/%d %d/%d", h3.SequenceNumber, h3.Timestamp, h4.SequenceNumber, h4.Timestamp)
	}
	// Switch with the same SSRC and continuing numbers still starts a segment.
	s.Switch()
	h5 := a.next()
	s.Rewrite(&h5, 160, now)
	if !h5.Marker || h5.SequenceNumber != 103 || h5.Timestamp != 1480 {
		t.Errorf("after Switch: %+v", h5)
	}
	// A restarted source (sequence back, timestamp forward) is a new segment.
	h6 := rtp.Header{SSRC: 1, SequenceNumber: 3, Timestamp: 99999}
	s.Rewrite(&h6, 160, now)
	if !h6.Marker || h6.SequenceNumber != 104 || h6.Timestamp != 1640 {
		t.Errorf("restarted source: %+v", h6)
	}
	if st := s.Stats(); st.Dropped != 1 || st.Segments != 3 {
		t.Errorf("stats %+v", st)
	}
}

func BenchmarkSequencerRewrite(b *testing.B) {
	s := NewSequencer(1, 0, 0)
	h := rtp.Header{Version: 2, SSRC: 42, CSRC: make([]uint32, 0, 2)}
	now := time.Unix(0, 0)
	b.ReportAllocs()
	var seq uint16
	var ts uint32
	for b.Loop() {
		h.SSRC, h.SequenceNumber, h.Timestamp = 42, seq, ts
		s.Rewrite(&h, 160, now)
		seq++
		ts += 160
	}
}
