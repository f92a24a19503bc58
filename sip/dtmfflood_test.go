package sip_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/sip/siptest"
)

// floodEvents is how many RFC 4733 events a flood sends, within about a second.
const floodEvents = 5000

// dtmfFlood sends floodEvents telephone-event packets (payload type 101) from the phone's
// media socket: keys 0-15 and beyond, every press a new timestamp, starts, updates, ends
// and end retransmissions mixed, about 5 per millisecond.
func dtmfFlood(p *siptest.Phone) {
	pkt := make([]byte, 16)
	start := time.Now()
	for i := range floodEvents {
		pkt[0], pkt[1] = 0x80, 101
		if i%7 == 0 {
			pkt[1] |= 0x80 // marker
		}
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		binary.BigEndian.PutUint32(pkt[4:], uint32(i/2)*400) // two packets per press
		binary.BigEndian.PutUint32(pkt[8:], 0xF100D)
		pkt[12] = byte(i % 20) // events 16-19 are not keys
		pkt[13] = 0x0A
		if i%2 == 1 {
			pkt[13] |= 0x80 // end
		}
		binary.BigEndian.PutUint16(pkt[14:], uint16(160*(1+i%3)))
		p.Media.SendRaw(pkt)
		if i%50 == 49 {
			// ~5 events per ms: pace to about a second so the socket buffer keeps them.
			if d := time.Duration(i+1)*time.Second/floodEvents - time.Since(start); d > 0 {
				time.Sleep(d)
			}
		}
	}
}

// finals waits until there are n call records, all final, and no call is active.
func (h *harness) finals(n int) []parley.CallRecord {
	h.t.Helper()
	var recs []parley.CallRecord
	waitFor(h.t, "final call records", func() bool {
		recs, _ = h.calls.All()
		if len(recs) != n {
			return false
		}
		for _, r := range recs {
			switch r.Status {
			case parley.CallCompleted, parley.CallDeclined, parley.CallRefused, parley.CallDropped:
			default:
				return false
			}
		}
		return h.srv.ActiveCalls() == 0
	})
	return recs
}

// TestDTMFFloodIVR floods the IVR while it waits for the PIN. The keys make a PIN and a
// number that are not valid: the call must be refused and hung up like any other, and the
// same server must then carry a normal call.
func TestDTMFFloodIVR(t *testing.T) {
	h := newHarness(t)
	p := h.phone()
	waitFor(t, "the PIN prompt", func() bool { return siptest.LoudFrames(p.Media.Received()) >= 3 })
	dtmfFlood(p)
	waitClosed(t, "the server to hang up on the flood", p.Ended())
	recs := h.finals(1)
	t.Logf("flooded call: %s %s", recs[0].Status, recs[0].Reason)
	if recs[0].Status != parley.CallRefused && recs[0].Status != parley.CallDropped {
		t.Errorf("flooded call ended %q %q", recs[0].Status, recs[0].Reason)
	}
	if calls, writers := h.recorder.Counts(); calls != 0 || writers != 0 {
		t.Errorf("a flooded IVR reached the recorder: %d %d", calls, writers)
	}

	p2 := h.phone()
	tc := bridgedCall(t, h, p2)
	if err := p2.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the trunk leg to end", tc.Ended())
	recs = h.finals(2)
	completed := 0
	for _, r := range recs {
		if r.Status == parley.CallCompleted {
			completed++
		}
	}
	if completed != 1 {
		t.Errorf("after the flood: %+v", recs)
	}
}

// TestDTMFFloodBridged floods a bridged call from the inmate's side: the audio keeps
// flowing both ways, the call is not ended by it, and completes when the inmate hangs up.
func TestDTMFFloodBridged(t *testing.T) {
	h := newHarness(t)
	p := h.phone()
	tc := bridgedCall(t, h, p)
	before := siptest.ToneFrames(tc.Media.Received(), toneA)
	dtmfFlood(p)
	waitFor(t, "audio after the flood", func() bool {
		return siptest.ToneFrames(tc.Media.Received(), toneA) >= before+heardMany &&
			siptest.ToneFrames(p.Media.Received(), toneB) >= 2*heardMany
	})
	select {
	case <-p.Ended():
		t.Fatal("the flood ended the call")
	default:
	}
	if err := p.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the trunk leg to end", tc.Ended())
	if rec := h.finals(1)[0]; rec.Status != parley.CallCompleted || rec.Reason != "inmate_hangup" {
		t.Errorf("record %q %q", rec.Status, rec.Reason)
	}
}
