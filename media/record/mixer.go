// Package record mixes the two legs of a call into a stereo recording: the inmate's leg
// (leg A) on the left channel, the called party's (leg B) on the right, 8 kHz, written as a
// streaming WAV file to an io.Writer (the vault's recorder).
//
// # Timeline
//
// Each leg's packets are placed by RTP timestamp, not by arrival: a packet's position is the
// leg's anchor plus its timestamp minus the leg's first timestamp. A leg is anchored when
// its first packet arrives, at the wall-clock time elapsed since the first packet of the
// call (either leg), so legs that start at different times line up. Silence suppression and
// packet loss therefore keep the timeline: gaps become silence. Duplicates are ignored.
// Packets arriving out of order are placed correctly as long as they are within the window
// (Options.Window, 300 ms by default) behind the newest audio of either leg; older ones are
// dropped and counted. A leg re-anchors when its SSRC changes (the phone restarted its
// stream) or when its timestamps stray more than two seconds from the wall clock.
//
// # Output
//
// μ-law stereo WAV (format 7, WAVE_FORMAT_MULAW) by default: 16 KB per second, half of
// 16-bit PCM, and lossless for PCMU legs (A-law legs are transcoded). PCM16 is available.
// The header is written first with the data-size-unknown convention (sizes 0xFFFFFFFF, see
// package wav); Finish returns the final header, of the same length, for an exporter that
// needs exact sizes to patch in place of the first bytes.
package record

import (
	"encoding/binary"
	"io"
	"sync"
	"time"

	"github.com/pion/rtp"

	"parley.dev/parley"
	"parley.dev/parley/media"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/wav"
)

// Leg is one side of a call.
type Leg uint8

// The legs.
const (
	LegA Leg = iota // the inmate: left channel
	LegB            // the called party: right channel
)

// Options configures a Mixer. The zero value is μ-law output with a 300 ms window.
type Options struct {
	Format wav.Format    // wav.MuLaw (default) or wav.PCM16
	Window time.Duration // how late a packet may be and still be placed; 300 ms when zero
}

// Stats counts what a Mixer did with the packets it was given.
type Stats struct {
	Packets    uint64 // audio packets placed
	Duplicates uint64 // packets already placed
	Late       uint64 // packets older than the window, dropped
	Ignored    uint64 // packets that are not G.711 audio (telephone-event, comfort noise…)
	Reanchors  uint64 // legs re-anchored after an SSRC change or a timestamp jump
	Frames     int64  // stereo sample frames written
}

const reanchorAfter = 2 * media.SampleRate // samples between a leg's timestamp and the wall clock

type leg struct {
	started bool
	ssrc    uint32
	refTS   uint32 // a timestamp of the leg …
	refPos  int64  // … and its position on the timeline
	maxSeq  uint16
	seen    uint64 // bit i: maxSeq-i was placed
	end     int64  // end position of the leg's newest audio
}

// Mixer is the stereo recording mixer. Push may be called from the two legs' goroutines at
// once; it does not allocate.
type Mixer struct {
	mu      sync.Mutex
	w       io.Writer
	header  wav.Header
	ring    []int16 // interleaved L/R, len 2*size
	size    int64   // window in frames
	flushed int64   // frames written
	origin  time.Time
	started bool
	legs    [2]leg
	buf     []int16
	out     []byte
	err     error
	stats   Stats
}

// NewMixer writes the streaming WAV header to w and returns a mixer writing to it.
func NewMixer(w io.Writer, opt Options) (*Mixer, error) {
	const op = "record.NewMixer"
	if opt.Format == 0 {
		opt.Format = wav.MuLaw
	}
	if opt.Format != wav.MuLaw && opt.Format != wav.PCM16 {
		return nil, parley.Errorf(op, parley.KindInvalid, "format %d not supported", opt.Format)
	}
	if opt.Window <= 0 {
		opt.Window = 300 * time.Millisecond
	}
	size := int64(opt.Window) * media.SampleRate / int64(time.Second)
	size = max(size, 2*media.Frame30)
	m := &Mixer{
		w:      w,
		header: wav.Header{Format: opt.Format, Channels: 2, SampleRate: media.SampleRate, DataSize: wav.UnknownSize},
		ring:   make([]int16, 2*size),
		size:   size,
		buf:    make([]int16, 2*media.Frame30*4),
	}
	m.out = make([]byte, 2*size*int64(m.header.BytesPerSample()))
	if _, err := w.Write(m.header.Bytes()); err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	return m, nil
}

