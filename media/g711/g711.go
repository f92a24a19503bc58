// Package g711 implements the ITU-T G.711 sample codecs: μ-law (PCMU, RTP payload type 0)
// and A-law (PCMA, payload type 8), 16-bit linear PCM to 8-bit codes and back.
//
// Encoding follows the ITU-T G.191 software tools and the classic Sun Microsystems g711.c
// (used by sox, Asterisk and FreeSWITCH): μ-law on the top 14 bits with bias 0x84 (33 in 14-bit
// units) and clipping at 32635, A-law on the top 13 bits; a negative sample x is coded from
// the magnitude -x-1 so the two halves are symmetric. Segments are found with a leading-zero count rather than a table search,
// decoding uses 256-entry tables. Nothing allocates; frame functions work on caller slices.
package g711

import (
	"math/bits"

	"parley.dev/parley"
)

const (
	ulawBias = 0x84  // 132: added before the segment search so segment 0 starts at 0
	ulawClip = 32635 // 32767 - ulawBias
)

// ulawTable and alawTable map every code to its linear value. They are computed once and
// never written: immutable lookup data, not state.
var (
	ulawTable = func() (t [256]int16) {
		for i := range t {
			t[i] = ulawDecode(byte(i))
		}
		return t
	}()
	alawTable = func() (t [256]int16) {
		for i := range t {
			t[i] = alawDecode(byte(i))
		}
		return t
	}()
)

// EncodeUlaw returns the μ-law code of a linear sample. Positive codes have the top bit
// set: 0 encodes to 0xFF, full-scale negative to 0x00.
func EncodeUlaw(s int16) byte {
	x := int32(s)
	mask := byte(0xFF)
	if x < 0 {
		x = ^x // -x-1: negative decision levels mirror the positive ones, as in G.191
		mask = 0x7F
	}
	if x > ulawClip {
		x = ulawClip
	}
	x += ulawBias                    // 132 ≤ x ≤ 32767
	seg := bits.Len32(uint32(x)) - 8 // 0…7
	code := byte(seg<<4) | byte(x>>(seg+3))&0x0F
	return code ^ mask
}

// DecodeUlaw returns the linear value of a μ-law code.
func DecodeUlaw(c byte) int16 { return ulawTable[c] }

func ulawDecode(c byte) int16 {
	c = ^c
	t := (int32(c&0x0F)<<3 + ulawBias) << ((c & 0x70) >> 4)
	if c&0x80 != 0 {
		return int16(ulawBias - t)
	}
	return int16(t - ulawBias)
}

// EncodeAlaw returns the A-law code of a linear sample (even bits inverted, as sent on the
// wire): 0 encodes to 0xD5.
func EncodeAlaw(s int16) byte {
	x := int32(s) >> 3 // 13-bit
	mask := byte(0xD5)
	if x < 0 {
		x = -x - 1
		mask = 0x55
	}
	// 0 ≤ x ≤ 4095. Segment 0 covers 0…31, segment s ≥ 1 covers 2^(s+4)…2^(s+5)-1.
	seg := max(bits.Len32(uint32(x))-5, 0)
	shift := max(seg, 1)
	code := byte(seg<<4) | byte(x>>shift)&0x0F
	return code ^ mask
}

// DecodeAlaw returns the linear value of an A-law code.
func DecodeAlaw(c byte) int16 { return alawTable[c] }

func alawDecode(c byte) int16 {
	c ^= 0x55
	t := int32(c&0x0F) << 4
	switch seg := (c & 0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t = (t + 0x108) << (seg - 1)
	}
	if c&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// UlawEncode encodes src into dst and returns the number of codes written, min(len(dst),
// len(src)).
func UlawEncode(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, s := range src {
		dst[i] = EncodeUlaw(s)
	}
	return n
}

// UlawDecode decodes src into dst and returns the number of samples written, min(len(dst),
// len(src)).
func UlawDecode(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, c := range src {
		dst[i] = ulawTable[c]
	}
	return n
}

// AlawEncode encodes src into dst and returns the number of codes written, min(len(dst),
// len(src)).
func AlawEncode(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, s := range src {
		dst[i] = EncodeAlaw(s)
	}
	return n
}

// AlawDecode decodes src into dst and returns the number of samples written, min(len(dst),
// len(src)).
func AlawDecode(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, c := range src {
		dst[i] = alawTable[c]
	}
	return n
}

// AlawToUlaw transcodes A-law codes into μ-law codes (through linear) and returns the
// number written. It is how a bridge joins a PCMA leg to a PCMU leg.
func AlawToUlaw(dst, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, c := range src {
		dst[i] = EncodeUlaw(alawTable[c])
	}
	return n
}

// UlawToAlaw transcodes μ-law codes into A-law codes and returns the number written.
func UlawToAlaw(dst, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, c := range src {
		dst[i] = EncodeAlaw(ulawTable[c])
	}
	return n
}

// Law is one of the two G.711 companding laws. The zero value is not a law.
type Law uint8

// The laws, named after their RTP encoding names.
const (
	PCMU Law = 1 + iota // μ-law, static payload type 0
	PCMA                // A-law, static payload type 8
)

// Silence codes: the code of linear 0 in each law, used to fill gaps.
const (
	UlawSilence byte = 0xFF
	AlawSilence byte = 0xD5
)

// LawOf returns the law of a static RTP payload type (0 or 8). Dynamic payload types are
// not used for G.711 (RFC 3551).
func LawOf(payloadType uint8) (Law, error) {
	switch payloadType {
	case 0:
		return PCMU, nil
	case 8:
		return PCMA, nil
	}
	return 0, parley.Errorf("g711.LawOf", parley.KindInvalid, "payload type %d is not G.711", payloadType)
}

// PayloadType returns the static RTP payload type of the law.
func (l Law) PayloadType() uint8 {
	if l == PCMA {
		return 8
	}
	return 0
}

// String returns the RTP encoding name, "PCMU" or "PCMA".
func (l Law) String() string {
	switch l {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return "G711(invalid)"
}

// Encode encodes src into dst with the law and returns the number of codes written.
func (l Law) Encode(dst []byte, src []int16) int {
	if l == PCMA {
		return AlawEncode(dst, src)
	}
	return UlawEncode(dst, src)
}

// Decode decodes src into dst with the law and returns the number of samples written.
func (l Law) Decode(dst []int16, src []byte) int {
	if l == PCMA {
		return AlawDecode(dst, src)
	}
	return UlawDecode(dst, src)
}

// Silence returns the code of linear 0 in the law.
func (l Law) Silence() byte {
	if l == PCMA {
		return AlawSilence
	}
	return UlawSilence
}
