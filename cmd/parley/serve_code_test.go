package main

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip/siptest"
)

// TestServeVerificationCall: with --sip, `parley serve` verifies a family's number by a
// real call through the trunk: the called party (a Go trunk peer) hears the code spoken
// twice, reads it from the audio, and the code typed back verifies the number.
func TestServeVerificationCall(t *testing.T) {
	c := newCLI(t)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI(), "--lang", "en")
	anon := newClient(t, srv.http)
	status, body := anon.do("POST", "/api/v1/family/signup", map[string]string{"name": "kin@example.org", "password": publicPassword})
	wantStatus(t, "sign-up", status, body, http.StatusCreated)
	fam := publicSignIn(t, srv.http, "family", "kin@example.org")
	_, body = fam.do("GET", "/api/v1/family/number", nil)
	if !strings.Contains(string(body), `"verification_available":true`) {
		t.Fatalf("number %s", body)
	}
	// The request returns at once; the call follows.
	status, body = fam.do("POST", "/api/v1/family/number", map[string]string{"number": "+12125550199"})
	wantStatus(t, "claim", status, body, http.StatusCreated)
	var claimed struct{ ID string }
	json.Unmarshal(body, &claimed)
	var call *siptest.TrunkCall
	select {
	case call = <-trunk.Calls:
	case <-time.After(sipGuard):
		t.Fatal("no call reached the trunk")
	}
	sipWaitFor(t, "the end of the verification call", func() bool {
		select {
		case <-call.Ended():
			return true
		default:
			return false
		}
	})
	if call.Number != "+12125550199" {
		t.Fatalf("the trunk was asked for %q", call.Number)
	}
	first, second, err := siptest.SpokenCode(call.Media.Received(), prompts.English)
	if err != nil || len(first) != 6 || first != second {
		t.Fatalf("heard %q then %q (%v)", first, second, err)
	}
	status, body = fam.do("POST", "/api/v1/family/number/"+claimed.ID+"/code", map[string]string{"code": first})
	wantStatus(t, "the code heard", status, body, http.StatusOK)
	if !strings.Contains(string(body), `"verified"`) {
		t.Fatalf("confirm %s", body)
	}
	for _, s := range []string{"2125550199", "kin@example.org"} {
		if strings.Contains(srv.stderr.String(), s) {
			t.Errorf("the logs hold %q", s)
		}
	}
}
