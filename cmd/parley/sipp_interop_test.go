package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley.dev/parley/internal/sipp"
	"parley.dev/parley/media"
	"parley.dev/parley/media/tone"
	"parley.dev/parley/media/wav"
	"parley.dev/parley/sip/siptest"
)

// Interop with sipp (Debian's sip-tester), a SIP stack parley's code shares nothing with.
// Each test runs the real sipp binary on one side of a call through `parley serve --sip`
// (SQLite, the vault, the call policy) and a Go peer, or sipp, on the other. Under CI=true
// a missing sipp fails them (see internal/sipp).

const (
	// sippPIN is made of keys whose bundled pcaps have increasing RTP timestamps (see
	// sip/testdata/sipp/phone.xml); the number 12015550123 is keyed by SIP INFO.
	sippPIN      = "102479"
	sippScenario = "../../sip/testdata/sipp/"
	sippGuard    = 90 * time.Second // failure guard only
)

// sippSetup creates the facility, the inmate with sippPIN, the allowed number and the
// trusted gateway 127.0.0.1.
func sippSetup(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sippPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	return c
}

// sippWait waits for sipp to exit and requires its exit status 0 (every scenario step passed).
func sippWait(t *testing.T, p *sipp.Process, srv *serving) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(sippGuard):
		t.Fatalf("sipp did not finish:\n%s\nparley:\n%s", p.Logs(), srv.stderr.String())
	}
	if code, logs := p.Wait(); code != 0 {
		t.Fatalf("sipp exited %d:\n%s\nparley:\n%s", code, logs, srv.stderr.String())
	}
}

// sippCallRecord stops serve and checks the one call record: completed, from the
// gateway's device, with a duration and a stored recording, which it returns decoded
// as left (inmate) and right (called party) channels.
func sippCallRecord(t *testing.T, c *cli, srv *serving, device string) (left, right []int16) {
	t.Helper()
	srv.stop(t)
	logs := srv.stderr.String()
	for _, secret := range []string{sippPIN, sipDialed, "Marisol", "A1001"} {
		if strings.Contains(logs, secret) {
			t.Errorf("serve's logs contain %q", secret)
		}
	}
	calls := searchNumber(t, c, sipNumber)
	if len(calls) != 1 {
		t.Fatalf("calls search found %d calls, want 1: %+v\n%s", len(calls), calls, logs)
	}
	call := calls[0]
	if call.Status != "completed" || call.InmateID != "A1001" || call.FacilityID != "cnty" ||
		call.DeviceID != device || call.Seconds <= 0 || call.Recording != "stored" || call.RecordingID == "" {
		t.Fatalf("call record %+v\n%s", call, logs)
	}
	left, right = recordingChannels(t, c, call.RecordingID)
	c.ok("audit", "verify")
	return left, right
}

// recordingChannels plays a recording back through the CLI and returns its two channels
// (left: the inmate's side, right: the called party's), failing unless it is stereo at
// the media sample rate.
func recordingChannels(t *testing.T, c *cli, id string) (left, right []int16) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "call.wav")
	c.ok("recordings", "get", id, "--out", out, "--purpose", "test")
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	hdr, pcm, err := wav.ReadAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Channels != 2 || hdr.SampleRate != media.SampleRate {
		t.Fatalf("wav header %+v", hdr)
	}
	// A truncated recording's length is not known from the vault: its export keeps the
	// streaming header (sizes 0xFFFFFFFF); every other export carries the exact size
	// (TestRecordingHeaderSizes checks complete recordings).
	if hl := len(hdr.Bytes()); hdr.DataSize != 0xFFFFFFFF && int(hdr.DataSize) != len(data)-hl {
		t.Fatalf("exported header says %d bytes of audio, the file has %d", hdr.DataSize, len(data)-hl)
	}
	left, right = make([]int16, len(pcm)/2), make([]int16, len(pcm)/2)
	for i := range left {
		left[i], right[i] = pcm[2*i], pcm[2*i+1]
	}
	return left, right
}

// loud counts the 20 ms frames of pcm well above silence.
func loud(pcm []int16) int {
	n := 0
	for i := 0; i+media.Frame20 <= len(pcm); i += media.Frame20 {
		if tone.RMS(pcm[i:i+media.Frame20]) > 300 {
			n++
		}
	}
	return n
}

