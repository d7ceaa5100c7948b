package server

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/server/store"
)

// identHexPattern is the mux pattern of a 32-byte id in a URL: lowercase hex.
const identHexPattern = "[0-9a-f]{64}"

// identHex32 decodes a 32-byte id written as 64 lowercase hex digits, the only
// form ids take in URLs and JSON (parseID).
func identHex32(s string) ([32]byte, bool) {
	id, err := parseID("id", s)
	return id, err == nil
}

// identPathAccount is the {id} of the route, an account id.
func identPathAccount(r *http.Request) (store.AccountID, error) {
	id, ok := identHex32(mux.Vars(r)["id"])
	if !ok {
		return store.AccountID{}, errNotFound
	}
	return store.AccountID(id), nil
}

// identPathDevice is the {device} of the route, a device id.
func identPathDevice(r *http.Request) (store.DeviceID, error) {
	id, ok := identHex32(mux.Vars(r)["device"])
	if !ok {
		return store.DeviceID{}, errNotFound
	}
	return store.DeviceID(id), nil
}

// identBadRequest is a 400 with a stable code.
func identBadRequest(code, format string, a ...any) error {
	return errorf(http.StatusBadRequest, code, format, a...)
}

// identTime is how times appear in responses: RFC 3339 in UTC, or omitted
// when zero.
func identTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
