package main

import (
	"strings"

	"github.com/boombuler/barcode/qr"
)

// qrQuiet is the quiet zone around a terminal QR code, in modules (scanners need one).
const qrQuiet = 2

// terminalQR renders text as a QR code in half-block characters, two module rows per
// line, light modules drawn and dark ones blank (as `qrencode -t UTF8` does: it scans on a
// dark terminal background). It uses github.com/boombuler/barcode, the encoder pquerna/otp
// already brings.
func terminalQR(text string) (string, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	n := code.Bounds().Dx()
	dark := func(x, y int) bool {
		x, y = x-qrQuiet, y-qrQuiet
		if x < 0 || y < 0 || x >= n || y >= n {
			return false
		}
		r, _, _, _ := code.At(x, y).RGBA()
		return r == 0
	}
	size := n + 2*qrQuiet
	var b strings.Builder
	for y := 0; y < size; y += 2 {
		for x := 0; x < size; x++ {
			top, bottom := !dark(x, y), y+1 < size && !dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}
