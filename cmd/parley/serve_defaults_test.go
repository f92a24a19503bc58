package main

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"parley.dev/parley/sip/siptest"
)

// TestServeSIPFreshFacility: a facility given no `facility rules` takes a real call under
// its default rules (12:00 UTC is within 07:00–22:00): the call connects, is bridged and
// ends completed, never dropped as policy_error, and nothing is logged at ERROR.
func TestServeSIPFreshFacility(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "fresh", "--name", "New Jail", "--type", "jail", "--adp", "40", "--gateway", "127.0.0.1")
	c.ok("inmate", "add", "--facility", "fresh", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("contact", "allow", "--facility", "fresh", "--inmate", "A1001", "--number", sipDialed)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI())

	p := dialIn(t, srv, sipPIN)
	tc := answerTrunk(t, srv, trunk, "1")
	talk(t, p, tc)
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())
	srv.stop(t)
	calls := searchNumber(t, c, sipNumber)
	if len(calls) != 1 || calls[0].Status != "completed" || calls[0].FacilityID != "fresh" || calls[0].Reason == "policy_error" {
		t.Fatalf("calls %+v", calls)
	}
	if logs := srv.stderr.String(); strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "policy_error") {
		t.Errorf("serve logged an error:\n%s", logs)
	}
}
