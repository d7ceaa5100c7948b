package api

// VersionStored answers a stored version (PUT /v1/records/{id}/versions/{n}).
type VersionStored struct {
	ID         string    `json:"id"`
	Version    uint64    `json:"version"`
	HeaderHash string    `json:"header_hash"`
	Receipts   []Receipt `json:"receipts"`
}

// RecordDeleted answers a deletion (DELETE /v1/records/{id}). Its fields are
// in alphabetical order, as the server wrote them from a map.
type RecordDeleted struct {
	ID       string    `json:"id"`
	Receipts []Receipt `json:"receipts"`
}

// SharingResult answers an ACL update (PUT /v1/records/{id}/acl).
type SharingResult struct {
	ID      string `json:"id"`
	ACLSeq  uint64 `json:"acl_seq"`
	ACLHash string `json:"acl_hash"`
	Epoch   uint32 `json:"epoch"`
	// Revoked counts the reader keys whose grants ended.
	Revoked  int       `json:"revoked"`
	Receipts []Receipt `json:"receipts"`
}

// LogEntries is a page of the transparency log's entries from index From
// (GET /v1/log/entries). Its fields are in alphabetical order, as the server
// wrote them from a map.
type LogEntries struct {
	Entries [][]byte `json:"entries"`
	From    int64    `json:"from"`
}
