package api

import "time"

// ChallengeRequest is the body of POST /v1/auth/challenge; the answer is a
// Challenge.
type ChallengeRequest struct {
	AccountID string `json:"account_id"`
	DeviceID  string `json:"device_id"`
}

// SessionRequest is the body of POST /v1/auth/session: a signed auth object
// (docs/spec/format-v1.md §2.8) over a challenge's nonce.
type SessionRequest struct {
	Auth []byte `json:"auth"`
}

// Session answers a session request: a bearer token and when it expires.
type Session struct {
	Token          string    `json:"token"`
	IdleExpiry     time.Time `json:"idle_expiry"`
	AbsoluteExpiry time.Time `json:"absolute_expiry"`
}
