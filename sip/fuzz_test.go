package sip_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/sip"
	"parley.dev/parley/sip/siptest"

	sipmsg "github.com/emiago/sipgo/sip"
)

// fuzzShutdownGuard bounds the shutdown after fuzzing (a failure guard, not a measurement).
const fuzzShutdownGuard = 90 * time.Second

// fuzzServer is a running Server for a fuzz target: one per fuzzing process, shared by
// every input, so that what one input leaves behind (a half-open call, a transaction)
// is still there for the next.
type fuzzServer struct {
	srv   *sip.Server
	conn  *net.UDPConn // the trusted gateway's socket: inputs reach the INVITE handler
	probe int
	buf   []byte
}

// newFuzzServer starts a Server with short timeouts (half-open calls end quickly) and
// registers the checks made when fuzzing ends: Shutdown completes, no call is left and
// the goroutines are back to what they were.
func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	goroutines := runtime.NumGoroutine()
	trunk, err := siptest.NewTrunk(gatewayIP)
	if err != nil {
		f.Fatal(err)
	}
	base := nextPortBlock()
	srv, err := sip.New(sip.Config{
		UDPAddr: "127.0.0.1:0", RTPPortMin: base, RTPPortMax: base + 38,
		Gateways: map[netip.Addr]string{gatewayIP: facility}, Trunk: trunk.URI(),
		DigitTimeout: time.Second, AnswerTimeout: time.Second, AcceptTimeout: time.Second,
		MediaTimeout: 2 * time.Second,
	}, sip.Deps{
		Calls: siptest.NewCalls(), Recorder: &siptest.Recorder{Verdict: parley.RecordVerdict{Record: true}},
		Policy:  &siptest.FixedPolicy{PINs: map[string]siptest.Inmate{pin: {ID: inmateID, Name: "J. Doe"}}},
		Prompts: siptest.TonePrompts{}, Blocks: &siptest.Blocks{},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(gatewayIP, 0)))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		conn.Close()
		// A call answered but never ACKed (an INVITE among the inputs) is not interrupted
		// by Shutdown: it ends when sipgo gives up waiting for the ACK (64*T1, 32 s),
		// then tries a BYE (up to 10 s). The guard covers that.
		ctx, cancel := context.WithTimeout(context.Background(), fuzzShutdownGuard)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			f.Errorf("shutdown after fuzzing: %v (calls still active: %d)", err, srv.ActiveCalls())
		}
		if n := srv.ActiveCalls(); n != 0 {
			f.Errorf("%d calls left after shutdown", n)
		}
		trunk.Close()
		deadline := time.Now().Add(fuzzShutdownGuard)
		for runtime.NumGoroutine() > goroutines+2 {
			if time.Now().After(deadline) {
				stacks := make([]byte, 1<<20)
				stacks = stacks[:runtime.Stack(stacks, true)]
				f.Errorf("%d goroutines after shutdown, %d before start:\n%s", runtime.NumGoroutine(), goroutines, stacks)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	return &fuzzServer{srv: srv, conn: conn, buf: make([]byte, 65536)}
}

// alive sends an OPTIONS and waits for its 200, skipping whatever else arrives (answers
// to the fuzz input).
func (s *fuzzServer) alive(t *testing.T) {
	t.Helper()
	s.probe++
	callID := fmt.Sprintf("fuzz-probe-%d", s.probe)
	local := s.conn.LocalAddr().String()
	msg := "OPTIONS sip:parley@" + s.srv.UDPAddr().String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";rport;branch=z9hG4bK-" + callID + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=probe\r\nTo: <sip:parley@127.0.0.1>\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	deadline := time.Now().Add(guard)
	next := time.Now()
	for time.Now().Before(deadline) {
		if !time.Now().Before(next) { // UDP: send again until answered
			if _, err := s.conn.WriteToUDPAddrPort([]byte(msg), s.srv.UDPAddr()); err != nil {
				t.Fatal(err)
			}
			next = time.Now().Add(500 * time.Millisecond)
		}
		_ = s.conn.SetReadDeadline(next)
		n, err := s.conn.Read(s.buf)
		if err != nil {
			continue
		}
		got := s.buf[:n]
		if bytes.HasPrefix(got, []byte("SIP/2.0 200")) && bytes.Contains(got, []byte("Call-ID: "+callID+"\r\n")) {
			return
		}
		s.reply(t, got)
	}
	t.Fatalf("the server no longer answers OPTIONS")
}

// reply plays a phone that hangs up at once: an input that was an INVITE the server
// answered 200 gets its ACK and a BYE, so the call ends now rather than when the server
// gives up waiting for the ACK (32 s).
func (s *fuzzServer) reply(t *testing.T, data []byte) {
	msg, err := sipmsg.ParseMessage(data)
	if err != nil {
		return
	}
	res, ok := msg.(*sipmsg.Response)
	if !ok || res.StatusCode != 200 || res.CSeq() == nil || res.CSeq().MethodName != sipmsg.INVITE ||
		res.From() == nil || res.To() == nil || res.CallID() == nil {
		return
	}
	s.probe++
	local := s.conn.LocalAddr().String()
	target := "sip:parley@" + s.srv.UDPAddr().String()
	for i, method := range []string{"ACK", "BYE"} {
		cseq := res.CSeq().SeqNo
		if method == "BYE" {
			cseq++
		}
		req := fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;rport;branch=z9hG4bK-fuzz-%d-%d\r\n"+
			"Max-Forwards: 70\r\n%s\r\n%s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n",
			method, target, local, s.probe, i, res.From().String(), res.To().String(), res.CallID().Value(), cseq, method)
		if _, err := s.conn.WriteToUDPAddrPort([]byte(req), s.srv.UDPAddr()); err != nil {
			t.Fatal(err)
		}
	}
}

