package siptest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pion/srtp/v3"
)

// SRTP for test peers (RFC 3711 with SDES keys, RFC 4568), with the suite
// AES_CM_128_HMAC_SHA1_80 only: the peer's own implementation, on pion/srtp, to check
// parley's against.

// SRTPSuite is the one suite test peers offer and accept.
const SRTPSuite = "AES_CM_128_HMAC_SHA1_80"

// NewSRTPKey returns a fresh 30-byte master key and salt.
func NewSRTPKey() []byte {
	k := make([]byte, 30)
	_, _ = rand.Read(k)
	return k
}

// CryptoLine is the a=crypto attribute of a key with tag 1.
func CryptoLine(key []byte) string {
	return "a=crypto:1 " + SRTPSuite + " inline:" + base64.StdEncoding.EncodeToString(key)
}

// ParseCrypto returns the tag and key of the first a=crypto line of an SDP body.
func ParseCrypto(body []byte) (tag string, key []byte, err error) {
	for _, line := range strings.Split(string(body), "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=crypto:")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) < 3 || f[1] != SRTPSuite {
			return "", nil, fmt.Errorf("unsupported crypto line")
		}
		k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(f[2], "inline:"))
		if err != nil || len(k) != 30 {
			return "", nil, fmt.Errorf("bad key")
		}
		return f[0], k, nil
	}
	return "", nil, fmt.Errorf("no a=crypto line")
}

// WithSRTP turns an SDP body made by OfferSDP into RTP/SAVP with the key in an a=crypto
// line.
func WithSRTP(body []byte, key []byte) []byte {
	s := strings.Replace(string(body), " RTP/AVP ", " RTP/SAVP ", 1)
	return []byte(s + CryptoLine(key) + "\r\n")
}

// mediaSRTP holds a peer's two SRTP contexts; tx is used by the send loop, rx by the
// read loop only.
type mediaSRTP struct {
	tx, rx *srtp.Context
}

// UseSRTP makes the endpoint encrypt what it sends with local and decrypt what it
// receives with remote (30-byte keys); packets that fail to decrypt are counted
// (SRTPFailures) and dropped. Call it before Start.
func (m *Media) UseSRTP(local, remote []byte) error {
	tx, err := srtp.CreateContext(local[:16], local[16:], srtp.ProtectionProfileAes128CmHmacSha1_80)
	if err != nil {
		return err
	}
	rx, err := srtp.CreateContext(remote[:16], remote[16:], srtp.ProtectionProfileAes128CmHmacSha1_80)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.srtp = &mediaSRTP{tx: tx, rx: rx}
	m.mu.Unlock()
	return nil
}

// SRTPFailures returns how many received packets failed SRTP authentication.
func (m *Media) SRTPFailures() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.srtpFailures
}
