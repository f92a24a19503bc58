package web

import (
	"fmt"
	"html/template"
	"image/color"
	"net/http"
	"strings"

	"github.com/boombuler/barcode/qr"

	"parley.dev/parley"
)

// Staff onboarding without a shell. An admin adds an account on the Staff page and hands
// the new user the one-time enrolment link it shows (/enrol/SECRET: the secret is random,
// stored only as a hash, valid 72 hours, spent by the first enrolment, each use audited by
// auth.Enrol). The new user opens it, gives their name and a password, and gets the TOTP
// key as a QR code (inline SVG, so the page needs nothing the CSP forbids), as the otpauth
// URI and as text. A security key can be added on the Security keys page after the first
// sign-in.

// enrolPage is the enrolment form, then the new TOTP key.
type enrolPage struct {
	Token  string
	Name   string
	Secret string        // the TOTP secret, once enrolled
	URL    string        // its otpauth:// URI
	Link   template.URL  // the same as a link (html/template refuses unknown schemes)
	QR     template.HTML // the URI as an SVG QR code
}

func (s *Server) enrolRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /enrol/{token}", s.pageEnrolForm)
	mux.HandleFunc("POST /enrol/{token}", s.pageEnrol)
}

func (s *Server) pageEnrolForm(w http.ResponseWriter, r *http.Request) {
	v := s.base(nil, "Enrol")
	v.Data = enrolPage{Token: r.PathValue("token")}
	s.render(w, r, http.StatusOK, "enrol", v)
}

// pageEnrol spends the enrolment link: name and password (twice) in, the TOTP key out.
func (s *Server) pageEnrol(w http.ResponseWriter, r *http.Request) {
	const op = "web.enrol"
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	token := r.PathValue("token")
	data := enrolPage{Token: token}
	fail := func(err error) {
		status, _, msg := statusOf(err)
		if status >= 500 {
			s.pageError(w, r, nil, err)
			return
		}
		v := s.base(nil, "Enrol")
		v.Error, v.Data = msg, data
		s.render(w, r, status, "enrol", v)
	}
	if err := r.ParseForm(); err != nil {
		fail(parley.Errorf(op, parley.KindInvalid, "bad form"))
		return
	}
	data.Name = strings.TrimSpace(r.PostForm.Get("name"))
	pw := r.PostForm.Get("password")
	if data.Name == "" || len(data.Name) > 200 || len(token) > 100 {
		fail(parley.Errorf(op, parley.KindInvalid, "give your sign-in name"))
		return
	}
	if pw != r.PostForm.Get("password2") {
		fail(parley.Errorf(op, parley.KindInvalid, "the two passwords differ"))
		return
	}
	e, err := s.c.Auth.Enrol(r.Context(), data.Name, token, pw)
	if err != nil {
		fail(err)
		return
	}
	svg, err := qrSVG(e.URL)
	if err != nil {
		s.pageError(w, r, nil, parley.WrapError(op, parley.KindInternal, err))
		return
	}
	data.Secret, data.URL, data.QR = e.TOTPSecret, e.URL, svg
	if strings.HasPrefix(e.URL, "otpauth://") {
		data.Link = template.URL(e.URL) // made by the otp library from a base32 secret and the name, escaped
	}
	w.Header().Set("Cache-Control", "no-store")
	v := s.base(nil, "Enrolled")
	v.Data = data
	s.render(w, r, http.StatusOK, "enrol", v)
}

// qrSVG draws text as a QR code in SVG: one path of dark modules with a quiet zone of four.
// The markup is built from numbers only, so it is safe to put in the page as is.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	n := code.Bounds().Dx()
	var d strings.Builder
	for y := range n {
		for x := range n {
			if c, ok := color.GrayModel.Convert(code.At(x, y)).(color.Gray); ok && c.Y < 128 {
				fmt.Fprintf(&d, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	size := n + 8
	return template.HTML(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" id="totp-qr" role="img" aria-label="QR code of the TOTP key" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		size, size, 6*size, 6*size, size, size, d.String())), nil
}

// enrolLink is the address of an enrolment link for the admin to hand over.
func (s *Server) enrolLink(r *http.Request, secret string) string {
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/enrol/" + secret
}
