// Package backup is the client side of the two-key passphrase backup
// (docs/spec/backup-v1.md §1): the backup blob that holds an identity's key history, its two key
// slots (a passphrase slot that needs the server's VOPRF, and a recovery-code
// slot), and the backup auth key that lets a new device have the blob released.
//
// The byte format and the design choices are in docs/spec/backup-v1.md; the
// server side (OPRF key, evaluate, challenge, release, lockout) is in
// docs/backup-protocol.md.
//
// A new device, knowing only the account id and the passphrase, calls
// DeriveAuth (one VOPRF evaluation and one Argon2id run), signs
// backupwire.ReleaseMessage(account, nonce) with the auth key to have the server release
// the blob, then calls Open with the slot key. With the recovery code instead,
// OpenWithRecoveryCode needs no server call, only the blob.
package backup
