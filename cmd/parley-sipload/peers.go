package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// endpoint is a sipgo user agent serving and sending from one UDP socket.
type endpoint struct {
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	conn   net.PacketConn
	addr   netip.AddrPort
}

func newEndpoint(name string) (*endpoint, error) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	if err != nil {
		conn.Close()
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		conn.Close()
		return nil, err
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientAddr(addr.String()),
		sipgo.WithClientConnectionAddr(addr.String()))
	if err != nil {
		conn.Close()
		ua.Close()
		return nil, err
	}
	return &endpoint{ua: ua, srv: srv, client: client, conn: conn, addr: addr}, nil
}

func (e *endpoint) serve() {
	go func() { _ = e.srv.ServeUDP(e.conn) }()
	for range 500 { // the client sends from the listening socket once the transport knows it
		if c, err := e.ua.TransportLayer().GetConnection("udp", e.addr.String()); err == nil && c != nil {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (e *endpoint) close() {
	_ = e.ua.Close()
	_ = e.conn.Close()
}

// offer is an SDP offer of PCMU and telephone-event 101 in 20 ms packets.
func offer(addr netip.AddrPort) []byte {
	return fmt.Appendf(nil, "v=0\r\no=load 1 1 IN IP4 %s\r\ns=load\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"+
		"a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n", addr.Addr(), addr.Addr(), addr.Port())
}

// mediaAddr reads the c= and m=audio lines of an SDP body.
func mediaAddr(body []byte) (netip.AddrPort, error) {
	var ip netip.Addr
	port := 0
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if a, ok := strings.CutPrefix(line, "c=IN IP4 "); ok {
			ip, _ = netip.ParseAddr(a)
		}
		if m, ok := strings.CutPrefix(line, "m=audio "); ok {
			if f := strings.Fields(m); len(f) > 0 {
				port, _ = strconv.Atoi(f[0])
			}
		}
	}
	if !ip.IsValid() || port <= 0 || port > 65535 {
		return netip.AddrPort{}, fmt.Errorf("no media address in SDP")
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// trunk answers parley's outbound calls: 200 with SDP, then '1' to accept.
type trunk struct {
	ep      *endpoint
	dialogs *sipgo.DialogServerCache
	m       *meter
	p       *pacer
	mu      sync.Mutex
	streams []*stream
	ended   atomic.Int64 // calls the trunk side saw end (BYE either way)
}

func newTrunk(m *meter, p *pacer) (*trunk, error) {
	ep, err := newEndpoint("load-trunk")
	if err != nil {
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "trunk", Host: "127.0.0.1", Port: int(ep.addr.Port())}}
	t := &trunk{ep: ep, dialogs: sipgo.NewDialogServerCache(ep.client, contact), m: m, p: p}
	ep.srv.OnInvite(t.onInvite)
	ep.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = t.dialogs.ReadAck(req, tx) })
	ep.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := t.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
		}
	})
	ep.serve()
	return t, nil
}

func (t *trunk) uri() string { return "sip:" + t.ep.addr.String() }

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
	t.ep.close()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.streams {
		s.close()
	}
}

// phones places the inmates' calls from the trusted gateway address.
type phones struct {
	ep      *endpoint
	dialogs *sipgo.DialogClientCache
	m       *meter
	p       *pacer
	server  netip.AddrPort
}

func newPhones(server netip.AddrPort, m *meter, p *pacer) (*phones, error) {
	ep, err := newEndpoint("load-phone")
	if err != nil {
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1", Port: int(ep.addr.Port())}}
	ph := &phones{ep: ep, dialogs: sipgo.NewDialogClientCache(ep.client, contact), m: m, p: p, server: server}
	ep.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := ph.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
		}
	})
	ep.serve()
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

func (ph *phones) close() { ph.ep.close() }

// probeOptions sends one OPTIONS to addr and waits a second for a 200.
func probeOptions(ctx context.Context, ep *endpoint, addr netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", User: "parley", Host: addr.Addr().String(), Port: int(addr.Port())})
	res, err := ep.client.Do(ctx, req)
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
