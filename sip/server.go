package sip

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
)

// Server is the B2BUA. Create it with New, start it with Start, stop it with Shutdown.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	prompts *promptCache
	ports   *portPool
	trunk   sip.Uri
	mediaIP netip.Addr

	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	client    *sipgo.Client
	inDialogs *sipgo.DialogServerCache
	outUA     *sipgo.DialogUA
	trunkUA   *sipgo.DialogUA // outUA, or the TLS client's towards a TLS trunk
	trunkTLS  bool
	tlsLn     net.Listener
	trunkReg  trunkRegState
	contact   sip.ContactHeader
	udpConn   net.PacketConn
	tcpLn     net.Listener

	// onPrompt, when set (tests), is told of every prompt played.
	onPrompt func(callID, leg string, id prompts.ID)
	// clockSkew is added to the wall clock by now (tests: expiry of nonces and bindings).
	clockSkew atomic.Int64

	auth *authenticator // nil without Deps.Phones
	reg  registrar

	mu        sync.Mutex
	closing   bool
	calls     map[*call]struct{}
	outCalls  map[string]*call                      // outbound dialog id -> call, for BYE and INFO from the trunk
	codeCalls map[string]*sipgo.DialogClientSession // verification calls by dialog id, for a BYE from the trunk
	inCalls   map[string]*call                      // inbound dialog id -> call, for INFO from the inmate
	deciding  map[string]*sync.Mutex                // facility id -> lock of its policy decisions (see live.go)
	wg        sync.WaitGroup
	serveWG   sync.WaitGroup
}

