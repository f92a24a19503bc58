package sip

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"parley.dev/parley/media/record"
)

// countingWriter discards a recording, counting its bytes.
type countingWriter struct {
	mu sync.Mutex
	n  int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.n += len(p)
	w.mu.Unlock()
	return len(p), nil
}

// FuzzRTPPacket sends arbitrary datagrams from the latched peer to a bridged, recorded
// leg: the real read loop (latch, RTP header, padding, RFC 4733 receiver, de-duplication,
// recording mixer, transcoding, sequence rewriting) on real sockets. The leg must not
// panic, and after every input it must still forward a valid audio packet to the other
// leg.
func FuzzRTPPacket(f *testing.F) {
	lo := netip.MustParseAddr("127.0.0.1")
	base := 42000 + 2*rand.IntN(4000)
	pool := newPortPool(lo, base, base+10)
	log := slog.New(slog.DiscardHandler)
	peerA, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, 0)))
	if err != nil {
		f.Fatal(err)
	}
	peerB, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, 0)))
	if err != nil {
		f.Fatal(err)
	}
	open := func(name string, peer *net.UDPConn, pt uint8) *leg {
		conn, port, err := pool.open()
		if err != nil {
			f.Fatal(err)
		}
		l := newLeg(name, log, pool, conn, port)
		d := mediaDesc{addr: peer.LocalAddr().(*net.UDPAddr).AddrPort(), audioPT: pt, formats: []uint8{pt},
			dtmfPT: 101, hasDTMF: true, ptime: 20, dir: dirSendRecv}
		if err := l.start(d, lo); err != nil {
			f.Fatal(err)
		}
		l.muted.Store(true)
		return l
	}
	a, b := open("inmate", peerA, ptPCMU), open("called", peerB, ptPCMU)
	rec := &countingWriter{}
	mixer, err := record.NewMixer(rec, record.Options{})
	if err != nil {
		f.Fatal(err)
	}
	a.bridge.Store(&bridgeTo{to: b, mixer: mixer, side: record.LegA, fail: func(error) {}})
	b.bridge.Store(&bridgeTo{to: a, mixer: mixer, side: record.LegB, fail: func(error) {}})
	f.Cleanup(func() {
		a.bridge.Store(nil)
		b.bridge.Store(nil)
		a.close()
		b.close()
		if _, err := mixer.Finish(); err != nil {
			f.Errorf("recording: %v", err)
		}
		peerA.Close()
		peerB.Close()
	})
	aAddr := netip.AddrPortFrom(lo, uint16(a.port))

	var probe uint32
	buf := make([]byte, 2048)
	// forwards sends a valid PCMU packet (a fresh SSRC each time: a new segment that no
	// earlier input can make look late) and waits for it at the other leg's peer.
	forwards := func(t *testing.T) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			probe++
			h := rtp.Header{Version: 2, PayloadType: ptPCMU, SequenceNumber: uint16(probe), Timestamp: probe * 160, SSRC: 0xA0000000 | probe}
			payload := bytes.Repeat([]byte{0x7F}, 160)
			binary.BigEndian.PutUint32(payload, probe)
			pkt, _ := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
			if _, err := peerA.WriteToUDPAddrPort(pkt, aAddr); err != nil {
				t.Fatal(err)
			}
			_ = peerB.SetReadDeadline(time.Now().Add(time.Second))
			for {
				n, err := peerB.Read(buf)
				if err != nil {
					break // resend
				}
				var got rtp.Packet
				if got.Unmarshal(buf[:n]) == nil && got.PayloadType == ptPCMU && len(got.Payload) == 160 &&
					binary.BigEndian.Uint32(got.Payload) == probe {
					return
				}
			}
		}
		t.Fatal("the leg no longer forwards audio")
	}

	valid, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: ptPCMU, SequenceNumber: 1, Timestamp: 160, SSRC: 7},
		Payload: bytes.Repeat([]byte{0x55}, 160)}).Marshal()
	pcma, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: ptPCMA, SequenceNumber: 2, Timestamp: 400, SSRC: 7},
		Payload: bytes.Repeat([]byte{0xD5}, 240)}).Marshal()
	dtmfPkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Marker: true, SequenceNumber: 3, Timestamp: 640, SSRC: 7},
		Payload: []byte{0x05, 0x0A, 0x00, 0xA0}}).Marshal()
	padded, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, Padding: true, PayloadType: ptPCMU, SequenceNumber: 4, Timestamp: 800, SSRC: 7},
		Payload: bytes.Repeat([]byte{0x55}, 160), PaddingSize: 4}).Marshal()
	ext := rtp.Header{Version: 2, PayloadType: ptPCMU, SequenceNumber: 5, Timestamp: 960, SSRC: 7, CSRC: []uint32{1, 2}}
	_ = ext.SetExtension(1, []byte{1, 2, 3})
	extPkt, _ := (&rtp.Packet{Header: ext, Payload: bytes.Repeat([]byte{0x55}, 160)}).Marshal()
	for _, seed := range [][]byte{valid, pcma, dtmfPkt, padded, extPkt,
		{}, {0x80}, []byte("hello, this is not RTP"),
		{0x80, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1},
		{0x8F, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2},
		{0x90, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE, 0xFF, 0xFF},
		{0xA0, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 5, 200},
		{0x80, 101, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 1},
		{0x81, 0xC8, 0, 6, 0, 0, 0, 1}, // RTCP sender report on the RTP port
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) > 65000 {
			return
		}
		if _, err := peerA.WriteToUDPAddrPort(pkt, aAddr); err != nil {
			t.Fatal(err)
		}
		forwards(t)
		// Digits go to a channel nobody reads here: drain it as the IVR would.
		a.drainDigits()
	})
}
