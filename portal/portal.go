// Package portal is the self-service side of parley for people outside the facilities:
// attorneys and family members prove they hold a phone number by a code delivered to it
// (a parley.CodeSender: a call that speaks the digits, or a text message), and a verified
// attorney's verified number goes into the privilege registry, which destroys every
// earlier recording to it at once. Codes are 6 random digits, stored only as a keyed hash,
// live 10 minutes, allow 5 tries, are rate-limited per number and per account, and are
// never logged or audited.
package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"parley.dev/parley"
)

// Defaults of Config.
const (
	DefaultCodeTTL         = 10 * time.Minute
	DefaultMaxTries        = 5
	DefaultSendsPerNumber  = 3  // codes to one number per hour, whoever asks
	DefaultSendsPerAccount = 10 // codes asked by one account per hour
	DefaultAttorneyNumbers = 10 // numbers one attorney may claim
	sendWindow             = time.Hour
	codeDigits             = 6
	maxCodeInput           = 16
)

// Store is what the portal reads and writes.
type Store interface {
	parley.PublicService
	FindPrivileged(ctx context.Context, n parley.Number) (*parley.PrivilegedNumber, error)
}

// Registry registers privileged numbers (privilege.Registry), destroying the earlier
// recordings to them, and ends one claim on a number (the entry goes with its last).
type Registry interface {
	Register(ctx context.Context, p *parley.PrivilegedNumber) (int, error)
	Unregister(ctx context.Context, entryID string, c parley.PrivilegeClaim) (bool, error)
}

// Config wires a Service.
type Config struct {
	Store    Store
	Auditor  parley.Auditor
	Registry Registry
	// Sender delivers codes; nil means this server cannot verify numbers (yet), and every
	// request that would send a code says so instead of pretending.
	Sender parley.CodeSender
	// Async delivers codes in the background (a call may ring for a minute): the request
	// that asked returns at once, and a failed delivery is only logged (the person asks
	// for a new code). Off, a failed delivery is the request's error.
	Async  bool
	Logger *slog.Logger // never receives numbers or codes
	Now    func() time.Time
	// Digest is the keyed blind index (fieldcrypt.Cipher.BlindIndex) naming a number in
	// audit events without showing it; nil names it by its redacted form (last two digits).
	Digest func(purpose string, data []byte) []byte
	// Zero fields take the defaults above.
	CodeTTL                         time.Duration
	MaxTries                        int
	SendsPerNumber, SendsPerAccount int
}

// Service runs number verification and attorney registration. Safe for concurrent use.
type Service struct{ c Config }

// New returns a Service, filling defaults.
func New(c Config) *Service {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CodeTTL <= 0 {
		c.CodeTTL = DefaultCodeTTL
	}
	if c.MaxTries <= 0 {
		c.MaxTries = DefaultMaxTries
	}
	if c.SendsPerNumber <= 0 {
		c.SendsPerNumber = DefaultSendsPerNumber
	}
	if c.SendsPerAccount <= 0 {
		c.SendsPerAccount = DefaultSendsPerAccount
	}
	return &Service{c: c}
}

// CanVerify reports whether a code sender is wired.
func (s *Service) CanVerify() bool { return s.c.Sender != nil }

// errNoSender is the answer while no code sender is wired.
func errNoSender(op string) error {
	return parley.Errorf(op, parley.KindUnavailable, "phone number verification is not available on this server yet: no way to deliver a code is configured")
}

func (s *Service) audit(ctx context.Context, action, object, outcome, detail string) error {
	return s.c.Auditor.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: action, Object: object,
		Outcome: outcome, Detail: detail})
}

