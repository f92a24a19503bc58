package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip/siptest"
)

// dialTo places a call from the gateway, waits for the first prompt and keys pin and
// dialed.
func dialTo(t *testing.T, srv *serving, pin, dialed string) *siptest.Phone {
	t.Helper()
	p, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	if code, err := p.Call(ctx, srv.sip, "pod-1", nil); err != nil || code != 200 {
		t.Fatalf("call: %d %v\n%s", code, err, srv.stderr.String())
	}
	sipWaitFor(t, "the PIN prompt", func() bool { return siptest.LoudFrames(p.Media.Received()) >= 3 })
	p.Media.SendDigits("1" + pin + "#" + dialed + "#")
	return p
}

// heardPrompt reports whether the peer heard the embedded prompt in the language.
func heardPrompt(t *testing.T, pcm []int16, id prompts.ID, lang prompts.Lang) bool {
	t.Helper()
	frames, err := prompts.Prompt(id, lang)
	if err != nil {
		t.Fatal(err)
	}
	return siptest.HeardPrompt(pcm, frames)
}

// answerTrunk waits for the trunk call and the announcement, then presses key.
func answerTrunk(t *testing.T, srv *serving, trunk *siptest.Trunk, key string) *siptest.TrunkCall {
	t.Helper()
	var tc *siptest.TrunkCall
	select {
	case tc = <-trunk.Calls:
	case <-time.After(sipGuard):
		t.Fatalf("no call reached the trunk:\n%s", srv.stderr.String())
	}
	t.Cleanup(tc.Media.Close)
	sipWaitFor(t, "the announcement", func() bool { return siptest.LoudFrames(tc.Media.Received()) >= 5 })
	tc.Media.SendDigits(key)
	return tc
}

// TestServeSIPConcurrentLimit: with the facility's limit at one call, a second call while
// the first is bridged is refused with the "too many calls" prompt and a record: another
// inmate's as facility_busy, the same inmate's as inmate_busy. When the first ends, calls go
// through again.
func TestServeSIPConcurrentLimit(t *testing.T) {
	const pin2, dialed2, number2 = "55117733", "12015550188", "+12015550188"
	c := newCLI(t)
	// The gateway is trusted by 'facility add --gateway'.
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--gateway", "127.0.0.1")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1002", "--name", "Bartholomew Oyelaran", "--pin", pin2)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m", "--max-concurrent", "1")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1002", "--number", dialed2)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI())

	first := dialTo(t, srv, sipPIN, sipDialed)
	tc := answerTrunk(t, srv, trunk, "1")

	other := dialTo(t, srv, pin2, dialed2)
	sipWaitClosed(t, "the second call to be refused", other.Ended())
	if !heardPrompt(t, other.Media.Received(), prompts.TooManyCalls, prompts.English) {
		t.Error("the refused inmate did not hear the too-many-calls prompt")
	}
	same := dialTo(t, srv, sipPIN, sipDialed)
	sipWaitClosed(t, "the same inmate's second call to be refused", same.Ended())
	if !heardPrompt(t, same.Media.Received(), prompts.TooManyCalls, prompts.English) {
		t.Error("the busy inmate did not hear the too-many-calls prompt")
	}

	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	if err := first.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "the first call's trunk leg to end", tc.Ended())
	again := dialTo(t, srv, pin2, dialed2)
	tc2 := answerTrunk(t, srv, trunk, "2")
	sipWaitClosed(t, "the trunk leg to end", tc2.Ended())
	sipWaitClosed(t, "the call after the first ended to finish", again.Ended())
	srv.stop(t)

	byReason := map[string]int{}
	for _, cv := range searchFacility(t, c, "cnty") {
		byReason[cv.Status+" "+cv.Reason]++
		if cv.Reason == "facility_busy" && (cv.InmateID != "A1002" || cv.Number != number2) {
			t.Errorf("facility_busy record %+v", cv)
		}
		if cv.Reason == "inmate_busy" && (cv.InmateID != "A1001" || cv.Number != sipNumber) {
			t.Errorf("inmate_busy record %+v", cv)
		}
	}
	want := map[string]int{"completed inmate_hangup": 1, "refused facility_busy": 1, "refused inmate_busy": 1,
		"declined refused by called party": 1}
	if len(byReason) != len(want) {
		t.Fatalf("records by status and reason %v, want %v", byReason, want)
	}
	for k, n := range want {
		if byReason[k] != n {
			t.Errorf("records by status and reason %v, want %v", byReason, want)
		}
	}
}

// TestServeSIPOverTCP: `serve --sip ADDR` listens on UDP and TCP on the same port, and a
// phone whose INVITE comes over TCP completes a call.
func TestServeSIPOverTCP(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI())

	p, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.Transport = "tcp"
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	if code, err := p.Call(ctx, srv.sip, "pod-1", nil); err != nil || code != 200 {
		t.Fatalf("call over TCP: %d %v\n%s", code, err, srv.stderr.String())
	}
	sipWaitFor(t, "the PIN prompt", func() bool { return siptest.LoudFrames(p.Media.Received()) >= 3 })
	p.Media.SendDigits("1" + sipPIN + "#" + sipDialed + "#")
	tc := answerTrunk(t, srv, trunk, "1")
	p.Media.SetTone(sipToneIn)
	tc.Media.SetTone(sipToneOut)
	sipWaitFor(t, "both sides to hear each other", func() bool {
		return siptest.ToneFrames(p.Media.Received(), sipToneOut) >= sipHeardMany &&
			siptest.ToneFrames(tc.Media.Received(), sipToneIn) >= sipHeardMany
	})
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())
	srv.stop(t)
	calls := searchNumber(t, c, sipNumber)
	if len(calls) != 1 || calls[0].Status != "completed" || calls[0].Reason != "inmate_hangup" {
		t.Fatalf("calls %+v", calls)
	}
}

// TestFacilityAddGateways: 'facility add --gateway' (repeatable) trusts the addresses for
// the new facility; a bad or already trusted address writes nothing.
func TestFacilityAddGateways(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250",
		"--gateway", "192.0.2.10", "--gateway", "2001:db8::7")
	var gws []gatewayView
	if err := json.Unmarshal([]byte(c.ok("facility", "gateway", "--facility", "cnty", "--json")), &gws); err != nil {
		t.Fatal(err)
	}
	if len(gws) != 2 || gws[0].Facility != "cnty" || gws[1].Facility != "cnty" {
		t.Fatalf("gateways %+v", gws)
	}
	c.fail(1, "IP address", "facility", "add", "--id", "prison", "--name", "P", "--type", "prison", "--adp", "9",
		"--gateway", "gateway.example.org")
	c.fail(2, "given twice", "facility", "add", "--id", "prison", "--name", "P", "--type", "prison", "--adp", "9",
		"--gateway", "192.0.2.11", "--gateway", "192.0.2.11")
	c.fail(1, "already trusted for facility cnty", "facility", "add", "--id", "prison", "--name", "P", "--type", "prison",
		"--adp", "9", "--gateway", "192.0.2.11", "--gateway", "192.0.2.10")
	if out := c.ok("facility", "list"); strings.Contains(out, "prison") {
		t.Fatalf("a refused facility add wrote the facility:\n%s", out)
	}
	if out := c.ok("facility", "gateway", "--facility", "cnty", "--json"); strings.Contains(out, "192.0.2.11") {
		t.Fatalf("a refused facility add wrote a gateway: %s", out)
	}
}
