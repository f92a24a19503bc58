// Package tone generates and detects tones in 16-bit linear PCM: a phase-continuous sine
// generator, in-band DTMF (dual-tone) generation, and Goertzel detectors that measure how
// much of a frame's energy lies at a frequency.
//
// The IVR uses the detectors to recognise in-band DTMF from phones that do not send RFC 4733
// events; end-to-end tests use the generators and EnergyRatio to check that each side of a
// bridged call hears the other's tone. Nothing here allocates per frame.
package tone

import (
	"math"

	"parley.dev/parley"
)

// Sine generates a sine wave frame after frame without phase jumps.
type Sine struct {
	phase, step float64 // radians
	amp         float64
}

// NewSine returns a generator of freq Hz at amplitude amp (0…32767) for the sample rate.
func NewSine(freq, amp float64, rate int) *Sine {
	return &Sine{step: 2 * math.Pi * freq / float64(rate), amp: amp}
}

// Fill writes the next len(dst) samples into dst.
func (s *Sine) Fill(dst []int16) {
	for i := range dst {
		dst[i] = clamp(s.amp * math.Sin(s.phase))
		s.phase += s.step
	}
	s.phase = math.Mod(s.phase, 2*math.Pi)
}

// Add adds the next len(dst) samples into dst, saturating, to mix tones.
func (s *Sine) Add(dst []int16) {
	for i := range dst {
		dst[i] = clamp(float64(dst[i]) + s.amp*math.Sin(s.phase))
		s.phase += s.step
	}
	s.phase = math.Mod(s.phase, 2*math.Pi)
}

func clamp(v float64) int16 {
	v = math.Round(v)
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}

// Goertzel measures the energy of one frequency in frames of samples.
type Goertzel struct {
	Freq  float64 // Hz
	coeff float64
}

// NewGoertzel returns a detector for freq Hz at the sample rate.
func NewGoertzel(freq float64, rate int) Goertzel {
	return Goertzel{Freq: freq, coeff: 2 * math.Cos(2*math.Pi*freq/float64(rate))}
}

