package server

import (
	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/server/store"
)

// JSON views of records. Ids and hashes are lowercase hex; signed objects are
// standard base64 (encoding/json's []byte), to be parsed and verified by the
// client: the server's word on any of them is worth nothing.

func newHeadView(h store.Head) api.Head {
	v := api.Head{
		ID: h.Record.String(), Owner: h.Owner.String(), Version: h.Version,
		HeaderHash: h.HeaderHash.String(), ACLSeq: h.ACLSeq, Created: h.Created.UTC(), Updated: h.Updated.UTC(),
	}
	if h.IsDeleted() {
		d := h.Deleted.UTC()
		v.Deleted = &d
	}
	return v
}

func newListView(hs []store.Head, limit int) api.RecordList {
	v := api.RecordList{Records: make([]api.Head, 0, len(hs))}
	for _, h := range hs {
		v.Records = append(v.Records, newHeadView(h))
	}
	if len(hs) == limit && limit > 0 {
		v.Next = hs[len(hs)-1].Record.String()
	}
	return v
}

func newACLView(id store.RecordID, a store.ACL) api.ACL {
	return api.ACL{Record: id.String(), Seq: a.Seq, Hash: a.Hash.String(), ACL: a.Signed, Created: a.Created.UTC()}
}
