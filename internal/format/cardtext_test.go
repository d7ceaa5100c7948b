package format

import (
	"bytes"
	"encoding/pem"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseKeyCardText_RoundTrip(t *testing.T) {
	c, _ := newCard(t)
	text := MarshalKeyCardText(c)
	if !bytes.HasPrefix(text, []byte("-----BEGIN BLINDVAULT KEY CARD-----\n")) {
		t.Errorf("MarshalKeyCardText() = %q, want a BLINDVAULT KEY CARD block", text)
	}
	got, err := ParseKeyCardText(text)
	if err != nil {
		t.Fatalf("ParseKeyCardText(MarshalKeyCardText(c)) = %v", err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("ParseKeyCardText(MarshalKeyCardText(c)) = %+v, want %+v", got, c)
	}
}

func TestParseKeyCardText_Accepted(t *testing.T) {
	c, _ := newCard(t)
	text := string(MarshalKeyCardText(c))
	withHeaders := string(pem.EncodeToMemory(&pem.Block{
		Type:    KeyCardPEMType,
		Headers: map[string]string{"Handle": "not-alice", "Comment": "ignored"},
		Bytes:   c.Marshal(),
	}))
	cases := map[string]string{
		"plain":        text,
		"headers":      withHeaders,
		"whitespace":   "\n\n  \t" + text + "\r\n\n  ",
		"crlf":         strings.ReplaceAll(text, "\n", "\r\n"),
		"noFinalNewln": strings.TrimSuffix(text, "\n"),
	}
	for name, in := range cases {
		got, err := ParseKeyCardText([]byte(in))
		if err != nil {
			t.Errorf("ParseKeyCardText(%s) = %v, want nil", name, err)
			continue
		}
		if !bytes.Equal(got.Marshal(), c.Marshal()) {
			t.Errorf("ParseKeyCardText(%s) gave a different card", name)
		}
	}
}

func TestParseKeyCardText_Rejected(t *testing.T) {
	c, _ := newCard(t)
	text := string(MarshalKeyCardText(c))
	other := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}))
	wrongType := string(pem.EncodeToMemory(&pem.Block{Type: "BLINDVAULT KEY", Bytes: c.Marshal()}))
	broken := strings.Replace(text, "\n", "\n!!!!", 1)
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrMalformed},
		{"binary", string(c.Marshal()), ErrMalformed},
		{"wrongType", wrongType, ErrMalformed},
		{"textBefore", "my card:\n" + text, ErrMalformed},
		{"textAfter", text + "thanks\n", ErrTrailingData},
		{"twoCards", text + text, ErrMalformed},
		{"otherBlockBefore", other + text, ErrMalformed},
		{"otherBlockAfter", text + other, ErrMalformed},
		// A broken first block must not let a second one through.
		{"brokenThenValid", broken + text, ErrMalformed},
		{"unterminated", strings.Split(text, "-----END")[0], ErrMalformed},
		{"badBase64", "-----BEGIN BLINDVAULT KEY CARD-----\n!!!!\n-----END BLINDVAULT KEY CARD-----\n", ErrMalformed},
		{"emptyBlock", "-----BEGIN BLINDVAULT KEY CARD-----\n-----END BLINDVAULT KEY CARD-----\n", ErrMalformed},
		{"tooLarge", text + strings.Repeat(" ", MaxKeyCardTextSize+1-len(text)), ErrTooLarge},
	}
	for _, tc := range cases {
		if _, err := ParseKeyCardText([]byte(tc.in)); !errors.Is(err, tc.want) {
			t.Errorf("ParseKeyCardText(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
	// At exactly the limit, white space is still accepted.
	in := text + strings.Repeat(" ", MaxKeyCardTextSize-len(text))
	if _, err := ParseKeyCardText([]byte(in)); err != nil {
		t.Errorf("ParseKeyCardText(%d bytes) = %v, want nil", len(in), err)
	}
	// The binary card inside is checked like ParseKeyCard.
	c.Created++
	if _, err := ParseKeyCardText(MarshalKeyCardText(c)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("ParseKeyCardText(modified card) = %v, want ErrBadSignature", err)
	}
}
