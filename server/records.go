package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/server/store"
)

// recordRoutes registers versions, bodies, lists and deletion. Every route
// needs a session, and every record route checks access with recordAccess.
func (s *Server) recordRoutes(r *mux.Router) {
	r.HandleFunc("/records", s.authed(s.listRecords)).Methods(http.MethodGet)
	r.HandleFunc("/records/views", s.authed(s.recordViews)).Methods(http.MethodPost)
	r.HandleFunc("/records/{id}", s.authed(s.getRecord)).Methods(http.MethodGet)
	r.HandleFunc("/records/{id}", s.authed(s.deleteRecord)).Methods(http.MethodDelete)
	r.HandleFunc("/records/{id}/versions/{version}", s.authed(s.putVersion)).Methods(http.MethodPut)
	r.HandleFunc("/records/{id}/versions/{version}", s.authed(s.getVersion)).Methods(http.MethodGet)
	r.HandleFunc("/records/{id}/versions/{version}/leaves", s.authed(s.getLeaves)).Methods(http.MethodGet)
	r.HandleFunc("/records/{id}/versions/{version}/body", s.authed(s.getBody)).Methods(http.MethodGet)
}

// putVersion stores a version from a frame and a streamed body (rec_frame.go).
func (s *Server) putVersion(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := recordVar(r)
	if err != nil {
		return err
	}
	version, err := versionVar(r)
	if err != nil {
		return err
	}
	if err := requireOctetStream(r); err != nil {
		return err
	}
	maxLeaves := maxLeavesFor(s.cfg.MaxBody)
	limit := frameFixedPart + maxLeaves + s.cfg.MaxBody
	if r.ContentLength > limit {
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "request of %d bytes, limit %d", r.ContentLength, limit)
	}
	// The buffer serves the frame's small reads; body reads larger than it
	// go straight to the connection.
	in := frameReaders.Get().(*bufio.Reader)
	in.Reset(http.MaxBytesReader(w, r.Body, limit))
	defer func() {
		in.Reset(nil)
		frameReaders.Put(in)
	}()
	f, err := readFrame(in, r.ContentLength, maxLeaves)
	if err != nil {
		return err
	}
	ctx := r.Context()
	vw, h, err := s.verifyVersion(ctx, c, id, version, f)
	if err != nil {
		return err
	}
	rcs, err := s.logged(ctx, s.versionEntries(vw, h), func(ctx context.Context) error {
		return s.store.PutVersion(ctx, vw, newBodyCheck(in, h, f.Leaves))
	})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "too_large", "request over %d bytes", mbe.Limit)
		}
		if version == 1 && errors.Is(err, store.ErrConflict) {
			return s.createConflict(ctx, c, id, err)
		}
		return err
	}
	writeJSON(w, http.StatusCreated, api.VersionStored{ID: id.String(), Version: version, HeaderHash: vw.HeaderHash.String(), Receipts: rcs})
	return nil
}

// frameReaders are the buffers of versioned PUTs, reused: small writes are
// many, and a fresh buffer each is garbage to collect.
var frameReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

// requireOctetStream refuses a body that is not application/octet-stream.
func requireOctetStream(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/octet-stream" {
		return errorf(http.StatusUnsupportedMediaType, "bad_content_type", "the body must be application/octet-stream")
	}
	return nil
}

// getRecord returns the head: the current header, the current ACL and the
// caller's grants. Its owner also sees a deleted record's tombstone.
func (s *Server) getRecord(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := recordVar(r)
	if err != nil {
		return err
	}
	h, _, err := s.recordAccess(r.Context(), c, id)
	if err != nil {
		return err
	}
	return s.writeVersion(w, r, c, h, h.Version)
}

// getVersion returns one version's header with the current ACL and the
// caller's grants.
func (s *Server) getVersion(w http.ResponseWriter, r *http.Request, c *Caller) error {
	h, version, err := s.readableVersion(r, c)
	if err != nil {
		return err
	}
	return s.writeVersion(w, r, c, h, version)
}

