package auth

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"parley.dev/parley"
)

// ceremonyTTL bounds how long a WebAuthn ceremony may take between begin and finish.
const ceremonyTTL = 5 * time.Minute

// Keys signs staff in with a security key (WebAuthn) as the second factor, instead of a
// TOTP code: name and password first, then an assertion by a key registered to the
// account. Registering a key is a factor change: every session of the account ends.
// Ceremonies in progress are kept in memory (a ceremony begun on one node must finish on
// the same node).
type Keys struct {
	s  *Service
	w  *webauthn.WebAuthn
	mu sync.Mutex
	c  map[string]ceremony
}

type ceremony struct {
	userID   string
	register bool
	data     webauthn.SessionData
	expires  time.Time
}

// NewKeys returns the WebAuthn second factor of s for the relying party origin, e.g.
// "https://parley.example.org" (its host is the relying party id).
func NewKeys(s *Service, origin, rpID string) (*Keys, error) {
	w, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: s.c.Issuer, RPOrigins: []string{origin}})
	if err != nil {
		return nil, parley.WrapError("auth.NewKeys", parley.KindInvalid, err)
	}
	return &Keys{s: s, w: w, c: map[string]ceremony{}}, nil
}

// keyUser is an account as go-webauthn sees it: its id as the user handle, its keys.
type keyUser struct {
	u     *parley.User
	creds []webauthn.Credential
}

func (k keyUser) WebAuthnID() []byte                         { return []byte(k.u.ID) }
func (k keyUser) WebAuthnName() string                       { return k.u.ID }
func (k keyUser) WebAuthnDisplayName() string                { return string(k.u.Role) }
func (k keyUser) WebAuthnCredentials() []webauthn.Credential { return k.creds }

func (k *Keys) load(ctx context.Context, u *parley.User) (keyUser, error) {
	stored, err := k.s.c.Store.ListWebAuthnCredentials(ctx, u.ID)
	if err != nil {
		return keyUser{}, err
	}
	ku := keyUser{u: u}
	for _, c := range stored {
		var wc webauthn.Credential
		if err := json.Unmarshal(c.Data, &wc); err != nil {
			return keyUser{}, parley.Errorf("auth.keys", parley.KindIntegrity, "stored security key is malformed")
		}
		ku.creds = append(ku.creds, wc)
	}
	return ku, nil
}

// remember stores a ceremony and returns its id; expired ones are dropped.
func (k *Keys) remember(c ceremony) (string, error) {
	id, err := randomToken(24)
	if err != nil {
		return "", err
	}
	now := k.s.c.Now()
	c.expires = now.Add(ceremonyTTL)
	k.mu.Lock()
	defer k.mu.Unlock()
	for cid, old := range k.c {
		if now.After(old.expires) {
			delete(k.c, cid)
		}
	}
	k.c[id] = c
	return id, nil
}

// take removes and returns a live ceremony of the given kind.
func (k *Keys) take(op, id string, register bool) (ceremony, error) {
	k.mu.Lock()
	c, ok := k.c[id]
	delete(k.c, id)
	k.mu.Unlock()
	if !ok || c.register != register || k.s.c.Now().After(c.expires) {
		return ceremony{}, parley.Errorf(op, parley.KindUnauthorized, "security key request expired; start again")
	}
	return c, nil
}

// BeginRegistration starts adding a security key to a signed-in account; it returns the
// ceremony id and the options for navigator.credentials.create.
func (k *Keys) BeginRegistration(ctx context.Context, userID string) (string, *protocol.CredentialCreation, error) {
	const op = "auth.BeginRegistration"
	u, err := k.s.c.Store.FindUser(ctx, userID)
	if err != nil {
		return "", nil, err
	}
	ku, err := k.load(ctx, u)
	if err != nil {
		return "", nil, err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range ku.creds {
		exclude = append(exclude, c.Descriptor())
	}
	opts, data, err := k.w.BeginRegistration(ku, webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{UserVerification: protocol.VerificationDiscouraged}))
	if err != nil {
		return "", nil, parley.WrapError(op, parley.KindInternal, err)
	}
	id, err := k.remember(ceremony{userID: u.ID, register: true, data: *data})
	if err != nil {
		return "", nil, parley.WrapError(op, parley.KindInternal, err)
	}
	return id, opts, nil
}

