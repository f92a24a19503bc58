package sip

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"parley.dev/parley/media/dtmf"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/record"
	"parley.dev/parley/media/rtpstream"
)

const maxPacket = 1500

// idleTick is how often a bridged leg's pacer, with nothing to play, wakes up to check
// for RTP inactivity.
const idleTick = 200 * time.Millisecond

// bridgeTo is where a leg's received audio goes once the call is bridged.
type bridgeTo struct {
	to    *leg
	mixer *record.Mixer // nil when the call is not recorded
	side  record.Leg
	fail  func(error) // reports a recording failure to the call
}

// playReq asks a leg's pacer to play audio (μ-law, any length).
type playReq struct {
	audio         []byte
	interruptible bool          // a received digit stops it (barge-in)
	done          chan struct{} // closed when the audio has been sent or was stopped
	abort         atomic.Bool   // the caller gave up waiting: stop at the next tick
}

// leg is the media of one side of a call: an RTP socket, its read goroutine and its
// pacing goroutine.
type leg struct {
	name    string // "inmate" or "called", for logs
	log     *slog.Logger
	conn    *net.UDPConn
	port    int
	pool    *portPool
	latch   atomic.Pointer[rtpstream.Latch] // replaced when a re-INVITE moves the peer's media
	desc    mediaDesc                       // as negotiated at start, never changed (see cur)
	noSend  atomic.Bool                     // the peer does not want media (hold: sendonly, inactive)
	noRecv  atomic.Bool                     // the peer sends no media (recvonly, inactive): not timed out
	law     g711.Law
	samples int // samples per packet

	// our SDP for the leg, for re-INVITE answers
	reMu    sync.Mutex
	sdpID   uint64
	sdpVer  uint64
	sdpLast []byte
	cur     mediaDesc // the peer's latest SDP

	digits chan byte
	// the last key accepted, for de-duplicating RFC 4733 and INFO (see pushDigit)
	digitMu sync.Mutex
	lastKey byte
	lastSrc int
	lastAt  time.Time

	playCh chan *playReq
	stop   atomic.Bool // barge-in: stop the interruptible prompt
	bridge atomic.Pointer[bridgeTo]
	muted  atomic.Bool // the pacer sends nothing (bridged)
	// overlay: while bridged, the pacer plays a prompt (the warning) instead of the other
	// leg's audio, which forward drops
	overlay atomic.Bool

	sendMu  sync.Mutex // guards seq, sendBuf, xbuf: the pacer and the other leg's reader send
	seq     *rtpstream.Sequencer
	sendBuf []byte
	xbuf    []byte

	// srtp, when set before start, encrypts what the leg sends and decrypts what it
	// receives (srtp.go); srtpRejected counts received packets that failed to decrypt.
	srtp         *srtpSession
	srtpRejected atomic.Uint64

	// received audio packets, for tests and diagnostics
	audioIn atomic.Uint64
	// reception statistics of the audio (readLoop), reported to metrics when it ends
	stats   rtpStats
	metrics Metrics

	// RTP inactivity: lastRx is when the last RTP packet was accepted (unix ns); after
	// timeout without one, onSilent is called once (from the pacer).
	lastRx   atomic.Int64
	timeout  time.Duration
	onSilent func()
	silent   bool // onSilent was called; pacer only

	done    chan struct{}
	closeMu sync.Once
	wg      sync.WaitGroup
}

func random32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

// newLeg wraps an open RTP socket; start begins the goroutines once the remote side's
// media description is known.
func newLeg(name string, log *slog.Logger, pool *portPool, conn *net.UDPConn, port int) *leg {
	r := random32()
	return &leg{
		name: name, log: log.With("leg", name), pool: pool, conn: conn, port: port,
		digits:  make(chan byte, 32),
		playCh:  make(chan *playReq),
		seq:     rtpstream.NewSequencer(random32(), uint16(r), random32()),
		sendBuf: make([]byte, maxPacket),
		xbuf:    make([]byte, maxPacket),
		done:    make(chan struct{}),
	}
}

