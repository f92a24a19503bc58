package billingtest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/ledger"
	"parley.dev/parley/rates"
)

// ChargerOpener returns a new, empty database for one test: its facilities and rates, and
// its ledger store.
type ChargerOpener func(t *testing.T) (Store, ledger.Store)

// testIndex is a keyed HMAC standing in for the field cipher's blind index.
type testIndex struct{}

func (testIndex) BlindIndex(column string, value []byte) []byte {
	m := hmac.New(sha256.New, []byte("billingtest-index-key"))
	m.Write([]byte(column))
	m.Write([]byte{0})
	m.Write(value)
	return m.Sum(nil)
}

// chargerFixture is a jail of ADP 250 in Chicago charging $0.15/min from 2026-04-06 (the
// FCC 25-75 cap of $0.13 plus the $0.02 additive), and a charger over it.
type chargerFixture struct {
	t      testing.TB
	ledger ledger.Store
	books  *ledger.Books
	ch     *billing.Charger
	seq    int
}

// callStart is in force under FCC 25-75: 2026-05-01 10:00 in Chicago.
var callStart = time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)

func newChargerFixture(t *testing.T, open ChargerOpener) *chargerFixture {
	t.Helper()
	s, l := open(t)
	return fixtureOn(t, s, l)
}

func fixtureOn(t testing.TB, s Store, l ledger.Store) *chargerFixture {
	t.Helper()
	ctx := context.Background()
	caps, err := rates.Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateFacility(ctx, &parley.Facility{ID: "cnty", Name: "County Jail", Type: parley.FacilityJail, ADP: 250, Timezone: "America/Chicago"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFacilityRates(ctx, caps, []rates.FacilityRate{{FacilityID: "cnty", Service: rates.Audio,
		Rate: rate(t, "0.15"), Effective: day("2026-04-06"), SetBy: "test"}}); err != nil {
		t.Fatal(err)
	}
	books := ledger.NewBooks(l, ledger.DefaultSystemAccounts(), func() time.Time { return callStart })
	if err := books.Init(ctx); err != nil {
		t.Fatal(err)
	}
	ch := &billing.Charger{Pricer: &billing.Pricer{Caps: caps, Rates: s, Facilities: s}, Books: books,
		Index: testIndex{}, MaxCall: 30 * time.Minute}
	return &chargerFixture{t: t, ledger: l, books: books, ch: ch}
}

// fund opens acct if needed and deposits cents into it.
func (f *chargerFixture) fund(a ledger.Account, cents ledger.Cents) {
	f.t.Helper()
	ctx := context.Background()
	if err := f.ledger.CreateAccount(ctx, a); err != nil && !parley.IsKind(err, parley.KindConflict) {
		f.t.Fatal(err)
	}
	f.seq++
	if _, err := f.books.Deposit(ctx, a.ID, cents, fmt.Sprintf("dep-%d", f.seq)); err != nil {
		f.t.Fatal(err)
	}
}

func (f *chargerFixture) balance(id string) ledger.Cents {
	f.t.Helper()
	b, err := f.ledger.Balance(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *chargerFixture) txCount() int {
	f.t.Helper()
	txs, err := f.ledger.Transactions(context.Background(), 0, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(txs)
}

func newCall(id, inmate string, number parley.Number) *parley.CallRecord {
	return &parley.CallRecord{ID: id, FacilityID: "cnty", InmateID: inmate, Number: number, StartedAt: callStart, Status: parley.CallDialing}
}

func ended(c *parley.CallRecord, status parley.CallStatus, reason string) *parley.CallRecord {
	c.Status, c.Reason = status, reason
	return c
}

const famNumber = parley.Number("+13125550143")

func inmateAcct(inmate string) ledger.Account {
	return billing.InmateAccount(testIndex{}, "cnty", inmate)
}

// RunCharger runs the charger's suite on real stores: exact charges, credits for drops
// and faults, refusals that write nothing, idempotent retries and parallel calls that
// never overdraw.
func RunCharger(t *testing.T, open ChargerOpener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *chargerFixture)
	}{
		{"ExactCharge", testExactCharge},
		{"LimitIsWhatBalanceBuys", testLimit},
		{"FirstMinuteDropCredited", testFirstMinuteDrop},
		{"SystemFaultCredited", testSystemFault},
		{"ShortCallCharged", testShortCall},
		{"InsufficientFundsRefused", testInsufficient},
		{"PayerOrder", testPayerOrder},
		{"Idempotent", testIdempotent},
		{"ParallelCallsNeverOverdraw", testParallel},
		{"StaleHoldsReleased", testStale},
		{"NoRateIsAFaultUnlessFree", testNoRate},
		{"RelayFreeCaptionedAsVoice", testRelayClasses},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newChargerFixture(t, open)
			tc.fn(t, f)
			if _, err := ledger.Verify(context.Background(), f.ledger); err != nil {
				t.Errorf("Verify after %s: %v", tc.name, err)
			}
		})
	}
}

