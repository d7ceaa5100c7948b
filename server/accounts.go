package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/backupwire"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// Accounts and the key directory.
//
//	POST /v1/accounts                      registration (public)
//	GET  /v1/accounts/{id}                 current card, role, status
//	GET  /v1/accounts/{id}/cards?from=N    card history
//	GET  /v1/accounts/{id}/devices         device certificates and revocations
//	PUT  /v1/accounts/{id}/card            successor card (own account only)
//	GET  /v1/directory/{handle}            lookup by handle, with card history
//	POST /v1/devices                       enrol a device (ident_devices.go)
//	POST /v1/devices/{device}/revoke       revoke a device (ident_devices.go)
//
// Everything the directory returns is public material that clients verify
// themselves; the server checks signatures only to refuse garbage.
func (s *Server) accountRoutes(r *mux.Router) {
	id := "/accounts/{id:" + identHexPattern + "}"
	r.HandleFunc("/accounts", s.public(s.postAccount)).Methods(http.MethodPost)
	r.HandleFunc(id, s.authed(s.getAccount)).Methods(http.MethodGet)
	r.HandleFunc(id+"/cards", s.authed(s.getCards)).Methods(http.MethodGet)
	r.HandleFunc(id+"/devices", s.authed(s.getDevices)).Methods(http.MethodGet)
	r.HandleFunc(id+"/card", s.authed(s.putCard)).Methods(http.MethodPut)
	// Public: a new device knows only its handle until the backup is released.
	r.HandleFunc("/directory/{handle}", s.public(s.getDirectory)).Methods(http.MethodGet)
	r.HandleFunc("/devices", s.public(s.postDevice)).Methods(http.MethodPost)
	r.HandleFunc("/devices", s.authed(s.getOwnDevices)).Methods(http.MethodGet)
	r.HandleFunc("/devices/{device:"+identHexPattern+"}/revoke", s.authed(s.postRevokeDevice)).Methods(http.MethodPost)
}

// postAccount registers an account: its first key card (self-signed, seq 1),
// a first device certified by that card, the key-backup blob and the OPRF
// set-up. Patients may register themselves unless Config.NoPatientSignup;
// every other role, and patients then, need an invite for that role, which is
// used up in the same transaction that creates the account.
func (s *Server) postAccount(w http.ResponseWriter, r *http.Request) error {
	var req api.RegisterRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	role := store.Role(req.Role)
	if role == "" {
		role = store.RolePatient
	}
	if !role.Valid() {
		return identBadRequest("bad_role", "role is not patient, clinician, service or admin")
	}
	card, err := format.ParseKeyCard(req.KeyCard)
	if err != nil {
		return identBadRequest("bad_key_card", "key card: %v", err)
	}
	if card.Seq != 1 {
		return identBadRequest("bad_key_card", "a new account's key card has seq 1")
	}
	if card.AccountID == [32]byte{} {
		return identBadRequest("bad_key_card", "the account id is zero")
	}
	if !validHandle(card.Handle) {
		return identBadRequest("bad_handle", "handle: %s", handleRule)
	}
	cert, err := format.ParseDeviceCert(req.DeviceCert)
	if err != nil {
		return identBadRequest("bad_device_cert", "device certificate: %v", err)
	}
	now := s.now()
	if err := checkDeviceCert(cert, card, now); err != nil {
		return err
	}
	if len(req.Backup) == 0 {
		return identBadRequest("bad_backup", "backup is required")
	}
	if _, _, err := backupwire.ParseOPRFSetup(req.OPRFSetup); err != nil {
		return identBadRequest("bad_oprf_setup", "%v", err)
	}
	acct := store.NewAccount{
		ID:        store.AccountID(card.AccountID),
		Handle:    card.Handle,
		Role:      role,
		KeyCard:   store.KeyCard{Seq: 1, Signed: req.KeyCard, Added: now},
		Device:    store.Device{ID: store.DeviceID(cert.DevicePK), Cert: req.DeviceCert, Added: now},
		Backup:    req.Backup,
		OPRFSetup: req.OPRFSetup,
		Created:   now,
	}
	switch {
	case req.Invite != "":
		h, ok := s.parseInviteCode(req.Invite)
		if !ok {
			return errBadInvite
		}
		acct.Invite = &h
	case role != store.RolePatient || s.cfg.NoPatientSignup:
		return errorf(http.StatusForbidden, "invite_required", "registering as %s needs an invite", role)
	}
	entries := []*auditlog.Entry{s.cardEntry(card), s.deviceEntry(cert)}
	rcs, err := s.logged(r.Context(), entries, func(ctx context.Context) error { return s.store.CreateAccount(ctx, acct) })
	switch {
	case err == nil:
	case isNotFound(err):
		return errBadInvite
	case errors.Is(err, store.ErrExists):
		if _, herr := s.store.AccountByHandle(r.Context(), acct.Handle); herr == nil {
			return errorf(http.StatusConflict, "handle_taken", "the handle is taken")
		}
		return errorf(http.StatusConflict, "account_exists", "the account id is taken")
	default:
		return fmt.Errorf("register: %w", err)
	}
	writeJSON(w, http.StatusCreated, api.Registered{
		AccountID: acct.ID.String(), Handle: acct.Handle, Role: string(acct.Role), DeviceID: acct.Device.ID.String(), Receipts: rcs,
	})
	return nil
}

var errBadInvite = errorf(http.StatusForbidden, "bad_invite", "the invite is unknown, used, expired or for another role")

