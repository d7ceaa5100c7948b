package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"

	"github.com/blindvault/blindvault/server/store"
)

// An invite code is 128 random bits, written as 26 characters of lowercase
// RFC 4648 base32 without padding so that it survives being read aloud or
// typed. The store keeps only HMAC-SHA256(invite pepper, the 16 bytes), so a
// stolen database lists no usable code.

const inviteCodeBytes = 16

var inviteEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newInviteCode returns a fresh code and the hash the store keeps of it.
func (s *Server) newInviteCode() (code string, hash store.Hash) {
	raw := make([]byte, inviteCodeBytes)
	rand.Read(raw)
	return strings.ToLower(inviteEncoding.EncodeToString(raw)), s.inviteHash(raw)
}

// parseInviteCode returns the hash of a code as a person typed it: case and
// surrounding space do not matter. ok is false if it cannot be a code.
func (s *Server) parseInviteCode(code string) (hash store.Hash, ok bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != inviteEncoding.EncodedLen(inviteCodeBytes) {
		return store.Hash{}, false
	}
	raw, err := inviteEncoding.DecodeString(code)
	if err != nil || len(raw) != inviteCodeBytes {
		return store.Hash{}, false
	}
	return s.inviteHash(raw), true
}

func (s *Server) inviteHash(raw []byte) store.Hash {
	m := hmac.New(sha256.New, s.cfg.Secrets.InvitePepper)
	m.Write(raw)
	return store.Hash(m.Sum(nil))
}