// start latches on the remote media description and starts the read and pacing loops.
// also is the address SIP came from (symmetric RTP behind NAT).
func (l *leg) start(d mediaDesc, also netip.Addr) error {
	pts := []uint8{d.audioPT}
	if d.hasDTMF {
		pts = append(pts, d.dtmfPT)
	}
	latch, err := rtpstream.NewLatch(d.addr, pts, also)
	if err != nil {
		return err
	}
	l.desc = d
	l.law, _ = g711.LawOf(d.audioPT)
	l.samples = d.ptime * 8
	l.setDirection(d)
	// A re-INVITE (reinvite) may come as soon as the latch is there: it reads desc.
	l.reMu.Lock()
	l.cur = d
	l.latch.Store(latch)
	l.reMu.Unlock()
	l.lastRx.Store(time.Now().UnixNano())
	l.wg.Add(2)
	go l.readLoop()
	go l.paceLoop()
	return nil
}

// close stops the goroutines, closes the socket and returns the port.
func (l *leg) close() {
	l.closeMu.Do(func() {
		close(l.done)
		_ = l.conn.Close()
		l.wg.Wait()
		l.pool.release(l.port)
		if n := l.srtpRejected.Load(); n > 0 {
			l.log.Info("SRTP packets refused (not authentic, replayed or not SRTP)", "count", n)
		}
	})
}

// play plays audio and blocks until it has been sent, stopped by a digit (when
// interruptible), or the leg closed. An interruptible prompt is skipped if a digit is
// already waiting.
func (l *leg) play(ctx context.Context, audio []byte, interruptible bool) {
	p := &playReq{audio: audio, interruptible: interruptible, done: make(chan struct{})}
	select {
	case l.playCh <- p:
	case <-l.done:
		return
	case <-ctx.Done():
		return
	}
	select {
	case <-p.done:
	case <-l.done:
	case <-ctx.Done():
		p.abort.Store(true)
	}
}

// playOver plays audio to a bridged leg in place of the other leg's audio, then resumes
// the bridge.
func (l *leg) playOver(ctx context.Context, audio []byte) {
	l.overlay.Store(true)
	defer l.overlay.Store(false)
	l.play(ctx, audio, false)
}

// paceLoop sends a packet every packet time: the current prompt, or silence, unless the
// leg is bridged.
func (l *leg) paceLoop() {
	defer l.wg.Done()
	ptime := time.Duration(l.desc.ptime) * time.Millisecond
	ticker := time.NewTicker(ptime)
	defer ticker.Stop()
	var (
		cur   *playReq
		pos   int
		frame = make([]byte, l.samples)
		h     = rtp.Header{Version: 2, SSRC: random32(), SequenceNumber: uint16(random32()), Timestamp: random32()}
	)
	// idle: bridged with nothing to play, the ticker only times the silence check (a
	// wake-up every idleTick instead of every packet time, per leg, for the whole call).
	idle := false
	finish := func() {
		if cur != nil {
			close(cur.done)
			cur = nil
		}
	}
	defer finish()
	for {
		select {
		case <-l.done:
			return
		case p := <-l.playCh:
			if idle {
				ticker.Reset(ptime)
				idle = false
			}
			finish()
			cur, pos = p, 0
			l.stop.Store(false)
			if p.interruptible && len(l.digits) > 0 {
				finish()
			}
		case now := <-ticker.C:
			l.checkSilence(now)
			if cur != nil && (cur.interruptible && l.stop.Load() || cur.abort.Load()) {
				finish()
			}
			if l.muted.Load() && !l.overlay.Load() {
				if cur == nil && !idle {
					ticker.Reset(idleTick)
					idle = true
				}
				continue
			}
			n := 0
			if cur != nil {
				n = copy(frame, cur.audio[pos:])
				pos += n
			}
			for i := n; i < len(frame); i++ {
				frame[i] = g711.UlawSilence
			}
			if cur != nil && pos >= len(cur.audio) {
				finish()
			}
			l.sendUlaw(&h, frame, now)
			h.SequenceNumber++
			h.Timestamp += uint32(len(frame))
		}
	}
}

// checkSilence calls onSilent once when no RTP came for the timeout. It runs in the
// pacer.
func (l *leg) checkSilence(now time.Time) {
	if l.silent || l.onSilent == nil || l.timeout <= 0 {
		return
	}
	if l.noRecv.Load() { // on hold: the timer starts again when the peer resumes
		l.lastRx.Store(now.UnixNano())
		return
	}
	if now.Sub(time.Unix(0, l.lastRx.Load())) < l.timeout {
		return
	}
	l.silent = true
	l.log.Info("no RTP received; call ends", "timeout", l.timeout)
	go l.onSilent()
}

