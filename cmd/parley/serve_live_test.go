package main

import (
	"context"
	"net/netip"
	"testing"

	"parley.dev/parley/sip/siptest"
)

// TestServeSeesChangesAtOnce: with serve running, what the CLI (another process's
// commands, here another Main) changes applies to the next request: a gateway added is
// trusted at its next INVITE and a removed one refused at once, a phone added registers,
// and changed rules decide the next call.
func TestServeSeesChangesAtOnce(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI()) // no gateway, no phone yet
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	invite := func() int {
		p, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		code, err := p.Call(ctx, srv.sip, "pod-1", nil)
		if err != nil && code == 0 {
			t.Fatal(err)
		}
		if code == 200 {
			if err := p.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			sipWaitClosed(t, "the call to end", p.Ended())
		}
		return code
	}
	// An untrusted address must authenticate as a phone: challenged, not answered.
	if code := invite(); code != 407 {
		t.Fatalf("INVITE before the gateway is trusted: %d, want 407", code)
	}
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	if code := invite(); code != 200 {
		t.Fatalf("INVITE from the gateway just added: %d, want 200\n%s", code, srv.stderr.String())
	}

	// Rules changed while serving decide the next call.
	c.ok("facility", "rules", "--facility", "cnty", "--lockdown", "on")
	p := dialIn(t, srv, sipPIN)
	sipWaitClosed(t, "the refused call to end", p.Ended())
	sipWaitFor(t, "the refusal's record", func() bool {
		calls := searchFacility(t, c, "cnty")
		return len(calls) == 2 && calls[0].Reason == "lockdown"
	})

	c.ok("facility", "gateway", "--facility", "cnty", "--remove", "127.0.0.1")
	if code := invite(); code != 407 {
		t.Fatalf("INVITE from a removed gateway: %d, want 407", code)
	}

	// A phone added while serving registers at once.
	ph, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ph.Close)
	if res, err := ph.Register(ctx, srv.sip, phoneUser, phonePassword, 300); err != nil || res.StatusCode == 200 {
		t.Fatalf("REGISTER of an unknown phone: %v %v", res, err)
	}
	c.ok("phone", "add", "--facility", "cnty", "--user", phoneUser, "--password", phonePassword)
	if res, err := ph.Register(ctx, srv.sip, phoneUser, phonePassword, 300); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER of the phone just added: %v %v", res, err)
	}
}
