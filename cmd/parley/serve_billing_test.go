package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"parley.dev/parley/sip/siptest"
)

// Billing through the real call path: serve with SIP, the charger on the SQLite ledger,
// Go peers sending real RTP. The rate is $0.10 a minute, billed by the second and
// rounded down to the cent.

// billedCall sets up a facility with a rate, a funded inmate account and the rules, and
// places one call through serve up to the moment both parties hear each other. extra are
// serve flags; rules are extra `facility rules` flags.
func billedCall(t *testing.T, extra []string, rules ...string) (*cli, *serving, *siptest.Phone, *siptest.TrunkCall) {
	t.Helper()
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok(append([]string{"facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00"}, rules...)...)
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	c.ok("rates", "set", "--facility", "cnty", "--audio", "0.10", "--from", "2026-04-06")
	c.ok("account", "deposit", "--inmate", "A1001", "--facility", "cnty", "--amount", "5.00", "--key", "receipt-1")

	lo := netip.MustParseAddr("127.0.0.1")
	trunk, err := siptest.NewTrunk(lo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI(), extra...)
	p := dialIn(t, srv, sipPIN)
	var tc *siptest.TrunkCall
	select {
	case tc = <-trunk.Calls:
	case <-p.Ended():
		t.Fatalf("the call ended before reaching the trunk:\n%s", srv.stderr.String())
	case <-time.After(sipGuard):
		t.Fatalf("no call reached the trunk:\n%s", srv.stderr.String())
	}
	t.Cleanup(tc.Media.Close)
	sipWaitFor(t, "the announcement", func() bool { return siptest.LoudFrames(tc.Media.Received()) >= 5 })
	tc.Media.SendDigits("1")
	p.Media.SetTone(sipToneIn)
	tc.Media.SetTone(sipToneOut)
	sipWaitFor(t, "both sides to hear each other", func() bool {
		return siptest.ToneFrames(p.Media.Received(), sipToneOut) >= sipHeardMany &&
			siptest.ToneFrames(tc.Media.Received(), sipToneIn) >= sipHeardMany
	})
	return c, srv, p, tc
}

// TestServeSIPChargesExactly: a call cut by the facility's 30-second limit costs exactly
// 30 s at $0.10/min = 5¢; the account, the call record and the ledger agree.
func TestServeSIPChargesExactly(t *testing.T) {
	c, srv, p, tc := billedCall(t, nil, "--max-call", "30s")
	sipWaitClosed(t, "the limit to end the inmate leg", p.Ended())
	sipWaitClosed(t, "the limit to end the trunk leg", tc.Ended())
	srv.stop(t)

	calls := searchFacility(t, c, "cnty")
	if len(calls) != 1 {
		t.Fatalf("%d call records, want 1", len(calls))
	}
	rec := calls[0]
	if rec.Status != "completed" || rec.Reason != "max_duration" || rec.Seconds < 30 || rec.Seconds > 33 {
		t.Fatalf("record = %+v, want completed at the 30 s limit", rec)
	}
	if rec.ChargeCents != 5 || rec.CreditReason != "" || rec.PayingAccount == "" {
		t.Errorf("charge = %d¢ (credit %q, paying %q), want 5¢ from the inmate's account", rec.ChargeCents, rec.CreditReason, rec.PayingAccount)
	}
	if got := balanceOf(t, c, "--inmate", "A1001", "--facility", "cnty"); got != 495 {
		t.Errorf("balance = %d¢, want 495¢", got)
	}
	c.ok("ledger", "verify")
	stmt := c.ok("account", "statement", "--inmate", "A1001", "--facility", "cnty")
	if !strings.Contains(stmt, rec.ID) {
		t.Errorf("the statement does not list the call %s:\n%s", rec.ID, stmt)
	}
}

// TestServeSIPTrunkDropCredited: the called party's side goes silent (the trunk dropped
// the media) after several seconds; parley ends the call for RTP inactivity within the
// first minute, and the charge is credited back with the reason on the record.
func TestServeSIPTrunkDropCredited(t *testing.T) {
	c, srv, p, tc := billedCall(t, []string{"--rtp-timeout", "2s"}, "--max-call", "15m")
	// Long enough bridged that the time costs at least a cent (6 s at $0.10/min).
	sipWaitFor(t, "seven seconds of the inmate's audio at the trunk", func() bool {
		return siptest.ToneFrames(tc.Media.Received(), sipToneIn) >= 350
	})
	tc.Media.Pause(true)
	sipWaitClosed(t, "the inactivity timeout to end the inmate leg", p.Ended())
	srv.stop(t)

	calls := searchFacility(t, c, "cnty")
	if len(calls) != 1 {
		t.Fatalf("%d call records, want 1", len(calls))
	}
	rec := calls[0]
	if rec.Status != "dropped" || rec.Reason != "rtp_timeout_called" {
		t.Fatalf("record = %+v, want dropped for the called side's silence", rec)
	}
	if rec.ChargeCents != 0 || rec.CreditReason != "dropped_in_first_minute:rtp_timeout_called" {
		t.Errorf("charge = %d¢, credit %q; want 0¢ after a first-minute credit", rec.ChargeCents, rec.CreditReason)
	}
	if got := balanceOf(t, c, "--inmate", "A1001", "--facility", "cnty"); got != 500 {
		t.Errorf("balance = %d¢, want 500¢ (charged, then credited)", got)
	}
	c.ok("ledger", "verify")
	stmt := c.ok("account", "statement", "--inmate", "A1001", "--facility", "cnty")
	if !strings.Contains(stmt, "dropped_in_first_minute") {
		t.Errorf("the statement does not show the credit:\n%s", stmt)
	}
}

// TestServeSIPInsufficientFunds: an account that cannot pay a minute hears why, the trunk
// is never dialled, and the record says so.
func TestServeSIPInsufficientFunds(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	c.ok("rates", "set", "--facility", "cnty", "--audio", "0.10", "--from", "2026-04-06")
	c.ok("account", "deposit", "--inmate", "A1001", "--facility", "cnty", "--amount", "0.09", "--key", "receipt-1")
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI())
	p := dialIn(t, srv, sipPIN)
	sipWaitClosed(t, "the refusal to end the call", p.Ended())
	select {
	case <-trunk.Calls:
		t.Fatal("the trunk was dialled for a call nobody can pay")
	default:
	}
	srv.stop(t)
	calls := searchFacility(t, c, "cnty")
	if len(calls) != 1 || calls[0].Status != "refused" || calls[0].Reason != "insufficient_funds" {
		t.Fatalf("records = %+v, want one refused for insufficient funds", calls)
	}
	if got := balanceOf(t, c, "--inmate", "A1001", "--facility", "cnty"); got != 9 {
		t.Errorf("balance = %d¢, want the 9¢ untouched", got)
	}
}
