package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"parley.dev/parley"
)

// Families: an account bound to one phone number, verified by a code delivered to it.
// The pages show every facility's rates and the cap in force plainly, and for the verified
// number the prepaid balance, a deposit form (payment processing is simulated in this
// build), the statement, the call history to the number and its self-blocks.

// Family is what the family side reads and changes, for one verified number. cmd/parley
// implements it over billing, ledger and rates; every change is audited there.
type Family interface {
	// Rates returns each facility's per-minute prices, caps and fee rule in force now.
	Rates(ctx context.Context) ([]FacilityRates, error)
	// Money returns the number's prepaid balance and its statement for [from, to).
	Money(ctx context.Context, n parley.Number, from, to time.Time) (*FamilyMoney, error)
	// Deposit records a deposit of amount (dollars, "20.00") under an idempotency key:
	// the same key again applies nothing and says so (applied false).
	Deposit(ctx context.Context, n parley.Number, amount, key string) (applied bool, balance string, err error)
	// Calls returns the calls to the number (not privileged ones), newest first.
	Calls(ctx context.Context, n parley.Number) ([]FamilyCall, error)
	// Blocks returns the number's self-blocks; Block and Unblock change them (facility ""
	// is every facility).
	Blocks(ctx context.Context, n parley.Number) ([]*parley.SelfBlock, error)
	Block(ctx context.Context, n parley.Number, facilityID string) error
	Unblock(ctx context.Context, n parley.Number, facilityID string) error
}

// FacilityRates is one facility's prices as a family sees them.
type FacilityRates struct {
	FacilityID string        `json:"facility_id"`
	Name       string        `json:"name"`
	Services   []ServiceRate `json:"services"`
	Fees       string        `json:"fees"` // e.g. "No fees: …"
}

// ServiceRate is one service's price per minute and the cap in force with its source.
type ServiceRate struct {
	Service   string `json:"service"`
	PerMinute string `json:"per_minute,omitempty"` // what a minute costs; empty if not priced
	Cap       string `json:"cap,omitempty"`
	CapSource string `json:"cap_source,omitempty"` // the order and its date, e.g. "FCC 24-75 (2024-07-22)"
	// CapCitation is the full citation: order, date, section and how it was verified.
	CapCitation string `json:"cap_citation,omitempty"`
	Capped      bool   `json:"capped"` // the cap, not the facility's rate, sets the price
	Note        string `json:"note,omitempty"`
}

// FamilyMoney is a prepaid account's balance and statement.
type FamilyMoney struct {
	Balance     string          `json:"balance"`
	From        string          `json:"from"`
	To          string          `json:"to"`      // exclusive
	Through     string          `json:"through"` // the last day included
	Opening     string          `json:"opening"`
	Deposits    string          `json:"deposits"`
	CallCharges string          `json:"call_charges"`
	Calls       int             `json:"calls"`
	Credits     string          `json:"credits"`
	Refunds     string          `json:"refunds"`
	Lines       []StatementLine `json:"lines"`
}

// StatementLine is one movement of the account.
type StatementLine struct {
	Time    time.Time `json:"time"`
	What    string    `json:"what"`
	Amount  string    `json:"amount"`
	Balance string    `json:"balance"`
}

// FamilyCall is a call to the family's number: when, where, how long, what it cost.
type FamilyCall struct {
	StartedAt time.Time     `json:"started_at"`
	Facility  string        `json:"facility"`
	Duration  time.Duration `json:"-"`
	Seconds   int64         `json:"seconds"`
	Charge    string        `json:"charge"`
}

