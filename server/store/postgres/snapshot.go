package postgres

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// A snapshot is a magic line naming the schema version, then one section per
// table in the order of tables ('T', the name, then its rows in PostgreSQL's
// binary COPY format), then one section per body kept in the blob store
// ('B', its key, its bytes), then 'E' and the SHA-256 of everything before
// it. A section's data is framed: a u32 length and that many bytes, ended by
// a zero length. Restore checks the whole snapshot before it changes
// anything.
//
// log_head's edge is left out: it is derived from log_hashes, and the first
// append after a restore sets it again. So schemas snapshotSince to the
// current one write the same sections, and Restore takes a snapshot of any.

const snapshotMagic = "blindvault.store.postgres.snapshot schema "

// snapshotSince is the oldest schema version whose snapshots Restore takes:
// the last migration that changed a snapshotted table's columns is 5's.
const snapshotSince = 5

// snapshotColumns names the columns a snapshot holds of the tables it does
// not copy whole.
var snapshotColumns = map[string]string{"log_head": "one, size"}

const maxFrame = 1 << 20

func (s *Store) Snapshot(ctx context.Context, w io.Writer) (int64, error) {
	sw := &snapWriter{w: bufio.NewWriterSize(w, 256<<10), h: sha256.New()}
	var blobs []snapBlob
	err := s.read(ctx, "snapshot", func(tx pgx.Tx) error {
		sw.raw([]byte(snapshotMagic + strconv.Itoa(len(migrations)) + "\n"))
		for _, t := range tables {
			sw.header('T', t)
			sql := `COPY ` + t + ` TO STDOUT (FORMAT binary)`
			if cols, ok := snapshotColumns[t]; ok {
				sql = `COPY (SELECT ` + cols + ` FROM ` + t + `) TO STDOUT (FORMAT binary)`
			}
			switch t {
			case "body_chunks": // only the bodies of versions, not of uploads
				sql = `COPY (SELECT c.* FROM body_chunks c JOIN versions v ON v.body_id = c.body AND NOT v.body_blob ORDER BY c.body, c.n) TO STDOUT (FORMAT binary)`
			case "uploads":
				sql = `COPY (SELECT * FROM uploads WHERE false) TO STDOUT (FORMAT binary)`
			}
			if _, err := tx.Conn().PgConn().CopyTo(ctx, sw, sql); err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			if err := sw.end(); err != nil {
				return err
			}
		}
		rows, _ := tx.Query(ctx, `SELECT body_id, body_size FROM versions WHERE body_blob ORDER BY body_id`)
		var id []byte
		var size int64
		_, err := pgx.ForEachRow(rows, []any{&id, &size}, func() error {
			blobs = append(blobs, snapBlob{blobKey(id), size})
			return nil
		})
		return err
	})
	if err != nil {
		return sw.n, err
	}
	// Bodies in the blob store are never rewritten: reading them after the
	// database snapshot gives the bodies it names (unless one was deleted
	// meanwhile, which fails the snapshot).
	for _, b := range blobs {
		if err := s.snapshotBlob(ctx, sw, b); err != nil {
			return sw.n, fmt.Errorf("snapshot: %w", err)
		}
	}
	sw.raw([]byte{'E'})
	sw.raw(sw.h.Sum(nil))
	if sw.err == nil {
		sw.err = sw.w.Flush()
	}
	if sw.err != nil {
		return sw.n, fmt.Errorf("snapshot: %w", sw.err)
	}
	return sw.n, nil
}

// snapBlob is a body in the blob store that a snapshot copies.
type snapBlob struct {
	key  string
	size int64
}

func (s *Store) snapshotBlob(ctx context.Context, sw *snapWriter, b snapBlob) error {
	sw.header('B', b.key)
	rc, err := s.blobs.Open(ctx, b.key, 0, b.size)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(sw, rc); err != nil {
		return err
	}
	return sw.end()
}

// snapWriter frames what is written to it and hashes everything.
type snapWriter struct {
	w   *bufio.Writer
	h   hash.Hash
	n   int64
	err error
}

func (sw *snapWriter) raw(b []byte) {
	if sw.err != nil {
		return
	}
	sw.h.Write(b)
	m, err := sw.w.Write(b)
	sw.n += int64(m)
	sw.err = err
}

func (sw *snapWriter) header(tag byte, name string) {
	sw.raw([]byte{tag, byte(len(name) >> 8), byte(len(name))})
	sw.raw([]byte(name))
}

func (sw *snapWriter) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		n := min(len(rest), maxFrame)
		sw.raw(binary.BigEndian.AppendUint32(nil, uint32(n)))
		sw.raw(rest[:n])
		rest = rest[n:]
	}
	return len(p), sw.err
}

func (sw *snapWriter) end() error {
	sw.raw([]byte{0, 0, 0, 0})
	return sw.err
}

var errBadSnapshot = errors.New("not a snapshot of this backend and schema, or a damaged one")

