package main

import (
	"context"
	"fmt"
	"io/fs"
	"syscall/js"

	"github.com/blindvault/blindvault/sdk"
)

// jsStorage keeps the profile where the page says: an object with
// load(name) → Promise<Uint8Array | null> and save(name, bytes) → Promise.
// blindvault.mjs supplies one over localStorage and one in memory.
type jsStorage struct{ v js.Value }

// maxProfileFile bounds a stored profile file read back into Go.
const maxProfileFile = 16 << 20

func (s jsStorage) Load(ctx context.Context, name string) ([]byte, error) {
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
	if _, err := await(ctx, s.v.Call("save", name, bytesToJS(data))); err != nil {
		return fmt.Errorf("profile storage: %w", err)
	}
	return nil
}

var _ sdk.Storage = jsStorage{}