func testExactCharge(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	a := inmateAcct("A1")
	f.fund(a, 1000)
	c := newCall("call-1", "A1", famNumber)
	d, err := f.ch.Authorize(ctx, c)
	if err != nil || d != 30*time.Minute || c.PayingAccount != a.ID {
		t.Fatalf("Authorize = %v, %v, paying %q; want 30m from %s", d, err, c.PayingAccount, a.ID)
	}
	if b := f.balance(a.ID); b != 1000-450 {
		t.Errorf("balance with the hold = %s, want $5.50 (30 min at $0.15 held)", b)
	}
	// 61 s at $0.15/min = 15.25¢, rounded down to 15¢.
	if err := f.ch.Settle(ctx, ended(c, parley.CallCompleted, "called_party_hangup"), 61*time.Second+900*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if c.ChargeCents != 15 || c.CreditReason != "" || c.PayingAccount != a.ID {
		t.Errorf("after Settle: charge %d reason %q paying %q, want 15, none", c.ChargeCents, c.CreditReason, c.PayingAccount)
	}
	if b := f.balance(a.ID); b != 985 {
		t.Errorf("balance after a 61 s call = %s, want $9.85", b)
	}
	if b := f.balance(ledger.DefaultSystemAccounts().Holds); b != 0 {
		t.Errorf("holds after settle = %s", b)
	}
	// The statement names the call, its length and price.
	_, ps, err := f.books.Statement(ctx, a.ID, time.Time{}, time.Time{})
	if err != nil || len(ps) != 3 || ps[2].Memo != "call call-1: 61 s at $0.15/min" || ps[1].Memo != "hold for call call-1" {
		t.Errorf("statement = %+v, %v", ps, err)
	}
	// A facility whose calls last at most 10 minutes: the hold covers 10 minutes.
	f.ch.FacilityMaxCall = func(_ context.Context, id string) (time.Duration, error) {
		if id != "cnty" {
			return 0, parley.Errorf("test", parley.KindNotFound, "no rules")
		}
		return 10 * time.Minute, nil
	}
	defer func() { f.ch.FacilityMaxCall = nil }()
	// A ten-minute call: $1.50 exactly.
	c2 := newCall("call-2", "A1", famNumber)
	if d, err := f.ch.Authorize(ctx, c2); err != nil || d != 10*time.Minute || f.balance(a.ID) != 985-150 {
		t.Fatalf("Authorize under a 10-minute facility limit = %v, %v; balance %s", d, err, f.balance(a.ID))
	}
	if err := f.ch.Settle(ctx, ended(c2, parley.CallCompleted, "max_duration"), 10*time.Minute); err != nil || c2.ChargeCents != 150 {
		t.Errorf("10 min call: charge %d, %v; want 150", c2.ChargeCents, err)
	}
}

// testLimit: charges round down to the cent, so $1.00 at $0.15/min buys 403 s (100.75¢
// billed as 100¢), not 400 s.
func testLimit(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	f.ch.MaxCall = 2 * time.Hour
	for i, tc := range []struct {
		deposit ledger.Cents
		want    time.Duration
	}{{100, 403 * time.Second}, {101, 407 * time.Second}, {15, 63 * time.Second}, {16, 67 * time.Second}, {5000, 2 * time.Hour}} {
		inmate := fmt.Sprintf("L%d", i)
		a := inmateAcct(inmate)
		f.fund(a, tc.deposit)
		d, err := f.ch.Authorize(ctx, newCall(fmt.Sprintf("lim-%d", i), inmate, ""))
		if err != nil || d != tc.want {
			t.Errorf("balance %s buys %v, %v; want %v", tc.deposit, d, err, tc.want)
			continue
		}
		price := rate(t, "0.15")
		if rates.Charge(d, price) > tc.deposit || d < 2*time.Hour && rates.Charge(d+time.Second, price) <= tc.deposit {
			t.Errorf("balance %s: limit %v is not the most it buys", tc.deposit, d)
		}
		if held := tc.deposit - f.balance(a.ID); held != rates.Charge(d, price) {
			t.Errorf("balance %s: held %s for %v", tc.deposit, held, d)
		}
	}
}

func testFirstMinuteDrop(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	a := billing.PrepaidAccount(testIndex{}, famNumber)
	f.fund(a, 1000)
	c := newCall("drop-1", "B1", famNumber)
	if _, err := f.ch.Authorize(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := f.ch.Settle(ctx, ended(c, parley.CallDropped, "rtp_timeout_called"), 45*time.Second); err != nil {
		t.Fatal(err)
	}
	if c.ChargeCents != 0 || c.CreditReason != billing.CreditFirstMinuteDrop+":rtp_timeout_called" {
		t.Errorf("first-minute drop: charge %d, reason %q", c.ChargeCents, c.CreditReason)
	}
	if b := f.balance(a.ID); b != 1000 {
		t.Errorf("balance after a credited drop = %s, want $10.00", b)
	}
	// The statement shows the charge and its credit.
	_, ps, err := f.books.Statement(ctx, a.ID, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, p := range ps {
		kinds = append(kinds, string(p.Kind))
	}
	if got := strings.Join(kinds, ","); got != "deposit,reserve,charge,credit" {
		t.Errorf("statement kinds = %s", got)
	}
	// Dropped after the first minute: charged.
	c2 := newCall("drop-2", "B1", famNumber)
	if _, err := f.ch.Authorize(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if err := f.ch.Settle(ctx, ended(c2, parley.CallDropped, "rtp_timeout_called"), 61*time.Second); err != nil || c2.ChargeCents != 15 || c2.CreditReason != "" {
		t.Errorf("drop after a minute: charge %d reason %q, %v", c2.ChargeCents, c2.CreditReason, err)
	}
}

func testSystemFault(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	a := inmateAcct("C1")
	f.fund(a, 1000)
	c := newCall("fault-1", "C1", famNumber)
	if _, err := f.ch.Authorize(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := f.ch.Settle(ctx, ended(c, parley.CallDropped, "recording_failed"), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if c.ChargeCents != 0 || c.CreditReason != billing.CreditSystemFault+":recording_failed" {
		t.Errorf("system fault: charge %d, reason %q", c.ChargeCents, c.CreditReason)
	}
	if b := f.balance(a.ID); b != 1000 {
		t.Errorf("balance after a credited fault = %s", b)
	}
	// An unknown reason on a dropped call counts as a fault.
	c2 := newCall("fault-2", "C1", famNumber)
	if _, err := f.ch.Authorize(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if err := f.ch.Settle(ctx, ended(c2, parley.CallDropped, "something_new"), 3*time.Minute); err != nil || c2.CreditReason != billing.CreditSystemFault+":something_new" {
		t.Errorf("unknown drop reason: %q, %v", c2.CreditReason, err)
	}
}

func testShortCall(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	a := inmateAcct("D1")
	f.fund(a, 1000)
	c := newCall("short-1", "D1", famNumber)
	if _, err := f.ch.Authorize(ctx, c); err != nil {
		t.Fatal(err)
	}
	// The inmate hung up after 20 s: 5¢, not credited (a party ended it).
	if err := f.ch.Settle(ctx, ended(c, parley.CallCompleted, "inmate_hangup"), 20*time.Second); err != nil || c.ChargeCents != 5 || c.CreditReason != "" {
		t.Errorf("short call: charge %d reason %q, %v; want 5¢", c.ChargeCents, c.CreditReason, err)
	}
	// Never bridged (declined): nothing charged, the hold released.
	c2 := newCall("short-2", "D1", famNumber)
	if _, err := f.ch.Authorize(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if err := f.ch.Settle(ctx, ended(c2, parley.CallDeclined, "no_answer"), 0); err != nil || c2.ChargeCents != 0 {
		t.Errorf("unanswered: charge %d, %v", c2.ChargeCents, err)
	}
	if b := f.balance(a.ID); b != 995 {
		t.Errorf("balance = %s, want $9.95", b)
	}
}

func testInsufficient(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	a := inmateAcct("E1")
	f.fund(a, 14) // a minute costs 15¢
	inactive := billing.PrepaidAccount(testIndex{}, famNumber)
	f.fund(inactive, 5000)
	if err := f.ledger.SetAccountActive(ctx, inactive.ID, false); err != nil {
		t.Fatal(err)
	}
	before := f.txCount()
	for _, c := range []*parley.CallRecord{newCall("poor-1", "E1", famNumber), newCall("poor-2", "nobody", "+13125550199")} {
		d, err := f.ch.Authorize(ctx, c)
		if !parley.IsKind(err, parley.KindForbidden) || !errors.Is(err, ledger.ErrInsufficientFunds) || d != 0 || c.PayingAccount != "" {
			t.Errorf("%s: Authorize = %v, %v, paying %q; want KindForbidden", c.ID, d, err, c.PayingAccount)
		}
		if err != nil && strings.Contains(err.Error(), "3125550") {
			t.Errorf("error names the number: %v", err)
		}
	}
	if n := f.txCount(); n != before {
		t.Errorf("refusals wrote %d transactions", n-before)
	}
	if b := f.balance(inactive.ID); b != 5000 {
		t.Errorf("inactive account touched: %s", b)
	}
	// Bad records are system faults, not refusals for money.
	for _, c := range []*parley.CallRecord{{ID: "x"}, {FacilityID: "cnty", StartedAt: callStart}, nil} {
		if _, err := f.ch.Authorize(ctx, c); !parley.IsKind(err, parley.KindInvalid) {
			t.Errorf("bad record: %v", err)
		}
	}
	if err := f.ch.Settle(ctx, newCall("poor-1", "E1", famNumber), -time.Second); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("negative bridged time: %v", err)
	}
	if _, err := f.ch.Authorize(ctx, newCall(strings.Repeat("x", 101), "E1", famNumber)); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("absurd call id: %v", err)
	}
	unknown := newCall("nofac", "E1", famNumber)
	unknown.FacilityID = "ghost"
	if _, err := f.ch.Authorize(ctx, unknown); err == nil || parley.IsKind(err, parley.KindForbidden) {
		t.Errorf("unknown facility: %v", err)
	}
}

func testPayerOrder(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	inmate, prepaid, collect := inmateAcct("F1"), billing.PrepaidAccount(testIndex{}, famNumber), billing.CollectAccount(testIndex{}, famNumber)
	f.fund(prepaid, 450) // 30 min at $0.15: one call holds it all
	f.fund(collect, 500)
	c := newCall("order-1", "F1", famNumber)
	if _, err := f.ch.Authorize(ctx, c); err != nil || c.PayingAccount != prepaid.ID {
		t.Errorf("no inmate account: paid by %q, %v; want prepaid", c.PayingAccount, err)
	}
	f.fund(inmate, 450)
	c2 := newCall("order-2", "F1", famNumber)
	if _, err := f.ch.Authorize(ctx, c2); err != nil || c2.PayingAccount != inmate.ID {
		t.Errorf("inmate funded: paid by %q, %v; want the inmate's", c2.PayingAccount, err)
	}
	// The prepaid account is all held by order-1; the inmate's by order-2: collect pays.
	c3 := newCall("order-3", "F1", famNumber)
	if _, err := f.ch.Authorize(ctx, c3); err != nil || c3.PayingAccount != collect.ID {
		t.Errorf("others held: paid by %q, %v; want collect", c3.PayingAccount, err)
	}
	for _, c := range []*parley.CallRecord{c, c2, c3} {
		if err := f.ch.Settle(ctx, ended(c, parley.CallCompleted, "inmate_hangup"), time.Minute); err != nil || c.ChargeCents != 15 {
			t.Errorf("settle %s: %d, %v", c.ID, c.ChargeCents, err)
		}
	}
}

func testIdempotent(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	a := inmateAcct("G1")
	f.fund(a, 1000)
	c := newCall("idem-1", "G1", famNumber)
	d1, err := f.ch.Authorize(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	n := f.txCount()
	d2, err := f.ch.Authorize(ctx, c)
	if err != nil || d2 != d1 || f.txCount() != n {
		t.Errorf("Authorize retry: %v (first %v), %v, %d new transactions", d2, d1, err, f.txCount()-n)
	}
	ended(c, parley.CallDropped, "shutdown")
	for i := range 3 {
		if err := f.ch.Settle(ctx, c, 30*time.Second); err != nil {
			t.Fatalf("Settle #%d: %v", i+1, err)
		}
		if c.ChargeCents != 0 || !strings.HasPrefix(c.CreditReason, billing.CreditFirstMinuteDrop) {
			t.Errorf("Settle #%d: charge %d reason %q", i+1, c.ChargeCents, c.CreditReason)
		}
	}
	if got := f.txCount(); got != n+2 { // one settle, one credit
		t.Errorf("three Settles wrote %d transactions, want 2", got-n)
	}
	if b := f.balance(a.ID); b != 1000 {
		t.Errorf("balance = %s", b)
	}
}

// testParallel: rounds of goroutines authorize calls on one freshly funded account at
// once; the holds never exceed the deposit, each authorized call can pay a minute, the
// refused ones are refused for money, and after settling the balance is exactly the
// deposit less the charges.
func testParallel(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(4, 75))
	price := rate(t, "0.15")
	for round := range 4 {
		inmate := fmt.Sprintf("P%d", round)
		a := inmateAcct(inmate)
		deposit := ledger.Cents(15 + rng.IntN(400))
		f.fund(a, deposit)
		const workers = 10
		limits := make([]time.Duration, workers)
		calls := make([]*parley.CallRecord, workers)
		var wg sync.WaitGroup
		for w := range workers {
			calls[w] = newCall(fmt.Sprintf("par-%d-%d", round, w), inmate, "")
			wg.Go(func() {
				d, err := f.ch.Authorize(ctx, calls[w])
				switch {
				case err == nil:
					limits[w] = d
				case !parley.IsKind(err, parley.KindForbidden):
					t.Errorf("Authorize %s: %v", calls[w].ID, err)
				}
			})
		}
		wg.Wait()
		var held ledger.Cents
		authorized := 0
		for _, d := range limits {
			if d == 0 {
				continue
			}
			authorized++
			if d < time.Minute {
				t.Errorf("round %d: a call authorized for %v, less than a minute", round, d)
			}
			held += rates.Charge(d, price)
		}
		if authorized == 0 || held > deposit || f.balance(a.ID) != deposit-held {
			t.Fatalf("round %d: %d calls hold %s of %s; balance %s", round, authorized, held, deposit, f.balance(a.ID))
		}
		var charged ledger.Cents
		for w, c := range calls {
			if limits[w] == 0 {
				continue
			}
			bridged := time.Duration(rng.Int64N(int64(limits[w]/time.Second)+1)) * time.Second
			if err := f.ch.Settle(ctx, ended(c, parley.CallCompleted, "called_party_hangup"), bridged); err != nil {
				t.Fatal(err)
			}
			charged += ledger.Cents(c.ChargeCents)
		}
		if b := f.balance(a.ID); b != deposit-charged || b < 0 {
			t.Errorf("round %d: balance %s, want %s - %s", round, b, deposit, charged)
		}
	}
}

// testStale: a hold whose call never settled is released after maxAge, once; a settled
// call's is not; a late Settle of the released call is refused and moves nothing.
func testStale(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	a := inmateAcct("S1")
	f.fund(a, 1000)
	old, fresh := newCall("stale-1", "S1", famNumber), newCall("stale-2", "S1", famNumber)
	for _, c := range []*parley.CallRecord{old, fresh} {
		if _, err := f.ch.Authorize(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if b := f.balance(a.ID); b != 1000-450-450 {
		t.Fatalf("balance with two holds = %s", b)
	}
	if _, err := f.ch.ReleaseStale(ctx, callStart, time.Minute); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("maxAge below MaxCall: %v", err)
	}
	// Both holds were made at callStart; one call settles, the other never does.
	if err := f.ch.Settle(ctx, ended(fresh, parley.CallCompleted, "inmate_hangup"), time.Minute); err != nil {
		t.Fatal(err)
	}
	n, err := f.ch.ReleaseStale(ctx, callStart.Add(3*time.Hour), 2*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("ReleaseStale = %d, %v; want 1 (the settled one is closed)", n, err)
	}
	if b := f.balance(a.ID); b != 1000-15 {
		t.Errorf("balance after release = %s, want $9.85", b)
	}
	if n, err := f.ch.ReleaseStale(ctx, callStart.Add(4*time.Hour), 2*time.Hour); err != nil || n != 0 {
		t.Errorf("second ReleaseStale = %d, %v", n, err)
	}
	before := f.txCount()
	if err := f.ch.Settle(ctx, ended(old, parley.CallCompleted, "inmate_hangup"), 5*time.Minute); err == nil {
		t.Error("late Settle of a released call succeeded")
	}
	if f.txCount() != before || f.balance(a.ID) != 985 {
		t.Error("late Settle moved money")
	}
}

// BenchCharger measures one call's billing on a real store: Authorize (price, payer,
// hold) and Settle (charge, return of the rest) on a funded account.
func BenchCharger(b *testing.B, s Store, l ledger.Store) {
	f := fixtureOn(b, s, l)
	ctx := context.Background()
	a := inmateAcct("BENCH")
	f.fund(a, ledger.MaxAmount)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := newCall(fmt.Sprintf("bench-%d", i), "BENCH", famNumber)
		if _, err := f.ch.Authorize(ctx, c); err != nil {
			b.Fatal(err)
		}
		if err := f.ch.Settle(ctx, ended(c, parley.CallCompleted, "inmate_hangup"), 61*time.Second); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/call")
}

// testNoRate: a facility with no rate set is a fault (the call is refused), unless the
// charger lets such facilities make free calls; then nothing is reserved or charged.
// A missing facility stays a fault either way.
func testNoRate(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	a := inmateAcct("N1")
	f.fund(a, 1000)
	early := newCall("norate-1", "N1", famNumber)
	early.StartedAt = time.Date(2026, 4, 5, 15, 0, 0, 0, time.UTC) // before the rate's first day
	if _, err := f.ch.Authorize(ctx, early); err == nil || parley.IsKind(err, parley.KindForbidden) || !errors.Is(err, billing.ErrNoRate) {
		t.Fatalf("no rate, not free: %v, want a fault naming ErrNoRate", err)
	}
	before := f.txCount()
	f.ch.FreeWithoutRate = true
	d, err := f.ch.Authorize(ctx, early)
	if err != nil || d != 0 || early.PayingAccount != "" {
		t.Fatalf("no rate, free: %v %v paying %q; want no limit, no payer", d, err, early.PayingAccount)
	}
	early.Status = parley.CallCompleted
	if err := f.ch.Settle(ctx, early, 5*time.Minute); err != nil || early.ChargeCents != 0 {
		t.Fatalf("free call settled: %v, charge %d", err, early.ChargeCents)
	}
	if n := f.txCount(); n != before {
		t.Errorf("a free call wrote %d transactions", n-before)
	}
	if b := f.balance(a.ID); b != 1000 {
		t.Errorf("a free call moved money: balance %s", b)
	}
	ghost := newCall("norate-2", "N1", famNumber)
	ghost.FacilityID = "ghost"
	if _, err := f.ch.Authorize(ctx, ghost); err == nil || errors.Is(err, billing.ErrNoRate) {
		t.Errorf("unknown facility with FreeWithoutRate: %v, want a fault", err)
	}
}

// testRelayClasses: under 47 CFR § 64.6040(d) a relay (TRS) call holds and charges
// nothing, even from an account that could pay and even past the first minute, and a
// captioned call is charged exactly what the same voice call is.
func testRelayClasses(t *testing.T, f *chargerFixture) {
	ctx := context.Background()
	a := inmateAcct("A1")
	f.fund(a, 1000)
	f.ch.Class = func(c *parley.CallRecord) rates.CallClass {
		return rates.CallClass(strings.SplitN(c.ID, "-", 2)[0])
	}
	defer func() { f.ch.Class = nil }()
	before := f.txCount()
	relay := newCall("trs-1", "A1", famNumber)
	if d, err := f.ch.Authorize(ctx, relay); err != nil || d != 0 || relay.PayingAccount != a.ID {
		t.Fatalf("relay Authorize = %v, %v, paying %q; want no money limit", d, err, relay.PayingAccount)
	}
	if err := f.ch.Settle(ctx, ended(relay, parley.CallCompleted, "called_party_hangup"), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if relay.ChargeCents != 0 || f.balance(a.ID) != 1000 || f.txCount() != before {
		t.Errorf("relay call: charge %d, balance %s, %d new transactions; want nothing moved", relay.ChargeCents, f.balance(a.ID), f.txCount()-before)
	}
	// A relay call is placed even when no account could pay for a minute.
	broke := newCall("trs-2", "A9", "+12015550111")
	if d, err := f.ch.Authorize(ctx, broke); err != nil || d != 0 || broke.PayingAccount != "" {
		t.Errorf("relay call with no account: %v, %v, paying %q; want allowed, free", d, err, broke.PayingAccount)
	}
	if err := f.ch.Settle(ctx, ended(broke, parley.CallCompleted, "called_party_hangup"), time.Hour); err != nil || broke.ChargeCents != 0 {
		t.Errorf("relay call with no account settled: %d¢, %v", broke.ChargeCents, err)
	}
	capt := newCall("captioned-1", "A1", famNumber)
	voice := newCall("voice-1", "A1", famNumber)
	for _, c := range []*parley.CallRecord{capt, voice} {
		if _, err := f.ch.Authorize(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := f.ch.Settle(ctx, ended(c, parley.CallCompleted, "called_party_hangup"), 10*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if capt.ChargeCents != 150 || voice.ChargeCents != 150 || f.balance(a.ID) != 1000-300 {
		t.Errorf("captioned %d¢, voice %d¢, balance %s; want 150¢ each (10 min at $0.15)", capt.ChargeCents, voice.ChargeCents, f.balance(a.ID))
	}
}