// TestSIPPPhone: sipp is the inmate's phone behind the gateway (PIN by RFC 4733 from
// sipp's pcaps, number by SIP INFO, A-law speech in 30 ms packets); a Go trunk answers,
// accepts with '1' and sends a tone. The speech reaches the called party and the
// recording's left channel, the tone the right channel.
func TestSIPPPhone(t *testing.T) {
	c := sippSetup(t)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI(), "--lang", "en")
	phone := sipp.Start(t, sipp.Options{Scenario: sippScenario + "phone.xml", Remote: srv.sip})

	var tc *siptest.TrunkCall
	select {
	case tc = <-trunk.Calls:
	case <-phone.Done():
		_, logs := phone.Wait()
		t.Fatalf("sipp ended before the call reached the trunk:\n%s\nparley:\n%s", logs, srv.stderr.String())
	case <-time.After(sippGuard):
		t.Fatalf("no call reached the trunk:\n%s\nparley:\n%s", phone.Logs(), srv.stderr.String())
	}
	t.Cleanup(tc.Media.Close)
	if tc.Number != "+12015550123" && tc.Number != sipDialed {
		t.Errorf("the trunk was asked for %q", tc.Number)
	}
	sipWaitFor(t, "the announcement", func() bool { return siptest.LoudFrames(tc.Media.Received()) >= 5 })
	announced := len(tc.Media.Received())
	tc.Media.SendDigits("1")
	tc.Media.SetTone(sipToneOut)
	sippWait(t, phone, srv)
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())

	// The called party heard sipp's speech after the announcement.
	heard := loud(tc.Media.Received()[announced:])
	if heard < 50 {
		t.Errorf("the called party heard %d loud frames from sipp, want ≥ 50 (a second)", heard)
	}
	left, right := sippCallRecord(t, c, srv, "pod-sipp")
	t.Logf("called party heard %d loud frames; recording: left %d loud, right %d tone frames", heard, loud(left), toneFrames(right, sipToneOut))
	if n := loud(left); n < 50 {
		t.Errorf("left channel (sipp's speech): %d loud frames, want ≥ 50", n)
	}
	if n := toneFrames(right, sipToneOut); n < 50 {
		t.Errorf("right channel: %d frames of the trunk's tone, want ≥ 50", n)
	}
	if n := toneFrames(left, sipToneOut); n > 2 {
		t.Errorf("the trunk's tone on the left channel in %d frames", n)
	}
}

// TestSIPPTrunk: a Go phone calls (RFC 4733 keys, a tone); parley dials sipp as the trunk,
// which answers with PCMA in 30 ms packets, accepts with sipp's '1' pcap, plays speech and
// hangs up. The phone hears the speech; the recording holds both.
func TestSIPPTrunk(t *testing.T) {
	c := sippSetup(t)
	trunk := sipp.Start(t, sipp.Options{Scenario: sippScenario + "trunk.xml"})
	srv := startServe(t, c, "sip:127.0.0.1:"+strconv.Itoa(trunk.SIPPort)) // dialIn presses 1 (English) first
	p := dialIn(t, srv, sippPIN)
	heardBefore := 0
	sipWaitFor(t, "the call to reach sipp", func() bool {
		heardBefore = len(p.Media.Received())
		return strings.Contains(trunk.Logs(), "INVITE sip:")
	})
	p.Media.SetTone(sipToneIn)
	sippWait(t, trunk, srv)
	sipWaitClosed(t, "the inmate leg to end", p.Ended())

	if n := loud(p.Media.Received()[heardBefore:]); n < 50 {
		t.Errorf("the phone heard %d loud frames after dialing, want ≥ 50 (sipp's speech)", n)
	}
	left, right := sippCallRecord(t, c, srv, "pod-1")
	t.Logf("phone heard %d loud frames; recording: left %d tone frames, right %d loud", loud(p.Media.Received()[heardBefore:]), toneFrames(left, sipToneIn), loud(right))
	if n := toneFrames(left, sipToneIn); n < 50 {
		t.Errorf("left channel: %d frames of the phone's tone, want ≥ 50", n)
	}
	if n := loud(right); n < 50 {
		t.Errorf("right channel (sipp's speech): %d loud frames, want ≥ 50", n)
	}
	if n := toneFrames(right, sipToneIn); n > 2 {
		t.Errorf("the phone's tone on the right channel in %d frames", n)
	}
}

