package cobble

// RawKeys are a message's derived values as bytes, for a caller that runs
// the chunks' AES-256-GCM elsewhere, such as a browser's WebCrypto, which has
// no expand-only HKDF to derive them itself. The chunk rules stay the same:
// chunk i is sealed under AEADKey with BaseNonce XOR i, and the final chunk is
// the only short one.
type RawKeys struct {
	AEADKey    [KeySize]byte
	BaseNonce  [NonceSize]byte
	Commitment [CommitmentSize]byte
}

// DeriveRaw derives the AEAD key, base nonce and commitment of a message from
// the input key (KeySize bytes), its salt (SaltSize bytes) and context, as
// [Derive] does. The caller clears the key with [RawKeys.Clear] once it has
// been handed over.
func DeriveRaw(inputKey, salt, context []byte) (*RawKeys, error) {
	okm, err := expand(inputKey, salt, context)
	defer clear(okm[:])
	if err != nil {
		return nil, err
	}
	k := &RawKeys{}
	copy(k.AEADKey[:], okm[:KeySize])
	copy(k.BaseNonce[:], okm[KeySize:KeySize+NonceSize])
	copy(k.Commitment[:], okm[KeySize+NonceSize:])
	return k, nil
}

// Clear zeroes the AEAD key.
func (k *RawKeys) Clear() { clear(k.AEADKey[:]) }
