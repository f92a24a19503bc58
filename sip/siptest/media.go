package siptest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"

	"parley.dev/parley/media"
	"parley.dev/parley/media/dtmf"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/tone"
)

// Media is a test peer's RTP endpoint: it sends a tone (or silence) every 20 ms and RFC
// 4733 DTMF on request, and keeps every audio sample it receives for analysis.
type Media struct {
	conn    *net.UDPConn
	law     g711.Law
	audioPT uint8
	dtmfPT  uint8

	mu        sync.Mutex
	remote    netip.AddrPort
	freq      float64 // 0: silence
	sine      *tone.Sine
	keys      []byte
	sent      int // audio frames sent with the tone
	received  []int16
	dtmfIn    []byte
	dtmfRecv  dtmf.Receiver
	startedTx bool
	paused    bool // send nothing (a silent peer that keeps its dialog)
	srtp      *mediaSRTP
	// srtpFailures counts received packets that failed SRTP authentication.
	srtpFailures int

	done chan struct{}
	wg   sync.WaitGroup
}

// ListenMedia opens an RTP socket on ip.
func ListenMedia(ip netip.Addr) (*Media, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return nil, err
	}
	m := &Media{conn: c, done: make(chan struct{}), law: g711.PCMU, dtmfPT: 101}
	m.wg.Add(1)
	go m.readLoop()
	return m, nil
}

// Addr returns the local RTP address.
func (m *Media) Addr() netip.AddrPort { return m.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Start begins sending to remote with the law and payload types negotiated.
func (m *Media) Start(remote netip.AddrPort, law g711.Law, dtmfPT uint8) {
	m.mu.Lock()
	m.remote, m.law, m.audioPT, m.dtmfPT = remote, law, law.PayloadType(), dtmfPT
	start := !m.startedTx
	m.startedTx = true
	m.mu.Unlock()
	if start {
		m.wg.Add(1)
		go m.sendLoop()
	}
}

// SetTone makes the peer send a continuous sine of freq Hz (0 for silence).
func (m *Media) SetTone(freq float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.freq = freq
	m.sine = tone.NewSine(freq, 8000, media.SampleRate)
}

// Pause stops (true) or resumes (false) sending RTP; the endpoint still receives.
func (m *Media) Pause(paused bool) {
	m.mu.Lock()
	m.paused = paused
	m.mu.Unlock()
}

// SendDigits queues DTMF keys, sent one after the other as RFC 4733 events.
func (m *Media) SendDigits(keys string) {
	m.mu.Lock()
	m.keys = append(m.keys, keys...)
	m.mu.Unlock()
}

// DigitsPending reports whether queued keys are still to be sent.
func (m *Media) DigitsPending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys) > 0
}

// ToneFramesSent returns how many 20 ms frames of tone were sent.
func (m *Media) ToneFramesSent() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent
}

// Received returns a copy of the audio received so far (linear, 8 kHz).
func (m *Media) Received() []int16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int16(nil), m.received...)
}

// ReceivedSamples returns how many samples were received so far.
func (m *Media) ReceivedSamples() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.received)
}

// SendRaw sends b as is from the media socket to the remote address.
func (m *Media) SendRaw(b []byte) {
	m.mu.Lock()
	remote := m.remote
	m.mu.Unlock()
	_, _ = m.conn.WriteToUDPAddrPort(b, remote)
}

// Remote returns where the endpoint sends RTP (the server's media address).
func (m *Media) Remote() netip.AddrPort {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.remote
}

// Close stops the endpoint.
func (m *Media) Close() {
	select {
	case <-m.done:
		return
	default:
	}
	close(m.done)
	m.conn.Close()
	m.wg.Wait()
}

// ToneFrames counts the 20 ms frames of pcm in which freq holds most of the energy and the
// level is well above silence.
func ToneFrames(pcm []int16, freq float64) int {
	g := tone.NewGoertzel(freq, media.SampleRate)
	n := 0
	for i := 0; i+media.Frame20 <= len(pcm); i += media.Frame20 {
		f := pcm[i : i+media.Frame20]
		if tone.RMS(f) > 300 && g.Ratio(f) > 0.6 {
			n++
		}
	}
	return n
}

// LoudFrames counts the 20 ms frames of pcm whose level is well above silence.
func LoudFrames(pcm []int16) int {
	n := 0
	for i := 0; i+media.Frame20 <= len(pcm); i += media.Frame20 {
		if tone.RMS(pcm[i:i+media.Frame20]) > 300 {
			n++
		}
	}
	return n
}

