package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// Restore copies a snapshot to a temporary file, checks it, and swaps it in.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	s.restoreMu.Lock()
	defer s.restoreMu.Unlock()
	tmp := s.restorePath()
	if err := s.writeRestoreFile(ctx, tmp, r); err != nil {
		return fmt.Errorf("restore: %w", errors.Join(err, removeIfExists(tmp)))
	}
	if err := s.c.exclusive(ctx, func() error { return s.swap(tmp, true) }); err != nil {
		return fmt.Errorf("restore: %w", errors.Join(err, removeIfExists(tmp)))
	}
	return nil
}

func (s *Store) writeRestoreFile(ctx context.Context, tmp string, r io.Reader) error {
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	if err := checkBoltFile(tmp); err != nil {
		return err
	}
	db, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	// A snapshot of an older schema is migrated first; a file that is not a
	// blindvault store at all is refused before anything is added to it.
	err = db.View(knownSchema)
	if err == nil {
		err = prepareSchema(db)
	}
	if err == nil {
		err = db.View(checkTx)
	}
	return errors.Join(err, db.Close())
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// errBadSnapshot is returned for a snapshot that is cut short or is not a
// bbolt file.
var errBadSnapshot = errors.New("bolt: not a complete snapshot")

// checkBoltFile checks a snapshot's first meta page and its length before
// bbolt opens it: bbolt trusts its file and panics, in a goroutine no caller
// can recover, on pages that are missing or foreign. This catches truncated
// and foreign files; a snapshot corrupted in the middle can still crash
// Restore, so store snapshots with a checksum.
func checkBoltFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var meta [16 + 64]byte
	if _, err := io.ReadFull(f, meta[:]); err != nil {
		return fmt.Errorf("meta page: %w", errBadSnapshot)
	}
	m := meta[16:]            // after the page header
	le := binary.NativeEndian // bbolt writes its pages in host order
	h := fnv.New64a()
	h.Write(m[:56])
	pageSize := int64(le.Uint32(m[8:]))
	root, pgid := le.Uint64(m[16:]), le.Uint64(m[40:])
	switch {
	case le.Uint32(m[0:]) != 0xED0CDAED || le.Uint32(m[4:]) != 2:
		return fmt.Errorf("no bbolt magic: %w", errBadSnapshot)
	case le.Uint64(m[56:]) != h.Sum64():
		return fmt.Errorf("meta checksum: %w", errBadSnapshot)
	case pageSize < 512 || pageSize > 1<<20 || pageSize&(pageSize-1) != 0:
		return fmt.Errorf("page size %d: %w", pageSize, errBadSnapshot)
	case pgid < 3 || root < 2 || root >= pgid || pgid > uint64(st.Size()/pageSize):
		return fmt.Errorf("%d bytes for %d pages of %d: %w", st.Size(), pgid, pageSize, errBadSnapshot)
	}
	var page [16]byte
	if _, err := f.ReadAt(page[:], int64(root)*pageSize); err != nil {
		return fmt.Errorf("root page: %w", errBadSnapshot)
	}
	if le.Uint64(page[:]) != root || (le.Uint16(page[8:]) != 0x01 && le.Uint16(page[8:]) != 0x02) {
		return fmt.Errorf("root page %d: %w", root, errBadSnapshot)
	}
	return nil
}
