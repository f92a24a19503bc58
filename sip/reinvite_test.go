package sip_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/sip/siptest"
)

// heardMore waits until m has received n more frames of the tone.
func heardMore(t *testing.T, what string, m *siptest.Media, freq float64, n int) {
	t.Helper()
	base := siptest.ToneFrames(m.Received(), freq)
	waitFor(t, what, func() bool { return siptest.ToneFrames(m.Received(), freq) >= base+n })
}

// sentMore waits until m has sent n more frames of its tone: a pause that does not
// depend on the server.
func sentMore(t *testing.T, m *siptest.Media, n int) {
	t.Helper()
	base := m.ToneFramesSent()
	waitFor(t, "the peer to send", func() bool { return m.ToneFramesSent() >= base+n })
}

func TestReInvite(t *testing.T) {
	for _, side := range []string{"inmate", "called"} {
		t.Run(side, func(t *testing.T) {
			h := newHarness(t, func(c *sipConfig, _ *harness) { c.MediaTimeout = time.Second })
			p := h.phone()
			tc := bridgedCall(t, h, p)
			me, other, myTone, otherTone := p.Media, tc.Media, toneA, toneB
			reinvite, formats := p.ReInvite, "0 8 101"
			if side == "called" {
				me, other, myTone, otherTone = tc.Media, p.Media, toneB, toneA
				reinvite, formats = tc.ReInvite, "0 101"
			}
			server := me.Remote() // parley's media address for this leg
			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			offer := func(body []byte, wantCode int, wantDir string) {
				t.Helper()
				code, ans, err := reinvite(ctx, body)
				if err != nil || code != wantCode {
					t.Fatalf("re-INVITE: %d %v", code, err)
				}
				if code != 200 {
					return
				}
				s := string(ans)
				want := []string{fmt.Sprintf("c=IN IP4 %s\r\n", server.Addr()),
					fmt.Sprintf("m=audio %d RTP/AVP 0", server.Port()), "a=" + wantDir + "\r\n"}
				for _, w := range want {
					if !strings.Contains(s, w) {
						t.Fatalf("answer without %q:\n%s", w, s)
					}
				}
			}
			sdp := func(dir string) []byte { return siptest.OfferSDPDir(me.Addr(), formats, 20, dir) }

			// Session refresh: same SDP, media goes on.
			offer(sdp("sendrecv"), 200, "sendrecv")
			heardMore(t, "audio after the refresh", me, otherTone, heardMany)
			heardMore(t, "audio after the refresh", other, myTone, heardMany)

			// Without an offer: parley offers its current session.
			offer(nil, 200, "sendrecv")

			// An offer without the negotiated codec changes nothing.
			offer(siptest.OfferSDP(me.Addr(), "8", 20), 488, "")

			// Hold (sendonly): the holder gets nothing, the other party still hears it.
			offer(sdp("sendonly"), 200, "recvonly")
			heardMore(t, "the holder's audio", other, myTone, heardMany/2) // in-flight packets arrive
			n := me.ReceivedSamples()
			heardMore(t, "the holder's audio", other, myTone, heardMany)
			if got := me.ReceivedSamples() - n; got != 0 {
				t.Errorf("the holder received %d samples", got)
			}

			// Hold (inactive) with a silent holder: not a media timeout.
			offer(sdp("inactive"), 200, "inactive")
			me.Pause(true)
			sentMore(t, other, 150) // 3 s of the other party's audio, 3 MediaTimeouts
			if h.srv.ActiveCalls() != 1 {
				t.Fatal("the call ended while on hold")
			}

			// Resume.
			me.Pause(false)
			offer(sdp("sendrecv"), 200, "sendrecv")
			heardMore(t, "audio after resuming", me, otherTone, heardMany)
			heardMore(t, "audio after resuming", other, myTone, heardMany)

			// The media moves to a new address: a new latch.
			moved, err := siptest.ListenMedia(gatewayIP)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(moved.Close)
			me.Pause(true)
			sentMore(t, other, 10) // the old address's last packets are read
			offer(siptest.OfferSDPDir(moved.Addr(), formats, 20, "sendrecv"), 200, "sendrecv")
			moved.Start(server, g711.PCMU, 101)
			moved.SetTone(myTone)
			heardMore(t, "audio at the new address", moved, otherTone, heardMany)
			heardMore(t, "audio from the new address", other, myTone, heardMany)

			if err := p.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			waitClosed(t, "the trunk leg to end", tc.Ended())
			rec, _ := h.final()
			if rec.Status != parley.CallCompleted || rec.Reason != "inmate_hangup" {
				t.Errorf("status %q reason %q", rec.Status, rec.Reason)
			}
		})
	}
}
