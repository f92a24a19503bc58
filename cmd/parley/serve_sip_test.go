package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/media/tone"
	"parley.dev/parley/policy"
	"parley.dev/parley/sip/siptest"
)

const (
	sipGuard     = 30 * time.Second // failure guard only; nothing asserts elapsed time
	sipToneIn    = 600.0            // the inmate's phone
	sipToneOut   = 1400.0           // the called party
	sipHeardMany = 50               // 20 ms frames: a second of a tone
	sipPIN       = "73915486"
	sipDialed    = "12015550123"
	sipNumber    = "+12015550123"
)

// syncBuffer is a bytes.Buffer safe for the logger's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serving is a `parley serve --sip` running in the background.
type serving struct {
	sip    netip.AddrPort
	http   string // base URL of the staff surface
	cancel context.CancelFunc
	done   chan int
	stderr *syncBuffer
	stdout *syncBuffer
}

// startServe runs serve with SIP on 127.0.0.1 toward trunk and waits until SIP listens.
// The inmate is offered the language choice: tests press 1 (English) before the PIN.
func startServe(t *testing.T, c *cli, trunk string, extra ...string) *serving {
	t.Helper()
	return startServeArgs(t, c, append([]string{"--trunk", trunk}, extra...)...)
}

// startServeArgs runs serve with SIP on 127.0.0.1 and the given flags and waits until SIP
// listens.
func startServeArgs(t *testing.T, c *cli, extra ...string) *serving {
	t.Helper()
	lo := 40000 + rand.IntN(400)*50
	args := []string{"--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--rtp-ports", strconv.Itoa(lo) + "-" + strconv.Itoa(lo+48)}
	return startServeWith(t, c, func() time.Time { return c.now }, true, append(args, extra...)...)
}

// startServeWith runs serve over c's data and keys with the clock now and the given flags, and
// waits until its HTTP surface (and, with withSIP, its SIP listener) is ready.
func startServeWith(t *testing.T, c *cli, now func() time.Time, withSIP bool, flags ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	var sipReady chan string
	s := &serving{cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}, stdout: &syncBuffer{}}
	m := &Main{Stdout: s.stdout, Stderr: s.stderr, Stdin: strings.NewReader(""),
		Getenv: func(k string) string { return c.env[k] }, Now: now, Ready: ready}
	waits := []chan string{ready}
	if withSIP {
		sipReady = make(chan string, 1)
		m.SIPReady = sipReady
		waits = append(waits, sipReady)
	}
	args := append([]string{"serve", "--data", c.data, "--keys", c.keys}, flags...)
	go func() { s.done <- m.Run(ctx, args) }()
	t.Cleanup(func() { s.stop(t) })
	for _, ch := range waits {
		select {
		case addr := <-ch:
			if ch == ready {
				s.http = "http://" + addr
			}
			if ch == sipReady {
				ap, err := netip.ParseAddrPort(addr)
				if err != nil {
					t.Fatalf("SIP address %q: %v", addr, err)
				}
				s.sip = ap
			}
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve exited %d: %s", code, s.stderr.String())
		case <-time.After(sipGuard):
			t.Fatal("serve did not start")
		}
	}
	return s
}

// stop ends serve and checks it exits cleanly (once).
func (s *serving) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case code := <-s.done:
		if code != 0 {
			t.Errorf("serve exited %d: %s", code, s.stderr.String())
		}
	case <-time.After(sipGuard):
		t.Error("serve did not stop")
	}
}

func sipWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(sipGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sipWaitClosed(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(sipGuard):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// vaultFiles lists the files under the data directory's vault.
func vaultFiles(t *testing.T, c *cli) []string {
	t.Helper()
	var out []string
	root := filepath.Join(c.data, "vault")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		if !d.IsDir() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, p+" "+strconv.FormatInt(info.Size(), 10)+" "+info.ModTime().String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// toneFrames counts the 20 ms frames of pcm in which freq holds most of the energy.
func toneFrames(pcm []int16, freq float64) int {
	n := 0
	for i := 0; i+media.Frame20 <= len(pcm); i += media.Frame20 {
		f := pcm[i : i+media.Frame20]
		if tone.RMS(f) > 300 && tone.EnergyRatio(f, freq, media.SampleRate) > 0.6 {
			n++
		}
	}
	return n
}

// TestServeSIPCall places a real call through `parley serve --sip`: a phone behind a
// trusted gateway, the real SQLite store, call policy and vault, a test trunk.
func TestServeSIPCall(t *testing.T) { serveSIPCall(t, false) }

// TestServeSIPPrivilegedCall calls a privileged number: it connects both ways and leaves
// nothing in the vault.
func TestServeSIPPrivilegedCall(t *testing.T) { serveSIPCall(t, true) }

func serveSIPCall(t *testing.T, privileged bool) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	if privileged {
		c.ok("privileged", "add", "--number", sipNumber, "--kind", "attorney", "--name", "Theodore Blackwood")
	}
	before := vaultFiles(t, c)

	lo := netip.MustParseAddr("127.0.0.1")
	trunk, err := siptest.NewTrunk(lo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI())

	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	p := dialIn(t, srv, sipPIN)
	tc := answerTrunk(t, srv, trunk, "1")
	talk(t, p, tc)
	// What each side heard of the other was bridged, hence recorded.
	heardIn := siptest.ToneFrames(tc.Media.Received(), sipToneIn)
	heardOut := siptest.ToneFrames(p.Media.Received(), sipToneOut)
	if privileged {
		if err := tc.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		sipWaitClosed(t, "the inmate leg to end", p.Ended())
	} else {
		if err := p.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		sipWaitClosed(t, "the trunk leg to end", tc.Ended())
	}
	// Shutdown waits for the call to write its final record before the store closes.
	srv.stop(t)
	logs := srv.stderr.String()
	for _, secret := range []string{sipPIN, sipDialed, "Marisol", "A1001"} {
		if strings.Contains(logs, secret) {
			t.Errorf("serve's logs contain %q", secret)
		}
	}

	calls := searchNumber(t, c, sipNumber)
	if len(calls) != 1 {
		t.Fatalf("calls search found %d calls, want 1: %+v", len(calls), calls)
	}
	call := calls[0]
	if call.Status != "completed" || call.InmateID != "A1001" || call.FacilityID != "cnty" ||
		call.DeviceID != "pod-1" || call.Number != sipNumber {
		t.Errorf("call record %+v", call)
	}
	if privileged {
		if call.Recording != "privileged" || call.RecordingID != "" || !call.Privileged {
			t.Errorf("privileged call record %+v", call)
		}
		if after := vaultFiles(t, c); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("the vault changed: before %v, after %v", before, after)
		}
	} else {
		if call.Recording != "stored" || call.RecordingID == "" {
			t.Fatalf("call record %+v", call)
		}
		left, right := recordingChannels(t, c, call.RecordingID)
		// 80%: the recording's 20 ms windows need not line up with the packets.
		if n := toneFrames(left, sipToneIn); n < heardIn*8/10 {
			t.Errorf("left channel: %d frames of the phone's tone, the called party heard %d", n, heardIn)
		}
		if n := toneFrames(right, sipToneOut); n < heardOut*8/10 {
			t.Errorf("right channel: %d frames of the trunk's tone, the inmate heard %d", n, heardOut)
		}
		if n := toneFrames(left, sipToneOut) + toneFrames(right, sipToneIn); n > 2 {
			t.Errorf("tones on the wrong channel in %d frames", n)
		}
	}
	c.ok("audit", "verify")
}

// TestServeSIPFlags checks the SIP flags of serve and the policy reason mapping.
func TestServeSIPFlags(t *testing.T) {
	cfg, err := sipConfig("127.0.0.1:5060", "sip:192.0.2.1:5060", "20000-29999", "192.0.2.7")
	if err != nil || cfg.RTPPortMin != 20000 || cfg.RTPPortMax != 29999 || cfg.MediaIP.String() != "192.0.2.7" ||
		cfg.Trunk != "sip:192.0.2.1:5060" || cfg.UDPAddr != "127.0.0.1:5060" || cfg.TCPAddr != "127.0.0.1:5060" {
		t.Fatalf("sipConfig = %+v, %v", cfg, err)
	}
	for _, bad := range [][4]string{
		{"127.0.0.1:5060", "", "20000-29999", ""},
		{"127.0.0.1:5060", "192.0.2.1", "20000-29999", ""},
		{"127.0.0.1", "sip:192.0.2.1", "20000-29999", ""},
		{"127.0.0.1:5060", "sip:192.0.2.1", "20000", ""},
		{"127.0.0.1:5060", "sip:192.0.2.1", "29999-20000", ""},
		{"127.0.0.1:5060", "sip:192.0.2.1", "20000-70000", ""},
		{"127.0.0.1:5060", "sip:192.0.2.1", "20000-29999", "media.example.org"},
		{"127.0.0.1:5060", "sip:192.0.2.1", "20000-29999", "0.0.0.0"},
	} {
		if _, err := sipConfig(bad[0], bad[1], bad[2], bad[3]); err == nil {
			t.Errorf("sipConfig%q: no error", bad)
		}
	}
	c := newCLI(t)
	c.fail(2, "--trunk is required", "serve", "--sip", "127.0.0.1:0")
	c.fail(2, "need --sip", "serve", "--trunk", "sip:192.0.2.1")
	for in, want := range map[policy.Reason]prompts.ID{
		policy.ReasonPINInvalid: prompts.InvalidPIN, policy.ReasonPINLocked: prompts.InvalidPIN,
		policy.ReasonNotAllowed: prompts.NumberNotAllowed, policy.ReasonBlockedPrefix: prompts.NumberNotAllowed,
		policy.ReasonBlockedFacility: prompts.NumberNotAllowed, policy.ReasonBlockedByCalledParty: prompts.NumberBlocked,
		policy.ReasonOutsideHours: prompts.OutsideHours, policy.ReasonQuotaExceeded: prompts.QuotaExceeded,
		policy.ReasonLockdown: prompts.Lockdown, policy.ReasonTooSoon: prompts.TooSoon,
		policy.ReasonFacilityBusy: prompts.TooManyCalls, policy.ReasonInmateBusy: prompts.TooManyCalls,
		policy.ReasonInvalidInput: prompts.CallRefused,
	} {
		if got := sipPrompt(in); got != want {
			t.Errorf("sipPrompt(%q) = %q, want %q", in, got, want)
		}
	}
}

// dialIn places a call from the gateway, waits for the PIN prompt and keys pin and number.
func dialIn(t *testing.T, srv *serving, pin string) *siptest.Phone {
	t.Helper()
	return dialTo(t, srv, pin, sipDialed)
}

// talk starts each side's tone and waits until each hears the other (the call is bridged).
func talk(t *testing.T, p *siptest.Phone, tc *siptest.TrunkCall) {
	t.Helper()
	p.Media.SetTone(sipToneIn)
	tc.Media.SetTone(sipToneOut)
	sipWaitFor(t, "both sides to hear each other", func() bool {
		return siptest.ToneFrames(p.Media.Received(), sipToneOut) >= sipHeardMany &&
			siptest.ToneFrames(tc.Media.Received(), sipToneIn) >= sipHeardMany
	})
}

// TestServeSIPRefusals runs refusals through serve: a wrong PIN, a called party pressing 9
// (stored as a self-block through the Blocks adapter), and the next call to that number,
// refused by the policy as blocked.
func TestServeSIPRefusals(t *testing.T) {
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

	p := dialIn(t, srv, "11112222")
	sipWaitClosed(t, "the server to hang up after a wrong PIN", p.Ended())

	p = dialIn(t, srv, sipPIN)
	tc := answerTrunk(t, srv, trunk, "9")
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())
	sipWaitClosed(t, "the inmate leg to end", p.Ended())

	if !heardPrompt(t, p.Media.Received(), prompts.NumberBlocked, prompts.English) {
		t.Error("the inmate was not told the called party blocked the facility")
	}

	p = dialIn(t, srv, sipPIN)
	sipWaitClosed(t, "the server to hang up on a blocked number", p.Ended())
	if !heardPrompt(t, p.Media.Received(), prompts.NumberBlocked, prompts.English) {
		t.Error("the blocked number's refusal prompt was not heard")
	}
	select {
	case tc := <-trunk.Calls:
		tc.Media.Close()
		t.Fatal("a blocked number was dialed")
	default:
	}
	srv.stop(t)

	calls := searchNumber(t, c, sipNumber)
	got := map[string]callView{}
	for _, cv := range calls {
		got[cv.Status+" "+cv.Reason] = cv
	}
	if len(calls) != 3 || len(got) != 3 {
		t.Fatalf("calls %+v", calls)
	}
	if cv, ok := got["refused pin_invalid"]; !ok || cv.InmateID != "" {
		t.Errorf("wrong PIN: %+v", calls)
	}
	if cv, ok := got["declined blocked by called party"]; !ok || cv.InmateID != "A1001" || cv.Recording != "none" {
		t.Errorf("pressed 9: %+v", calls)
	}
	if cv, ok := got["refused blocked_by_called_party"]; !ok || cv.InmateID != "A1001" {
		t.Errorf("blocked: %+v", calls)
	}
	wantDecision(t, "after 9", check(t, c, "--pin", sipPIN, "--number", sipDialed), false, "blocked_by_called_party", "")

	// Staff see the self-block, and the audit log has it without the number in clear.
	var bl blocksView
	if err := json.Unmarshal([]byte(c.ok("block", "list", "--facility", "cnty", "--json")), &bl); err != nil {
		t.Fatal(err)
	}
	if len(bl.SelfBlocks) != 1 || bl.SelfBlocks[0].Number != sipNumber || bl.SelfBlocks[0].Scope != "cnty" {
		t.Errorf("block list self-blocks %+v", bl.SelfBlocks)
	}
	var events []parley.AuditEvent
	raw := c.ok("audit", "list", "--limit", "1000", "--json")
	if err := json.Unmarshal([]byte(raw), &events); err != nil {
		t.Fatal(err)
	}
	var selfBlocks []parley.AuditEvent
	for _, ev := range events {
		if ev.Action == "selfblock.add" {
			selfBlocks = append(selfBlocks, ev)
		}
	}
	if len(selfBlocks) != 1 || !strings.Contains(selfBlocks[0].Object, "facility:cnty") ||
		!strings.Contains(selfBlocks[0].Object, "number:#") || selfBlocks[0].Actor != "system:sip" {
		t.Errorf("self-block audit events %+v", selfBlocks)
	}
	if strings.Contains(raw, strings.TrimPrefix(sipNumber, "+1")) {
		t.Error("the audit log holds the number in clear")
	}
	c.ok("audit", "verify")
}

