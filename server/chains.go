package server

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/server/store"
)

// Account chains are hash-chained logs of owner-signed entries
// (docs/spec/client-v1.md §3; docs/decisions.md, "Account chains are signed by
// the client; the server only orders them").
// The server cannot check an entry's meaning, only its size and its place:
// each append takes the next seq or fails with 412. Any authenticated account
// may read any chain: entries hold no content, and reading another's chain is
// how a client detects records hidden from it.

// chainRoutes registers the account-chain routes.
func (s *Server) chainRoutes(r *mux.Router) {
	r.HandleFunc("/chains/{account}", s.authed(s.appendChain)).Methods(http.MethodPost)
	r.HandleFunc("/chains/{account}", s.authed(s.readChain)).Methods(http.MethodGet)
}

// decodeChainRequest reads the body of an append: {seq, entry}.
func decodeChainRequest(w http.ResponseWriter, r *http.Request) (*chainItem, error) {
	var req api.ChainItem
	if err := decodeJSON(w, r, &req); err != nil {
		return nil, err
	}
	return chainItemOf(&req)
}

// appendChain appends one entry to the caller's own chain.
func (s *Server) appendChain(w http.ResponseWriter, r *http.Request, c *Caller) error {
	acct, err := accountVar(r)
	if err != nil {
		return err
	}
	if acct != c.Account.ID {
		return errorf(http.StatusForbidden, "not_owner", "only an account appends to its own chain")
	}
	item, err := decodeChainRequest(w, r)
	if err != nil {
		return err
	}
	e := store.ChainEntry{Account: acct, Seq: item.Seq, Entry: item.Entry}
	rcs, err := s.logged(r.Context(), s.chainEntries([]store.ChainEntry{e}), func(ctx context.Context) error {
		return s.store.AppendChain(ctx, e)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, api.ChainAppended{Seq: e.Seq, Receipts: rcs})
	return nil
}

// readChain returns the entries of a chain from ?from=N (default 1), at most
// ?limit=N (default 100, at most 1000).
func (s *Server) readChain(w http.ResponseWriter, r *http.Request, c *Caller) error {
	acct, err := accountVar(r)
	if err != nil {
		return err
	}
	if err := s.deletedAccount(r.Context(), c, acct); err != nil {
		return err
	}
	q := r.URL.Query()
	from := uint64(1)
	if v := q.Get("from"); v != "" {
		if from, err = parseUint("from", v, 1); err != nil {
			return err
		}
	}
	limit, err := limitQuery(q)
	if err != nil {
		return err
	}
	es, err := s.store.Chain(r.Context(), acct, from, limit)
	if err != nil {
		return err
	}
	view := api.ChainPage{Account: acct.String(), Entries: make([]api.ChainItem, 0, len(es))}
	for _, e := range es {
		view.Entries = append(view.Entries, api.ChainItem{Seq: e.Seq, Entry: e.Entry})
	}
	if len(es) == limit {
		view.Next = es[len(es)-1].Seq + 1
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}
