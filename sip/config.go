package sip

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
)

// Config configures a Server.
type Config struct {
	// UDPAddr and TCPAddr are where SIP is served ("127.0.0.1:5060"; port 0 picks one).
	// An empty TCPAddr disables TCP; UDPAddr is required. A TCPAddr equal to a UDPAddr
	// with port 0 listens on the port UDP picked, so both share one port.
	UDPAddr string
	TCPAddr string
	// MediaIP is the address put in SDP and Contact headers. When zero, the IP of UDPAddr
	// is used, which must then not be unspecified.
	MediaIP netip.Addr
	// RTPPortMin and RTPPortMax bound the RTP ports (even ports are used, RTCP is not).
	RTPPortMin, RTPPortMax int
	// Gateways maps the source address of trusted SIP gateways to a facility id. INVITEs
	// from any other address must authenticate as a registered phone (Deps.Phones), or
	// are refused with 403 when there is no Phones.
	Gateways map[netip.Addr]string
	// Trunk is the SIP URI outbound calls are sent to, e.g. "sip:198.51.100.1:5060"
	// (";transport=tcp" selects TCP; "sips:" or ";transport=tls" selects TLS, which needs
	// TLSAddr: the trunk's requests in the dialog come back there).
	Trunk string
	// TrunkUser and TrunkPassword answer the trunk's digest challenges (401/407) to
	// INVITE and REGISTER. The password is a secret: never logged.
	TrunkUser, TrunkPassword string
	// TrunkRegister makes the server register with the trunk (REGISTER, refreshed before
	// it expires, retried with back-off after a failure); TrunkExpires is the lifetime
	// asked for (1 h when zero).
	TrunkRegister bool
	TrunkExpires  time.Duration
	// TrunkTLS is the client TLS configuration towards a TLS trunk (nil: the system's
	// roots; the trunk's certificate is always verified).
	TrunkTLS *tls.Config
	// TrunkSRTP says whether media towards a TLS trunk is SRTP (see SRTPMode); towards a
	// trunk without TLS it is always plain RTP (SDES keys never go over plain signalling).
	TrunkSRTP SRTPMode

	// TLSAddr is where SIP over TLS is served (empty: no TLS), with TLS its server
	// configuration (a certificate). Phones and gateways calling over TLS may offer SRTP
	// (RTP/SAVP with a=crypto).
	TLSAddr string
	TLS     *tls.Config
	// Lang is the language of the prompts (prompts.English when empty): the called
	// party's, and the inmate's unless they choose another.
	Lang prompts.Lang
	// Languages, when it has two or more, are offered to the inmate first: the welcome
	// prompt plays in each, in order, and key 1 picks the first, 2 the second… Every later
	// prompt the inmate hears is in the chosen language; no choice in time keeps Lang.
	// With fewer than two there is no choice (a facility with one language).
	Languages []prompts.Lang

	// DigitTimeout is how long the IVR waits for the first digit after a prompt, and
	// between digits (10 s when zero).
	DigitTimeout time.Duration
	// AnswerTimeout is how long the called party may ring (60 s when zero).
	AnswerTimeout time.Duration
	// AcceptTimeout is how long the called party has to press a key once the menu has
	// played (15 s when zero).
	AcceptTimeout time.Duration
	// MaxPINDigits and MaxNumberDigits bound the digit strings (12 and 15 when zero); the
	// number ends at '#' or at MaxNumberDigits digits.
	MaxPINDigits, MaxNumberDigits int

	// Realm is the digest authentication realm of registering phones ("parley" when
	// empty); Phone.HA1 must have been computed with it.
	Realm string
	// NonceTTL is how long a digest nonce may be used (5 min when zero); after it the
	// phone is challenged again with stale=true.
	NonceTTL time.Duration
	// AuthMaxFailures failed authentications from one source address within AuthLockout
	// lock that source out for AuthLockout (5 and 5 min when zero): its REGISTERs and
	// INVITEs get 403 without their credentials being checked.
	AuthMaxFailures int
	AuthLockout     time.Duration
	// MinExpires and MaxExpires bound a registration's lifetime (60 s and 1 h when zero);
	// a shorter Expires is answered 423, a longer one is lowered.
	MinExpires, MaxExpires time.Duration

	// MediaTimeout ends a call when one of its answered legs has sent no RTP for that long
	// (30 s when zero): the call record is dropped with reason "rtp_timeout_inmate" or
	// "rtp_timeout_called". A leg that put the call on hold (a=inactive or a=recvonly) is
	// not timed.
	MediaTimeout time.Duration
	// WarnBefore is how long before a Decision's MaxDuration both parties hear the
	// one-minute warning (1 min when zero). A MaxDuration not longer than WarnBefore gets
	// no warning.
	WarnBefore time.Duration
}