// Push places one RTP packet of a leg, received at arrival, on the timeline, writing out
// the audio that falls out of the window. Packets of payload types other than 0 (PCMU) and
// 8 (PCMA) are ignored. It returns the writer's error, which sticks.
func (m *Mixer) Push(l Leg, arrival time.Time, h *rtp.Header, payload []byte) error {
	law, err := g711.LawOf(h.PayloadType)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	n := int64(len(payload))
	if err != nil || n == 0 || n > int64(len(m.buf)/2) || l > LegB {
		m.stats.Ignored++
		return nil
	}
	if !m.started {
		m.started, m.origin = true, arrival
	}
	lg := &m.legs[l]
	wall := int64(arrival.Sub(m.origin)) * media.SampleRate / int64(time.Second)
	pos := lg.refPos + int64(int32(h.Timestamp-lg.refTS))
	if !lg.started || h.SSRC != lg.ssrc || pos-wall > reanchorAfter || wall-pos > reanchorAfter {
		if lg.started {
			m.stats.Reanchors++
		}
		pos = max(wall, lg.end) // never back over the leg's own audio
		*lg = leg{started: true, ssrc: h.SSRC, refTS: h.Timestamp, refPos: pos, maxSeq: h.SequenceNumber - 1}
	}
	if pos < m.flushed {
		m.stats.Late++
		return nil
	}
	if d := int16(h.SequenceNumber - lg.maxSeq); d > 0 {
		lg.seen = lg.seen<<uint(min(d, 64)) | 1
		lg.maxSeq = h.SequenceNumber
	} else if -int(d) < 64 {
		bit := uint64(1) << uint(-d)
		if lg.seen&bit != 0 {
			m.stats.Duplicates++
			return nil
		}
		lg.seen |= bit
	}
	if end := pos + n; end > m.flushed+m.size {
		if err := m.flushTo(end - m.size); err != nil {
			return err
		}
	}
	if pos > lg.refPos { // keep timestamp differences small across wrap-around
		lg.refTS, lg.refPos = h.Timestamp, pos
	}
	lg.end = max(lg.end, pos+n)
	pcm := m.buf[:n]
	law.Decode(pcm, payload)
	ch := int64(l)
	for i, s := range pcm {
		m.ring[2*((pos+int64(i))%m.size)+ch] = s
	}
	m.stats.Packets++
	return nil
}

// flushTo writes frames [flushed, to) and clears their slots.
func (m *Mixer) flushTo(to int64) error {
	bps := int64(m.header.BytesPerSample())
	for m.flushed < to {
		start := m.flushed % m.size
		n := min(to-m.flushed, m.size-start)
		src := m.ring[2*start : 2*(start+n)]
		out := m.out[:int64(len(src))*bps]
		if m.header.Format == wav.PCM16 {
			for i, s := range src {
				binary.LittleEndian.PutUint16(out[2*i:], uint16(s))
			}
		} else {
			g711.UlawEncode(out, src)
		}
		if _, err := m.w.Write(out); err != nil {
			m.err = parley.WrapError("record.Mixer.Push", parley.KindUnavailable, err)
			return m.err
		}
		clear(src)
		m.flushed += n
		m.stats.Frames += n
	}
	return nil
}

// Finish writes the audio still in the window, up to the end of the newest packet of
// either leg, and returns the final WAV header: the same length as the streaming header
// written first, with exact sizes. The Mixer must not be used afterwards; it does not close
// the writer.
func (m *Mixer) Finish() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	end := max(m.legs[LegA].end, m.legs[LegB].end)
	if err := m.flushTo(end); err != nil {
		return nil, err
	}
	m.err = parley.Errorf("record.Mixer", parley.KindInvalid, "mixer finished")
	h := m.header
	size := uint64(m.flushed) * uint64(h.BlockAlign())
	h.DataSize = uint32(min(size, wav.UnknownSize-1))
	return h.Bytes(), nil
}

// Stats returns the counters.
func (m *Mixer) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}
