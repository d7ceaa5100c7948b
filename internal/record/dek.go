package record

import "errors"

// ErrUnwrap means a wrapped DEK did not open under the epoch key for this version.
var ErrUnwrap = errors.New("DEK does not unwrap under the epoch key")

const wrappedDEKSize = nonceSize + 32 + 16

// wrapDEK seals a version's DEK under the epoch key, bound to the version's context,
// so a wrapped DEK cannot be moved to another record or version. The nonce is random
// (drawn by the caller): an epoch key wraps many DEKs.
func wrapDEK(epochKey, dek, bodyCtx []byte, nonce [nonceSize]byte) []byte {
	out := make([]byte, nonceSize, wrappedDEKSize)
	copy(out, nonce[:])
	return gcm(epochKey).Seal(out, out[:nonceSize], dek, bodyCtx)
}

func unwrapDEK(epochKey, wrapped, bodyCtx []byte) ([]byte, error) {
	if len(epochKey) != 32 || len(wrapped) != wrappedDEKSize {
		return nil, ErrUnwrap
	}
	dek, err := gcm(epochKey).Open(nil, wrapped[:nonceSize], wrapped[nonceSize:], bodyCtx)
	if err != nil {
		return nil, ErrUnwrap
	}
	return dek, nil
}
