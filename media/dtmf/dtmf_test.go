package dtmf

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"

	"parley.dev/parley"
)

func TestEventRoundTrip(t *testing.T) {
	// RFC 4733 §2.3 layout: digit 5, E bit, volume 10, duration 800.
	wire := []byte{0x05, 0x8A, 0x03, 0x20}
	var ev Event
	if err := ev.Unmarshal(wire); err != nil {
		t.Fatal(err)
	}
	if ev != (Event{Code: 5, End: true, Volume: 10, Duration: 800}) {
		t.Fatalf("decoded %+v", ev)
	}
	out, err := ev.AppendBinary(nil)
	if err != nil || !bytes.Equal(out, wire) {
		t.Fatalf("AppendBinary = % x, %v; want % x", out, err, wire)
	}
	// The R bit is ignored on receipt and never sent.
	if err := ev.Unmarshal([]byte{0x0B, 0x4A, 0, 160}); err != nil || ev.End || ev.Volume != 10 || ev.Code != 11 {
		t.Fatalf("R bit: %+v %v", ev, err)
	}
	if k, ok := ev.Key(); !ok || k != '#' {
		t.Errorf("key of code 11 = %q", k)
	}
	if err := ev.Unmarshal(wire[:3]); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("short payload: %v", err)
	}
	if _, err := (Event{Volume: 64}).MarshalTo(make([]byte, 4)); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("volume 64: %v", err)
	}
	if _, err := (Event{}).MarshalTo(make([]byte, 3)); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("short buffer: %v", err)
	}
}

func TestKeyCodes(t *testing.T) {
	for code := range uint8(16) {
		k, ok := KeyOf(code)
		if !ok {
			t.Fatalf("KeyOf(%d) not a key", code)
		}
		back, err := CodeOf(k)
		if err != nil || back != code {
			t.Fatalf("CodeOf(%q) = %d, %v; want %d", k, back, err, code)
		}
	}
	if c, err := CodeOf('b'); err != nil || c != 13 {
		t.Errorf("CodeOf('b') = %d, %v", c, err)
	}
	if _, ok := KeyOf(16); ok {
		t.Error("flash (16) is a key")
	}
	if _, err := CodeOf('e'); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("CodeOf('e') = %v", err)
	}
}

type pkt struct {
	h       rtp.Header
	payload [PayloadSize]byte
}

// pressPackets returns every packet of one press sent by s.
func pressPackets(t testing.TB, s *Sender, key byte, ts uint32) []pkt {
	t.Helper()
	if err := s.Start(key, ts); err != nil {
		t.Fatal(err)
	}
	var out []pkt
	for {
		var p pkt
		if _, ok := s.Next(&p.h, p.payload[:]); !ok {
			return out
		}
		out = append(out, p)
	}
}

func TestSenderSequence(t *testing.T) {
	s := NewSender(0x1234, 65534, 101)
	s.Duration = 800
	ps := pressPackets(t, s, '7', 1000)
	// 160, 320, 480, 640 then three ends at 800.
	want := []struct {
		dur uint16
		end bool
	}{{160, false}, {320, false}, {480, false}, {640, false}, {800, true}, {800, true}, {800, true}}
	if len(ps) != len(want) {
		t.Fatalf("%d packets, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		var ev Event
		if err := ev.Unmarshal(p.payload[:]); err != nil {
			t.Fatal(err)
		}
		if ev.Code != 7 || ev.Duration != want[i].dur || ev.End != want[i].end || ev.Volume != DefaultVolume {
			t.Errorf("packet %d: %+v, want duration %d end %v", i, ev, want[i].dur, want[i].end)
		}
		if p.h.Marker != (i == 0) || p.h.Timestamp != 1000 || p.h.SSRC != 0x1234 || p.h.PayloadType != 101 || p.h.Version != 2 {
			t.Errorf("packet %d header %+v", i, p.h)
		}
		if p.h.SequenceNumber != uint16(65534+i) {
			t.Errorf("packet %d seq %d", i, p.h.SequenceNumber)
		}
	}
	if s.Active() {
		t.Error("sender still active after the press")
	}
	if err := s.Start('x', 0); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("Start('x') = %v", err)
	}
	// A raw packet marshals and parses with pion.
	raw, err := (&rtp.Packet{Header: ps[0].h, Payload: ps[0].payload[:]}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var back rtp.Packet
	if err := back.Unmarshal(raw); err != nil || !back.Marker || len(back.Payload) != PayloadSize {
		t.Fatalf("pion round trip: %v %+v", err, back.Header)
	}
}

func receiveAll(t *testing.T, r *Receiver, ps []pkt) string {
	t.Helper()
	var got []byte
	for i := range ps {
		k, ok, err := r.Receive(&ps[i].h, ps[i].payload[:])
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, k)
		}
	}
	return string(got)
}

