package sip

import (
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	"parley.dev/parley/media/prompts"
)

func TestParseSDP(t *testing.T) {
	offer := "v=0\r\no=x 1 1 IN IP4 192.0.2.10\r\ns=x\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 18 8 0 96\r\na=rtpmap:96 telephone-event/8000\r\na=ptime:30\r\n"
	m, err := parseSDP([]byte(offer))
	if err != nil {
		t.Fatal(err)
	}
	want := mediaDesc{addr: netip.MustParseAddrPort("192.0.2.10:4000"), audioPT: 8, dtmfPT: 96, hasDTMF: true, ptime: 30,
		formats: []uint8{8, 0}, dir: dirSendRecv}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %+v, want %+v", m, want)
	}
	ans, err := buildSDP(netip.MustParseAddr("198.51.100.1"), 20000, 7, m, false)
	if err != nil {
		t.Fatal(err)
	}
	back, err := parseSDP(ans)
	if err != nil {
		t.Fatal(err)
	}
	if back.audioPT != 8 || back.dtmfPT != 96 || back.ptime != 30 || back.addr.Port() != 20000 {
		t.Errorf("answer %s parsed as %+v", ans, back)
	}
	off, err := buildSDP(netip.MustParseAddr("198.51.100.1"), 20002, 7, mediaDesc{}, true)
	if err != nil {
		t.Fatal(err)
	}
	o, err := parseSDP(off)
	if err != nil || o.audioPT != 0 || o.dtmfPT != 101 || o.ptime != 20 {
		t.Errorf("offer %s parsed as %+v %v", off, o, err)
	}
}

func TestSDPDirection(t *testing.T) {
	const base = "v=0\r\no=x 1 1 IN IP4 192.0.2.10\r\ns=x\r\nc=IN IP4 %s\r\nt=0 0\r\n%s" +
		"m=audio 4000 RTP/AVP 0\r\n%s"
	for _, tt := range []struct {
		conn, session, media string
		dir, answer          string
		null                 bool
	}{
		{"192.0.2.10", "", "", dirSendRecv, dirSendRecv, false},
		{"192.0.2.10", "", "a=sendonly\r\n", dirSendOnly, dirRecvOnly, false},
		{"192.0.2.10", "", "a=recvonly\r\n", dirRecvOnly, dirSendOnly, false},
		{"192.0.2.10", "a=inactive\r\n", "", dirInactive, dirInactive, false},
		{"192.0.2.10", "a=inactive\r\n", "a=sendrecv\r\n", dirSendRecv, dirSendRecv, false},
		{"0.0.0.0", "", "", dirSendRecv, dirSendRecv, true},
	} {
		body := []byte(fmt.Sprintf(base, tt.conn, tt.session, tt.media))
		m, err := parseSDPHold(body)
		if err != nil || m.dir != tt.dir || m.nullAddr != tt.null {
			t.Errorf("%q: %+v %v", body, m, err)
			continue
		}
		if mirror(m.dir) != tt.answer {
			t.Errorf("%s answered %s", m.dir, mirror(m.dir))
		}
		if _, err := parseSDP(body); (err != nil) != tt.null {
			t.Errorf("%q: parseSDP %v", body, err)
		}
	}
}

func TestEmbeddedPromptsLoad(t *testing.T) {
	c := &promptCache{src: embeddedPrompts{}}
	for _, id := range []prompts.ID{prompts.Welcome, prompts.EnterPIN, prompts.EnterNumber, prompts.Monitored, prompts.Private,
		prompts.AcceptMenu, prompts.InvalidPIN, prompts.NumberNotAllowed, prompts.OutsideHours,
		prompts.QuotaExceeded, prompts.Lockdown, prompts.NumberBlocked, prompts.CallRefused, prompts.Goodbye,
		prompts.InsufficientFunds, prompts.TechnicalProblem, prompts.TooSoon, prompts.TooManyCalls} {
		for _, lang := range []prompts.Lang{prompts.English, prompts.Spanish} {
			b, err := c.get(id, lang)
			if err != nil || len(b) == 0 || len(b)%prompts.FrameSize != 0 {
				t.Errorf("%s in %s: %d bytes, %v", id, lang, len(b), err)
			}
		}
	}
	en, _ := c.get(prompts.EnterPIN, prompts.English)
	es, _ := c.get(prompts.EnterPIN, prompts.Spanish)
	if string(en) == string(es) {
		t.Error("the cache returned one language for both")
	}
}