// setDirection applies the peer's direction (hold and resume).
func (l *leg) setDirection(d mediaDesc) {
	l.noSend.Store(!d.receives())
	l.noRecv.Store(!d.sends())
}

// sendUlaw sends a locally generated μ-law frame.
func (l *leg) sendUlaw(h *rtp.Header, frame []byte, now time.Time) {
	hh := *h
	hh.PayloadType = l.desc.audioPT
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	out := l.xbuf[:len(frame)]
	if l.law == g711.PCMA {
		g711.UlawToAlaw(out, frame)
	} else {
		copy(out, frame)
	}
	l.writeLocked(&hh, out, now)
}

// forward sends a packet bridged from the other leg, transcoding if the laws differ. It
// runs in the other leg's read goroutine.
func (l *leg) forward(h *rtp.Header, payload []byte, now time.Time) {
	src, err := g711.LawOf(h.PayloadType)
	if err != nil || len(payload) > maxPacket-64 || l.overlay.Load() {
		return
	}
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	out := l.xbuf[:len(payload)]
	switch {
	case src == l.law:
		copy(out, payload)
	case src == g711.PCMU:
		g711.UlawToAlaw(out, payload)
	default:
		g711.AlawToUlaw(out, payload)
	}
	h.PayloadType = l.desc.audioPT
	l.writeLocked(h, out, now)
}

func (l *leg) writeLocked(h *rtp.Header, payload []byte, now time.Time) {
	h.Padding = false
	if !l.seq.Rewrite(h, len(payload), now) {
		return
	}
	n, err := h.MarshalTo(l.sendBuf)
	if err != nil || n+len(payload) > len(l.sendBuf) {
		return
	}
	n += copy(l.sendBuf[n:], payload)
	if l.noSend.Load() {
		return
	}
	pkt := l.sendBuf[:n]
	if l.srtp != nil {
		var err error
		if pkt, err = l.srtp.encrypt(pkt); err != nil {
			return
		}
	}
	dst, _ := l.latch.Load().Remote()
	_, _ = l.conn.WriteToUDPAddrPort(pkt, dst)
}

// readLoop receives RTP: DTMF to the digit channel, audio to the bridge.
func (l *leg) readLoop() {
	defer l.wg.Done()
	defer l.reportMedia()
	buf := make([]byte, maxPacket)
	var (
		h    rtp.Header
		recv dtmf.Receiver
	)
	for {
		n, src, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-l.done:
				return
			default:
				continue
			}
		}
		pkt := buf[:n]
		if l.srtp != nil { // authenticated before it can latch
			if pkt, err = l.srtp.decrypt(pkt); err != nil {
				l.srtpRejected.Add(1)
				continue
			}
		}
		if !l.latch.Load().Accept(src, pkt) {
			continue
		}
		l.lastRx.Store(time.Now().UnixNano())
		hn, err := h.Unmarshal(pkt)
		if err != nil || h.Version != 2 || hn > len(pkt) {
			continue
		}
		payload := pkt[hn:]
		if h.Padding {
			if len(payload) == 0 || int(payload[len(payload)-1]) > len(payload) {
				continue
			}
			payload = payload[:len(payload)-int(payload[len(payload)-1])]
		}
		now := time.Now()
		switch {
		case l.desc.hasDTMF && h.PayloadType == l.desc.dtmfPT:
			l.stats.add(&h, false, now)
			key, ok, err := recv.Receive(&h, payload)
			if err != nil || !ok {
				continue
			}
			l.pushDigit(key, digitRTP, now)
		case h.PayloadType == ptPCMU || h.PayloadType == ptPCMA:
			l.audioIn.Add(1)
			l.stats.add(&h, true, now)
			b := l.bridge.Load()
			if b == nil {
				continue
			}
			if b.mixer != nil {
				if err := b.mixer.Push(b.side, now, &h, payload); err != nil {
					b.fail(err)
				}
			}
			b.to.forward(&h, payload, now)
		}
	}
}

// reportMedia gives the leg's reception statistics to the metrics, if it received audio.
func (l *leg) reportMedia() {
	if received, lost, jitter := l.stats.result(); received > 0 && l.metrics != nil {
		l.metrics.LegMedia(l.name, received, lost, jitter)
	}
}

// drainDigits discards digits typed before a new question.
func (l *leg) drainDigits() {
	for {
		select {
		case <-l.digits:
		default:
			return
		}
	}
}