func (s *Server) familyRoutes(mux *http.ServeMux) {
	side := familySide
	mux.Handle("GET /api/v1/family/number", s.publicAPI(side, s.apiFamilyNumber))
	mux.Handle("POST /api/v1/family/number", s.publicAPI(side, s.apiFamilyAddNumber))
	mux.Handle("POST /api/v1/family/number/{id}/code", s.publicAPI(side, s.apiConfirmCode(side)))
	mux.Handle("POST /api/v1/family/number/{id}/resend", s.publicAPI(side, s.apiResendCode(side)))
	mux.Handle("GET /api/v1/family/rates", s.publicAPI(side, s.apiFamilyRates))
	mux.Handle("GET /api/v1/family/account", s.publicAPI(side, s.apiFamilyAccount))
	mux.Handle("POST /api/v1/family/deposits", s.publicAPI(side, s.apiFamilyDeposit))
	mux.Handle("GET /api/v1/family/calls", s.publicAPI(side, s.apiFamilyCalls))
	mux.Handle("GET /api/v1/family/blocks", s.publicAPI(side, s.apiFamilyBlocks))
	mux.Handle("POST /api/v1/family/blocks", s.publicAPI(side, s.apiFamilyBlock))
	mux.Handle("DELETE /api/v1/family/blocks", s.publicAPI(side, s.apiFamilyUnblock))
	mux.Handle("GET /family", s.publicPage(side, s.pageFamily))
	mux.Handle("POST /family/number", s.publicPage(side, s.pageFamilyAddNumber))
	mux.Handle("POST /family/number/{id}/code", s.publicPage(side, s.pageConfirmCode(side)))
	mux.Handle("POST /family/number/{id}/resend", s.publicPage(side, s.pageResendCode(side)))
	mux.Handle("POST /family/deposits", s.publicPage(side, s.pageFamilyDeposit))
	mux.Handle("POST /family/blocks", s.publicPage(side, s.pageFamilyBlock))
	mux.Handle("POST /family/blocks/remove", s.publicPage(side, s.pageFamilyUnblock))
}

// familyNumber returns the account's number (nil if none claimed yet).
func (s *Server) familyNumber(ctx context.Context, p *publicPrincipal) (*parley.PublicNumber, error) {
	ns, err := s.c.Store.ListPublicNumbers(ctx, p.acct.ID)
	if err != nil || len(ns) == 0 {
		return nil, err
	}
	return ns[0], nil
}

// verifiedNumber returns the account's verified number, or KindForbidden until there is one.
func (s *Server) verifiedNumber(ctx context.Context, p *publicPrincipal) (parley.Number, error) {
	n, err := s.familyNumber(ctx, p)
	if err != nil {
		return "", err
	}
	if n == nil || n.State == parley.NumberPending {
		return "", parley.Errorf("web.family", parley.KindForbidden, "verify your phone number first")
	}
	return n.Number, nil
}

// verifiedFamily returns the family backend and the account's verified number: what
// every family operation on money, calls and blocks starts with.
func (s *Server) verifiedFamily(ctx context.Context, p *publicPrincipal) (Family, parley.Number, error) {
	f, err := s.family()
	if err != nil {
		return nil, "", err
	}
	n, err := s.verifiedNumber(ctx, p)
	if err != nil {
		return nil, "", err
	}
	return f, n, nil
}

func (s *Server) family() (Family, error) {
	if s.c.Family == nil {
		return nil, parley.Errorf("web.family", parley.KindUnavailable, "family accounts are not enabled on this server")
	}
	return s.c.Family, nil
}

