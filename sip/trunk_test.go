package sip_test

import (
	"bytes"
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"parley.dev/parley"
	"parley.dev/parley/media"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/media/tone"
	"parley.dev/parley/media/wav"
	"parley.dev/parley/sip"
	"parley.dev/parley/sip/siptest"
)

const (
	trunkUser     = "parley-acct"
	trunkPassword = "carrier-s3cret"
)

// withCarrier starts a TLS carrier with a test CA and points the server at it: a TLS
// listener of its own (certificate from the same CA), the CA as the trunk's roots, and
// password as the trunk password.
func withCarrier(t *testing.T, password string, more func(*sip.Config)) (option, *siptest.Carrier) {
	t.Helper()
	ca, err := siptest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	ips := []net.IP{net.ParseIP(gatewayIP.String())}
	carrierTLS, err := ca.ServerConfig(ips...)
	if err != nil {
		t.Fatal(err)
	}
	parleyTLS, err := ca.ServerConfig(ips...)
	if err != nil {
		t.Fatal(err)
	}
	carrier, err := siptest.NewCarrier(gatewayIP, carrierTLS, ca.ClientConfig(), trunkUser, trunkPassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(carrier.Close)
	return func(c *sip.Config, _ *harness) {
		c.Trunk = carrier.URI()
		c.TrunkUser, c.TrunkPassword = trunkUser, password
		c.TrunkTLS = ca.ClientConfig()
		c.TLSAddr, c.TLS = "127.0.0.1:0", parleyTLS
		if more != nil {
			more(c)
		}
	}, carrier
}

// carrierCall waits for the call answered by the carrier and its announcement, then
// presses key.
func carrierCall(t *testing.T, carrier *siptest.Carrier, key string) *siptest.TrunkCall {
	t.Helper()
	var tc *siptest.TrunkCall
	select {
	case tc = <-carrier.Calls:
	case <-time.After(guard):
		t.Fatal("no call reached the carrier")
	}
	t.Cleanup(tc.Media.Close)
	waitFor(t, "the announcement", func() bool { return siptest.LoudFrames(tc.Media.Received()) >= 5 })
	tc.Media.SendDigits(key)
	return tc
}

// A call from the gateway (UDP, RTP) goes out to the carrier over TLS with digest
// credentials and SRTP: each party hears the other's tone (decrypted by the carrier with
// the key parley sent, by parley with the carrier's), the recording holds both, and the
// carrier's BYE comes back over TLS.
func TestTrunkTLSDigestSRTP(t *testing.T) {
	opt, carrier := withCarrier(t, trunkPassword, nil)
	h := newHarness(t, opt)
	p := h.phone()
	h.dial(p, pin, dialed)
	tc := carrierCall(t, carrier, "1")
	offer := <-carrier.Offers
	if !bytes.Contains(offer, []byte("RTP/SAVP")) || !bytes.Contains(offer, []byte("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")) {
		t.Fatalf("offer to the carrier without SRTP:\n%s", offer)
	}
	p.Media.SetTone(toneA)
	tc.Media.SetTone(toneB)
	waitFor(t, "both sides to hear each other", func() bool {
		return siptest.ToneFrames(p.Media.Received(), toneB) >= heardMany &&
			siptest.ToneFrames(tc.Media.Received(), toneA) >= heardMany
	})
	if n := tc.Media.SRTPFailures(); n != 0 {
		t.Errorf("the carrier could not authenticate %d packets from parley", n)
	}
	heardA := siptest.ToneFrames(tc.Media.Received(), toneA)
	heardB := siptest.ToneFrames(p.Media.Received(), toneB)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := tc.Hangup(ctx); err != nil { // over TLS to parley's Contact
		t.Fatalf("carrier BYE: %v", err)
	}
	waitClosed(t, "the inmate's leg to end", p.Ended())
	rec, _ := h.final()
	if rec.Status != parley.CallCompleted || rec.Reason != "called_party_hangup" {
		t.Errorf("record %s %q", rec.Status, rec.Reason)
	}
	select {
	case m := <-carrier.Refused:
		t.Errorf("the carrier refused parley's credentials on %s", m)
	default:
	}
	data, closed, _ := h.recorder.Writers()[0].State()
	if !closed {
		t.Fatal("recording not closed")
	}
	_, pcm, err := wav.ReadAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	left, right := make([]int16, len(pcm)/2), make([]int16, len(pcm)/2)
	for i := range left {
		left[i], right[i] = pcm[2*i], pcm[2*i+1]
	}
	if n := siptest.ToneFrames(left, toneA); n < heardA*8/10 {
		t.Errorf("left channel: %d frames of tone A, the carrier heard %d", n, heardA)
	}
	if n := siptest.ToneFrames(right, toneB); n < heardB*8/10 || n == 0 {
		t.Errorf("right channel: %d frames of the carrier's tone B (decrypted), the inmate heard %d", n, heardB)
	}
}

// A wrong trunk password is refused by the carrier; the call ends as dropped with reason
// trunk_auth_failed, the inmate hears goodbye, and no call is connected.
func TestTrunkWrongPassword(t *testing.T) {
	opt, carrier := withCarrier(t, "not-the-password", nil)
	h := newHarness(t, opt)
	p := h.phone()
	h.dial(p, pin, dialed)
	waitClosed(t, "the inmate's leg to end", p.Ended())
	rec, hist := h.final()
	if rec.Status != parley.CallDropped || rec.Reason != "trunk_auth_failed" {
		t.Errorf("record %s %q", rec.Status, rec.Reason)
	}
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallDropped) {
		t.Errorf("statuses %v", hist)
	}
	select {
	case m := <-carrier.Refused:
		if m != "INVITE" {
			t.Errorf("refused %s", m)
		}
	default:
		t.Error("the carrier saw no wrong credentials")
	}
	if !slices.Contains(h.playedPrompts(), "inmate goodbye") {
		t.Errorf("prompts %v", h.playedPrompts())
	}
	if len(carrier.Calls) != 0 {
		t.Error("the carrier answered")
	}
	if n := len(carrier.Invites); n != 3 {
		t.Errorf("%d INVITEs, want 3 (none, then the credentials and their retry on a fresh nonce)", n)
	}
}

