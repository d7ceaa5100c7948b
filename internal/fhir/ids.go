package fhir

import (
	"crypto/sha256"
	"fmt"
)

// resourceID is the id of the resource of the given kind that an export
// writes for a record: a UUID (RFC 9562 version 8) made from a hash of the
// record id, so that exporting twice gives the same ids and fullUrls.
func resourceID(record [32]byte, kind string) string {
	h := sha256.New()
	h.Write([]byte("blindvault.v1 fhir-id\x00"))
	h.Write(record[:])
	h.Write([]byte(kind))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // variant 10
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// fullURL is how a bundle entry names a resource that has no server address.
func fullURL(id string) string { return "urn:uuid:" + id }
