package server

import (
	"crypto/hkdf"
	"crypto/sha512"
	"fmt"
	"net/http"

	"github.com/cloudflare/circl/oprf"

	"github.com/blindvault/blindvault/server/store"
)

// The backup OPRF is RFC 9497's VOPRF with the ristretto255-SHA512 suite.
var oprfSuite = oprf.SuiteRistretto255

// oprfKeyInfo starts the info of every account's OPRF key derivation:
//
//	sk = DeriveKeyPair(seed, "blindvault.v1 oprf" ‖ account_id)
//
// (RFC 9497 §3.2.1, mode VOPRF), with seed the server's 32-byte OPRF seed.
const oprfKeyInfo = "blindvault.v1 oprf"

// oprfElementSize is the size of an encoded ristretto255 element.
const oprfElementSize = 32

// oprfKey derives the VOPRF private key of an account from the server's seed.
// It is deterministic, so nothing per account is stored, and it works for ids
// that are not registered yet: a client evaluates the OPRF before it
// registers, to build its backup.
func (s *Server) oprfKey(id store.AccountID) (*oprf.PrivateKey, error) {
	seed := s.cfg.Secrets.OPRFSeed
	if len(seed) != 32 {
		// DeriveKeyPair takes exactly 32 bytes; a longer seed is reduced.
		var err error
		if seed, err = hkdf.Key(sha512.New, seed, nil, "blindvault.v1 oprf seed", 32); err != nil {
			return nil, fmt.Errorf("oprf seed: %w", err)
		}
	}
	info := make([]byte, 0, len(oprfKeyInfo)+len(id))
	info = append(append(info, oprfKeyInfo...), id[:]...)
	k, err := oprf.DeriveKey(oprfSuite, oprf.VerifiableMode, seed, info)
	if err != nil {
		return nil, fmt.Errorf("derive oprf key: %w", err)
	}
	return k, nil
}

// oprfPublicKey returns the encoded OPRF public key of an account.
func (s *Server) oprfPublicKey(id store.AccountID) ([]byte, error) {
	k, err := s.oprfKey(id)
	if err != nil {
		return nil, err
	}
	pk, err := k.Public().MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode oprf public key: %w", err)
	}
	return pk, nil
}

// oprfParseBlinded decodes a client's blinded element. Anything but a valid,
// non-identity ristretto255 element is a client error.
func oprfParseBlinded(b []byte) (oprf.Blinded, error) {
	if len(b) != oprfElementSize {
		return nil, errorf(http.StatusBadRequest, "bad_element", "blinded is %d bytes, want %d", len(b), oprfElementSize)
	}
	e := oprfSuite.Group().NewElement()
	if err := e.UnmarshalBinary(b); err != nil || e.IsIdentity() {
		return nil, errorf(http.StatusBadRequest, "bad_element", "blinded is not a valid ristretto255 element")
	}
	return e, nil
}

// oprfEvaluate evaluates one blinded element under the account's key and
// returns the evaluated element and the DLEQ proof, both encoded.
func (s *Server) oprfEvaluate(id store.AccountID, blinded oprf.Blinded) (evaluated, proof []byte, err error) {
	k, err := s.oprfKey(id)
	if err != nil {
		return nil, nil, err
	}
	ev, err := oprf.NewVerifiableServer(oprfSuite, k).Evaluate(&oprf.EvaluationRequest{Elements: []oprf.Blinded{blinded}})
	if err != nil {
		return nil, nil, fmt.Errorf("oprf evaluate: %w", err)
	}
	if evaluated, err = ev.Elements[0].MarshalBinaryCompress(); err != nil {
		return nil, nil, fmt.Errorf("encode evaluated element: %w", err)
	}
	if proof, err = ev.Proof.MarshalBinary(); err != nil {
		return nil, nil, fmt.Errorf("encode proof: %w", err)
	}
	return evaluated, proof, nil
}
