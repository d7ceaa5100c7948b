package bolt

import (
	"bytes"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// Every decoder must reject what it did not write without panicking, and what
// it accepts must encode back to the same bytes (one encoding per value).
// The seeds are one encoding of each type plus the stored forms that sit at
// the edges (empty fields, zero times).

var fuzzTime = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)

func fuzzRoundTrip[T any](f *testing.F, seeds [][]byte, decode func([]byte) (T, error), encode func(T) []byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decode(b)
		if err != nil {
			return
		}
		if got := encode(v); !bytes.Equal(got, b) {
			t.Fatalf("encode(decode(%x)) = %x", b, got)
		}
	})
}

func FuzzDecodeAccount(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{
		encodeAccount(accountRec{Handle: "alice", Role: store.RoleAdmin, Status: store.StatusSuspended, CardSeq: 3, Created: fuzzTime, OPRFSetup: []byte("oprf")}),
		encodeAccount(accountRec{Handle: "b", Role: store.RolePatient, Status: store.StatusActive, CardSeq: 1}),
	}, decodeAccount, encodeAccount)
}

func FuzzDecodeCard(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{encodeCard(store.KeyCard{Signed: []byte("card"), Added: fuzzTime})}, decodeCard, encodeCard)
}

func FuzzDecodeDevice(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{
		encodeDevice(store.Device{Cert: []byte("cert"), Added: fuzzTime}),
		encodeDevice(store.Device{Cert: []byte("cert"), Added: fuzzTime, Revocation: []byte("rev"), Revoked: fuzzTime}),
		encodeDevice(store.Device{Cert: []byte("cert"), Added: fuzzTime, LastSeen: fuzzTime}),
	}, decodeDevice, encodeDevice)
}

func FuzzDecodeSession(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{encodeSession(store.Session{
		Account: store.AccountID{1}, Device: store.DeviceID{2}, Created: fuzzTime, IdleExpiry: fuzzTime, AbsoluteExpiry: fuzzTime,
	})}, decodeSession, encodeSession)
}

func FuzzDecodeInvite(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{encodeInvite(store.Invite{Role: store.RoleClinician, Created: fuzzTime, Expires: fuzzTime})}, decodeInvite, encodeInvite)
}

func FuzzDecodeHead(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{
		encodeHead(store.Head{Owner: store.AccountID{1}, Version: 7, HeaderHash: store.Hash{2}, ACLSeq: 2, Created: fuzzTime, Updated: fuzzTime}),
		encodeHead(store.Head{Owner: store.AccountID{1}, Version: 7, Deleted: fuzzTime}),
	}, decodeHead, encodeHead)
}

func FuzzDecodeVersion(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{
		encodeVersion(versionRec{HeaderHash: store.Hash{1}, PrevHash: store.Hash{2}, Author: store.AccountID{3}, Created: fuzzTime,
			Body: bodyID{4}, BodySize: 5 << 20, PieceSize: 1 << 20, Header: []byte("header"), Leaves: make([]byte, 64)}),
		encodeVersion(versionRec{PieceSize: 1, Header: []byte("h")}),
	}, decodeVersion, encodeVersion)
}

func FuzzDecodeStaging(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{encodeStaging(stagingRec{Expires: fuzzTime}), encodeStaging(stagingRec{})}, decodeStaging, encodeStaging)
}

func FuzzDecodeACL(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{encodeACL(store.ACL{Hash: store.Hash{1}, Signed: []byte("acl"), Created: fuzzTime})}, decodeACL, encodeACL)
}

func FuzzDecodeGrant(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{
		encodeGrant(store.Grant{Account: store.AccountID{1}, Signed: []byte("grant"), Created: fuzzTime}),
		encodeGrant(store.Grant{Account: store.AccountID{1}, Signed: []byte("grant"), Created: fuzzTime, Revoked: fuzzTime}),
	}, decodeGrant, encodeGrant)
}

func FuzzDecodeLockout(f *testing.F) {
	fuzzRoundTrip(f, [][]byte{encodeLockout(store.Lockout{Failures: 3, Until: fuzzTime})}, decodeLockout, encodeLockout)
}