// With SRTP required, a carrier that answers plain RTP is hung up on: dropped with
// reason trunk_no_srtp.
func TestTrunkSRTPRequired(t *testing.T) {
	opt, carrier := withCarrier(t, trunkPassword, nil)
	carrier.SetPlainAnswer(true)
	h := newHarness(t, opt)
	p := h.phone()
	h.dial(p, pin, dialed)
	rec, _ := h.final()
	if rec.Status != parley.CallDropped || rec.Reason != "trunk_no_srtp" {
		t.Errorf("record %s %q", rec.Status, rec.Reason)
	}
	if offer := <-carrier.Offers; !bytes.Contains(offer, []byte("RTP/SAVP")) {
		t.Errorf("offer without SRTP:\n%s", offer)
	}
	if n := h.recorder.Writers(); len(n) != 0 {
		t.Errorf("%d recordings of a call never connected", len(n))
	}
}

// With SRTP off, a TLS trunk gets plain RTP/AVP and no key.
func TestTrunkSRTPOff(t *testing.T) {
	opt, carrier := withCarrier(t, trunkPassword, func(c *sip.Config) { c.TrunkSRTP = sip.SRTPOff })
	h := newHarness(t, opt)
	p := h.phone()
	h.dial(p, pin, dialed)
	tc := carrierCall(t, carrier, "1")
	offer := <-carrier.Offers
	if bytes.Contains(offer, []byte("SAVP")) || bytes.Contains(offer, []byte("crypto")) {
		t.Fatalf("SRTP offered while off:\n%s", offer)
	}
	tc.Media.SetTone(toneB)
	waitFor(t, "the inmate to hear the carrier", func() bool { return siptest.ToneFrames(p.Media.Received(), toneB) >= heardMany })
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the carrier's leg to end", tc.Ended())
	if rec, _ := h.final(); rec.Status != parley.CallCompleted {
		t.Errorf("record %s %q", rec.Status, rec.Reason)
	}
}

// parley registers with the carrier (answering its digest challenge), refreshes before
// the granted lifetime ends in the same Call-ID with a higher CSeq, and reports it.
func TestTrunkRegister(t *testing.T) {
	opt, carrier := withCarrier(t, trunkPassword, func(c *sip.Config) { c.TrunkRegister = true })
	carrier.RegisterExpires = 2 // refreshed after 1 s
	h := newHarness(t, opt)
	var regs []siptest.Registration
	for len(regs) < 2 {
		select {
		case r := <-carrier.Registers:
			regs = append(regs, r)
		case <-time.After(guard):
			t.Fatalf("%d registrations", len(regs))
		}
	}
	if regs[0].CallID != regs[1].CallID || regs[1].CSeq <= regs[0].CSeq {
		t.Errorf("refresh not in the same registration: %+v", regs)
	}
	if !strings.Contains(regs[0].Contact, trunkUser+"@") || !strings.Contains(regs[0].Contact, "transport=tls") {
		t.Errorf("contact %q", regs[0].Contact)
	}
	if regs[0].Expires != "3600" {
		t.Errorf("expires asked %q", regs[0].Expires)
	}
	if ok, until := h.srv.TrunkRegistration(); !ok || until.IsZero() {
		t.Errorf("registration %v %v", ok, until)
	}
}

