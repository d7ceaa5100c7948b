package api

import (
	"encoding/json"
	"testing"
	"time"
)

// TestWire_Bytes pins the JSON the server writes for the bodies that moved
// here from the server's private types and maps: field order is wire format.
func TestWire_Bytes(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rcs := []Receipt{{Index: 1, Entry: []byte{1}, Proof: [][]byte{{2}}, Checkpoint: "c"}}
	const rcsJSON = `[{"index":1,"entry":"AQ==","proof":["Ag=="],"checkpoint":"c"}]`
	for _, tc := range []struct {
		v    any
		want string
	}{
		{RegisterRequest{KeyCard: []byte{1}, DeviceCert: []byte{2}, Backup: []byte{3}, OPRFSetup: []byte{4}, Role: "patient"},
			`{"key_card":"AQ==","device_cert":"Ag==","backup":"Aw==","oprf_setup":"BA==","role":"patient"}`},
		{Registered{AccountID: "a", Handle: "h", Role: "admin", DeviceID: "d", Receipts: rcs},
			`{"account_id":"a","handle":"h","role":"admin","device_id":"d","receipts":` + rcsJSON + `}`},
		{CardHistory{AccountID: "a", Cards: []Card{{Seq: 1, KeyCard: []byte{3}, Added: &now}}},
			`{"account_id":"a","cards":[{"seq":1,"key_card":"Aw==","added":"2026-01-02T03:04:05Z"}]}`},
		{CardRequest{KeyCard: []byte{1}}, `{"key_card":"AQ=="}`},
		{CardReplaced{AccountID: "a", CardSeq: 2}, `{"account_id":"a","card_seq":2,"receipts":null}`},
		{AccountStatus{AccountID: "a", Status: "suspended"}, `{"account_id":"a","status":"suspended"}`},
		{InviteRequest{Role: "clinician", TTLSeconds: 60}, `{"role":"clinician","ttl_seconds":60}`},
		{Invite{Code: "c", Role: "service", Expires: now}, `{"code":"c","role":"service","expires":"2026-01-02T03:04:05Z"}`},
		{DeviceList{AccountID: "a", Devices: []Device{{DeviceID: "d", DeviceCert: []byte{1}, Added: &now, Revocation: []byte{2}, Revoked: &now}}},
			`{"account_id":"a","devices":[{"device_id":"d","device_cert":"AQ==","added":"2026-01-02T03:04:05Z","revocation":"Ag==","revoked":"2026-01-02T03:04:05Z"}]}`},
		{EnrolRequest{DeviceCert: []byte{1}}, `{"device_cert":"AQ=="}`},
		{Enrolled{AccountID: "a", DeviceID: "d", Receipts: rcs}, `{"account_id":"a","device_id":"d","receipts":` + rcsJSON + `}`},
		{RevokeDeviceRequest{Revocation: []byte{1}}, `{"revocation":"AQ=="}`},
		{DeviceRevoked{DeviceID: "d", Receipts: rcs}, `{"device_id":"d","receipts":` + rcsJSON + `}`},
		{ChallengeRequest{AccountID: "a", DeviceID: "d"}, `{"account_id":"a","device_id":"d"}`},
		{SessionRequest{Auth: []byte{1}}, `{"auth":"AQ=="}`},
		{Session{Token: "t", IdleExpiry: now, AbsoluteExpiry: now},
			`{"token":"t","idle_expiry":"2026-01-02T03:04:05Z","absolute_expiry":"2026-01-02T03:04:05Z"}`},
		{VersionStored{ID: "i", Version: 2, HeaderHash: "h", Receipts: rcs},
			`{"id":"i","version":2,"header_hash":"h","receipts":` + rcsJSON + `}`},
		{RecordDeleted{ID: "i", Receipts: rcs}, `{"id":"i","receipts":` + rcsJSON + `}`},
		{SharingResult{ID: "i", ACLSeq: 2, ACLHash: "h", Epoch: 3, Revoked: 1, Receipts: rcs},
			`{"id":"i","acl_seq":2,"acl_hash":"h","epoch":3,"revoked":1,"receipts":` + rcsJSON + `}`},
		{LogEntries{Entries: [][]byte{{1, 2}}, From: 5}, `{"entries":["AQI="],"from":5}`},
		{Error{Error: ErrorDetail{Code: "c", Message: "m"}}, `{"error":{"code":"c","message":"m"}}`},
		{Status{Status: "ok"}, `{"status":"ok"}`},
	} {
		got, err := json.Marshal(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("json.Marshal(%T) = %s, %v; want %s", tc.v, got, err, tc.want)
		}
	}
}
