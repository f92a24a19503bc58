package sip_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	sipgo "github.com/emiago/sipgo/sip"

	"parley.dev/parley"
	"parley.dev/parley/sip/siptest"
)

func TestInmateHangsUpWhileRinging(t *testing.T) {
	h := newHarness(t)
	h.trunk.SetAnswer(false)
	p := h.phone()
	h.dial(p, pin, dialed)
	select {
	case <-h.trunk.Invites:
	case <-time.After(guard):
		t.Fatal("no call reached the trunk")
	}
	waitFor(t, "the dialing record", func() bool {
		_, hist := h.calls.All()
		return len(hist) == 1 && hist[0][len(hist[0])-1] == parley.CallDialing
	})
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.trunk.Cancelled:
	case <-time.After(guard):
		t.Fatal("the trunk call was not cancelled")
	}
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallDropped) || rec.Reason != "inmate_hangup_before_connect" {
		t.Errorf("statuses %v reason %q", hist, rec.Reason)
	}
	if calls, _ := h.recorder.Counts(); calls != 0 {
		t.Errorf("recorder asked %d times", calls)
	}
}

// rawTrunk is a trunk that answers 200 to an INVITE right after it was cancelled, the
// race of RFC 3261 §9.1, which a sipgo server cannot be made to do.
type rawTrunk struct {
	conn   *net.UDPConn
	invite chan struct{}
	ack    chan struct{}
	bye    chan struct{}
	media  *siptest.Media
}

func newRawTrunk(t *testing.T) *rawTrunk {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(gatewayIP, 0)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := siptest.ListenMedia(gatewayIP)
	if err != nil {
		t.Fatal(err)
	}
	r := &rawTrunk{conn: c, invite: make(chan struct{}, 1), ack: make(chan struct{}, 1), bye: make(chan struct{}, 1), media: m}
	t.Cleanup(func() { c.Close(); m.Close() })
	go r.serve()
	return r
}

func (r *rawTrunk) uri() string { return "sip:" + r.conn.LocalAddr().String() }

func (r *rawTrunk) serve() {
	buf := make([]byte, 65535)
	var invite *sipgo.Request
	tag := sipgo.GenerateTagN(10)
	for {
		n, src, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		msg, err := sipgo.ParseMessage(append([]byte(nil), buf[:n]...))
		req, ok := msg.(*sipgo.Request)
		if err != nil || !ok {
			continue
		}
		send := func(res *sipgo.Response) { _, _ = r.conn.WriteToUDPAddrPort([]byte(res.String()), src) }
		withTag := func(res *sipgo.Response) *sipgo.Response {
			if to := res.To(); to != nil && !to.Params.Has("tag") {
				to.Params.Add("tag", tag)
			}
			return res
		}
		switch req.Method {
		case sipgo.INVITE:
			if invite != nil {
				continue // retransmission
			}
			invite = req
			send(withTag(sipgo.NewResponseFromRequest(req, 180, "Ringing", nil)))
			select {
			case r.invite <- struct{}{}:
			default:
			}
		case sipgo.CANCEL:
			send(sipgo.NewResponseFromRequest(req, 200, "OK", nil))
			// Answer anyway, as if the 200 had crossed the CANCEL.
			body := siptest.OfferSDP(r.media.Addr(), "0 101", 20)
			res := withTag(sipgo.NewResponseFromRequest(invite, 200, "OK", body))
			res.AppendHeader(sipgo.NewHeader("Content-Type", "application/sdp"))
			res.AppendHeader(&sipgo.ContactHeader{Address: sipgo.Uri{Scheme: "sip", User: "trunk",
				Host: gatewayIP.String(), Port: r.conn.LocalAddr().(*net.UDPAddr).Port}})
			send(res)
		case sipgo.ACK:
			select {
			case r.ack <- struct{}{}:
			default:
			}
		case sipgo.BYE:
			send(sipgo.NewResponseFromRequest(req, 200, "OK", nil))
			select {
			case r.bye <- struct{}{}:
			default:
			}
		}
	}
}

func TestAnswerAfterCancel(t *testing.T) {
	var raw *rawTrunk
	h := newHarness(t, func(c *sipConfig, _ *harness) {
		raw = newRawTrunk(t)
		c.Trunk = raw.uri()
	})
	p := h.phone()
	h.dial(p, pin, dialed)
	waitClosed(t, "the INVITE to reach the trunk", raw.invite)
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the ACK of the late answer", raw.ack)
	waitClosed(t, "the BYE of the late answer", raw.bye)
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDialing, parley.CallDropped) || rec.Reason != "inmate_hangup_before_connect" {
		t.Errorf("statuses %v reason %q", hist, rec.Reason)
	}
	if calls, _ := h.recorder.Counts(); calls != 0 {
		t.Errorf("recorder asked %d times", calls)
	}
}

func TestInboundCancel(t *testing.T) {
	reached, release := make(chan struct{}), make(chan struct{})
	first := true
	h := newHarness(t, func(_ *sipConfig, h *harness) {
		h.calls.BeforeCreate = func() {
			if first { // only the first call is held
				first = false
				close(reached)
				<-release
			}
		}
	})
	p, err := siptest.NewPhone(gatewayIP)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code, _ := p.Call(ctx, h.srv.UDPAddr(), device, nil)
		done <- code
	}()
	waitClosed(t, "the server to create the record", reached)
	cancel() // CANCEL, once the server's 100 Trying is in
	select {
	case code := <-done:
		if code == 200 {
			t.Fatal("the call was answered")
		}
	case <-time.After(guard):
		t.Fatal("the cancelled call did not end")
	}
	close(release)
	rec, hist := h.final()
	if !sameStatuses(hist, parley.CallAttempted, parley.CallDropped) || rec.Reason != "inmate_hangup_before_connect" {
		t.Errorf("statuses %v reason %q", hist, rec.Reason)
	}
}
