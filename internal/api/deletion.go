package api

import "time"

// DeletionRequest is the body of POST /v1/account/deletion and POST
// /v1/account/deletion/cancel: re-authentication for the act. Auth is a
// fresh signed auth object (docs/spec/format-v1.md §2.8) over a nonce from
// POST /v1/auth/challenge, as for a session, by a device of the caller's
// account; Code is a current one-time code when the account has a second
// factor.
type DeletionRequest struct {
	Auth []byte `json:"auth"`
	Code string `json:"code,omitempty"`
}

// Deletion is an account's scheduled deletion: the server purges the
// account at Due unless its owner cancels first.
type Deletion struct {
	Requested time.Time `json:"requested"`
	Due       time.Time `json:"due"`
}
