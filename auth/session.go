package auth

import (
	"context"
	"time"

	"parley.dev/parley"
)

// sessionStore is where one kind of session lives: staff sessions or public ones. Both
// kinds share the lifecycle below, so the timeouts and the factor check are written once.
type sessionStore struct {
	find   func(context.Context, []byte) (*parley.Session, error)
	touch  func(context.Context, []byte, time.Time) error
	delete func(context.Context, []byte) error
}

// newSession makes a random token and the session it opens for owner, whose factors are at
// factorVersion. Only the token's hash is in the session.
func newSession(op, owner string, factorVersion int, now time.Time) (string, *parley.Session, error) {
	token, err := randomToken(32)
	if err != nil {
		return "", nil, parley.WrapError(op, parley.KindInternal, err)
	}
	csrf, err := randomToken(32)
	if err != nil {
		return "", nil, parley.WrapError(op, parley.KindInternal, err)
	}
	return token, &parley.Session{TokenHash: HashToken(token), UserID: owner, CSRFToken: csrf,
		FactorVersion: factorVersion, CreatedAt: now, LastSeen: now}, nil
}

// live returns the live session of token and touches it. current loads the session's
// owner and reports whether its factors are still those the session began under
// (KindNotFound if the owner is gone). A token that is unknown, idle too long, past the
// absolute timeout, of a gone owner or made before a factor change gives KindUnauthorized,
// and the dead session is removed.
func (st sessionStore) live(ctx context.Context, op, token string, now time.Time, c Config,
	current func(owner string, factorVersion int) (bool, error)) (*parley.Session, error) {
	if token == "" || len(token) > 100 {
		return nil, parley.Errorf(op, parley.KindUnauthorized, "sign in first")
	}
	h := HashToken(token)
	sess, err := st.find(ctx, h)
	if parley.IsKind(err, parley.KindNotFound) {
		return nil, parley.Errorf(op, parley.KindUnauthorized, "sign in first")
	}
	if err != nil {
		return nil, err
	}
	dead := func(why string) (*parley.Session, error) {
		if err := st.delete(ctx, h); err != nil {
			return nil, err
		}
		return nil, parley.Errorf(op, parley.KindUnauthorized, "%s; sign in again", why)
	}
	if now.Sub(sess.LastSeen) >= c.IdleTimeout {
		return dead("session idle too long")
	}
	if now.Sub(sess.CreatedAt) >= c.AbsoluteTimeout {
		return dead("session too old")
	}
	ok, err := current(sess.UserID, sess.FactorVersion)
	if parley.IsKind(err, parley.KindNotFound) {
		return dead("account gone")
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return dead("sign-in factors changed")
	}
	if err := st.touch(ctx, h, now); err != nil {
		return nil, err
	}
	sess.LastSeen = now
	return sess, nil
}
