package sip

import (
	"context"
	"sync"

	"parley.dev/parley/media"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/tone"
)

// Ringback.
//
// While the called number rings (the trunk sent 180 or 183), the inmate hears the US
// ringback tone: 440 + 480 Hz, 2 s on, 4 s off, generated locally (early media from the
// trunk is not played). It stops when the trunk answers or the attempt fails.

const (
	ringOn    = 2 * media.SampleRate // samples
	ringOff   = 4 * media.SampleRate
	ringLevel = 3000 // amplitude of each of the two tones (about -17 dBm0 together)
)

// ringbackAudio returns one ringback cycle (6 s) in μ-law.
var ringbackAudio = sync.OnceValue(func() []byte {
	pcm := make([]int16, ringOn)
	tone.NewSine(440, ringLevel, media.SampleRate).Fill(pcm)
	tone.NewSine(480, ringLevel, media.SampleRate).Add(pcm)
	out := make([]byte, ringOn+ringOff)
	g711.UlawEncode(out[:ringOn], pcm)
	for i := ringOn; i < len(out); i++ {
		out[i] = g711.UlawSilence
	}
	return out
})

// ringback plays the ringback tone to the leg, cycle after cycle, until stop is called;
// stop returns once it no longer plays.
func ringback(l *leg) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		audio := ringbackAudio()
		for {
			l.play(ctx, audio, false)
			select {
			case <-ctx.Done():
				return
			case <-l.done:
				return
			default:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
