package main

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/sip/siptest"
)

// TestServeOfficerEndsCall: with real SIP peers, an officer sees a connected call on the
// calls-in-progress API (no number, no name) and ends it; both legs are hung up, the call
// record ends dropped with reason ended_by_staff, and the audit log has the officer's
// call.end event. The live-calls gauge counts it while it lasts.
func TestServeOfficerEndsCall(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	const pw = "officer password 1"
	secret := addStaff(t, c, "Otto Officer", "officer", "--facility", "cnty", pw)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	c.env["PARLEY_METRICS_TOKEN"] = testMetricsToken
	srv := startServe(t, c, trunk.URI())
	off := signIn(t, c, srv.http, "Otto Officer", pw, secret)

	p := dialIn(t, srv, sipPIN)
	var tc *siptest.TrunkCall
	select {
	case tc = <-trunk.Calls:
	case <-time.After(sipGuard):
		t.Fatalf("no call reached the trunk:\n%s", srv.stderr.String())
	}
	t.Cleanup(tc.Media.Close)
	sipWaitFor(t, "the announcement", func() bool { return siptest.LoudFrames(tc.Media.Received()) >= 5 })
	tc.Media.SendDigits("1")
	var live struct {
		Connected bool
		Calls     []parley.LiveCall
	}
	var raw string
	sipWaitFor(t, "the call to show as connected", func() bool {
		status, b := off.do("GET", "/api/v1/facilities/cnty/live", nil)
		raw = string(b)
		return status == 200 && json.Unmarshal(b, &live) == nil && len(live.Calls) == 1 && live.Calls[0].State == "connected"
	})
	if !live.Connected || live.Calls[0].Privileged || live.Calls[0].DeviceID != "pod-1" {
		t.Fatalf("live calls %s", raw)
	}
	if strings.Contains(raw, "5550123") || strings.Contains(raw, "Marisol") || strings.Contains(raw, "A1001") {
		t.Fatalf("live calls show a number, a name or an inmate id: %s", raw)
	}
	if b := scrapeMetrics(t, off); !strings.Contains(string(b), "parley_calls_live 1") {
		t.Errorf("metrics lack parley_calls_live 1")
	}
	id := live.Calls[0].ID
	for _, body := range []map[string]string{{}, {"reason": "  "}} { // a reason is required
		if status, b := off.do("POST", "/api/v1/facilities/cnty/live/"+id+"/end", body); status != 400 || !strings.Contains(string(b), "reason") {
			t.Fatalf("end call with %v: %d %s, want 400", body, status, b)
		}
	}
	if status, b := off.do("POST", "/api/v1/facilities/cnty/live/"+id+"/end", map[string]string{"reason": "disturbance"}); status != 200 {
		t.Fatalf("end call: %d %s", status, b)
	}
	// Ended is ended: the list no longer shows it as connected while it tidies up.
	if _, b := off.do("GET", "/api/v1/facilities/cnty/live", nil); json.Unmarshal(b, &live) != nil || len(live.Calls) != 0 {
		t.Fatalf("right after it was ended, the live list shows %s", b)
	}
	sipWaitClosed(t, "the inmate leg to end", p.Ended())
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())
	sipWaitFor(t, "the call to leave the live list", func() bool {
		_, b := off.do("GET", "/api/v1/facilities/cnty/live", nil)
		return json.Unmarshal(b, &live) == nil && len(live.Calls) == 0
	})
	if status, _ := off.do("POST", "/api/v1/facilities/cnty/live/"+id+"/end", map[string]string{"reason": "again"}); status != 404 {
		t.Errorf("ending an ended call: %d, want 404", status)
	}
	srv.stop(t)

	calls := searchNumber(t, c, sipNumber)
	if len(calls) != 1 || calls[0].Status != "dropped" || calls[0].Reason != "ended_by_staff" {
		t.Fatalf("call record after an officer ended it: %+v", calls)
	}
	var events []parley.AuditEvent
	if err := json.Unmarshal([]byte(c.ok("audit", "list", "--limit", "1000", "--json")), &events); err != nil {
		t.Fatal(err)
	}
	ends := 0
	for _, e := range events {
		if e.Action == "call.end" && e.Object == "call:"+id && e.Actor == "user:"+off.userID && strings.Contains(e.Detail, "disturbance") {
			ends++
		}
	}
	if ends != 1 {
		t.Fatalf("%d call.end events by the officer, want 1", ends)
	}
}
