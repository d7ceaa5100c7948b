package server

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/blindvault/blindvault/internal/atomicfile"
	"github.com/blindvault/blindvault/server/store"
)

// BootstrapFile is the name, in the data directory, of the file that holds the
// first admin invite.
const BootstrapFile = "bootstrap-invite"

// bootstrapMarker is the store entry (in the secrets bucket, though it holds
// nothing secret: the time it was made) that records that the bootstrap invite
// was made, so that it is made once per store, not once per data directory or
// per start. A snapshot carries it, so a restored store makes none either.
const bootstrapMarker = "bootstrap-invite"

// bootstrapTTL is the bootstrap invite's lifetime. It is valid until it is
// used: no admin can make another invite before it is, so one that expired
// unused would leave the server without a way to make an admin.
const bootstrapTTL = 100 * 365 * 24 * time.Hour

// Bootstrap makes the first admin invite of a new store and writes its code to
// dataDir/bootstrap-invite with mode 0600. It does nothing (created = false)
// if the store already made one: admins make every later invite. Delete the
// file once the admin account is registered.
//
// The steps are ordered for crashes: the invite is stored, then the file is
// written (atomically, by rename), then the marker. A crash before the marker
// makes a fresh invite and file at the next start; the lost code was never
// shown to anyone.
func (s *Server) Bootstrap(ctx context.Context, dataDir string) (created bool, err error) {
	switch _, err := s.store.Secret(ctx, bootstrapMarker); {
	case err == nil:
		return false, nil
	case !isNotFound(err):
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	code, hash := s.newInviteCode()
	now := s.now()
	inv := store.Invite{CodeHash: hash, Role: store.RoleAdmin, Created: now, Expires: now.Add(bootstrapTTL)}
	if err := s.store.PutInvite(ctx, inv); err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	if err := writeSecretFile(filepath.Join(dataDir, BootstrapFile), []byte(code+"\n")); err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	if err := s.store.PutSecret(ctx, bootstrapMarker, []byte(now.UTC().Format(time.RFC3339))); err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	return true, nil
}

// writeSecretFile writes data to path with mode 0600, durably.
func writeSecretFile(path string, data []byte) error { return atomicfile.Write(path, data, 0o600) }