// Restore replaces the store's content with a snapshot. The snapshot is
// copied to a temporary file and checked whole first; then one transaction
// empties every table and copies the snapshot's rows in, after its bodies
// went to the blob store. Blobs that nothing names afterwards are deleted.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	defer s.forgetLog()
	f, err := os.CreateTemp("", "blindvault-restore-*")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := copyChecked(f, r); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	sr := &snapReader{r: bufio.NewReaderSize(f, 256<<10)}
	if err := sr.magic(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	err = s.unlogged(ctx, "restore", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `TRUNCATE `+joinTables()); err != nil {
			return err
		}
		for _, t := range tables {
			if err := sr.expect('T', t); err != nil {
				return err
			}
			into := t
			if cols, ok := snapshotColumns[t]; ok {
				into = t + ` (` + cols + `)`
			}
			if _, err := tx.Conn().PgConn().CopyFrom(ctx, sr.frames(), `COPY `+into+` FROM STDIN (FORMAT binary)`); err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
		}
		for {
			tag, key, err := sr.header()
			if err != nil {
				return err
			}
			if tag == 'E' {
				return sr.trailer()
			}
			if tag != 'B' || s.blobs == nil {
				return fmt.Errorf("section %q: %w", tag, errBadSnapshot)
			}
			if _, err := s.blobs.Put(ctx, key, sr.frames()); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return err
	}
	if s.blobs != nil {
		if err := s.sweepOrphans(ctx, time.Now().Add(time.Hour)); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	return nil
}

func joinTables() string {
	var b bytes.Buffer
	for i, t := range tables {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t)
	}
	return b.String()
}

// copyChecked copies a snapshot to f and checks its trailing hash, so that a
// truncated or altered snapshot is refused before Restore changes anything.
// The restore transaction checks the structure as it reads.
func copyChecked(f *os.File, r io.Reader) error {
	n, err := io.Copy(f, r)
	if err != nil {
		return err
	}
	if n < int64(len(snapshotMagic))+sha256.Size+1 {
		return errBadSnapshot
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.CopyN(h, f, n-sha256.Size); err != nil {
		return err
	}
	sum := make([]byte, sha256.Size)
	if _, err := io.ReadFull(f, sum); err != nil {
		return err
	}
	if !bytes.Equal(sum, h.Sum(nil)) {
		return errBadSnapshot
	}
	return nil
}

// snapReader reads a snapshot's sections.
type snapReader struct {
	r *bufio.Reader
}

func (sr *snapReader) magic() error {
	line, err := sr.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, snapshotMagic) {
		return errBadSnapshot
	}
	v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(line, snapshotMagic), "\n"))
	if err != nil || v < snapshotSince || v > len(migrations) {
		return errBadSnapshot
	}
	return nil
}

// header reads a section's tag and name; for 'E' it checks nothing more.
func (sr *snapReader) header() (byte, string, error) {
	tag, err := sr.r.ReadByte()
	if err != nil {
		return 0, "", errBadSnapshot
	}
	if tag == 'E' {
		return tag, "", nil
	}
	var n [2]byte
	if _, err := io.ReadFull(sr.r, n[:]); err != nil {
		return 0, "", errBadSnapshot
	}
	name := make([]byte, int(n[0])<<8|int(n[1]))
	if _, err := io.ReadFull(sr.r, name); err != nil {
		return 0, "", errBadSnapshot
	}
	return tag, string(name), nil
}

// trailer checks that the hash, checked already, is all that is left.
func (sr *snapReader) trailer() error {
	n, err := io.Copy(io.Discard, sr.r)
	if err != nil || n != sha256.Size {
		return errBadSnapshot
	}
	return nil
}

func (sr *snapReader) expect(tag byte, name string) error {
	t, n, err := sr.header()
	if err != nil || t != tag || n != name {
		return fmt.Errorf("want section %s: %w", name, errBadSnapshot)
	}
	return nil
}

// frames reads a section's data up to its end frame.
func (sr *snapReader) frames() io.Reader { return &frameReader{r: sr.r} }

type frameReader struct {
	r    *bufio.Reader
	left int
	done bool
}

func (fr *frameReader) Read(p []byte) (int, error) {
	for fr.left == 0 {
		if fr.done {
			return 0, io.EOF
		}
		var n [4]byte
		if _, err := io.ReadFull(fr.r, n[:]); err != nil {
			return 0, errBadSnapshot
		}
		fr.left = int(binary.BigEndian.Uint32(n[:]))
		if fr.left > maxFrame {
			return 0, errBadSnapshot
		}
		if fr.left == 0 {
			fr.done = true
		}
	}
	m, err := fr.r.Read(p[:min(len(p), fr.left)])
	fr.left -= m
	if err != nil && !(errors.Is(err, io.EOF) && m > 0) {
		return m, errBadSnapshot
	}
	return m, nil
}
