package api

import "time"

// RegisterRequest is the body of POST /v1/accounts: the first key card
// (self-signed, seq 1), a first device certified by it, the key-backup blob
// and its OPRF set-up.
type RegisterRequest struct {
	KeyCard    []byte `json:"key_card"`
	DeviceCert []byte `json:"device_cert"`
	Backup     []byte `json:"backup"`
	OPRFSetup  []byte `json:"oprf_setup"`
	Role       string `json:"role"`
	Invite     string `json:"invite,omitempty"`
}

// Registered answers a registration.
type Registered struct {
	AccountID string    `json:"account_id"`
	Handle    string    `json:"handle"`
	Role      string    `json:"role"`
	DeviceID  string    `json:"device_id"`
	Receipts  []Receipt `json:"receipts"`
}

// CardHistory is an account's key cards (GET /v1/accounts/{id}/cards). Its
// fields are in alphabetical order, as the server wrote them from a map.
type CardHistory struct {
	AccountID string `json:"account_id"`
	Cards     []Card `json:"cards"`
}

// CardRequest is the body of PUT /v1/accounts/{id}/card: the successor of the
// current key card.
type CardRequest struct {
	KeyCard []byte `json:"key_card"`
}

// CardReplaced answers a new key card. Its fields are in alphabetical order,
// as the server wrote them from a map.
type CardReplaced struct {
	AccountID string    `json:"account_id"`
	CardSeq   uint64    `json:"card_seq"`
	Receipts  []Receipt `json:"receipts"`
}

// AccountStatus answers an admin's suspension or resumption of an account.
// Its fields are in alphabetical order, as the server wrote them from a map.
type AccountStatus struct {
	AccountID string `json:"account_id"`
	Status    string `json:"status"`
}

// InviteRequest is the body of POST /v1/admin/invites; a zero TTLSeconds
// takes the server's default.
type InviteRequest struct {
	Role       string `json:"role"`
	TTLSeconds int64  `json:"ttl_seconds,omitempty"`
}

// Invite answers an invite request: the one-time code, shown once.
type Invite struct {
	Code    string    `json:"code"`
	Role    string    `json:"role"`
	Expires time.Time `json:"expires"`
}
