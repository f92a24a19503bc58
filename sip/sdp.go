package sip

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"parley.dev/parley"
)

// Payload types parley offers.
const (
	ptPCMU        = 0
	ptPCMA        = 8
	ptDTMFDefault = 101
)

// mediaDesc is the negotiated audio of one leg, as seen from the remote side's SDP.
type mediaDesc struct {
	addr    netip.AddrPort // where the peer says it receives RTP
	audioPT uint8          // 0 (PCMU) or 8 (PCMA)
	dtmfPT  uint8
	hasDTMF bool
	ptime   int // 20 or 30 ms
	// formats are the G.711 payload types listed, in order (audioPT is the first).
	formats []uint8
	// dir is the peer's direction attribute: sendrecv (also when absent), sendonly,
	// recvonly or inactive.
	dir string
	// nullAddr: the connection address was 0.0.0.0 (RFC 2543 hold); addr is then invalid.
	nullAddr bool
	// savp: the stream is RTP/SAVP (SRTP); crypto is the peer's first supported a=crypto
	// key, when hasCrypto (see srtp.go).
	savp      bool
	crypto    sdesKey
	hasCrypto bool
	// ourCrypto is the a=crypto value parley puts in its own SDP (buildSDP); empty: none.
	ourCrypto string
}

// Direction attributes (RFC 3264 §5.1).
const (
	dirSendRecv = "sendrecv"
	dirSendOnly = "sendonly"
	dirRecvOnly = "recvonly"
	dirInactive = "inactive"
)

// mirror returns the direction of an answer to an offer with direction d.
func mirror(d string) string {
	switch d {
	case dirSendOnly:
		return dirRecvOnly
	case dirRecvOnly:
		return dirSendOnly
	case dirInactive:
		return dirInactive
	}
	return dirSendRecv
}

// sends reports whether the peer sends media; receives whether it wants to receive it.
func (m mediaDesc) sends() bool {
	return !m.nullAddr && (m.dir == "" || m.dir == dirSendRecv || m.dir == dirSendOnly)
}
func (m mediaDesc) receives() bool {
	return !m.nullAddr && (m.dir == "" || m.dir == dirSendRecv || m.dir == dirRecvOnly)
}

// offers reports whether the payload type is among the G.711 formats listed.
func (m mediaDesc) offers(pt uint8) bool {
	for _, f := range m.formats {
		if f == pt {
			return true
		}
	}
	return false
}

// parseSDP is parseSDPHold refusing a null connection address (an initial offer or
// answer must say where to send).
func parseSDP(body []byte) (mediaDesc, error) {
	m, err := parseSDPHold(body)
	if err == nil && m.nullAddr {
		return mediaDesc{}, parley.Errorf("sip.parseSDP", parley.KindInvalid, "connection address is not an IP")
	}
	return m, err
}

// parseSDPHold reads the first audio stream of an SDP offer or answer and picks the first
// G.711 format the peer lists, its telephone-event payload type and its direction. A
// connection address 0.0.0.0 (hold, RFC 2543 style) sets nullAddr.
func parseSDPHold(body []byte) (mediaDesc, error) {
	const op = "sip.parseSDP"
	var m mediaDesc
	if len(body) == 0 {
		return m, parley.Errorf(op, parley.KindInvalid, "no SDP")
	}
	var s sdp.SessionDescription
	if err := s.UnmarshalString(string(body)); err != nil {
		return m, parley.Errorf(op, parley.KindInvalid, "malformed SDP")
	}
	for _, md := range s.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		proto := strings.Join(md.MediaName.Protos, "/")
		if proto != "RTP/AVP" && proto != "RTP/SAVP" {
			continue
		}
		m.savp = proto == "RTP/SAVP"
		m.crypto, m.hasCrypto = firstCrypto(md.Attributes)
		if m.savp && !m.hasCrypto {
			continue // SRTP without a key parley can use
		}
		ci := md.ConnectionInformation
		if ci == nil {
			ci = s.ConnectionInformation
		}
		if ci == nil || ci.Address == nil {
			return m, parley.Errorf(op, parley.KindInvalid, "no connection address")
		}
		ip, err := netip.ParseAddr(ci.Address.Address)
		if err != nil {
			return m, parley.Errorf(op, parley.KindInvalid, "connection address is not an IP")
		}
		port := md.MediaName.Port.Value
		if port <= 0 || port > 65535 {
			return m, parley.Errorf(op, parley.KindInvalid, "bad media port")
		}
		if ip.IsUnspecified() {
			m.nullAddr = true
		} else {
			m.addr = netip.AddrPortFrom(ip.Unmap(), uint16(port))
		}
		for _, f := range md.MediaName.Formats {
			if f == "0" || f == "8" {
				pt, _ := strconv.Atoi(f)
				m.formats = append(m.formats, uint8(pt))
			}
		}
		if len(m.formats) > 0 {
			m.audioPT = m.formats[0]
		} else {
			return m, parley.Errorf(op, parley.KindInvalid, "no G.711 format offered")
		}
		m.ptime = 20
		m.dir = dirSendRecv
		for _, a := range s.Attributes { // session level, overridden at media level
			switch a.Key {
			case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
				m.dir = a.Key
			}
		}
		for _, a := range md.Attributes {
			switch a.Key {
			case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
				m.dir = a.Key
			case "rtpmap":
				pt, enc, ok := strings.Cut(a.Value, " ")
				if !ok || !strings.HasPrefix(strings.ToLower(enc), "telephone-event/8000") {
					continue
				}
				if n, err := strconv.Atoi(pt); err == nil && n >= 96 && n <= 127 && !m.hasDTMF {
					m.dtmfPT, m.hasDTMF = uint8(n), true
				}
			case "ptime":
				if v, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil && v == 30 {
					m.ptime = 30
				}
			}
		}
		return m, nil
	}
	return mediaDesc{}, parley.Errorf(op, parley.KindInvalid, "no usable audio stream")
}

