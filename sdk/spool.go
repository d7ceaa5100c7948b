package sdk

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// memorySpoolLimit is the largest spool kept in memory; past it, spools go to a
// temporary file so that any input size runs in bounded memory.
const memorySpoolLimit = 8 << 20

// spool holds bytes written once and read back once.
type spool interface {
	io.Writer
	// Reader rewinds to the start; Close releases the storage.
	Reader() (io.Reader, error)
	Close()
}

// newSpool returns a memory spool when the expected size (or -1 if unknown) is
// small, and a temporary file otherwise.
func newSpool(expected int64) (spool, error) {
	if expected >= 0 && expected <= memorySpoolLimit {
		return &memSpool{}, nil
	}
	f, err := os.CreateTemp("", "blindvault-spool-*")
	if err != nil {
		return nil, err
	}
	// Unlinking now means nothing is left behind even if the process dies.
	os.Remove(f.Name())
	return &fileSpool{f}, nil
}

type memSpool struct{ bytes.Buffer }

func (m *memSpool) Reader() (io.Reader, error) { return bytes.NewReader(m.Bytes()), nil }
func (m *memSpool) Close()                     { m.Reset() }

type fileSpool struct{ *os.File }

func (f *fileSpool) Reader() (io.Reader, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return f.File, nil
}
func (f *fileSpool) Close() { f.File.Close() }

// checkSize checks a body's length n against its declared size: the exact
// length, or 0 for unknown (PutOptions.Size, EncryptOptions.Size).
func checkSize(size int64, n uint64) error {
	if size < 0 || size > 0 && uint64(size) != n {
		return fmt.Errorf("%w: the input is %d bytes, declared %d (0 means unknown)", ErrInvalid, n, size)
	}
	return nil
}
