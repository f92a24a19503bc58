package rtpstream

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/pion/rtp"

	"parley.dev/parley"
)

func rtpPacket(t testing.TB, pt uint8) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SSRC: 1}, Payload: make([]byte, 160)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLatch(t *testing.T) {
	sdp := netip.MustParseAddrPort("10.0.0.5:4000")     // private address from the phone's SDP
	sig := netip.MustParseAddr("203.0.113.9")           // where its SIP came from (the NAT)
	nat := netip.MustParseAddrPort("203.0.113.9:61000") // the NAT's binding
	l, err := NewLatch(sdp, []uint8{0, 101}, sig)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := l.Remote(); ok || r != sdp {
		t.Fatalf("before latch: %v %v", r, ok)
	}
	pcmu, dtmf := rtpPacket(t, 0), rtpPacket(t, 101)
	stranger := netip.MustParseAddrPort("198.51.100.7:5004")
	if l.Accept(stranger, pcmu) {
		t.Error("packet from an unexpected host latched")
	}
	if l.Accept(nat, rtpPacket(t, 8)) {
		t.Error("packet with an unnegotiated payload type latched")
	}
	if l.Accept(nat, []byte{0x80, 0, 1}) {
		t.Error("truncated packet latched")
	}
	rtcp := make([]byte, 12)
	rtcp[0], rtcp[1] = 0x80, 200 // RTCP sender report multiplexed on the port
	if l.Accept(nat, rtcp) {
		t.Error("RTCP latched")
	}
	if !l.Accept(nat, pcmu) {
		t.Fatal("first valid packet from the expected peer refused")
	}
	if r, ok := l.Remote(); !ok || r != nat {
		t.Fatalf("latched to %v %v, want %v", r, ok, nat)
	}
	if !l.Accept(nat, dtmf) {
		t.Error("later packet from the latched address refused")
	}
	other := netip.AddrPortFrom(sig, 61001) // the same host, another binding
	if l.Accept(other, pcmu) || l.Accept(sdp, pcmu) {
		t.Error("packet from another address accepted after latching")
	}
	if r, _ := l.Remote(); r != nat {
		t.Errorf("latch moved to %v", r)
	}
	if n := l.Rejected(); n != 6 {
		t.Errorf("rejected %d, want 6", n)
	}
	// IPv4-mapped IPv6 sources (a dual-stack socket) match their IPv4 address.
	l2, _ := NewLatch(sdp, []uint8{0})
	mapped := netip.AddrPortFrom(netip.AddrFrom16(sdp.Addr().As16()), 4002)
	if !l2.Accept(mapped, pcmu) || !l2.Accept(netip.AddrPortFrom(sdp.Addr(), 4002), pcmu) {
		t.Error("IPv4-mapped source not matched")
	}

	if _, err := NewLatch(netip.AddrPort{}, []uint8{0}); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("no SDP address: %v", err)
	}
	if _, err := NewLatch(sdp, nil); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("no payload types: %v", err)
	}
}

// TestLatchConcurrent: racing first packets from two expected sources latch exactly one.
func TestLatchConcurrent(t *testing.T) {
	sdp := netip.MustParseAddrPort("192.0.2.1:4000")
	l, _ := NewLatch(sdp, []uint8{0})
	p := rtpPacket(t, 0)
	var wg sync.WaitGroup
	accepted := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := netip.AddrPortFrom(sdp.Addr(), uint16(5000+i))
			for range 100 {
				if l.Accept(src, p) {
					accepted[i]++
				}
			}
		}()
	}
	wg.Wait()
	if (accepted[0] == 0) == (accepted[1] == 0) {
		t.Errorf("accepted %v: exactly one source must win", accepted)
	}
}

func BenchmarkLatchAccept(b *testing.B) {
	sdp := netip.MustParseAddrPort("192.0.2.1:4000")
	l, _ := NewLatch(sdp, []uint8{0, 101})
	p := rtpPacket(b, 0)
	l.Accept(sdp, p)
	b.ReportAllocs()
	for b.Loop() {
		l.Accept(sdp, p)
	}
}