// sipSeeds returns the torture corpus and well-formed requests of every method parley
// handles, addressed to addr. The requests ask for responses at their source (rport),
// where reply answers them.
func sipSeeds(tb testing.TB, addr netip.AddrPort) [][]byte {
	files, err := filepath.Glob("testdata/torture/*.sip")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no torture corpus: %v", err)
	}
	var seeds [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	sdp := string(siptest.OfferSDP(netip.MustParseAddrPort("127.0.0.1:5998"), "0 8 101", 20))
	for _, m := range []struct{ method, extra, body string }{
		{"INVITE", "Contact: <sip:dev@127.0.0.1:5999>\r\nContent-Type: application/sdp\r\n", sdp},
		{"ACK", "", ""},
		{"BYE", "", ""},
		{"CANCEL", "", ""},
		{"INFO", "Content-Type: application/dtmf-relay\r\n", "Signal=5\r\nDuration=160\r\n"},
		{"OPTIONS", "", ""},
		{"REGISTER", "Contact: <sip:dev@127.0.0.1:5999>\r\nExpires: 3600\r\n", ""},
	} {
		seeds = append(seeds, []byte(m.method+" sip:parley@"+addr.String()+" SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-seed-"+strings.ToLower(m.method)+"\r\n"+
			"Max-Forwards: 70\r\nFrom: <sip:dev-7@127.0.0.1>;tag=seed\r\nTo: <sip:parley@127.0.0.1>\r\n"+
			"Call-ID: fuzz-seed-1\r\nCSeq: 1 "+m.method+"\r\n"+m.extra+
			fmt.Sprintf("Content-Length: %d\r\n\r\n", len(m.body))+m.body))
	}
	seeds = append(seeds, []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-x\r\n"+
		"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\nCall-ID: stray\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"))
	return seeds
}

// FuzzSIPMessage sends arbitrary bytes as one SIP datagram from the trusted gateway to a
// running Server. The server must not panic (a panic in any of its goroutines ends the
// fuzzing process), must still answer OPTIONS after every input, and when fuzzing ends
// must shut down with no call and no goroutine left behind.
func FuzzSIPMessage(f *testing.F) {
	s := newFuzzServer(f)
	for _, seed := range sipSeeds(f, s.srv.UDPAddr()) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > 65000 {
			return // not one UDP datagram
		}
		if _, err := s.conn.WriteToUDPAddrPort(msg, s.srv.UDPAddr()); err != nil {
			t.Fatal(err)
		}
		s.alive(t)
	})
}