// A registration with a wrong password is refused and retried after a back-off; the
// server does not report itself registered.
func TestTrunkRegisterRefused(t *testing.T) {
	sip.SetTrunkRetry(t, 50*time.Millisecond)
	opt, carrier := withCarrier(t, "wrong", func(c *sip.Config) { c.TrunkRegister = true })
	h := newHarness(t, opt)
	for i := range 2 { // the first attempt and its retry
		select {
		case m := <-carrier.Refused:
			if m != "REGISTER" {
				t.Errorf("refused %s", m)
			}
		case <-time.After(guard):
			t.Fatalf("attempt %d not seen", i+1)
		}
	}
	if ok, _ := h.srv.TrunkRegistration(); ok {
		t.Error("registered with a wrong password")
	}
	if len(carrier.Registers) != 0 {
		t.Error("the carrier accepted a registration")
	}
}

// A gateway's phone calls over TLS offering SRTP: parley answers RTP/SAVP with its own
// key, both sides hear each other (the phone's SRTP decrypted by parley and relayed to a
// plain trunk, the trunk's audio encrypted for the phone), and the phone's BYE comes over
// TLS.
func TestPhoneTLSSRTP(t *testing.T) {
	ca, err := siptest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	srvTLS, err := ca.ServerConfig(net.ParseIP(gatewayIP.String()))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *sip.Config, _ *harness) { c.TLSAddr, c.TLS = "127.0.0.1:0", srvTLS })
	p, err := siptest.NewPhoneTLS(gatewayIP, ca.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.Transport, p.SRTPKey = "tls", siptest.NewSRTPKey()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if code, err := p.Call(ctx, h.srv.TLSAddr(), device, nil); err != nil || code != 200 {
		t.Fatalf("call over TLS: %d %v", code, err)
	}
	if !bytes.Contains(p.Answer, []byte("RTP/SAVP")) || !bytes.Contains(p.Answer, []byte("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")) {
		t.Fatalf("answer without SRTP:\n%s", p.Answer)
	}
	if _, theirs, _ := siptest.ParseCrypto(p.Answer); bytes.Equal(theirs, p.SRTPKey) {
		t.Fatal("parley answered with the phone's own key")
	}
	tc := bridgedCall(t, h, p)
	if n := p.Media.SRTPFailures(); n != 0 {
		t.Errorf("the phone could not authenticate %d packets", n)
	}
	// Plain RTP of a third tone, sent from the phone's own address, is not authentic: it
	// never reaches the trunk. The phone's SRTP tone heard after it proves it was read.
	const forgedTone = 2200.0
	before := siptest.ToneFrames(tc.Media.Received(), toneA)
	sine := tone.NewSine(forgedTone, 8000, media.SampleRate)
	pcm, payload := make([]int16, media.Frame20), make([]byte, media.Frame20)
	for i := range 50 {
		sine.Fill(pcm)
		g711.UlawEncode(payload, pcm)
		hdr := rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(60000 + i), Timestamp: uint32(i * 160), SSRC: 0x0f0f}
		pkt, _ := hdr.Marshal()
		p.Media.SendRaw(append(pkt, payload...))
	}
	waitFor(t, "the phone's tone after the forged packets", func() bool {
		return siptest.ToneFrames(tc.Media.Received(), toneA) >= before+heardMany
	})
	if n := siptest.ToneFrames(tc.Media.Received(), forgedTone); n != 0 {
		t.Errorf("plain RTP relayed on an SRTP leg: %d frames", n)
	}
	// A re-INVITE in the dialog over TLS is answered, the key unchanged; over UDP it is
	// refused: its answer would carry the key in clear.
	refresh := siptest.WithSRTP(siptest.OfferSDP(p.Media.Addr(), "0 8 101", 20), p.SRTPKey)
	code, body, err := p.ReInvite(ctx, refresh)
	if _, again, _ := siptest.ParseCrypto(body); err != nil || code != 200 || !bytes.Contains(p.Answer, []byte(siptest.CryptoLine(again))) {
		t.Errorf("re-INVITE over TLS: %d %v\n%s", code, err, body)
	}
	if code, body, err := p.ReInviteUDP(ctx, h.srv.UDPAddr(), refresh); err != nil || code != 488 || bytes.Contains(body, []byte("crypto")) {
		t.Errorf("re-INVITE over UDP: %d %v\n%s", code, err, body)
	}
	if err := p.Hangup(ctx); err != nil {
		t.Fatalf("BYE over TLS: %v", err)
	}
	rec, _ := h.final()
	if rec.Status != parley.CallCompleted || rec.Reason != "inmate_hangup" {
		t.Errorf("record %s %q", rec.Status, rec.Reason)
	}
}

