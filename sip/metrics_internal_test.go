package sip

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestRTPStats: loss counts the gaps of the sequence across a 16-bit wrap, a late packet
// and a new SSRC; events count for loss, not jitter; steady 20 ms packets have no jitter
// and a late one raises it.
func TestRTPStats(t *testing.T) {
	var s rtpStats
	t0 := time.Unix(1000, 0)
	seq, ts := uint16(65530), uint32(0)
	send := func(n int, skip bool, at time.Time) {
		for range n {
			if !skip {
				s.add(&rtp.Header{SSRC: 1, SequenceNumber: seq, Timestamp: ts}, true, at)
			}
			seq++
			ts += 160
		}
	}
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 20 * time.Millisecond) }
	for i := range 10 { // across the wrap at 65535
		send(1, false, at(i))
	}
	if r, l, j := s.result(); r != 10 || l != 0 || j != 0 {
		t.Fatalf("steady: received %d lost %d jitter %v", r, l, j)
	}
	send(1, true, at(10)) // lost
	send(1, true, at(11)) // lost
	send(1, false, at(12))
	s.add(&rtp.Header{SSRC: 1, SequenceNumber: seq - 5, Timestamp: ts - 5*160}, false, at(12)) // a late event
	if r, l, _ := s.result(); r != 12 || l != 1 {
		t.Fatalf("after a gap of two and a late packet: received %d lost %d", r, l)
	}
	send(1, false, at(13).Add(30*time.Millisecond)) // 30 ms late
	if _, _, j := s.result(); j <= 0 {
		t.Fatalf("a late packet left jitter %v", j)
	}
	// A new SSRC: its own sequence space, the earlier loss kept.
	s.add(&rtp.Header{SSRC: 2, SequenceNumber: 7, Timestamp: 0}, true, at(14))
	s.add(&rtp.Header{SSRC: 2, SequenceNumber: 9, Timestamp: 320}, true, at(16))
	if r, l, _ := s.result(); r != 15 || l != 2 {
		t.Fatalf("after a new SSRC: received %d lost %d", r, l)
	}
	var empty rtpStats
	if r, l, j := empty.result(); r != 0 || l != 0 || j != 0 {
		t.Fatalf("no packets: %d %d %v", r, l, j)
	}
}