// FinishRegistration checks the authenticator's answer and stores the key. It is a factor
// change: every session of the account ends (sign in again with the key or the code).
func (k *Keys) FinishRegistration(ctx context.Context, userID, ceremonyID string, response io.Reader) error {
	const op = "auth.FinishRegistration"
	c, err := k.take(op, ceremonyID, true)
	if err != nil {
		return err
	}
	if c.userID != userID {
		return parley.Errorf(op, parley.KindForbidden, "this security key request belongs to another session")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(response)
	if err != nil {
		return parley.Errorf(op, parley.KindInvalid, "the security key's answer is malformed")
	}
	u, err := k.s.c.Store.FindUser(ctx, userID)
	if err != nil {
		return err
	}
	ku, err := k.load(ctx, u)
	if err != nil {
		return err
	}
	cred, err := k.w.CreateCredential(ku, c.data, parsed)
	if err != nil {
		_ = k.s.audit(ctx, "user:"+u.ID, "user.key.add", "user:"+u.ID, parley.OutcomeDenied, "attestation refused")
		return parley.Errorf(op, parley.KindUnauthorized, "the security key's answer did not verify")
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	if err := k.s.c.Store.AddWebAuthnCredential(ctx, &parley.WebAuthnCredential{ID: cred.ID, UserID: u.ID, Data: data, CreatedAt: k.s.c.Now()}); err != nil {
		return err
	}
	return k.s.factorChanged(ctx, u, "user.key.add")
}

// BeginSignIn checks name and password (counting failures, honouring the lock like a
// TOTP sign-in) and starts a security key assertion; it returns the ceremony id and the
// options for navigator.credentials.get. An account without a key is refused.
func (k *Keys) BeginSignIn(ctx context.Context, name, password string) (string, *protocol.CredentialAssertion, error) {
	const op = "auth.BeginSignIn"
	if name == "" || len(name) > 100 || len(password) > MaxPasswordLen {
		return "", nil, errSignIn(op)
	}
	u, err := k.s.c.Store.FindUserByName(ctx, name)
	if parley.IsKind(err, parley.KindNotFound) {
		VerifyPassword(dummyHash, password)
		_ = k.s.audit(ctx, "anonymous", "session.signin", "user:unknown", parley.OutcomeDenied, "unknown_name")
		return "", nil, errSignIn(op)
	}
	if err != nil {
		return "", nil, err
	}
	if k.s.c.Now().Before(u.LockedUntil) {
		_ = k.s.audit(ctx, "user:"+u.ID, "session.signin", "user:"+u.ID, parley.OutcomeDenied, "locked")
		return "", nil, parley.Errorf(op, parley.KindUnauthorized, "account locked; try again later")
	}
	if !u.Enrolled() || !VerifyPassword(u.PasswordHash, password) {
		return "", nil, k.s.fail(ctx, op, u, "bad_password")
	}
	ku, err := k.load(ctx, u)
	if err != nil {
		return "", nil, err
	}
	if len(ku.creds) == 0 {
		return "", nil, k.s.fail(ctx, op, u, "no_security_key")
	}
	opts, data, err := k.w.BeginLogin(ku, webauthn.WithUserVerification(protocol.VerificationDiscouraged))
	if err != nil {
		return "", nil, parley.WrapError(op, parley.KindInternal, err)
	}
	id, err := k.remember(ceremony{userID: u.ID, data: *data})
	if err != nil {
		return "", nil, parley.WrapError(op, parley.KindInternal, err)
	}
	return id, opts, nil
}

// FinishSignIn checks the key's assertion (a ceremony is single-use, so an answer cannot
// be replayed) and starts a session, like SignIn.
func (k *Keys) FinishSignIn(ctx context.Context, ceremonyID string, response io.Reader) (string, *parley.Session, *parley.User, error) {
	const op = "auth.FinishSignIn"
	c, err := k.take(op, ceremonyID, false)
	if err != nil {
		return "", nil, nil, err
	}
	u, err := k.s.c.Store.FindUser(ctx, c.userID)
	if err != nil {
		return "", nil, nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(response)
	if err != nil {
		return "", nil, nil, k.s.fail(ctx, op, u, "malformed_assertion")
	}
	ku, err := k.load(ctx, u)
	if err != nil {
		return "", nil, nil, err
	}
	cred, err := k.w.ValidateLogin(ku, c.data, parsed)
	if err != nil {
		return "", nil, nil, k.s.fail(ctx, op, u, "bad_assertion")
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return "", nil, nil, parley.WrapError(op, parley.KindInternal, err)
	}
	if err := k.s.c.Store.UpdateWebAuthnCredential(ctx, &parley.WebAuthnCredential{ID: cred.ID, UserID: u.ID, Data: data}); err != nil {
		return "", nil, nil, err
	}
	u.FailedSignIns, u.LockedUntil = 0, time.Time{}
	if err := k.s.c.Store.UpdateUserAuth(ctx, u); err != nil {
		return "", nil, nil, err
	}
	return k.s.startSession(ctx, op, u, "password+security_key")
}
