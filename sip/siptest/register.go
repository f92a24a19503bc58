package siptest

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// NewRegister builds a REGISTER from the phone for user to server, with the phone's
// Contact and the given Expires (no Expires header when negative).
func (p *Phone) NewRegister(server netip.AddrPort, user string, expires int) *sip.Request {
	uri := sip.Uri{Scheme: "sip", Host: server.Addr().String(), Port: int(server.Port())}
	req := sip.NewRequest(sip.REGISTER, uri)
	aor := sip.Uri{Scheme: "sip", User: user, Host: server.Addr().String()}
	from := &sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(12))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user,
		Host: p.ep.Addr.Addr().String(), Port: int(p.ep.Addr.Port())}})
	if expires >= 0 {
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	}
	return req
}

// Do sends a request from the phone and returns its final response.
func (p *Phone) Do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	return p.ep.Client.Do(ctx, req)
}

// DoDigest answers the challenge res to req with the credentials and returns the final
// response (the request's CSeq is incremented).
func (p *Phone) DoDigest(ctx context.Context, req *sip.Request, res *sip.Response, user, password string) (*sip.Response, error) {
	return p.ep.Client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
}

// Register registers user with password, answering the server's challenge, and returns
// the final response.
func (p *Phone) Register(ctx context.Context, server netip.AddrPort, user, password string, expires int) (*sip.Response, error) {
	req := p.NewRegister(server, user, expires)
	res, err := p.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != sip.StatusUnauthorized && res.StatusCode != sip.StatusProxyAuthRequired {
		return res, nil
	}
	return p.DoDigest(ctx, req, res, user, password)
}

// InfoRelay and InfoDTMF are the content types of SIP INFO DTMF.
const (
	InfoRelay = "application/dtmf-relay"
	InfoDTMF  = "application/dtmf"
)

// InfoBody returns the INFO body signalling key in the content type.
func InfoBody(contentType string, key byte) string {
	if contentType == InfoRelay {
		return "Signal=" + string(key) + "\r\nDuration=160\r\n"
	}
	return string(key)
}

func newInfo(recipient sip.Uri, contentType, body string) *sip.Request {
	req := sip.NewRequest(sip.INFO, recipient)
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	req.SetBody([]byte(body))
	return req
}

// SendInfo sends an INFO with the body in the phone's call and returns the status.
func (p *Phone) SendInfo(ctx context.Context, contentType, body string) (int, error) {
	p.mu.Lock()
	sess := p.sess
	p.mu.Unlock()
	if sess == nil {
		return 0, fmt.Errorf("no call")
	}
	res, err := sess.Do(ctx, newInfo(sess.InviteResponse.Contact().Address, contentType, body))
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// SendInfoKeys sends each key in its own INFO, alternating the two content types.
func (p *Phone) SendInfoKeys(ctx context.Context, keys string) error {
	for i := range len(keys) {
		ct := InfoRelay
		if i%2 == 1 {
			ct = InfoDTMF
		}
		code, err := p.SendInfo(ctx, ct, InfoBody(ct, keys[i]))
		if err != nil {
			return err
		}
		if code != 200 {
			return fmt.Errorf("INFO %q: %d", keys[i], code)
		}
	}
	return nil
}

// SendInfo sends an INFO with the body from the called party and returns the status.
func (c *TrunkCall) SendInfo(ctx context.Context, contentType, body string) (int, error) {
	res, err := c.dlg.Do(ctx, newInfo(c.dlg.InviteRequest.Contact().Address, contentType, body))
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}
