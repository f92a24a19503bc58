package main

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"parley.dev/parley/media/dtmf"
)

// Sides of a call, and directions: phoneToTrunk is audio the phone sends and the trunk
// receives.
const (
	sidePhone = 0
	sideTrunk = 1
)

// Measurement phases stamped in every audio payload: packets count toward loss and CPU by
// the phase they were sent in, so packets in flight at the window's edges are counted
// exactly once.
const (
	phaseBefore = 0
	phaseWindow = 1
	phaseAfter  = 2
)

const (
	ptPCMU   = 0
	ptDTMF   = 101
	frameLen = 160 // 20 ms of G.711
)

// magic marks the load generator's audio payloads: 'P' 'L' side phase, then the stream id.
const magic0, magic1 = 'P', 'L'

// meter counts audio packets per direction, phase and call (1…calls), so loss is
// computed over the calls that stayed up through the window.
type meter struct {
	phase atomic.Uint32
	sent  [2][3][]atomic.Uint64
	recv  [2][3][]atomic.Uint64
}

func newMeter(calls int) *meter {
	m := &meter{}
	for d := range 2 {
		for p := range 3 {
			m.sent[d][p] = make([]atomic.Uint64, calls+1)
			m.recv[d][p] = make([]atomic.Uint64, calls+1)
		}
	}
	return m
}

// count adds one packet of the call to c, ignoring ids out of range (0: not yet known).
func count(c []atomic.Uint64, call uint32) {
	if call > 0 && int(call) < len(c) {
		c[call].Add(1)
	}
}

// stream is one side's RTP endpoint of one call: it sends 20 ms PCMU (or RFC 4733 keys
// when some are queued) from the shared pacer and counts what it receives. A phone
// stream's call id is known from the start; a trunk stream learns it from the first
// audio of the phone it is bridged to.
type stream struct {
	side   int
	call   atomic.Uint32
	conn   *net.UDPConn
	m      *meter
	remote atomic.Pointer[netip.AddrPort]
	stop   atomic.Bool

	mu   sync.Mutex // keys, snd, gap, h: the pacer and the call's goroutine
	keys []byte
	snd  *dtmf.Sender
	gap  int
	h    rtp.Header

	buf     []byte
	payload []byte

	// bridged is closed when the first audio of the other side arrives.
	bridged     chan struct{}
	bridgedOnce sync.Once
	wg          sync.WaitGroup
}

func newStream(side int, call uint32, m *meter) (*stream, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	id := call
	s := &stream{side: side, conn: c, m: m, buf: make([]byte, 1500), payload: make([]byte, frameLen),
		bridged: make(chan struct{}),
		h:       rtp.Header{Version: 2, PayloadType: ptPCMU, SSRC: 0x10000000 | id<<1 | uint32(side), SequenceNumber: uint16(id * 7), Timestamp: id * 1000}}
	s.call.Store(call)
	for i := range s.payload {
		s.payload[i] = 0xFF // μ-law silence-ish, with the marker bytes below
	}
	s.wg.Add(1)
	go s.readLoop()
	return s, nil
}

func (s *stream) addr() netip.AddrPort { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// start begins sending to remote.
func (s *stream) start(remote netip.AddrPort) { s.remote.Store(&remote) }

// sendKeys queues DTMF keys, sent as RFC 4733 events in place of audio.
func (s *stream) sendKeys(keys string) {
	s.mu.Lock()
	s.keys = append(s.keys, keys...)
	s.mu.Unlock()
}

func (s *stream) close() {
	s.stop.Store(true)
	_ = s.conn.Close()
	s.wg.Wait()
}

// tick sends this stream's packet for one 20 ms period.
func (s *stream) tick(phase uint32) {
	remote := s.remote.Load()
	if remote == nil || s.stop.Load() {
		return
	}
	s.mu.Lock()
	var pkt []byte
	audio := false
	if s.snd == nil && s.gap == 0 && len(s.keys) > 0 {
		s.snd = dtmf.NewSender(s.h.SSRC, s.h.SequenceNumber, ptDTMF)
		s.snd.Duration = 480
		if err := s.snd.Start(s.keys[0], s.h.Timestamp); err != nil {
			s.snd = nil
		}
		s.keys = s.keys[1:]
	}
	if s.snd != nil {
		var dh rtp.Header
		var ev [4]byte
		if n, ok := s.snd.Next(&dh, ev[:]); ok {
			hn, _ := dh.MarshalTo(s.buf)
			pkt = append(s.buf[:hn], ev[:n]...)
			s.h.SequenceNumber = dh.SequenceNumber + 1
		}
		if !s.snd.Active() {
			s.snd, s.gap = nil, 2
		}
	} else {
		if s.gap > 0 {
			s.gap--
		}
		s.payload[0], s.payload[1], s.payload[2], s.payload[3] = magic0, magic1, byte(s.side), byte(phase)
		binary.BigEndian.PutUint32(s.payload[4:], s.call.Load())
		s.h.PayloadType = ptPCMU
		hn, _ := s.h.MarshalTo(s.buf)
		pkt = append(s.buf[:hn], s.payload...)
		s.h.SequenceNumber++
		audio = true
	}
	s.h.Timestamp += frameLen
	s.mu.Unlock()
	if pkt == nil {
		return
	}
	if _, err := s.conn.WriteToUDPAddrPort(pkt, *remote); err == nil && audio {
		count(s.m.sent[s.side][phase], s.call.Load()) // direction == sending side
	}
}

func (s *stream) readLoop() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	var h rtp.Header
	for {
		n, _, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		hn, err := h.Unmarshal(buf[:n])
		if err != nil || h.PayloadType != ptPCMU || n-hn < 8 {
			continue
		}
		p := buf[hn:n]
		if p[0] != magic0 || p[1] != magic1 || int(p[2]) == s.side || p[3] > phaseAfter {
			continue // a prompt, silence, or our own audio
		}
		call := binary.BigEndian.Uint32(p[4:])
		if s.side == sideTrunk && s.call.Load() == 0 {
			s.call.Store(call)
		}
		count(s.m.recv[p[2]][p[3]], call)
		s.bridgedOnce.Do(func() { close(s.bridged) })
	}
}

// pacerShards is how many goroutines send each 20 ms batch.
const pacerShards = 4

// pacer sends every stream's packet each 20 ms.
type pacer struct {
	m       *meter
	mu      sync.Mutex
	streams []*stream
	done    chan struct{}
	wg      sync.WaitGroup
}

func newPacer(m *meter) *pacer {
	p := &pacer{m: m, done: make(chan struct{})}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *pacer) add(s *stream) {
	p.mu.Lock()
	p.streams = append(p.streams, s)
	p.mu.Unlock()
}

func (p *pacer) loop() {
	defer p.wg.Done()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	var batch []*stream
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		p.mu.Lock()
		batch = append(batch[:0], p.streams...)
		p.mu.Unlock()
		phase := p.m.phase.Load()
		// A few senders in parallel: one goroutine cannot send thousands of packets
		// every 20 ms.
		var wg sync.WaitGroup
		for w := range pacerShards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(batch); i += pacerShards {
					batch[i].tick(phase)
				}
			}()
		}
		wg.Wait()
	}
}

func (p *pacer) close() {
	close(p.done)
	p.wg.Wait()
}
