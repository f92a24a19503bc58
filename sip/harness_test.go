package sip_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip"
	"parley.dev/parley/sip/siptest"
)

var (
	gatewayIP   = netip.MustParseAddr("127.0.0.1")
	untrustedIP = netip.MustParseAddr("127.0.0.2")
	portBase    atomic.Int32
	// portSeed starts each test process at its own place in the RTP port blocks, so two
	// processes running at once (CI's packages, a fuzz run beside a test run) rarely pick
	// the same block.
	portSeed = rand.Int32N(200)
)

// nextPortBlock returns the first port of a fresh block of 40 RTP ports in 30000–37999.
func nextPortBlock() int { return 30000 + int((portBase.Add(1)+portSeed)%200)*40 }

const (
	pin       = "4321"
	dialed    = "15551234567"
	number    = parley.Number("+15551234567")
	inmateID  = "A-100"
	facility  = "fac-1"
	device    = "dev-7"
	guard     = 20 * time.Second // failure guard only; nothing asserts elapsed time
	toneA     = 600.0
	toneB     = 1400.0
	heardMany = 25 // 20 ms frames: half a second of a tone
)

type harness struct {
	t        *testing.T
	srv      *sip.Server
	calls    *siptest.Calls
	recorder *siptest.Recorder
	blocks   *siptest.Blocks
	policy   *siptest.FixedPolicy
	trunk    *siptest.Trunk
	prompts  sip.Prompts
	phones   *siptest.Phones           // nil: no registering phones
	billing  sip.Billing               // nil: calls are free
	policyOf func(*harness) sip.Policy // nil: policy
	logw     io.Writer                 // where the server logs (stderr when nil)

	mu     sync.Mutex
	played []string // "leg prompt"
}

type sipConfig = sip.Config

type option func(*sip.Config, *harness)

func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	trunk, err := siptest.NewTrunk(gatewayIP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	h := &harness{
		t: t, calls: siptest.NewCalls(), blocks: &siptest.Blocks{}, trunk: trunk,
		recorder: &siptest.Recorder{Verdict: parley.RecordVerdict{Record: true}},
		policy:   &siptest.FixedPolicy{PINs: map[string]siptest.Inmate{pin: {ID: inmateID, Name: "J. Doe"}}},
		prompts:  siptest.TonePrompts{},
	}
	base := nextPortBlock()
	cfg := sip.Config{
		UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0",
		RTPPortMin: base, RTPPortMax: base + 38,
		Gateways:     map[netip.Addr]string{gatewayIP: facility},
		Trunk:        trunk.URI(),
		DigitTimeout: 5 * time.Second, AnswerTimeout: 10 * time.Second, AcceptTimeout: 10 * time.Second,
	}
	for _, o := range opts {
		o(&cfg, h)
	}
	level := slog.LevelWarn
	if os.Getenv("SIP_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	var logw io.Writer = os.Stderr
	if h.logw != nil {
		logw, level = h.logw, slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: level}))
	deps := sip.Deps{
		Calls: h.calls, Policy: h.policy, Recorder: h.recorder, Blocks: h.blocks,
		Prompts: h.prompts, Logger: log,
	}
	if h.phones != nil {
		deps.Phones = h.phones
	}
	if h.billing != nil {
		deps.Billing = h.billing
	}
	if h.policyOf != nil {
		deps.Policy = h.policyOf(h)
	}
	srv, err := sip.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	sip.SetPromptHook(srv, func(_, leg string, id prompts.ID) {
		h.mu.Lock()
		h.played = append(h.played, leg+" "+string(id))
		h.mu.Unlock()
	})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	h.srv = srv
	return h
}

func (h *harness) playedPrompts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.played...)
}

// waitFor polls cond until it holds or the guard expires.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitClosed(t *testing.T, what string, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// phone places a call from the gateway and returns the phone once answered.
func (h *harness) phone() *siptest.Phone {
	h.t.Helper()
	p, err := siptest.NewPhone(gatewayIP)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(p.Close)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	code, err := p.Call(ctx, h.srv.UDPAddr(), device, nil)
	if err != nil || code != 200 {
		h.t.Fatalf("call: %d %v", code, err)
	}
	return p
}

// dial answers the PIN prompt as soon as it is heard (barge-in) with pin and number.
func (h *harness) dial(p *siptest.Phone, pin, dialed string) {
	h.t.Helper()
	waitFor(h.t, "the PIN prompt", func() bool { return siptest.LoudFrames(p.Media.Received()) >= 3 })
	p.Media.SendDigits(pin + "#" + dialed + "#")
}

// answer waits for the trunk call and for the announcement, then presses key.
func (h *harness) answer(key string) *siptest.TrunkCall {
	h.t.Helper()
	var tc *siptest.TrunkCall
	select {
	case tc = <-h.trunk.Calls:
	case <-time.After(guard):
		h.t.Fatal("no call reached the trunk")
	}
	h.t.Cleanup(tc.Media.Close)
	waitFor(h.t, "the announcement", func() bool { return siptest.LoudFrames(tc.Media.Received()) >= 5 })
	if key != "" {
		tc.Media.SendDigits(key)
	}
	return tc
}

// final waits until the only call record has a final status and returns it with its
// history.
func (h *harness) final() (parley.CallRecord, []parley.CallStatus) {
	h.t.Helper()
	var rec parley.CallRecord
	var hist []parley.CallStatus
	waitFor(h.t, "a final call record", func() bool {
		recs, hists := h.calls.All()
		if len(recs) != 1 {
			return false
		}
		rec, hist = recs[0], hists[0]
		switch rec.Status {
		case parley.CallCompleted, parley.CallDeclined, parley.CallRefused, parley.CallDropped:
			return h.srv.ActiveCalls() == 0
		}
		return false
	})
	return rec, hist
}

func sameStatuses(a []parley.CallStatus, b ...parley.CallStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
