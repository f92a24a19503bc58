package rtpstream

import (
	"net/netip"
	"sync/atomic"

	"parley.dev/parley"
)

// Latch implements symmetric RTP (RFC 4961) for one media session: phones behind NAT
// advertise an address in their SDP that cannot be reached, so the B2BUA sends to the
// address the phone's packets come from.
//
// Policy:
//   - Until latched, Remote is the address the SDP gave (c= and m= port), so early media
//     (a prompt) can be sent before the phone speaks.
//   - The Latch locks onto the source address and port of the first valid RTP packet whose
//     source IP is one of the expected peer IPs: the SDP connection address and the address
//     SIP signalling came from. The port is not checked: NAT rewrites it.
//   - Valid means: at least 12 bytes, RTP version 2, and a payload type among those
//     negotiated (which also excludes RTCP multiplexed on the port, RFC 5761).
//   - Once latched, only packets from exactly that address and port are accepted; packets
//     from anywhere else — a second NAT binding, a spoofer injecting audio — are rejected
//     and counted. The latch never moves: a re-INVITE with new SDP gets a new Latch.
//
// Accept is called by the one goroutine reading the socket; Remote may be called from any
// goroutine. Accept does not allocate.
type Latch struct {
	sdp      netip.AddrPort
	expected []netip.Addr
	pts      [2]uint64 // bitmap of accepted payload types 0-127
	latched  atomic.Pointer[netip.AddrPort]
	rejected atomic.Uint64
}

// NewLatch returns a latch for a session whose SDP gave sdp as the peer's media address,
// expecting packets from sdp's IP or from any of also (the SIP signalling source), carrying
// one of payloadTypes.
func NewLatch(sdp netip.AddrPort, payloadTypes []uint8, also ...netip.Addr) (*Latch, error) {
	const op = "rtpstream.NewLatch"
	if !sdp.IsValid() {
		return nil, parley.Errorf(op, parley.KindInvalid, "no SDP media address")
	}
	if len(payloadTypes) == 0 {
		return nil, parley.Errorf(op, parley.KindInvalid, "no payload types")
	}
	l := &Latch{sdp: sdp, expected: []netip.Addr{sdp.Addr().Unmap()}}
	for _, a := range also {
		if a.IsValid() {
			l.expected = append(l.expected, a.Unmap())
		}
	}
	for _, pt := range payloadTypes {
		if pt > 127 {
			return nil, parley.Errorf(op, parley.KindInvalid, "payload type %d out of range", pt)
		}
		l.pts[pt/64] |= 1 << (pt % 64)
	}
	return l, nil
}

// Accept reports whether a packet received from src is to be processed, latching on the
// first valid packet from an expected peer.
func (l *Latch) Accept(src netip.AddrPort, packet []byte) bool {
	if p := l.latched.Load(); p != nil {
		if src == *p || (src.Addr().Unmap() == p.Addr() && src.Port() == p.Port()) {
			return true
		}
		l.rejected.Add(1)
		return false
	}
	if !l.valid(packet) || !l.isExpected(src.Addr().Unmap()) {
		l.rejected.Add(1)
		return false
	}
	a := netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if !l.latched.CompareAndSwap(nil, &a) {
		return l.Accept(src, packet) // latched concurrently: judge against it
	}
	return true
}

func (l *Latch) valid(p []byte) bool {
	if len(p) < 12 || p[0]>>6 != 2 {
		return false
	}
	pt := p[1] & 0x7F
	return l.pts[pt/64]&(1<<(pt%64)) != 0
}

func (l *Latch) isExpected(a netip.Addr) bool {
	for _, e := range l.expected {
		if e == a {
			return true
		}
	}
	return false
}

// Remote returns the address to send to: the latched source, or the SDP address until a
// packet latched; latched reports which.
func (l *Latch) Remote() (addr netip.AddrPort, latched bool) {
	if p := l.latched.Load(); p != nil {
		return *p, true
	}
	return l.sdp, false
}

// Rejected returns how many packets Accept refused.
func (l *Latch) Rejected() uint64 { return l.rejected.Load() }