func (s *Server) apiFamilyNumber(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	n, err := s.familyNumber(p.ctx(r), p)
	if err != nil {
		return err
	}
	out := map[string]any{"verification_available": s.c.Portal.CanVerify()}
	if n != nil {
		out["number"] = map[string]string{"id": n.ID, "number": string(n.Number), "state": string(n.State)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiFamilyAddNumber(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	var req struct {
		Number string `json:"number"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	return s.claimNumber(w, r, p, req.Number, parley.LabelHome)
}

func (s *Server) apiFamilyRates(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	f, err := s.family()
	if err != nil {
		return err
	}
	rs, err := f.Rates(p.ctx(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"facilities": rs})
	return nil
}

// statementPeriod reads from/to (dates) or defaults to the 30 days up to the end of today.
func statementPeriod(r *http.Request, now time.Time) (time.Time, time.Time, error) {
	q := r.URL.Query()
	from, err := parseDate("from", q.Get("from"), false)
	if err != nil {
		return from, from, err
	}
	to, err := parseDate("to", q.Get("to"), true)
	if err != nil {
		return from, to, err
	}
	if to.IsZero() { // the end of today (UTC)
		to = now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	if !from.Before(to) {
		return from, to, parley.Errorf("web.statement", parley.KindInvalid, "from must be before to")
	}
	return from, to, nil
}

func (s *Server) apiFamilyAccount(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	ctx := p.ctx(r)
	f, n, err := s.verifiedFamily(ctx, p)
	if err != nil {
		return err
	}
	from, to, err := statementPeriod(r, p.now)
	if err != nil {
		return err
	}
	m, err := f.Money(ctx, n, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// depositKey checks an idempotency key and scopes it to the account, so two accounts
// choosing the same key never collide.
func depositKey(p *publicPrincipal, key string) (string, error) {
	if key == "" || len(key) > 64 {
		return "", parley.Errorf("web.deposit", parley.KindInvalid, "an idempotency key of 1 to 64 letters, digits, '-' or '_' is required")
	}
	for _, c := range key {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return "", parley.Errorf("web.deposit", parley.KindInvalid, "an idempotency key of 1 to 64 letters, digits, '-' or '_' is required")
		}
	}
	return "web:" + p.acct.ID + ":" + key, nil
}

func (s *Server) deposit(ctx context.Context, p *publicPrincipal, amount, key string) (bool, string, error) {
	f, n, err := s.verifiedFamily(ctx, p)
	if err != nil {
		return false, "", err
	}
	k, err := depositKey(p, key)
	if err != nil {
		return false, "", err
	}
	amount = strings.TrimPrefix(strings.TrimSpace(amount), "$")
	if len(amount) > 12 {
		return false, "", parley.Errorf("web.deposit", parley.KindInvalid, "amount must be dollars and cents, like 20.00")
	}
	return f.Deposit(ctx, n, amount, k)
}

func (s *Server) apiFamilyDeposit(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	var req struct {
		Amount string `json:"amount"`
		Key    string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	applied, bal, err := s.deposit(p.ctx(r), p, req.Amount, req.Key)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !applied {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"applied": applied, "balance": bal, "simulated": true})
	return nil
}

func (s *Server) apiFamilyCalls(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	ctx := p.ctx(r)
	f, n, err := s.verifiedFamily(ctx, p)
	if err != nil {
		return err
	}
	cs, err := f.Calls(ctx, n)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []FamilyCall{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": cs})
	return nil
}

type blockJSON struct {
	FacilityID string `json:"facility_id"` // "" for every facility
	AddedAt    string `json:"added_at"`
}

func (s *Server) apiFamilyBlocks(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	ctx := p.ctx(r)
	f, n, err := s.verifiedFamily(ctx, p)
	if err != nil {
		return err
	}
	bs, err := f.Blocks(ctx, n)
	if err != nil {
		return err
	}
	out := make([]blockJSON, 0, len(bs))
	for _, b := range bs {
		out = append(out, blockJSON{FacilityID: b.FacilityID, AddedAt: b.AddedAt.UTC().Format(time.RFC3339)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"blocks": out})
	return nil
}

// changeBlock blocks or unblocks calls to the verified number from one facility ("" or
// "all": every facility).
func (s *Server) changeBlock(ctx context.Context, p *publicPrincipal, facility string, block bool) error {
	f, n, err := s.verifiedFamily(ctx, p)
	if err != nil {
		return err
	}
	facility = strings.TrimSpace(facility)
	if facility == "all" {
		facility = ""
	}
	if facility != "" && parley.ValidateID(facility) != nil {
		return parley.Errorf("web.block", parley.KindInvalid, "facility must be a facility id or all")
	}
	if block {
		return f.Block(ctx, n, facility)
	}
	return f.Unblock(ctx, n, facility)
}

func (s *Server) apiFamilyBlock(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	var req struct {
		FacilityID string `json:"facility_id"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := s.changeBlock(p.ctx(r), p, req.FacilityID, true); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Server) apiFamilyUnblock(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	if err := s.changeBlock(p.ctx(r), p, r.URL.Query().Get("facility"), false); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// familyPage is everything the family's page shows.
type familyPage struct {
	Number     *parley.PublicNumber
	Verified   bool
	CanVerify  bool
	Rates      []FacilityRates
	Money      *FamilyMoney
	Calls      []FamilyCall
	Blocks     []*parley.SelfBlock
	BlockedAll bool
	DepositKey string // a fresh idempotency key per form, so a resubmitted form deposits once
}

func (s *Server) renderFamily(w http.ResponseWriter, r *http.Request, p *publicPrincipal, status int, msg, errMsg string) error {
	f, err := s.family()
	if err != nil {
		return err
	}
	ctx := p.ctx(r)
	data := familyPage{CanVerify: s.c.Portal.CanVerify()}
	if data.Number, err = s.familyNumber(ctx, p); err != nil {
		return err
	}
	if data.Rates, err = f.Rates(ctx); err != nil {
		return err
	}
	if data.Number != nil && data.Number.State != parley.NumberPending {
		data.Verified = true
		n := data.Number.Number
		if data.Money, err = f.Money(ctx, n, p.now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -29), p.now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)); err != nil {
			return err
		}
		if data.Calls, err = f.Calls(ctx, n); err != nil {
			return err
		}
		if data.Blocks, err = f.Blocks(ctx, n); err != nil {
			return err
		}
		for _, b := range data.Blocks {
			if b.FacilityID == "" {
				data.BlockedAll = true
			}
		}
		raw := make([]byte, 12)
		rand.Read(raw)
		data.DepositKey = hex.EncodeToString(raw)
	}
	v := s.publicBase(familySide, p, "Family account")
	v.Message, v.Error, v.Data = msg, errMsg, data
	s.render(w, r, status, "family_home", v)
	return nil
}

func (s *Server) pageFamily(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	return s.renderFamily(w, r, p, http.StatusOK, "", "")
}

func (s *Server) pageFamilyAddNumber(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	n, err := s.parseNumber(r.PostForm.Get("number"))
	if err == nil {
		_, err = s.c.Portal.AddNumber(p.ctx(r), p.acct, n, parley.LabelHome)
	}
	return s.pageOutcome(w, r, p, familySide, err, "We are calling that number: answer, listen to the 6-digit code, and enter it below.")
}

func (s *Server) pageFamilyDeposit(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	applied, bal, err := s.deposit(p.ctx(r), p, r.PostForm.Get("amount"), r.PostForm.Get("key"))
	msg := "Deposit recorded (payment processing is simulated in this build). Balance: " + bal + "."
	if err == nil && !applied {
		msg = "This deposit was recorded already; nothing more was added. Balance: " + bal + "."
	}
	return s.pageOutcome(w, r, p, familySide, err, msg)
}

func (s *Server) pageFamilyBlock(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	err := s.changeBlock(p.ctx(r), p, r.PostForm.Get("facility"), true)
	return s.pageOutcome(w, r, p, familySide, err, "Calls to your number are blocked as you asked.")
}

func (s *Server) pageFamilyUnblock(w http.ResponseWriter, r *http.Request, p *publicPrincipal) error {
	err := s.changeBlock(p.ctx(r), p, r.PostForm.Get("facility"), false)
	return s.pageOutcome(w, r, p, familySide, err, "The block is removed.")
}