func (c *Config) setDefaults() {
	if c.Lang == "" {
		c.Lang = prompts.English
	}
	if c.DigitTimeout <= 0 {
		c.DigitTimeout = 10 * time.Second
	}
	if c.AnswerTimeout <= 0 {
		c.AnswerTimeout = 60 * time.Second
	}
	if c.AcceptTimeout <= 0 {
		c.AcceptTimeout = 15 * time.Second
	}
	if c.MaxPINDigits <= 0 {
		c.MaxPINDigits = 12
	}
	if c.MaxNumberDigits <= 0 {
		c.MaxNumberDigits = 15
	}
	if c.Realm == "" {
		c.Realm = "parley"
	}
	if c.NonceTTL <= 0 {
		c.NonceTTL = 5 * time.Minute
	}
	if c.AuthMaxFailures <= 0 {
		c.AuthMaxFailures = 5
	}
	if c.AuthLockout <= 0 {
		c.AuthLockout = 5 * time.Minute
	}
	if c.MinExpires <= 0 {
		c.MinExpires = time.Minute
	}
	if c.MediaTimeout <= 0 {
		c.MediaTimeout = 30 * time.Second
	}
	if c.WarnBefore <= 0 {
		c.WarnBefore = time.Minute
	}
	if c.TrunkExpires <= 0 {
		c.TrunkExpires = time.Hour
	}
	if c.TrunkSRTP == "" {
		c.TrunkSRTP = SRTPRequired
	}
	if c.MaxExpires < c.MinExpires {
		c.MaxExpires = max(time.Hour, c.MinExpires)
	}
}

func (c *Config) validate() error {
	const op = "sip.New"
	if c.UDPAddr == "" {
		return parley.Errorf(op, parley.KindInvalid, "no UDP address")
	}
	if c.RTPPortMin <= 0 || c.RTPPortMax > 65535 || c.RTPPortMax < c.RTPPortMin+1 {
		return parley.Errorf(op, parley.KindInvalid, "bad RTP port range %d-%d", c.RTPPortMin, c.RTPPortMax)
	}
	if !strings.HasPrefix(c.Trunk, "sip:") && !strings.HasPrefix(c.Trunk, "sips:") {
		return parley.Errorf(op, parley.KindInvalid, "trunk must be a sip: or sips: URI")
	}
	if c.TLSAddr != "" && (c.TLS == nil || len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil) {
		return parley.Errorf(op, parley.KindInvalid, "TLS address without a certificate")
	}
	switch c.TrunkSRTP {
	case "", SRTPRequired, SRTPOptional, SRTPOff:
	default:
		return parley.Errorf(op, parley.KindInvalid, "bad trunk SRTP mode")
	}
	if c.TrunkRegister && c.TrunkUser == "" {
		return parley.Errorf(op, parley.KindInvalid, "trunk registration needs a trunk user")
	}
	return nil
}

// Deps are the services a Server uses. Calls, Policy and Recorder are required.
type Deps struct {
	Calls    parley.CallService
	Policy   Policy
	Recorder Recorder
	Blocks   Blocks  // optional: a '9' is then only recorded in the call record
	Phones   Phones  // optional: phones that register with digest authentication
	Prompts  Prompts // optional: the embedded prompts when nil
	Billing  Billing // optional: calls are free when nil
	Metrics  Metrics // optional: measurements for monitoring
	// Gateways, if set, is asked at each INVITE which facility trusts its source address,
	// so gateways added or removed while the server runs count at once; Config.Gateways
	// is then not used.
	Gateways Gateways
	Logger   *slog.Logger
}

// Attempt is what an inmate asked for: the facility and device the call comes from, the
// PIN typed and the digits dialed. PIN and Dialed are personal data: never log them.
type Attempt struct {
	CallID     string
	FacilityID string
	DeviceID   string
	PIN        string
	Dialed     string
}

// Reasons a Policy may give in Decision.Reason. Each selects the refusal prompt the inmate
// hears; any other reason plays prompts.CallRefused.
const (
	ReasonInvalidPIN       = "invalid_pin"
	ReasonNumberNotAllowed = "number_not_allowed"
	ReasonOutsideHours     = "outside_hours"
	ReasonQuotaExceeded    = "quota_exceeded"
	ReasonLockdown         = "lockdown"
	ReasonNumberBlocked    = "number_blocked"
)

