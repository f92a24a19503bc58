package main

import (
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
)

// TestTerminalQR: the half-block rendering holds every module of the encoder's code, in
// place, inside a light quiet zone.
func TestTerminalQR(t *testing.T) {
	const text = "otpauth://totp/parley:demo-admin?algorithm=SHA256&digits=6&issuer=parley&period=30&secret=ABCDEFGH"
	out, err := terminalQR(text)
	if err != nil {
		t.Fatal(err)
	}
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Bounds().Dx()
	size := n + 2*qrQuiet
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != (size+1)/2 {
		t.Fatalf("%d lines for %d module rows", len(lines), size)
	}
	// Decode the characters back into light/dark modules.
	light := func(x, y int) bool {
		r := []rune(lines[y/2])
		if len(r) != size {
			t.Fatalf("line %d has %d characters, want %d", y/2, len(r), size)
		}
		switch r[x] {
		case '█':
			return true
		case '▀':
			return y%2 == 0
		case '▄':
			return y%2 == 1
		}
		return false
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			want := true // the quiet zone is light
			if mx, my := x-qrQuiet, y-qrQuiet; mx >= 0 && my >= 0 && mx < n && my < n {
				r, _, _, _ := code.At(mx, my).RGBA()
				want = r != 0
			}
			if light(x, y) != want {
				t.Fatalf("module (%d,%d) light=%t, want %t", x, y, light(x, y), want)
			}
		}
	}
	if _, err := terminalQR(strings.Repeat("x", 5000)); err == nil {
		t.Error("a text too long for any QR code was rendered")
	}
}