// firstCrypto returns the first a=crypto key of a supported suite.
func firstCrypto(attrs []sdp.Attribute) (sdesKey, bool) {
	for _, a := range attrs {
		if a.Key == "crypto" {
			if k, ok := parseCrypto(a.Value); ok {
				return k, true
			}
		}
	}
	return sdesKey{}, false
}

// buildSDP returns an SDP body for our side of a leg: an answer listing the one chosen
// format (and telephone-event if the peer offered it) with the direction mirroring the
// peer's, or, with offer set, the full offer PCMU, PCMA, telephone-event 101, sendrecv.
func buildSDP(ip netip.Addr, port int, sessionID uint64, m mediaDesc, offer bool) ([]byte, error) {
	return buildSDPVersion(ip, port, sessionID, sessionID, m, offer)
}

// buildSDPVersion is buildSDP with the origin's session version (raised by re-INVITE
// answers that change the session).
func buildSDPVersion(ip netip.Addr, port int, sessionID, version uint64, m mediaDesc, offer bool) ([]byte, error) {
	addrType := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		addrType = "IP6"
	}
	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:  "audio",
			Port:   sdp.RangedPort{Value: port},
			Protos: []string{"RTP", "AVP"},
		},
	}
	if m.savp {
		md.MediaName.Protos = []string{"RTP", "SAVP"}
	}
	if offer {
		md.WithCodec(ptPCMU, "PCMU", 8000, 0, "")
		md.WithCodec(ptPCMA, "PCMA", 8000, 0, "")
		md.WithCodec(ptDTMFDefault, "telephone-event", 8000, 0, "0-16")
	} else {
		name := "PCMU"
		if m.audioPT == ptPCMA {
			name = "PCMA"
		}
		md.WithCodec(m.audioPT, name, 8000, 0, "")
		if m.hasDTMF {
			md.WithCodec(m.dtmfPT, "telephone-event", 8000, 0, "0-16")
		}
	}
	ptime := m.ptime
	if offer || ptime == 0 {
		ptime = 20
	}
	md.WithValueAttribute("ptime", strconv.Itoa(ptime))
	dir := dirSendRecv
	if !offer {
		dir = mirror(m.dir)
	}
	md.WithPropertyAttribute(dir)
	if m.ourCrypto != "" {
		md.WithValueAttribute("crypto", m.ourCrypto)
	}
	s := sdp.SessionDescription{
		Origin: sdp.Origin{
			Username: "parley", SessionID: sessionID, SessionVersion: version,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: ip.Unmap().String(),
		},
		SessionName: "parley",
		ConnectionInformation: &sdp.ConnectionInformation{
			NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: ip.Unmap().String()},
		},
		TimeDescriptions:  []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions: []*sdp.MediaDescription{md},
	}
	b, err := s.Marshal()
	if err != nil {
		return nil, parley.WrapError("sip.buildSDP", parley.KindInternal, err)
	}
	return b, nil
}