// newCode returns 6 uniformly random digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// AddNumber claims a number for an account and sends it a code. An attorney must be
// verified and labels it office or cell; a family account holds one number (home).
// Nothing is stored when no sender is wired or the input is bad.
func (s *Service) AddNumber(ctx context.Context, a *parley.PublicAccount, n parley.Number, label string) (*parley.PublicNumber, error) {
	const op = "portal.AddNumber"
	if !n.Valid() {
		return nil, parley.Errorf(op, parley.KindInvalid, "not a phone number")
	}
	have, err := s.c.Store.ListPublicNumbers(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	switch a.Role {
	case parley.RoleAttorney:
		if a.Status != parley.AttorneyVerified {
			return nil, parley.Errorf(op, parley.KindForbidden, "your bar number is not verified yet; numbers can be registered once it is")
		}
		if label != parley.LabelOffice && label != parley.LabelCell {
			return nil, parley.Errorf(op, parley.KindInvalid, "label must be office or cell")
		}
		if len(have) >= DefaultAttorneyNumbers {
			return nil, parley.Errorf(op, parley.KindInvalid, "at most %d numbers per attorney", DefaultAttorneyNumbers)
		}
	case parley.RoleFamily:
		if label != parley.LabelHome {
			return nil, parley.Errorf(op, parley.KindInvalid, "a family account's number is its home number")
		}
		if len(have) > 0 {
			return nil, parley.Errorf(op, parley.KindConflict, "this account has its number already")
		}
	default:
		return nil, parley.Errorf(op, parley.KindForbidden, "not a public account")
	}
	if s.c.Sender == nil {
		return nil, errNoSender(op)
	}
	if err := s.checkRate(ctx, op, a.ID, n); err != nil {
		return nil, err
	}
	pn := &parley.PublicNumber{AccountID: a.ID, Number: n, Label: label, State: parley.NumberPending, CreatedAt: s.c.Now()}
	if err := s.c.Store.AddPublicNumber(ctx, pn); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, "public.number.add", "public_number:"+pn.ID, parley.OutcomeOK, "label "+label); err != nil {
		return nil, err
	}
	return pn, s.send(ctx, op, a, pn)
}

func (s *Service) checkRate(ctx context.Context, op, accountID string, n parley.Number) error {
	byAccount, byNumber, err := s.c.Store.CountCodeSends(ctx, accountID, n, s.c.Now().Add(-sendWindow))
	if err != nil {
		return err
	}
	if byAccount >= s.c.SendsPerAccount || byNumber >= s.c.SendsPerNumber {
		return parley.Errorf(op, parley.KindUnavailable, "too many codes sent; try again in an hour")
	}
	return nil
}

// send makes a fresh code for a number, counts the send and delivers it.
func (s *Service) send(ctx context.Context, op string, a *parley.PublicAccount, pn *parley.PublicNumber) error {
	code, err := newCode()
	if err != nil {
		return parley.WrapError(op, parley.KindInternal, err)
	}
	now := s.c.Now()
	if err := s.c.Store.SetVerificationCode(ctx, pn.ID, code, now.Add(s.c.CodeTTL)); err != nil {
		return err
	}
	if err := s.c.Store.RecordCodeSend(ctx, a.ID, pn.Number, now); err != nil {
		return err
	}
	if err := s.audit(ctx, "public.code.send", "public_number:"+pn.ID, parley.OutcomeOK, ""); err != nil {
		return err
	}
	if s.c.Async {
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), asyncDeliveryTimeout)
			defer cancel()
			if err := s.c.Sender.SendCode(ctx, pn.Number, code); err != nil {
				s.c.Logger.WarnContext(ctx, "verification code not delivered", "number_id", pn.ID, "kind", parley.ErrorKind(err).String())
			}
		}()
		return nil
	}
	if err := s.c.Sender.SendCode(ctx, pn.Number, code); err != nil {
		s.c.Logger.WarnContext(ctx, "verification code not delivered", "number_id", pn.ID, "kind", parley.ErrorKind(err).String())
		return parley.Errorf(op, parley.KindUnavailable, "the code could not be delivered; try again later")
	}
	return nil
}

// asyncDeliveryTimeout bounds a background delivery: ringing, answer and speech.
const asyncDeliveryTimeout = 3 * time.Minute

// ownNumber returns the account's number by id; another account's number is not found.
func (s *Service) ownNumber(ctx context.Context, op string, a *parley.PublicAccount, id string) (*parley.PublicNumber, error) {
	if parley.ValidateID(id) != nil {
		return nil, parley.Errorf(op, parley.KindNotFound, "number not found")
	}
	pn, err := s.c.Store.FindPublicNumber(ctx, id)
	if parley.IsKind(err, parley.KindNotFound) || err == nil && pn.AccountID != a.ID {
		return nil, parley.Errorf(op, parley.KindNotFound, "number not found")
	}
	return pn, err
}

