package sip

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseSDP feeds arbitrary bodies to the SDP parser used for every offer and answer.
// It must never panic; what it accepts must be a usable description (G.711, a port, a
// packet time parley can pace, a direction), and the answer parley builds from it must
// parse back to the same choice.
func FuzzParseSDP(f *testing.F) {
	lo := netip.MustParseAddrPort("127.0.0.1:4000")
	f.Add(string(mustOffer(lo, "0 8 101", 20, "sendrecv")))
	f.Add(string(mustOffer(lo, "8 101", 30, "sendonly")))
	f.Add(string(mustOffer(lo, "18 0", 20, "inactive")))
	f.Add("v=0\r\no=x 1 1 IN IP4 0.0.0.0\r\ns=x\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n")
	f.Add("v=0\r\no=x 1 1 IN IP6 ::1\r\ns=x\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\n")
	f.Add("v=0\r\ns=x\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n")
	// The SDP bodies of the SIP fuzz corpus.
	files, _ := filepath.Glob("testdata/torture/*.sip")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			if _, body, ok := strings.Cut(string(b), "\r\n\r\n"); ok {
				f.Add(body)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		m, err := parseSDPHold([]byte(body))
		if err != nil {
			if _, err2 := parseSDP([]byte(body)); err2 == nil {
				t.Fatal("parseSDP accepts what parseSDPHold refuses")
			}
			return
		}
		if m.audioPT != ptPCMU && m.audioPT != ptPCMA || len(m.formats) == 0 || m.formats[0] != m.audioPT {
			t.Fatalf("audio %d formats %v", m.audioPT, m.formats)
		}
		if m.ptime != 20 && m.ptime != 30 {
			t.Fatalf("ptime %d", m.ptime)
		}
		if m.hasDTMF && (m.dtmfPT < 96 || m.dtmfPT > 127) {
			t.Fatalf("telephone-event on %d", m.dtmfPT)
		}
		switch m.dir {
		case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
		default:
			t.Fatalf("direction %q", m.dir)
		}
		if m.nullAddr == m.addr.IsValid() || (!m.nullAddr && m.addr.Port() == 0) {
			t.Fatalf("address %v null %v", m.addr, m.nullAddr)
		}
		if _, err := parseSDP([]byte(body)); (err == nil) == m.nullAddr {
			t.Fatalf("parseSDP on a null address: %v", err)
		}
		// parley's answer to it, read back as the peer would.
		answer, err := buildSDP(netip.MustParseAddr("192.0.2.1"), 20000, 7, m, false)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseSDP(answer)
		if err != nil {
			t.Fatalf("parley's answer does not parse: %v\n%s", err, answer)
		}
		if back.audioPT != m.audioPT || back.hasDTMF != m.hasDTMF || back.dtmfPT != m.dtmfPT ||
			back.ptime != m.ptime || back.dir != mirror(m.dir) {
			t.Fatalf("answer %+v to %+v", back, m)
		}
	})
}

// mustOffer is siptest.OfferSDPDir without the import cycle (package sip's own tests).
func mustOffer(addr netip.AddrPort, formats string, ptime int, dir string) []byte {
	var b strings.Builder
	b.WriteString("v=0\r\no=test 1 1 IN IP4 " + addr.Addr().String() + "\r\ns=test\r\nc=IN IP4 " + addr.Addr().String() + "\r\nt=0 0\r\n")
	b.WriteString("m=audio " + strconv.Itoa(int(addr.Port())) + " RTP/AVP " + formats + "\r\n")
	for _, f := range strings.Fields(formats) {
		switch f {
		case "0":
			b.WriteString("a=rtpmap:0 PCMU/8000\r\n")
		case "8":
			b.WriteString("a=rtpmap:8 PCMA/8000\r\n")
		case "101":
			b.WriteString("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n")
		}
	}
	b.WriteString("a=ptime:" + strconv.Itoa(ptime) + "\r\na=" + dir + "\r\n")
	return []byte(b.String())
}