// New checks the configuration and returns a Server that is not yet listening.
func New(cfg Config, deps Deps) (*Server, error) {
	const op = "sip.New"
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if deps.Calls == nil || deps.Policy == nil || deps.Recorder == nil {
		return nil, parley.Errorf(op, parley.KindInvalid, "Calls, Policy and Recorder are required")
	}
	if len(cfg.Gateways) == 0 && deps.Gateways == nil && deps.Phones == nil {
		return nil, parley.Errorf(op, parley.KindInvalid, "no trusted gateway and no phones")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Prompts == nil {
		deps.Prompts = embeddedPrompts{}
	}
	if deps.Metrics == nil {
		deps.Metrics = noMetrics{}
	}
	var trunk sip.Uri
	if err := sip.ParseUri(cfg.Trunk, &trunk); err != nil || trunk.Host == "" {
		return nil, parley.Errorf(op, parley.KindInvalid, "bad trunk URI")
	}
	if trunkIsTLS(trunk) && cfg.TLSAddr == "" {
		return nil, parley.Errorf(op, parley.KindInvalid, "a TLS trunk needs a TLS address")
	}
	s := &Server{
		cfg: cfg, deps: deps, log: deps.Logger, trunk: trunk, trunkTLS: trunkIsTLS(trunk),
		prompts:   &promptCache{src: deps.Prompts},
		calls:     map[*call]struct{}{},
		outCalls:  map[string]*call{},
		codeCalls: map[string]*sipgo.DialogClientSession{},
		inCalls:   map[string]*call{},
		reg:       registrar{m: map[string]Binding{}},
	}
	if deps.Phones != nil {
		s.auth = newAuthenticator(deps.Phones, &s.cfg, s.now)
	}
	return s, nil
}

// Start binds the SIP sockets and serves until Shutdown. The RTP ports are bound per call.
func (s *Server) Start(ctx context.Context) error {
	const op = "sip.Server.Start"
	udp, tcpLn, err := listenSIP(s.cfg.UDPAddr, s.cfg.TCPAddr)
	if err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	var tlsLn net.Listener
	if s.cfg.TLSAddr != "" {
		if tlsLn, err = tls.Listen("tcp", s.cfg.TLSAddr, s.cfg.TLS); err != nil {
			udp.Close()
			if tcpLn != nil {
				tcpLn.Close()
			}
			return parley.WrapError(op, parley.KindUnavailable, err)
		}
	}
	closeTCP := func() {
		if tcpLn != nil {
			tcpLn.Close()
		}
		if tlsLn != nil {
			tlsLn.Close()
		}
	}
	local := udp.LocalAddr().(*net.UDPAddr).AddrPort()
	s.mediaIP = s.cfg.MediaIP
	if !s.mediaIP.IsValid() {
		s.mediaIP = local.Addr().Unmap()
	}
	if s.mediaIP.IsUnspecified() {
		udp.Close()
		closeTCP()
		return parley.Errorf(op, parley.KindInvalid, "MediaIP is required when listening on all addresses")
	}
	s.ports = newPortPool(local.Addr().Unmap(), s.cfg.RTPPortMin, s.cfg.RTPPortMax)

	sipLog := slog.New(redactHandler{s.log.Handler()}).With("component", "sipgo")
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("parley"),
		sipgo.WithUserAgenTLSConfig(s.cfg.TrunkTLS), // nil: the system's roots
		sipgo.WithUserAgentHostname(s.mediaIP.String()),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
	)
	if err != nil {
		udp.Close()
		closeTCP()
		return parley.WrapError(op, parley.KindInternal, err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		udp.Close()
		closeTCP()
		ua.Close()
		return parley.WrapError(op, parley.KindInternal, err)
	}
	hostPort := netip.AddrPortFrom(s.mediaIP, local.Port()).String()
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog),
		sipgo.WithClientAddr(hostPort), sipgo.WithClientConnectionAddr(local.String()))
	if err != nil {
		udp.Close()
		closeTCP()
		ua.Close()
		return parley.WrapError(op, parley.KindInternal, err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "parley", Host: s.mediaIP.String(), Port: int(local.Port())}}
	s.ua, s.srv, s.client, s.udpConn, s.contact = ua, srv, client, udp, contact
	s.inDialogs = sipgo.NewDialogServerCache(client, contact)
	s.outUA = &sipgo.DialogUA{Client: client, ContactHDR: contact}
	s.tlsLn = tlsLn
	s.trunkUA = s.outUA
	if s.trunkTLS {
		// From an ephemeral port (the UDP one may be a TCP listener's too), with the TLS
		// listener as Via and Contact: the trunk's requests come back over TLS.
		tlsHost := netip.AddrPortFrom(s.mediaIP, s.TLSAddr().Port()).String()
		tc, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog), sipgo.WithClientAddr(tlsHost))
		if err != nil {
			udp.Close()
			closeTCP()
			ua.Close()
			return parley.WrapError(op, parley.KindInternal, err)
		}
		s.trunkUA = &sipgo.DialogUA{Client: tc, ContactHDR: *s.tlsContact()}
	}

	srv.OnInvite(s.onInvite)
	srv.OnAck(s.onAck)
	srv.OnBye(s.onBye)
	srv.OnRegister(s.onRegister)
	srv.OnInfo(s.onInfo)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})

	if tcpLn != nil {
		ln := tcpLn
		s.tcpLn = ln
		s.serveWG.Add(1)
		go func() {
			defer s.serveWG.Done()
			_ = srv.ServeTCP(ln)
		}()
	}
	if tlsLn != nil {
		s.serveWG.Add(1)
		go func() {
			defer s.serveWG.Done()
			_ = srv.ServeTLS(tlsLn)
		}()
	}
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		_ = srv.ServeUDP(udp)
	}()
	// Outbound requests are sent from the listening socket: wait until the transport
	// layer has registered it.
	for range 500 {
		if c, err := ua.TransportLayer().GetConnection("udp", local.String()); err == nil && c != nil {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.log.InfoContext(ctx, "sip listening", "udp", local.String(), "tcp", s.TCPAddr().String(), "tls", s.TLSAddr().String())
	if s.cfg.TrunkRegister {
		s.startTrunkRegistration()
	}
	return nil
}

// UDPAddr returns the bound SIP UDP address (after Start).
func (s *Server) UDPAddr() netip.AddrPort {
	if s.udpConn == nil {
		return netip.AddrPort{}
	}
	return s.udpConn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// TCPAddr returns the bound SIP TCP address, or the zero value without TCP.
func (s *Server) TCPAddr() netip.AddrPort {
	if s.tcpLn == nil {
		return netip.AddrPort{}
	}
	return s.tcpLn.Addr().(*net.TCPAddr).AddrPort()
}

// TLSAddr returns the bound SIP TLS address, or the zero value without TLS.
func (s *Server) TLSAddr() netip.AddrPort {
	if s.tlsLn == nil {
		return netip.AddrPort{}
	}
	return s.tlsLn.Addr().(*net.TCPAddr).AddrPort()
}

// ActiveCalls returns the number of calls in progress.
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// Drain refuses new calls (503 with Retry-After) and waits until the calls in progress
// have ended or ctx ends; registrations and requests inside calls are still served. Call
// Shutdown after it to end the calls left and close the sockets.
func (s *Server) Drain(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	n := len(s.calls)
	s.mu.Unlock()
	s.log.InfoContext(ctx, "draining: new calls refused", "calls", n)
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// draining reports whether new calls are refused.
func (s *Server) draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// refuseDraining answers a new INVITE while the server drains or stops: 503, and when to
// try again (another node, or this one once restarted).
func refuseDraining(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil)
	res.AppendHeader(sip.NewHeader("Retry-After", "60"))
	_ = tx.Respond(res)
}

// Shutdown refuses new calls (503), hangs up the calls in progress (their records end as
// dropped, reason "shutdown"), waits for them until ctx ends, then closes the sockets.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.stopTrunkRegistration()
	for c := range s.calls {
		c.hangup("shutdown")
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = parley.WrapError("sip.Server.Shutdown", parley.KindUnavailable, ctx.Err())
	}
	if s.ua != nil {
		_ = s.ua.Close()
	}
	if s.udpConn != nil {
		_ = s.udpConn.Close()
	}
	if s.tcpLn != nil {
		_ = s.tcpLn.Close()
	}
	if s.tlsLn != nil {
		_ = s.tlsLn.Close()
	}
	s.serveWG.Wait()
	return err
}

// register adds a call to the live set; false when shutting down.
func (s *Server) register(c *call) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.calls[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) unregister(c *call) {
	s.mu.Lock()
	delete(s.calls, c)
	for id, oc := range s.outCalls {
		if oc == c {
			delete(s.outCalls, id)
		}
	}
	for id, ic := range s.inCalls {
		if ic == c {
			delete(s.inCalls, id)
		}
	}
	s.mu.Unlock()
	s.wg.Done()
}

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	_ = s.inDialogs.ReadAck(req, tx)
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if err := s.inDialogs.ReadBye(req, tx); err == nil {
		return
	}
	id, err := sip.DialogIDFromRequestUAC(req)
	if err == nil {
		s.mu.Lock()
		c := s.outCalls[id]
		s.mu.Unlock()
		if c != nil {
			if out := c.outDialog(); out != nil {
				if err := out.ReadBye(req, tx); err == nil {
					return
				}
			}
		}
		s.mu.Lock()
		code := s.codeCalls[id]
		s.mu.Unlock()
		if code != nil && code.ReadBye(req, tx) == nil {
			return
		}
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
}

// respond answers a request outside a dialog, ignoring errors (the peer may be gone).
func respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

// redactHandler passes the SIP stack's log records through with only technical
// attributes: sipgo logs whole messages (with numbers and names) on parse errors.
type redactHandler struct{ h slog.Handler }

var allowedAttrs = map[string]bool{"caller": true, "network": true,
	"laddr": true, "raddr": true, "addr": true, "component": true, "key": true, "state": true}

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && r.h.Enabled(ctx, l)
}

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		if allowedAttrs[a.Key] {
			out.AddAttrs(a)
		}
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var keep []slog.Attr
	for _, a := range as {
		if allowedAttrs[a.Key] {
			keep = append(keep, a)
		}
	}
	return redactHandler{r.h.WithAttrs(keep)}
}

func (r redactHandler) WithGroup(name string) slog.Handler { return redactHandler{r.h.WithGroup(name)} }

// bg returns a context for signalling after a call's own context has ended.
func bg() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// listenSIP binds the UDP socket and, if tcpAddr is set, the TCP listener. When tcpAddr
// equals udpAddr they share one port; if that port was picked by the system (port 0) and
// is taken for TCP, another is picked, a few times, so "127.0.0.1:0" never fails by chance.
func listenSIP(udpAddr, tcpAddr string) (net.PacketConn, net.Listener, error) {
	for attempt := 0; ; attempt++ {
		udp, err := net.ListenPacket("udp", udpAddr)
		if err != nil {
			return nil, nil, err
		}
		if tcpAddr == "" {
			return udp, nil, nil
		}
		addr := tcpAddr
		if tcpAddr == udpAddr {
			addr = udp.LocalAddr().String() // the same port, even when UDP picked it
		}
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return udp, ln, nil
		}
		udp.Close()
		if tcpAddr != udpAddr || !strings.HasSuffix(udpAddr, ":0") || attempt == 9 {
			return nil, nil, err
		}
	}
}
