package g711

import (
	"math"
	"testing"

	"parley.dev/parley"
)

// The reference implementation below transcribes the Sun Microsystems g711.c algorithm
// (segment search over end-point tables) independently of the bit-twiddling encoder.
var (
	refSegUEnd = [8]int32{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}
	refSegAEnd = [8]int32{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}
)

func refSearch(v int32, table [8]int32) int32 {
	for i, end := range table {
		if v <= end {
			return int32(i)
		}
	}
	return 8
}

// refLinear2Ulaw is Sun's linear2ulaw on 14-bit input (BIAS 0x21, CLIP 8159), fed the top
// 14 bits of a 16-bit sample, negative magnitudes taken as (^x)>>2 like G.191's ulaw_compress.
func refLinear2Ulaw(pcm int16) byte {
	v := int32(pcm) >> 2
	var mask int32
	if pcm < 0 {
		v = int32(^pcm) >> 2
		mask = 0x7F
	} else {
		mask = 0xFF
	}
	if v > 8159 {
		v = 8159
	}
	v += 0x21
	seg := refSearch(v, refSegUEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	u := seg<<4 | (v>>(seg+1))&0xF
	return byte(u ^ mask)
}

func refLinear2Alaw(pcm int16) byte {
	v := int32(pcm) >> 3
	var mask int32
	if v >= 0 {
		mask = 0xD5
	} else {
		mask = 0x55
		v = -v - 1
	}
	seg := refSearch(v, refSegAEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	a := seg << 4
	if seg < 2 {
		a |= (v >> 1) & 0xF
	} else {
		a |= (v >> seg) & 0xF
	}
	return byte(a ^ mask)
}

func TestKnownValues(t *testing.T) {
	ulaw := []struct {
		code byte
		lin  int16
	}{{0xFF, 0}, {0x7F, 0}, {0x00, -32124}, {0x80, 32124}, {0xFE, 8}, {0x7E, -8}, {0xEF, 132}, {0xF0, 120}}
	for _, c := range ulaw {
		if got := DecodeUlaw(c.code); got != c.lin {
			t.Errorf("DecodeUlaw(%#02x) = %d, want %d", c.code, got, c.lin)
		}
	}
	alaw := []struct {
		code byte
		lin  int16
	}{{0xD5, 8}, {0x55, -8}, {0xAA, 32256}, {0x2A, -32256}, {0xD4, 24}, {0xC5, 264}}
	for _, c := range alaw {
		if got := DecodeAlaw(c.code); got != c.lin {
			t.Errorf("DecodeAlaw(%#02x) = %d, want %d", c.code, got, c.lin)
		}
	}
	enc := []struct {
		lin        int16
		ulaw, alaw byte
	}{{0, 0xFF, 0xD5}, {-1, 0x7F, 0x55}, {32767, 0x80, 0xAA}, {-32768, 0x00, 0x2A}, {8, 0xFE, 0xD5}}
	for _, c := range enc {
		if got := EncodeUlaw(c.lin); got != c.ulaw {
			t.Errorf("EncodeUlaw(%d) = %#02x, want %#02x", c.lin, got, c.ulaw)
		}
		if got := EncodeAlaw(c.lin); got != c.alaw {
			t.Errorf("EncodeAlaw(%d) = %#02x, want %#02x", c.lin, got, c.alaw)
		}
	}
}

// TestMatchesReference compares both encoders with the reference over every int16.
func TestMatchesReference(t *testing.T) {
	for s := math.MinInt16; s <= math.MaxInt16; s++ {
		if got, want := EncodeUlaw(int16(s)), refLinear2Ulaw(int16(s)); got != want {
			t.Fatalf("EncodeUlaw(%d) = %#02x, reference %#02x", s, got, want)
		}
		if got, want := EncodeAlaw(int16(s)), refLinear2Alaw(int16(s)); got != want {
			t.Fatalf("EncodeAlaw(%d) = %#02x, reference %#02x", s, got, want)
		}
	}
}

// step returns the quantisation step of the segment a decoded value lies in, for the law.
func ulawStep(c byte) int { return 1 << ((^c&0x70)>>4 + 3) }
func alawStep(c byte) int {
	seg := ((c ^ 0x55) & 0x70) >> 4
	return 1 << max(int(seg)+3, 4)
}

// TestRoundTripFullRange checks decode(encode(s)) against s for every int16: within half a
// quantisation step, except in the clipping region beyond the largest code.
func TestRoundTripFullRange(t *testing.T) {
	maxU, maxA := int(DecodeUlaw(0x80)), int(DecodeAlaw(0xAA))
	prevU, prevA := math.MinInt, math.MinInt
	for s := math.MinInt16; s <= math.MaxInt16; s++ {
		cu, ca := EncodeUlaw(int16(s)), EncodeAlaw(int16(s))
		du, da := int(DecodeUlaw(cu)), int(DecodeAlaw(ca))
		abs := max(s, -s)
		if abs <= maxU {
			if e := max(du-s, s-du); e > ulawStep(cu)/2 {
				t.Fatalf("μ-law %d → %#02x → %d: error %d > half step %d", s, cu, du, e, ulawStep(cu)/2)
			}
		} else if du != maxU && du != -maxU {
			t.Fatalf("μ-law %d beyond the last code decodes to %d, want ±%d", s, du, maxU)
		}
		if abs <= maxA {
			if e := max(da-s, s-da); e > alawStep(ca)/2 {
				t.Fatalf("A-law %d → %#02x → %d: error %d > half step %d", s, ca, da, e, alawStep(ca)/2)
			}
		} else if da != maxA && da != -maxA {
			t.Fatalf("A-law %d beyond the last code decodes to %d, want ±%d", s, da, maxA)
		}
		if du < prevU || da < prevA {
			t.Fatalf("decode(encode(s)) not monotonic at %d", s)
		}
		prevU, prevA = du, da
	}
}

// TestCodesRoundTrip checks encode(decode(c)) == c for every code (μ-law's negative zero
// 0x7F becomes positive zero 0xFF).
func TestCodesRoundTrip(t *testing.T) {
	for c := range 256 {
		want := byte(c)
		if want == 0x7F {
			want = 0xFF
		}
		if got := EncodeUlaw(DecodeUlaw(byte(c))); got != want {
			t.Errorf("μ-law %#02x → %d → %#02x", c, DecodeUlaw(byte(c)), got)
		}
		if got := EncodeAlaw(DecodeAlaw(byte(c))); got != byte(c) {
			t.Errorf("A-law %#02x → %d → %#02x", c, DecodeAlaw(byte(c)), got)
		}
	}
}

func TestFramesAndTranscode(t *testing.T) {
	src := make([]int16, 160)
	for i := range src {
		src[i] = int16(10000 * math.Sin(2*math.Pi*float64(i)/20))
	}
	for _, law := range []Law{PCMU, PCMA} {
		codes := make([]byte, len(src))
		if n := law.Encode(codes, src); n != len(src) {
			t.Fatalf("%v: encoded %d", law, n)
		}
		out := make([]int16, len(src))
		if n := law.Decode(out, codes); n != len(src) {
			t.Fatalf("%v: decoded %d", law, n)
		}
		for i := range src {
			if d := math.Abs(float64(out[i] - src[i])); d > 300 {
				t.Fatalf("%v: sample %d: %d vs %d", law, i, out[i], src[i])
			}
		}
		if n := law.Encode(codes[:10], src); n != 10 {
			t.Errorf("%v: short dst encoded %d, want 10", law, n)
		}
		if got := law.Decode(out[:1], []byte{law.Silence()}); got != 1 || out[0] > 8 || out[0] < -8 {
			t.Errorf("%v: silence decodes to %d", law, out[0])
		}
		pt := law.PayloadType()
		if back, err := LawOf(pt); err != nil || back != law {
			t.Errorf("LawOf(%d) = %v, %v", pt, back, err)
		}
	}
	u := make([]byte, len(src))
	a := make([]byte, len(src))
	UlawEncode(u, src)
	UlawToAlaw(a, u)
	u2 := make([]byte, len(src))
	AlawToUlaw(u2, a)
	for i := range u {
		d := int(DecodeUlaw(u2[i])) - int(DecodeUlaw(u[i]))
		if max(d, -d) > ulawStep(u[i]) {
			t.Fatalf("transcode round trip drifted at %d: %d", i, d)
		}
	}
	if _, err := LawOf(101); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("LawOf(101) = %v, want invalid", err)
	}
	if PCMU.String() != "PCMU" || PCMA.String() != "PCMA" {
		t.Error("law names")
	}
}

func benchFrame() []int16 {
	f := make([]int16, 160)
	for i := range f {
		f[i] = int16(12000 * math.Sin(2*math.Pi*float64(i)*440/8000))
	}
	return f
}

func BenchmarkUlawEncodeFrame(b *testing.B) {
	src, dst := benchFrame(), make([]byte, 160)
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		UlawEncode(dst, src)
	}
}

func BenchmarkUlawDecodeFrame(b *testing.B) {
	src, dst := make([]byte, 160), make([]int16, 160)
	UlawEncode(src, benchFrame())
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		UlawDecode(dst, src)
	}
}

func BenchmarkAlawEncodeFrame(b *testing.B) {
	src, dst := benchFrame(), make([]byte, 160)
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		AlawEncode(dst, src)
	}
}

func BenchmarkAlawDecodeFrame(b *testing.B) {
	src, dst := make([]byte, 160), make([]int16, 160)
	AlawEncode(src, benchFrame())
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		AlawDecode(dst, src)
	}
}
