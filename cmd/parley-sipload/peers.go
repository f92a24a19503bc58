package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"parley.dev/parley/sip/siptest"
)

// loopback is where every load peer listens.
var loopback = netip.MustParseAddr("127.0.0.1")

// offer is an SDP offer of PCMU and telephone-event 101 in 20 ms packets.
func offer(addr netip.AddrPort) []byte { return siptest.OfferSDP(addr, "0 101", 20) }

// mediaAddr reads the c= and m=audio lines of an SDP body.
func mediaAddr(body []byte) (netip.AddrPort, error) {
	addr, _, err := siptest.ParseAnswer(body)
	return addr, err
}

// trunk answers parley's outbound calls: 200 with SDP, then '1' to accept.
type trunk struct {
	ep      *siptest.Endpoint
	dialogs *sipgo.DialogServerCache
	m       *meter
	p       *pacer
	mu      sync.Mutex
	streams []*stream
	ended   atomic.Int64 // calls the trunk side saw end (BYE either way)
}

func newTrunk(m *meter, p *pacer) (*trunk, error) {
	ep, err := siptest.NewEndpoint(loopback, "load-trunk")
	if err != nil {
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "trunk", Host: "127.0.0.1", Port: int(ep.Addr.Port())}}
	t := &trunk{ep: ep, dialogs: sipgo.NewDialogServerCache(ep.Client, contact), m: m, p: p}
	ep.Server.OnInvite(t.onInvite)
	ep.Server.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = t.dialogs.ReadAck(req, tx) })
	ep.Server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := t.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
		}
	})
	ep.Serve()
	return t, nil
}

func (t *trunk) uri() string { return "sip:" + t.ep.Addr.String() }

func (t *trunk) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	dlg, err := t.dialogs.ReadInvite(req, tx)
	if err != nil {
		return
	}
	defer dlg.Close()
	remote, err := mediaAddr(req.Body())
	if err != nil {
		_ = dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	s, err := newStream(sideTrunk, 0, t.m) // learns its call from the phone's audio
	if err != nil {
		_ = dlg.Respond(sip.StatusServiceUnavailable, "Unavailable", nil)
		return
	}
	t.mu.Lock()
	t.streams = append(t.streams, s)
	t.mu.Unlock()
	if err := dlg.RespondSDP(offer(s.addr())); err != nil {
		s.close()
		return
	}
	s.start(remote)
	t.p.add(s)
	// The announcement starts; '1' barges in.
	time.AfterFunc(300*time.Millisecond, func() { s.sendKeys("1") })
	<-dlg.Context().Done()
	s.stop.Store(true)
	t.ended.Add(1)
}

func (t *trunk) close() {
	t.ep.Close()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.streams {
		s.close()
	}
}

// phones places the inmates' calls from the trusted gateway address.
type phones struct {
	ep      *siptest.Endpoint
	dialogs *sipgo.DialogClientCache
	m       *meter
	p       *pacer
	server  netip.AddrPort
}

func newPhones(server netip.AddrPort, m *meter, p *pacer) (*phones, error) {
	ep, err := siptest.NewEndpoint(loopback, "load-phone")
	if err != nil {
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1", Port: int(ep.Addr.Port())}}
	ph := &phones{ep: ep, dialogs: sipgo.NewDialogClientCache(ep.Client, contact), m: m, p: p, server: server}
	ep.Server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := ph.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
		}
	})
	ep.Serve()
	return ph, nil
}

// call is one inmate call of the load.
type call struct {
	id      uint32
	s       *stream
	sess    *sipgo.DialogClientSession
	setup   time.Duration // INVITE to bridged
	err     error
	started time.Time
}

// place calls parley, keys PIN and number, and waits until the trunk's audio arrives
// (the call is bridged) or the guard expires.
func (ph *phones) place(ctx context.Context, id uint32, pin, number string, guard time.Duration) *call {
	c := &call{id: id, started: time.Now()}
	s, err := newStream(sidePhone, id, ph.m)
	if err != nil {
		c.err = err
		return c
	}
	c.s = s
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "parley", Host: ph.server.Addr().String(), Port: int(ph.server.Port())})
	req.SetBody(offer(s.addr()))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "pod-" + strconv.Itoa(int(id)), Host: "127.0.0.1"}}
	from.Params.Add("tag", sip.GenerateTagN(12))
	req.AppendHeader(from)
	ctx, cancel := context.WithTimeout(ctx, guard)
	defer cancel()
	sess, err := ph.dialogs.WriteInvite(ctx, req)
	if err != nil {
		c.err = err
		return c
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		c.err = err
		sess.Close()
		return c
	}
	if err := sess.Ack(ctx); err != nil {
		c.err = err
		return c
	}
	c.sess = sess
	remote, err := mediaAddr(sess.InviteResponse.Body())
	if err != nil {
		c.err = err
		return c
	}
	s.start(remote)
	ph.p.add(s)
	s.sendKeys(pin + "#" + number + "#")
	select {
	case <-s.bridged:
		c.setup = time.Since(c.started)
	case <-sess.Context().Done():
		c.err = fmt.Errorf("call ended before it was bridged")
	case <-ctx.Done():
		c.err = fmt.Errorf("not bridged in %s", guard)
	}
	if c.err != nil {
		s.stop.Store(true)
	}
	return c
}

// up reports whether the call's dialog is still established.
func (c *call) up() bool {
	return c.sess != nil && c.sess.Context().Err() == nil
}

func (c *call) hangup() {
	if c.sess != nil && c.sess.Context().Err() == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = c.sess.Bye(ctx)
		cancel()
	}
	if c.s != nil {
		c.s.close()
	}
}

func (ph *phones) close() { ph.ep.Close() }

// probeOptions sends one OPTIONS to addr and waits a second for a 200.
func probeOptions(ctx context.Context, ep *siptest.Endpoint, addr netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", User: "parley", Host: addr.Addr().String(), Port: int(addr.Port())})
	res, err := ep.Client.Do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode != sip.StatusOK {
		return fmt.Errorf("OPTIONS: %d", res.StatusCode)
	}
	return nil
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free when checked.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}
