package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall/js"

	"github.com/blindvault/blindvault/internal/storagename"
	"github.com/blindvault/blindvault/sdk"
)

// jsStorage keeps the profile where the page says: an object with
// load(name) → Promise<Uint8Array | null> and save(name, bytes) → Promise.
// blindvault.mjs supplies one over localStorage and one in memory. Names are
// checked here, by the SDK's rule, before the page's object sees them: a
// store keyed by prefix + name must not be handed "../x" or "".
type jsStorage struct{ v js.Value }

// maxProfileFile bounds a stored profile file read back into Go.
const maxProfileFile = 16 << 20

func (s jsStorage) Load(ctx context.Context, name string) ([]byte, error) {
	if err := storagename.Check(name); err != nil {
		return nil, err
	}
	v, err := await(ctx, s.v.Call("load", name))
	if err != nil {
		return nil, fmt.Errorf("profile storage: %w", err)
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, fs.ErrNotExist
	}
	return bytesFromJS(v, "stored "+name, maxProfileFile)
}

func (s jsStorage) Save(ctx context.Context, name string, data []byte) error {
	if err := storagename.Check(name); err != nil {
		return err
	}
	if _, err := await(ctx, s.v.Call("save", name, bytesToJS(data))); err != nil {
		return fmt.Errorf("profile storage: %w", err)
	}
	return nil
}

// Append calls the page's append(name, bytes) → Promise, if its store has
// one (blindvault.mjs's stores do); otherwise it loads the value and saves it
// whole with data at its end.
func (s jsStorage) Append(ctx context.Context, name string, data []byte) error {
	if err := storagename.Check(name); err != nil {
		return err
	}
	if s.v.Get("append").Type() != js.TypeFunction {
		old, err := s.Load(ctx, name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return s.Save(ctx, name, append(old, data...))
	}
	if _, err := await(ctx, s.v.Call("append", name, bytesToJS(data))); err != nil {
		return fmt.Errorf("profile storage: %w", err)
	}
	return nil
}

var (
	_ sdk.Storage  = jsStorage{}
	_ sdk.Appender = jsStorage{}
)
