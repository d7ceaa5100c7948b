package main

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQRText_Shape(t *testing.T) {
	uri := "otpauth://totp/Blindvault%20vault.example:alice?algorithm=SHA1&digits=6&issuer=Blindvault%20vault.example&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	out := qrText(uri)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	width := utf8.RuneCountInString(lines[0])
	// A square of modules plus a quiet zone of 2, two rows a line.
	if width < 25 || len(lines) != (width+1)/2 {
		t.Fatalf("qrText: %d lines of %d, want a square code two rows a line", len(lines), width)
	}
	for i, l := range lines {
		if utf8.RuneCountInString(l) != width {
			t.Fatalf("qrText line %d has %d runes, want %d", i, utf8.RuneCountInString(l), width)
		}
	}
	if !strings.HasPrefix(lines[0], "████") || qrText(uri) != out {
		t.Fatalf("qrText: want a light quiet zone and a deterministic drawing")
	}
}
