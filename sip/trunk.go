package sip

import (
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"parley.dev/parley"
)

// The trunk: TLS, digest credentials and SRTP towards the carrier.
//
// A "sips:" trunk URI, or one with ";transport=tls", is reached over TLS, its certificate
// verified (Config.TrunkTLS for a private CA); parley's Contact then names its TLS
// listener (Config.TLSAddr), so the trunk's requests in the dialog are encrypted too. A
// 401 or 407 to an INVITE is answered once with Config.TrunkUser and TrunkPassword; a
// second challenge ends the attempt with reason trunk_auth_failed. Media towards a TLS
// trunk follows Config.TrunkSRTP (see srtp.go); towards any other trunk it is plain RTP
// and no key is ever offered or accepted.

// trunkIsTLS reports whether the trunk URI asks for TLS.
func trunkIsTLS(u sip.Uri) bool {
	tr, _ := u.UriParams.Get("transport")
	return u.Scheme == "sips" || strings.EqualFold(tr, "tls")
}

// isTLS reports whether a request came over TLS.
func isTLS(req *sip.Request) bool {
	return strings.EqualFold(req.Transport(), "tls")
}

// tlsContact is parley's Contact on its TLS listener.
func (s *Server) tlsContact() *sip.ContactHeader {
	c := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "parley", Host: s.mediaIP.String(), Port: int(s.TLSAddr().Port())}}
	c.Address.UriParams = sip.NewParams()
	c.Address.UriParams.Add("transport", "tls")
	return c
}

// trunkRequest builds an INVITE of number through the trunk with the SDP offer.
func (s *Server) trunkRequest(number string, offer []byte) *sip.Request {
	uri := s.trunk
	uri.User = number
	req := sip.NewRequest(sip.INVITE, uri)
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "parley", Host: s.mediaIP.String()}}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: uri.Host, Port: uri.Port}})
	if s.trunkTLS {
		req.SetTransport("TLS")
	} else if tr, ok := uri.UriParams.Get("transport"); ok && tr != "" {
		req.SetTransport(tr)
	}
	return req
}

// answerOptions answers the trunk's digest challenges with the configured credentials.
func (s *Server) answerOptions(onResponse func(*sip.Response) error) sipgo.AnswerOptions {
	return sipgo.AnswerOptions{OnResponse: onResponse, Username: s.cfg.TrunkUser, Password: s.cfg.TrunkPassword}
}

// trunkOffer returns the SRTP part of an offer to the trunk (savp, ourCrypto) and the
// local key, nil for plain RTP.
func (s *Server) trunkOffer() (mediaDesc, *sdesKey) {
	if !s.trunkTLS || s.cfg.TrunkSRTP == SRTPOff {
		return mediaDesc{}, nil
	}
	k := newSDESKey(1, suite80)
	return mediaDesc{savp: s.cfg.TrunkSRTP == SRTPRequired, ourCrypto: k.attr()}, &k
}

// trunkAnswer checks the trunk's answer against the offer made with local (trunkOffer)
// and returns the leg's SRTP session, nil for plain RTP; an error when the answer does
// not give the SRTP the offer required.
func (s *Server) trunkAnswer(ans *mediaDesc, local *sdesKey) (*srtpSession, error) {
	const op = "sip.trunkAnswer"
	if local == nil {
		if ans.savp {
			return nil, parley.Errorf(op, parley.KindInvalid, "SRTP answer to a plain offer")
		}
		ans.hasCrypto = false
		return nil, nil
	}
	if !ans.hasCrypto {
		if s.cfg.TrunkSRTP == SRTPRequired {
			return nil, parley.Errorf(op, parley.KindInvalid, "answer without SRTP")
		}
		return nil, nil
	}
	if ans.crypto.tag != local.tag || ans.crypto.suite != local.suite ||
		s.cfg.TrunkSRTP == SRTPRequired && !ans.savp {
		return nil, parley.Errorf(op, parley.KindInvalid, "answer's SRTP does not match the offer")
	}
	ans.ourCrypto = local.attr()
	return newSRTPSession(*local, ans.crypto)
}

// inboundSRTP applies an inbound offer's SRTP: refused over plain signalling (the key
// would have travelled in clear); over TLS an offered key gets one of parley's in the
// answer (offer.ourCrypto) and the leg's session is returned; nil for plain RTP.
func (s *Server) inboundSRTP(offer *mediaDesc, secure bool) (*srtpSession, error) {
	switch {
	case offer.savp && !secure:
		return nil, parley.Errorf("sip.inboundSRTP", parley.KindInvalid, "SRTP offered over plain signalling")
	case !secure || !offer.hasCrypto:
		offer.hasCrypto = false
		return nil, nil
	}
	our := newSDESKey(offer.crypto.tag, offer.crypto.suite)
	offer.ourCrypto = our.attr()
	return newSRTPSession(our, offer.crypto)
}

// isAuthFailure reports whether a final response is a digest challenge (401 or 407):
// after answerOptions it means the trunk refused the credentials (or needs some).
func isAuthFailure(code int) bool {
	return code == sip.StatusUnauthorized || code == sip.StatusProxyAuthRequired
}
