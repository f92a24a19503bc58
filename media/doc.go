// Package media is the root of parley's media layer for inmate calls over SIP: the pieces a
// back-to-back user agent needs to carry, play, detect and record narrowband telephone audio.
//
// Everything runs at 8 kHz mono (RFC 3551 clock rate for PCMU and PCMA) in packets of 20 ms
// (160 samples) or 30 ms (240 samples). The subpackages are:
//
//   - g711: ITU-T G.711 μ-law and A-law sample codecs (PCMU/PCMA).
//   - tone: sine and DTMF generators, Goertzel detectors (tests and the IVR).
//   - dtmf: RFC 4733 telephone-events: payload codec, de-duplicating receiver, sender.
//   - rtpstream: a Sequencer that keeps one continuous outgoing RTP stream while its source
//     switches, and a symmetric-RTP Latch.
//   - wav: streaming WAV header writer and a reader.
//   - record: the stereo recording mixer (inmate left, called party right) writing WAV.
//   - prompts: pre-encoded IVR prompts (μ-law, English and Spanish) embedded in the binary.
//
// Per-packet paths (codec, Sequencer, Latch, telephone-event receiver, recording mixer) do
// not allocate; their benchmarks report allocations to prove it. No package holds mutable
// global state and none logs: they return *parley.Error values and counters, and the SIP
// layer decides what to log (never addresses or digits tied to a person).
package media

// Narrowband telephony constants shared by the subpackages.
const (
	// SampleRate is the audio sample rate and the RTP clock rate of G.711 and
	// telephone-event, in Hz.
	SampleRate = 8000
	// Frame20 is the number of samples in a 20 ms packet, the default ptime.
	Frame20 = 160
	// Frame30 is the number of samples in a 30 ms packet.
	Frame30 = 240
)
