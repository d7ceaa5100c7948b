// Package secrets keeps the Blindvault server's own secrets encrypted at rest.
//
// The server has three secrets of its own: the OPRF seed from which every
// account's OPRF key derives, the pepper under which session tokens are hashed,
// and the pepper under which invite codes are hashed. They live in the store's
// secrets bucket, each sealed with a [tink-go] AEAD keyset (AES256_GCM), and
// they are opened once, at start-up.
//
// # Key management
//
// There are two layers of keys:
//
//   - The keyset: a tink AEAD keyset of AES-256-GCM keys, created on first use
//     by [Open] and stored in the secrets bucket under the name [KeysetName],
//     encrypted (tink's keyset.Write) under the master key.
//   - The master key: 32 random bytes that are never written into the store, so
//     never into a store snapshot or any data backup. [LoadMasterKey] reads it
//     from a file (--master-key-file, mode 0600, base64 or raw) or from the
//     environment variable BLINDVAULT_MASTER_KEY (base64);
//     [GenerateMasterKey] writes a new key file.
//
// Every sealed value is bound to where it is stored: the associated data is
//
//	bucket ‖ 0x00 ‖ key ‖ 0x00 ‖ account
//
// with account empty for server-wide secrets and the 32-byte account id for
// per-account ones, so a sealed value copied under another name or another
// account does not open.
//
// [RotateMasterKey] re-encrypts the keyset under a new master key; the sealed
// secrets do not change. [RotateKeyset] adds a new primary AES-256-GCM key to
// the keyset and seals the server secrets again under it; older keys stay in
// the keyset so that anything sealed under them still opens.
//
// A wrong master key is reported as [ErrWrongMasterKey]: tink cannot tell a
// wrong key from an altered keyset, so neither can this package.
//
// # Why a stolen database allows no offline guessing
//
// A passphrase-protected backup key is k = HKDF(Argon2id(passphrase) ‖
// VOPRF(account ‖ passphrase), …), and the VOPRF needs the account's OPRF private
// key, which derives from the OPRF seed. The seed is in the database only sealed
// under the keyset, and the keyset only encrypted under the master key, which is
// kept outside the database and its backups. Someone holding the database file
// or a snapshot, but not the master key, cannot compute the VOPRF and so cannot
// test a single passphrase offline; every guess must go through the server's
// rate-limited, locked-out evaluation endpoint.
//
// # Compatibility
//
// The secret names, the associated-data layout and the keyset format (tink's
// binary EncryptedKeyset) are part of the on-disk format: changing any of them
// makes existing stores unreadable.
//
// [tink-go]: https://github.com/tink-crypto/tink-go
package secrets