func TestReceiverCleanStream(t *testing.T) {
	s := NewSender(7, 100, 101)
	const keys = "0123456789*#ABCD55"
	var ps []pkt
	for i := range len(keys) {
		ps = append(ps, pressPackets(t, s, keys[i], uint32(1000+i*2400))...)
	}
	var r Receiver
	if got := receiveAll(t, &r, ps); got != keys {
		t.Fatalf("got %q, want %q", got, keys)
	}
	st := r.Stats()
	if st.Keys != uint64(len(keys)) || st.Repeats != uint64(len(ps)-len(keys)) {
		t.Errorf("stats %+v", st)
	}
}

// TestReceiverImpairments loses the first packets of presses, duplicates packets and swaps
// neighbours, over many random runs: the keys come out exactly once, in order.
func TestReceiverImpairments(t *testing.T) {
	const keys = "19#*0A55577"
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 99))
		s := NewSender(rng.Uint32(), uint16(rng.Uint32()), 101)
		s.Duration = uint16(400 + rng.IntN(1200))
		ts := rng.Uint32() // wraps around for some seeds
		var ps []pkt
		for i := range len(keys) {
			one := pressPackets(t, s, keys[i], ts)
			ts += uint32(s.Duration) + 800 + uint32(rng.IntN(4000))
			one = one[rng.IntN(len(one)-2):] // lose up to all but the last two end packets
			for _, p := range one {
				ps = append(ps, p)
				if rng.IntN(4) == 0 {
					ps = append(ps, p) // duplicate
				}
			}
		}
		for i := 0; i+1 < len(ps); i++ {
			if rng.IntN(3) == 0 {
				ps[i], ps[i+1] = ps[i+1], ps[i]
				i++
			}
		}
		var r Receiver
		if got := receiveAll(t, &r, ps); got != keys {
			t.Fatalf("seed %d: got %q, want %q (stats %+v)", seed, got, keys, r.Stats())
		}
	}
}

func TestReceiverPolicies(t *testing.T) {
	s := NewSender(1, 0, 101)
	first := pressPackets(t, s, '1', 8000)
	second := pressPackets(t, s, '2', 16000)
	var r Receiver
	if got := receiveAll(t, &r, append(second[:2:2], first[3:]...)); got != "2" {
		t.Errorf("stale press reported: %q", got)
	}
	if r.Stats().Stale == 0 {
		t.Error("stale packets not counted")
	}

	// A new SSRC restarts: its presses are reported even with older timestamps.
	s2 := NewSender(2, 0, 101)
	if got := receiveAll(t, &r, pressPackets(t, s2, '3', 100)); got != "3" {
		t.Errorf("new SSRC: %q", got)
	}

	// A sender reusing the timestamp of an ended press for the next one.
	var r2 Receiver
	s3 := NewSender(3, 0, 101)
	ps := append(pressPackets(t, s3, '4', 500), pressPackets(t, s3, '4', 500)...)
	if got := receiveAll(t, &r2, ps); got != "44" {
		t.Errorf("reused timestamp: %q, want two presses", got)
	}

	// A long press split in segments is one key.
	var r3 Receiver
	s4 := NewSender(4, 0, 101)
	s4.Duration = 0xFFFF
	s4.Interval = 8000
	seg1 := pressPackets(t, s4, '9', 0)
	seg1 = seg1[:len(seg1)-EndRepeats] // segment not ended: continues
	last := seg1[len(seg1)-1]
	last.payload[2], last.payload[3] = 0xFF, 0xFF
	seg1 = append(seg1, last)
	seg2 := pressPackets(t, s4, '9', 0xFFFF)
	if got := receiveAll(t, &r3, append(seg1, seg2...)); got != "9" {
		t.Errorf("segmented long press: %q", got)
	}

	// Flash (event 16) is not a key; malformed payloads are errors.
	var r4 Receiver
	h := rtp.Header{SSRC: 5, Timestamp: 10}
	if _, ok, err := r4.Receive(&h, []byte{16, 10, 0, 160}); ok || err != nil {
		t.Errorf("flash: %v %v", ok, err)
	}
	if _, _, err := r4.Receive(&h, []byte{1}); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("short payload: %v", err)
	}
}

func BenchmarkReceiverPacket(b *testing.B) {
	s := NewSender(1, 0, 101)
	ps := pressPackets(b, s, '5', 0)
	var r Receiver
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := &ps[i%len(ps)]
		if i%len(ps) == 0 {
			p.h.Timestamp += 1600 // a new press every round
			for j := range ps {
				ps[j].h.Timestamp = p.h.Timestamp
			}
		}
		r.Receive(&p.h, p.payload[:])
		i++
	}
}

func BenchmarkSenderPacket(b *testing.B) {
	s := NewSender(1, 0, 101)
	var h rtp.Header
	var payload [PayloadSize]byte
	b.ReportAllocs()
	ts := uint32(0)
	for b.Loop() {
		if _, ok := s.Next(&h, payload[:]); !ok {
			ts += 1600
			s.Start('5', ts)
		}
	}
}
