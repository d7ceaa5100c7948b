package main

import (
	"image/color"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// qrText draws s as a QR code in text, two modules a character with half
// blocks, as `qrencode -t UTF8` does: light modules are drawn (█ ▀ ▄), dark
// ones left blank, inside a light quiet zone, so the code reads on a dark
// terminal. It returns "" if s does not fit in a QR code.
func qrText(s string) string {
	code, err := qr.Encode(s, qr.M, qr.Auto)
	if err != nil {
		return ""
	}
	const quiet = 2
	n := code.Bounds().Dx()
	light := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if x < 0 || y < 0 || x >= n || y >= n {
			return true
		}
		return code.At(x, y) != color.Black
	}
	var b strings.Builder
	size := n + 2*quiet
	for y := 0; y < size; y += 2 {
		for x := range size {
			top, bottom := light(x, y), y+1 < size && light(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
