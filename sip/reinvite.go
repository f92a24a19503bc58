package sip

import (
	"bytes"
	"net/netip"

	"github.com/emiago/sipgo/sip"

	"parley.dev/parley/media/rtpstream"
)

// re-INVITE.
//
// Either party may send a re-INVITE in its established dialog: a session refresh (the
// same SDP), hold (a=sendonly or a=inactive, or the RFC 2543 c=0.0.0.0) and resume
// (a=sendrecv), or a move of its media to a new address. parley answers 200 with the
// codec and packet time negotiated at the start of the leg and its same media address,
// the direction mirroring the offer's (RFC 3264 §6.1); an offer without that codec is
// refused with 488 and the session is unchanged. While a peer holds, parley sends it
// nothing and does not time its silence out (Config.MediaTimeout); a new media address
// gets a new rtpstream.Latch. A re-INVITE without SDP is answered with parley's current
// SDP as the offer (the answer in the ACK is not used: nothing can change). Re-INVITEs
// are answered only; parley never sends one.

// ourSDP records the SDP parley sent for the leg (origin and last body).
func (l *leg) ourSDP(id uint64, body []byte) {
	l.reMu.Lock()
	l.sdpID, l.sdpVer, l.sdpLast = id, id, body
	l.reMu.Unlock()
}

// reinvite applies an offer received in the leg's dialog and returns the answer. code is
// the SIP status to send instead when it is not 200.
func (l *leg) reinvite(ip netip.Addr, body []byte, also netip.Addr) (answer []byte, code int) {
	l.reMu.Lock()
	defer l.reMu.Unlock()
	if l.latch.Load() == nil { // not started: the answer to our INVITE is being handled
		return nil, sip.StatusRequestPending
	}
	next := l.cur
	if len(body) > 0 {
		offer, err := parseSDPHold(body)
		if err != nil || !offer.offers(l.desc.audioPT) {
			return nil, sip.StatusNotAcceptableHere
		}
		next.dir, next.nullAddr = offer.dir, offer.nullAddr
		if !offer.nullAddr {
			next.addr = offer.addr
		}
		next.hasDTMF = l.desc.hasDTMF && offer.hasDTMF && offer.dtmfPT == l.desc.dtmfPT
	} else {
		next.dir, next.nullAddr = dirSendRecv, false
	}
	if next.addr != l.cur.addr {
		pts := []uint8{l.desc.audioPT}
		if l.desc.hasDTMF {
			pts = append(pts, l.desc.dtmfPT)
		}
		latch, err := rtpstream.NewLatch(next.addr, pts, also)
		if err != nil {
			return nil, sip.StatusNotAcceptableHere
		}
		l.latch.Store(latch)
		l.log.Info("peer media moved")
	}
	a := mediaDesc{audioPT: l.desc.audioPT, dtmfPT: l.desc.dtmfPT, hasDTMF: next.hasDTMF,
		ptime: l.desc.ptime, dir: next.dir, savp: l.desc.savp, ourCrypto: l.desc.ourCrypto}
	if next.nullAddr {
		a.dir = dirInactive
	}
	out, err := buildSDPVersion(ip, l.port, l.sdpID, l.sdpVer, a, false)
	if err == nil && !bytes.Equal(out, l.sdpLast) {
		l.sdpVer++
		out, err = buildSDPVersion(ip, l.port, l.sdpID, l.sdpVer, a, false)
	}
	if err != nil {
		return nil, sip.StatusInternalServerError
	}
	l.cur, l.sdpLast = next, out
	l.setDirection(next)
	return out, sip.StatusOK
}

// readRequester is the part of a sipgo dialog that checks an in-dialog request's CSeq.
type readRequester interface {
	ReadRequest(req *sip.Request, tx sip.ServerTransaction) error
}

// onReInvite handles an INVITE within the dialog of either leg.
func (s *Server) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	var (
		l   *leg
		dlg readRequester
	)
	s.mu.Lock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if c := s.inCalls[id]; c != nil && c.in != nil {
			l, dlg = c.inLeg, c.in
		}
	}
	if l == nil {
		if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
			if c := s.outCalls[id]; c != nil {
				if out := c.outDialog(); out != nil {
					l, dlg = c.outLeg, out
				}
			}
		}
	}
	s.mu.Unlock()
	if l == nil {
		respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if err := dlg.ReadRequest(req, tx); err != nil {
		respond(req, tx, sip.StatusInternalServerError, "Server Internal Error")
		return
	}
	if l.srtp != nil && !isTLS(req) { // the answer would carry the leg's key in clear
		l.log.Warn("re-INVITE of an SRTP leg over plain signalling refused")
		respond(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	var also netip.Addr
	if ap, err := netip.ParseAddrPort(req.Source()); err == nil {
		also = ap.Addr().Unmap()
	}
	answer, code := l.reinvite(s.mediaIP, req.Body(), also)
	switch code {
	case sip.StatusOK:
	case sip.StatusRequestPending:
		respond(req, tx, code, "Request Pending")
		return
	case sip.StatusNotAcceptableHere:
		respond(req, tx, code, "Not Acceptable Here")
		return
	default:
		respond(req, tx, code, "Server Internal Error")
		return
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", answer)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if isTLS(req) {
		res.AppendHeader(s.tlsContact())
	} else {
		res.AppendHeader(sip.HeaderClone(&s.contact))
	}
	_ = tx.Respond(res)
	l.log.Info("re-INVITE answered", "direction", mirror(l.curDir()))
}

func (l *leg) curDir() string {
	l.reMu.Lock()
	defer l.reMu.Unlock()
	if l.cur.nullAddr {
		return dirInactive
	}
	return l.cur.dir
}
