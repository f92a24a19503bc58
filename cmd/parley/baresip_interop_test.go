package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley.dev/parley/internal/baresip"
	"parley.dev/parley/internal/sipp"
	"parley.dev/parley/media/tone"
	"parley.dev/parley/media/wav"
	"parley.dev/parley/sip/siptest"
)

// Interop with baresip (Debian's 1.0.0, SIP stack libre), which gives up on any response
// holding a non-MD5 challenge: it registers to serve as a phone set to --digest md5,
// places a call, keys the PIN and the number as RFC 4733 telephone-events, and its tone
// (aufile, from a WAV) reaches the called party once the call is accepted.

const baresipUser = "pod-baresip"

// toneWAV writes seconds of a sine at freq as an 8 kHz mono 16-bit WAV.
func toneWAV(t *testing.T, freq float64, seconds int) string {
	t.Helper()
	pcm := make([]int16, 8000*seconds)
	tone.NewSine(freq, 8000, 8000).Fill(pcm)
	var b bytes.Buffer
	b.Write(wav.Header{Format: wav.PCM16, Channels: 1, SampleRate: 8000, DataSize: uint32(2 * len(pcm))}.Bytes())
	for _, s := range pcm {
		b.WriteByte(byte(s))
		b.WriteByte(byte(s >> 8))
	}
	path := filepath.Join(t.TempDir(), "source.wav")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBaresipMD5PhoneCall: baresip registers (its own "200 OK") as a phone set to
// --digest md5, answers the INVITE's 407 with MD5, keys PIN and number by RFC 4733, and
// the call goes through the IVR and the policy to the trunk, which accepts and hears
// baresip's tone; the record is a completed, recorded call from the phone.
func TestBaresipMD5PhoneCall(t *testing.T) {
	baresip.Binary(t)
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("phone", "add", "--facility", "cnty", "--user", baresipUser, "--password", phonePassword, "--digest", "md5")
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI(), "--lang", "en")

	lo := netip.MustParseAddr("127.0.0.1")
	port, err := sipp.FreeUDPPorts(lo, 1)
	if err != nil {
		t.Fatal(err)
	}
	ua := baresip.Start(t, baresip.Options{Local: netip.AddrPortFrom(lo, uint16(port)), Registrar: srv.sip,
		User: baresipUser, Password: phonePassword, Source: toneWAV(t, sipToneIn, 60)})
	ua.WaitFor(t, "registration", sipGuard, func(out string) bool {
		return strings.Contains(out, baresipUser+"@127.0.0.1: {0/UDP/v4} 200 OK")
	})
	if err := ua.Type("/dial sip:parley@" + srv.sip.String() + "\n"); err != nil {
		t.Fatal(err)
	}
	ua.WaitFor(t, "the call established", sipGuard, func(out string) bool { return strings.Contains(out, "Call established") })
	// One key at a time: the next is typed once baresip has ended the previous
	// telephone-event (keys typed at once overlap into one event).
	keys := sipPIN + "#" + sipDialed + "#"
	for i, k := range keys {
		if err := ua.Type(string(k)); err != nil {
			t.Fatal(err)
		}
		ua.WaitFor(t, "the end of key "+string(k), sipGuard, func(out string) bool {
			return strings.Count(out, "audio: send DTMF digit end:") >= i+1
		})
	}
	tc := answerTrunk(t, srv, trunk, "1")
	tc.Media.SetTone(sipToneOut)
	sipWaitFor(t, "baresip's tone at the called party", func() bool {
		return siptest.ToneFrames(tc.Media.Received(), sipToneIn) >= sipHeardMany
	})
	if err := ua.Type("/hangup\n"); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())
	ua.WaitFor(t, "the call's end", sipGuard, func(out string) bool { return strings.Contains(out, "terminated (duration") })
	sipWaitFor(t, "the call's end recorded", func() bool {
		calls := searchNumber(t, c, sipNumber)
		return len(calls) == 1 && calls[0].Status != "attempted" && calls[0].Status != "connected"
	})
	srv.stop(t)

	out := ua.Output()
	if strings.Contains(out, "Function not implemented") || strings.Contains(out, "401 Unauthorized") && !strings.Contains(out, "200 OK") {
		t.Errorf("baresip's digest failed:\n%s", out)
	}
	calls := searchNumber(t, c, sipNumber)
	if len(calls) != 1 || calls[0].Status != "completed" || calls[0].DeviceID != baresipUser || calls[0].InmateID != "A1001" ||
		calls[0].FacilityID != "cnty" || calls[0].Recording != "stored" {
		t.Fatalf("the call record: %+v\nbaresip:\n%s\nparley:\n%s", calls, out, srv.stderr.String())
	}
	if !strings.Contains(srv.stderr.String(), "phone registered") {
		t.Errorf("serve did not log the registration:\n%s", srv.stderr.String())
	}
	if strings.Contains(srv.stderr.String(), phonePassword) || strings.Contains(srv.stderr.String(), sipPIN) {
		t.Error("serve logged the password or the PIN")
	}
}
