package sdk

import (
	"bytes"
	"context"
	"io"

	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/record"
)

// Bodies sealed and opened outside Go, for the browser build (bridge_js.go;
// internal/bridge says why).

// putSealed is Put with the body sealed by s instead of in Go: it writes a new
// record, or a new version of opts.Update, whose header signs the leaves and
// length s reports. opts.Size is not used.
func (c *Client) putSealed(ctx context.Context, s bridge.BodySealer, opts *PutOptions) (*RecordInfo, error) {
	if opts == nil {
		opts = &PutOptions{}
	}
	return c.putRecord(ctx, externalSealer{s}, opts)
}

// externalSealer seals a version's body with a bridge.BodySealer.
type externalSealer struct{ s bridge.BodySealer }

func (x externalSealer) seal(ctx context.Context, p *record.SealParams) (*sealedVersion, error) {
	e, err := record.SealExternal(p)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	keys := &bridge.BodyKeys{AEADKey: e.Keys.AEADKey, BaseNonce: e.Keys.BaseNonce, Salt: e.Salt, Commitment: e.Keys.Commitment}
	sb, err := x.s.SealBody(ctx, keys)
	keys.Clear()
	if err != nil {
		return nil, err
	}
	h, err := e.Finish(sb.Length, sb.CiphertextLen, sb.Leaves)
	if err != nil {
		return nil, err
	}
	frame := func(head []byte) (io.Reader, error) {
		ct, err := sb.Ciphertext()
		if err != nil {
			return nil, err
		}
		return &bridge.SplicedBody{Head: append(bytes.Clone(head), sb.Leaves...), Tail: ct}, nil
	}
	return &sealedVersion{header: h, length: sb.Length, frame: frame, close: func() {}}, nil
}

// getEncrypted verifies the newest version of record id as Get does, and
// checks its leaf list against the signed root, but leaves the body encrypted
// for the caller to open (see bridge.EncryptedBody).
func (c *Client) getEncrypted(ctx context.Context, id RecordID) (*RecordInfo, *bridge.EncryptedBody, error) {
	return c.getEncryptedVersion(ctx, id, 0)
}

// getEncryptedVersion is getEncrypted of version n (0: the newest), verified
// as GetVersion verifies it.
func (c *Client) getEncryptedVersion(ctx context.Context, id RecordID, n uint64) (_ *RecordInfo, _ *bridge.EncryptedBody, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, nil, err
	}
	v, err := c.fetchVersion(ctx, id, n)
	if err != nil {
		return nil, nil, err
	}
	defer v.close()
	leaves, body, err := c.bodyStreams(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	defer leaves.Close()
	lr, err := leaves.Reader()
	var list []byte
	if err == nil {
		list, err = io.ReadAll(lr)
	}
	var raw *cobble.RawKeys
	if err == nil {
		raw, err = v.unlocked.RawKeys()
	}
	if err != nil {
		body.Body.Close()
		return nil, nil, err
	}
	h := v.header
	b := &bridge.EncryptedBody{Keys: bridge.BodyKeys{AEADKey: raw.AEADKey, BaseNonce: raw.BaseNonce, Salt: h.Salt, Commitment: h.Commitment},
		Length: v.unlocked.Meta.Length, CiphertextLen: h.CiphertextLen, ChunkCount: h.ChunkCount, Leaves: list, Body: body.Body}
	raw.Clear()
	return v.info(), b, nil
}