// ResendCode sends a new code to a pending number of the account.
func (s *Service) ResendCode(ctx context.Context, a *parley.PublicAccount, numberID string) error {
	const op = "portal.ResendCode"
	pn, err := s.ownNumber(ctx, op, a, numberID)
	if err != nil {
		return err
	}
	if pn.State != parley.NumberPending {
		return parley.Errorf(op, parley.KindConflict, "this number is verified already")
	}
	if s.c.Sender == nil {
		return errNoSender(op)
	}
	if err := s.checkRate(ctx, op, a.ID, pn.Number); err != nil {
		return err
	}
	return s.send(ctx, op, a, pn)
}

// Confirmed is the outcome of a confirmed code.
type Confirmed struct {
	Number    *parley.PublicNumber
	Destroyed int // recordings destroyed by the registration (attorneys)
}

// ConfirmCode checks a code for a pending number of the account. On success the number is
// verified; an attorney's is then registered as privileged (source self-registration,
// kind attorney), which destroys every earlier recording to it. A verified attorney number
// whose registration failed is registered again without a code.
func (s *Service) ConfirmCode(ctx context.Context, a *parley.PublicAccount, numberID, code string) (*Confirmed, error) {
	const op = "portal.ConfirmCode"
	pn, err := s.ownNumber(ctx, op, a, numberID)
	if err != nil {
		return nil, err
	}
	object := "public_number:" + pn.ID
	switch pn.State {
	case parley.NumberRegistered:
		return nil, parley.Errorf(op, parley.KindConflict, "this number is registered already")
	case parley.NumberVerified:
		if a.Role != parley.RoleAttorney {
			return nil, parley.Errorf(op, parley.KindConflict, "this number is verified already")
		}
	default:
		if len(code) > maxCodeInput || !sixDigits(code) {
			return nil, parley.Errorf(op, parley.KindInvalid, "the code is the 6 digits you heard")
		}
		res, err := s.c.Store.CheckVerificationCode(ctx, pn.ID, code, s.c.Now(), s.c.MaxTries)
		if err != nil {
			return nil, err
		}
		if res != parley.CodeOK {
			msg := map[parley.CodeResult]string{
				parley.CodeWrong:     "the code is wrong",
				parley.CodeExpired:   "no valid code for this number: ask for a new one",
				parley.CodeExhausted: "too many tries: ask for a new code",
			}[res]
			if err := s.audit(ctx, "public.code.check", object, parley.OutcomeDenied, msg); err != nil {
				return nil, err
			}
			return nil, parley.Errorf(op, parley.KindInvalid, "%s", msg)
		}
		pn.State, pn.VerifiedAt = parley.NumberVerified, s.c.Now()
		if err := s.audit(ctx, "public.code.check", object, parley.OutcomeOK, "number verified"); err != nil {
			return nil, err
		}
		if err := s.c.Store.UpdatePublicNumber(ctx, pn); err != nil {
			return nil, err
		}
	}
	out := &Confirmed{Number: pn}
	if a.Role != parley.RoleAttorney {
		return out, nil
	}
	if a.Status != parley.AttorneyVerified {
		return out, parley.Errorf(op, parley.KindForbidden, "your bar number is not verified yet")
	}
	entry := &parley.PrivilegedNumber{Number: pn.Number, Kind: parley.PrivilegeAttorney, Source: parley.SourceSelfRegistration,
		Name: a.FullName, BarNumber: a.BarNumber, AddedBy: parley.ActorFromContext(ctx), AddedAt: s.c.Now(), Holder: a.ID}
	out.Destroyed, err = s.c.Registry.Register(ctx, entry)
	switch {
	case err == nil:
		pn.PrivilegedID = entry.ID
	case parley.IsKind(err, parley.KindConflict):
		// Registered before (by staff, a directory or another attorney): privileged all the
		// same, and Register swept again.
		existing, ferr := s.c.Store.FindPrivileged(ctx, pn.Number)
		if ferr != nil {
			return out, ferr
		}
		pn.PrivilegedID = existing.ID
	default:
		return out, err
	}
	pn.State = parley.NumberRegistered
	if err := s.c.Store.UpdatePublicNumber(ctx, pn); err != nil {
		return out, err
	}
	return out, nil
}

// numberRef names a number in an audit event: a short keyed digest, never the number.
func (s *Service) numberRef(n parley.Number) string {
	if s.c.Digest == nil {
		return "number " + n.Redacted()
	}
	d := s.c.Digest("number", []byte(n))
	if len(d) > 8 {
		d = d[:8]
	}
	return "number:#" + hex.EncodeToString(d)
}

