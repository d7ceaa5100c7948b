package sdk

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// RecordID names a record: 32 bytes its owner chose at random, shown as 64 hex
// digits as the server and the CLI show it.
type RecordID [32]byte

// ParseRecordID parses a record id written as 64 hex digits.
func ParseRecordID(s string) (RecordID, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return RecordID{}, fmt.Errorf("%w: record id %q is not 64 hex digits", ErrInvalid, s)
	}
	return RecordID(b), nil
}

// String returns the id in hex.
func (id RecordID) String() string { return hex.EncodeToString(id[:]) }

// Format writes the id in hex for every verb (%x included, which would
// otherwise hex-encode the hex).
func (id RecordID) Format(f fmt.State, verb rune) { formatHex(f, verb, id[:]) }

// MarshalText returns the id in hex, as JSON shows it.
func (id RecordID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the id from hex.
func (id *RecordID) UnmarshalText(text []byte) error {
	v, err := ParseRecordID(string(text))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// AccountID names an account: the hash of its first key card, so a server
// cannot give one account's name to another key.
type AccountID [32]byte

// String returns the id in hex.
func (id AccountID) String() string { return hex.EncodeToString(id[:]) }

// Format writes the id in hex for every verb.
func (id AccountID) Format(f fmt.State, verb rune) { formatHex(f, verb, id[:]) }

// MarshalText returns the id in hex, as JSON shows it.
func (id AccountID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// formatHex writes b in hex: upper case for %X, lower case otherwise.
func formatHex(f fmt.State, verb rune, b []byte) {
	s := hex.EncodeToString(b)
	if verb == 'X' {
		s = strings.ToUpper(s)
	}
	io.WriteString(f, s)
}
