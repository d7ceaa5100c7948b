package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/padding"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/wasm/internal/objects"
)

// The low-level API: format v1 objects, grants and Cobblestone-256 keys, for
// tools, interop and the shared test vectors. Records go through the client.

// parseObject reads (type, data): data is a Uint8Array, or a string for
// KeyCardText. The parsing itself is objects.Parse, fuzzed natively.
func parseObject(args []js.Value) (objects.Object, format.Kind, error) {
	typ, err := str(arg(args, 0), "type")
	if err != nil {
		return nil, 0, err
	}
	var data []byte
	if d := arg(args, 1); d.Type() == js.TypeString {
		if len(d.String()) > objects.MaxSize {
			return nil, 0, fmt.Errorf("%w: object of %d bytes", errArgument, len(d.String()))
		}
		data = []byte(d.String())
	} else if data, err = bytesFromJS(d, "data", objects.MaxSize); err != nil {
		return nil, 0, err
	}
	o, kind, err := objects.Parse(typ, data)
	if errors.Is(err, objects.ErrUnknownType) || errors.Is(err, objects.ErrTooLarge) {
		return nil, 0, fmt.Errorf("%w: %w", errArgument, err)
	}
	return o, kind, err
}

func lowLevelAPI() map[string]any {
	return map[string]any{
		// parse(type, data) → {encoding, hash, purpose, fingerprint?}
		"parseObject": method(func(_ context.Context, args []js.Value) (any, error) {
			o, kind, err := parseObject(args)
			if err != nil {
				return nil, err
			}
			h := o.Hash()
			out := map[string]any{"encoding": bytesToJS(o.Marshal()), "hash": bytesToJS(h[:]), "purpose": kind.Purpose()}
			if c, ok := o.(*format.KeyCard); ok {
				fp := c.Fingerprint()
				out["fingerprint"] = bytesToJS(fp[:])
				out["fingerprintText"] = format.FormatFingerprint(fp)
				out["handle"] = c.Handle
			}
			return out, nil
		}),
		// verifyObject(type, data, ed25519PublicKey): rejects unless the
		// object's signature verifies under the key. A key card and an account
		// entry name their signer, which must be that key.
		"verifyObject": method(func(_ context.Context, args []js.Value) (any, error) {
			o, _, err := parseObject(args)
			if err != nil {
				return nil, err
			}
			var pub [32]byte
			if err := fixedFromJS(pub[:], arg(args, 2), "public key"); err != nil {
				return nil, err
			}
			switch o := o.(type) {
			case *format.KeyCard:
				if o.Ed25519PK != pub {
					return nil, format.ErrBadSignature
				}
				return nil, o.Verify()
			case *format.AccountEntry:
				if o.SignerPK != pub {
					return nil, format.ErrBadSignature
				}
				return nil, o.Verify()
			}
			return nil, o.(interface{ Verify([32]byte) error }).Verify(pub)
		}),
		// openGrant(xwingSeed, recordId, epoch, enc, ct) → epoch key
		"openGrant": method(func(_ context.Context, args []js.Value) (any, error) {
			var seed [32]byte
			var rid [32]byte
			if err := fixedFromJS(seed[:], arg(args, 0), "X-Wing seed"); err != nil {
				return nil, err
			}
			defer clear(seed[:])
			if err := fixedFromJS(rid[:], arg(args, 1), "record id"); err != nil {
				return nil, err
			}
			epoch, err := uintFromJS(arg(args, 2), "epoch")
			if err != nil || epoch > 1<<32-1 {
				return nil, fmt.Errorf("%w: epoch", errArgument)
			}
			enc, err := bytesFromJS(arg(args, 3), "enc", 4096)
			if err != nil {
				return nil, err
			}
			ct, err := bytesFromJS(arg(args, 4), "ct", 4096)
			if err != nil {
				return nil, err
			}
			key, err := grant.Open(seed[:], rid, uint32(epoch), enc, ct)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", sdk.CheckGrant, err)
			}
			defer clear(key)
			return bytesToJS(key), nil
		}),
		// deriveBodyKeys(inputKey, salt, context) → {aeadKey, baseNonce,
		// commitment}: Cobblestone-256's HKDF-Expand, which WebCrypto lacks.
		"deriveBodyKeys": method(func(_ context.Context, args []js.Value) (any, error) {
			key, err := bytesFromJS(arg(args, 0), "input key", 1024)
			if err != nil {
				return nil, err
			}
			defer clear(key)
			salt, err := bytesFromJS(arg(args, 1), "salt", cobble.SaltSize)
			if err != nil {
				return nil, err
			}
			ctx, err := bytesFromJS(arg(args, 2), "context", 1<<16)
			if err != nil {
				return nil, err
			}
			k, err := cobble.DeriveRaw(key, salt, ctx)
			if err != nil {
				return nil, err
			}
			defer k.Clear()
			return map[string]any{"aeadKey": bytesToJS(k.AEADKey[:]), "baseNonce": bytesToJS(k.BaseNonce[:]),
				"commitment": bytesToJS(k.Commitment[:])}, nil
		}),
		// paddedSize(length) → padded length, synchronous: the body engine
		// calls it while Go waits for the engine.
		"paddedSize": syncFunc(func(args []js.Value) (any, error) {
			n, err := uintFromJS(arg(args, 0), "length")
			if err != nil {
				return nil, err
			}
			return float64(padding.BodySize(n)), nil
		}),
	}
}
