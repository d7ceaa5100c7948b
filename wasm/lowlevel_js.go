package main

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/sdk"
)

// The low-level API: format v1 objects, grants and Cobblestone-256 keys, for
// tools, interop and the shared test vectors. Records go through the client.

// signedObject is what every format v1 object provides.
type signedObject interface {
	Marshal() []byte
	Hash() [32]byte
}

// objectTypes maps the type names of docs/spec/format-v1.md (and of the test
// vectors) to their parsers and kinds.
var objectTypes = map[string]struct {
	kind  format.Kind
	parse func([]byte) (signedObject, error)
}{
	"KeyCard":          {format.KindKeyCard, parser(format.ParseKeyCard)},
	"KeyCardText":      {format.KindKeyCard, parser(format.ParseKeyCardText)},
	"RoleAttestation":  {format.KindRole, parser(format.ParseRoleAttestation)},
	"DeviceCert":       {format.KindDeviceCert, parser(format.ParseDeviceCert)},
	"DeviceRevocation": {format.KindDeviceRevocation, parser(format.ParseDeviceRevocation)},
	"ACL":              {format.KindACL, parser(format.ParseACL)},
	"Grant":            {format.KindGrant, parser(format.ParseGrant)},
	"Header":           {format.KindHeader, parser(format.ParseHeader)},
	"AccountEntry":     {format.KindAccountEntry, parser(format.ParseAccountEntry)},
}

func parser[T signedObject](f func([]byte) (T, error)) func([]byte) (signedObject, error) {
	return func(b []byte) (signedObject, error) {
		o, err := f(b)
		if err != nil {
			return nil, err
		}
		return o, nil
	}
}

// maxObject bounds an object handed to parse: the largest kind is far smaller.
const maxObject = 1 << 20

// parseObject reads (type, data): data is a Uint8Array, or a string for
// KeyCardText.
func parseObject(args []js.Value) (signedObject, format.Kind, error) {
	typ, err := str(arg(args, 0), "type")
	if err != nil {
		return nil, 0, err
	}
	t, ok := objectTypes[typ]
	if !ok {
		return nil, 0, fmt.Errorf("%w: unknown object type %q", errArgument, typ)
	}
	var data []byte
	if d := arg(args, 1); d.Type() == js.TypeString {
		if len(d.String()) > maxObject {
			return nil, 0, fmt.Errorf("%w: object of %d bytes", errArgument, len(d.String()))
		}
		data = []byte(d.String())
	} else if data, err = bytesFromJS(d, "data", maxObject); err != nil {
		return nil, 0, err
	}
	o, err := t.parse(data)
	return o, t.kind, err
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
				return nil, fmt.Errorf("%w: %w", sdk.ErrGrant, err)
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
			return float64(sdk.PaddedSize(n)), nil
		}),
	}
}