// SDES keys offered over plain signalling are refused (488) before any call record: the
// key has travelled in clear.
func TestSRTPOverUDPRefused(t *testing.T) {
	h := newHarness(t)
	p, err := siptest.NewPhone(gatewayIP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.SRTPKey = siptest.NewSRTPKey()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	code, err := p.Call(ctx, h.srv.UDPAddr(), device, nil)
	if err != nil || code != 488 {
		t.Fatalf("SRTP over UDP: %d %v, want 488", code, err)
	}
	if recs, _ := h.calls.All(); len(recs) != 0 {
		t.Errorf("%d call records", len(recs))
	}
}

// With SRTP optional, the offer is RTP/AVP with a key: a carrier that answers with its key
// gets SRTP, one that ignores it gets plain RTP; both calls carry audio.
func TestTrunkSRTPOptional(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(map[bool]string{false: "srtp", true: "plain"}[plain], func(t *testing.T) {
			opt, carrier := withCarrier(t, trunkPassword, func(c *sip.Config) { c.TrunkSRTP = sip.SRTPOptional })
			carrier.SetPlainAnswer(plain)
			h := newHarness(t, opt)
			p := h.phone()
			h.dial(p, pin, dialed)
			tc := carrierCall(t, carrier, "1")
			offer := <-carrier.Offers
			if !bytes.Contains(offer, []byte(" RTP/AVP ")) || !bytes.Contains(offer, []byte("a=crypto:1 ")) {
				t.Fatalf("optional offer:\n%s", offer)
			}
			p.Media.SetTone(toneA)
			tc.Media.SetTone(toneB)
			waitFor(t, "both sides to hear each other", func() bool {
				return siptest.ToneFrames(p.Media.Received(), toneB) >= heardMany &&
					siptest.ToneFrames(tc.Media.Received(), toneA) >= heardMany
			})
			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			if err := p.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			waitClosed(t, "the carrier's leg to end", tc.Ended())
			h.final()
		})
	}
}

// The carrier's certificate is verified: without the test CA among the trunk's roots the
// TLS handshake fails, no INVITE reaches the carrier, and the call ends as
// trunk_unreachable.
func TestTrunkCertificateVerified(t *testing.T) {
	opt, carrier := withCarrier(t, trunkPassword, func(c *sip.Config) { c.TrunkTLS = nil })
	h := newHarness(t, opt)
	p := h.phone()
	h.dial(p, pin, dialed)
	rec, _ := h.final()
	if rec.Status != parley.CallDropped || rec.Reason != "trunk_unreachable" {
		t.Errorf("record %s %q", rec.Status, rec.Reason)
	}
	if len(carrier.Invites) != 0 {
		t.Error("a request reached the carrier over an unverified connection")
	}
}

// A verification call through a TLS carrier authenticates and speaks the code over SRTP:
// the carrier, decrypting, hears the six digits twice.
func TestSendCodeTLS(t *testing.T) {
	opt, carrier := withCarrier(t, trunkPassword, nil)
	h := newHarness(t, opt, func(_ *sip.Config, h *harness) { h.prompts = nil })
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.srv.SendCode(ctx, number, "493817") }()
	select {
	case c := <-carrier.Calls:
		t.Cleanup(c.Media.Close)
		if err := <-done; err != nil {
			t.Fatalf("SendCode: %v", err)
		}
		waitClosed(t, "the hang-up", c.Ended())
		first, second, err := siptest.SpokenCode(c.Media.Received(), prompts.English)
		if err != nil || first != "493817" || second != "493817" {
			t.Fatalf("the carrier heard %q, then %q (%v)", first, second, err)
		}
	case err := <-done:
		t.Fatalf("SendCode returned before the carrier answered: %v", err)
	case <-ctx.Done():
		t.Fatal("no call reached the carrier")
	}
	if offer := <-carrier.Offers; !bytes.Contains(offer, []byte("RTP/SAVP")) {
		t.Errorf("verification call offered without SRTP:\n%s", offer)
	}
}
