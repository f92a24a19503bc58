package siptest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"parley.dev/parley/media/g711"
)

// Endpoint is a sipgo user agent bound to one UDP socket, serving and sending from it:
// the base of the test phone and trunk here and of the load generator's peers.
type Endpoint struct {
	UA     *sipgo.UserAgent
	Server *sipgo.Server
	Client *sipgo.Client
	Addr   netip.AddrPort // the socket's address, the one the client sends from
	conn   net.PacketConn
}

// NewEndpoint listens on a free UDP port of ip; name is its User-Agent. Register handlers
// on Server, then call Serve.
func NewEndpoint(ip netip.Addr, name string) (*Endpoint, error) {
	return newEndpoint(ip, name, nil)
}

// newEndpoint is NewEndpoint dialling TLS with the client configuration.
func newEndpoint(ip netip.Addr, name string, tlsConf *tls.Config) (*Endpoint, error) {
	conn, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		return nil, err
	}
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname(ip.String()),
		sipgo.WithUserAgenTLSConfig(tlsConf),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	if err != nil {
		conn.Close()
		return nil, err
	}
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientAddr(addr.String()),
		sipgo.WithClientConnectionAddr(addr.String()))
	if err != nil {
		conn.Close()
		ua.Close()
		return nil, err
	}
	return &Endpoint{UA: ua, Server: srv, Client: client, Addr: addr, conn: conn}, nil
}

// Serve starts serving the socket and returns once the client can send from it.
func (e *Endpoint) Serve() {
	go func() { _ = e.Server.ServeUDP(e.conn) }()
	// The client sends from the listening socket: wait until the transport knows it.
	for range 500 {
		if c, err := e.UA.TransportLayer().GetConnection("udp", e.Addr.String()); err == nil && c != nil {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Close stops the user agent and closes the socket.
func (e *Endpoint) Close() {
	_ = e.UA.Close()
	_ = e.conn.Close()
}

// OfferSDP returns an SDP offer for a media address with the given payload types listed
// (e.g. "0 8 101"), telephone-event on 101 and the given ptime.
func OfferSDP(addr netip.AddrPort, formats string, ptime int) []byte {
	return OfferSDPDir(addr, formats, ptime, "sendrecv")
}

// OfferSDPDir is OfferSDP with a direction attribute (sendrecv, sendonly, recvonly,
// inactive).
func OfferSDPDir(addr netip.AddrPort, formats string, ptime int, dir string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=test 1 1 IN IP4 %s\r\ns=test\r\nc=IN IP4 %s\r\nt=0 0\r\n", addr.Addr(), addr.Addr())
	fmt.Fprintf(&b, "m=audio %d RTP/AVP %s\r\n", addr.Port(), formats)
	for _, f := range strings.Fields(formats) {
		switch f {
		case "0":
			b.WriteString("a=rtpmap:0 PCMU/8000\r\n")
		case "8":
			b.WriteString("a=rtpmap:8 PCMA/8000\r\n")
		case "101":
			b.WriteString("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n")
		}
	}
	fmt.Fprintf(&b, "a=ptime:%d\r\na=%s\r\n", ptime, dir)
	return []byte(b.String())
}

// ParseAnswer extracts the media address and first format of an SDP body (minimal, for
// test peers: c= and m= lines).
func ParseAnswer(body []byte) (netip.AddrPort, g711.Law, error) {
	var ip netip.Addr
	var port int
	law := g711.PCMU
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if a, ok := strings.CutPrefix(line, "c=IN IP4 "); ok {
			ip, _ = netip.ParseAddr(a)
		}
		if m, ok := strings.CutPrefix(line, "m=audio "); ok {
			f := strings.Fields(m)
			if len(f) >= 3 {
				fmt.Sscan(f[0], &port)
				if f[2] == "8" {
					law = g711.PCMA
				}
			}
		}
	}
	if !ip.IsValid() || port <= 0 || port > 65535 {
		return netip.AddrPort{}, 0, fmt.Errorf("no media in SDP")
	}
	return netip.AddrPortFrom(ip, uint16(port)), law, nil
}

// Phone is an inmate phone behind a gateway: it calls the server from its own address.
type Phone struct {
	ep      *Endpoint
	dialogs *sipgo.DialogClientCache
	Media   *Media
	Law     g711.Law // law offered first (PCMU when zero)
	// Username and Password, when set, answer digest challenges to INVITE (401 or 407).
	Username, Password string
	// Transport is "tcp" to send the INVITE over TCP (UDP when empty); server is then the
	// server's TCP address. "tls" needs a phone from NewPhoneTLS.
	Transport string
	// SRTPKey, when set, makes Call offer SRTP (RTP/SAVP, a=crypto) with this 30-byte key
	// and use the answer's key for what it receives.
	SRTPKey []byte
	// Answer is the body of the last 200 to Call.
	Answer []byte

	mu   sync.Mutex
	sess *sipgo.DialogClientSession
}

// NewPhone binds a phone on ip (the gateway address the server trusts, or another).
func NewPhone(ip netip.Addr) (*Phone, error) {
	return NewPhoneTLS(ip, nil)
}

// NewPhoneTLS is NewPhone with the TLS client configuration for Transport "tls".
func NewPhoneTLS(ip netip.Addr, client *tls.Config) (*Phone, error) {
	ep, err := newEndpoint(ip, "phone", client)
	if err != nil {
		return nil, err
	}
	m, err := ListenMedia(ip)
	if err != nil {
		ep.Close()
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: ip.String(), Port: int(ep.Addr.Port())}}
	p := &Phone{ep: ep, Media: m, dialogs: sipgo.NewDialogClientCache(ep.Client, contact)}
	ep.Server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
		}
	})
	ep.Serve()
	return p, nil
}

