package sip

import (
	"context"
	"crypto/fips140"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"parley.dev/parley"
)

// Digest algorithms (RFC 8760), as challenges name them: each phone is offered the ones
// its Digest lists, SHA-256 first; MD5 never in FIPS mode (see MD5Allowed).
const (
	algMD5    = "MD5"
	algSHA256 = "SHA-256"
)

// MD5Allowed reports whether MD5 digest may be used: not when Go's FIPS 140-3 mode is on
// (GODEBUG=fips140=on or only; under "only" MD5 does not even run).
func MD5Allowed() bool { return !fips140.Enabled() }

// algorithms returns the challenge algorithms of a phone, SHA-256 first: those its Digest
// lists, or (without Digest) those its secrets allow.
func (p Phone) algorithms() []string {
	sha, md := p.Password != "" || p.HA1SHA256 != "", p.Password != "" || p.HA1 != ""
	if p.Digest != "" {
		sha, md = parley.DigestHas(p.Digest, parley.DigestSHA256), parley.DigestHas(p.Digest, parley.DigestMD5)
	}
	var algs []string
	if sha {
		algs = append(algs, algSHA256)
	}
	if md {
		algs = append(algs, algMD5)
	}
	return algs
}

// md5Allowed reports whether this server may use MD5 (MD5Allowed, unless tests said no).
func (a *authenticator) md5Allowed() bool { return !a.md5Off.Load() && MD5Allowed() }

// offers reports whether the phone may answer with the algorithm in this server.
func (a *authenticator) offers(p Phone, alg string) bool {
	if alg == algMD5 && !a.md5Allowed() {
		return false
	}
	for _, x := range p.algorithms() {
		if x == alg {
			return true
		}
	}
	return false
}

// maxNonces bounds the outstanding nonces: a flood of unauthenticated requests cannot grow
// the table without limit (the oldest entries are evicted first).
const maxNonces = 10000

// nonceState is what the server remembers of a nonce it issued.
type nonceState struct {
	issued time.Time
	lastNC int // highest nonce-count accepted; a request must use a higher one
}

// authResult is the outcome of checking a request's credentials.
type authResult int

const (
	authMissing authResult = iota // no credentials for our realm: challenge
	authStale                     // unknown, expired or replayed nonce: challenge (stale)
	authFailed                    // wrong user, password or malformed: challenge, counts toward lockout
	authLocked                    // the source is locked out: 403
	authOK
)

// authenticator checks digest credentials (RFC 3261 §22, RFC 2617, RFC 8760) against
// Phones, with nonces that expire and whose nonce-counts must increase, and a lockout of
// sources that fail too often. Only usernames (device ids) are ever logged.
type authenticator struct {
	phones      Phones
	realm       string
	nonceTTL    time.Duration
	maxFailures int
	lockout     time.Duration
	now         func() time.Time
	md5Off      atomic.Bool // MD5 refused as in FIPS mode (tests stand in for it so)

	mu       sync.Mutex
	nonces   map[string]*nonceState
	order    []string // issue order, for eviction
	failures map[netip.Addr]*failState
}

type failState struct {
	count       int
	first       time.Time
	lockedUntil time.Time
}

func newAuthenticator(phones Phones, cfg *Config, now func() time.Time) *authenticator {
	return &authenticator{
		phones: phones, realm: cfg.Realm, nonceTTL: cfg.NonceTTL,
		maxFailures: cfg.AuthMaxFailures, lockout: cfg.AuthLockout, now: now,
		nonces: map[string]*nonceState{}, failures: map[netip.Addr]*failState{},
	}
}

// locked reports whether the source is locked out.
func (a *authenticator) locked(src netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[src]
	return f != nil && a.now().Before(f.lockedUntil)
}

// fail counts a failed authentication from src; it returns true when the source has just
// been locked out.
func (a *authenticator) fail(src netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	f := a.failures[src]
	if f == nil || now.Sub(f.first) > a.lockout {
		if len(a.failures) > maxNonces { // forget old sources rather than grow forever
			for k, v := range a.failures {
				if now.After(v.lockedUntil) && now.Sub(v.first) > a.lockout {
					delete(a.failures, k)
				}
			}
		}
		f = &failState{first: now}
		a.failures[src] = f
	}
	f.count++
	if f.count >= a.maxFailures {
		f.lockedUntil = now.Add(a.lockout)
		f.count, f.first = 0, now
		return true
	}
	return false
}

// succeed clears the failures of a source.
func (a *authenticator) succeed(src netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f := a.failures[src]; f != nil && !a.now().Before(f.lockedUntil) {
		delete(a.failures, src)
	}
}

// newNonce issues a fresh nonce.
func (a *authenticator) newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	n := hex.EncodeToString(b[:])
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for len(a.order) > 0 && (len(a.order) >= maxNonces || now.Sub(a.nonceIssued(a.order[0])) > a.nonceTTL) {
		delete(a.nonces, a.order[0])
		a.order = a.order[1:]
	}
	a.nonces[n] = &nonceState{issued: now}
	a.order = append(a.order, n)
	return n
}

// nonceIssued returns when a nonce in order was issued (zero if already gone). a.mu held.
func (a *authenticator) nonceIssued(n string) time.Time {
	if s := a.nonces[n]; s != nil {
		return s.issued
	}
	return time.Time{}
}

