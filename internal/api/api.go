// Package api declares the JSON bodies of Blindvault's HTTP API
// (docs/api/openapi.yaml is the contract), shared by the server and the SDK:
// one Go type per body, so that both ends encode it the same way. The types
// are grouped by API area: accounts.go, devices.go, sessions.go, results.go
// (answers to writes), errors.go, and this file.
//
// Ids and hashes are lowercase hex; signed objects are standard base64
// (encoding/json's []byte), to be parsed and verified by the client: the
// server's word on any of them is worth nothing. The package holds types
// only, no logic, so the server may import it without linking anything that
// opens a record, a grant or a backup.
//
// The field order of each struct is the order of its JSON output; changing
// it changes the server's bytes.
package api

import (
	"encoding/json"
	"time"
)

// Receipt proves that a log entry is in the log: the entry, its index, and its
// inclusion proof in the tree of the signed checkpoint (docs/spec/log-v1.md §5).
type Receipt struct {
	Index      int64    `json:"index"`
	Entry      []byte   `json:"entry"`
	Proof      [][]byte `json:"proof"`
	Checkpoint string   `json:"checkpoint"`
}

// Receipts is the part every write answer shares: its log receipts.
type Receipts struct {
	Receipts []Receipt `json:"receipts"`
}

// Account is an account in the directory (GET /v1/accounts/{id},
// /v1/directory/{handle}): never the backup blob or the OPRF set-up.
type Account struct {
	AccountID string     `json:"account_id"`
	Handle    string     `json:"handle"`
	Role      string     `json:"role"`
	Status    string     `json:"status"`
	CardSeq   uint64     `json:"card_seq"`
	KeyCard   []byte     `json:"key_card"`
	Created   *time.Time `json:"created,omitempty"`
	Cards     []Card     `json:"cards,omitempty"` // the directory's card history
}

// Card is one key card of an account's history.
type Card struct {
	Seq     uint64     `json:"seq"`
	KeyCard []byte     `json:"key_card"`
	Added   *time.Time `json:"added,omitempty"`
}

// Record is a record at one version with the ACL in force and the caller's
// own grants (GET /v1/records/{id}).
type Record struct {
	ID         string   `json:"id"`
	Owner      string   `json:"owner"`
	Version    uint64   `json:"version"`
	HeaderHash string   `json:"header_hash"`
	PrevHash   string   `json:"prev_hash,omitempty"`
	Author     string   `json:"author,omitempty"`
	ACLSeq     uint64   `json:"acl_seq"`
	Deleted    bool     `json:"deleted"`
	Header     []byte   `json:"header,omitempty"`
	ACL        []byte   `json:"acl,omitempty"`
	Grants     [][]byte `json:"grants"`
	// LogSalt names people in the record's log entries; only those who may
	// read the record see it.
	LogSalt []byte `json:"log_salt,omitempty"`
	// PriorACLs are the ACLs before the current one, newest first, back to
	// the one in force when this version was written (at most MaxPriorACLs):
	// what a reader needs to judge the version's write authority without a
	// request per ACL. They are signed; the client checks each against its
	// successor.
	PriorACLs [][]byte `json:"prior_acls,omitempty"`
	// Via is set when the caller reads the record through a group (a care
	// team or a collection): Grants are then the group's, and Via is the id of
	// the group's key record, whose epoch keys open them.
	Via string `json:"via,omitempty"`
}

// MaxPriorACLs bounds Record.PriorACLs; a client fetches older ones itself.
const MaxPriorACLs = 8

// MaxViews bounds the records of one views request.
const MaxViews = 200

// MaxLogEntries bounds the entries of one GET /v1/log/entries answer (about
// 2 MB of JSON): a device that reads the whole log reads it in pages this big.
const MaxLogEntries = 10_000

// ViewsRequest asks for the views of up to MaxViews records in one request
// (POST /v1/records/views): a list's records that changed since a device's
// last look.
type ViewsRequest struct {
	IDs []string `json:"ids"`
}

// Views answers a ViewsRequest: the view of every record asked for that the
// caller may read, as GET /v1/records/{id} gives it, in the order asked.
// Records the caller may not read (or that do not exist) are left out.
type Views struct {
	Records []Record `json:"records"`
}

// Head is a record in a list (GET /v1/records, /v1/shared).
type Head struct {
	ID         string     `json:"id"`
	Owner      string     `json:"owner"`
	Version    uint64     `json:"version"`
	HeaderHash string     `json:"header_hash"`
	ACLSeq     uint64     `json:"acl_seq"`
	Created    time.Time  `json:"created"`
	Updated    time.Time  `json:"updated"`
	Deleted    *time.Time `json:"deleted,omitempty"`
}

// RecordList is one page of records; Next, when set, is the after= of the
// next page.
type RecordList struct {
	Records []Head `json:"records"`
	Next    string `json:"next,omitempty"`
}