// Decision is a Policy's answer. On refusal Reason says why (never personal data);
// InmateID, InmateName and Number are filled when known, for the call record.
type Decision struct {
	Allow      bool
	Reason     string
	InmateID   string
	InmateName string
	Number     parley.Number // the normalised number to dial
	// MaxDuration ends the bridged call at the limit; zero means no limit.
	MaxDuration time.Duration
	// Prompt is the refusal prompt; when empty it is chosen by Reason (refusalPrompt), so
	// a Policy may record a precise reason ("pin_locked") and play a general prompt.
	Prompt prompts.ID
}

// Policy decides whether an inmate may make a call.
type Policy interface {
	// Authorize returns the decision for the attempt. An error (not a refusal) ends the
	// call as dropped.
	Authorize(ctx context.Context, a Attempt) (Decision, error)
}

// RecordingWriter receives a call's recording (a stereo μ-law WAV stream).
type RecordingWriter interface {
	io.Writer
	// Close completes the recording.
	Close() error
	// Abort discards it (the call was never connected).
	Abort() error
	// ID is the recording id to put in the call record.
	ID() string
}

// Recorder hands out recording writers; it matches vault.Vault.Record. When the verdict
// says the call may not be recorded it returns a nil writer, and the Server records
// nothing.
type Recorder interface {
	Record(ctx context.Context, callID string, p parley.CallParties, class parley.RecordClass) (RecordingWriter, parley.RecordVerdict, error)
}

// Blocks stores "do not call me again" requests made by called parties pressing 9.
type Blocks interface {
	Block(ctx context.Context, facilityID string, n parley.Number, callID string) error
}

// Phone is a facility phone that registers with digest authentication. Its username is
// its device id as far as logs go: usernames are logged, secrets never.
type Phone struct {
	FacilityID string
	DeviceID   string
	// Digest lists the algorithms the phone is challenged with and may answer, as
	// parley.SIPPhone.Digest ("sha256", "md5", "sha256,md5"); empty: those its secrets
	// allow. MD5 is never offered nor accepted in FIPS mode (MD5Allowed).
	Digest string
	// HA1 is the digest hash MD5(username:realm:password) (see the HA1 function), so the
	// password need not be stored. HA1SHA256 is the SHA-256 one (RFC 8760); without it
	// (and without Password) the phone can only authenticate with MD5.
	HA1       string
	HA1SHA256 string
	// Password, when set, is used instead of the hashes (provisioning from configuration).
	Password string
}

// Gateways finds the facility that trusts a SIP gateway's address.
type Gateways interface {
	// GatewayFacility returns the facility of a trusted gateway address, or ok false. An
	// error refuses the INVITE (503).
	GatewayFacility(ctx context.Context, addr netip.Addr) (facilityID string, ok bool, err error)
}

// Phones looks up phones that register with digest authentication. REGISTER and INVITE
// from any address that is not in Config.Gateways are challenged against it; without
// Phones such requests are refused with 403.
type Phones interface {
	// FindPhone returns the phone with the username; any error refuses it.
	FindPhone(ctx context.Context, username string) (Phone, error)
}

// Prompts provides the IVR's prompts as 20 ms μ-law frames (see package prompts).
type Prompts interface {
	Prompt(id prompts.ID, lang prompts.Lang) ([][]byte, error)
}

type embeddedPrompts struct{}

func (embeddedPrompts) Prompt(id prompts.ID, lang prompts.Lang) ([][]byte, error) {
	return prompts.Prompt(id, lang)
}

// refusalPrompt maps a policy reason to the prompt the inmate hears.
func refusalPrompt(reason string) prompts.ID {
	switch reason {
	case ReasonInvalidPIN:
		return prompts.InvalidPIN
	case ReasonNumberNotAllowed:
		return prompts.NumberNotAllowed
	case ReasonOutsideHours:
		return prompts.OutsideHours
	case ReasonQuotaExceeded:
		return prompts.QuotaExceeded
	case ReasonLockdown:
		return prompts.Lockdown
	case ReasonNumberBlocked:
		return prompts.NumberBlocked
	case ReasonInsufficientFunds:
		return prompts.InsufficientFunds
	case ReasonBillingUnavailable:
		return prompts.TechnicalProblem
	}
	return prompts.CallRefused
}
