package format

import (
	"bytes"
	"encoding/pem"
	"fmt"
)

// Text form of key cards (§2.1).
const (
	KeyCardPEMType     = "BLINDVAULT KEY CARD"
	MaxKeyCardTextSize = 16 << 10
)

// MarshalKeyCardText returns the card's signed form in a PEM block of type
// "BLINDVAULT KEY CARD", without headers, or nil if the card cannot be encoded.
func MarshalKeyCardText(c *KeyCard) []byte {
	b := c.Marshal()
	if b == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: KeyCardPEMType, Bytes: b})
}

// ParseKeyCardText parses a card file: at most 16 KiB holding exactly one
// "BLINDVAULT KEY CARD" PEM block and nothing else but white space. PEM headers
// are ignored. The card is parsed like ParseKeyCard.
func ParseKeyCardText(text []byte) (*KeyCard, error) {
	if len(text) > MaxKeyCardTextSize {
		return nil, fmt.Errorf("%w: card text is %d bytes, limit %d (%w)", ErrTooLarge, len(text), MaxKeyCardTextSize, ErrMalformed)
	}
	// pem.Decode skips text before a block and blocks it cannot decode, so a
	// file could hide a second card from a human reader; allow only one BEGIN,
	// at the start.
	text = bytes.TrimLeft(text, " \t\r\n")
	if !bytes.HasPrefix(text, []byte("-----BEGIN "+KeyCardPEMType+"-----")) {
		return nil, fmt.Errorf("%w: card text: does not start with a %s block", ErrMalformed, KeyCardPEMType)
	}
	if n := bytes.Count(text, []byte("-----BEGIN")); n != 1 {
		return nil, fmt.Errorf("%w: card text: %d PEM blocks, want 1", ErrMalformed, n)
	}
	block, rest := pem.Decode(text)
	if block == nil || block.Type != KeyCardPEMType {
		return nil, fmt.Errorf("%w: card text: invalid PEM block", ErrMalformed)
	}
	if len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return nil, fmt.Errorf("%w: card text: data after the PEM block", ErrTrailingData)
	}
	return ParseKeyCard(block.Bytes)
}
