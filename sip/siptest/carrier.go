package siptest

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"parley.dev/parley/media/g711"
)

// Carrier is a SIP trunk over TLS as a carrier runs it: it challenges INVITE (407) and
// REGISTER (401) with MD5 digest and checks the credentials, answers calls with SRTP
// when they offer it (RTP/SAVP and a=crypto; its own key in the answer), and keeps a
// registrar's view of REGISTERs.
type Carrier struct {
	UA      *sipgo.UserAgent
	srv     *sipgo.Server
	ln      net.Listener
	dialogs *sipgo.DialogServerCache

	User, Password string // the account parley must present
	// RegisterExpires is the lifetime granted to registrations (seconds).
	RegisterExpires int
	plainAnswer     bool
	ip              netip.Addr

	Calls     chan *TrunkCall // answered calls
	Invites   chan string     // the Request-URI user of every INVITE received
	Offers    chan []byte     // the SDP of every authorized INVITE
	Registers chan Registration
	Refused   chan string // the method of every request with wrong credentials

	mu     sync.Mutex
	nonces map[string]bool
	wg     sync.WaitGroup
	done   chan struct{}
}

// Registration is a REGISTER the carrier accepted.
type Registration struct {
	CallID  string
	CSeq    uint32
	Contact string
	Expires string
}

const carrierRealm = "carrier.test"

// NewCarrier listens for SIP over TLS on ip with the server configuration; client is
// the configuration it dials parley's TLS Contact with (its requests in a dialog).
func NewCarrier(ip netip.Addr, server, client *tls.Config, user, password string) (*Carrier, error) {
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("carrier"), sipgo.WithUserAgentHostname(ip.String()),
		sipgo.WithUserAgenTLSConfig(client),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	if err != nil {
		return nil, err
	}
	ln, err := tls.Listen("tcp", netip.AddrPortFrom(ip, 0).String(), server)
	if err != nil {
		ua.Close()
		return nil, err
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	cl, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientAddr(addr.String()))
	if err != nil {
		ln.Close()
		ua.Close()
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "carrier", Host: ip.String(), Port: int(addr.Port())}}
	contact.Address.UriParams = sip.NewParams()
	contact.Address.UriParams.Add("transport", "tls")
	c := &Carrier{UA: ua, srv: srv, ln: ln, dialogs: sipgo.NewDialogServerCache(cl, contact),
		User: user, Password: password, RegisterExpires: 3600,
		Calls: make(chan *TrunkCall, 16), Invites: make(chan string, 16), Offers: make(chan []byte, 16),
		Registers: make(chan Registration, 64), Refused: make(chan string, 16),
		nonces: map[string]bool{}, done: make(chan struct{}), ip: ip}
	srv.OnInvite(c.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = c.dialogs.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := c.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
		}
	})
	srv.OnRegister(c.onRegister)
	go func() { _ = srv.ServeTLS(ln) }()
	return c, nil
}

// SetPlainAnswer makes the carrier answer every offer with plain RTP, ignoring its key.
func (c *Carrier) SetPlainAnswer(plain bool) {
	c.mu.Lock()
	c.plainAnswer = plain
	c.mu.Unlock()
}

// URI returns the carrier's sips: URI for the server's Config.Trunk.
func (c *Carrier) URI() string { return "sips:" + c.ln.Addr().String() }

// Close stops the carrier.
func (c *Carrier) Close() {
	close(c.done)
	c.ln.Close()
	c.UA.Close()
	c.wg.Wait()
}

// authorized checks the request's credentials in header (Authorization or
// Proxy-Authorization); without valid ones it answers with a challenge in chalHeader
// (status code) and reports false. Wrong credentials are reported on Refused.
func (c *Carrier) authorized(req *sip.Request, tx sip.ServerTransaction, header, chalHeader string, code int) bool {
	if h := req.GetHeader(header); h != nil {
		cred, err := digest.ParseCredentials(h.Value())
		c.mu.Lock()
		known := err == nil && c.nonces[cred.Nonce]
		c.mu.Unlock()
		if known {
			chal := &digest.Challenge{Realm: carrierRealm, Nonce: cred.Nonce, Algorithm: "MD5", QOP: []string{"auth"}}
			want, err := digest.Digest(chal, digest.Options{Method: req.Method.String(), URI: cred.URI,
				Username: c.User, Password: c.Password, Cnonce: cred.Cnonce, Count: cred.Nc})
			if err == nil && cred.Username == c.User && cred.Realm == carrierRealm && want.Response == cred.Response {
				return true
			}
		}
		select {
		case c.Refused <- req.Method.String():
		default:
		}
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	c.mu.Lock()
	c.nonces[nonce] = true
	c.mu.Unlock()
	chal := digest.Challenge{Realm: carrierRealm, Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}}
	res := sip.NewResponseFromRequest(req, code, "Authentication Required", nil)
	res.AppendHeader(sip.NewHeader(chalHeader, chal.String()))
	_ = tx.Respond(res)
	return false
}

func (c *Carrier) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	if !c.authorized(req, tx, "Authorization", "WWW-Authenticate", sip.StatusUnauthorized) {
		return
	}
	r := Registration{CallID: req.CallID().Value(), CSeq: req.CSeq().SeqNo}
	if h := req.Contact(); h != nil {
		r.Contact = h.Address.String()
	}
	if h := req.GetHeader("Expires"); h != nil {
		r.Expires = h.Value()
	}
	select {
	case c.Registers <- r:
	default:
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	if h := req.Contact(); h != nil {
		ch := h.Clone()
		ch.Params.Add("expires", strconv.Itoa(c.RegisterExpires))
		res.AppendHeader(ch)
	}
	_ = tx.Respond(res)
}

func (c *Carrier) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "No re-INVITE here", nil))
		return
	}
	select {
	case c.Invites <- req.Recipient.User:
	default:
	}
	if !c.authorized(req, tx, "Proxy-Authorization", "Proxy-Authenticate", sip.StatusProxyAuthRequired) {
		return
	}
	c.wg.Add(1)
	defer c.wg.Done()
	select {
	case c.Offers <- append([]byte(nil), req.Body()...):
	default:
	}
	dlg, err := c.dialogs.ReadInvite(req, tx)
	if err != nil {
		return
	}
	defer dlg.Close()
	remote, _, err := ParseAnswer(req.Body())
	if err != nil {
		_ = dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	m, err := ListenMedia(c.ip)
	if err != nil {
		_ = dlg.Respond(sip.StatusServiceUnavailable, "Unavailable", nil)
		return
	}
	defer m.Close()
	answer := OfferSDP(m.Addr(), "0 101", 20)
	c.mu.Lock()
	plain := c.plainAnswer
	c.mu.Unlock()
	if strings.Contains(string(req.Body()), "a=crypto:") && !plain {
		_, theirs, err := ParseCrypto(req.Body())
		if err != nil {
			_ = dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
			return
		}
		ours := NewSRTPKey()
		if err := m.UseSRTP(ours, theirs); err != nil {
			_ = dlg.Respond(sip.StatusInternalServerError, "Error", nil)
			return
		}
		answer = WithSRTP(answer, ours)
	}
	if err := dlg.RespondSDP(answer); err != nil {
		return
	}
	m.Start(remote, g711.PCMU, 101)
	c.Calls <- &TrunkCall{Number: req.Recipient.User, Media: m, dlg: dlg}
	select {
	case <-dlg.Context().Done():
	case <-c.done:
	}
}
