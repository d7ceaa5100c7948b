package server

import (
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// JSON views of records. Ids and hashes are lowercase hex; signed objects are
// standard base64 (encoding/json's []byte), to be parsed and verified by the
// client: the server's word on any of them is worth nothing.

// recordView is a record at one version with the ACL in force and the
// caller's own grants.
type recordView struct {
	ID         string   `json:"id"`
	Owner      string   `json:"owner"`
	Version    uint64   `json:"version"`
	HeaderHash string   `json:"header_hash"`
	PrevHash   string   `json:"prev_hash,omitempty"`
	Author     string   `json:"author,omitempty"`
	ACLSeq     uint64   `json:"acl_seq"`
	Deleted    bool     `json:"deleted"`
	Header     []byte   `json:"header,omitempty"`
	ACL        []byte   `json:"acl,omitempty"`
	Grants     [][]byte `json:"grants"`
	// LogSalt names people in the record's log entries; only those who may
	// read the record see it.
	LogSalt []byte `json:"log_salt,omitempty"`
}

// headView is a record in a list.
type headView struct {
	ID         string     `json:"id"`
	Owner      string     `json:"owner"`
	Version    uint64     `json:"version"`
	HeaderHash string     `json:"header_hash"`
	ACLSeq     uint64     `json:"acl_seq"`
	Created    time.Time  `json:"created"`
	Updated    time.Time  `json:"updated"`
	Deleted    *time.Time `json:"deleted,omitempty"`
}

func newHeadView(h store.Head) headView {
	v := headView{
		ID: h.Record.String(), Owner: h.Owner.String(), Version: h.Version,
		HeaderHash: h.HeaderHash.String(), ACLSeq: h.ACLSeq, Created: h.Created.UTC(), Updated: h.Updated.UTC(),
	}
	if h.IsDeleted() {
		d := h.Deleted.UTC()
		v.Deleted = &d
	}
	return v
}

// listView is one page of records; Next, when set, is the after= of the next
// page.
type listView struct {
	Records []headView `json:"records"`
	Next    string     `json:"next,omitempty"`
}

func newListView(hs []store.Head, limit int) listView {
	v := listView{Records: make([]headView, 0, len(hs))}
	for _, h := range hs {
		v.Records = append(v.Records, newHeadView(h))
	}
	if len(hs) == limit && limit > 0 {
		v.Next = hs[len(hs)-1].Record.String()
	}
	return v
}

// aclView is one ACL of a record.
type aclView struct {
	Record  string    `json:"record"`
	Seq     uint64    `json:"seq"`
	Hash    string    `json:"hash"`
	ACL     []byte    `json:"acl"`
	Created time.Time `json:"created"`
}

func newACLView(id store.RecordID, a store.ACL) aclView {
	return aclView{Record: id.String(), Seq: a.Seq, Hash: a.Hash.String(), ACL: a.Signed, Created: a.Created.UTC()}
}
