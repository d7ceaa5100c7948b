package testkit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/sdk"
)

// The one check of §7 whose file is not checked in: 1025 grants.
func TestKit_1025Grants(t *testing.T) {
	c, err := newCast()
	if err != nil {
		t.Fatal(err)
	}
	k := &kit{cast: c}
	var file []byte
	if err := k.run(func() { file = k.tooManyGrants() }); err != nil {
		t.Fatal(err)
	}
	id, err := sdk.ParseIdentity(c.alice.keyFile(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sdk.Decrypt(context.Background(), io.Discard, bytes.NewReader(file), id, nil)
	if !errors.Is(err, format.ErrMalformed) || errors.Is(err, format.ErrTooLarge) {
		t.Errorf("Decrypt(1025 grants) error = %v, want malformed", err)
	}
}
