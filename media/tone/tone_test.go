package tone

import (
	"math"
	"math/rand/v2"
	"testing"

	"parley.dev/parley"
)

const rate = 8000

func TestSineEnergyRatio(t *testing.T) {
	frame := make([]int16, 160)
	NewSine(1000, 8000, rate).Fill(frame)
	if r := EnergyRatio(frame, 1000, rate); r < 0.95 || r > 1.05 {
		t.Errorf("ratio at 1000 Hz of a 1000 Hz tone = %.3f, want ≈1", r)
	}
	for _, f := range []float64{400, 1500, 2600} {
		if r := EnergyRatio(frame, f, rate); r > 0.05 {
			t.Errorf("ratio at %v Hz of a 1000 Hz tone = %.3f, want ≈0", f, r)
		}
	}
	if rms := RMS(frame); math.Abs(rms-8000/math.Sqrt2) > 100 {
		t.Errorf("RMS = %.0f, want ≈%.0f", rms, 8000/math.Sqrt2)
	}
	if r := EnergyRatio(make([]int16, 160), 1000, rate); r != 0 {
		t.Errorf("silence ratio = %v", r)
	}
	// Equal mix: each tone holds about half.
	mix := make([]int16, 160)
	NewSine(600, 6000, rate).Fill(mix)
	NewSine(1700, 6000, rate).Add(mix)
	for _, f := range []float64{600, 1700} {
		if r := EnergyRatio(mix, f, rate); r < 0.4 || r > 0.6 {
			t.Errorf("mix: ratio at %v Hz = %.3f, want ≈0.5", f, r)
		}
	}
}

// TestSinePhaseContinuous checks that frame-by-frame generation equals one long fill.
func TestSinePhaseContinuous(t *testing.T) {
	long := make([]int16, 160*50)
	NewSine(697, 10000, rate).Fill(long)
	s := NewSine(697, 10000, rate)
	frame := make([]int16, 160)
	for i := 0; i < len(long); i += 160 {
		s.Fill(frame)
		for j, v := range frame {
			if d := int(v) - int(long[i+j]); d > 1 || d < -1 {
				t.Fatalf("sample %d differs: %d vs %d", i+j, v, long[i+j])
			}
		}
	}
}

func TestDominant(t *testing.T) {
	dets := []Goertzel{NewGoertzel(440, rate), NewGoertzel(1000, rate), NewGoertzel(2000, rate)}
	frame := make([]int16, 240)
	NewSine(2000, 5000, rate).Fill(frame)
	NewSine(440, 1000, rate).Add(frame)
	i, r := Dominant(frame, dets)
	if i != 2 || r < 0.85 {
		t.Errorf("Dominant = %d, %.3f; want the 2000 Hz detector", i, r)
	}
	if i, r := Dominant(make([]int16, 240), dets); i != -1 || r != 0 {
		t.Errorf("Dominant(silence) = %d, %v", i, r)
	}
}

func TestDTMFAllKeys(t *testing.T) {
	det := NewDTMFDetector(rate)
	frame := make([]int16, 160)
	for _, key := range []byte("0123456789*#ABCD") {
		g, err := NewDTMF(key, 7000, rate)
		if err != nil {
			t.Fatal(err)
		}
		for n := range 5 { // several consecutive frames, phase carried over
			g.Fill(frame)
			got, ok := det.Detect(frame)
			if !ok || got != key {
				t.Fatalf("key %c frame %d: detected %q %v", key, n, got, ok)
			}
		}
	}
	if _, err := NewDTMF('x', 7000, rate); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("NewDTMF('x') = %v, want invalid", err)
	}
	if lo, hi, err := DTMFFrequencies('a'); err != nil || lo != 697 || hi != 1633 {
		t.Errorf("DTMFFrequencies('a') = %v %v %v", lo, hi, err)
	}
}

func TestDTMFRejects(t *testing.T) {
	det := NewDTMFDetector(rate)
	frame := make([]int16, 160)
	if _, ok := det.Detect(frame); ok {
		t.Error("silence detected as a key")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		for i := range frame {
			frame[i] = int16(rng.NormFloat64() * 5000)
		}
		if k, ok := det.Detect(frame); ok {
			t.Fatalf("white noise detected as %c", k)
		}
	}
	// A single tone (one group only) is not a key.
	NewSine(770, 9000, rate).Fill(frame)
	if k, ok := det.Detect(frame); ok {
		t.Errorf("single 770 Hz tone detected as %c", k)
	}
	// A key drowned in speech-like harmonics is not a key.
	g, _ := NewDTMF('5', 1500, rate)
	g.Fill(frame)
	for _, h := range []float64{200, 400, 600, 800, 1000, 1200, 1400} {
		NewSine(h, 3000, rate).Add(frame)
	}
	if k, ok := det.Detect(frame); ok {
		t.Errorf("harmonic-rich frame detected as %c", k)
	}
	// A quiet key below MinRMS is ignored.
	g, _ = NewDTMF('5', 50, rate)
	g.Fill(frame)
	if k, ok := det.Detect(frame); ok {
		t.Errorf("quiet key detected as %c", k)
	}
}

func BenchmarkGoertzelFrame(b *testing.B) {
	frame := make([]int16, 160)
	NewSine(1000, 8000, rate).Fill(frame)
	g := NewGoertzel(1000, rate)
	b.ReportAllocs()
	for b.Loop() {
		g.Ratio(frame)
	}
}

func BenchmarkDTMFDetectFrame(b *testing.B) {
	frame := make([]int16, 160)
	g, _ := NewDTMF('#', 7000, rate)
	g.Fill(frame)
	det := NewDTMFDetector(rate)
	b.ReportAllocs()
	for b.Loop() {
		det.Detect(frame)
	}
}

func BenchmarkSineFillFrame(b *testing.B) {
	frame := make([]int16, 160)
	s := NewSine(1000, 8000, rate)
	b.ReportAllocs()
	for b.Loop() {
		s.Fill(frame)
	}
}
