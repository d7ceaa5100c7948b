package record

import (
	"errors"
	"fmt"

	"github.com/blindvault/blindvault/internal/format"
)

var (
	// ErrWriteAuthority means the author may not write this version (format-v1 §2.7).
	ErrWriteAuthority = errors.New("author has no write authority over this record")
	// ErrSigner means the header's signing key is not its author's identity key.
	ErrSigner = errors.New("header signer is not the author's identity key")
	// ErrWrongACL means the header does not sign the ACL it is presented with.
	ErrWrongACL = errors.New("header does not match the ACL in force")
)

// Author is a writer whose key card the caller has already verified.
type Author struct {
	Card *format.KeyCard
}

// VerifyHeader checks, in order: the header belongs to acl; the version chain start;
// the signer is the author's identity key (signer_pk = the card's ed25519_pk); the
// signature; and write authority: the owner, or an ACL member holding write in
// prevACL, the ACL in force at the previous version (nil for version 1).
//
// A header signed by a device key is ErrSigner, even under a valid device
// certificate (format-v1 §2.7, docs/decisions.md): its created time is the
// signer's choice, so a revoked or expired device key could backdate a header
// into its certificate's validity.
func VerifyHeader(h *format.Header, acl, prevACL *format.ACL, a Author) error {
	if acl.RecordID != h.RecordID || acl.Owner != h.Owner || acl.Hash() != h.ACLHash || acl.Epoch != h.Epoch {
		return ErrWrongACL
	}
	if (h.Version == 1) != (h.PrevHeaderHash == [32]byte{}) {
		return fmt.Errorf("%w: version %d with previous header hash %x", ErrLayout, h.Version, h.PrevHeaderHash[:4])
	}
	if a.Card == nil || a.Card.AccountID != h.Author || h.SignerPK != a.Card.Ed25519PK {
		return ErrSigner
	}
	if err := h.Verify(h.SignerPK); err != nil {
		return err
	}
	if h.Author == h.Owner {
		return nil
	}
	if h.Version == 1 || prevACL == nil {
		return ErrWriteAuthority
	}
	if r, ok := prevACL.Lookup(format.KeyID(a.Card.XWingPK)); !ok || r&format.RightWrite == 0 {
		return ErrWriteAuthority
	}
	return nil
}
