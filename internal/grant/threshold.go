package grant

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/kem/xwing"
	"github.com/cloudflare/circl/secretsharing"
)

// A threshold key's secret is a random ristretto255 scalar s, split k-of-n
// with Shamir's scheme (circl secretsharing, whose "t" is k − 1); the key's
// X-Wing seed is derived from s (ThresholdSeed). Shares travel HPKE-sealed
// like grants, with their own info labels (threshold-v1 §2).

// Labels of the threshold derivations and HPKE infos.
const (
	thresholdSeedLabel = "blindvault.v1 threshold seed"
	shareLabel         = "blindvault.v1 share"
	shareToLabel       = "blindvault.v1 share to"
)

// ErrShare: a share, a set of shares or a recovered key is not the set-up's.
var ErrShare = errors.New("grant: bad threshold share")

// Split is a new threshold secret split k-of-n: the secret's canonical
// encoding (for ThresholdSeed, to be cleared and forgotten by the caller),
// the Feldman commitments to the polynomial's k coefficients, and the n
// share values (index i at position i − 1), each 32 bytes.
func Split(k, n int) (secret []byte, commitments, shares [][]byte, err error) {
	if k < 1 || k > n || n > format.MaxHolders {
		return nil, nil, nil, fmt.Errorf("grant: threshold %d of %d", k, n)
	}
	g := group.Ristretto255
	s := g.RandomScalar(rand.Reader)
	ss := secretsharing.New(rand.Reader, uint(k-1), s)
	if secret, err = s.MarshalBinary(); err != nil {
		return nil, nil, nil, err
	}
	s.SetUint64(0)
	for _, c := range ss.CommitSecret() {
		b, err := c.MarshalBinaryCompress()
		if err != nil {
			return nil, nil, nil, err
		}
		commitments = append(commitments, b)
	}
	for _, sh := range ss.Share(uint(n)) {
		b, err := sh.Value.MarshalBinary()
		if err != nil {
			return nil, nil, nil, err
		}
		shares = append(shares, b)
	}
	return secret, commitments, shares, nil
}

// ThresholdSeed derives a threshold key's X-Wing seed from its secret's
// canonical encoding: HKDF-SHA256(ikm = secret, salt = empty, info =
// "blindvault.v1 threshold seed" ‖ group_id), 32 bytes.
func ThresholdSeed(secret []byte, groupID [32]byte) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, nil, thresholdSeedLabel+string(groupID[:]), SeedSize)
}

// NewThresholdKey returns the threshold key of a secret's encoding: the
// X-Wing key of ThresholdSeed(secret, groupID).
func NewThresholdKey(secret []byte, groupID [32]byte) (*PrivateKey, error) {
	seed, err := ThresholdSeed(secret, groupID)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	return NewPrivateKey(seed)
}

// VerifyShare checks share value (of index i) against the set-up's k
// commitments.
func VerifyShare(commitments [][]byte, index uint8, value []byte) bool {
	g := group.Ristretto255
	sh := secretsharing.Share{ID: g.NewScalar().SetUint64(uint64(index)), Value: g.NewScalar()}
	if index == 0 || len(commitments) == 0 || sh.Value.UnmarshalBinary(value) != nil {
		return false
	}
	cs := make(secretsharing.SecretCommitment, len(commitments))
	for i, c := range commitments {
		cs[i] = g.NewElement()
		if cs[i].UnmarshalBinary(c) != nil {
			return false
		}
	}
	return secretsharing.Verify(uint(len(commitments)-1), sh, cs)
}

// Recover recovers the secret's encoding from k shares with distinct indexes
// 1..MaxHolders (values by index). Extra shares are ignored.
func Recover(k int, values map[uint8][]byte) ([]byte, error) {
	if k < 1 || len(values) < k {
		return nil, fmt.Errorf("%w: %d shares of %d needed", ErrShare, len(values), k)
	}
	g := group.Ristretto255
	var shares []secretsharing.Share
	// Distinct map keys: Recover panics on duplicate ids.
	for i := uint8(1); i <= format.MaxHolders && len(shares) < k; i++ {
		v, ok := values[i]
		if !ok {
			continue
		}
		sh := secretsharing.Share{ID: g.NewScalar().SetUint64(uint64(i)), Value: g.NewScalar()}
		if err := sh.Value.UnmarshalBinary(v); err != nil {
			return nil, fmt.Errorf("%w: share %d: %w", ErrShare, i, err)
		}
		shares = append(shares, sh)
	}
	if len(shares) < k {
		return nil, fmt.Errorf("%w: %d shares with valid indexes of %d needed", ErrShare, len(shares), k)
	}
	s, err := secretsharing.Recover(uint(k-1), shares)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShare, err)
	}
	return s.MarshalBinary()
}

// ShareInfo is the HPKE info of a share sealed to its holder in a set-up:
// "blindvault.v1 share" ‖ group_id ‖ u8 index ‖ KeyID(holder's X-Wing pk).
func ShareInfo(groupID [32]byte, index uint8, holder [32]byte) []byte {
	info := append([]byte(shareLabel), groupID[:]...)
	info = append(info, index)
	return append(info, holder[:]...)
}

// ShareToInfo is the HPKE info of a share re-sealed to a requester in an
// approval: "blindvault.v1 share to" ‖ request hash ‖ u8 index.
func ShareToInfo(request [32]byte, index uint8) []byte {
	info := append([]byte(shareToLabel), request[:]...)
	return append(info, index)
}

// SealShare seals a 32-byte share value to recipientPK under info.
func SealShare(recipientPK, info, value []byte) (enc, ct []byte, err error) {
	return SealShareWith(nil, recipientPK, info, value)
}

// SealShareWith is [SealShare] with the encapsulation randomness read from
// rnd (64 bytes), for reproducible test vectors; nil reads crypto/rand.
func SealShareWith(rnd io.Reader, recipientPK, info, value []byte) (enc, ct []byte, err error) {
	if len(value) != format.ScalarSize {
		return nil, nil, fmt.Errorf("grant: share value is %d bytes", len(value))
	}
	pk, err := xwing.Scheme().UnmarshalBinaryPublicKey(recipientPK)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	sender, err := suite.NewSender(pk, info)
	if err != nil {
		return nil, nil, fmt.Errorf("grant: seal share: %w", err)
	}
	enc, sealer, err := sender.Setup(rnd) // nil: crypto/rand
	if err != nil {
		return nil, nil, fmt.Errorf("grant: seal share: %w", err)
	}
	if ct, err = sealer.Seal(value, nil); err != nil {
		return nil, nil, fmt.Errorf("grant: seal share: %w", err)
	}
	return enc, ct, nil
}

// OpenShare opens a share sealed to this key under info.
func (k *PrivateKey) OpenShare(info, enc, ct []byte) ([]byte, error) {
	if len(enc) != EncSize || len(ct) != format.ShareCTSize {
		return nil, fmt.Errorf("%w: share enc and ct sizes", ErrOpen)
	}
	receiver, err := suite.NewReceiver(k.sk, info)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	opener, err := receiver.Setup(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	v, err := opener.Open(ct, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return v, nil
}