// Power returns |X(f)|², the squared magnitude of the frame's discrete-time Fourier
// transform at the detector's frequency (the generalised Goertzel algorithm: the frequency
// need not fall on a DFT bin).
func (g Goertzel) Power(frame []int16) float64 {
	var s1, s2 float64
	for _, x := range frame {
		s0 := float64(x) + g.coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - g.coeff*s1*s2
}

// Ratio returns the share of the frame's energy at the detector's frequency: 2|X(f)|² /
// (N·Σx²). It is close to 1 for a pure tone at that frequency, close to 0 for silence or a
// tone elsewhere, and about a/(a+b) for a mix of powers a and b. An all-zero frame gives 0.
func (g Goertzel) Ratio(frame []int16) float64 {
	e := Energy(frame)
	if e == 0 {
		return 0
	}
	return 2 * g.Power(frame) / (float64(len(frame)) * e)
}

// Energy returns Σx² over the frame.
func Energy(frame []int16) float64 {
	var e float64
	for _, x := range frame {
		e += float64(x) * float64(x)
	}
	return e
}

// RMS returns the root mean square of the frame, 0 for an empty frame.
func RMS(frame []int16) float64 {
	if len(frame) == 0 {
		return 0
	}
	return math.Sqrt(Energy(frame) / float64(len(frame)))
}

// EnergyRatio returns the share of the frame's energy at freq Hz (see Goertzel.Ratio).
func EnergyRatio(frame []int16, freq float64, rate int) float64 {
	return NewGoertzel(freq, rate).Ratio(frame)
}

// Dominant returns the index of the detector whose frequency holds most of the frame's
// energy and that share. It returns -1 and 0 for no detectors or a silent frame.
func Dominant(frame []int16, detectors []Goertzel) (index int, ratio float64) {
	index = -1
	e := Energy(frame)
	if e == 0 {
		return -1, 0
	}
	n := float64(len(frame))
	for i, g := range detectors {
		if r := 2 * g.Power(frame) / (n * e); r > ratio {
			index, ratio = i, r
		}
	}
	return index, ratio
}

// DTMF frequencies (ITU-T Q.23): rows and columns of the keypad.
var (
	dtmfLow  = [4]float64{697, 770, 852, 941}
	dtmfHigh = [4]float64{1209, 1336, 1477, 1633}
)

// dtmfKeys lays out the keypad by row and column.
const dtmfKeys = "123A456B789C*0#D"

// DTMFFrequencies returns the low (row) and high (column) frequencies of a key: 0-9, *, #,
// A-D (a-d accepted).
func DTMFFrequencies(key byte) (low, high float64, err error) {
	if key >= 'a' && key <= 'd' {
		key -= 'a' - 'A'
	}
	for i := range len(dtmfKeys) {
		if dtmfKeys[i] == key {
			return dtmfLow[i/4], dtmfHigh[i%4], nil
		}
	}
	return 0, 0, parley.Errorf("tone.DTMFFrequencies", parley.KindInvalid, "not a DTMF key")
}

// DTMF generates the dual tone of a key frame after frame.
type DTMF struct {
	low, high *Sine
}

// NewDTMF returns a generator of the key's dual tone. Each component has amplitude amp; the
// high group is not pre-emphasised (no twist).
func NewDTMF(key byte, amp float64, rate int) (*DTMF, error) {
	lo, hi, err := DTMFFrequencies(key)
	if err != nil {
		return nil, parley.WrapError("tone.NewDTMF", parley.KindInvalid, err)
	}
	return &DTMF{low: NewSine(lo, amp, rate), high: NewSine(hi, amp, rate)}, nil
}

// Fill writes the next len(dst) samples of the dual tone into dst.
func (d *DTMF) Fill(dst []int16) {
	d.low.Fill(dst)
	d.high.Add(dst)
}

// DTMFDetector recognises an in-band DTMF key in a frame (20 ms or more at 8 kHz).
type DTMFDetector struct {
	low, high [4]Goertzel
	// MinShare is the share of the frame's energy the two strongest tones must hold
	// together (default 0.7 when zero): speech spreads its energy, a key does not.
	MinShare float64
	// MinRMS is the minimum frame RMS to consider (default 200 when zero, about -44 dBov).
	MinRMS float64
}

// NewDTMFDetector returns a detector for the sample rate.
func NewDTMFDetector(rate int) *DTMFDetector {
	d := &DTMFDetector{}
	for i := range 4 {
		d.low[i] = NewGoertzel(dtmfLow[i], rate)
		d.high[i] = NewGoertzel(dtmfHigh[i], rate)
	}
	return d
}

// Detect returns the key whose tone pair fills the frame, or ok false. Both the strongest
// row and the strongest column must each hold a share far above the other tones of their
// group (4:1), and the pair must hold MinShare of the frame's energy.
func (d *DTMFDetector) Detect(frame []int16) (key byte, ok bool) {
	minShare, minRMS := d.MinShare, d.MinRMS
	if minShare == 0 {
		minShare = 0.7
	}
	if minRMS == 0 {
		minRMS = 200
	}
	e := Energy(frame)
	if len(frame) == 0 || math.Sqrt(e/float64(len(frame))) < minRMS {
		return 0, false
	}
	norm := 2 / (float64(len(frame)) * e)
	lo, loShare, loNext := best(d.low[:], frame, norm)
	hi, hiShare, hiNext := best(d.high[:], frame, norm)
	if loShare+hiShare < minShare || loShare < 4*loNext || hiShare < 4*hiNext {
		return 0, false
	}
	// Twist: neither component more than 8 dB (power ×6.3) above the other.
	if loShare > 6.3*hiShare || hiShare > 6.3*loShare {
		return 0, false
	}
	return dtmfKeys[lo*4+hi], true
}

func best(gs []Goertzel, frame []int16, norm float64) (idx int, share, next float64) {
	for i, g := range gs {
		r := g.Power(frame) * norm
		switch {
		case r > share:
			idx, share, next = i, r, share
		case r > next:
			next = r
		}
	}
	return idx, share, next
}
