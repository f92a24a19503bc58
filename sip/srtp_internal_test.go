package sip

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/pion/rtp"
)

func TestParseCrypto(t *testing.T) {
	key := bytes.Repeat([]byte{7}, keySaltLen)
	inline := base64.StdEncoding.EncodeToString(key)
	k, ok := parseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + inline)
	if !ok || k.tag != 1 || k.suite != suite80 || !bytes.Equal(k.key[:], key) {
		t.Fatalf("valid line: %v %+v", ok, k)
	}
	if k, ok := parseCrypto("7 AES_CM_128_HMAC_SHA1_32 inline:" + inline); !ok || k.tag != 7 || k.suite != suite32 {
		t.Errorf("_32 suite: %v %+v", ok, k)
	}
	if back, ok := parseCrypto(k.attr()); !ok || back != k {
		t.Errorf("attr does not parse back: %q", k.attr())
	}
	bad := map[string]string{
		"other suite":     "1 AEAD_AES_128_GCM inline:" + inline,
		"MKI":             "1 AES_CM_128_HMAC_SHA1_80 inline:" + inline + "|2^20|1:4",
		"session params":  "1 AES_CM_128_HMAC_SHA1_80 inline:" + inline + " KDR=1",
		"short key":       "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(key[:20]),
		"not base64":      "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!",
		"no inline":       "1 AES_CM_128_HMAC_SHA1_80 " + inline,
		"negative tag":    "-1 AES_CM_128_HMAC_SHA1_80 inline:" + inline,
		"tag not numeric": "x AES_CM_128_HMAC_SHA1_80 inline:" + inline,
		"empty":           "",
	}
	for name, v := range bad {
		if _, ok := parseCrypto(v); ok {
			t.Errorf("%s accepted: %q", name, v)
		}
	}
}

const savpOffer = "v=0\r\no=x 1 1 IN IP4 192.0.2.10\r\ns=x\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" +
	"m=audio 4000 RTP/SAVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"

func TestParseSDPSRTP(t *testing.T) {
	line := newSDESKey(3, suite80).attr()
	m, err := parseSDP([]byte(savpOffer + "a=crypto:1 AEAD_AES_256_GCM inline:xyz\r\na=crypto:" + line + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !m.savp || !m.hasCrypto || m.crypto.tag != 3 {
		t.Errorf("SAVP offer: savp %v crypto %v tag %d (the first supported line is taken)", m.savp, m.hasCrypto, m.crypto.tag)
	}
	if _, err := parseSDP([]byte(savpOffer)); err == nil {
		t.Error("SAVP without a key accepted")
	}
	if _, err := parseSDP([]byte(savpOffer + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short\r\n")); err == nil {
		t.Error("SAVP with an unusable key accepted")
	}
	m.ourCrypto = newSDESKey(3, suite80).attr()
	body, err := buildSDP(m.addr.Addr(), 5000, 1, m, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "m=audio 5000 RTP/SAVP 0 101") || !strings.Contains(string(body), "a=crypto:"+m.ourCrypto) {
		t.Errorf("answer:\n%s", body)
	}
	plain, _ := buildSDP(m.addr.Addr(), 5000, 1, mediaDesc{audioPT: 0}, false)
	if strings.Contains(string(plain), "crypto") || strings.Contains(string(plain), "SAVP") {
		t.Errorf("plain answer with SRTP:\n%s", plain)
	}
}

// Two sessions with crossed keys talk; a forged or replayed packet is refused.
func TestSRTPSession(t *testing.T) {
	a, b := newSDESKey(1, suite80), newSDESKey(1, suite80)
	sa, err := newSRTPSession(a, b)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := newSRTPSession(b, a)
	if err != nil {
		t.Fatal(err)
	}
	h := rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 9, Timestamp: 160, SSRC: 42}
	plain, _ := h.Marshal()
	plain = append(plain, bytes.Repeat([]byte{0x55}, 160)...)
	enc, err := sa.encrypt(plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(enc, bytes.Repeat([]byte{0x55}, 16)) || len(enc) != len(plain)+10 {
		t.Fatalf("not encrypted (len %d)", len(enc))
	}
	sent := append([]byte(nil), enc...)
	dec, err := sb.decrypt(sent)
	if err != nil || !bytes.Equal(dec, plain) {
		t.Fatalf("decrypt: %v", err)
	}
	if _, err := sb.decrypt(sent); err == nil {
		t.Error("replay accepted")
	}
	h.SequenceNumber++
	plain2, _ := h.Marshal()
	plain2 = append(plain2, bytes.Repeat([]byte{0x55}, 160)...)
	enc, _ = sa.encrypt(plain2)
	forged := append([]byte(nil), enc...)
	forged[20] ^= 1
	if _, err := sb.decrypt(forged); err == nil {
		t.Error("forged packet accepted")
	}
	if _, err := sb.decrypt(plain2); err == nil {
		t.Error("plain RTP accepted on an SRTP leg")
	}
}

// BenchmarkSRTP measures protect and unprotect of one 20 ms G.711 packet, the per-packet
// cost SRTP adds to a leg (allocations should be 0).
func BenchmarkSRTP(b *testing.B) {
	ka, kb := newSDESKey(1, suite80), newSDESKey(1, suite80)
	tx, _ := newSRTPSession(ka, kb)
	rx, _ := newSRTPSession(kb, ka)
	h := rtp.Header{Version: 2, PayloadType: 0, SSRC: 42}
	pkt := make([]byte, 12+160)
	wire := make([]byte, 0, maxPacket)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.SequenceNumber, h.Timestamp = uint16(i), uint32(i*160)
		_, _ = h.MarshalTo(pkt)
		enc, err := tx.encrypt(pkt)
		if err != nil {
			b.Fatal(err)
		}
		wire = append(wire[:0], enc...)
		if _, err := rx.decrypt(wire); err != nil {
			b.Fatal(err)
		}
	}
}
