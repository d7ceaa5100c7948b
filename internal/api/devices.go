package api

import "time"

// Device is one device of an account, revoked ones with their signed
// revocation.
type Device struct {
	DeviceID   string     `json:"device_id"`
	DeviceCert []byte     `json:"device_cert"`
	Added      *time.Time `json:"added,omitempty"`
	Revocation []byte     `json:"revocation,omitempty"`
	Revoked    *time.Time `json:"revoked,omitempty"`
	// LastSeen (the device's last login) is shown to the account itself
	// only, on GET /v1/devices.
	LastSeen *time.Time `json:"last_seen,omitempty"`
}

// DeviceList is an account's devices (GET /v1/accounts/{id}/devices). Its
// fields are in alphabetical order, as the server wrote them from a map.
type DeviceList struct {
	AccountID string   `json:"account_id"`
	Devices   []Device `json:"devices"`
}

// EnrolRequest is the body of POST /v1/devices: a device certificate signed
// by the account's current identity key.
type EnrolRequest struct {
	DeviceCert []byte `json:"device_cert"`
	// EnrolTicket is the ticket of a backup release: without a session, an
	// account with a second factor enrols a device only with one.
	EnrolTicket []byte `json:"enrol_ticket,omitempty"`
}

// Enrolled answers an enrolment.
type Enrolled struct {
	AccountID string    `json:"account_id"`
	DeviceID  string    `json:"device_id"`
	Receipts  []Receipt `json:"receipts"`
}

// RevokeDeviceRequest is the body of POST /v1/devices/{device}/revoke: a signed
// device revocation.
type RevokeDeviceRequest struct {
	Revocation []byte `json:"revocation"`
}

// DeviceRevoked answers a device revocation. Its fields are in alphabetical
// order, as the server wrote them from a map.
type DeviceRevoked struct {
	DeviceID string    `json:"device_id"`
	Receipts []Receipt `json:"receipts"`
}