func (m *Media) sendLoop() {
	defer m.wg.Done()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	h := rtp.Header{Version: 2, SSRC: 0x5eed0001, SequenceNumber: 1000, Timestamp: 5000}
	pcm := make([]int16, media.Frame20)
	var (
		snd *dtmf.Sender
		gap int
	)
	buf := make([]byte, 1500)
	payload := make([]byte, media.Frame20)
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		}
		m.mu.Lock()
		remote := m.remote
		var pkt []byte
		if snd == nil && gap == 0 && len(m.keys) > 0 {
			snd = dtmf.NewSender(h.SSRC, h.SequenceNumber, m.dtmfPT)
			snd.Duration = 480 // 60 ms presses keep tests short
			if err := snd.Start(m.keys[0], h.Timestamp); err != nil {
				snd = nil
			}
			m.keys = m.keys[1:]
		}
		if snd != nil {
			var dh rtp.Header
			n, ok := snd.Next(&dh, payload)
			if ok {
				hn, _ := dh.MarshalTo(buf)
				pkt = append(buf[:hn], payload[:n]...)
				h.SequenceNumber = dh.SequenceNumber + 1
			}
			if !snd.Active() {
				snd, gap = nil, 2
			}
		} else {
			if gap > 0 {
				gap--
			}
			if m.freq > 0 {
				m.sine.Fill(pcm)
				m.sent++
			} else {
				clear(pcm)
			}
			m.law.Encode(payload, pcm)
			h.PayloadType = m.audioPT
			hn, _ := h.MarshalTo(buf)
			pkt = append(buf[:hn], payload...)
			h.SequenceNumber++
		}
		h.Timestamp += media.Frame20
		paused := m.paused
		if pkt != nil && m.srtp != nil {
			var err error
			if pkt, err = m.srtp.tx.EncryptRTP(nil, pkt, nil); err != nil {
				pkt = nil
			}
		}
		m.mu.Unlock()
		if pkt != nil && !paused {
			_, _ = m.conn.WriteToUDPAddrPort(pkt, remote)
		}
	}
}

func (m *Media) readLoop() {
	defer m.wg.Done()
	buf := make([]byte, 1500)
	pcm := make([]int16, 1500)
	var h rtp.Header
	for {
		n, _, err := m.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		pkt := buf[:n]
		m.mu.Lock()
		if m.srtp != nil {
			if pkt, err = m.srtp.rx.DecryptRTP(nil, pkt, nil); err != nil {
				m.srtpFailures++
				m.mu.Unlock()
				continue
			}
		}
		m.mu.Unlock()
		hn, err := h.Unmarshal(pkt)
		if err != nil {
			continue
		}
		payload := pkt[hn:]
		m.mu.Lock()
		switch h.PayloadType {
		case 0, 8:
			law, _ := g711.LawOf(h.PayloadType)
			k := law.Decode(pcm, payload)
			m.received = append(m.received, pcm[:k]...)
		default:
			if key, ok, err := m.dtmfRecv.Receive(&h, payload); err == nil && ok {
				m.dtmfIn = append(m.dtmfIn, key)
			}
		}
		m.mu.Unlock()
	}
}

// HeardPrompt reports whether pcm (what a peer received) holds the prompt's audio: three
// of its loudest 20 ms frames, sample for sample. Prompts are sent to a PCMU leg without
// transcoding, so a peer that decodes μ-law hears exactly the prompt's samples; two
// prompts (or two languages of one) never share such frames.
func HeardPrompt(pcm []int16, frames [][]byte) bool {
	type loud struct {
		i   int
		rms float64
	}
	var louds []loud
	dec := make([][]int16, len(frames))
	for i, f := range frames {
		dec[i] = make([]int16, len(f))
		g711.UlawDecode(dec[i], f)
		if r := tone.RMS(dec[i]); r > 1000 {
			louds = append(louds, loud{i, r})
		}
	}
	if len(louds) < 3 {
		return false
	}
	picks := []int{louds[len(louds)/4].i, louds[len(louds)/2].i, louds[3*len(louds)/4].i}
	hay := pcmBytes(pcm)
	for _, i := range picks {
		if !bytes.Contains(hay, pcmBytes(dec[i])) {
			return false
		}
	}
	return true
}

func pcmBytes(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}