// TestServeSIPAttemptStored checks that a call is a stored record from its first moment:
// while the inmate is still in the IVR (no PIN, no number) the record is there, so a crash
// would not lose it, and hanging up leaves it dropped with the reason.
func TestServeSIPAttemptStored(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI())
	p := callIn(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	live := searchFacility(t, c, "cnty")
	if len(live) != 1 || live[0].Status != "attempted" || live[0].Number != "" || live[0].InmateID != "" ||
		live[0].DeviceID != "pod-1" {
		t.Fatalf("record during the IVR: %+v", live)
	}
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	sipWaitFor(t, "the final record", func() bool { return searchFacility(t, c, "cnty")[0].Status != "attempted" })
	srv.stop(t)
	final := searchFacility(t, c, "cnty")
	if len(final) != 1 || final[0].ID != live[0].ID || final[0].Status != "dropped" ||
		final[0].Reason != "inmate_hangup_before_connect" {
		t.Fatalf("record after hang-up: %+v", final)
	}
}

// TestServeSIPRestartEndsStaleCalls: a copy of the data taken while a call is in the IVR
// is what a crash leaves; serve started on it ends that record as dropped, reason
// server_restart, and leaves finished records alone.
func TestServeSIPRestartEndsStaleCalls(t *testing.T) {
	c := newCLI(t)
	c.now = time.Now().UTC() // the restart's cutoff and the records' start share the wall clock
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--gateway", "127.0.0.1")
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI())
	p := callIn(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	crashed := newCLI(t)
	crashed.now = time.Now().UTC().Add(time.Second)
	for from, to := range map[string]string{c.data: crashed.data, c.keys: crashed.keys} {
		if err := os.RemoveAll(to); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(to, os.DirFS(from)); err != nil {
			t.Fatal(err)
		}
		err := filepath.WalkDir(to, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return os.Chmod(path, 0o700)
			}
			return os.Chmod(path, 0o600)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	sipWaitFor(t, "the final record", func() bool { return searchFacility(t, c, "cnty")[0].Status != "attempted" })
	srv.stop(t)
	if got := searchFacility(t, crashed, "cnty"); len(got) != 1 || got[0].Status != "attempted" {
		t.Fatalf("the copy: %+v", got)
	}
	again := startServe(t, crashed, trunk.URI())
	again.stop(t)
	got := searchFacility(t, crashed, "cnty")
	if len(got) != 1 || got[0].Status != "dropped" || got[0].Reason != "server_restart" {
		t.Fatalf("after the restart: %+v", got)
	}
	// The original, which ended properly, is untouched by a restart.
	again = startServe(t, c, trunk.URI())
	again.stop(t)
	if got := searchFacility(t, c, "cnty"); len(got) != 1 || got[0].Reason != "inmate_hangup_before_connect" {
		t.Fatalf("a finished record changed: %+v", got)
	}
}