// challenge adds WWW-Authenticate (401) or Proxy-Authenticate (407) headers to res: one
// per algorithm the phone is offered, SHA-256 first, sharing one fresh nonce. user is the
// username the request names (To of a REGISTER, From of an INVITE): a phone set to MD5
// is offered MD5 alone, since many handsets give up on a response that holds any other
// challenge; an unknown user is offered SHA-256 and MD5 (MD5 only outside FIPS mode). It
// returns false, adding nothing, when the phone has no algorithm left (MD5 alone in FIPS
// mode): the caller refuses the request.
func (a *authenticator) challenge(ctx context.Context, res *sip.Response, user string, stale bool) bool {
	name := "WWW-Authenticate"
	if res.StatusCode == sip.StatusProxyAuthRequired {
		name = "Proxy-Authenticate"
	}
	ph := Phone{Digest: parley.DigestSHA256 + "," + parley.DigestMD5}
	if user != "" {
		if p, err := a.phones.FindPhone(ctx, user); err == nil {
			ph = p
		}
	}
	var algs []string
	for _, alg := range ph.algorithms() {
		if a.offers(ph, alg) {
			algs = append(algs, alg)
		}
	}
	if len(algs) == 0 {
		return false
	}
	nonce := a.newNonce()
	for _, alg := range algs {
		c := digest.Challenge{Realm: a.realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		res.AppendHeader(sip.NewHeader(name, c.String()))
	}
	return true
}

// credentials returns the request's digest credentials for our realm, or nil.
func (a *authenticator) credentials(req *sip.Request) (*digest.Credentials, bool) {
	for _, name := range []string{"Authorization", "Proxy-Authorization"} {
		for _, h := range req.GetHeaders(name) {
			c, err := digest.ParseCredentials(h.Value())
			if err != nil {
				return nil, false // malformed: a failure
			}
			if c.Realm == a.realm {
				return c, true
			}
		}
	}
	return nil, true
}

// check verifies the request's credentials. On authOK it returns the phone.
func (a *authenticator) check(ctx context.Context, req *sip.Request, src netip.Addr) (Phone, string, authResult) {
	if a.locked(src) {
		return Phone{}, "", authLocked
	}
	cred, ok := a.credentials(req)
	if !ok {
		return Phone{}, "", authFailed
	}
	if cred == nil {
		return Phone{}, "", authMissing
	}
	user := cred.Username
	if user == "" || len(user) > 64 || strings.ContainsAny(user, "\r\n\"") || cred.Userhash {
		return Phone{}, "", authFailed
	}
	var h hash.Hash
	alg := strings.ToUpper(cred.Algorithm)
	switch alg {
	case "", algMD5:
		alg = algMD5
		if !a.md5Allowed() {
			return Phone{}, user, authFailed // never hash with MD5 in FIPS mode
		}
		h = md5.New()
	case algSHA256:
		h = sha256.New()
	default:
		return Phone{}, user, authFailed
	}
	if cred.QOP != "" && cred.QOP != "auth" {
		return Phone{}, user, authFailed
	}
	if cred.QOP == "auth" && (cred.Nc <= 0 || cred.Cnonce == "") {
		return Phone{}, user, authFailed
	}
	// The nonce: ours, not expired, and a nonce-count higher than any seen with it.
	a.mu.Lock()
	ns := a.nonces[cred.Nonce]
	fresh := ns != nil && a.now().Sub(ns.issued) <= a.nonceTTL
	a.mu.Unlock()
	if !fresh {
		return Phone{}, user, authStale
	}
	ph, err := a.phones.FindPhone(ctx, user)
	if err != nil {
		return Phone{}, user, authFailed
	}
	if !a.offers(ph, alg) { // an algorithm the phone is not set to
		return Phone{}, user, authFailed
	}
	ha1 := phoneHA1(ph, user, a.realm, h, alg == algSHA256)
	if ha1 == "" {
		return Phone{}, user, authFailed
	}
	ha2 := hashJoin(h, string(req.Method), cred.URI)
	var want string
	if cred.QOP == "" {
		want = hashJoin(h, ha1, cred.Nonce, ha2)
	} else {
		want = hashJoin(h, ha1, cred.Nonce, hex8(cred.Nc), cred.Cnonce, cred.QOP, ha2)
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(cred.Response))) != 1 {
		return Phone{}, user, authFailed
	}
	// Only now consume the nonce-count: a wrong password does not burn it.
	a.mu.Lock()
	defer a.mu.Unlock()
	ns = a.nonces[cred.Nonce]
	if ns == nil {
		return Phone{}, user, authStale
	}
	nc := cred.Nc
	if cred.QOP == "" {
		nc = 1 // RFC 2069 style: no nonce-count, the nonce is good once
	}
	if nc <= ns.lastNC {
		return Phone{}, user, authStale // replay
	}
	ns.lastNC = nc
	return ph, user, authOK
}

// phoneHA1 returns the phone's HA1 for the algorithm, from the stored hash or the password.
func phoneHA1(ph Phone, user, realm string, h hash.Hash, sha bool) string {
	if sha {
		if ph.HA1SHA256 != "" {
			return strings.ToLower(ph.HA1SHA256)
		}
	} else if ph.HA1 != "" {
		return strings.ToLower(ph.HA1)
	}
	if ph.Password == "" {
		return ""
	}
	return hashJoin(h, user, realm, ph.Password)
}

func hashJoin(h hash.Hash, parts ...string) string {
	h.Reset()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func hex8(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b)
}

// HA1 returns the MD5 digest secret of a phone, MD5(username:realm:password), to store in
// Phone.HA1 instead of the password. HA1SHA256 is the SHA-256 one.
func HA1(username, realm, password string) string {
	return hashJoin(md5.New(), username, realm, password)
}

// HA1SHA256 returns SHA-256(username:realm:password), for Phone.HA1SHA256.
func HA1SHA256(username, realm, password string) string {
	return hashJoin(sha256.New(), username, realm, password)
}
