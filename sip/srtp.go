package sip

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"parley.dev/parley"
)

// SRTP (RFC 3711) with SDES keys (RFC 4568).
//
// A leg signalled over TLS may carry SRTP: each side puts its own master key in an
// a=crypto line of its SDP and encrypts what it sends with it. parley supports the suites
// AES_CM_128_HMAC_SHA1_80 and _32, without MKI, lifetime or session parameters. Keys are
// put in SDP only on TLS-signalled legs and never logged. The encryption sits at the
// leg's socket (writeLocked, readLoop): the relay, the DTMF receiver and the recording
// see plain RTP.

// SRTPMode says whether the media of a TLS trunk is encrypted.
type SRTPMode string

const (
	// SRTPRequired offers RTP/SAVP with a=crypto; an answer without SRTP ends the call
	// (reason trunk_no_srtp). The default.
	SRTPRequired SRTPMode = "required"
	// SRTPOptional offers RTP/AVP with a=crypto (best effort): SRTP if the answer has a
	// key, plain RTP otherwise.
	SRTPOptional SRTPMode = "optional"
	// SRTPOff offers plain RTP/AVP.
	SRTPOff SRTPMode = "off"
)

const (
	suite80    = "AES_CM_128_HMAC_SHA1_80"
	suite32    = "AES_CM_128_HMAC_SHA1_32"
	keySaltLen = 30 // 16-byte master key and 14-byte master salt
	// replayWindow is how many packets back a received index is checked against replay
	// (RFC 3711 §3.3.2: at least 64).
	replayWindow = 128
)

// sdesKey is one a=crypto attribute: tag, suite and master key||salt.
type sdesKey struct {
	tag   int
	suite string
	key   [keySaltLen]byte
}

// newSDESKey draws a fresh master key and salt.
func newSDESKey(tag int, suite string) sdesKey {
	k := sdesKey{tag: tag, suite: suite}
	_, _ = rand.Read(k.key[:])
	return k
}

// attr is the attribute value: "1 AES_CM_128_HMAC_SHA1_80 inline:…".
func (k sdesKey) attr() string {
	return strconv.Itoa(k.tag) + " " + k.suite + " inline:" + base64.StdEncoding.EncodeToString(k.key[:])
}

// parseCrypto reads an a=crypto value; false for a suite or a form parley does not
// support (session parameters, a lifetime or an MKI).
func parseCrypto(v string) (sdesKey, bool) {
	var k sdesKey
	f := strings.Fields(v)
	if len(f) != 3 {
		return k, false
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return k, false
	}
	if f[1] != suite80 && f[1] != suite32 {
		return k, false
	}
	inline, ok := strings.CutPrefix(f[2], "inline:")
	if !ok || strings.Contains(inline, "|") {
		return k, false
	}
	raw, err := base64.StdEncoding.DecodeString(inline)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(inline)
	}
	if err != nil || len(raw) != keySaltLen {
		return k, false
	}
	k.tag, k.suite = tag, f[1]
	copy(k.key[:], raw)
	return k, true
}

func (k sdesKey) profile() srtp.ProtectionProfile {
	if k.suite == suite32 {
		return srtp.ProtectionProfileAes128CmHmacSha1_32
	}
	return srtp.ProtectionProfileAes128CmHmacSha1_80
}

// srtpSession encrypts what a leg sends with the local key and decrypts what it receives
// with the peer's. encrypt runs under the leg's sendMu, decrypt in its read goroutine:
// each context and buffer has one user at a time.
type srtpSession struct {
	tx, rx       *srtp.Context
	txBuf, rxBuf []byte
	txHdr, rxHdr rtp.Header
}

func newSRTPSession(local, remote sdesKey) (*srtpSession, error) {
	const op = "sip.newSRTPSession"
	tx, err := srtp.CreateContext(local.key[:16], local.key[16:], local.profile())
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInternal, err)
	}
	rx, err := srtp.CreateContext(remote.key[:16], remote.key[16:], remote.profile(), srtp.SRTPReplayProtection(replayWindow))
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	return &srtpSession{tx: tx, rx: rx, txBuf: make([]byte, maxPacket+16), rxBuf: make([]byte, maxPacket)}, nil
}

// encrypt returns the SRTP packet of an RTP packet, in a buffer reused by the next call.
func (s *srtpSession) encrypt(pkt []byte) ([]byte, error) {
	return s.tx.EncryptRTP(s.txBuf[:0], pkt, &s.txHdr)
}

// decrypt returns the RTP packet of an authentic SRTP packet, in a buffer reused by the
// next call; an error for a forged, replayed or malformed one.
func (s *srtpSession) decrypt(pkt []byte) ([]byte, error) {
	return s.rx.DecryptRTP(s.rxBuf[:0], pkt, &s.rxHdr)
}
