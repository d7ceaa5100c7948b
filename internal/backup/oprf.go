package backup

import (
	"context"
	"fmt"

	"github.com/cloudflare/circl/oprf"
	"github.com/cloudflare/circl/zk/dleq"
)

// OPRFServer is the server's half of the backup VOPRF for one account
// (docs/backup-protocol.md: GET …/oprf-key and POST …/evaluate). The SDK's
// HTTP client implements it; tests use an in-process circl server.
type OPRFServer interface {
	// PublicKey returns the account's 32-byte ristretto255 OPRF public key.
	PublicKey(ctx context.Context) ([]byte, error)
	// Evaluate evaluates one 32-byte blinded element and returns the
	// evaluated element and the 64-byte DLEQ proof.
	Evaluate(ctx context.Context, blinded []byte) (evaluated, proof []byte, err error)
}

// oprfSuite is RFC 9497's ristretto255-SHA512, in VOPRF mode.
var oprfSuite = oprf.SuiteRistretto255

// oprfPublicKey fetches and decodes the OPRF public key; it returns the
// canonical encoding that the KDF binds.
func oprfPublicKey(ctx context.Context, srv OPRFServer) (*oprf.PublicKey, []byte, error) {
	raw, err := srv.PublicKey(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("backup: oprf public key: %w", err)
	}
	pk := new(oprf.PublicKey)
	if len(raw) != 32 {
		return nil, nil, fmt.Errorf("%w: public key is %d bytes, want 32", ErrOPRF, len(raw))
	}
	if err := pk.UnmarshalBinary(oprfSuite, raw); err != nil {
		return nil, nil, fmt.Errorf("%w: public key: %w", ErrOPRF, err)
	}
	// The identity is a valid encoding but the key of the zero scalar.
	if e := oprfSuite.Group().NewElement(); e.UnmarshalBinary(raw) != nil || e.IsIdentity() {
		return nil, nil, fmt.Errorf("%w: public key is the identity", ErrOPRF)
	}
	enc, err := pk.MarshalBinary()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: public key: %w", ErrOPRF, err)
	}
	return pk, enc, nil
}

// oprfEvaluate computes VOPRF(input) with the server's help: blind, evaluate
// remotely, verify the DLEQ proof against pk, unblind and hash. The result is
// 64 bytes.
func oprfEvaluate(ctx context.Context, srv OPRFServer, pk *oprf.PublicKey, input []byte) ([]byte, error) {
	client := oprf.NewVerifiableClient(oprfSuite, pk)
	fin, req, err := client.Blind([][]byte{input})
	if err != nil {
		return nil, fmt.Errorf("%w: blind: %w", ErrOPRF, err)
	}
	blinded, err := req.Elements[0].MarshalBinaryCompress()
	if err != nil {
		return nil, fmt.Errorf("%w: encode blinded: %w", ErrOPRF, err)
	}
	evRaw, proofRaw, err := srv.Evaluate(ctx, blinded)
	if err != nil {
		return nil, fmt.Errorf("backup: oprf evaluate: %w", err)
	}
	g := oprfSuite.Group()
	ev := g.NewElement()
	if len(evRaw) != 32 {
		return nil, fmt.Errorf("%w: evaluated element is %d bytes, want 32", ErrOPRF, len(evRaw))
	}
	if err := ev.UnmarshalBinary(evRaw); err != nil || ev.IsIdentity() {
		return nil, fmt.Errorf("%w: evaluated element is not a valid ristretto255 element", ErrOPRF)
	}
	if len(proofRaw) != 64 {
		return nil, fmt.Errorf("%w: proof is %d bytes, want 64", ErrOPRF, len(proofRaw))
	}
	proof := new(dleq.Proof)
	if err := proof.UnmarshalBinary(g, proofRaw); err != nil {
		return nil, fmt.Errorf("%w: proof: %w", ErrOPRF, err)
	}
	out, err := client.Finalize(fin, &oprf.Evaluation{Elements: []oprf.Evaluated{ev}, Proof: proof})
	if err != nil {
		return nil, fmt.Errorf("%w: finalize: %w", ErrOPRF, err)
	}
	return out[0], nil
}