// handleRule is the server's rule for handles, stricter than the card
// format's: one spelling per name, so that "Alice", "alice" and a look-alike
// in another script cannot be three accounts in the directory.
const handleRule = "1..64 characters from a-z, 0-9 and . _ - @, starting with a letter or digit"

func validHandle(h string) bool {
	if len(h) == 0 || len(h) > format.MaxHandleSize {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-' || c == '@'):
		default:
			return false
		}
	}
	return true
}

func viewAccount(a store.Account) api.Account {
	return api.Account{
		AccountID: a.ID.String(), Handle: a.Handle, Role: string(a.Role), Status: string(a.Status),
		CardSeq: a.KeyCard.Seq, KeyCard: a.KeyCard.Signed, Created: identTime(a.Created),
	}
}

func viewCards(cards []store.KeyCard) []api.Card {
	out := make([]api.Card, len(cards))
	for i, c := range cards {
		out[i] = api.Card{Seq: c.Seq, KeyCard: c.Signed, Added: identTime(c.Added)}
	}
	return out
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := identPathAccount(r)
	if err != nil {
		return err
	}
	if err := s.deletedAccount(r.Context(), c, id); err != nil {
		return err
	}
	a, err := s.store.Account(r.Context(), id)
	if err != nil {
		return fmt.Errorf("get account: %w", err)
	}
	writeJSON(w, http.StatusOK, viewAccount(a))
	return nil
}

func (s *Server) getDirectory(w http.ResponseWriter, r *http.Request) error {
	handle := mux.Vars(r)["handle"]
	if !validHandle(handle) {
		return errNotFound
	}
	a, err := s.store.AccountByHandle(r.Context(), handle)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	cards, err := s.store.KeyCards(r.Context(), a.ID, 1)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	v := viewAccount(a)
	v.Cards = viewCards(cards)
	if err := s.deletingStatus(r.Context(), &v, a.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) getCards(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := identPathAccount(r)
	if err != nil {
		return err
	}
	if err := s.deletedAccount(r.Context(), c, id); err != nil {
		return err
	}
	from := uint64(1)
	if q := r.URL.Query().Get("from"); q != "" {
		n, err := strconv.ParseUint(q, 10, 64)
		if err != nil || n == 0 {
			return identBadRequest("bad_from", "from is not a number ≥ 1")
		}
		from = n
	}
	cards, err := s.store.KeyCards(r.Context(), id, from)
	if err != nil {
		return fmt.Errorf("key cards: %w", err)
	}
	writeJSON(w, http.StatusOK, api.CardHistory{AccountID: id.String(), Cards: viewCards(cards)})
	return nil
}

// getDevices lists an account's devices, revoked ones with their signed
// revocations. Device keys only sign sessions: a record header signed by one
// is refused (format-v1 §2.7), so readers do not need these to verify records.
func (s *Server) getDevices(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	id, err := identPathAccount(r)
	if err != nil {
		return err
	}
	return s.writeDevices(w, r, id, false)
}

// getOwnDevices lists the caller's own devices, with when each last logged
// in: GET /v1/devices. Only the account sees that; the public list above is
// the same for everyone.
func (s *Server) getOwnDevices(w http.ResponseWriter, r *http.Request, c *Caller) error {
	return s.writeDevices(w, r, c.Account.ID, true)
}

func (s *Server) writeDevices(w http.ResponseWriter, r *http.Request, id store.AccountID, lastSeen bool) error {
	devs, err := s.store.Devices(r.Context(), id)
	if err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	out := make([]api.Device, len(devs))
	for i, d := range devs {
		out[i] = api.Device{DeviceID: d.ID.String(), DeviceCert: d.Cert, Added: identTime(d.Added),
			Revocation: d.Revocation, Revoked: identTime(d.Revoked)}
		if lastSeen {
			out[i].LastSeen = identTime(d.LastSeen)
		}
	}
	writeJSON(w, http.StatusOK, api.DeviceList{AccountID: id.String(), Devices: out})
	return nil
}

// putCard stores the successor of the caller's current key card: seq + 1,
// naming the current card's hash, self-signed and endorsed by the current
// identity key. The handle cannot change: the directory is keyed by it.
func (s *Server) putCard(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := identPathAccount(r)
	if err != nil {
		return err
	}
	if id != c.Account.ID {
		return errForbidden
	}
	var req api.CardRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	next, err := format.ParseKeyCard(req.KeyCard)
	if err != nil {
		return identBadRequest("bad_key_card", "key card: %v", err)
	}
	cur, err := parseStoredCard(c.Account)
	if err != nil {
		return fmt.Errorf("put card: %w", err)
	}
	if err := next.VerifySuccessor(cur); err != nil {
		return identBadRequest("bad_key_card", "not a successor of the current card: %v", err)
	}
	if next.Handle != c.Account.Handle {
		return identBadRequest("bad_key_card", "a successor card keeps the handle")
	}
	rcs, err := s.logged(r.Context(), []*auditlog.Entry{s.cardEntry(next)}, func(ctx context.Context) error {
		return s.store.UpdateKeyCard(ctx, id, store.KeyCard{Seq: next.Seq, Signed: req.KeyCard, Added: s.now()})
	})
	if err != nil {
		return fmt.Errorf("put card: %w", err)
	}
	writeJSON(w, http.StatusOK, api.CardReplaced{AccountID: id.String(), CardSeq: next.Seq, Receipts: rcs})
	return nil
}
