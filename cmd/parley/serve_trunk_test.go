package main

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley/sip/siptest"
)

const (
	carrierUser     = "county-acct"
	carrierPassword = "Tr0mbone-Sunrise-41"
)

// carrierFiles starts a TLS carrier and writes serve's certificate, key and the CA in a
// temporary directory.
func carrierFiles(t *testing.T) (carrier *siptest.Carrier, certFile, keyFile, caFile string) {
	t.Helper()
	ca, err := siptest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	lo := net.ParseIP("127.0.0.1")
	certFile, keyFile, caFile, err = ca.WriteFiles(t.TempDir(), lo)
	if err != nil {
		t.Fatal(err)
	}
	carrierTLS, err := ca.ServerConfig(lo)
	if err != nil {
		t.Fatal(err)
	}
	carrier, err = siptest.NewCarrier(netip.MustParseAddr("127.0.0.1"), carrierTLS, ca.ClientConfig(), carrierUser, carrierPassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(carrier.Close)
	return carrier, certFile, keyFile, caFile
}

// TestServeTrunkTLS runs serve towards a carrier over TLS with the trunk flags: it
// registers with digest credentials from PARLEY_TRUNK_PASSWORD, places a call over TLS
// and SRTP in which both sides hear each other, and the vault's recording holds both
// tones; the password is in no log.
func TestServeTrunkTLS(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--gateway", "127.0.0.1")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	carrier, certFile, keyFile, caFile := carrierFiles(t)
	c.env["PARLEY_TRUNK_PASSWORD"] = carrierPassword
	srv := startServe(t, c, carrier.URI(), "--sip-tls", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile,
		"--trunk-ca", caFile, "--trunk-user", carrierUser, "--trunk-register")
	select {
	case r := <-carrier.Registers:
		if !strings.Contains(r.Contact, "transport=tls") {
			t.Errorf("registered contact %q", r.Contact)
		}
	case <-time.After(sipGuard):
		t.Fatalf("no registration reached the carrier:\n%s", srv.stderr.String())
	}

	p := dialIn(t, srv, sipPIN)
	var tc *siptest.TrunkCall
	select {
	case tc = <-carrier.Calls:
	case <-time.After(sipGuard):
		t.Fatalf("no call reached the carrier:\n%s", srv.stderr.String())
	}
	t.Cleanup(tc.Media.Close)
	sipWaitFor(t, "the announcement", func() bool { return siptest.LoudFrames(tc.Media.Received()) >= 5 })
	tc.Media.SendDigits("1")
	talk(t, p, tc)
	heardIn := siptest.ToneFrames(tc.Media.Received(), sipToneIn)
	heardOut := siptest.ToneFrames(p.Media.Received(), sipToneOut)
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "the carrier's leg to end", tc.Ended())
	srv.stop(t)
	if logs := srv.stderr.String(); strings.Contains(logs, carrierPassword) {
		t.Error("serve's logs contain the trunk password")
	}
	select {
	case m := <-carrier.Refused:
		t.Errorf("the carrier refused serve's credentials on %s", m)
	default:
	}
	calls := searchNumber(t, c, sipNumber)
	if len(calls) != 1 || calls[0].Status != "completed" || calls[0].Recording != "stored" {
		t.Fatalf("calls %+v", calls)
	}
	left, right := recordingChannels(t, c, calls[0].RecordingID)
	if n := toneFrames(left, sipToneIn); n < heardIn*8/10 {
		t.Errorf("left channel: %d frames of the phone's tone, the carrier heard %d", n, heardIn)
	}
	if n := toneFrames(right, sipToneOut); n < heardOut*8/10 || n == 0 {
		t.Errorf("right channel: %d frames of the carrier's tone, the inmate heard %d", n, heardOut)
	}
}

// TestServeTrunkFlags checks the bad combinations of the TLS and trunk account flags.
func TestServeTrunkFlags(t *testing.T) {
	c := newCLI(t)
	_, certFile, keyFile, caFile := carrierFiles(t)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sipArgs := []string{"serve", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--rtp-ports", "41000-41010"}
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"need --sip", []string{"serve", "--trunk-user", "u"}},
		{"need --sip", []string{"serve", "--sip-tls", "127.0.0.1:0"}},
		{"--sip-tls needs --tls-cert and --tls-key", []string{"--trunk", "sip:192.0.2.1", "--sip-tls", "127.0.0.1:0", "--tls-cert", certFile}},
		{"need --sip-tls", []string{"--trunk", "sip:192.0.2.1", "--tls-cert", certFile, "--tls-key", keyFile}},
		{"a TLS trunk needs --sip-tls", []string{"--trunk", "sips:192.0.2.1:5061"}},
		{"--trunk-srtp must be", []string{"--trunk", "sip:192.0.2.1", "--trunk-srtp", "maybe"}},
		{"--trunk-register needs --trunk-user", []string{"--trunk", "sip:192.0.2.1", "--trunk-register"}},
		{"needs --trunk-user", []string{"--trunk", "sip:192.0.2.1", "--trunk-password-file", pwFile}},
		{"holds no PEM certificate", []string{"--trunk", "sip:192.0.2.1", "--trunk-ca", pwFile}},
		{"cannot be loaded", []string{"--trunk", "sip:192.0.2.1", "--sip-tls", "127.0.0.1:0", "--tls-cert", caFile, "--tls-key", certFile}},
		{"cannot be read", []string{"--trunk", "sip:192.0.2.1", "--trunk-user", "u", "--trunk-password-file", filepath.Join(dir, "none")}},
	} {
		args := tc.args
		if args[0] != "serve" {
			args = append(append([]string(nil), sipArgs...), args...)
		}
		_, errOut, code := c.run(args...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
	c.env["PARLEY_TRUNK_PASSWORD"] = "secret"
	_, errOut, code := c.run(append(append([]string(nil), sipArgs...), "--trunk", "sip:192.0.2.1", "--trunk-user", "u", "--trunk-password-file", pwFile)...)
	if code == 0 || !strings.Contains(errOut, "not both") {
		t.Errorf("password twice: exit %d, %q", code, errOut)
	}
	if strings.Contains(errOut, "secret") {
		t.Error("an error shows the password")
	}
}