// Removed is the outcome of an attorney giving a number up.
type Removed struct {
	// StillPrivileged says the number stays in the registry on another claim (staff, a
	// directory or another attorney); false once it was privileged only by this attorney,
	// or was never registered.
	StillPrivileged bool
}

// RemoveNumber ends an attorney's claim on one of their numbers, audited as
// "public.number.remove" (the number named by a keyed digest) before anything changes. A
// registered number's self-registration is released from the registry: if no other claim
// holds it (staff, a directory, another attorney) calls to it are recorded again from now
// on; recordings destroyed earlier stay destroyed. Another account's number is not found.
func (s *Service) RemoveNumber(ctx context.Context, a *parley.PublicAccount, numberID string) (*Removed, error) {
	const op = "portal.RemoveNumber"
	if a.Role != parley.RoleAttorney {
		return nil, parley.Errorf(op, parley.KindForbidden, "only an attorney removes numbers here")
	}
	pn, err := s.ownNumber(ctx, op, a, numberID)
	if err != nil {
		return nil, err
	}
	object := "public_number:" + pn.ID
	if err := s.audit(ctx, "public.number.remove", object, parley.OutcomeOK,
		s.numberRef(pn.Number)+" state "+string(pn.State)); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	out := &Removed{}
	if pn.State == parley.NumberRegistered && pn.PrivilegedID != "" {
		removed, err := s.c.Registry.Unregister(ctx, pn.PrivilegedID, parley.PrivilegeClaim{Source: parley.SourceSelfRegistration, Holder: a.ID})
		switch {
		case err == nil:
			out.StillPrivileged = !removed
		case parley.IsKind(err, parley.KindNotFound):
			// No claim of this attorney (released by an earlier, interrupted removal, or
			// the entry stands on others' claims alone): what stands is theirs.
			_, ferr := s.c.Store.FindPrivileged(ctx, pn.Number)
			out.StillPrivileged = ferr == nil
		default:
			_ = s.audit(ctx, "public.number.remove", object, parley.OutcomeError, "failed: "+parley.ErrorKind(err).String())
			return nil, err
		}
	}
	if err := s.c.Store.DeletePublicNumber(ctx, a.ID, pn.ID); err != nil {
		_ = s.audit(ctx, "public.number.remove", object, parley.OutcomeError, "failed: "+parley.ErrorKind(err).String())
		return nil, err
	}
	return out, nil
}

func sixDigits(s string) bool {
	if len(s) != codeDigits {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// NumberStatus is a number of an account with, once registered, what the store holds of
// recordings to it.
type NumberStatus struct {
	*parley.PublicNumber
	StoredRecordings    int // must be 0 for a registered number
	DestroyedRecordings int
}

// Numbers returns the account's numbers; for registered ones, the count of recordings to
// the number still stored (0 is the promise) and of those destroyed.
func (s *Service) Numbers(ctx context.Context, a *parley.PublicAccount) ([]NumberStatus, error) {
	ns, err := s.c.Store.ListPublicNumbers(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	out := make([]NumberStatus, 0, len(ns))
	for _, n := range ns {
		st := NumberStatus{PublicNumber: n}
		if n.State == parley.NumberRegistered {
			if st.StoredRecordings, st.DestroyedRecordings, err = s.c.Store.CountRecordingsToNumber(ctx, n.Number); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// VerifyAttorney marks a pending attorney's bar number checked (an admin's decision,
// audited with the admin as actor).
func (s *Service) VerifyAttorney(ctx context.Context, id string) error {
	const op = "portal.VerifyAttorney"
	if parley.ValidateID(id) != nil {
		return parley.Errorf(op, parley.KindInvalid, "not an account id")
	}
	a, err := s.c.Store.FindPublicAccount(ctx, id)
	if parley.IsKind(err, parley.KindNotFound) || err == nil && a.Role != parley.RoleAttorney {
		return parley.Errorf(op, parley.KindNotFound, "no attorney account with that id")
	}
	if err != nil {
		return err
	}
	if a.Status == parley.AttorneyVerified {
		return parley.Errorf(op, parley.KindConflict, "the attorney is verified already")
	}
	if err := s.audit(ctx, "attorney.verify", "public:"+id, parley.OutcomeOK, "bar number checked"); err != nil {
		return err
	}
	return s.c.Store.VerifyAttorney(ctx, id, parley.ActorFromContext(ctx), s.c.Now())
}