// readableVersion parses {id} and {version} and checks that the caller may read
// the record (recordAccess; 404 otherwise) and that it is not deleted.
func (s *Server) readableVersion(r *http.Request, c *Caller) (store.Head, uint64, error) {
	id, err := recordVar(r)
	if err != nil {
		return store.Head{}, 0, err
	}
	version, err := versionVar(r)
	if err != nil {
		return store.Head{}, 0, err
	}
	h, _, err := s.liveAccess(r.Context(), c, id)
	return h, version, err
}

func (s *Server) writeVersion(w http.ResponseWriter, r *http.Request, c *Caller, h store.Head, version uint64) error {
	view, err := s.versionView(r.Context(), c, h, version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

// versionView is one version's header with the current ACL and the
// caller's grants; a deleted record's view is its tombstone.
func (s *Server) versionView(ctx context.Context, c *Caller, h store.Head, version uint64) (api.Record, error) {
	if h.IsDeleted() {
		return api.Record{
			ID: h.Record.String(), Owner: h.Owner.String(), Version: h.Version, HeaderHash: h.HeaderHash.String(),
			ACLSeq: h.ACLSeq, Deleted: true, Grants: [][]byte{}, LogSalt: s.logSalt(h.Record),
		}, nil
	}
	v, err := s.store.Version(ctx, h.Record, version)
	if err != nil {
		return api.Record{}, err
	}
	acl, err := s.store.ACL(ctx, h.Record, 0)
	if err != nil {
		return api.Record{}, err
	}
	gs, via, err := s.grantsOf(ctx, h, c.Account.ID)
	if err != nil {
		return api.Record{}, err
	}
	view := api.Record{Via: via,
		ID: h.Record.String(), Owner: h.Owner.String(), Version: v.Version, HeaderHash: v.HeaderHash.String(),
		Author: v.Author.String(), ACLSeq: acl.Seq, Header: v.Header, ACL: acl.Signed, Grants: make([][]byte, 0, len(gs)),
		LogSalt: s.logSalt(h.Record),
	}
	if !v.PrevHash.IsZero() {
		view.PrevHash = v.PrevHash.String()
	}
	for _, g := range gs {
		view.Grants = append(view.Grants, g.Signed)
	}
	if view.PriorACLs, err = s.priorACLs(ctx, h.Record, acl, v.Created); err != nil {
		return api.Record{}, err
	}
	return view, nil
}

// grantsOf returns the grants of a record the account opens: its own, or, if
// it holds none, those of the group it reads through, and that group's id.
func (s *Server) grantsOf(ctx context.Context, h store.Head, account store.AccountID) ([]store.Grant, string, error) {
	gs, err := s.store.GrantsFor(ctx, h.Record, account)
	if err != nil || len(gs) > 0 || h.Owner == account {
		return gs, "", err
	}
	group, ok, err := s.readsVia(ctx, h.Record, account, maxGroupDepth)
	if err != nil || !ok {
		return nil, "", err
	}
	gs, err = s.store.GrantsFor(ctx, h.Record, group)
	return gs, group.String(), err
}

// priorACLs returns the ACLs before cur, newest first, back to the one in
// force at written (the newest created by then), at most api.MaxPriorACLs.
func (s *Server) priorACLs(ctx context.Context, id store.RecordID, cur store.ACL, written time.Time) ([][]byte, error) {
	var out [][]byte
	// An ACL created after the version was written was not in force for it:
	// the reader needs its predecessor too.
	for seq := cur.Seq - 1; seq >= 1 && cur.Created.After(written) && len(out) < api.MaxPriorACLs; seq-- {
		prev, err := s.store.ACL(ctx, id, seq)
		if err != nil {
			return nil, err
		}
		out = append(out, prev.Signed)
		cur = prev
	}
	return out, nil
}

// getLeaves returns one version's leaf list, 32 bytes a chunk.
func (s *Server) getLeaves(w http.ResponseWriter, r *http.Request, c *Caller) error {
	h, version, err := s.readableVersion(r, c)
	if err != nil {
		return err
	}
	leaves, err := s.store.Leaves(r.Context(), h.Record, version)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(leaves)))
	w.Write(leaves)
	return nil
}