// TestSIPPBothSides: sipp is both the phone and the trunk; parley is the only Go in the
// call. Both scenarios must pass and the call be recorded with both sides' speech.
func TestSIPPBothSides(t *testing.T) {
	c := sippSetup(t)
	trunk := sipp.Start(t, sipp.Options{Scenario: sippScenario + "trunk.xml"})
	srv := startServe(t, c, "sip:127.0.0.1:"+strconv.Itoa(trunk.SIPPort), "--lang", "en")
	phone := sipp.Start(t, sipp.Options{Scenario: sippScenario + "phone-hungup.xml", Remote: srv.sip})
	sippWait(t, trunk, srv) // the trunk hangs up
	sippWait(t, phone, srv)
	left, right := sippCallRecord(t, c, srv, "pod-sipp")
	t.Logf("recording: left %d loud, right %d loud", loud(left), loud(right))
	if n := loud(left); n < 25 {
		t.Errorf("left channel (the phone's speech): %d loud frames, want ≥ 25", n)
	}
	if n := loud(right); n < 25 {
		t.Errorf("right channel (the trunk's speech): %d loud frames, want ≥ 25", n)
	}
}

// TestSIPPPhoneWrongPIN: the inmate's PIN is not the one sipp keys. parley refuses the call
// and hangs up mid-scenario, so sipp must fail (its exit status is what the other tests
// rely on), and the call record says why.
func TestSIPPPhoneWrongPIN(t *testing.T) {
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
	srv := startServe(t, c, trunk.URI(), "--lang", "en")
	phone := sipp.Start(t, sipp.Options{Scenario: sippScenario + "phone.xml", Remote: srv.sip})
	select {
	case <-phone.Done():
	case <-time.After(sippGuard):
		t.Fatalf("sipp did not finish:\n%s", phone.Logs())
	}
	if code, logs := phone.Wait(); code == 0 {
		t.Fatalf("sipp passed a scenario parley refused:\n%s", logs)
	}
	select {
	case tc := <-trunk.Calls:
		tc.Media.Close()
		t.Fatal("a call with a wrong PIN reached the trunk")
	default:
	}
	srv.stop(t)
	// A refused PIN leaves no number in the record: look the call up by facility.
	var calls []callView
	if err := json.Unmarshal([]byte(c.ok("calls", "search", "--facility", "cnty", "--json")), &calls); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].Status != "refused" || calls[0].Reason != "pin_invalid" || calls[0].DeviceID != "pod-sipp" {
		t.Errorf("calls %+v", calls)
	}
}

// TestSIPPRegisterMD5: sipp 3.6 registers to serve as a phone set to --digest md5 (it
// answers MD5 challenges only); the same sipp fails against a phone offered SHA-256
// first, which is why the setting exists. A wrong password is refused.
func TestSIPPRegisterMD5(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("phone", "add", "--facility", "cnty", "--user", "pod-sipp-md5", "--password", phonePassword, "--digest", "md5")
	c.ok("phone", "add", "--facility", "cnty", "--user", "pod-sipp-both", "--password", phonePassword, "--digest", "sha256,md5")
	srv := startServe(t, c, "sip:127.0.0.1:9") // no call reaches the trunk
	register := func(user, password string) (int, string) {
		p := sipp.Start(t, sipp.Options{Scenario: sippScenario + "register.xml", Remote: srv.sip,
			Service: user, User: user, Password: password, Timeout: 20 * time.Second})
		select {
		case <-p.Done():
		case <-time.After(sippGuard):
			t.Fatalf("sipp did not finish:\n%s", p.Logs())
		}
		return p.Wait()
	}
	if code, logs := register("pod-sipp-md5", phonePassword); code != 0 {
		t.Fatalf("sipp REGISTER as an MD5 phone: exit %d\n%s\nparley:\n%s", code, logs, srv.stderr.String())
	} else if !strings.Contains(logs, "algorithm=MD5") || strings.Contains(logs, "SHA-256") {
		t.Errorf("the challenge sipp answered was not MD5 alone:\n%s", logs)
	}
	if code, logs := register("pod-sipp-md5", "not-the-password"); code == 0 {
		t.Errorf("sipp registered with a wrong password:\n%s", logs)
	}
	if code, logs := register("pod-sipp-both", phonePassword); code == 0 {
		t.Errorf("sipp registered against a SHA-256 first challenge; the md5 setting would not be needed:\n%s", logs)
	}
	srv.stop(t)
	if strings.Contains(srv.stderr.String(), phonePassword) {
		t.Error("serve logged the password")
	}
}
