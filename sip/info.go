package sip

import (
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// SIP INFO DTMF.
//
// Phones and trunks that do not send RFC 4733 events (or send both) signal keys in SIP
// INFO requests within the dialog, as application/dtmf-relay ("Signal=5\r\nDuration=160")
// or application/dtmf ("5"). Such keys feed the same digit channel as RFC 4733 keys, for the
// PIN, the number and the called party's menu; the two methods may be mixed in one call.
//
// Some devices signal every press both ways. A key received by one method is dropped when
// the previous key accepted on the leg was the same key by the other method less than
// dtmfDedupWindow earlier. Repeats by the same method are never dropped (a "55" typed
// with INFO alone gives two keys), and a device that consistently doubles each press gets
// one key per press whatever the order in which the two copies arrive.
const dtmfDedupWindow = 500 * time.Millisecond

// Digit sources, for de-duplication.
const (
	digitRTP  = 1
	digitINFO = 2
)

// pushDigit queues a key received on the leg (RFC 4733 or INFO) for the IVR and stops an
// interruptible prompt. It may be called from any goroutine.
func (l *leg) pushDigit(key byte, src int, now time.Time) {
	l.digitMu.Lock()
	if l.lastSrc != 0 && l.lastSrc != src && l.lastKey == key && now.Sub(l.lastAt) < dtmfDedupWindow {
		l.digitMu.Unlock()
		return
	}
	l.lastKey, l.lastSrc, l.lastAt = key, src, now
	l.digitMu.Unlock()
	select {
	case l.digits <- key:
	default: // nobody is listening: drop
	}
	l.stop.Store(true)
}

// parseInfoDTMF returns the key of an INFO body of the content type; ok false when the
// type is not a DTMF one, valid false when the body is not a key.
func parseInfoDTMF(contentType string, body []byte) (key byte, ok, valid bool) {
	ct, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	var sig string
	switch strings.TrimSpace(ct) {
	case "application/dtmf-relay":
		for line := range strings.Lines(string(body)) {
			k, v, found := strings.Cut(line, "=")
			if found && strings.EqualFold(strings.TrimSpace(k), "signal") {
				sig = strings.TrimSpace(v)
				break
			}
		}
	case "application/dtmf":
		sig = strings.TrimSpace(string(body))
	default:
		return 0, false, false
	}
	switch sig {
	case "10":
		return '*', true, true
	case "11":
		return '#', true, true
	}
	if len(sig) != 1 {
		return 0, true, false
	}
	c := sig[0]
	switch {
	case c >= '0' && c <= '9', c == '*', c == '#':
		return c, true, true
	case c >= 'A' && c <= 'D':
		return c, true, true
	case c >= 'a' && c <= 'd':
		return c - 'a' + 'A', true, true
	}
	return 0, true, false
}

// onInfo takes DTMF from INFO requests in the dialog of either leg.
func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	l := s.legOf(req)
	if l == nil {
		respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	key, ok, valid := parseInfoDTMF(ct, req.Body())
	switch {
	case !ok:
		r := sip.NewResponseFromRequest(req, sip.StatusUnsupportedMediaType, "Unsupported Media Type", nil)
		r.AppendHeader(sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		_ = tx.Respond(r)
		return
	case !valid:
		respond(req, tx, sip.StatusBadRequest, "Bad DTMF")
		return
	}
	l.pushDigit(key, digitINFO, time.Now())
	respond(req, tx, sip.StatusOK, "OK")
}

// legOf returns the media leg of the dialog a request belongs to (the inmate's or the
// called party's), or nil.
func (s *Server) legOf(req *sip.Request) *leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if c := s.inCalls[id]; c != nil {
			return c.inLeg
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if c := s.outCalls[id]; c != nil {
			return c.outLeg
		}
	}
	return nil
}