// getBody streams one version's body ciphertext, whole or one range of it.
// The read's log entry carries the client's request nonce as its Peer.
func (s *Server) getBody(w http.ResponseWriter, r *http.Request, c *Caller) error {
	nonce, err := readNonce(r)
	if err != nil {
		return err
	}
	h, version, err := s.readableVersion(r, c)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), h.Record
	v, err := s.store.Version(ctx, id, version)
	if err != nil {
		return err
	}
	off, n, partial, err := parseRange(r.Header.Get("Range"), v.BodySize)
	var re *errRange
	if errors.As(err, &re) {
		writeRangeError(w, re)
		return nil
	}
	body, err := s.store.OpenBody(ctx, id, version, off, n)
	if err != nil {
		return err
	}
	defer body.Close()
	// The read is logged, and durable, before a byte is served.
	read := s.entry(auditlog.BodyRead, id)
	read.Actor, read.Peer, read.Object, read.Number = s.actor(id, c.Account.ID), nonce, v.HeaderHash, version
	rcs, err := s.appendLog(ctx, read)
	if err != nil {
		return err
	}
	s.alerts.read(c.Account.ID, h.Owner)
	if err := setReceiptHeader(w, rcs[0]); err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(n, 10))
	hd.Set("Accept-Ranges", "bytes")
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		hd.Set("Content-Range", "bytes "+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(off+n-1, 10)+"/"+strconv.FormatInt(v.BodySize, 10))
	}
	w.WriteHeader(status)
	buf := make([]byte, 256<<10)
	if _, err := io.CopyBuffer(w, body, buf); err != nil && ctx.Err() == nil {
		// The status is sent; the short body tells the client, whose
		// leaf checks would catch anything else.
		s.log.WarnContext(ctx, "body stream cut", slog.String("err", err.Error()))
	}
	return nil
}

// listRecords pages through the caller's own records (tombstones included).
func (s *Server) listRecords(w http.ResponseWriter, r *http.Request, c *Caller) error {
	after, limit, err := pageQuery(r.URL.Query())
	if err != nil {
		return err
	}
	hs, err := s.store.OwnedRecords(r.Context(), c.Account.ID, store.RecordID(after), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newListView(hs, limit))
	return nil
}

// deleteRecord deletes a record, owner only. The body is empty or the owner's
// tombstone chain item (u64 seq ‖ entry), appended in the same transaction.
func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := recordVar(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	h, role, err := s.liveAccess(ctx, c, id)
	if err != nil {
		return err
	}
	if role != roleOwner {
		return errorf(http.StatusForbidden, "not_owner", "only the owner deletes a record")
	}
	item, err := readChainBody(w, r)
	if err != nil {
		return err
	}
	d := store.Deletion{Record: id, Owner: c.Account.ID, Deleted: s.now()}
	if item != nil {
		d.Chain = []store.ChainEntry{{Account: c.Account.ID, Seq: item.Seq, Entry: item.Entry}}
	}
	del := s.entry(auditlog.RecordDeleted, id)
	del.Actor, del.Number = s.actor(id, c.Account.ID), h.Version
	rcs, err := s.logged(ctx, append([]*auditlog.Entry{del}, s.chainEntries(d.Chain)...), func(ctx context.Context) error {
		return s.store.DeleteRecord(ctx, d)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.RecordDeleted{ID: id.String(), Receipts: rcs})
	return nil
}

// readChainBody reads an octet-stream body holding one chain item, or none.
func readChainBody(w http.ResponseWriter, r *http.Request) (*chainItem, error) {
	if r.ContentLength > maxChainItem {
		return nil, errorf(http.StatusRequestEntityTooLarge, "too_large", "body over %d bytes", maxChainItem)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxChainItem))
	if err != nil {
		return nil, frameReadError(err, "chain item")
	}
	if len(b) == 0 {
		return nil, nil
	}
	if err := requireOctetStream(r); err != nil {
		return nil, err
	}
	return parseChainItem(b)
}