// Addr returns the phone's SIP address.
func (p *Phone) Addr() netip.AddrPort { return p.ep.Addr }

// Call sends an INVITE from device to server with body as SDP (the phone's own offer
// when nil) and waits for the answer. It returns the final status code: 200 when the
// call was answered (and media started), the error status otherwise.
func (p *Phone) Call(ctx context.Context, server netip.AddrPort, device string, body []byte) (int, error) {
	if body == nil {
		formats := "0 8 101"
		if p.Law == g711.PCMA {
			formats = "8 0 101"
		}
		body = OfferSDP(p.Media.Addr(), formats, 20)
		if p.SRTPKey != nil {
			body = WithSRTP(body, p.SRTPKey)
		}
	}
	uri := sip.Uri{Scheme: "sip", User: "parley", Host: server.Addr().String(), Port: int(server.Port())}
	if p.Transport != "" {
		uri.UriParams = sip.NewParams()
		uri.UriParams.Add("transport", p.Transport)
	}
	req := sip.NewRequest(sip.INVITE, uri)
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: device, Host: p.ep.Addr.Addr().String()}}
	from.Params.Add("tag", sip.GenerateTagN(12))
	req.AppendHeader(from)
	sess, err := p.dialogs.WriteInvite(ctx, req)
	if err != nil {
		return 0, err
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.Username, Password: p.Password}); err != nil {
		if e, ok := err.(*sipgo.ErrDialogResponse); ok {
			return e.Res.StatusCode, nil
		}
		return 0, err
	}
	if err := sess.Ack(ctx); err != nil {
		return 0, err
	}
	p.mu.Lock()
	p.sess = sess
	p.mu.Unlock()
	p.Answer = sess.InviteResponse.Body()
	remote, law, err := ParseAnswer(p.Answer)
	if err != nil {
		return 0, err
	}
	if p.SRTPKey != nil {
		_, theirs, err := ParseCrypto(p.Answer)
		if err != nil {
			return 0, err
		}
		if err := p.Media.UseSRTP(p.SRTPKey, theirs); err != nil {
			return 0, err
		}
	}
	p.Media.Start(remote, law, 101)
	return 200, nil
}

// Ended is closed when the call has ended (BYE received or sent).
func (p *Phone) Ended() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sess == nil {
		c := make(chan struct{})
		return c
	}
	return p.sess.Context().Done()
}

// ReInvite sends a re-INVITE in the call's dialog with body as SDP (none when nil), ACKs
// a 200, and returns the final status and the answer's body.
func (p *Phone) ReInvite(ctx context.Context, body []byte) (int, []byte, error) {
	p.mu.Lock()
	sess := p.sess
	p.mu.Unlock()
	if sess == nil {
		return 0, nil, fmt.Errorf("no call")
	}
	target := sess.InviteResponse.Contact()
	if target == nil {
		return 0, nil, fmt.Errorf("no Contact in the answer")
	}
	return reInvite(ctx, sess.Do, sess.WriteRequest, target.Address, body)
}

// ReInviteUDP sends a re-INVITE in the call's dialog over UDP to server, whatever the
// transport of the call (sipgo's dialogs keep theirs), and returns the final status and
// body (a 2xx is not acknowledged).
func (p *Phone) ReInviteUDP(ctx context.Context, server netip.AddrPort, body []byte) (int, []byte, error) {
	p.mu.Lock()
	sess := p.sess
	p.mu.Unlock()
	if sess == nil {
		return 0, nil, fmt.Errorf("no call")
	}
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "parley", Host: server.Addr().String(), Port: int(server.Port())})
	req.AppendHeader(sip.HeaderClone(sess.InviteRequest.From()))
	req.AppendHeader(sip.HeaderClone(sess.InviteResponse.To()))
	req.AppendHeader(sip.HeaderClone(sess.InviteRequest.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: sess.InviteRequest.CSeq().SeqNo + 100, MethodName: sip.INVITE})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: p.ep.Addr.Addr().String(), Port: int(p.ep.Addr.Port())}})
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := p.ep.Client.Do(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, res.Body(), nil
}