// ACL is one ACL of a record (GET /v1/records/{id}/acl).
type ACL struct {
	Record  string    `json:"record"`
	Seq     uint64    `json:"seq"`
	Hash    string    `json:"hash"`
	ACL     []byte    `json:"acl"`
	Created time.Time `json:"created"`
}

// ChainItem is an account-chain entry and the seq it takes: the body of an
// append, and the chain part of a request that appends with another change.
type ChainItem struct {
	Seq   uint64 `json:"seq"`
	Entry []byte `json:"entry"`
}

// ChainPage is a page of an account's chain (GET /v1/chains/{account});
// Next, when set, is the from= of the next page.
type ChainPage struct {
	Account string      `json:"account"`
	Entries []ChainItem `json:"entries"`
	Next    uint64      `json:"next,omitempty"`
}

// ChainAppended answers an append.
type ChainAppended struct {
	Seq      uint64    `json:"seq"`
	Receipts []Receipt `json:"receipts"`
}

// Sharing is the body of PUT /v1/records/{id}/acl: a new ACL with grants for
// it, accounts whose grants end, and the owner's chain entry. Without an ACL,
// only grants for the current ACL may be added.
type Sharing struct {
	ACL    []byte        `json:"acl,omitempty"`
	Grants []SharedGrant `json:"grants,omitempty"`
	Revoke []Revoked     `json:"revoke,omitempty"`
	Chain  *ChainItem    `json:"chain,omitempty"`
}

// SharedGrant is a signed grant for one reader account.
type SharedGrant struct {
	Account string `json:"account"`
	Grant   []byte `json:"grant"`
}

// Revoked names an account whose grants end.
type Revoked struct {
	Account string `json:"account"`
}

// OPRFKey is an account's backup OPRF public key (GET /v1/backup/{a}/oprf-key).
type OPRFKey struct {
	Suite     string `json:"suite"`      // "ristretto255-SHA512"
	PublicKey []byte `json:"public_key"` // 32-byte ristretto255 element
}

// EvaluateRequest is the body of POST /v1/backup/{a}/evaluate.
type EvaluateRequest struct {
	Blinded []byte `json:"blinded"` // 32-byte ristretto255 element
}

// Evaluated answers an evaluation.
type Evaluated struct {
	Evaluated []byte `json:"evaluated"` // 32-byte ristretto255 element
	Proof     []byte `json:"proof"`     // 64-byte DLEQ proof c ‖ s
}

// Challenge is a single-use nonce: the answer of POST /v1/auth/challenge and
// of POST /v1/backup/{a}/challenge.
type Challenge struct {
	Nonce   []byte    `json:"nonce"` // 32 bytes
	Expires time.Time `json:"expires"`
}

// ReleaseRequest is the body of POST /v1/backup/{a}/release.
type ReleaseRequest struct {
	Nonce     []byte `json:"nonce"`     // 32 bytes from /challenge
	Signature []byte `json:"signature"` // 64-byte Ed25519 signature
	// OTP is a current TOTP code, needed with the passphrase key's
	// signature once the account has a second factor.
	OTP string `json:"otp,omitempty"`
	// Passkey is a WebAuthn assertion (PublicKeyCredential.toJSON()) for
	// the options of POST /v1/backup/{a}/passkey: the other second factor.
	Passkey json.RawMessage `json:"passkey,omitempty"`
}

// Released answers a release: the backup blob, and a single-use ticket with
// which the new device enrols (POST /v1/devices) within five minutes.
type Released struct {
	Backup      []byte `json:"backup"`
	EnrolTicket []byte `json:"enrol_ticket,omitempty"`
}

// Factor is one second factor of an account (GET /v1/mfa).
type Factor struct {
	Kind      string    `json:"kind"` // "totp" or "passkey"
	Created   time.Time `json:"created"`
	Confirmed bool      `json:"confirmed"` // false until a code from it was checked
	// ID (base64url credential id) and Name describe a passkey.
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Factors lists an account's second factors.
type Factors struct {
	Factors []Factor `json:"factors"`
}

// TOTPEnrolment answers POST /v1/mfa/totp: the new secret, shown once.
type TOTPEnrolment struct {
	URI    string `json:"uri"`    // otpauth://totp/…
	Secret string `json:"secret"` // base32, for typing in by hand
	Period int    `json:"period"` // seconds
	Digits int    `json:"digits"`
}

// CodeRequest carries a one-time code (confirm or remove a factor). Removal
// may prove the recovery code instead: Nonce from POST
// /v1/backup/{a}/challenge and Signature by the recovery auth key over the
// release message, as a release would.
type CodeRequest struct {
	Code      string `json:"code,omitempty"`
	Nonce     []byte `json:"nonce,omitempty"`
	Signature []byte `json:"signature,omitempty"`
}

// LogKey is the log's origin and note verifier key (GET /v1/log/key). Its
// fields are in alphabetical order, as the server wrote them from a map.
type LogKey struct {
	Key    string `json:"key"`
	Origin string `json:"origin"`
}

// Consistency is a consistency proof (GET /v1/log/consistency).
type Consistency struct {
	Hashes [][]byte `json:"hashes"`
}
