package sip_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/sip/siptest"
)

// normalCall runs a complete bridged call and checks it completed; it is the proof that
// the server survived whatever a test threw at it before.
func normalCall(t *testing.T, h *harness) {
	t.Helper()
	p := h.phone()
	tc := bridgedCall(t, h, p)
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the trunk leg to end", tc.Ended())
	rec, _ := h.final()
	if rec.Status != parley.CallCompleted {
		t.Errorf("after bad input, the call ended %q %q", rec.Status, rec.Reason)
	}
}

func TestUntrustedSource(t *testing.T) {
	h := newHarness(t)
	p, err := siptest.NewPhone(untrustedIP)
	if err != nil {
		t.Skipf("cannot bind %v: %v", untrustedIP, err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	code, err := p.Call(ctx, h.srv.UDPAddr(), device, nil)
	if err != nil || code != 403 {
		t.Fatalf("untrusted INVITE: %d %v, want 403", code, err)
	}
	if recs, _ := h.calls.All(); len(recs) != 0 {
		t.Errorf("call records for an untrusted INVITE: %+v", recs)
	}
	normalCall(t, h)
}

func TestMalformedSDP(t *testing.T) {
	h := newHarness(t)
	p, err := siptest.NewPhone(gatewayIP)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, body := range []string{
		"this is not SDP",
		"v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\n", // G.729 only
		"v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",                        // no c=
		"v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n", // SRTP
		"v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",    // hold
	} {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		code, err := p.Call(ctx, h.srv.UDPAddr(), device, []byte(body))
		cancel()
		if err != nil || code != 488 {
			t.Errorf("SDP %q: %d %v, want 488", body[:min(len(body), 20)], code, err)
		}
	}
	if recs, _ := h.calls.All(); len(recs) != 0 {
		t.Errorf("call records for refused INVITEs: %+v", recs)
	}
	normalCall(t, h)
}

func TestGarbageRTP(t *testing.T) {
	h := newHarness(t)
	p := h.phone()
	rtpAddr := p.Media.Remote()
	// The stranger is on another host: a packet from the gateway's own host could win
	// the latch before the phone's first packet, by design of symmetric RTP.
	stranger, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(untrustedIP, 0)))
	if err != nil {
		t.Skipf("cannot bind %v: %v", untrustedIP, err)
	}
	defer stranger.Close()
	garbage := [][]byte{
		{},
		{0x80},
		[]byte("hello, this is not RTP"),
		{0x80, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1},                         // header only
		{0x8F, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2},                   // 15 CSRCs announced, none there
		{0x90, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE, 0xFF, 0xFF}, // extension longer than the packet
		{0xA0, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 5, 200},                 // padding longer than the payload
		{0x80, 101, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 1},                       // truncated DTMF event
		make([]byte, 1400),
	}
	for range 3 {
		for _, g := range garbage {
			_, _ = stranger.WriteToUDPAddrPort(g, rtpAddr)
			p.Media.SendRaw(g) // from the latched address too
		}
	}
	tc := bridgedCall(t, h, p)
	for _, g := range garbage { // and while bridged
		p.Media.SendRaw(g)
		_, _ = stranger.WriteToUDPAddrPort(g, rtpAddr)
	}
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the trunk leg to end", tc.Ended())
	if rec, _ := h.final(); rec.Status != parley.CallCompleted {
		t.Errorf("status %q %q", rec.Status, rec.Reason)
	}
}

func TestTorture(t *testing.T) {
	h := newHarness(t)
	files, err := filepath.Glob("testdata/torture/*.sip")
	if err != nil || len(files) == 0 {
		t.Fatalf("no torture corpus: %v", err)
	}
	conn, err := net.Dial("udp", h.srv.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(b); err != nil {
			t.Logf("%s: %v", filepath.Base(f), err)
		}
	}
	if recs, _ := h.calls.All(); len(recs) != 0 {
		t.Errorf("call records from the torture corpus: %+v", recs)
	}
	normalCall(t, h)
}

func TestOptionsOverTCP(t *testing.T) {
	h := newHarness(t)
	addr := h.srv.TCPAddr()
	conn, err := net.DialTimeout("tcp", addr.String(), guard)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	fmt.Fprintf(conn, "OPTIONS sip:parley@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-opt1\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=9\r\nTo: <sip:parley@127.0.0.1>\r\n"+
		"Call-ID: options-tcp-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", addr, local)
	_ = conn.SetReadDeadline(time.Now().Add(guard))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over TCP: %q %v", line, err)
	}
}

func TestShutdownHangsUp(t *testing.T) {
	h := newHarness(t)
	p := h.phone()
	tc := bridgedCall(t, h, p)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the inmate leg to end", p.Ended())
	waitClosed(t, "the trunk leg to end", tc.Ended())
	rec, _ := h.final()
	if rec.Status != parley.CallDropped || rec.Reason != "shutdown" || rec.Recording != parley.RecordingStored {
		t.Errorf("record %q %q %q", rec.Status, rec.Reason, rec.Recording)
	}
}

// TestShutdownWithoutACK: a phone that gets our 200 OK and never acknowledges it must not
// hold up Shutdown: the wait for its ACK ends with the call.
func TestShutdownWithoutACK(t *testing.T) {
	h := newHarness(t)
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(gatewayIP, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	sdp := string(siptest.OfferSDP(netip.AddrPortFrom(gatewayIP, local.Port()+2), "0 101", 20))
	invite := "INVITE sip:parley@" + h.srv.UDPAddr().String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local.String() + ";rport;branch=z9hG4bK-noack-1\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:pod-9@" + gatewayIP.String() + ">;tag=noack\r\nTo: <sip:parley@" + gatewayIP.String() + ">\r\n" +
		"Call-ID: no-ack-1\r\nCSeq: 1 INVITE\r\nContact: <sip:pod-9@" + local.String() + ">\r\n" +
		"Content-Type: application/sdp\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(sdp)) + sdp
	if _, err := conn.WriteToUDPAddrPort([]byte(invite), h.srv.UDPAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for got200 := false; !got200; {
		conn.SetReadDeadline(time.Now().Add(guard))
		n, _, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no 200 OK to the INVITE: %v", err)
		}
		got200 = strings.HasPrefix(string(buf[:n]), "SIP/2.0 200")
	}
	// Never ACK. Shutdown must finish inside its own deadline (a guard, generous).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with an un-ACKed call: %v", err)
	}
	rec, _ := h.final()
	if rec.Status != parley.CallDropped {
		t.Errorf("record %q %q, want dropped", rec.Status, rec.Reason)
	}
}