// reInvite sends an INVITE through do (a dialog's Do) and ACKs a 2xx through write.
func reInvite(ctx context.Context, do func(context.Context, *sip.Request) (*sip.Response, error),
	write func(*sip.Request) error, target sip.Uri, body []byte) (int, []byte, error) {
	req := sip.NewRequest(sip.INVITE, target)
	if body != nil {
		req.SetBody(body)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res, err := do(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	if res.IsSuccess() {
		if err := write(sip.NewRequest(sip.ACK, target)); err != nil {
			return 0, nil, err
		}
	}
	return res.StatusCode, res.Body(), nil
}

// Hangup sends BYE.
func (p *Phone) Hangup(ctx context.Context) error {
	p.mu.Lock()
	sess := p.sess
	p.mu.Unlock()
	if sess == nil {
		return fmt.Errorf("no call")
	}
	return sess.Bye(ctx)
}

// Close releases the phone.
func (p *Phone) Close() {
	p.Media.Close()
	p.ep.Close()
}

// TrunkCall is one call the trunk answered.
type TrunkCall struct {
	Number string // the user part of the Request-URI
	Media  *Media
	dlg    *sipgo.DialogServerSession
}

// Ended is closed when the call has ended.
func (c *TrunkCall) Ended() <-chan struct{} { return c.dlg.Context().Done() }

// ReInvite sends a re-INVITE to the server in the call's dialog (see Phone.ReInvite).
func (c *TrunkCall) ReInvite(ctx context.Context, body []byte) (int, []byte, error) {
	target := c.dlg.InviteRequest.Contact()
	if target == nil {
		return 0, nil, fmt.Errorf("no Contact in the INVITE")
	}
	return reInvite(ctx, c.dlg.Do, c.dlg.WriteRequest, target.Address, body)
}

// Hangup sends BYE to the server.
func (c *TrunkCall) Hangup(ctx context.Context) error { return c.dlg.Bye(ctx) }

// Trunk is the SIP trunk and, behind it, the called party.
type Trunk struct {
	ep      *Endpoint
	dialogs *sipgo.DialogServerCache
	mu      sync.Mutex
	answer  bool
	law     g711.Law

	Calls     chan *TrunkCall // answered calls
	Invites   chan string     // the Request-URI user of every INVITE received
	Cancelled chan string     // the Request-URI user of every INVITE cancelled while ringing
	wg        sync.WaitGroup
	done      chan struct{}
}

// NewTrunk binds a trunk on ip that answers calls.
func NewTrunk(ip netip.Addr) (*Trunk, error) {
	ep, err := NewEndpoint(ip, "trunk")
	if err != nil {
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "trunk", Host: ip.String(), Port: int(ep.Addr.Port())}}
	t := &Trunk{ep: ep, dialogs: sipgo.NewDialogServerCache(ep.Client, contact), answer: true,
		Calls: make(chan *TrunkCall, 16), Invites: make(chan string, 16), Cancelled: make(chan string, 16),
		done: make(chan struct{})}
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

// SetAnswer makes the trunk answer calls (the default) or, when false, ring (180)
// without ever answering.
func (t *Trunk) SetAnswer(answer bool) {
	t.mu.Lock()
	t.answer = answer
	t.mu.Unlock()
}

// SetLaw picks the codec of the trunk's answers (PCMU by default).
func (t *Trunk) SetLaw(law g711.Law) {
	t.mu.Lock()
	t.law = law
	t.mu.Unlock()
}

// URI returns the trunk's SIP URI for the server's Config.Trunk.
func (t *Trunk) URI() string { return "sip:" + t.ep.Addr.String() }

func (t *Trunk) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	t.wg.Add(1)
	defer t.wg.Done()
	select {
	case t.Invites <- req.Recipient.User:
	default:
	}
	dlg, err := t.dialogs.ReadInvite(req, tx)
	if err != nil {
		return
	}
	defer dlg.Close()
	_ = dlg.Respond(sip.StatusRinging, "Ringing", nil)
	t.mu.Lock()
	answer, answerLaw := t.answer, t.law
	t.mu.Unlock()
	if !answer {
		select { // until CANCEL
		case <-dlg.Context().Done():
			if errors.Is(context.Cause(dlg.Context()), sip.ErrTransactionCanceled) {
				select {
				case t.Cancelled <- req.Recipient.User:
				default:
				}
			}
		case <-t.done:
		}
		return
	}
	remote, _, err := ParseAnswer(req.Body())
	if err != nil {
		_ = dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	m, err := ListenMedia(t.ep.Addr.Addr())
	if err != nil {
		_ = dlg.Respond(sip.StatusServiceUnavailable, "Unavailable", nil)
		return
	}
	defer m.Close()
	law, formats := g711.PCMU, "0 101"
	if answerLaw == g711.PCMA {
		law, formats = g711.PCMA, "8 101"
	}
	if err := dlg.RespondSDP(OfferSDP(m.Addr(), formats, 20)); err != nil {
		return
	}
	m.Start(remote, law, 101)
	t.Calls <- &TrunkCall{Number: req.Recipient.User, Media: m, dlg: dlg}
	select {
	case <-dlg.Context().Done():
	case <-t.done:
	}
}

// Close releases the trunk.
func (t *Trunk) Close() {
	close(t.done)
	t.ep.Close()
	t.wg.Wait()
}
