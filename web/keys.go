package web

import (
	"net/http"

	"parley.dev/parley"
)

// The security key (WebAuthn) routes: registration by a signed-in account, and sign-in
// with name, password and a key. Without Config.Keys they answer 404.

func (s *Server) keysOff() error {
	return parley.Errorf("web.keys", parley.KindNotFound, "security keys are not configured on this server")
}

// apiKeyRegisterBegin: POST /api/v1/keys/register.
func (s *Server) apiKeyRegisterBegin(w http.ResponseWriter, r *http.Request, p *principal) error {
	if s.c.Keys == nil {
		return s.keysOff()
	}
	id, opts, err := s.c.Keys.BeginRegistration(p.ctx(r), p.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ceremony": id, "options": opts})
	return nil
}

// apiKeyRegisterFinish: POST /api/v1/keys/register/{ceremony}, the authenticator's answer.
// Every session of the account ends (a factor changed), this one included.
func (s *Server) apiKeyRegisterFinish(w http.ResponseWriter, r *http.Request, p *principal) error {
	if s.c.Keys == nil {
		return s.keysOff()
	}
	if err := s.c.Keys.FinishRegistration(p.ctx(r), p.user.ID, r.PathValue("ceremony"), r.Body); err != nil {
		return err
	}
	s.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type keySignInRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// apiKeySignInBegin: POST /api/v1/session/key, name and password; the assertion options.
func (s *Server) apiKeySignInBegin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if s.c.Keys == nil {
		s.fail(w, r, s.keysOff())
		return
	}
	var req keySignInRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	id, opts, err := s.c.Keys.BeginSignIn(r.Context(), req.Name, req.Password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ceremony": id, "options": opts})
}

// apiKeySignInFinish: POST /api/v1/session/key/{ceremony}, the key's assertion; the
// session cookie and CSRF token.
func (s *Server) apiKeySignInFinish(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if s.c.Keys == nil {
		s.fail(w, r, s.keysOff())
		return
	}
	token, sess, u, err := s.c.Keys.FinishSignIn(r.Context(), r.PathValue("ceremony"), r.Body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setSessionCookie(w, r, token)
	writeJSON(w, http.StatusCreated, sessionResponse{UserID: u.ID, Role: string(u.Role), CSRFToken: sess.CSRFToken})
}

// keysPage shows the account's security keys and the button that adds one.
type keysPage struct {
	Enabled bool
	Count   int
}

func (s *Server) pageKeys(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.base(p, "Security keys")
	data := keysPage{Enabled: s.c.Keys != nil}
	keys, err := s.c.Store.ListWebAuthnCredentials(r.Context(), p.user.ID)
	if err != nil {
		return err
	}
	data.Count = len(keys)
	v.Data, v.Script = data, data.Enabled
	s.render(w, r, http.StatusOK, "keys", v)
	return nil
}
