package server

import (
	"errors"
	"net/http"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/server/store"
)

// recordViews answers the views of up to api.MaxViews records in one request,
// each as getRecord gives it: a list's changed records cost one request per
// two hundred, not one each. A record the caller may not read is left out, as
// getRecord's 404 would say nothing more.
func (s *Server) recordViews(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in api.ViewsRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.IDs) > api.MaxViews {
		return errorf(http.StatusBadRequest, "too_many", "at most %d records per request", api.MaxViews)
	}
	out := api.Views{Records: make([]api.Record, 0, len(in.IDs))}
	for _, raw := range in.IDs {
		id, err := parseID("record id", raw)
		if err != nil {
			return err
		}
		h, _, err := s.recordAccess(r.Context(), c, store.RecordID(id))
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		view, err := s.versionView(r.Context(), c, h, h.Version)
		if err != nil {
			return err
		}
		out.Records = append(out.Records, view)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
